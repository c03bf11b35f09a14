package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ops dashboard in a real browser: Debian's headless Chromium (installed by .ci/run) loads it
 * from a running standalone with an ops token, the charts draw live data, and a screenshot is kept
 * as a test artifact ({@code standalone/target/dashboard.png}).
 */
class DashboardIT {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path JS = Path.of("src", "test", "js").toAbsolutePath();
  static final Path SCREENSHOT = Path.of("target", "dashboard.png").toAbsolutePath();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir
  Path work;

  @Test
  void theDashboardRendersLiveChartsForAnOpsTokenAndShowsNothingToOthers() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    try (StandaloneProcess serve = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port), "--model", StandaloneProcess.smallModel(work).toString())) {
      serve.awaitReady(port, Duration.ofSeconds(90));
      String therapist = token(dataDir, "ther-dash", "therapist");
      String ops = token(dataDir, "ops-1", "ops");
      String consent = new JsonObject(StandaloneProcess.send(port, "POST", "/v1/consents", therapist,
          ("{\"clientRef\":\"client-dash\",\"scope\":[\"record\",\"transcribe\",\"analyze\"],\"formVersion\":\"v1\","
              + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}").getBytes(StandardCharsets.UTF_8)).body())
          .getString("id");
      String id = new JsonObject(StandaloneProcess.send(port, "POST", "/v1/recordings?consentId=" + consent, therapist,
          StandaloneProcess.wav(4, 11)).body()).getString("id");
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> "PURGED".equals(
          new JsonObject(StandaloneProcess.get(port, "/v1/recordings/" + id, therapist).body()).getString("audio")));

      // The purge refreshes the raw-audio gauges within seconds, not at the next minute's sweep.
      await().atMost(Duration.ofSeconds(15)).until(() -> new JsonObject(StandaloneProcess.get(port,
          "/v1/ops/dashboard", ops).body()).getDouble("rawAudioBytes") == 0.0);
      assertThat(StandaloneProcess.status(port, "/v1/ops/dashboard", null)).isEqualTo(401);
      assertThat(StandaloneProcess.status(port, "/v1/ops/dashboard", therapist)).isEqualTo(403);
      HttpResponse<String> snapshot = StandaloneProcess.get(port, "/v1/ops/dashboard", ops);
      JsonObject data = new JsonObject(snapshot.body());
      assertThat(data.getDouble("uploadBytesTotal")).isGreaterThan(100_000);
      assertThat(data.getJsonObject("recordings").getJsonObject("audio").getLong("PURGED")).isEqualTo(1);
      assertThat(snapshot.body()).doesNotContain(id).doesNotContain("client-dash").doesNotContain("ther-dash");
      assertThat(StandaloneProcess.get(port, "/metrics", ops).body())
          .containsPattern("sessionflow_http_responses_total\\{[^}]*status_class=\"4xx\"[^}]*} [1-9]")
          .contains("sessionflow_audit_chain_broken{component=\"standalone\"} 0.0");
      assertThat(monitoringMetrics()).as("every metric the alerts and the Grafana dashboard use is exported")
          .allSatisfy(name -> assertThat(StandaloneProcess.get(port, "/metrics", ops).body()).contains(name));
      String page = StandaloneProcess.get(port, "/dashboard", null).body();
      assertThat(page).contains("uPlot").doesNotContain(id);

      if (!Files.isExecutable(CHROMIUM)) {
        Assumptions.assumeTrue("true".equals(System.getenv("CI")) ? fail() : false,
            "Chromium is not installed (apt-get install chromium, as .ci/run does): browser part skipped");
      }
      String printed = new NodeTool(JS).install("playwright-core").node("dashboard-shot.mjs",
          "http://127.0.0.1:" + port + "/dashboard#token=" + ops, SCREENSHOT.toString(), CHROMIUM.toString());
      JsonObject result = new JsonObject(printed.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
          .orElseThrow(() -> new AssertionError("no result from the browser: " + printed)));
      System.out.println("dashboard in Chromium: " + result.encode());
      assertThat(result.getJsonArray("errors")).isEmpty();
      JsonArray charts = result.getJsonArray("charts");
      assertThat(charts).hasSize(8);
      assertThat(charts.stream().filter(inked -> ((Number) inked).intValue() > 500).count())
          .as("charts with lines and axes drawn").isEqualTo(8);
      assertThat(result.getJsonArray("tiles")).hasSize(7);
      assertThat(result.getString("status")).startsWith("live");
      assertThat(result.getString("url")).as("the token leaves the address bar").doesNotContain("token");
      assertThat(Files.size(SCREENSHOT)).isGreaterThan(20_000);
      assertThat(serve.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
    }
  }

  /** The metric names k8s/monitoring uses (alert rules and Grafana panels), without histogram suffixes. */
  static java.util.Set<String> monitoringMetrics() throws IOException {
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (String file : List.of("prometheus-rules.yaml", "grafana-dashboard.json")) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("sessionflow_[a-z_]+")
          .matcher(Files.readString(Path.of("..", "k8s", "monitoring", file)));
      while (m.find()) {
        names.add(m.group().replaceAll("_(bucket|sum|count)$", ""));
      }
    }
    assertThat(names).hasSizeGreaterThan(10);
    // Labelled by reason and error class, this one exists from the first failure on (none here).
    names.remove("sessionflow_purge_failures_total");
    return names;
  }

  private static boolean fail() {
    throw new AssertionError("CI must have Debian's chromium at " + CHROMIUM + "; .ci/run installs it");
  }

  private String token(Path dataDir, String subject, String role) {
    return StandaloneProcess.run(work.resolve("logs"), "token", "--data-dir", dataDir.toString(), "--subject",
        subject, "--role", role, "--practice", "practice-dash").stdout().trim();
  }
}
