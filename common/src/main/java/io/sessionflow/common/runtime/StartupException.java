package io.sessionflow.common.runtime;

/** A stage cannot start: the message is the one line printed before the process exits. */
public final class StartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StartupException(String message) {
    super(message);
  }

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
