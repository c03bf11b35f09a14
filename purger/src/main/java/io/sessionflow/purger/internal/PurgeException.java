package io.sessionflow.purger.internal;

import io.sessionflow.common.failure.SessionflowException;

/** A purge could not finish, or finished but did not verify; retryable unless said otherwise. */
public final class PurgeException extends SessionflowException {
  private static final long serialVersionUID = 1L;

  public PurgeException(String message, boolean retryable, Throwable cause) {
    super(message, retryable, cause);
  }
}
