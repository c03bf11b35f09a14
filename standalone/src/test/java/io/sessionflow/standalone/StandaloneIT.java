package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.EventStreams;
import io.sessionflow.common.kafka.Subscription;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone jar as a newcomer runs it: start, ready, tokens, a second instance, SIGTERM and restart. */
class StandaloneIT {
  @TempDir
  Path work;

  @Test
  void startsReadyWithinAMinuteAcceptsItsOwnTokensAndRefusesASecondInstance() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    try (StandaloneProcess serve = StandaloneProcess.start(work.resolve("logs"), "serve", "--data-dir",
        dataDir.toString(), "--port", Integer.toString(port))) {
      int millis = serve.awaitReady(port, Duration.ofSeconds(60));
      System.out.printf("standalone ready in %d ms%n", millis);
      assertThat(serve.stdout()).contains("Sessionflow is running").contains("http://127.0.0.1:" + port)
          .contains("token --data-dir");

      HttpResponse<String> ready = StandaloneProcess.get(port, "/health/ready", null);
      assertThat(new JsonObject(ready.body()).getJsonObject("checks").getMap())
          .containsEntry("kafka", "UP").containsEntry("object-store", "UP");
      assertThat(StandaloneProcess.metrics(port, dataDir)).contains("jvm_memory_used_bytes");

      StandaloneProcess.Result token = StandaloneProcess.run(work.resolve("logs"), "token", "--data-dir",
          dataDir.toString(), "--subject", "therapist-7", "--role", "therapist", "--practice", "practice-3");
      assertThat(token.exit()).isZero();
      String jwt = token.stdout().trim();
      assertThat(jwt.split("\\.")).hasSize(3);
      HttpResponse<String> me = StandaloneProcess.get(port, "/v1/me", jwt);
      assertThat(me.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(me.body()).getString("practice")).isEqualTo("practice-3");

      HttpResponse<String> anonymous = StandaloneProcess.get(port, "/v1/me", null);
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(StandaloneProcess.status(port, "/v1/me", jwt.substring(0, jwt.length() - 4) + "AAAA"))
          .isEqualTo(401);

      StandaloneProcess.Result second = StandaloneProcess.run(work.resolve("logs"), "serve", "--data-dir",
          dataDir.toString(), "--port", Integer.toString(FreePorts.find()));
      assertThat(second.exit()).isEqualTo(1);
      assertThat(second.stderr()).contains("Another Sessionflow instance").contains("already running on data dir");
      assertThat(serve.isAlive()).isTrue();
    }
  }

  @Test
  void sigtermShutsDownInOrderAndARestartKeepsWhatWasAcknowledged() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    String marker = "restart-" + System.nanoTime();
    try (StandaloneProcess first = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port))) {
      first.awaitReady(port, Duration.ofSeconds(60));
      try (EventStream events = eventsOf(dataDir)) {
        events.publisher().publish(new AuditEvent(1, Instant.now(), marker, "it", "system", "restart.check",
            "recording", marker, "ok")).get(30, TimeUnit.SECONDS);
      }
      int exit = first.terminate();
      assertThat(exit).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
      assertThat(first.stderr()).contains("stopped cleanly");
      assertThat(dataDir.resolve("instance.json")).doesNotExist();
    }

    try (StandaloneProcess second = StandaloneProcess.start(work.resolve("logs"), "serve", "--data-dir",
        dataDir.toString(), "--port", Integer.toString(port))) {
      second.awaitReady(port, Duration.ofSeconds(60));
      assertThat(second.stderr()).doesNotContain("created topics");
      List<String> seen = new CopyOnWriteArrayList<>();
      try (EventStream events = eventsOf(dataDir)) {
        EventStream.Consumer consumer = events.subscribe(Subscription.of("restart-check-" + System.nanoTime(),
            "it", Topic.AUDIT), e -> {
              seen.add(((AuditEvent) e.event()).auditId());
              return CompletableFuture.completedFuture(null);
            });
        try {
          await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains(marker));
        } finally {
          consumer.close();
        }
      }
      second.terminate();
    }
  }

  @Test
  void aTakenPortOrABadSettingStopsWithOneClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      StandaloneProcess.Result result = StandaloneProcess.run(work.resolve("logs"), "serve", "--data-dir",
          work.resolve("data").toString(), "--port", Integer.toString(taken.getLocalPort()));
      assertThat(result.exit()).isEqualTo(1);
      assertThat(result.stderr().strip()).isEqualTo("sessionflow: Port " + taken.getLocalPort()
          + " on 127.0.0.1 is already in use: stop whatever uses it or pass --port.");
    }
    StandaloneProcess.Result badPort = StandaloneProcess.run(work.resolve("logs"), "serve", "--port", "http");
    assertThat(badPort.exit()).isEqualTo(2);
    assertThat(badPort.stderr().strip())
        .isEqualTo("sessionflow: Invalid setting --port (env HTTP_PORT) = 'http' from --port: expected a whole number");
    StandaloneProcess.Result unknown = StandaloneProcess.run(work.resolve("logs"), "serve", "--prot", "8080");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.stderr()).contains("Unknown option --prot");
    StandaloneProcess.Result help = StandaloneProcess.run(work.resolve("logs"), "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.stdout()).contains("KAFKA_BOOTSTRAP_SERVERS").contains("token");
    assertThat(Files.exists(work.resolve("data").resolve("kafka"))).isFalse();
  }

  private static EventStream eventsOf(Path dataDir) throws Exception {
    return EventStreams.kafka(StandaloneProcess.kafkaConfig(dataDir, "it"), new SimpleMeterRegistry(),
        Clock.systemUTC());
  }
}
