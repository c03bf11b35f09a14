package io.sessionflow.ingest.webhook;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * A practice's registered webhook endpoint. The signing secret is stored only sealed by the
 * key-encryption key (bound to the practice and endpoint); it is shown once, when created.
 *
 * @param failingSince the first of the failed attempts since its last success, or null
 * @param disabledAt   when it was disabled for failing every delivery for the retry period, or null
 */
public record WebhookEndpoint(String id, String practiceId, String url, List<String> events, Instant createdAt,
    String createdBy, String sealedSecret, Instant failingSince, Instant disabledAt) {

  /** Every event type a webhook can subscribe to. */
  public static final List<String> EVENTS = List.of("recording.stored", "recording.transcribed",
      "recording.analyzed", "recording.failed", "audio.purged", "recording.deleted", "import.completed");

  public WebhookEndpoint {
    events = List.copyOf(events);
  }

  public boolean enabled() {
    return disabledAt == null;
  }

  public boolean wants(String type) {
    return enabled() && events.contains(type);
  }

  public WebhookEndpoint failing(Instant since) {
    return new WebhookEndpoint(id, practiceId, url, events, createdAt, createdBy, sealedSecret, since, disabledAt);
  }

  public WebhookEndpoint disabled(Instant at) {
    return new WebhookEndpoint(id, practiceId, url, events, createdAt, createdBy, sealedSecret, failingSince, at);
  }

  /** What an admin sees of it (never the secret). */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", id).put("url", url).put("events", new JsonArray(events))
        .put("status", enabled() ? "ENABLED" : "DISABLED").put("createdAt", createdAt.toString());
    if (failingSince != null) {
      json.put("failingSince", failingSince.toString());
    }
    if (disabledAt != null) {
      json.put("disabledAt", disabledAt.toString());
    }
    return json;
  }
}
