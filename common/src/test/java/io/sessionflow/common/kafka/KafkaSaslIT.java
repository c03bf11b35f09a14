package io.sessionflow.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.config.KafkaSecurity;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.runtime.StartupException;
import io.sessionflow.common.testing.EmbeddedInfra;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.errors.AuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stage configured the way the Kubernetes manifests configure it (a SASL user and password from
 * the environment) publishes, consumes and manages topics through an authenticating listener; a
 * wrong password is refused, and the password appears in no error. And the broker's own
 * authenticated mode (standalone's): SCRAM-SHA-512 for clients, nothing served to a client without
 * the credential, the controller listener closed to everyone but the broker, and a directory first
 * formatted without authentication given the credential on its first authenticated start.
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

  private static final EmbeddedKafkaBroker.ScramUser SCRAM_USER = new EmbeddedKafkaBroker.ScramUser("sessionflow",
      "generated-0123456789abcdef");

  private static KafkaConfig config(String bootstrap, KafkaSecurity security) {
    return new KafkaConfig(bootstrap, 1, (short) 1, "sasl-it", security);
  }

  private static KafkaSecurity scram(String password) {
    return new KafkaSecurity("SASL_PLAINTEXT", EmbeddedKafkaBroker.SCRAM_MECHANISM, SCRAM_USER.username(), password,
        Optional.empty());
  }

  private static List<String> auditActions(KafkaConfig config) {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (EventStream events = EventStreams.kafka(config, new SimpleMeterRegistry(), Clock.systemUTC())) {
      EventStream.Replay replay = events.replay(Set.of(Topic.AUDIT), e -> {
        seen.add(((AuditEvent) e.event()).action());
        return CompletableFuture.completedFuture(null);
      });
      replay.caughtUp().join();
      replay.close();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return seen;
  }

  private static void publish(KafkaConfig config, String action) throws Exception {
    try (TopicAdmin admin = new TopicAdmin(config);
        EventStream events = EventStreams.kafka(config, new SimpleMeterRegistry(), Clock.systemUTC())) {
      admin.ensureTopics(Duration.ofSeconds(30));
      events.publisher().publish(new AuditEvent(1, Instant.now(), action, "tester", "system", action, "recording",
          "rec-" + action, "ok")).get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void theAuthenticatedBrokerServesItsScramUserAndNobodyElse() throws Exception {
    try (EmbeddedKafkaBroker scramBroker = EmbeddedKafkaBroker.startAuthenticated(
        EmbeddedInfra.tempDir("kafka-scram-it"), SCRAM_USER)) {
      assertThat(scramBroker.clientSecurity().protocol()).isEqualTo("SASL_PLAINTEXT");
      assertThat(scramBroker.clientSecurity().saslMechanism()).isEqualTo("SCRAM-SHA-512");
      KafkaConfig good = config(scramBroker.bootstrapServers(), scramBroker.clientSecurity());
      publish(good, "scram.check");
      assertThat(auditActions(good)).containsExactly("scram.check");

      try (TopicAdmin anonymous = new TopicAdmin(config(scramBroker.bootstrapServers(), KafkaSecurity.PLAINTEXT));
          TopicAdmin wrong = new TopicAdmin(config(scramBroker.bootstrapServers(), scram("wrong-password-42")))) {
        assertThat(anonymous.reachable(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(wrong.reachable(Duration.ofSeconds(3)).get(10, TimeUnit.SECONDS)).isFalse();
        assertThatThrownBy(() -> wrong.ensureTopics(Duration.ofSeconds(10))).isInstanceOf(KafkaException.class)
            .hasStackTraceContaining("Authentication failed");
      }
      // The controller listener answers neither a plaintext client nor a guessed PLAIN password.
      assertThat(controllerAnswers(scramBroker.controllerEndpoint(), Map.of())).isEqualTo("no answer");
      assertThat(controllerAnswers(scramBroker.controllerEndpoint(), Map.of("security.protocol", "SASL_PLAINTEXT",
          "sasl.mechanism", "PLAIN", "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule "
              + "required username=\"controller\" password=\"guess\";"))).isEqualTo("authentication failed");
      assertThat(controllerAnswers(scramBroker.controllerEndpoint(), good.security().clientProperties()))
          .as("the SCRAM user has no business on the controller listener either").isEqualTo("authentication failed");
    }
  }

  @Test
  void aDirectoryFormattedWithoutAuthenticationGetsTheCredentialOnItsFirstAuthenticatedStart() throws Exception {
    Path dir = EmbeddedInfra.tempDir("kafka-scram-upgrade-it");
    try (EmbeddedKafkaBroker plain = EmbeddedKafkaBroker.start(dir)) {
      assertThat(plain.clientSecurity()).isEqualTo(KafkaSecurity.PLAINTEXT);
      publish(config(plain.bootstrapServers(), KafkaSecurity.PLAINTEXT), "before.upgrade");
    }
    try (EmbeddedKafkaBroker upgraded = EmbeddedKafkaBroker.startAuthenticated(dir, SCRAM_USER)) {
      assertThat(auditActions(config(upgraded.bootstrapServers(), upgraded.clientSecurity())))
          .containsExactly("before.upgrade");
      try (TopicAdmin wrong = new TopicAdmin(config(upgraded.bootstrapServers(), scram("wrong-password-42")))) {
        assertThat(wrong.reachable(Duration.ofSeconds(3)).get(10, TimeUnit.SECONDS)).isFalse();
      }
    }
    // From now on the directory holds the credential: another one is refused in one line, naming no secret.
    EmbeddedKafkaBroker.ScramUser other = new EmbeddedKafkaBroker.ScramUser(SCRAM_USER.username(),
        "another-generated-password-0123");
    assertThatThrownBy(() -> EmbeddedKafkaBroker.startAuthenticated(dir, other).close())
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("holds another SCRAM credential for user sessionflow")
        .hasMessageContaining("sessionflow-scram-user")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(other.password(), SCRAM_USER.password()));
  }

  /** What the controller listener says to an admin client with these properties. */
  private static String controllerAnswers(String controller, Map<String, Object> security) throws Exception {
    Map<String, Object> props = new HashMap<>(security);
    props.put(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, controller);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
    try (Admin admin = Admin.create(props)) {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(3_000)).clusterId().get(15, TimeUnit.SECONDS);
      return "answered";
    } catch (ExecutionException e) {
      return e.getCause() instanceof AuthenticationException ? "authentication failed" : "no answer";
    }
  }
}
