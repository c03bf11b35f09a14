package io.sessionflow.ingest.webhook;

import java.time.Instant;

/**
 * One event on its way to one endpoint, stored until it was delivered or given up, so retries
 * survive restarts. The payload holds ids and states only, never PHI.
 *
 * @param messageId   the Standard Webhooks {@code webhook-id}: the same for every attempt (receivers dedupe on it)
 * @param attempts    attempts made so far
 */
public record WebhookDelivery(String id, String messageId, String practiceId, String endpointId, String type,
    String recordingId, String payload, Instant createdAt, int attempts, Instant nextAttemptAt) {

  public WebhookDelivery retryAt(Instant next) {
    return new WebhookDelivery(id, messageId, practiceId, endpointId, type, recordingId, payload, createdAt,
        attempts + 1, next);
  }
}
