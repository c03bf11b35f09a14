package io.sessionflow.ingest.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.Events;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Status, transcript, analysis and receipt reads, deletion requests and the audit trail, through the real ingest. */
class RecordingsIT {
  static IngestHarness harness;
  static String therapist;
  static String consentId;
  static final List<PipelineEvent> SEEN = new CopyOnWriteArrayList<>();
  static EventStream.Replay replay;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of());
    therapist = harness.token("ther-r", Role.THERAPIST, "prac-r");
    HttpResponse<String> consent = harness.send(harness.request("/v1/consents", therapist)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"kestrel-17\","
            + "\"scope\":[\"record\",\"transcribe\"],\"formVersion\":\"v2\","
            + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    consentId = new JsonObject(consent.body()).getString("id");
    replay = harness.runtime().events().replay(Set.of(Topic.AUDIT, Topic.DELETION_REQUESTED), e -> {
      SEEN.add(e.event());
      return CompletableFuture.completedFuture(null);
    });
  }

  @AfterAll
  static void stop() {
    replay.close();
    harness.close();
  }

  /** Each upload's bytes differ: the same bytes again under the same consent would be recognised as a re-upload. */
  private static final java.util.concurrent.atomic.AtomicLong UPLOADS = new java.util.concurrent.atomic.AtomicLong(41);

  static String upload() {
    HttpResponse<String> created = harness.send(harness.request("/v1/recordings?consentId=" + consentId, therapist)
        .POST(BodyPublishers.ofByteArray(IngestHarness.audio(300_000, UPLOADS.incrementAndGet()))));
    assertThat(created.statusCode()).isEqualTo(201);
    String id = new JsonObject(created.body()).getString("id");
    await().atMost(Duration.ofSeconds(20)).until(() -> "STORED".equals(status(id, therapist).getString("status")));
    // Indexed (before it is announced), so a deletion of its consent, client or therapist finds it.
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(new RecordingIndex(
        harness.runtime().store(), IngestHarness.BUCKET).practice("prac-r").join())
        .contains(new RecordingIndex.Entry("prac-r", "ther-r", consentId, id)));
    return id;
  }

  static JsonObject status(String id, String token) {
    HttpResponse<String> response = harness.send(harness.request("/v1/recordings/" + id, token).GET());
    return response.statusCode() == 200 ? new JsonObject(response.body()) : new JsonObject();
  }

  static int get(String path, String token) {
    return harness.send(harness.request(path, token).GET()).statusCode();
  }

  @Test
  void theTranscriptIsServedDecryptedOnlyToThoseWhoMaySeeIt() {
    String id = upload();
    assertThat(get("/v1/recordings/" + id + "/transcript", therapist)).isEqualTo(404);
    // What the transcriber does: the encrypted transcript, then transcript.ready.
    DataKey key = harness.runtime().keys().loadOrCreate(id, RecordingKeys.Purpose.DATA).join();
    String transcript = "{\"segments\":[{\"id\":0,\"start\":0.0,\"end\":2.5,\"text\":\"I slept badly\"}],"
        + "\"language\":\"en\",\"model\":\"test\",\"audioSeconds\":2.5}";
    harness.runtime().objects().put(key, ObjectKeys.transcript(id), ObjectKeys.TRANSCRIPT,
        transcript.getBytes(StandardCharsets.UTF_8)).join();
    harness.runtime().events().publisher().publish(new TranscriptReadyEvent(1, Instant.now(), id, "prac-r", "ther-r",
        ObjectKeys.transcript(id), 2.5, 1, "en", "test")).join();
    await().atMost(Duration.ofSeconds(20)).until(() -> "TRANSCRIBED".equals(status(id, therapist)
        .getString("status")));
    HttpResponse<String> read = harness.send(harness.request("/v1/recordings/" + id + "/transcript", therapist)
        .GET());
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(read.body()).getJsonArray("segments").getJsonObject(0).getString("text"))
        .isEqualTo("I slept badly");
    assertThat(get("/v1/recordings/" + id + "/transcript", harness.token("ther-x", Role.THERAPIST, "prac-r")))
        .isEqualTo(404);
    assertThat(get("/v1/recordings/" + id + "/transcript", harness.token("adm", Role.CLINIC_ADMIN, "prac-r")))
        .isEqualTo(200);
    assertThat(get("/v1/recordings/" + id + "/transcript", harness.token("adm", Role.CLINIC_ADMIN, "prac-q")))
        .isEqualTo(404);
    assertThat(get("/v1/recordings/" + id + "/transcript", harness.token("op", Role.OPS, null))).isEqualTo(403);
    assertThat(get("/v1/recordings/" + id + "/analysis", therapist)).isEqualTo(404);
  }

  @Test
  void purgedAudioShowsInTheStatusWithItsReceiptAndFailuresCarryStageAndReason() {
    String id = upload();
    String receipt = "{\"recordingId\":\"" + id + "\",\"verified\":true}";
    harness.runtime().store().put(IngestHarness.BUCKET, ObjectKeys.receipt(id),
        receipt.getBytes(StandardCharsets.UTF_8), Map.of()).join();
    harness.runtime().events().publisher().publish(new AudioPurgedEvent(1, Instant.now(), id, ObjectKeys.receipt(id),
        Instant.now(), "transcribed")).join();
    await().atMost(Duration.ofSeconds(20)).until(() -> "PURGED".equals(status(id, therapist).getString("audio")));
    HttpResponse<String> read = harness.send(harness.request("/v1/recordings/" + id + "/deletion-receipt",
        therapist).GET());
    assertThat(new JsonObject(read.body()).getBoolean("verified")).isTrue();

    harness.runtime().events().publisher().publish(Events.failed(Clock.systemUTC(), id, "transcriber",
        "DecodeException: no audio stream", 3, Topic.RECORDING_STORED)).join();
    await().atMost(Duration.ofSeconds(20)).until(() -> "FAILED".equals(status(id, therapist).getString("status")));
    assertThat(status(id, therapist).getJsonObject("failure").getString("stage")).isEqualTo("transcriber");
  }

  @Test
  void aRecordingDeletedOnRequestIsDeletedAndItsTranscriptAndAnalysisAreNotServed() {
    String id = upload();
    DataKey key = harness.runtime().keys().loadOrCreate(id, RecordingKeys.Purpose.DATA).join();
    harness.runtime().objects().put(key, ObjectKeys.transcript(id), ObjectKeys.TRANSCRIPT,
        "{\"segments\":[],\"language\":\"en\",\"model\":\"test\",\"audioSeconds\":1.0}"
            .getBytes(StandardCharsets.UTF_8)).join();
    harness.runtime().events().publisher().publish(new TranscriptReadyEvent(1, Instant.now(), id, "prac-r", "ther-r",
        ObjectKeys.transcript(id), 1.0, 0, "en", "test")).join();
    await().atMost(Duration.ofSeconds(20)).until(() -> "TRANSCRIBED".equals(status(id, therapist)
        .getString("status")));
    harness.runtime().store().put(IngestHarness.BUCKET, ObjectKeys.receipt(id),
        ("{\"recordingId\":\"" + id + "\",\"verified\":true}").getBytes(StandardCharsets.UTF_8), Map.of()).join();
    harness.runtime().events().publisher().publish(new AudioPurgedEvent(1, Instant.now(), id, ObjectKeys.receipt(id),
        Instant.now(), "deletion-request")).join();
    await().atMost(Duration.ofSeconds(20)).until(() -> "DELETED".equals(status(id, therapist).getString("status")));

    JsonObject deleted = status(id, therapist);
    assertThat(deleted.getString("audio")).isEqualTo("PURGED");
    assertThat(deleted.getJsonArray("history").getJsonObject(deleted.getJsonArray("history").size() - 1)
        .getString("status")).isEqualTo("DELETED");
    // The transcript object is still in storage here: the answer must come from the status alone.
    for (String derived : List.of("transcript", "analysis")) {
      HttpResponse<String> read = harness.send(harness.request("/v1/recordings/" + id + "/" + derived, therapist)
          .GET());
      assertThat(read.statusCode()).isEqualTo(404);
      assertThat(new JsonObject(read.body()).getString("detail")).contains("deleted");
    }
    assertThat(get("/v1/recordings/" + id + "/deletion-receipt", therapist)).isEqualTo(200);
  }

  @Test
  void deletionIsRequestedOnlyByThoseWhoMaySeeTheRecording() {
    String id = upload();
    String stranger = harness.token("ther-s", Role.THERAPIST, "prac-r");
    assertThat(harness.send(harness.request("/v1/recordings/" + id, stranger).DELETE()).statusCode())
        .isEqualTo(404);
    HttpResponse<String> deleted = harness.send(harness.request("/v1/recordings/" + id, therapist).DELETE());
    assertThat(deleted.statusCode()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> SEEN.stream().anyMatch(e ->
        e instanceof DeletionRequestedEvent d && d.subjectId().equals(id)
            && d.scope() == DeletionRequestedEvent.Scope.RECORDING && d.requestedBy().equals("ther-r")));
  }

  @Test
  void revokingAConsentAsksForTheDeletionOfEverythingRecordedUnderIt() {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", therapist)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"wren-3\","
            + "\"scope\":[\"record\"],\"formVersion\":\"v2\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    String revoked = new JsonObject(created.body()).getString("id");
    assertThat(harness.send(harness.request("/v1/consents/" + revoked, therapist).DELETE()).statusCode())
        .isEqualTo(204);
    HttpResponse<String> read = harness.send(harness.request("/v1/consents/" + revoked, therapist).GET());
    assertThat(new JsonObject(read.body()).getString("status")).isEqualTo("REVOKED");
    await().atMost(Duration.ofSeconds(20)).until(() -> SEEN.stream().anyMatch(e ->
        e instanceof DeletionRequestedEvent d && d.subjectId().equals(revoked)
            && d.scope() == DeletionRequestedEvent.Scope.CONSENT));
    assertThat(get("/v1/consents/" + revoked, harness.token("ther-other", Role.THERAPIST, "prac-r")))
        .isEqualTo(404);
  }

  @Test
  void everyUploadReadDeletionAndConsentChangeIsAuditedWithoutPhi() {
    String id = upload();
    get("/v1/recordings/" + id, therapist);
    harness.send(harness.request("/v1/recordings/" + id, therapist).DELETE());
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(SEEN.stream()
        .filter(AuditEvent.class::isInstance).map(AuditEvent.class::cast)
        .filter(a -> a.resourceId().equals(id)).map(AuditEvent::action))
        .contains("upload.create", "recording.read", "recording.delete"));
    assertThat(SEEN.stream().filter(AuditEvent.class::isInstance).map(AuditEvent.class::cast)
        .filter(a -> a.resourceId().equals(consentId)).map(AuditEvent::action)).contains("consent.create");
    for (PipelineEvent event : SEEN) {
      assertThat(EventCodec.toJson(event)).doesNotContain("kestrel-17");
    }
  }
}
