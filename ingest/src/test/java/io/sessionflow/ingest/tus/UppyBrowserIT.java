package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sessionflow.ingest.FaultProxy;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uppy 6 with @uppy/tus, what a therapist's web app uploads with, in Debian's headless Chromium (installed
 * by .ci/run). The page comes from a server of its own, an origin the ingest allows but not the ingest's, so
 * every tus request needs the CORS preflight and the exposed headers a browser really checks.
 */
class UppyBrowserIT {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final int CHUNK = 256 * 1024;
  static HttpServer pages;
  static IngestHarness harness;
  static String token;
  static String consentId;
  @TempDir
  static Path files;

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      Assumptions.assumeTrue("true".equals(System.getenv("CI")) ? failWithoutChromium() : false,
          "Chromium is not installed (apt-get install chromium, as .ci/run does): Uppy tests skipped");
    }
    NodeTusClient.install();
    pages = servePage();
    // Fault proxies: the 503 test takes object storage away for a moment.
    harness = new IngestHarness(Map.of("cors-allowed-origins", pageOrigin()), true);
    token = harness.token("ther-uppy", Role.THERAPIST, "prac-uppy");
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"client-uppy\","
            + "\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    consentId = new JsonObject(created.body()).getString("id");
  }

  @AfterAll
  static void stop() {
    if (harness != null) {
      harness.close();
    }
    if (pages != null) {
      pages.stop(0);
    }
  }

  @Test
  void uppyUploadsARecordingCrossOriginInChunksWithRequestIds() throws Exception {
    byte[] audio = IngestHarness.audio(1_500_000, 61);
    JsonObject run = browser(pageOrigin() + "/", "--file", file("uppy-session.wav", audio).toString(),
        "--chunk-size", Integer.toString(CHUNK));

    assertThat(run.getString("origin")).isEqualTo(pageOrigin()).isNotEqualTo(harness.base());
    assertCleanPage(run);
    JsonObject upload = run.getJsonObject("upload");
    assertThat(upload.getJsonArray("failed")).isEmpty();
    assertThat(upload.getJsonArray("successful")).hasSize(1);
    String url = upload.getJsonArray("successful").getJsonObject(0).getString("uploadURL");
    assertThat(url).startsWith(harness.base() + "/files/");

    List<JsonObject> requests = requests(run, "first");
    assertThat(requests).extracting(r -> r.getString("method") + " " + r.getInteger("status"))
        .containsExactly("POST 201", "PATCH 204", "PATCH 204", "PATCH 204", "PATCH 204", "PATCH 204", "PATCH 204");
    assertThat(requests.subList(1, requests.size())).extracting(r -> r.getString("uploadOffset"))
        .containsExactly("0", "262144", "524288", "786432", "1048576", "1310720");
    assertThat(requests).extracting(r -> r.getString("requestId")).as("addRequestId: X-Request-ID on each")
        .doesNotContainNull().doesNotHaveDuplicates();

    String location = url.substring(harness.base().length());
    HttpResponse<String> head = harness.send(harness.request(location, token).header("Tus-Resumable", "1.0.0")
        .method("HEAD", BodyPublishers.noBody()));
    assertThat(head.headers().firstValue("Upload-Offset")).hasValue(Integer.toString(audio.length));
    assertThat(head.headers().firstValue("Upload-Length")).hasValue(Integer.toString(audio.length));
    assertThat(harness.stored(location.substring(location.lastIndexOf('/') + 1))).isEqualTo(audio);
  }

  @Test
  void uppyResumesWhereItStoppedWhenThePageIsReloadedMidUpload() throws Exception {
    byte[] audio = IngestHarness.audio(1_800_000, 62);
    JsonObject run = browser(pageOrigin() + "/", "--file", file("uppy-reloaded.wav", audio).toString(),
        "--chunk-size", Integer.toString(CHUNK), "--reload-at-offset", Integer.toString(3 * CHUNK));

    assertCleanPage(run);
    assertThat(run.getLong("heldAt")).isEqualTo(3L * CHUNK);
    List<JsonObject> first = requests(run, "first");
    assertThat(first).extracting(r -> r.getString("method")).containsExactly("POST", "PATCH", "PATCH", "PATCH");
    String url = first.get(1).getString("url");
    List<JsonObject> resumed = requests(run, "after-reload");
    assertThat(resumed).as("Uppy's fingerprint in localStorage: no new upload, HEAD then the rest").isNotEmpty();
    assertThat(resumed.get(0).getString("method")).isEqualTo("HEAD");
    assertThat(resumed.get(0).getString("responseOffset")).isEqualTo(Integer.toString(3 * CHUNK));
    assertThat(resumed).allSatisfy(r -> assertThat(r.getString("url")).isEqualTo(url));
    assertThat(resumed.subList(1, resumed.size())).extracting(r -> r.getString("method") + " "
        + r.getString("uploadOffset")).containsExactly("PATCH 786432", "PATCH 1048576", "PATCH 1310720",
        "PATCH 1572864");
    JsonObject upload = run.getJsonObject("upload");
    assertThat(upload.getJsonArray("failed")).isEmpty();
    assertThat(upload.getJsonArray("successful").getJsonObject(0).getString("uploadURL")).isEqualTo(url);
    assertThat(harness.stored(url.substring(url.lastIndexOf('/') + 1))).isEqualTo(audio);
  }

  @Test
  void uppyPausedInTheMiddleOfAPatchBodyResumesTheSameUploadAndCompletes() throws Exception {
    byte[] audio = IngestHarness.audio(8_000_000, 64);
    JsonObject run;
    try (FaultProxy slowLink = new FaultProxy("127.0.0.1", harness.port())) {
      // At loopback speed the body would be gone before the page could pause it.
      slowLink.throttle(8_000_000);
      run = browserVia("http://127.0.0.1:" + slowLink.port() + "/files/", pageOrigin() + "/", "--file",
          file("uppy-paused.wav", audio).toString(), "--pause-at", "3000000");
    }
    assertThat(run.getJsonArray("pageErrors")).isEmpty();
    assertThat(run.getLong("pausedAt")).isBetween(3_000_000L, audio.length - 1L);
    assertThat(run.getJsonArray("failedRequests")).as("the PATCH the pause aborted").hasSize(1)
        .allSatisfy(r -> assertThat(((JsonObject) r).getString("failure")).isEqualTo("net::ERR_ABORTED"));
    assertThat(run.getJsonArray("console")).noneSatisfy(line -> assertThat(line.toString()).containsIgnoringCase(
        "CORS"));
    List<JsonObject> requests = requests(run, "first");
    assertThat(requests).filteredOn(r -> "POST".equals(r.getString("method"))).as("one upload").hasSize(1);
    JsonObject upload = run.getJsonObject("upload");
    assertThat(upload.getJsonArray("failed")).isEmpty();
    String url = upload.getJsonArray("successful").getJsonObject(0).getString("uploadURL");
    assertThat(harness.stored(url.substring(url.lastIndexOf('/') + 1))).isEqualTo(audio);
  }

  @Test
  void pageCodeReadsRetryAfterOfA503AndWwwAuthenticateOfA401CrossOrigin() throws Exception {
    JsonObject run;
    harness.s3Proxy.down();
    try {
      run = browser(pageOrigin() + "/", "--probe");
    } finally {
      harness.s3Proxy.up();
    }
    assertThat(run.getJsonArray("pageErrors")).isEmpty();
    assertThat(run.getJsonArray("console")).as("the browser let the page read both answers")
        .noneSatisfy(line -> assertThat(line.toString()).containsIgnoringCase("CORS"));
    JsonObject unavailable = run.getJsonObject("probe").getJsonObject("withToken");
    assertThat(unavailable.getInteger("status")).as(unavailable.encode()).isEqualTo(503);
    assertThat(unavailable.getJsonObject("headers").getString("Retry-After")).as(unavailable.encode())
        .matches("[1-9][0-9]*");
    assertThat(unavailable.getJsonObject("headers").getString("Tus-Resumable")).isEqualTo("1.0.0");
    JsonObject unauthorized = run.getJsonObject("probe").getJsonObject("withoutToken");
    assertThat(unauthorized.getInteger("status")).as(unauthorized.encode()).isEqualTo(401);
    assertThat(unauthorized.getJsonObject("headers").getString("WWW-Authenticate")).as(unauthorized.encode())
        .startsWith("Bearer");
  }

  @Test
  void aPageOnAnOriginNotAllowedIsKeptFromTheIngestAndUppyFails() throws Exception {
    // Same server and port, other host name: another origin, not on the allow-list.
    String other = "http://localhost:" + pages.getAddress().getPort();
    JsonObject run = browser(other + "/", "--probe", "--file", file("uppy-refused.wav",
        IngestHarness.audio(300_000, 63)).toString(), "--retry-delays", "");

    assertThat(run.getString("origin")).isEqualTo(other);
    assertThat(run.getJsonObject("probe").getJsonObject("withToken").getString("failed"))
        .isEqualTo("TypeError: Failed to fetch");
    assertThat(run.getJsonObject("upload").getJsonArray("successful")).isEmpty();
    assertThat(run.getJsonObject("upload").getJsonArray("failed")).hasSize(1);
    assertThat(run.getJsonArray("console")).anySatisfy(line -> assertThat(line.toString())
        .contains("from origin '" + other + "' has been blocked by CORS policy"));
  }

  /** No script error, nothing on the console: a refused preflight or an unreadable header shows there. */
  private static void assertCleanPage(JsonObject run) {
    assertThat(run.getJsonArray("pageErrors")).as(run.encode()).isEmpty();
    assertThat(run.getJsonArray("console")).as(run.encode()).isEmpty();
    assertThat(run.getJsonArray("failedRequests")).as(run.encode()).isEmpty();
  }

  private static List<JsonObject> requests(JsonObject run, String phase) {
    List<JsonObject> requests = new ArrayList<>();
    for (Object request : run.getJsonArray("requests", new JsonArray())) {
      if (phase.equals(((JsonObject) request).getString("phase"))) {
        requests.add((JsonObject) request);
      }
    }
    return requests;
  }

  private static Path file(String name, byte[] data) throws IOException {
    return Files.write(files.resolve(name), data);
  }

  static String pageOrigin() {
    return "http://127.0.0.1:" + pages.getAddress().getPort();
  }

  /** The upload page and the Uppy bundle from node_modules, as a web app's own server would serve them. */
  private static HttpServer servePage() throws IOException {
    Map<String, Path> served = Map.of("/", NodeTusClient.DIR.resolve("uppy-page.html"),
        "/uppy.min.mjs", NodeTusClient.DIR.resolve("node_modules/uppy/dist/uppy.min.mjs"));
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/", exchange -> respond(exchange, served.get(exchange.getRequestURI().getPath())));
    server.start();
    return server;
  }

  private static void respond(HttpExchange exchange, Path file) throws IOException {
    try (exchange) {
      if (file == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = Files.readAllBytes(file);
      exchange.getResponseHeaders().set("Content-Type", file.toString().endsWith(".mjs")
          ? "text/javascript; charset=utf-8" : "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Runs uppy-upload.mjs on a page, the ingest's /files/ its endpoint, and returns the JSON line it printed. */
  private static JsonObject browser(String page, String... options) throws IOException, InterruptedException {
    return browserVia(harness.base() + "/files/", page, options);
  }

  private static JsonObject browserVia(String endpoint, String page, String... options)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("node", "uppy-upload.mjs", "--page", page, "--endpoint",
        endpoint, "--token", token, "--consent", consentId, "--chromium", CHROMIUM.toString()));
    command.addAll(List.of(options));
    Path log = Files.createTempFile(files, "uppy", ".log");
    Process process = new ProcessBuilder(command).directory(NodeTusClient.DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("uppy-upload.mjs timed out: " + Files.readString(log, StandardCharsets.UTF_8));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new AssertionError("uppy-upload.mjs failed (" + process.exitValue() + "): " + out);
    }
    String last = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no result from the browser: " + out));
    System.out.println("Uppy in Chromium: " + last);
    return new JsonObject(last);
  }

  private static boolean failWithoutChromium() {
    throw new AssertionError("CI must have Debian's chromium at " + CHROMIUM + "; .ci/run installs it");
  }
}
