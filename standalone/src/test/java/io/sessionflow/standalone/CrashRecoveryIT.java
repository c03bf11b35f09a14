package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.Topic;
import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the whole standalone (broker, object store and all four stages in one process)
 * while 20 tus uploads stream in and 20 stored recordings wait for or undergo transcription,
 * then a restart on the same data dir: the clients resume by themselves, nothing acknowledged
 * is lost, nothing is done twice, and all audio is purged with a receipt.
 *
 * <p>The instance runs a generated random-weight model of the small test shape ({@link
 * ModelShape#SMALL}): every recording still goes through whisper.cpp's real inference, at about a
 * twentieth of the CPU a window of the tiny shape takes. So that the kill still finds most of the
 * stored recordings waiting, they are uploaded side by side just before the tus clients start, and
 * the test checks that they were not all transcribed yet when the process was killed.
 */
class CrashRecoveryIT {
  private static final Path TUS_CLIENT = Path.of("..", "ingest", "src", "test", "js").toAbsolutePath();
  private static final int UPLOADS = 20;
  @TempDir
  Path work;

  @Test
  void aKilledInstanceRestartsOnItsDataDirAndEveryUploadAndTranscriptionCompletesOnce() throws Exception {
    Path dataDir = work.resolve("data");
    Path logs = work.resolve("logs");
    int port = FreePorts.find();
    StandaloneClient api = new StandaloneClient(port, dataDir, logs);
    Path model = GgmlModelWriter.write(work.resolve("model.bin"), ModelShape.SMALL, 1);
    String[] serve = {"--data-dir", dataDir.toString(), "--port", Integer.toString(port), "--model",
        model.toString()};
    Map<String, String> sha256ById = new ConcurrentHashMap<>();
    Map<Path, String> sha256ByFile = new HashMap<>();
    List<String> files = new ArrayList<>();
    for (int i = 0; i < UPLOADS; i++) {
      byte[] wav = StandaloneProcess.wav(15, 500 + i);
      Path file = Files.write(work.resolve("tus-" + i + ".wav"), wav);
      files.add(file.toString());
      sha256ByFile.put(file, sha256(wav));
    }
    new NodeTool(TUS_CLIENT).install("tus-js-client");

    StandaloneProcess first = StandaloneProcess.start(logs, serve);
    Process client;
    List<String> printed = new CopyOnWriteArrayList<>();
    String token;
    Set<String> storedBeforeKill;
    ExecutorService uploaders = Executors.newFixedThreadPool(4);
    try {
      first.awaitReady(port, Duration.ofSeconds(90));
      token = api.token("ther-crash", "therapist", "practice-crash");
      String consent = api.consent(token, "client-crash");
      List<Future<?>> stored = new ArrayList<>();
      for (int i = 0; i < UPLOADS; i++) {
        byte[] wav = StandaloneProcess.wav(3, 900 + i);
        String sha256 = sha256(wav);
        String therapist = token;
        stored.add(uploaders.submit(() -> sha256ById.put(api.upload(therapist, consent, wav), sha256)));
      }
      for (Future<?> upload : stored) {
        upload.get();
      }
      storedBeforeKill = Set.copyOf(sha256ById.keySet());
      List<String> command = new ArrayList<>(List.of("node", "tus-many.mjs", "--endpoint", api.base() + "/files/",
          "--token", token, "--consent", consent, "--chunk-size", Integer.toString(64 * 1024)));
      command.addAll(files);
      client = new ProcessBuilder(command).directory(TUS_CLIENT.toFile()).redirectErrorStream(true).start();
      Thread reader = new Thread(() -> {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(client.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            printed.add(line);
          }
        } catch (java.io.IOException e) {
          printed.add("reader stopped: " + e.getMessage());
        }
      }, "tus-many-output");
      reader.setDaemon(true);
      reader.start();
      // Kill once most uploads are under way and none is finished.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> uploadsUnderWay(printed)
          >= UPLOADS / 2);
    } finally {
      first.kill();
      uploaders.shutdownNow();
    }
    Path transcripts = dataDir.resolve("objects").resolve("sessionflow").resolve("transcripts");
    long transcribedBeforeKill = storedBeforeKill.stream()
        .filter(id -> Files.exists(transcripts.resolve(id + ".json"))).count();
    long acknowledgedBeforeKill = printed.stream().filter(l -> l.startsWith("{\"progress\"")).count();

    try (StandaloneProcess second = StandaloneProcess.start(logs, serve)) {
      System.out.println("crash recovery: " + transcribedBeforeKill + " of " + UPLOADS
          + " stored recordings transcribed before the kill");
      assertThat(transcribedBeforeKill).as("stored recordings waiting for or undergoing transcription at the kill")
          .isLessThan(UPLOADS);
      second.awaitReady(port, Duration.ofSeconds(90));
      assertThat(client.waitFor(180, TimeUnit.SECONDS)).as("the clients finish: " + tail(printed)).isTrue();
      JsonArray results = printed.stream().filter(l -> l.startsWith("{\"results\"")).findFirst()
          .map(l -> new JsonObject(l).getJsonArray("results")).orElseThrow(() -> new AssertionError(tail(printed)));
      for (Object r : results) {
        JsonObject result = (JsonObject) r;
        assertThat(result.getBoolean("done")).as(result.encode()).isTrue();
        String url = result.getString("url");
        sha256ById.put(url.substring(url.lastIndexOf('/') + 1), sha256ByFile.get(Path.of(result.getString("file"))));
      }
      assertThat(sha256ById).hasSize(2 * UPLOADS);
      System.out.println("crash recovery: " + acknowledgedBeforeKill + " chunks acknowledged before the kill");

      Map<String, JsonObject> done = new ConcurrentHashMap<>();
      await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(2)).until(() -> {
        for (String id : sha256ById.keySet()) {
          JsonObject status = api.recording(id, token);
          if ("ANALYZED".equals(status.getString("status")) && "PURGED".equals(status.getString("audio"))) {
            done.put(id, status);
          }
          assertThat(status.getString("status")).as(id + ": " + status.encode()).isNotEqualTo("FAILED");
        }
        return done.size() == sha256ById.size();
      });

      Map<Topic, Map<String, Integer>> counts = StandaloneClient.eventsPerRecording(dataDir);
      Map<String, String> storedHashes = StandaloneClient.storedHashes(dataDir);
      int announcedTwice = 0;
      for (Map.Entry<String, String> expected : sha256ById.entrySet()) {
        String id = expected.getKey();
        assertThat(storedHashes.get(id)).as("the stored audio of " + id + " is what the client sent")
            .isEqualTo(expected.getValue());
        for (Topic topic : Set.of(Topic.RECORDING_STORED, Topic.AUDIO_PURGED)) {
          assertThat(counts.get(topic).getOrDefault(id, 0)).as(topic + " of " + id).isEqualTo(1);
        }
        // A stage marks an announcement done right after publishing it: a kill between the two (and
        // only that) announces it once more after the restart.
        for (Topic topic : Set.of(Topic.TRANSCRIPT_READY, Topic.ANALYSIS_READY)) {
          int n = counts.get(topic).getOrDefault(id, 0);
          assertThat(n).as(topic + " of " + id).isBetween(1, 2);
          announcedTwice += n - 1;
        }
      }
      // In flight at the kill: one transcription slot and two analyzer workers in standalone.
      assertThat(announcedTwice).as("announcements made twice").isLessThanOrEqualTo(3);
      StandaloneProcess.Result purge = StandaloneProcess.run(logs, "verify-purge", "--data-dir", dataDir.toString());
      assertThat(purge.exit()).as(purge.stdout()).isZero();
      await().atMost(Duration.ofSeconds(30)).until(() -> StandaloneProcess.run(logs, "verify-audit", "--data-dir",
          dataDir.toString()).exit() == 0);
      assertThat(second.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
    } finally {
      client.destroyForcibly();
    }
  }

  /** Uploads that have had a chunk acknowledged. */
  private static long uploadsUnderWay(List<String> printed) {
    return printed.stream().filter(l -> l.startsWith("{\"progress\"")).map(l -> new JsonObject(l).getInteger(
        "progress")).distinct().count();
  }

  private static String tail(List<String> printed) {
    return String.join("\n", printed.subList(Math.max(0, printed.size() - 10), printed.size()));
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
