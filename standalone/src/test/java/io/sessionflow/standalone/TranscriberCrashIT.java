package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.EventStreams;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The whole process stopped in the middle of a transcription — killed (-9) or asked to stop
 * (SIGTERM, which hands the job back after the window in progress): after a restart the job is
 * redone, and announced once.
 *
 * <p>The instances run a generated random-weight model of the small test shape ({@link
 * ModelShape#SMALL}): the job still goes window by window through whisper.cpp's real inference,
 * at about a twentieth of a tiny-shaped window's CPU. The recording is long enough (many windows)
 * that the interruption lands while windows are left to do, and the claim is watched on the data
 * dir's files, so the kill follows it within milliseconds. The two cases run side by side: the one
 * killed spends most of its time idle, waiting for the broker to expire the dead consumers.
 */
class TranscriberCrashIT {
  /** 16 windows: about 4 s of work on an idle machine, where the interruption follows the claim within 50 ms. */
  private static final int AUDIO_SECONDS = 480;
  @TempDir
  Path work;

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aJobInterruptedByKill9IsRedoneAfterTheRestartAndAnnouncedOnce() throws Exception {
    interruptMidJobThenRestart(true);
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void sigtermHandsTheRunningJobBackPromptlyAndItIsRedoneAfterTheRestart() throws Exception {
    interruptMidJobThenRestart(false);
  }

  private void interruptMidJobThenRestart(boolean kill) throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    String model = GgmlModelWriter.write(work.resolve("model.bin"), ModelShape.SMALL, 1).toString();
    String id;
    String token;
    try (StandaloneProcess first = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port), "--model", model)) {
      first.awaitReady(port, Duration.ofSeconds(90));
      token = StandaloneProcess.run(work.resolve("logs"), "token", "--data-dir", dataDir.toString(), "--subject",
          "ther-crash", "--practice", "practice-crash").stdout().trim();
      HttpClient http = HttpClient.newHttpClient();
      String consent = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/consents")).header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"clientRef\":\"crash-1\","
              + "\"scope\":[\"record\",\"transcribe\",\"analyze\"],"
              + "\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).getString("id");
      HttpResponse<String> uploaded = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/recordings?consentId=" + consent)).header("Authorization", "Bearer " + token)
          .POST(HttpRequest.BodyPublishers.ofByteArray(StandaloneProcess.wav(AUDIO_SECONDS, 1))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(uploaded.statusCode()).isEqualTo(201);
      id = new JsonObject(uploaded.body()).getString("id");
      // The transcriber has claimed the job (attempt counted) and not finished it yet.
      Path objects = dataDir.resolve("objects").resolve("sessionflow").resolve("transcripts");
      await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).until(() ->
          Files.exists(objects.resolve(id + ".job")) && !Files.exists(objects.resolve(id + ".json")));
      if (kill) {
        first.kill();
      } else {
        long started = System.nanoTime();
        assertThat(first.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("SIGTERM during a transcription: stopped in %.1f s%n", seconds);
        assertThat(first.stderr()).contains("stopped cleanly").doesNotContain("hs_err");
      }
    }
    try (StandaloneProcess second = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port), "--model", model)) {
      second.awaitReady(port, Duration.ofSeconds(90));
      // The analyzer follows the transcript at once, so the status may already have moved on.
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() ->
          Set.of("TRANSCRIBED", "ANALYZED").contains(new JsonObject(StandaloneProcess.get(port,
              "/v1/recordings/" + id, token).body()).getString("status")));
      try (ObjectStore store = StandaloneProcess.storeOf(dataDir)) {
        String ledger = new String(store.get("sessionflow", "transcripts/" + id + ".job").join(),
            StandardCharsets.US_ASCII);
        assertThat(ledger).isEqualTo("2 published");
      }
      List<PipelineEvent> ready = new CopyOnWriteArrayList<>();
      try (EventStream events = EventStreams.kafka(StandaloneProcess.kafkaConfig(dataDir, "it"),
          new SimpleMeterRegistry(), Clock.systemUTC())) {
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
}
