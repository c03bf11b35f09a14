package io.sessionflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.runtime.OpsServer;
import io.sessionflow.ingest.auth.Role;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The public port's HTTP hygiene, with raw sockets where a client library would tidy the request:
 * dot segments and encoded slashes, ambiguous body framing and folded headers are refused before
 * routing; PHI-bearing answers are not cacheable; the dashboard's CSP; CORS from the allow-list
 * only; metrics for the ops role on the public port and unauthenticated on the ops port.
 */
class HttpHygieneIT {
  static IngestHarness harness;
  static String therapist;
  static String ops;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of("cors-allowed-origins", "https://app.example, https://admin.example:8443"));
    therapist = harness.token("ther-h", Role.THERAPIST, "prac-h");
    ops = harness.token("ops-h", Role.OPS, null);
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/v1/%2e%2e/metrics", "/v1/%2E%2E/metrics", "/v1/%2e%2E/metrics", "/v1/.%2e/metrics",
      "/v1/../metrics", "/v1/./me", "/v1/%2e/me", "/files/../metrics", "/v1/recordings/abc%2f..%2fx",
      "/v1/recordings/abc%2Fdef", "/v1/recordings/abc%5cdef", "/v1/recordings/a\\b", "/v1/me/."})
  void dotSegmentsAndEncodedSlashesAreRefusedBeforeRouting(String path) {
    String answer = raw("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ops
        + "\r\nConnection: close\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400 ").containsIgnoringCase("content-type: application/problem+json")
        .doesNotContain("# HELP").doesNotContain("\"subject\"");
    assertThat(answer.toLowerCase()).contains("cache-control: no-store").contains("x-content-type-options: nosniff");
  }

  @Test
  void contentLengthWithTransferEncodingIsRefusedAndTheConnectionClosed() {
    // Netty alone would drop Content-Length, read the chunks, and keep the connection for what follows.
    String answer = raw("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + therapist
        + "\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2\r\n{}\r\n0\r\n\r\nGET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + therapist + "\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400 ").containsIgnoringCase("application/problem+json")
        .contains("both Content-Length and Transfer-Encoding").containsIgnoringCase("connection: close");
    assertThat(answer).as("the smuggled request is never answered").containsOnlyOnce("HTTP/1.1 ");
    // HTTP/1.0, where Netty keeps both headers, is refused by the router's first handler.
    assertThat(raw("POST /v1/consents HTTP/1.0\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2\r\n{}\r\n0\r\n\r\n")).startsWith("HTTP/1.0 400 ").contains("both Content-Length and Transfer-Encoding");
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip, chunked", "chunked, identity", "identity"})
  void transferCodingsOtherThanChunkedAreRefused(String coding) {
    String answer = raw("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + therapist
        + "\r\nTransfer-Encoding: " + coding + "\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400 ").contains("Transfer-Encoding");
  }

  @Test
  void twoTransferEncodingHeadersAreRefused() {
    String answer = raw("POST /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + therapist
        + "\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nConnection: close\r\n\r\n"
        + "2\r\n{}\r\n0\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400 ").contains("Transfer-Encoding");
  }

  @ParameterizedTest
  @ValueSource(strings = {" ", "\t"})
  void foldedHeadersAreRefused(String fold) {
    String answer = raw("GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n" + fold + therapist
        + "\r\nConnection: close\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400 ").containsIgnoringCase("application/problem+json")
        .contains("obsolete line folding").doesNotContain("\"subject\"");
  }

  @Test
  void aWellFormedPipelinedRequestStillPassesAndAFoldedOneAfterItIsRefused() {
    String answer = raw("GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + therapist + "\r\n\r\n"
        + "GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n b\r\nAuthorization: Bearer " + therapist + "\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 200 ").contains("\"subject\":\"ther-h\"").contains("HTTP/1.1 400 ");
  }

  @Test
  void answersThatMayCarryPhiAreNeverCached() {
    for (HttpResponse<String> response : new HttpResponse[] {
        get("/v1/me", therapist), get("/v1/me", null), get("/v1/recordings/" + io.sessionflow.common.crypto.Ids
            .newId(), therapist), get("/v1/nothing-here", therapist), get("/files/none", therapist),
        harness.send(harness.request("/files/", therapist).header("Tus-Resumable", "1.0.0")
            .POST(BodyPublishers.noBody()))}) {
      assertThat(response.headers().firstValue("Cache-Control")).as(response.uri() + " " + response.statusCode())
          .hasValue("no-store");
      assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }
    assertThat(get("/health/live", null).headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
  }

  @Test
  void theDashboardRunsUnderAStrictContentSecurityPolicy() {
    HttpResponse<String> page = get("/dashboard", null);
    assertThat(page.statusCode()).isEqualTo(200);
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline")
        .doesNotContain("unsafe-eval");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(page.body()).doesNotContainPattern("<script>|<script [^>]*>[^<]+</script>|<style|style=");
    assertThat(page.body()).contains("<script src=\"/dashboard/app.js\"></script>");
    HttpResponse<String> script = get("/dashboard/app.js", null);
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("Content-Type").orElse("")).startsWith("text/javascript");
    assertThat(script.body()).contains("/v1/ops/dashboard");
    assertThat(get("/dashboard/app.css", null).headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/css");
    assertThat(get("/dashboard/assets/uPlot.iife.min.js", null).statusCode()).isEqualTo(200);
  }

  @Test
  void corsAnswersOnlyTheAllowedOriginsAndNeverNull() {
    for (String origin : new String[] {"https://app.example", "https://admin.example:8443"}) {
      HttpResponse<String> preflight = harness.send(harness.request("/files/", null).header("Origin", origin)
          .header("Access-Control-Request-Method", "PATCH").header("Access-Control-Request-Headers",
              "authorization,tus-resumable,upload-offset,content-type").method("OPTIONS", BodyPublishers.noBody()));
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).as(origin).hasValue(origin);
      assertThat(get("/v1/me", therapist, origin).headers().firstValue("Access-Control-Allow-Origin"))
          .hasValue(origin);
    }
    for (String origin : new String[] {"null", "https://evil.example", "https://app.example.evil.example",
        "http://app.example", "https://APP.example.com"}) {
      HttpResponse<String> preflight = harness.send(harness.request("/files/", null).header("Origin", origin)
          .header("Access-Control-Request-Method", "PATCH").method("OPTIONS", BodyPublishers.noBody()));
      assertThat(preflight.headers().map().keySet()).as(origin)
          .noneMatch(h -> h.toLowerCase().startsWith("access-control-allow"));
      HttpResponse<String> me = get("/v1/me", therapist, origin);
      assertThat(me.statusCode()).isEqualTo(200);
      assertThat(me.headers().map().keySet()).as(origin).noneMatch(h -> h.toLowerCase().startsWith("access-control"));
      assertThat(me.headers().allValues("Vary")).contains("Origin");
    }
  }

  @Test
  void metricsNeedTheOpsRoleOnThePublicPortAndNothingOnTheOpsPort() {
    assertThat(get("/metrics", null).statusCode()).isEqualTo(401);
    assertThat(get("/metrics", therapist).statusCode()).isEqualTo(403);
    HttpResponse<String> scrape = get("/metrics", ops);
    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.body()).contains("sessionflow_http_responses_total");
    assertThat(raw("GET /v1/%2e%2e/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 400 ").doesNotContain("# HELP");
    assertThat(get("/health/live", null).statusCode()).isEqualTo(200);
    assertThat(get("/health/ready", null).statusCode()).isEqualTo(200);

    int opsPort = OpsServer.listen(harness.runtime(), harness.ingest().opsRouter(), "127.0.0.1", 0).actualPort();
    HttpResponse<String> internal = harness.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + opsPort
        + "/metrics")));
    assertThat(internal.statusCode()).isEqualTo(200);
    assertThat(internal.body()).contains("sessionflow_http_responses_total");
    assertThat(harness.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + opsPort + "/v1/me")))
        .statusCode()).as("the ops port serves no API").isEqualTo(404);
  }

  private static HttpResponse<String> get(String path, String token) {
    return harness.send(harness.request(path, token));
  }

  private static HttpResponse<String> get(String path, String token, String origin) {
    return harness.send(harness.request(path, token).header("Origin", origin));
  }

  /** Sends bytes as they are and reads until the server closes the connection (or 10 s of silence). */
  @Test
  void aRefusedHeadsAnswerSurvivesTheBodyTheClientIsStillSending() throws IOException {
    // A client that writes its whole body before it reads. Closed at once, the connection would answer
    // the rest of the body with a reset, and a reset can destroy the answer before it is read.
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(("OPTIONS /files/x HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
          + "Upload-Metadata: k " + "A".repeat(33_000) + "\r\nContent-Length: 1048576\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        assertThat(b).as("the answer's head: %s", head).isNotNegative();
        head.write(b);
      }
      assertThat(head.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 431 ")
          .containsIgnoringCase("connection: close");
      byte[] chunk = new byte[65_536];
      for (int i = 0; i < 16; i++) {
        socket.getOutputStream().write(chunk);
      }
      socket.shutdownOutput();
      // The problem's JSON, then the server's FIN: no reset at any point.
      assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).contains("\"status\":431");
    }
  }

  private static String raw(String request) {
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          out.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        // Kept open: return what came, the assertions say whether that was right.
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
