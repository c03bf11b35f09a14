package io.sessionflow.common.embedded;

import io.sessionflow.common.config.KafkaSecurity;
import io.sessionflow.common.runtime.StartupException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Features;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker (KRaft, combined broker and controller, one node) in this JVM, from
 * Kafka's own jars, bound to 127.0.0.1. Its log directory is formatted on first start and reused
 * afterwards, so a restart on the same directory keeps every topic and committed offset. Used by
 * standalone and by integration tests; production runs a real cluster.
 *
 * <p>Plaintext by default (for tests). {@link #startAuthenticated} makes every listener demand a
 * login: clients and the broker's own inter-broker traffic use SASL/SCRAM-SHA-512 as the given user,
 * whose credential is written into the metadata log when the directory is formatted; the controller
 * listener (which a local process could otherwise use to create or delete topics, or to change SCRAM
 * credentials) uses SASL/PLAIN with a password generated for this start and held only in memory, so
 * only this broker can log in there.
 *
 * <p>A directory formatted before it was authenticated lacks the SCRAM credential, and the Admin API
 * that sets one is not served by the controller listener. On that one start the client listener
 * also takes SASL/PLAIN for a setup user whose password is generated for this start and held only in
 * memory; the broker sets the credential through it and marks the directory, so later starts accept
 * SCRAM only.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  /** The mechanism clients of an authenticated broker use. */
  public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String CONTROLLER_USER = "controller";
  private static final String SETUP_USER = "setup";
  /** Present once the directory's metadata holds the SCRAM credential (Kafka ignores plain files here). */
  static final String SCRAM_MARKER = "sessionflow-scram-user";
  private static final int SCRAM_ITERATIONS = 8192;
  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final String controllerEndpoint;
  private final KafkaSecurity clientSecurity;

  private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, String controllerEndpoint,
      KafkaSecurity clientSecurity) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.controllerEndpoint = controllerEndpoint;
    this.clientSecurity = clientSecurity;
  }

  /** A SCRAM user of an authenticated broker. */
  public record ScramUser(String username, String password) {
    public ScramUser {
      if (!username.matches("[A-Za-z0-9._-]+") || !password.matches("[A-Za-z0-9._-]{16,}")) {
        // The formatter's --add-scram syntax has no escaping; generated credentials never need it.
        throw new IllegalArgumentException("SCRAM user names and passwords are [A-Za-z0-9._-], passwords 16+ long");
      }
    }

    @Override
    public String toString() {
      return "ScramUser[username=" + username + "]";
    }
  }

  /** Formats {@code logDir} if it is new, then starts the broker on free loopback ports, plaintext. */
  public static EmbeddedKafkaBroker start(Path logDir) {
    return start(logDir, props -> { });
  }

  /**
   * As {@link #start(Path)}, with the broker's properties adjusted by {@code customize} first (for
   * tests: an extra authenticated listener, say). {@link #bootstrapServers()} stays the plaintext one.
   */
  public static EmbeddedKafkaBroker start(Path logDir, Consumer<Map<String, Object>> customize) {
    return start(logDir, Optional.empty(), customize);
  }

  /**
   * Starts the broker with every listener authenticated (see the class comment); {@link
   * #bootstrapServers()} is the SCRAM listener and {@link #clientSecurity()} how to log in to it. A
   * directory formatted without the user's credential (by a plaintext start) gets it on this start.
   */
  public static EmbeddedKafkaBroker startAuthenticated(Path logDir, ScramUser user) {
    return start(logDir, Optional.of(user), props -> { });
  }

  private static EmbeddedKafkaBroker start(Path logDir, Optional<ScramUser> user,
      Consumer<Map<String, Object>> customize) {
    int brokerPort = FreePorts.find();
    int controllerPort = FreePorts.find();
    while (controllerPort == brokerPort) {
      // Both were free when asked, one after the other: the kernel may hand the same port out twice.
      controllerPort = FreePorts.find();
    }
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Kafka log directory " + logDir, e);
    }
    String controllerPassword = randomPassword();
    boolean formatted = Files.exists(logDir.resolve("meta.properties"));
    Optional<String> setupPassword = user.isPresent() && formatted && !Files.exists(logDir.resolve(SCRAM_MARKER))
        ? Optional.of(randomPassword()) : Optional.empty();
    Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("controller.listener.names", "CONTROLLER");
    if (user.isEmpty()) {
      props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
      props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
      props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      props.put("inter.broker.listener.name", "PLAINTEXT");
    } else {
      authenticated(props, brokerPort, controllerPort, user.get(), controllerPassword);
      setupPassword.ifPresent(setup -> {
        props.put("listener.name.client.sasl.enabled.mechanisms", SCRAM_MECHANISM + ",PLAIN");
        props.put("listener.name.client.plain.sasl.jaas.config", plainJaas(SETUP_USER, setup, true));
      });
    }
    props.put("log.dirs", logDir.toAbsolutePath().toString());
    props.put("auto.create.topics.enable", "false");
    props.put("num.partitions", "1");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "5");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.retention.check.interval.ms", "60000");
    props.put("socket.request.max.bytes", Integer.toString(16 << 20));
    customize.accept(props);
    KafkaConfig config = new KafkaConfig(props, false);
    if (!formatted) {
      format(logDir, user);
      user.ifPresent(u -> mark(logDir));
    }
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    String bootstrap = "127.0.0.1:" + brokerPort;
    KafkaSecurity security = user.map(u -> new KafkaSecurity("SASL_PLAINTEXT", SCRAM_MECHANISM, u.username(),
        u.password(), Optional.empty())).orElse(KafkaSecurity.PLAINTEXT);
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, bootstrap, "127.0.0.1:" + controllerPort, security);
    if (user.isPresent()) {
      try {
        broker.checkScramUser(user.get(), setupPassword, logDir);
      } catch (RuntimeException e) {
        broker.close();
        throw e;
      }
    }
    return broker;
  }

  private static void authenticated(Map<String, Object> props, int brokerPort, int controllerPort, ScramUser user,
      String controllerPassword) {
    props.put("listeners", "CLIENT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "CLIENT://127.0.0.1:" + brokerPort);
    props.put("listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
    props.put("inter.broker.listener.name", "CLIENT");
    props.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
    props.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
    props.put("listener.name.client.sasl.enabled.mechanisms", SCRAM_MECHANISM);
    props.put("listener.name.client.scram-sha-512.sasl.jaas.config", scramJaas(user));
    // SCRAM credentials live in the metadata log the controller serves, so the controller's own
    // listener takes a static PLAIN user instead (the usual KRaft arrangement).
    props.put("sasl.mechanism.controller.protocol", "PLAIN");
    props.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    props.put("listener.name.controller.plain.sasl.jaas.config", plainJaas(CONTROLLER_USER, controllerPassword,
        true));
  }

  /** PLAIN login of {@code user}; as a listener's config ({@code serves}), also the one user it accepts. */
  private static String plainJaas(String user, String password, boolean serves) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\""
        + password + "\"" + (serves ? " user_" + user + "=\"" + password + "\"" : "") + ";";
  }

  private static void mark(Path logDir) {
    try {
      Files.writeString(logDir.resolve(SCRAM_MARKER), "the metadata log holds the SCRAM credential\n",
          StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + logDir.resolve(SCRAM_MARKER), e);
    }
  }

  private static String scramJaas(ScramUser user) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user.username()
        + "\" password=\"" + user.password() + "\";";
  }

  private static String randomPassword() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static void format(Path logDir, Optional<ScramUser> user) {
    try {
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(logDir.toAbsolutePath().toString())
          .setDirectories(Set.of(logDir.toAbsolutePath().toString()))
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setSupportedFeatures(Features.PRODUCTION_FEATURES)
          .setScramArguments(user.map(u -> List.of(SCRAM_MECHANISM + "=[name=" + u.username() + ",password="
              + u.password() + "]")).orElse(List.of()))
          .run();
    } catch (Exception e) {
      // The formatter's message may quote its --add-scram argument: say what failed, not with what.
      throw new IllegalStateException("cannot format Kafka log directory " + logDir + ": "
          + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Makes sure the stages will be able to log in: on a directory's first authenticated start, sets the
   * credential through the setup user first; otherwise a failing login means the credential given
   * is not the one the directory holds, said in one line rather than by every stage failing.
   */
  private void checkScramUser(ScramUser user, Optional<String> setupPassword, Path logDir) {
    if (setupPassword.isEmpty()) {
      if (!scramLoginWorks(Duration.ofSeconds(20))) {
        throw new StartupException("The Kafka log directory " + logDir + " holds another SCRAM credential for user "
            + user.username() + " than the one given: restore the credentials file it was created with, or delete "
            + logDir.resolve(SCRAM_MARKER) + " to have the given one set at the next start");
      }
      return;
    }
    LOG.info("setting the SCRAM credential of Kafka user {} (first authenticated start on this log directory)",
        user.username());
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put("security.protocol", "SASL_PLAINTEXT");
    props.put("sasl.mechanism", "PLAIN");
    props.put("sasl.jaas.config", plainJaas(SETUP_USER, setupPassword.get(), false));
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-broker-setup");
    try (Admin admin = Admin.create(props)) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user.username(),
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), user.password())))
          .all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot set the SCRAM credential of the embedded broker: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while setting the embedded broker's SCRAM credential", e);
    }
    // The credential reaches the broker's cache through the metadata log: wait until it logs us in.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!scramLoginWorks(Duration.ofSeconds(5))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the embedded broker does not accept the SCRAM login of user "
            + user.username() + " 30 s after its credential was set");
      }
    }
    mark(logDir);
  }

  /** Whether a client with {@link #clientSecurity()} logs in; false on an authentication failure. */
  private boolean scramLoginWorks(Duration timeout) {
    Map<String, Object> props = new HashMap<>(clientSecurity.clientProperties());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-broker-check");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    try (Admin admin = Admin.create(props)) {
      admin.describeCluster().clusterId().get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AuthenticationException) {
        return false;
      }
      throw new IllegalStateException("the embedded broker did not answer: " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the embedded broker did not answer within " + timeout.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the embedded broker", e);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** host:port of the controller listener (the broker's own; for tests that check it refuses others). */
  public String controllerEndpoint() {
    return controllerEndpoint;
  }

  /** How clients log in to {@link #bootstrapServers()}: plaintext, or SCRAM-SHA-512 as the broker's user. */
  public KafkaSecurity clientSecurity() {
    return clientSecurity;
  }

  /** Controlled shutdown: flushes logs and writes a clean-shutdown marker. */
  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }
}
