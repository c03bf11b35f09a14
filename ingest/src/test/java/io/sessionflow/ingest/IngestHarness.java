package io.sessionflow.ingest;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.CryptoConfig;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.crypto.KeyEncryptionKeys;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.embedded.EmbeddedS3Server;
import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.ingest.auth.AuthConfig;
import io.sessionflow.ingest.auth.JwtVerifier;
import io.sessionflow.ingest.auth.LocalTokenIssuer;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.imports.ImportLimits;
import io.sessionflow.ingest.limits.LimitSettings;
import io.sessionflow.ingest.upload.UploadSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

/**
 * A real ingest (router, uploads, consents, status view) on the embedded Kafka broker and
 * S3Proxy, with a clock the test can move and a token issuer. {@link #restart()} replaces the
 * ingest process's state while keeping Kafka and storage, like a pod restart.
 */
public final class IngestHarness implements AutoCloseable {
  public static final String BUCKET = "sessionflow";
  public static final byte[] MARKER = "TUS-PLAINTEXT-MARKER-91c2".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  public final Path dir;
  public final EmbeddedKafkaBroker kafka;
  public final EmbeddedS3Server s3;
  /** Between the ingest and Kafka, or null. */
  public final FaultProxy kafkaProxy;
  /** Between the ingest and object storage, or null. */
  public final FaultProxy s3Proxy;
  public final MovableClock clock = new MovableClock();
  /** Rate limits and quotas out of the way unless a test sets them (memory shares keep their defaults). */
  private static final Map<String, String> UNLIMITED = Map.of("limit-user-uploads", "100000",
      "limit-practice-uploads", "1000000", "limit-user-upload-bytes", "1024TiB",
      "limit-practice-upload-bytes", "1024TiB",
      "limit-user-uploads-per-minute", "1000000", "limit-practice-uploads-per-minute", "10000000",
      "limit-user-consents-per-minute", "1000000", "limit-practice-consents-per-minute", "10000000");
  public final LocalTokenIssuer issuer;
  private final Map<String, String> overrides;
  private StageRuntime runtime;
  private IngestServer ingest;
  private int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public IngestHarness(Map<String, String> overrides) {
    this(overrides, false);
  }

  /**
   * With {@code faultProxies}, the ingest reaches Kafka and object storage through
   * {@link #kafkaProxy} and {@link #s3Proxy}, so a test can cut either off and bring it back.
   */
  public IngestHarness(Map<String, String> overrides, boolean faultProxies) {
    try {
      this.dir = Files.createTempDirectory("ingest-it");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.overrides = overrides;
    FaultProxy[] brokerProxy = new FaultProxy[1];
    this.kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), props -> {
      if (faultProxies) {
        String listener = String.valueOf(props.get("advertised.listeners"));
        brokerProxy[0] = new FaultProxy("127.0.0.1", Integer.parseInt(listener.substring(listener.lastIndexOf(':')
            + 1)));
        // Clients learn the broker's address from its metadata: make that the proxy's.
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerProxy[0].port());
      }
    });
    this.kafkaProxy = brokerProxy[0];
    this.s3 = EmbeddedS3Server.start(dir.resolve("objects"), "it-access", "it-secret-0123456789");
    this.s3Proxy = faultProxies ? new FaultProxy("127.0.0.1", s3.endpoint().getPort()) : null;
    this.issuer = LocalTokenIssuer.loadOrCreate(dir.resolve("secrets"), clock);
    start();
  }

  private void start() {
    String bootstrap = kafkaProxy == null ? kafka.bootstrapServers() : "127.0.0.1:" + kafkaProxy.port();
    URI storage = s3Proxy == null ? s3.endpoint() : URI.create("http://127.0.0.1:" + s3Proxy.port());
    PipelineConfig pipeline = new PipelineConfig(
        new KafkaConfig(bootstrap, 2, (short) 1, "ingest-it"),
        new StorageConfig(Optional.of(storage), "us-east-1", BUCKET, BUCKET, "it-access",
            "it-secret-0123456789", true, StorageConfig.MIN_PART_SIZE),
        new CryptoConfig(KeyEncryptionKeys.createLocalIfMissing(dir.resolve("secrets/kek.json")).toString()));
    UploadSettings uploads = UploadSettings.from(ConfigSource.of(overrides, Map.of()));
    ConfigSource source = ConfigSource.of(overrides, Map.of());
    IngestConfig config = new IngestConfig(pipeline, 0, 0, "127.0.0.1",
        new AuthConfig(issuer.jwksFile().toString(), LocalTokenIssuer.ISSUER, LocalTokenIssuer.AUDIENCE,
            source.get(AuthConfig.MAX_TOKEN_LIFETIME)), source.get(IngestConfig.CORS_ALLOWED_ORIGINS),
        source.get(IngestConfig.CORS_ALLOWED_HEADERS), uploads,
        ImportLimits.from(source), LimitSettings.from(source.withDefaults(UNLIMITED)),
        io.sessionflow.ingest.webhook.WebhookSettings.from(source.withDefaults(Map.of("webhook-allow-http", "true",
            "webhook-allowed-networks", "127.0.0.0/8"))));
    runtime = StageRuntime.start(pipeline, "ingest-it", clock, Duration.ofSeconds(60));
    ingest = IngestServer.start(runtime, config, JwtVerifier.from(config.auth())).awaitReady(Duration.ofSeconds(60));
    port = ingest.listen("127.0.0.1", port == 0 ? FreePorts.find() : port, uploads.idleTimeout()).actualPort();
  }

  /** Stops the ingest (HTTP, view, clients) and starts a fresh one on the same Kafka, storage and port. */
  public void restart() {
    runtime.close();
    start();
  }

  public StageRuntime runtime() {
    return runtime;
  }

  public IngestServer ingest() {
    return ingest;
  }

  public String base() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public String token(String subject, Role role, String practice) {
    return issuer.issue(subject, role, practice, Duration.ofHours(1));
  }

  public HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      HttpRequest built = request.timeout(Duration.ofSeconds(60)).build();
      HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
      if (built.uri().getPort() == port) { // the public API (not the ops port)
        ApiContract.get().check(built.method(), built.uri().getRawPath(), response);
      }
      return response;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base() + path));
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  /** A zip archive of the entries, in their order. */
  public static byte[] zip(Map<String, byte[]> entries) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** WAV-looking random bytes with a marker every 4 KiB, so a byte search of the disk finds any leak. */
  public static byte[] audio(int size, long seed) {
    byte[] data = new byte[size];
    new java.util.Random(seed).nextBytes(data);
    System.arraycopy("RIFF\0\0\0\0WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, data, 0,
        Math.min(16, size));
    for (int offset = 4096; offset + MARKER.length <= size; offset += 4096) {
      System.arraycopy(MARKER, 0, data, offset, MARKER.length);
    }
    return data;
  }

  /** The recording's stored audio, decrypted. */
  public byte[] stored(String recordingId) {
    io.sessionflow.common.crypto.DataKey key = runtime.keys().load(recordingId,
        io.sessionflow.common.crypto.RecordingKeys.Purpose.AUDIO).join();
    return runtime.objects().readAll(key, "raw/" + recordingId, "raw").join();
  }

  @Override
  public void close() {
    runtime.close();
    if (kafkaProxy != null) {
      kafkaProxy.close();
      s3Proxy.close();
    }
    kafka.close();
    s3.close();
  }

  /** A clock tests can move forward. */
  public static final class MovableClock extends Clock {
    private volatile Duration offset = Duration.ZERO;

    public void advance(Duration by) {
      offset = offset.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }
}
