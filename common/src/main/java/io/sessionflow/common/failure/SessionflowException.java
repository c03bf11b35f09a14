package io.sessionflow.common.failure;

/**
 * Base of each area's one exception type: the message names what was tried with ids and sizes
 * (never content), the cause is kept, and the exception says whether trying again can help.
 */
public abstract class SessionflowException extends RuntimeException implements Retryable {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  protected SessionflowException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  @Override
  public boolean retryable() {
    return retryable;
  }
}
