package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.EventStreams;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectStores;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole process stopped in the middle of a transcription — killed (-9) or asked to stop
 * (SIGTERM, which hands the job back after the window in progress): after a restart the job is
 * redone, and announced once.
 */
class TranscriberCrashIT {
  @TempDir
  Path work;

  @Test
  void aJobInterruptedByKill9IsRedoneAfterTheRestartAndAnnouncedOnce() throws Exception {
    interruptMidJobThenRestart(true);
  }

  @Test
  void sigtermHandsTheRunningJobBackPromptlyAndItIsRedoneAfterTheRestart() throws Exception {
    interruptMidJobThenRestart(false);
  }

  private void interruptMidJobThenRestart(boolean kill) throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    String id;
    String token;
    try (StandaloneProcess first = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port))) {
      first.awaitReady(port, Duration.ofSeconds(90));
      token = StandaloneProcess.run(work.resolve("logs"), "token", "--data-dir", dataDir.toString(), "--subject",
          "ther-crash").stdout().trim();
      HttpClient http = HttpClient.newHttpClient();
      String consent = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/consents")).header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"clientRef\":\"crash-1\",\"scope\":[\"record\"],"
              + "\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).getString("id");
      HttpResponse<String> uploaded = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/recordings?consentId=" + consent)).header("Authorization", "Bearer " + token)
          .POST(HttpRequest.BodyPublishers.ofByteArray(wav(240))).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(uploaded.statusCode()).isEqualTo(201);
      id = new JsonObject(uploaded.body()).getString("id");
      try (ObjectStore store = storeOf(dataDir)) {
        // The transcriber has claimed the job (attempt counted) and not finished it yet.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
            exists(store, "transcripts/" + id + ".job") && !exists(store, "transcripts/" + id + ".json"));
      }
      if (kill) {
        first.kill();
      } else {
        long started = System.nanoTime();
        assertThat(first.terminate()).isIn(0, 143);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("SIGTERM during a transcription: stopped in %.1f s%n", seconds);
        assertThat(first.stderr()).contains("stopped cleanly").doesNotContain("hs_err");
      }
    }
    try (StandaloneProcess second = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port))) {
      second.awaitReady(port, Duration.ofSeconds(90));
      // The analyzer follows the transcript at once, so the status may already have moved on.
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() ->
          Set.of("TRANSCRIBED", "ANALYZED").contains(new JsonObject(StandaloneProcess.get(port,
              "/v1/recordings/" + id, token).body()).getString("status")));
      try (ObjectStore store = storeOf(dataDir)) {
        String ledger = new String(store.get("sessionflow", "transcripts/" + id + ".job").join(),
            StandardCharsets.US_ASCII);
        assertThat(ledger).isEqualTo("2 published");
      }
      List<PipelineEvent> ready = new CopyOnWriteArrayList<>();
      JsonObject instance = StandaloneProcess.instance(dataDir);
      try (EventStream events = EventStreams.kafka(new KafkaConfig(instance.getString("kafkaBootstrapServers"), 1,
          (short) 1, "it"), new SimpleMeterRegistry(), Clock.systemUTC())) {
        EventStream.Replay replay = events.replay(Set.of(Topic.TRANSCRIPT_READY), e -> {
          if (e.event() instanceof TranscriptReadyEvent t && t.recordingId().equals(id)) {
            ready.add(t);
          }
          return CompletableFuture.completedFuture(null);
        });
        replay.caughtUp().join();
        replay.close();
      }
      assertThat(ready).hasSize(1);
      second.terminate();
    }
  }

  private static boolean exists(ObjectStore store, String key) {
    return !store.listKeys("sessionflow", key).join().isEmpty();
  }

  private static ObjectStore storeOf(Path dataDir) throws Exception {
    JsonObject instance = StandaloneProcess.instance(dataDir);
    Properties credentials = new Properties();
    try (var in = Files.newInputStream(dataDir.resolve("secrets/s3-credentials.properties"))) {
      credentials.load(in);
    }
    return ObjectStores.s3(new StorageConfig(Optional.of(URI.create(instance.getString("s3Endpoint"))), "us-east-1",
        "sessionflow", "sessionflow", credentials.getProperty("accessKey"), credentials.getProperty("secretKey"),
        true, StorageConfig.MIN_PART_SIZE));
  }

  /** A mono 16 kHz WAV of a tone that changes pitch every second (no file on disk). */
  static byte[] wav(int seconds) {
    int rate = 16_000;
    int samples = rate * seconds;
    ByteBuffer data = ByteBuffer.allocate(samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < samples; i++) {
      double hz = 200 + 100 * ((i / rate) % 5);
      data.putShort((short) (8000 * Math.sin(2 * Math.PI * hz * i / rate)));
    }
    ByteBuffer header = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2)
        .put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
        .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header.array());
    out.writeBytes(data.array());
    return out.toByteArray();
  }
}
