package io.sessionflow.ingest.deletion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deleting a client or a therapist through the real ingest: who may ask, what lands on
 * {@code sessionflow.deletion.requested}, what is audited, and what is refused.
 */
class DeletionRoutesIT {
  static IngestHarness harness;
  static final List<PipelineEvent> SEEN = new CopyOnWriteArrayList<>();
  static EventStream.Replay replay;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of());
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

  static void consent(String token, String clientRef) {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"" + clientRef
            + "\",\"scope\":[\"record\"],\"formVersion\":\"v2\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).isEqualTo(201);
  }

  static HttpResponse<String> delete(String path, String token) {
    return harness.send(harness.request(path, token).DELETE());
  }

  /** Checks the 202 and returns the request it announced, once it is on the topic. */
  static DeletionRequestedEvent accepted(HttpResponse<String> response) {
    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getString("status")).isEqualTo("DELETION_REQUESTED");
    String requestId = body.getString("requestId");
    await().atMost(Duration.ofSeconds(20)).until(() -> requested(requestId) != null);
    return requested(requestId);
  }

  static DeletionRequestedEvent requested(String requestId) {
    return SEEN.stream().filter(DeletionRequestedEvent.class::isInstance).map(DeletionRequestedEvent.class::cast)
        .filter(d -> d.requestId().equals(requestId)).findFirst().orElse(null);
  }

  static List<AuditEvent> audited(String action) {
    return SEEN.stream().filter(AuditEvent.class::isInstance).map(AuditEvent.class::cast)
        .filter(a -> a.action().equals(action)).toList();
  }

  static void assertProblem(HttpResponse<String> response, int status) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(new JsonObject(response.body()).getInteger("status")).isEqualTo(status);
  }

  @Test
  void aTherapistDeletesAClientTheyCapturedAConsentOf() {
    String capturer = harness.token("ther-a", Role.THERAPIST, "prac-d");
    String colleague = harness.token("ther-b", Role.THERAPIST, "prac-d");
    String elsewhere = harness.token("ther-a", Role.THERAPIST, "prac-e");
    consent(capturer, "heron.5");
    consent(colleague, "plover-8");

    assertProblem(delete("/v1/clients/heron.5", colleague), 404);
    assertProblem(delete("/v1/clients/heron.5", elsewhere), 404);
    assertProblem(delete("/v1/clients/plover-8", capturer), 404);
    assertProblem(delete("/v1/clients/never-seen", capturer), 404);

    DeletionRequestedEvent request = accepted(delete("/v1/clients/heron.5", capturer));
    assertThat(request.scope()).isEqualTo(DeletionRequestedEvent.Scope.CLIENT);
    assertThat(request.subjectId()).isEqualTo("heron.5");
    assertThat(request.practiceId()).isEqualTo("prac-d");
    assertThat(request.requestedBy()).isEqualTo("ther-a");
    // Same key, same partition: a request from a refused caller would have been read before this one.
    assertThat(SEEN).filteredOn(DeletionRequestedEvent.class::isInstance)
        .extracting(e -> ((DeletionRequestedEvent) e).subjectId()).containsOnlyOnce("heron.5");

    await().atMost(Duration.ofSeconds(20)).until(() -> audited("client.delete").stream()
        .anyMatch(a -> a.resourceId().equals(request.requestId())));
    AuditEvent entry = audited("client.delete").stream().filter(a -> a.resourceId().equals(request.requestId()))
        .findFirst().orElseThrow();
    assertThat(entry.actor()).isEqualTo("ther-a");
    assertThat(entry.outcome()).isEqualTo("requested");
    assertThat(entry.resourceType()).isEqualTo("deletion-request");
    assertThat(SEEN).filteredOn(AuditEvent.class::isInstance)
        .allSatisfy(a -> assertThat(EventCodec.toJson(a)).doesNotContain("heron.5"));
  }

  @Test
  void aClinicAdminDeletesAnyClientOfTheirPractice() {
    consent(harness.token("ther-c", Role.THERAPIST, "prac-f"), "sandpiper-2");
    DeletionRequestedEvent request = accepted(delete("/v1/clients/sandpiper-2",
        harness.token("admin-f", Role.CLINIC_ADMIN, "prac-f")));
    assertThat(request.scope()).isEqualTo(DeletionRequestedEvent.Scope.CLIENT);
    assertThat(request.subjectId()).isEqualTo("sandpiper-2");
    assertThat(request.practiceId()).isEqualTo("prac-f");
    assertThat(request.requestedBy()).isEqualTo("admin-f");
  }

  @Test
  void aClientRefThatIsNoPseudonymIsRefusedWithoutBeingEchoed() {
    String token = harness.token("ther-g", Role.THERAPIST, "prac-g");
    HttpResponse<String> email = delete("/v1/clients/jane.doe@example.org", token);
    assertProblem(email, 400);
    assertThat(email.body()).doesNotContain("jane").contains("pseudonym");
    HttpResponse<String> name = delete("/v1/clients/Jane%20Doe", token);
    assertProblem(name, 400);
    assertThat(name.body()).doesNotContain("Jane");
    assertProblem(delete("/v1/clients/5551234567", harness.token("admin-g", Role.CLINIC_ADMIN, "prac-g")), 400);
  }

  @Test
  void opsMayDeleteNeitherClientsNorTherapists() {
    String ops = harness.token("op-1", Role.OPS, null);
    assertProblem(delete("/v1/clients/heron-9", ops), 403);
    assertProblem(delete("/v1/therapists/ther-h", ops), 403);
  }

  @Test
  void aTherapistDeletesThemselfAndAClinicAdminAnyTherapistOfThePractice() {
    String self = harness.token("ther-h", Role.THERAPIST, "prac-h");
    assertProblem(delete("/v1/therapists/ther-h", harness.token("ther-i", Role.THERAPIST, "prac-h")), 404);

    DeletionRequestedEvent own = accepted(delete("/v1/therapists/ther-h", self));
    assertThat(own.scope()).isEqualTo(DeletionRequestedEvent.Scope.THERAPIST);
    assertThat(own.subjectId()).isEqualTo("ther-h");
    assertThat(own.practiceId()).isEqualTo("prac-h");
    assertThat(own.requestedBy()).isEqualTo("ther-h");
    assertThat(SEEN).filteredOn(DeletionRequestedEvent.class::isInstance)
        .extracting(e -> ((DeletionRequestedEvent) e).requestedBy()).doesNotContain("ther-i");

    DeletionRequestedEvent byAdmin = accepted(delete("/v1/therapists/ther-j",
        harness.token("admin-h", Role.CLINIC_ADMIN, "prac-h")));
    assertThat(byAdmin.scope()).isEqualTo(DeletionRequestedEvent.Scope.THERAPIST);
    assertThat(byAdmin.subjectId()).isEqualTo("ther-j");
    assertThat(byAdmin.practiceId()).isEqualTo("prac-h");
    assertThat(byAdmin.requestedBy()).isEqualTo("admin-h");

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(audited("therapist.delete"))
        .extracting(AuditEvent::actor, AuditEvent::resourceId, AuditEvent::outcome)
        .contains(tuple("ther-h", "ther-h", "requested"),
            tuple("admin-h", "ther-j", "requested")));
    assertProblem(delete("/v1/therapists/not.an.id", self), 400);
  }

  /** A consent of the caller's, recorded; its id. */
  static String consentId(String token, String clientRef) {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"" + clientRef
            + "\",\"scope\":[\"record\"],\"formVersion\":\"v2\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  static String tusCreate(String token, String consent, long length) {
    String metadata = "consentId " + java.util.Base64.getEncoder().encodeToString(consent.getBytes(
        java.nio.charset.StandardCharsets.UTF_8));
    HttpResponse<String> created = harness.send(harness.request("/files/", token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", Long.toString(length)).header("Upload-Metadata", metadata)
        .POST(BodyPublishers.noBody()));
    assertThat(created.statusCode()).isEqualTo(201);
    String location = created.headers().firstValue("Location").orElseThrow();
    return location.substring(location.lastIndexOf('/') + 1);
  }

  static HttpResponse<String> tusPatch(String token, String id, byte[] body) {
    return harness.send(harness.request("/files/" + id, token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0").header("Content-Type", "application/offset+octet-stream")
        .method("PATCH", BodyPublishers.ofByteArray(body)));
  }

  @Test
  void anUploadIsInTheOwnershipIndexFromItsCreationSoADeletionFindsItMidUpload() {
    String therapist = harness.token("ther-u", Role.THERAPIST, "prac-u");
    String consent = consentId(therapist, "plover-7");
    String id = tusCreate(therapist, consent, 1_000_000);
    assertThat(new io.sessionflow.common.storage.RecordingIndex(harness.runtime().store(), IngestHarness.BUCKET)
        .owners(id).join()).contains(new io.sessionflow.common.storage.RecordingIndex.Entry("prac-u", "ther-u",
            consent, id));
  }

  @Test
  void aTusDeleteOfACompletedUploadBecomesADeletionRequestAndOneInProgressIsTerminated() {
    String therapist = harness.token("ther-v", Role.THERAPIST, "prac-v");
    String consent = consentId(therapist, "avocet-3");
    byte[] audio = IngestHarness.audio(50_000, 3);
    String done = tusCreate(therapist, consent, audio.length);
    assertThat(tusPatch(therapist, done, audio).statusCode()).isEqualTo(204);
    HttpResponse<String> deleted = harness.send(harness.request("/files/" + done, therapist)
        .header("Tus-Resumable", "1.0.0").DELETE());
    DeletionRequestedEvent request = accepted(deleted);
    assertThat(request.scope()).isEqualTo(DeletionRequestedEvent.Scope.RECORDING);
    assertThat(request.subjectId()).isEqualTo(done);
    assertThat(request.practiceId()).isEqualTo("prac-v");
    assertThat(request.key()).isEqualTo(done);

    String inProgress = tusCreate(therapist, consent, 1_000_000);
    HttpResponse<String> terminated = harness.send(harness.request("/files/" + inProgress, therapist)
        .header("Tus-Resumable", "1.0.0").DELETE());
    assertThat(terminated.statusCode()).isEqualTo(204);
    assertThat(harness.runtime().store().listKeys(IngestHarness.BUCKET, "").join())
        .as("a terminated upload leaves nothing, its index entry included").noneMatch(k -> k.contains(inProgress));
    assertThat(SEEN).filteredOn(DeletionRequestedEvent.class::isInstance)
        .noneMatch(e -> ((DeletionRequestedEvent) e).subjectId().equals(inProgress));
  }

  @Test
  void aClientsDeletionRequestIsNotKeyedByThePseudonym() {
    DeletionRequestedEvent request = accepted(delete("/v1/clients/dunlin-9",
        harness.token("admin-k", Role.CLINIC_ADMIN, "prac-k")));
    assertThat(request.key()).isEqualTo(request.requestId()).doesNotContain("dunlin");
  }

  @Test
  void anUploadDeletedMidwayAnswersDeletedToItsOwnerAndNotFoundToOthers() {
    String therapist = harness.token("ther-w", Role.THERAPIST, "prac-w");
    String consent = consentId(therapist, "curlew-4");
    String id = tusCreate(therapist, consent, 1_000_000);
    // What the purger does for it: the tombstone with the entry it found, the purge, the event.
    var owners = new io.sessionflow.common.storage.RecordingIndex(harness.runtime().store(), IngestHarness.BUCKET)
        .owners(id).join().orElseThrow();
    io.sessionflow.common.storage.ObjectStore store = harness.runtime().store();
    store.put(IngestHarness.BUCKET, io.sessionflow.common.storage.ObjectKeys.tombstone(id),
        new JsonObject().put("requestId", "req-w").put("indexKeys", new io.vertx.core.json.JsonArray()
            .add(owners.key())).encode().getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of()).join();
    store.delete(IngestHarness.BUCKET, "uploads/" + id + "/state.json").join();
    harness.runtime().events().publisher().publish(new io.sessionflow.common.event.AudioPurgedEvent(1,
        java.time.Instant.now(), id, io.sessionflow.common.storage.ObjectKeys.receipt(id), null, "deletion-request"))
        .join();
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      HttpResponse<String> status = harness.send(harness.request("/v1/recordings/" + id, therapist).GET());
      assertThat(status.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(status.body()).getString("status")).isEqualTo("DELETED");
    });
    assertThat(harness.send(harness.request("/v1/recordings/" + id, harness.token("ther-x", Role.THERAPIST,
        "prac-w")).GET()).statusCode()).isEqualTo(404);
    assertThat(harness.send(harness.request("/v1/recordings/" + id + "/transcript", therapist).GET()).statusCode())
        .isEqualTo(404);
  }
}
