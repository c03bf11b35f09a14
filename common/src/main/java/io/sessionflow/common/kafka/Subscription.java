package io.sessionflow.common.kafka;

import io.sessionflow.common.event.Topic;
import io.sessionflow.common.failure.Failures;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a stage consumes: a consumer group, its topics, the stage name used in dead letters, and
 * how it retries.
 *
 * @param maxAttempts   tries per record before it is dead-lettered (1 = no retry)
 * @param firstBackoff  wait before the first retry; doubles up to {@code maxBackoff}
 * @param maxInFlight   records handled at once across all partitions; the consumer also fetches
 *                      only a few more than that, so work waits in Kafka, not in memory
 */
public record Subscription(String groupId, Set<Topic> topics, String stage, int maxAttempts, Duration firstBackoff,
    Duration maxBackoff, Predicate<Throwable> retryable, int maxInFlight) {

  public Subscription {
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(stage, "stage");
    topics = Set.copyOf(topics);
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("a subscription needs at least one topic");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1");
    }
  }

  /** Five attempts, backoff from 200 ms to 10 s, retrying what {@link Failures#isRetryable} says. */
  public static Subscription of(String groupId, String stage, Topic... topics) {
    return new Subscription(groupId, Set.of(topics), stage, 5, Duration.ofMillis(200), Duration.ofSeconds(10),
        Failures::isRetryable, 256);
  }

  public Subscription withRetries(int attempts, Duration first, Duration max) {
    return new Subscription(groupId, topics, stage, attempts, first, max, retryable, maxInFlight);
  }

  /** At most {@code records} handled at once (e.g. the worker slots). */
  public Subscription withMaxInFlight(int records) {
    return new Subscription(groupId, topics, stage, maxAttempts, firstBackoff, maxBackoff, retryable, records);
  }
}
