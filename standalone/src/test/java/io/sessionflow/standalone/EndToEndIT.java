package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One session through the whole standalone pipeline, the way a therapist's web app drives it:
 * consent, a tus-js-client upload, transcript, analysis, the audio purged with a receipt, both
 * auditor commands passing, and afterwards not one window of the audio, the transcript's text or
 * the file name in plaintext anywhere in the data dir or the logs (nor the client's pseudonym in
 * the logs).
 */
class EndToEndIT {
  private static final Path TUS_CLIENT = Path.of("..", "ingest", "src", "test", "js");
  @TempDir
  Path work;

  @Test
  void aSessionGoesFromConsentToVerifiablyPurgedAudioAndLeavesNoPlaintextBehind() throws Exception {
    Path dataDir = work.resolve("data");
    Path logs = work.resolve("logs");
    int port = FreePorts.find();
    StandaloneClient api = new StandaloneClient(port, dataDir, logs);
    String clientRef = "client-e2e-" + Long.toString(System.nanoTime(), 36);
    String filename = "intake-session-with-" + clientRef + ".wav";
    byte[] wav = StandaloneProcess.wav(8, 8080);
    Path file = Files.write(work.resolve("upload.wav"), wav);
    PlaintextScan scan = new PlaintextScan().audio(wav).text(filename);
    String id;

    try (StandaloneProcess serve = StandaloneProcess.start(logs, "--data-dir", dataDir.toString(), "--port",
        Integer.toString(port))) {
      serve.awaitReady(port, Duration.ofSeconds(90));
      String token = api.token("ther-e2e", "therapist", "practice-e2e");
      String consent = api.consent(token, clientRef);

      String printed = new NodeTool(TUS_CLIENT).install("tus-js-client").node("tus-upload.mjs", "--endpoint",
          api.base() + "/files/", "--token", token, "--file", file.toString(), "--consent", consent, "--filename",
          filename, "--chunk-size", Integer.toString(64 * 1024));
      JsonObject upload = new JsonObject(printed.strip().lines().reduce((a, b) -> b).orElseThrow());
      assertThat(upload.getBoolean("done")).isTrue();
      id = upload.getString("url").substring(upload.getString("url").lastIndexOf('/') + 1);

      await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        JsonObject status = api.recording(id, token);
        return "ANALYZED".equals(status.getString("status")) && "PURGED".equals(status.getString("audio"));
      });
      assertThat(api.recording(id, token).getJsonArray("history").stream()
          .map(h -> ((JsonObject) h).getString("status"))).contains("STORED", "TRANSCRIBED", "ANALYZED");

      HttpResponse<String> transcript = api.send("GET", "/v1/recordings/" + id + "/transcript", token, null);
      assertThat(transcript.statusCode()).isEqualTo(200);
      List<String> texts = StandaloneClient.json(transcript).getJsonArray("segments").stream()
          .map(s -> ((JsonObject) s).getString("text").strip()).filter(t -> t.length() >= 8).toList();
      texts.forEach(scan::text);
      String plain = transcript.body();
      scan.text(plain.substring(plain.indexOf("\"segments\""), Math.min(plain.length(),
          plain.indexOf("\"segments\"") + 48)));

      HttpResponse<String> analysis = api.send("GET", "/v1/recordings/" + id + "/analysis", token, null);
      assertThat(analysis.statusCode()).isEqualTo(200);
      assertThat(StandaloneClient.json(analysis).getJsonObject("metrics").getInteger("segments"))
          .as("the analysis is of this transcript").isEqualTo(StandaloneClient.json(transcript)
              .getJsonArray("segments").size());

      JsonObject receipt = StandaloneClient.json(api.send("GET", "/v1/recordings/" + id + "/deletion-receipt",
          token, null)).getJsonObject("receipt");
      assertThat(receipt.getString("recordingId")).isEqualTo(id);
      assertThat(receipt.getString("reason")).isEqualTo("transcribed");
      assertThat(receipt.getJsonObject("verification").getBoolean("passed")).isTrue();

      StandaloneProcess.Result purge = StandaloneProcess.run(logs, "verify-purge", "--data-dir", dataDir.toString());
      assertThat(purge.exit()).as(purge.stdout() + purge.stderr()).isZero();
      await().atMost(Duration.ofSeconds(30)).until(() -> StandaloneProcess.run(logs, "verify-audit", "--data-dir",
          dataDir.toString()).exit() == 0);
      assertThat(serve.terminate()).isIn(0, 143);
    }

    StandaloneProcess.Result audit = StandaloneProcess.run(logs, "verify-audit", "--data-dir", dataDir.toString());
    assertThat(audit.exit()).as(audit.stdout()).isZero();
    assertThat(audit.stdout()).contains("result: INTACT");
    assertThat(scan.search(dataDir)).as("plaintext in the data dir").isEmpty();
    // The client's pseudonym is kept in the consent record (deletion by client finds it there), but
    // a log line has no business naming it.
    assertThat(scan.text(clientRef).search(logs)).as("plaintext in the logs").isEmpty();
    StringBuilder logged = new StringBuilder();
    try (Stream<Path> files = Files.list(logs)) {
      for (Path log : files.toList()) {
        logged.append(Files.readString(log));
      }
    }
    assertThat(logged).as("the logs were captured and name the recording by id").contains(id);
  }
}
