package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tus-js-client, a real client, against the real ingest: interrupted and resumed, across a restart, in parallel. */
class TusJsClientIT {
  static IngestHarness harness;
  static String token;
  static String consentId;
  @TempDir
  static Path files;

  @BeforeAll
  static void start() throws Exception {
    NodeTusClient.install();
    harness = new IngestHarness(Map.of());
    TusProtocolIT.harness = harness;
    token = harness.token("ther-js", Role.THERAPIST, "prac-js");
    consentId = TusProtocolIT.consent(token, "[\"record\"]");
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  static Path file(String name, byte[] data) throws Exception {
    Path file = files.resolve(name);
    Files.write(file, data);
    return file;
  }

  @Test
  void anUploadInterruptedMidwayKeepsItsBytesResumesAndCompletes() throws Exception {
    byte[] audio = TusProtocolIT.audio(16_000_000, 21);
    Path file = file("interrupted.wav", audio);
    JsonObject first = NodeTusClient.upload(harness.base() + "/files/", token, file, "--consent", consentId,
        "--stop-after", "6000000");
    assertThat(first.getBoolean("done")).isFalse();
    String location = first.getString("url").replace(harness.base(), "");
    // The server notices the dropped connection and saves what arrived; HEAD then reports it.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(TusProtocolIT.offset(TusProtocolIT.head(token, location)))
            .as("bytes received before the drop are kept").isPositive().isLessThan(audio.length));

    JsonObject resumed = NodeTusClient.upload(harness.base() + "/files/", token, file, "--consent", consentId,
        "--resume-url", first.getString("url"));
    assertThat(resumed.getBoolean("done")).isTrue();
    assertThat(resumed.getString("url")).isEqualTo(first.getString("url"));
    assertThat(TusProtocolIT.stored(TusProtocolIT.id(location))).isEqualTo(audio);
  }

  @Test
  void anUploadResumesOnARestartedServer() throws Exception {
    byte[] audio = TusProtocolIT.audio(14_000_000, 22);
    Path file = file("restart.wav", audio);
    JsonObject first = NodeTusClient.upload(harness.base() + "/files/", token, file, "--consent", consentId,
        "--stop-after", "7000000");
    harness.restart();
    JsonObject resumed = NodeTusClient.upload(harness.base() + "/files/", token, file, "--consent", consentId,
        "--resume-url", first.getString("url"));
    assertThat(resumed.getBoolean("done")).isTrue();
    String location = first.getString("url").replace(harness.base(), "");
    assertThat(TusProtocolIT.stored(TusProtocolIT.id(location))).isEqualTo(audio);
  }

  @Test
  void aParallelUploadIsJoinedByConcatenation() throws Exception {
    byte[] audio = TusProtocolIT.audio(13_000_000, 23);
    Path file = file("parallel.wav", audio);
    JsonObject done = NodeTusClient.upload(harness.base() + "/files/", token, file, "--consent", consentId,
        "--parallel", "3");
    assertThat(done.getBoolean("done")).isTrue();
    String location = done.getString("url").replace(harness.base(), "");
    assertThat(TusProtocolIT.head(token, location).headers().firstValue("Upload-Concat")).hasValue("final");
    assertThat(TusProtocolIT.stored(TusProtocolIT.id(location))).isEqualTo(audio);
  }
}
