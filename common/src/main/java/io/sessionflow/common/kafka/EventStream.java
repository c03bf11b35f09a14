package io.sessionflow.common.kafka;

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
}
