package io.sessionflow.common.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.kafka.internal.ReactorEventStream;
import java.time.Clock;

/** Creates the Kafka-backed {@link EventStream}. */
public final class EventStreams {
  private EventStreams() {
  }

  public static EventStream kafka(KafkaConfig config, MeterRegistry registry, Clock clock) {
    return new ReactorEventStream(config, registry, clock);
  }
}
