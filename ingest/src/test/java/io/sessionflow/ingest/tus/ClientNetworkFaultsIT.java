package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.ingest.FaultProxy;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network faults between a client and the ingest, injected by a TCP proxy the way tusd's tests
 * use toxiproxy: a connection reset in the middle of a PATCH, a slow link, and a client that
 * stops sending mid-body. Every upload completes with exactly the bytes sent, and a stalled client
 * is cut off after the idle timeout with what it sent kept and its upload free to resume.
 */
class ClientNetworkFaultsIT {
  private static final String RETRIES = "200,500,1000,2000,3000";
  private static IngestHarness harness;
  private static String token;
  private static String consent;
  private FaultProxy proxy;
  @TempDir
  Path files;

  @BeforeAll
  static void start() throws Exception {
    harness = new IngestHarness(Map.of("http-idle-timeout", "2s"));
    token = harness.token("ther-net", Role.THERAPIST, "prac-net");
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"plover-8\","
            + "\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    consent = new JsonObject(created.body()).getString("id");
    NodeTusClient.install();
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @BeforeEach
  void proxy() {
    proxy = new FaultProxy("127.0.0.1", harness.port());
  }

  @AfterEach
  void closeProxy() {
    proxy.close();
  }

  private JsonObject uploadThroughProxy(byte[] audio, String... options) throws Exception {
    Path file = Files.write(files.resolve("upload.wav"), audio);
    String[] all = Arrays.copyOf(new String[] {"--consent", consent, "--retry-delays", RETRIES},
        4 + options.length);
    System.arraycopy(options, 0, all, 4, options.length);
    return NodeTusClient.upload("http://127.0.0.1:" + proxy.port() + "/files/", token, file, all);
  }

  private static String id(JsonObject printed) {
    String url = printed.getString("url");
    return url.substring(url.lastIndexOf('/') + 1);
  }

  @Test
  void aConnectionResetInTheMiddleOfAPatchIsResumedFromWhatWasKept() throws Exception {
    byte[] audio = IngestHarness.audio(8_000_000, 91);
    proxy.resetOnceAfter(3_000_000);
    JsonObject done = uploadThroughProxy(audio);
    assertThat(done.getBoolean("done")).isTrue();
    assertThat(proxy.resets()).as("the fault happened").isEqualTo(1);
    assertThat(harness.stored(id(done))).isEqualTo(audio);
  }

  @Test
  void aSlowLinkStillDeliversEveryByteInOrder() throws Exception {
    byte[] audio = IngestHarness.audio(3_000_000, 92);
    proxy.throttle(1_500_000);
    JsonObject done = uploadThroughProxy(audio, "--chunk-size", Integer.toString(1024 * 1024));
    assertThat(done.getBoolean("done")).isTrue();
    assertThat(harness.stored(id(done))).isEqualTo(audio);
  }

  @Test
  void aClientThatStallsMidBodyIsCutOffKeepsWhatItSentAndCanResume() throws Exception {
    byte[] audio = IngestHarness.audio(2_000_000, 93);
    HttpResponse<String> created = harness.send(harness.request("/files/", token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", Integer.toString(audio.length))
        .header("Upload-Metadata", TusProtocolIT.metadata(consent)).POST(BodyPublishers.noBody()));
    String location = created.headers().firstValue("Location").orElseThrow().replace(harness.base(), "");
    int sent = 700_000;
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
          + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
          + "Content-Length: " + audio.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(audio, 0, sent);
      out.flush();
      // Then nothing more: the server must give up on the connection by itself.
      InputStream in = socket.getInputStream();
      socket.setSoTimeout(30_000);
      long started = System.nanoTime();
      byte[] rest = in.readAllBytes();
      long waited = Duration.ofNanos(System.nanoTime() - started).toSeconds();
      assertThat(waited).as("closed after the 2 s idle timeout, not never: " + new String(rest,
          StandardCharsets.US_ASCII)).isLessThan(25);
    }
    // What arrived is kept, and the upload is not left locked: it resumes and completes.
    long offset = await().atMost(Duration.ofSeconds(20)).until(() -> TusProtocolIT.offset(harness.send(harness
        .request(location, token).header("Tus-Resumable", "1.0.0").method("HEAD", BodyPublishers.noBody()))),
        o -> o > 0);
    assertThat(offset).isLessThanOrEqualTo(sent);
    HttpResponse<String> resumed = harness.send(harness.request(location, token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", Long.toString(offset)).header("Content-Type", "application/offset+octet-stream")
        .method("PATCH", BodyPublishers.ofByteArray(Arrays.copyOfRange(audio, (int) offset, audio.length))));
    assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(204);
    assertThat(harness.stored(TusProtocolIT.id(location))).isEqualTo(audio);
  }
}
