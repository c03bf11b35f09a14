package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.ingest.FaultProxy;
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

  /** Runs tus-js-client on the file with the given options; returns what it printed. */
  static JsonObject upload(Path file, String... options) throws Exception {
    String[] all = new String[options.length + 2];
    all[0] = "--consent";
    all[1] = consentId;
    System.arraycopy(options, 0, all, 2, options.length);
    return NodeTusClient.upload(harness.base() + "/files/", token, file, all);
  }

  /**
   * Runs tus-js-client through a slow link and has it give up after {@code stopAfter} bytes, in
   * the middle of its PATCH body: at full speed the server could have the whole file before the
   * client's progress report lets it stop. Returns what it printed, its URL pointing at the server.
   */
  static JsonObject uploadCutShort(Path file, long stopAfter) throws Exception {
    try (FaultProxy slowLink = new FaultProxy("127.0.0.1", harness.port())) {
      slowLink.throttle(4_000_000);
      String viaProxy = "http://127.0.0.1:" + slowLink.port();
      JsonObject printed = NodeTusClient.upload(viaProxy + "/files/", token, file, "--consent", consentId,
          "--stop-after", Long.toString(stopAfter));
      assertThat(printed.getBoolean("done")).as("stopped mid-upload").isFalse();
      return printed.put("url", printed.getString("url").replace(viaProxy, harness.base()));
    }
  }

  /** The upload path of a URL tus-js-client printed. */
  static String path(JsonObject printed) {
    return printed.getString("url").replace(harness.base(), "");
  }

  @Test
  void anUploadInterruptedMidwayKeepsItsBytesResumesAndCompletes() throws Exception {
    byte[] audio = TusProtocolIT.audio(16_000_000, 21);
    Path file = file("interrupted.wav", audio);
    JsonObject first = uploadCutShort(file, 6_000_000);
    String location = path(first);
    // The server notices the dropped connection and saves what arrived; HEAD then reports it.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(TusProtocolIT.offset(TusProtocolIT.head(token, location)))
            .as("bytes received before the drop are kept").isPositive().isLessThan(audio.length));

    JsonObject resumed = upload(file, "--resume-url", first.getString("url"));
    assertThat(resumed.getBoolean("done")).isTrue();
    assertThat(resumed.getString("url")).isEqualTo(first.getString("url"));
    assertThat(TusProtocolIT.stored(TusProtocolIT.id(location))).isEqualTo(audio);
  }

  @Test
  void anUploadResumesOnARestartedServer() throws Exception {
    byte[] audio = TusProtocolIT.audio(14_000_000, 22);
    Path file = file("restart.wav", audio);
    JsonObject first = uploadCutShort(file, 7_000_000);
    harness.restart();
    assertThat(upload(file, "--resume-url", first.getString("url")).getBoolean("done")).isTrue();
    assertThat(TusProtocolIT.stored(TusProtocolIT.id(path(first)))).isEqualTo(audio);
  }

  @Test
  void aParallelUploadIsJoinedByConcatenation() throws Exception {
    byte[] audio = TusProtocolIT.audio(13_000_000, 23);
    Path file = file("parallel.wav", audio);
    JsonObject done = upload(file, "--parallel", "3");
    assertThat(done.getBoolean("done")).isTrue();
    String location = path(done);
    assertThat(TusProtocolIT.head(token, location).headers().firstValue("Upload-Concat").orElseThrow())
        .startsWith("final;/files/");
    assertThat(TusProtocolIT.stored(TusProtocolIT.id(location))).isEqualTo(audio);
  }
}
