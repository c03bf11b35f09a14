package io.sessionflow.ingest.webhook;

import io.sessionflow.common.event.AnalysisReadyEvent;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingFailedEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;

/**
 * A recording's step as apps are told it, by webhook and on {@code GET /v1/events}: its type, the
 * recording, its status and when; ids and states only, never anything a client said.
 *
 * @param id          stable for the event (the same on every replica and every redelivery): the webhook-id
 *                    and the Server-Sent Events id
 * @param therapistId the recording's therapist (who may see it on /v1/events), or null for a practice event
 */
public record WebhookEvent(String id, String type, String practiceId, String therapistId, String recordingId,
    String status, Instant occurredAt, JsonObject extra) {

  /** The owners of a recording whose event does not name them (a purge, a failure). */
  public record Owners(String practiceId, String therapistId) {
  }

  /** The Standard Webhooks payload: {type, timestamp, data}. */
  public JsonObject payload() {
    JsonObject data = new JsonObject();
    if (recordingId != null) {
      data.put("recordingId", recordingId);
    }
    if (status != null) {
      data.put("status", status);
    }
    if (extra != null) {
      data.mergeIn(extra);
    }
    return new JsonObject().put("type", type).put("timestamp", occurredAt.toString()).put("data", data);
  }

  /** The pipeline event as a webhook event, when it is one apps are told of and its owners are known. */
  public static Optional<WebhookEvent> of(ConsumedEvent consumed, Function<String, Optional<Owners>> owners) {
    String id = "msg_" + digest(consumed.topic() + ":" + consumed.partition() + ":" + consumed.offset());
    PipelineEvent event = consumed.event();
    if (event instanceof RecordingStoredEvent e) {
      return Optional.of(new WebhookEvent(id, "recording.stored", e.practiceId(), e.therapistId(), e.recordingId(),
          "STORED", e.occurredAt(), new JsonObject().put("bytes", e.plaintextBytes())));
    }
    if (event instanceof TranscriptReadyEvent e) {
      return Optional.of(new WebhookEvent(id, "recording.transcribed", e.practiceId(), e.therapistId(),
          e.recordingId(), "TRANSCRIBED", e.occurredAt(), null));
    }
    if (event instanceof AnalysisReadyEvent e) {
      return Optional.of(new WebhookEvent(id, "recording.analyzed", e.practiceId(), e.therapistId(), e.recordingId(),
          "ANALYZED", e.occurredAt(), null));
    }
    if (event instanceof RecordingFailedEvent e) {
      return owners.apply(e.recordingId()).map(o -> new WebhookEvent(id, "recording.failed", o.practiceId(),
          o.therapistId(), e.recordingId(), "FAILED", e.occurredAt(), new JsonObject().put("stage", e.stage())));
    }
    if (event instanceof AudioPurgedEvent e) {
      boolean deleted = "deletion-request".equals(e.reason());
      return owners.apply(e.recordingId()).map(o -> new WebhookEvent(id, deleted ? "recording.deleted"
          : "audio.purged", o.practiceId(), o.therapistId(), e.recordingId(), deleted ? "DELETED" : "AUDIO_PURGED",
          e.occurredAt(), new JsonObject().put("receipt", "/v1/recordings/" + e.recordingId()
              + "/deletion-receipt")));
    }
    return Optional.empty();
  }

  /** Whether the event names no owners, so the status view must know its recording first. */
  public static boolean needsOwners(PipelineEvent event) {
    return event instanceof RecordingFailedEvent || event instanceof AudioPurgedEvent;
  }

  /** A practice's import that finished, told to its clinic admins. */
  public static WebhookEvent importCompleted(String importId, String practiceId, String state, int recordings,
      Instant at) {
    return new WebhookEvent("msg_" + digest("import:" + importId), "import.completed", practiceId, null, null, null,
        at, new JsonObject().put("importId", importId).put("state", state).put("recordings", recordings));
  }

  static String digest(String value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(value.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
