package io.sessionflow.common.event;

/** A record value that is not a valid event of this schema. Never retryable. */
public final class EventFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EventFormatException(String message) {
    super(message);
  }

  public EventFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
