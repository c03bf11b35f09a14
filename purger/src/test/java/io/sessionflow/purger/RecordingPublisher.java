package io.sessionflow.purger;

import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.kafka.KafkaException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps what was published; can refuse, like a broker that is away. */
final class RecordingPublisher implements EventPublisher {
  final List<PipelineEvent> published = new CopyOnWriteArrayList<>();
  volatile boolean down;

  @Override
  public CompletableFuture<Void> publish(PipelineEvent event) {
    if (down) {
      return CompletableFuture.failedFuture(new KafkaException("broker unavailable", true, null));
    }
    published.add(event);
    return CompletableFuture.completedFuture(null);
  }

  <T extends PipelineEvent> List<T> of(Class<T> type) {
    return published.stream().filter(type::isInstance).map(type::cast).toList();
  }
}
