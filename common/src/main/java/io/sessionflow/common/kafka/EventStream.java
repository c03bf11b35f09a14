package io.sessionflow.common.kafka;

import io.sessionflow.common.event.Topic;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Sessionflow's view of Kafka: publish events, and consume them with in-order commits after the
 * work is durable, retries and dead-lettering. The only implementation sits on Reactor Kafka
 * (see {@code internal}); nothing else in the code base touches Kafka clients directly.
 */
public interface EventStream extends AutoCloseable {

  EventPublisher publisher();

  /**
   * Starts consuming. Records of one partition are handled one after another, in order;
   * partitions proceed in parallel. Offsets are committed only for records whose handling has
   * completed (or that were dead-lettered).
   */
  Consumer subscribe(Subscription subscription, EventHandler handler);

  /**
   * Reads the topics from their beginning and then follows them, outside any consumer group and
   * without committing: how an in-memory view is rebuilt after a restart. Records of a partition
   * arrive in order; a handler failure is logged and the record skipped.
   */
  Replay replay(Set<Topic> topics, EventHandler handler);

  /** Closes the publisher; consumers are closed by their own handles. */
  @Override
  void close();

  /** A running consumer. */
  interface Consumer extends AutoCloseable {
    /**
     * Stops fetching, commits what was handled, and leaves the group. A record being handled
     * at that moment is not committed and is delivered again to whoever takes its partition.
     */
    @Override
    void close();

    boolean isRunning();
  }

  /** A running replay. */
  interface Replay extends Consumer {
    /** Completes once every record that existed when the replay started has been handled. */
    CompletableFuture<Void> caughtUp();
  }
}
