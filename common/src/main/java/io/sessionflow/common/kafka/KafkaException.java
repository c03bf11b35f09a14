package io.sessionflow.common.kafka;

import io.sessionflow.common.failure.SessionflowException;

/** Publishing or consuming failed. Messages carry topic names and ids, never event content. */
public final class KafkaException extends SessionflowException {
  private static final long serialVersionUID = 1L;

  public KafkaException(String message, boolean retryable, Throwable cause) {
    super(message, retryable, cause);
  }
}
