package io.sessionflow.common.kafka;

import io.sessionflow.common.event.PipelineEvent;
import java.util.concurrent.CompletableFuture;

/** Publishes pipeline events to their topic, keyed by {@link PipelineEvent#key()}. */
public interface EventPublisher {
  /** Completes when every in-sync replica has the event (acks=all), or fails with a {@link KafkaException}. */
  CompletableFuture<Void> publish(PipelineEvent event);
}
