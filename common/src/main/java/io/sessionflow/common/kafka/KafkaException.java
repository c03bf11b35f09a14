package io.sessionflow.common.kafka;

import io.sessionflow.common.failure.Retryable;

/** Publishing or consuming failed. Messages carry topic names and ids, never event content. */
public final class KafkaException extends RuntimeException implements Retryable {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  public KafkaException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  @Override
  public boolean retryable() {
    return retryable;
  }
}
