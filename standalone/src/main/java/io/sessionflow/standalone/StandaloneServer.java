package io.sessionflow.standalone;

import io.sessionflow.analyzer.AnalyzerConfig;
import io.sessionflow.analyzer.AnalyzerStage;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.embedded.EmbeddedS3Server;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.common.runtime.StartupException;
import io.sessionflow.ingest.IngestConfig;
import io.sessionflow.ingest.IngestServer;
import io.sessionflow.ingest.auth.JwtVerifier;
import io.sessionflow.ingest.auth.LocalTokenIssuer;
import io.sessionflow.purger.PurgerConfig;
import io.sessionflow.purger.PurgerStage;
import io.sessionflow.transcriber.TranscriberConfig;
import io.sessionflow.transcriber.TranscriberStage;
import io.sessionflow.transcriber.model.Models;
import io.sessionflow.transcriber.whisper.WhisperEngine;
import java.nio.file.Path;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every stage in one JVM, on a real Kafka broker and a real S3 server of its own, all under one
 * data dir. Start-up: lock the dir → S3 server → Kafka broker → stage runtime (topics, bucket) →
 * stages → HTTP. Shutdown runs the same steps backwards, so HTTP stops taking requests first and
 * the broker and object store close last, after everything acknowledged was written.
 */
public final class StandaloneServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StandaloneServer.class);
  private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private DataDir dataDir;
  private EmbeddedKafkaBroker kafka;
  private EmbeddedS3Server s3;
  private IngestConfig config;
  private HttpServer http;
  private boolean generatedModel;

  private StandaloneServer() {
  }

  /** Starts everything; on any failure, closes what was already started and rethrows. */
  public static StandaloneServer start(DataDir dataDir, ConfigSource source, Clock clock) {
    StandaloneServer server = new StandaloneServer();
    try {
      server.startAll(dataDir, source, clock);
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private void startAll(DataDir dir, ConfigSource source, Clock clock) {
    dataDir = dir;
    dir.lock();
    toClose.push(dir);
    // Fail fast on a taken port, before the broker spends seconds starting.
    int port = source.get(IngestConfig.PORT);
    String host = source.withDefaults(Map.of("bind-host", "127.0.0.1")).get(
        io.sessionflow.common.runtime.StageProcessConfig.BIND_HOST);
    checkPortFree(host, port);

    DataDir.S3Credentials credentials = dir.s3Credentials();
    s3 = EmbeddedS3Server.start(dir.objectsDir(), credentials.accessKey(), credentials.secretKey());
    toClose.push(s3);
    DataDir.KafkaCredentials kafkaUser = dir.kafkaCredentials();
    kafka = EmbeddedKafkaBroker.startAuthenticated(dir.kafkaDir(),
        new EmbeddedKafkaBroker.ScramUser(kafkaUser.username(), kafkaUser.password()));
    toClose.push(kafka);
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dir.secretsDir(), clock);

    // The embedded services are this instance's own: they win over any environment variable.
    Map<String, String> own = new java.util.HashMap<>(Map.of(
        "s3-endpoint", s3.endpoint().toString(),
        "s3-access-key", credentials.accessKey(),
        "s3-secret-key", credentials.secretKey(),
        "s3-path-style", "true",
        "kek-uri", dir.kekFile().toString(),
        "jwt-jwks-url", issuer.jwksFile().toString(),
        "jwt-issuer", LocalTokenIssuer.ISSUER,
        "jwt-audience", LocalTokenIssuer.AUDIENCE));
    // Every Kafka client of every stage (consumers, replays, producers, the admin) logs in as the
    // broker's one SCRAM user; a KAFKA_* security variable in the environment cannot turn that off.
    own.putAll(Map.of(
        "kafka-bootstrap-servers", kafka.bootstrapServers(),
        "kafka-security-protocol", kafka.clientSecurity().protocol(),
        "kafka-sasl-mechanism", kafka.clientSecurity().saslMechanism(),
        "kafka-sasl-username", kafka.clientSecurity().username(),
        "kafka-sasl-password", kafka.clientSecurity().password(),
        "kafka-trusted-ca", ""));
    ConfigSource effective = source
        .withDefaults(Map.of("kafka-partitions", "3", "kafka-replication-factor", "1", "bind-host", "127.0.0.1",
            // A developer's webhook receiver runs on this machine: loopback and plain http are fine here.
            "webhook-allow-http", "true", "webhook-allowed-networks", "127.0.0.0/8,::1/128"))
        .withFlags(own);
    config = IngestConfig.from(effective);
    StageRuntime runtime = StageRuntime.start(config.pipeline(), "standalone", clock, Duration.ofSeconds(60));
    toClose.push(runtime);
    JwtVerifier verifier = JwtVerifier.from(config.auth());
    IngestServer ingest = IngestServer.start(runtime, config, verifier,
        new DataDirSpace(dir.root(), source.get(DataDirSpace.MIN_FREE))).awaitReady(Duration.ofSeconds(60));
    TranscriberConfig transcriberConfig = TranscriberConfig.from(effective.withDefaults(Map.of(
        "transcriber-slots", "1")));
    Path model = Models.resolve(transcriberConfig.whisper(), dir.root().resolve("models"));
    generatedModel = transcriberConfig.whisper().model().isEmpty();
    WhisperEngine engine = WhisperEngine.load(model, transcriberConfig.whisper());
    TranscriberStage.start(runtime, transcriberConfig, engine);
    AnalyzerStage.start(runtime, AnalyzerConfig.from(effective));
    PurgerStage.start(runtime, PurgerConfig.from(effective));
    http = ingest.listen(config.bindHost(), config.port(), config.uploads().idleTimeout());
    started.set(true);
    dir.writeInstance(new JsonObject()
        .put("pid", ProcessHandle.current().pid())
        .put("http", baseUrl())
        .put("kafkaBootstrapServers", kafka.bootstrapServers())
        .put("kafkaSecurityProtocol", kafka.clientSecurity().protocol())
        .put("kafkaSaslMechanism", kafka.clientSecurity().saslMechanism())
        .put("kafkaCredentials", dir.kafkaCredentialsFile().toString())
        .put("s3Endpoint", s3.endpoint().toString())
        .put("bucket", config.pipeline().storage().bucket()));
  }

  private static void checkPortFree(String host, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new StartupException("Port " + port + " on " + host + " is already in use: stop whatever uses it "
          + "or pass --port.");
    }
  }

  public String baseUrl() {
    return "http://" + config.bindHost() + ":" + http.actualPort();
  }

  public String banner() {
    return String.join(System.lineSeparator(),
        "Sessionflow is running. Data dir: " + dataDir.root(),
        "  API, health, metrics  " + baseUrl() + "   (ready: " + baseUrl() + "/health/ready; /metrics needs an "
            + "ops token)",
        "  Kafka (embedded)      " + kafka.bootstrapServers() + "   (KRaft, SASL/SCRAM-SHA-512 as user "
            + kafka.clientSecurity().username() + ", password in " + dataDir.kafkaCredentialsFile() + ")",
        "  S3 API (embedded)     " + s3.endpoint() + "   (bucket " + config.pipeline().storage().bucket()
            + ", files in " + dataDir.objectsDir() + ")",
        "  Stages                ingest (uploads and reads), transcriber, analyzer, purger",
        generatedModel ? "  WARNING               " + Models.NOTICE : "  Model                 as configured",
        "  Get a token           java -jar standalone/target/sessionflow.jar token --data-dir " + dataDir.root()
            + " --subject therapist-1 --role therapist --practice practice-1",
        "  Audit                 java -jar standalone/target/sessionflow.jar verify-purge --data-dir " + dataDir.root()
            + "   (and verify-audit)",
        "Press Ctrl-C to stop.");
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    started.set(false);
    while (!toClose.isEmpty()) {
      AutoCloseable next = toClose.pop();
      try {
        next.close();
      } catch (Exception e) {
        LOG.warn("shutdown step {} failed: {}", next.getClass().getSimpleName(), e.getMessage());
      }
    }
  }
}
