package io.sessionflow.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.testing.EmbeddedInfra;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stage configured the way the Kubernetes manifests configure it (a SASL user and password from
 * the environment) publishes, consumes and manages topics through an authenticating listener; a
 * wrong password is refused, and the password appears in no error.
 */
class KafkaSaslIT {
  private static final String USER = "sessionflow-analyzer";
  private static final String PASSWORD = "s3cret-from-a-kubernetes-secret";
  private static EmbeddedKafkaBroker broker;
  private static String saslBootstrap;

  @BeforeAll
  static void start() {
    int saslPort = FreePorts.find();
    saslBootstrap = "127.0.0.1:" + saslPort;
    broker = EmbeddedKafkaBroker.start(EmbeddedInfra.tempDir("kafka-sasl-it"), props -> {
      props.put("listeners", props.get("listeners") + ",SASL_PLAINTEXT://" + saslBootstrap);
      props.put("advertised.listeners", props.get("advertised.listeners") + ",SASL_PLAINTEXT://" + saslBootstrap);
      props.put("listener.security.protocol.map", props.get("listener.security.protocol.map")
          + ",SASL_PLAINTEXT:SASL_PLAINTEXT");
      props.put("sasl.enabled.mechanisms", "PLAIN");
      props.put("listener.name.sasl_plaintext.plain.sasl.jaas.config",
          "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + USER + "=\"" + PASSWORD + "\";");
    });
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static KafkaConfig stageConfig(String password) {
    return KafkaConfig.from(ConfigSource.of(Map.of(), Map.of("KAFKA_BOOTSTRAP_SERVERS", saslBootstrap,
        "KAFKA_REPLICATION_FACTOR", "1", "KAFKA_PARTITIONS", "1", "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM", "PLAIN", "KAFKA_SASL_USERNAME", USER, "KAFKA_SASL_PASSWORD", password)));
  }

  @Test
  void anAuthenticatedStageManagesTopicsPublishesAndConsumes() throws Exception {
    KafkaConfig config = stageConfig(PASSWORD);
    try (TopicAdmin admin = new TopicAdmin(config);
        EventStream events = EventStreams.kafka(config, new SimpleMeterRegistry(), Clock.systemUTC())) {
      admin.ensureTopics(Duration.ofSeconds(30));
      assertThat(admin.reachable(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)).isTrue();
      events.publisher().publish(new AuditEvent(1, Instant.now(), "sasl-1", "tester", "system", "sasl.check",
          "recording", "rec-sasl", "ok")).get(20, TimeUnit.SECONDS);
      List<String> seen = new CopyOnWriteArrayList<>();
      EventStream.Consumer consumer = events.subscribe(Subscription.of("sasl-it", "test", Topic.AUDIT), event -> {
        seen.add(((AuditEvent) event.event()).action());
        return CompletableFuture.completedFuture(null);
      });
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains("sasl.check"));
      } finally {
        consumer.close();
      }
    }
  }

  @Test
  void aWrongPasswordIsRefusedWithoutRepeatingIt() throws Exception {
    String wrong = "not-the-password-" + System.nanoTime();
    try (TopicAdmin admin = new TopicAdmin(stageConfig(wrong))) {
      assertThat(admin.reachable(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)).isFalse();
      assertThatThrownBy(() -> admin.ensureTopics(Duration.ofSeconds(10)))
          .isInstanceOf(KafkaException.class)
          .satisfies(e -> {
            StringBuilder messages = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
              messages.append(t).append('\n');
            }
            assertThat(messages.toString()).contains("Authentication failed").doesNotContain(wrong)
                .doesNotContain(PASSWORD);
          });
    }
  }
}
