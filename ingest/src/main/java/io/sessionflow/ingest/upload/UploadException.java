package io.sessionflow.ingest.upload;

/** An upload request that cannot be served as asked; the kind maps to the HTTP status. */
public final class UploadException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** The Retry-After of a {@link Kind#BUSY} answer, in seconds. */
  public static final long BUSY_RETRY_AFTER_SECONDS = 5;

  /** What went wrong, from the client's point of view. */
  public enum Kind {
    NOT_FOUND(404), GONE(410), LOCKED(423), OFFSET_MISMATCH(409), TOO_LARGE(413), BAD_REQUEST(400),
    CHECKSUM_MISMATCH(460), FORBIDDEN(403), CONFLICT(409), UNAVAILABLE(503),
    /** Upload memory did not come free in time; nothing of this body was read: retry after a pause. */
    BUSY(503),
    /** A newer request for the upload took over from this one. */
    INTERRUPTED(400),
    /** The server is shutting down: what arrived is kept (the offset says how much), resume elsewhere. */
    SHUTTING_DOWN(503);

    private final int status;

    Kind(int status) {
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final Kind kind;
  private final Long storedOffset;

  public UploadException(Kind kind, String message) {
    this(kind, message, null);
  }

  private UploadException(Kind kind, String message, Long storedOffset) {
    super(message);
    this.kind = kind;
    this.storedOffset = storedOffset;
  }

  /** The answer to a body the shutdown cut short; {@code stored} is the upload's offset now, or null if unknown. */
  public static UploadException shuttingDown(Long stored) {
    return new UploadException(Kind.SHUTTING_DOWN, "the server is shutting down"
        + (stored == null ? "" : "; the bytes received up to offset " + stored + " are stored")
        + ". Resume from the offset HEAD reports in a few seconds (another replica answers)", stored);
  }

  /** The upload's offset after this request, when the answer should tell it (a shutdown's 503). */
  public java.util.Optional<Long> storedOffset() {
    return java.util.Optional.ofNullable(storedOffset);
  }

  public Kind kind() {
    return kind;
  }
}
