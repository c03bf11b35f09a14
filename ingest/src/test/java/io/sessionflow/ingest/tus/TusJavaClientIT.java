package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.tus.java.client.ProtocolException;
import io.tus.java.client.TusClient;
import io.tus.java.client.TusURLMemoryStore;
import io.tus.java.client.TusURLStore;
import io.tus.java.client.TusUpload;
import io.tus.java.client.TusUploader;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tus-java-client 0.5.1, the official Java client, against the real ingest, through its documented
 * loop ({@code resumeOrCreateUpload}, {@code uploadChunk} until -1, {@code finish}). It streams
 * each PATCH over HttpURLConnection, which cannot send PATCH: a chunked POST with
 * {@code X-HTTP-Method-Override: PATCH} and {@code Expect: 100-continue}. It opens the next PATCH
 * before it knows the file is over, so a file ending exactly where a request ends is followed by
 * an empty PATCH at offset == length, which must be answered 204 with Upload-Offset, like tusd
 * does, and only after {@code 100 Continue}: any other first answer makes HttpURLConnection throw
 * "Server rejected operation" (a 2xx included), and tus-java-client passes that on.
 */
class TusJavaClientIT {
  /** Bytes per {@code uploadChunk} call. */
  private static final int CHUNK = 256 * 1024;
  /** Bytes per PATCH request ({@code setRequestPayloadSize}; the client's default is 10 MiB). */
  private static final int PAYLOAD = 1024 * 1024;
  private static final List<RecordingStoredEvent> STORED = new CopyOnWriteArrayList<>();
  private static IngestHarness harness;
  private static EventStream.Replay replay;
  private static String token;
  private static String consentId;
  @TempDir
  Path files;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of());
    token = harness.token("ther-java", Role.THERAPIST, "prac-java");
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"kestrel-5\","
            + "\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    consentId = new JsonObject(created.body()).getString("id");
    replay = harness.runtime().events().replay(Set.of(Topic.RECORDING_STORED), e -> {
      STORED.add((RecordingStoredEvent) e.event());
      return CompletableFuture.completedFuture(null);
    });
  }

  @AfterAll
  static void stop() {
    replay.close();
    harness.close();
  }

  @Test
  void aFileEndingExactlyWhereARequestEndsCompletesAndIsStoredWhole() throws Exception {
    byte[] audio = IngestHarness.audio(2 * PAYLOAD, 301);
    Path file = write("boundary.wav", audio);
    TusUploader uploader = client(harness.base(), new TusURLMemoryStore()).resumeOrCreateUpload(upload(file));
    uploader.setRequestPayloadSize(PAYLOAD);
    // After the second PATCH the client opens a third at offset == length, finds the file over and finishes it.
    uploadAll(uploader);

    HttpResponse<String> status = head(uploader.getUploadURL());
    assertThat(offset(status)).isEqualTo(audio.length);
    assertThat(status.headers().firstValue("Upload-Length")).hasValue(Integer.toString(audio.length));
    String id = id(uploader.getUploadURL());
    assertThat(harness.stored(id)).isEqualTo(audio);
    await().atMost(Duration.ofSeconds(20)).until(() -> announced(id).size() == 1);
    assertThat(announced(id).get(0).plaintextSha256()).isEqualToIgnoringCase(sha256(audio));
    assertThat(announced(id).get(0).plaintextBytes()).isEqualTo(audio.length);
  }

  @Test
  void aLostLastResponseIsFinishedByAFreshUploaderWithoutASecondUpload() throws Exception {
    byte[] audio = IngestHarness.audio(1_500_000, 302);
    Path file = write("lost-response.wav", audio);
    TusURLStore urls = new TusURLMemoryStore();
    double startedBefore = tusUploadsStarted();
    try (RecordingProxy link = new RecordingProxy(harness.port())) {
      // Every byte reaches the server; its answer to the last PATCH never reaches the client.
      link.dropFirstResponseOnceUpstreamReaches(audio.length);
      TusUploader first = client(link.base(), urls).resumeOrCreateUpload(upload(file));
      assertThatThrownBy(() -> uploadAll(first)).isInstanceOf(IOException.class);
      assertThat(link.dropped()).as("the fault happened").isTrue();
      assertThat(offset(head(first.getUploadURL()))).as("the server has it all").isEqualTo(audio.length);

      // The app tries again: a new client with the URLs it kept resumes at offset == length and finishes.
      TusUploader again = client(link.base(), urls).resumeOrCreateUpload(upload(file));
      assertThat(again.getUploadURL()).isEqualTo(first.getUploadURL());
      assertThat(again.getOffset()).isEqualTo(audio.length);
      uploadAll(again);

      String id = id(first.getUploadURL());
      assertThat(tusUploadsStarted() - startedBefore).as("no second upload created").isEqualTo(1);
      assertThat(harness.stored(id)).isEqualTo(audio);
      await().atMost(Duration.ofSeconds(20)).until(() -> announced(id).size() == 1);
    }
  }

  @Test
  void everyPatchIsAnswered100ContinueBeforeItsBodyIsSent() throws Exception {
    byte[] audio = IngestHarness.audio(700_000, 303);
    Path file = write("expect.wav", audio);
    try (RecordingProxy link = new RecordingProxy(harness.port())) {
      TusUploader uploader = client(link.base(), new TusURLMemoryStore()).resumeOrCreateUpload(upload(file));
      uploadAll(uploader);

      // Every PATCH got its body: the upload is complete.
      assertThat(offset(head(uploader.getUploadURL()))).isEqualTo(audio.length);
      assertThat(harness.stored(id(uploader.getUploadURL()))).isEqualTo(audio);
      List<String> patchHeads = link.requestHeads().stream()
          .filter(h -> RecordingProxy.method(h).equals("PATCH")).toList();
      assertThat(patchHeads).as("the client asks for 100 Continue").isNotEmpty()
          .allMatch(h -> h.toLowerCase().contains("\r\nexpect: 100-continue\r\n"));
      // Without it, HttpURLConnection waits 5 s for an answer and then sends the body anyway.
      List<String> exchanges = link.exchanges();
      assertThat(exchanges.stream().filter(e -> e.startsWith("PATCH ")).toList())
          .as("each PATCH with the status lines the server sent it (all exchanges: %s)", exchanges)
          .containsOnly("PATCH 100 204");
    }
  }

  @Test
  void anUploadInterruptedMidwayResumesFromTheServersOffset() throws Exception {
    byte[] audio = IngestHarness.audio(2 * PAYLOAD + 300_000, 304);
    Path file = write("interrupted.wav", audio);
    TusURLStore urls = new TusURLMemoryStore();
    double startedBefore = tusUploadsStarted();
    TusUpload firstUpload = upload(file);
    TusUploader first = client(harness.base(), urls).resumeOrCreateUpload(firstUpload);
    first.setChunkSize(CHUNK);
    first.setRequestPayloadSize(PAYLOAD);
    // One request's worth of chunks; the last of them ends that PATCH, then the app goes away.
    for (int sent = 0; sent < PAYLOAD; sent += CHUNK) {
      assertThat(first.uploadChunk()).isEqualTo(CHUNK);
    }
    firstUpload.getInputStream().close();
    assertThat(offset(head(first.getUploadURL()))).isEqualTo(PAYLOAD);

    // A new client knows only the URL it kept; it asks the server where to go on.
    TusUploader resumed = client(harness.base(), urls).resumeOrCreateUpload(upload(file));
    assertThat(resumed.getUploadURL()).isEqualTo(first.getUploadURL());
    assertThat(resumed.getOffset()).isEqualTo(PAYLOAD);
    uploadAll(resumed);

    assertThat(tusUploadsStarted() - startedBefore).as("resumed, not created again").isEqualTo(1);
    assertThat(offset(head(resumed.getUploadURL()))).isEqualTo(audio.length);
    assertThat(harness.stored(id(resumed.getUploadURL()))).isEqualTo(audio);
  }

  /** The client's documented loop. */
  private static void uploadAll(TusUploader uploader) throws IOException, ProtocolException {
    uploader.setChunkSize(CHUNK);
    do {
      // Each call streams one chunk into the open PATCH (opening one when none is); -1 once the file is sent.
    } while (uploader.uploadChunk() > -1);
    uploader.finish();
  }

  private static TusClient client(String base, TusURLStore urls) throws IOException {
    TusClient client = new TusClient();
    client.setUploadCreationURL(URI.create(base + "/files/").toURL());
    client.setHeaders(Map.of("Authorization", "Bearer " + token));
    client.enableResuming(urls);
    return client;
  }

  private static TusUpload upload(Path file) throws IOException {
    TusUpload upload = new TusUpload(file.toFile());
    upload.setMetadata(Map.of("consentId", consentId, "filename", "session.wav"));
    return upload;
  }

  private Path write(String name, byte[] audio) throws IOException {
    return Files.write(files.resolve(name), audio);
  }

  private static HttpResponse<String> head(URL upload) {
    return harness.send(harness.request(upload.getPath(), token).header("Tus-Resumable", "1.0.0")
        .method("HEAD", BodyPublishers.noBody()));
  }

  private static long offset(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Long.parseLong(response.headers().firstValue("Upload-Offset").orElseThrow());
  }

  private static String id(URL upload) {
    return upload.getPath().substring(upload.getPath().lastIndexOf('/') + 1);
  }

  private static List<RecordingStoredEvent> announced(String id) {
    return STORED.stream().filter(s -> s.recordingId().equals(id)).toList();
  }

  private static double tusUploadsStarted() {
    Counter started = harness.runtime().registry().find("sessionflow.uploads.started").tag("source", "tus")
        .counter();
    return started == null ? 0 : started.count();
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  /**
   * A loopback TCP proxy that keeps every byte each way, per connection, so a test can read what
   * went over the wire, interim {@code 1xx} responses included (no HTTP client API shows those).
   * It can also lose one response: the first bytes the server sends once a given number of bytes
   * went up are not delivered, and both sides are reset instead.
   */
  static final class RecordingProxy implements AutoCloseable {
    private static final Pattern REQUEST_LINE = Pattern.compile("(?m)^([A-Z]+) \\S+ HTTP/1\\.1\r\n");
    private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.1 (\\d{3})");
    private static final Pattern OVERRIDE = Pattern.compile("(?im)^X-HTTP-Method-Override: *(\\S+)\r\n");
    private final ServerSocket server;
    private final int targetPort;
    private final List<Wire> wires = new CopyOnWriteArrayList<>();
    private final AtomicLong upstream = new AtomicLong();
    private final AtomicLong dropAt = new AtomicLong(-1);
    private final AtomicBoolean dropped = new AtomicBoolean();

    RecordingProxy(int targetPort) throws IOException {
      this.targetPort = targetPort;
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::accept, "recording-proxy-" + server.getLocalPort());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String base() {
      return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Loses the first response bytes that arrive once this many bytes (all connections) went up. */
    void dropFirstResponseOnceUpstreamReaches(long bytes) {
      dropAt.set(bytes);
    }

    boolean dropped() {
      return dropped.get();
    }

    /** Every request's line and headers, in order of connection and then of sending. */
    List<String> requestHeads() {
      return wires.stream().flatMap(wire -> wire.heads().stream()).toList();
    }

    /**
     * Each request's method and the status codes the server sent for it, such as {@code PATCH 100 204}.
     * HttpURLConnection cannot send PATCH: tus-java-client sends POST with {@code X-HTTP-Method-Override:
     * PATCH}, so the method shown is the override where there is one.
     */
    List<String> exchanges() {
      List<String> exchanges = new ArrayList<>();
      for (Wire wire : wires) {
        Iterator<String> requests = wire.heads().iterator();
        Matcher status = STATUS_LINE.matcher(wire.received());
        StringBuilder current = null;
        while (status.find()) {
          if (current == null) {
            current = new StringBuilder(requests.hasNext() ? method(requests.next()) : "?");
          }
          current.append(' ').append(status.group(1));
          if (status.group(1).charAt(0) != '1') {
            exchanges.add(current.toString());
            current = null;
          }
        }
        if (current != null) {
          exchanges.add(current.toString());
        }
      }
      return exchanges;
    }

    /** The request's method, or its X-HTTP-Method-Override. */
    static String method(String head) {
      Matcher override = OVERRIDE.matcher(head);
      return override.find() ? override.group(1).toUpperCase() : head.substring(0, head.indexOf(' '));
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          Wire wire = new Wire(client, new Socket(InetAddress.getLoopbackAddress(), targetPort));
          wires.add(wire);
          pump(wire, true);
          pump(wire, false);
        } catch (IOException e) {
          // Closed, or the server refused: that connection is over.
        }
      }
    }

    private void pump(Wire wire, boolean up) {
      Socket from = up ? wire.client : wire.target;
      Socket to = up ? wire.target : wire.client;
      ByteArrayOutputStream log = up ? wire.up : wire.down;
      Thread thread = new Thread(() -> {
        byte[] buffer = new byte[16384];
        try {
          InputStream in = from.getInputStream();
          OutputStream out = to.getOutputStream();
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            if (!up && dropNow()) {
              wire.reset();
              return;
            }
            // Logged (and counted) before it is forwarded: whoever reads it there finds it here.
            log.write(buffer, 0, n);
            if (up) {
              upstream.addAndGet(n);
            }
            out.write(buffer, 0, n);
            out.flush();
          }
        } catch (IOException e) {
          // One side went away, or was reset: the connection is over.
        } finally {
          wire.close();
        }
      }, "recording-proxy-pump");
      thread.setDaemon(true);
      thread.start();
    }

    private boolean dropNow() {
      long at = dropAt.get();
      if (at >= 0 && upstream.get() >= at && dropAt.compareAndSet(at, -1)) {
        dropped.set(true);
        return true;
      }
      return false;
    }

    @Override
    public void close() throws IOException {
      server.close();
      wires.forEach(Wire::close);
    }

    /** One proxied connection and what went each way. */
    private record Wire(Socket client, Socket target, ByteArrayOutputStream up, ByteArrayOutputStream down) {
      Wire(Socket client, Socket target) {
        this(client, target, new ByteArrayOutputStream(), new ByteArrayOutputStream());
      }

      String sent() {
        return new String(up.toByteArray(), StandardCharsets.ISO_8859_1);
      }

      /** The line and headers of each request sent, in order. */
      List<String> heads() {
        String sent = sent();
        List<String> heads = new ArrayList<>();
        Matcher line = REQUEST_LINE.matcher(sent);
        while (line.find()) {
          int end = sent.indexOf("\r\n\r\n", line.start());
          heads.add(sent.substring(line.start(), end < 0 ? sent.length() : end + 2));
        }
        return heads;
      }

      String received() {
        return new String(down.toByteArray(), StandardCharsets.ISO_8859_1);
      }

      /** Closes both sides with SO_LINGER 0, so each sees a reset rather than an orderly end. */
      void reset() {
        for (Socket socket : List.of(client, target)) {
          try {
            socket.setSoLinger(true, 0);
            socket.close();
          } catch (IOException e) {
            // Already gone.
          }
        }
      }

      void close() {
        for (Socket socket : List.of(client, target)) {
          try {
            socket.close();
          } catch (IOException e) {
            // Already gone.
          }
        }
      }
    }
  }
}
