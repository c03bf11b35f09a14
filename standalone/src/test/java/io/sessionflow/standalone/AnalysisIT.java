package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analysis through the whole standalone pipeline (on the small test model, {@link
 * StandaloneProcess#smallModel}), and {@code analyze --transcript} on a file.
 */
class AnalysisIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir
  Path work;

  @Test
  void everyTranscriptGetsAnAnalysisServedAsJsonOrMarkdownInTheNoteFormatAsked() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    try (StandaloneProcess serve = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port), "--model", StandaloneProcess.smallModel(work).toString())) {
      serve.awaitReady(port, Duration.ofSeconds(90));
      String token = StandaloneProcess.run(work.resolve("logs"), "token", "--data-dir", dataDir.toString(),
          "--subject", "ther-an", "--practice", "practice-an").stdout().trim();
      String consent = new JsonObject(StandaloneProcess.send(port, "POST", "/v1/consents", token,
          ("{\"clientRef\":\"client-an\",\"scope\":[\"record\",\"transcribe\",\"analyze\"],\"formVersion\":\"v1\","
              + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}").getBytes(StandardCharsets.UTF_8)).body()).getString("id");
      HttpResponse<String> uploaded = StandaloneProcess.send(port, "POST", "/v1/recordings?consentId=" + consent,
          token, StandaloneProcess.wav(4, 7));
      assertThat(uploaded.statusCode()).isEqualTo(201);
      String id = new JsonObject(uploaded.body()).getString("id");
      // Each stage reads the consent: without 'transcribe' nothing is transcribed, without 'analyze' nothing analysed.
      String recordOnly = upload(port, token, "[\"record\"]");
      String noAnalysis = upload(port, token, "[\"record\",\"transcribe\"]");

      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() -> "ANALYZED".equals(
          new JsonObject(StandaloneProcess.get(port, "/v1/recordings/" + id, token).body()).getString("status")));
      HttpResponse<String> json = StandaloneProcess.send(port, "GET", "/v1/recordings/" + id + "/analysis",
          token, null);
      assertThat(json.statusCode()).isEqualTo(200);
      JsonObject analysis = new JsonObject(json.body());
      assertThat(analysis.getJsonObject("note").getString("format")).isEqualTo("DAP");
      assertThat(analysis.getString("disclaimer")).contains("not a clinical assessment");
      assertThat(analysis.getJsonObject("metrics").getDouble("durationSeconds")).isGreaterThan(3.5);
      assertThat(analysis.getJsonObject("notes").fieldNames()).containsExactlyInAnyOrder("DAP", "BIRP", "GIRP",
          "SOAP");

      HttpResponse<String> soap = StandaloneProcess.send(port, "GET", "/v1/recordings/" + id
          + "/analysis?noteFormat=soap", token, null);
      assertThat(new JsonObject(soap.body()).getJsonObject("note").getString("format")).isEqualTo("SOAP");
      HttpResponse<String> markdown = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/recordings/" + id + "/analysis")).header("Authorization", "Bearer " + token)
          .header("Accept", "text/markdown").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(markdown.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
          .startsWith("text/markdown"));
      assertThat(markdown.body()).startsWith("# Session analysis").contains("## Draft case note (DAP)");
      HttpResponse<String> jsonFirst = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/recordings/" + id + "/analysis")).header("Authorization", "Bearer " + token)
          .header("Accept", "text/markdown;q=0, application/json").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(jsonFirst.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(jsonFirst.headers().firstValue("Vary")).hasValue("Accept");
      HttpResponse<String> bad = StandaloneProcess.send(port, "GET", "/v1/recordings/" + id
          + "/analysis?noteFormat=XYZ", token, null);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("DAP, BIRP, GIRP or SOAP");
      HttpResponse<String> transcript = StandaloneProcess.send(port, "GET", "/v1/recordings/" + id
          + "/transcript", token, null);
      assertThat(new JsonObject(transcript.body()).getBoolean("pseudonymised")).isTrue();

      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).until(() -> "FAILED".equals(
          status(port, token, recordOnly).getString("status")) && "FAILED".equals(status(port, token, noAnalysis)
          .getString("status")) && "PURGED".equals(status(port, token, noAnalysis).getString("audio")));
      JsonObject notTranscribed = status(port, token, recordOnly);
      assertThat(notTranscribed.getJsonObject("failure").getString("stage")).isEqualTo("transcriber");
      assertThat(notTranscribed.getJsonObject("failure").getString("reason")).startsWith("consent-scope")
          .contains("'transcribe'");
      assertThat(StandaloneProcess.send(port, "GET", "/v1/recordings/" + recordOnly + "/transcript", token, null)
          .statusCode()).isEqualTo(404);
      JsonObject notAnalysed = status(port, token, noAnalysis);
      assertThat(notAnalysed.getJsonObject("failure").getString("stage")).isEqualTo("analyzer");
      assertThat(notAnalysed.getJsonObject("failure").getString("reason")).startsWith("consent-scope")
          .contains("'analyze'");
      assertThat(StandaloneProcess.send(port, "GET", "/v1/recordings/" + noAnalysis + "/transcript", token, null)
          .statusCode()).isEqualTo(200);
      assertThat(StandaloneProcess.send(port, "GET", "/v1/recordings/" + noAnalysis + "/analysis", token, null)
          .statusCode()).isEqualTo(404);
      assertThat(serve.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
    }
  }

  private static String upload(int port, String token, String scope) throws Exception {
    String consent = new JsonObject(StandaloneProcess.send(port, "POST", "/v1/consents", token,
        ("{\"clientRef\":\"client-an\",\"scope\":" + scope + ",\"formVersion\":\"v1\","
            + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}").getBytes(StandardCharsets.UTF_8)).body()).getString("id");
    HttpResponse<String> uploaded = StandaloneProcess.send(port, "POST", "/v1/recordings?consentId=" + consent,
        token, StandaloneProcess.wav(2, 8));
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
    return new JsonObject(uploaded.body()).getString("id");
  }

  private static JsonObject status(int port, String token, String id) throws Exception {
    return new JsonObject(StandaloneProcess.get(port, "/v1/recordings/" + id, token).body());
  }

  @Test
  void analyzePrintsTheAnalysisOfATranscriptFileAndRefusesBadInputWithoutQuotingIt() throws Exception {
    Path file = work.resolve("transcript.json");
    Files.writeString(file, "{\"language\":\"en\",\"model\":\"m\",\"audioSeconds\":20,\"segments\":["
        + "{\"id\":0,\"start\":0,\"end\":5,\"speaker\":\"A\",\"text\":\"How have you been sleeping, Jonah?\"},"
        + "{\"id\":1,\"start\":5,\"end\":12,\"speaker\":\"B\",\"text\":\"Badly. I've been drinking every night "
        + "to get to sleep, and my sister Priya is worried.\"}]}");
    StandaloneProcess.Result result = StandaloneProcess.run(work.resolve("logs"), "analyze", "--transcript",
        file.toString(), "--note-format", "GIRP");
    assertThat(result.exit()).as(result.stderr()).isZero();
    JsonObject analysis = new JsonObject(result.stdout());
    assertThat(analysis.getJsonArray("flags").getJsonObject(0).getString("category")).isEqualTo("substance_use");
    assertThat(analysis.getJsonObject("note").getString("format")).isEqualTo("GIRP");
    assertThat(result.stdout()).doesNotContain("Jonah").doesNotContain("Priya");

    Files.writeString(file, "{\"segments\": [ secret words here");
    StandaloneProcess.Result broken = StandaloneProcess.run(work.resolve("logs"), "analyze", "--transcript",
        file.toString());
    assertThat(broken.exit()).isEqualTo(2);
    assertThat(broken.stderr()).contains("is not transcript JSON").doesNotContain("secret");
    StandaloneProcess.Result missing = StandaloneProcess.run(work.resolve("logs"), "analyze", "--transcript",
        work.resolve("nope.json").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.stderr()).contains("No transcript file at");
  }

}
