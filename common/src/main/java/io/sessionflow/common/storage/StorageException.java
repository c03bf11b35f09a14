package io.sessionflow.common.storage;

import io.sessionflow.common.failure.Retryable;

/**
 * An object-store call failed. Messages name the operation, bucket and key (keys never carry
 * PHI: they are built from ids), and the HTTP status where there was one.
 */
public final class StorageException extends RuntimeException implements Retryable {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final boolean retryable;

  public StorageException(String message, int status, boolean retryable, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.retryable = retryable;
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

  @Override
  public boolean retryable() {
    return retryable;
  }
}
