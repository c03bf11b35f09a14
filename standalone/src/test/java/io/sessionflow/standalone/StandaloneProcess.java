package io.sessionflow.standalone;

import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code java -jar target/sessionflow.jar ...} as a child process, the way a newcomer runs it. */
final class StandaloneProcess implements AutoCloseable {
  static final Path JAR = Path.of("target", "sessionflow.jar");
  static final Path ARCHIVE = Path.of("target", "standalone-logs");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private StandaloneProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  static StandaloneProcess start(Path logDir, String... args) {
    return startWithHeap(logDir, "1g", args);
  }

  static StandaloneProcess startWithHeap(Path logDir, String maxHeap, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx" + maxHeap);
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    try {
      Files.createDirectories(logDir);
      Path out = Files.createTempFile(logDir, "stdout", ".log");
      Path err = Files.createTempFile(logDir, "stderr", ".log");
      Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      return new StandaloneProcess(process, out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a sub-command to completion and returns its exit code and output. */
  static Result run(Path logDir, String... args) {
    try (StandaloneProcess p = start(logDir, args)) {
      if (!p.process.waitFor(120, TimeUnit.SECONDS)) {
        throw new AssertionError("command did not finish: " + List.of(args));
      }
      return new Result(p.process.exitValue(), p.stdout(), p.stderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  int awaitReady(int port, Duration within) {
    long started = System.nanoTime();
    await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!process.isAlive()) {
        throw new AssertionError("sessionflow exited with " + process.exitValue() + ": " + stderr());
      }
      return status(port, "/health/ready", null) == 200;
    });
    return (int) Duration.ofNanos(System.nanoTime() - started).toMillis();
  }

  static int status(int port, String path, String token) {
    return get(port, path, token).statusCode();
  }

  /**
   * An ops token for the instance on {@code dataDir}, signed in-process with its key (no process
   * start): {@code /metrics} on the API port needs one.
   */
  static String opsToken(Path dataDir) {
    return io.sessionflow.ingest.auth.LocalTokenIssuer.loadOrCreate(dataDir.resolve("secrets"),
        java.time.Clock.systemUTC()).issue("ops-it", io.sessionflow.ingest.auth.Role.OPS, null, Duration.ofHours(1));
  }

  /** {@code GET /metrics} on the API port, with an ops token. */
  static String metrics(int port, Path dataDir) {
    return get(port, "/metrics", opsToken(dataDir)).body();
  }

  static HttpResponse<String> get(int port, String path, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new FailedResponse();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** SIGTERM, as Ctrl-C or Kubernetes would send, then waits for the process to finish its shutdown. */
  int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("sessionflow did not stop within 60 s of SIGTERM");
    }
    return process.exitValue();
  }

  /**
   * SIGTERM, then waits up to {@code within} for the shutdown to finish: for an instance whose
   * transcriber slots are all busy on a loaded machine, where finishing the windows in progress
   * may take longer than {@link #terminate()} allows.
   */
  int terminate(Duration within) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("sessionflow did not stop within " + within.toSeconds() + " s of SIGTERM");
    }
    return process.exitValue();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed by us. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
    archiveLogs();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String stdout() {
    return read(stdout);
  }

  String stderr() {
    return read(stderr);
  }

  /**
   * A request to the API with a bearer token; a body to {@code /v1/consents} is sent as JSON,
   * anything else as it is. The answer may take minutes on a busy 2-core machine (an archive
   * import answers once every entry is stored): the wait is for a broken server, not a slow one.
   */
  static HttpResponse<String> send(int port, String method, String path, String token, byte[] body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(5))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    if (body != null && path.startsWith("/v1/consents")) {
      request.header("Content-Type", "application/json");
    }
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The object store of a running instance, with the credentials under its data dir. */
  static io.sessionflow.common.storage.ObjectStore storeOf(Path dataDir) throws IOException {
    JsonObject instance = instance(dataDir);
    java.util.Properties credentials = new java.util.Properties();
    try (var in = Files.newInputStream(dataDir.resolve("secrets/s3-credentials.properties"))) {
      credentials.load(in);
    }
    return io.sessionflow.common.storage.ObjectStores.s3(new io.sessionflow.common.config.StorageConfig(
        java.util.Optional.of(URI.create(instance.getString("s3Endpoint"))), "us-east-1", "sessionflow",
        "sessionflow", credentials.getProperty("accessKey"), credentials.getProperty("secretKey"), true,
        io.sessionflow.common.config.StorageConfig.MIN_PART_SIZE));
  }

  /**
   * A generated random-weight model of the small test shape ({@link
   * io.sessionflow.transcriber.model.ModelShape#SMALL}), written under {@code dir}, for {@code --model}: for
   * a test that is not about the stand-in standalone generates by default, every recording still goes
   * through whisper.cpp's real inference, at about a twentieth of the CPU a window of the tiny shape takes,
   * and the instance skips generating its tiny-shaped one at its first start.
   */
  static Path smallModel(Path dir) {
    try {
      return io.sessionflow.transcriber.model.GgmlModelWriter.write(dir.resolve("small-model.bin"),
          io.sessionflow.transcriber.model.ModelShape.SMALL, 1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A mono 16 kHz WAV of recorded speech (pocketsphinx-testdata's utterances, chosen by {@code seed},
   * a fraction of a second apart): the voice-activity model finds speech in it, as in a session.
   */
  static byte[] wav(int seconds, long seed) {
    return io.sessionflow.transcriber.speech.SpeechCorpus.speechWav(seconds, seed);
  }

  /**
   * How a test reaches the running instance's broker: its SASL/SCRAM user, with the password from
   * the data dir's secrets (as any tool of the data dir's owner would).
   */
  static io.sessionflow.common.config.KafkaConfig kafkaConfig(Path dataDir, String clientId) throws IOException {
    JsonObject instance = instance(dataDir);
    java.util.Properties credentials = new java.util.Properties();
    try (var in = Files.newInputStream(Path.of(instance.getString("kafkaCredentials")))) {
      credentials.load(in);
    }
    return new io.sessionflow.common.config.KafkaConfig(instance.getString("kafkaBootstrapServers"), 1, (short) 1,
        clientId, new io.sessionflow.common.config.KafkaSecurity(instance.getString("kafkaSecurityProtocol"),
            instance.getString("kafkaSaslMechanism"), credentials.getProperty("username"),
            credentials.getProperty("password"), java.util.Optional.empty()));
  }

  static JsonObject instance(Path dataDir) throws IOException {
    return new JsonObject(Files.readString(dataDir.resolve("instance.json"), StandardCharsets.UTF_8));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    archiveLogs();
  }

  /**
   * Keeps a copy of what the process logged under {@code target/standalone-logs}, where the
   * log-audit module looks for fixture data in any log line after the whole suite ran.
   */
  private void archiveLogs() {
    try {
      Path archive = Files.createDirectories(ARCHIVE);
      String name = "pid" + process.pid();
      Files.copy(stdout, archive.resolve(name + "-stdout.log"), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(stderr, archive.resolve(name + "-stderr.log"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the process's logs", e);
    }
  }

  record Result(int exit, String stdout, String stderr) {
  }

  /** Stands for "no answer" (connection refused) so callers can poll uniformly. */
  private static final class FailedResponse implements HttpResponse<String> {
    @Override
    public int statusCode() {
      return -1;
    }

    @Override
    public HttpRequest request() {
      return null;
    }

    @Override
    public java.util.Optional<HttpResponse<String>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return java.net.http.HttpHeaders.of(java.util.Map.of(), (a, b) -> true);
    }

    @Override
    public String body() {
      return "";
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }

    @Override
    public URI uri() {
      return null;
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
