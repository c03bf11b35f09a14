package io.sessionflow.common.storage;

import io.sessionflow.common.failure.SessionflowException;

/**
 * An object-store call failed. Messages name the operation, bucket and key (keys never carry
 * PHI: they are built from ids), and the HTTP status where there was one.
 */
public final class StorageException extends SessionflowException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public StorageException(String message, int status, boolean retryable, Throwable cause) {
    super(message, retryable, cause);
    this.status = status;
  }

  /** The HTTP status, or 0 when the call never got an answer. */
  public int status() {
    return status;
  }

  public boolean isNotFound() {
    return status == 404;
  }

  /** A conditional write lost: the object exists (412) or changed (409). */
  public boolean isPreconditionFailed() {
    return status == 412 || status == 409;
  }
}
