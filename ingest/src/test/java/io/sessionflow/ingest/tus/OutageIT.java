package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Object storage and then Kafka cut off for 30 seconds each, mid-upload: the ingest answers 503
 * with Retry-After while storage is gone, tus-js-client retries and completes, nothing
 * acknowledged is lost, and every completed recording is announced exactly once when Kafka is back.
 */
class OutageIT {
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final String RETRIES = "1000,2000,3000,5000,5000,5000,5000,10000,10000,10000";
  private static IngestHarness harness;
  private static String token;
  private static String consent;
  private static final List<RecordingStoredEvent> STORED = new CopyOnWriteArrayList<>();
  private static EventStream.Replay replay;
  @TempDir
  Path files;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of(), true);
    token = harness.token("ther-out", Role.THERAPIST, "prac-out");
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"osprey-3\","
            + "\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    consent = new JsonObject(created.body()).getString("id");
    replay = harness.runtime().events().replay(Set.of(Topic.RECORDING_STORED), e -> {
      STORED.add((RecordingStoredEvent) e.event());
      return CompletableFuture.completedFuture(null);
    });
  }

  @AfterAll
  static void stop() {
    replay.close();
    harness.close();
  }

  private CompletableFuture<JsonObject> tusUpload(byte[] audio, String name) throws Exception {
    Path file = Files.write(files.resolve(name), audio);
    return CompletableFuture.supplyAsync(() -> {
      try {
        return NodeTusClient.upload(harness.base() + "/files/", token, file, "--consent", consent, "--chunk-size",
            Integer.toString(512 * 1024), "--retry-delays", RETRIES);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static long announced(String id) {
    return STORED.stream().filter(s -> s.recordingId().equals(id)).count();
  }

  @Test
  void storageGoneForThirtySecondsAnswers503AndTheClientFinishesWhenItIsBack() throws Exception {
    NodeTusClient.install();
    byte[] audio = IngestHarness.audio(12_000_000, 81);
    CompletableFuture<JsonObject> upload = tusUpload(audio, "storage-outage.wav");
    // Cut storage once the upload is under way.
    await().atMost(Duration.ofSeconds(30)).until(() -> harness.runtime().registry()
        .find("sessionflow.upload.bytes").counter() != null && harness.runtime().registry()
        .find("sessionflow.upload.bytes").counter().count() > 2_000_000);
    harness.s3Proxy.down();
    try {
      // For the whole outage, the API says "come back later" rather than failing or hanging.
      await().during(OUTAGE).atMost(OUTAGE.plusSeconds(15)).pollInterval(Duration.ofSeconds(2)).until(() -> {
        HttpResponse<String> created = harness.send(harness.request("/files/", token).header("Tus-Resumable",
            "1.0.0").header("Upload-Length", "1000").header("Upload-Metadata", "consentId "
            + java.util.Base64.getEncoder().encodeToString(consent.getBytes())).POST(BodyPublishers.noBody()));
        return created.statusCode() == 503 && created.headers().firstValue("Retry-After").isPresent()
            && !upload.isDone();
      });
    } finally {
      harness.s3Proxy.up();
    }
    JsonObject done = upload.get(180, TimeUnit.SECONDS);
    assertThat(done.getBoolean("done")).isTrue();
    String id = TusProtocolIT.id(done.getString("url").replace(harness.base(), ""));
    assertThat(harness.stored(id)).isEqualTo(audio);
    await().atMost(Duration.ofSeconds(30)).until(() -> announced(id) == 1);
  }

  @Test
  void kafkaGoneForThirtySecondsLosesNoCompletedRecordingAndAnnouncesEachOnce() throws Exception {
    NodeTusClient.install();
    byte[] before = IngestHarness.audio(300_000, 82);
    harness.kafkaProxy.down();
    String oneShot;
    CompletableFuture<JsonObject> upload;
    try {
      // Storage is there: an upload completes and is acknowledged while its announcement waits.
      HttpResponse<String> created = harness.send(harness.request("/v1/recordings?consentId=" + consent, token)
          .POST(BodyPublishers.ofByteArray(before)));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      oneShot = new JsonObject(created.body()).getString("id");
      upload = tusUpload(IngestHarness.audio(3_000_000, 83), "kafka-outage.wav");
      await().during(OUTAGE).atMost(OUTAGE.plusSeconds(15)).pollInterval(Duration.ofSeconds(2)).until(() ->
          harness.send(harness.request("/health/ready", null).GET()).statusCode() == 503 && announced(oneShot) == 0);
    } finally {
      harness.kafkaProxy.up();
    }
    JsonObject done = upload.get(180, TimeUnit.SECONDS);
    assertThat(done.getBoolean("done")).isTrue();
    String tusId = TusProtocolIT.id(done.getString("url").replace(harness.base(), ""));
    await().atMost(Duration.ofSeconds(90)).until(() -> announced(oneShot) == 1 && announced(tusId) == 1);
    assertThat(harness.stored(oneShot)).isEqualTo(before);
    await().atMost(Duration.ofSeconds(30)).until(() -> harness.send(harness.request("/health/ready", null).GET())
        .statusCode() == 200);
    // Nothing is announced twice afterwards either.
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> announced(oneShot) == 1
        && announced(tusId) == 1);
  }
}
