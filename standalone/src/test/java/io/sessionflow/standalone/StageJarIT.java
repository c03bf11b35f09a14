package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A production stage jar ({@code <module>/target/sessionflow-<stage>.jar} with its {@code lib/}),
 * configured only by environment variables, joins a running standalone's Kafka and S3.
 */
class StageJarIT {
  @TempDir
  Path work;

  @Test
  void aStageJarConfiguredFromEnvironmentVariablesBecomesReady() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    try (StandaloneProcess standalone = StandaloneProcess.start(work.resolve("logs"), "--data-dir",
        dataDir.toString(), "--port", Integer.toString(port))) {
      standalone.awaitReady(port, Duration.ofSeconds(60));
      JsonObject instance = StandaloneProcess.instance(dataDir);
      java.util.Properties credentials = new java.util.Properties();
      try (var in = Files.newInputStream(dataDir.resolve("secrets/s3-credentials.properties"))) {
        credentials.load(in);
      }
      int opsPort = FreePorts.find();
      java.util.Properties kafkaUser = new java.util.Properties();
      try (var in = Files.newInputStream(dataDir.resolve("secrets/kafka-credentials.properties"))) {
        kafkaUser.load(in);
      }
      Map<String, String> env = Map.ofEntries(
          Map.entry("KAFKA_BOOTSTRAP_SERVERS", instance.getString("kafkaBootstrapServers")),
          Map.entry("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
          Map.entry("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
          Map.entry("KAFKA_SASL_USERNAME", kafkaUser.getProperty("username")),
          Map.entry("KAFKA_SASL_PASSWORD", kafkaUser.getProperty("password")),
          Map.entry("KAFKA_REPLICATION_FACTOR", "1"),
          Map.entry("S3_ENDPOINT", instance.getString("s3Endpoint")),
          Map.entry("S3_PATH_STYLE", "true"),
          Map.entry("S3_ACCESS_KEY", credentials.getProperty("accessKey")),
          Map.entry("S3_SECRET_KEY", credentials.getProperty("secretKey")),
          Map.entry("KEK_URI", dataDir.resolve("secrets/kek.json").toString()),
          Map.entry("OPS_PORT", Integer.toString(opsPort)),
          Map.entry("BIND_HOST", "127.0.0.1"));
      Process purger = stage("purger", env, work.resolve("purger.log"));
      try {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
          assertThat(purger.isAlive()).as("purger exited: %s", Files.readString(work.resolve("purger.log")))
              .isTrue();
          return StandaloneProcess.status(opsPort, "/health/ready", null) == 200;
        });
        assertThat(StandaloneProcess.get(opsPort, "/metrics", null).body()).contains("component=\"purger\"");
        assertThat(StandaloneProcess.status(opsPort, "/v1/me", null)).isEqualTo(404);
      } finally {
        purger.destroy();
        assertThat(purger.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      // SIGTERM ran the stage's stop before the JVM's exit, and the exit code says SIGTERM.
      assertThat(purger.exitValue()).isEqualTo(143);
      assertThat(Files.readString(work.resolve("purger.log"))).contains("shutting down").doesNotContain("hs_err");
    }
  }

  @Test
  void aMissingSettingStopsTheStageWithOneLine() throws Exception {
    Process analyzer = stage("analyzer", Map.of("KEK_URI", "/nowhere/kek.json"), work.resolve("analyzer.log"));
    assertThat(analyzer.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(analyzer.exitValue()).isEqualTo(2);
    assertThat(Files.readString(work.resolve("analyzer.log")).strip()).isEqualTo(
        "sessionflow analyzer: Missing setting --kafka-bootstrap-servers (env KAFKA_BOOTSTRAP_SERVERS): "
            + "Kafka bootstrap servers, host:port[,host:port...]");
  }

  private static Process stage(String name, Map<String, String> env, Path log) throws Exception {
    Path jar = Path.of("..", name, "target", "sessionflow-" + name + ".jar").toAbsolutePath().normalize();
    assertThat(jar).exists();
    assertThat(jar.resolveSibling("lib")).isDirectory();
    ProcessBuilder builder = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-Xmx512m", "-jar", jar.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().keySet().removeIf(k -> k.startsWith("KAFKA_") || k.startsWith("S3_")
        || k.startsWith("KEK_") || k.startsWith("JWT_"));
    builder.environment().putAll(env);
    return builder.start();
  }
}
