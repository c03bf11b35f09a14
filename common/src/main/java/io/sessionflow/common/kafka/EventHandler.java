package io.sessionflow.common.kafka;

import java.util.concurrent.CompletionStage;

/**
 * The work a stage does for one record. The returned stage completes only once that work is
 * durable; only then is the record's offset committed. Failing with a retryable exception
 * (see {@link io.sessionflow.common.failure.Failures#isRetryable}) retries with backoff;
 * anything else, or running out of attempts, dead-letters the record and moves on.
 */
@FunctionalInterface
public interface EventHandler {
  CompletionStage<Void> handle(ConsumedEvent event);
}
