package io.sessionflow.common.kafka;

import io.sessionflow.common.event.PipelineEvent;

/**
 * An event as delivered, with where it came from.
 *
 * @param attempt 1 for the first try of this delivery, higher for in-process retries
 */
public record ConsumedEvent(PipelineEvent event, String topic, int partition, long offset, int attempt) {
}
