package io.sessionflow.ingest.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.consent.ConsentStore;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.audit.AuditLog;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.upload.CompletionPublisher;
import io.sessionflow.ingest.upload.MemoryBudget;
import io.sessionflow.ingest.upload.UploadSettings;
import io.sessionflow.ingest.upload.UploadState;
import io.sessionflow.ingest.upload.UploadStore;
import io.sessionflow.ingest.upload.Uploads;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Imports that go wrong in time: a process killed while entries wait for their manifest (nothing
 * of them is ever announced, and they are removed), and slow clients (one practice's trickling
 * imports never hold up another practice's; a client that stops sending is stopped).
 */
class ImportResilienceIT {
  private static final Duration IDLE = Duration.ofSeconds(8);
  static IngestHarness harness;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of("import-max-entry-size", "8MiB", "import-idle-timeout",
        IDLE.toSeconds() + "s", "import-max-per-practice", "2"));
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  static String consent(String token, String clientRef) {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"" + clientRef
            + "\",\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-10-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  static byte[] manifest(String... rows) {
    return ("filename,clientRef,consentId,recordedAt\n" + String.join("\n", rows) + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** An ingest on the same storage and broker that stores archive entries, then dies (kill -9) before any manifest. */
  private static Uploads dyingIngest(StageRuntime rt) {
    UploadStore store = new UploadStore(rt.store(), IngestHarness.BUCKET, rt.objects());
    ConsentStore consents = new ConsentStore(rt.store(), IngestHarness.BUCKET);
    CompletionPublisher publisher = new CompletionPublisher(rt.events().publisher(), store, consents, rt.clock(),
        rt.vertx());
    return new Uploads(rt.vertx(), rt.blocking(), store, rt.keys(), consents, new MemoryBudget(64L << 20,
        new SimpleMeterRegistry()), UploadSettings.from(ConfigSource.of(Map.of(), Map.of())),
        StorageConfig.MIN_PART_SIZE, rt.clock(), publisher, new AuditLog(rt.events().publisher(), rt.clock(),
        rt.vertx()), new SimpleMeterRegistry());
  }

  private static List<String> keysOf(String id) {
    StageRuntime rt = harness.runtime();
    List<String> keys = new java.util.ArrayList<>(rt.store().listKeys(IngestHarness.BUCKET, "raw/" + id).join());
    keys.addAll(rt.store().listKeys(IngestHarness.BUCKET, "uploads/" + id + "/").join());
    keys.addAll(rt.store().listKeys(IngestHarness.BUCKET, "keys/" + id + ".").join());
    return keys;
  }

  @Test
  void entriesStoredBeforeTheManifestOfAnImportKilledMidwayAreNeverAnnouncedAndAreRemoved() throws Exception {
    String admin = harness.token("admin-crash", Role.CLINIC_ADMIN, "prac-crash");
    consent(admin, "client-crash");
    Caller caller = new Caller("admin-crash", Role.CLINIC_ADMIN, "prac-crash");
    Uploads dying = dyingIngest(harness.runtime());
    // What ImportJob does for an entry that comes before manifest.csv: stored, no consent, not announced.
    UploadState old = dying.storeBlocking(caller, new ByteArrayInputStream(IngestHarness.audio(300_000, 41)),
        8L << 20, "import");
    Duration advanced = CompletionPublisher.PENDING_GRACE.plusMinutes(5);
    harness.clock.advance(advanced);
    try {
      restartAndCheck(admin, dying, caller, old);
    } finally {
      // Tokens are checked against the real time: later tests issue theirs at the real time again.
      harness.clock.advance(advanced.negated());
    }
  }

  private static void restartAndCheck(String admin, Uploads dying, Caller caller, UploadState old)
      throws Exception {
    UploadState young = dying.storeBlocking(caller, new ByteArrayInputStream(IngestHarness.audio(300_000, 42)),
        8L << 20, "import");
    assertThat(old.isComplete()).isTrue();
    assertThat(old.consentId()).isNull();
    assertThat(keysOf(old.id())).isNotEmpty();

    // The process is gone: a new ingest starts on the same storage and broker and recovers.
    harness.restart();

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(keysOf(old.id())).isEmpty());
    List<RecordingStoredEvent> stored = new CopyOnWriteArrayList<>();
    EventStream.Replay replay = harness.runtime().events().replay(Set.of(Topic.RECORDING_STORED), e -> {
      stored.add((RecordingStoredEvent) e.event());
      return CompletableFuture.completedFuture(null);
    });
    try {
      replay.caughtUp().get(60, java.util.concurrent.TimeUnit.SECONDS);
      // Absence can only be watched for a while: recovery has run (the old entry is gone) and nothing came.
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(stored).extracting(RecordingStoredEvent::recordingId).doesNotContain(old.id(), young.id()));
    } finally {
      replay.close();
    }
    // The young one may still get its consent from a live import elsewhere: left for the purger's grace.
    assertThat(keysOf(young.id())).contains("uploads/" + young.id() + "/state.json");
    assertThat(harness.send(harness.request("/v1/recordings/" + old.id(), admin).GET()).statusCode())
        .isEqualTo(404);
  }

  /** A raw HTTP/1.1 import: headers, then a chunked body written by the test at its own pace. */
  private static final class RawImport implements AutoCloseable {
    final Socket socket;
    final OutputStream out;

    RawImport(String token) throws IOException {
      socket = new Socket("127.0.0.1", harness.port());
      socket.setSoTimeout(90_000);
      out = socket.getOutputStream();
      out.write(("POST /v1/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
          + "\r\nContent-Type: application/zip\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    void send(byte[] data, int from, int to) throws IOException {
      out.write((Integer.toHexString(to - from) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(data, from, to - from);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    boolean answered() throws IOException {
      return socket.getInputStream().available() > 0;
    }

    /** The status line and headers and what of the body has arrived, until the server closes or 64 KiB. */
    String response() throws IOException {
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[65_536];
      int total = 0;
      int n;
      while (total < buffer.length && (n = in.read(buffer, total, buffer.length - total)) > 0) {
        total += n;
        String text = new String(buffer, 0, total, StandardCharsets.UTF_8);
        int headersEnd = text.indexOf("\r\n\r\n");
        if (headersEnd > 0 && text.contains("}")) {
          break;
        }
      }
      return new String(buffer, 0, total, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void tricklingImportsOfOnePracticeDoNotHoldUpAnotherAndAStalledClientIsStoppedKeepingWhatWasStored()
      throws Exception {
    String adminA = harness.token("admin-a", Role.CLINIC_ADMIN, "prac-slow");
    String adminB = harness.token("admin-b", Role.CLINIC_ADMIN, "prac-fast");
    String consentA = consent(adminA, "client-slow");
    String consentB = consent(adminB, "client-fast");
    byte[] first = IngestHarness.audio(200_000, 43);
    Map<String, byte[]> slowEntries = new java.util.LinkedHashMap<>();
    slowEntries.put("manifest.csv", manifest("first.wav,client-slow," + consentA + ",2026-10-02",
        "long.wav,client-slow," + consentA + ",2026-10-02"));
    slowEntries.put("first.wav", first);
    slowEntries.put("long.wav", IngestHarness.audio(2_000_000, 44));
    byte[] slow = IngestHarness.zip(slowEntries);
    int burst = slow.length - 1_500_000; // the manifest, first.wav and the start of long.wav

    AtomicBoolean trickling = new AtomicBoolean(true);
    java.util.concurrent.ScheduledExecutorService trickler = java.util.concurrent.Executors
        .newSingleThreadScheduledExecutor();
    try (RawImport a1 = new RawImport(adminA); RawImport a2 = new RawImport(adminA)) {
      List<RawImport> slowOnes = List.of(a1, a2);
      for (RawImport a : slowOnes) {
        a.send(slow, 0, burst);
      }
      // The slow clients: one byte each every half second.
      java.util.concurrent.atomic.AtomicInteger at = new java.util.concurrent.atomic.AtomicInteger(burst);
      trickler.scheduleAtFixedRate(() -> {
        int next = at.getAndIncrement();
        try {
          for (RawImport a : slowOnes) {
            a.send(slow, next, next + 1);
          }
        } catch (IOException e) {
          trickling.set(false);
          throw new java.io.UncheckedIOException(e);
        }
      }, 0, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
      String ops = harness.token("ops-1", io.sessionflow.ingest.auth.Role.OPS, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> harness.send(harness.request("/metrics", ops).GET())
          .body().lines().anyMatch(l -> l.matches("sessionflow_imports_active(\\{.*})? 2\\.0")));

      // A third import of the same practice is refused at once, and says when to come back.
      String refused;
      try (RawImport a3 = new RawImport(adminA)) {
        refused = a3.response();
      }
      assertThat(refused).startsWith("HTTP/1.1 429").containsIgnoringCase("Retry-After: ")
          .contains("already has 2 import(s) running");

      // Another practice's import starts and finishes while practice A's two trickle on.
      long started = System.nanoTime();
      Map<String, byte[]> fastEntries = new java.util.LinkedHashMap<>();
      fastEntries.put("manifest.csv", manifest("b.wav,client-fast," + consentB + ",2026-10-03"));
      fastEntries.put("b.wav", IngestHarness.audio(200_000, 45));
      HttpResponse<String> fast = harness.send(harness.request("/v1/imports", adminB)
          .header("Content-Type", "application/zip").POST(BodyPublishers.ofByteArray(IngestHarness.zip(fastEntries))));
      assertThat(fast.statusCode()).as(fast.body()).isEqualTo(202);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(45));
      assertThat(new JsonObject(fast.body()).getJsonObject("progress").getLong("stored")).isEqualTo(1);
      assertThat(trickling.get()).as("practice A's imports are still being sent").isTrue();
      assertThat(a1.answered() || a2.answered()).as("practice A's imports are still running").isFalse();

      // The slow clients stop sending: their imports stop after the idle timeout, what they stored stays.
      trickler.shutdownNow();
      assertThat(trickler.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      for (RawImport a : slowOnes) {
        String stopped = a.response();
        assertThat(stopped).startsWith("HTTP/1.1 422").contains("sent nothing for " + IDLE.toSeconds() + "s");
        String location = stopped.lines().filter(l -> l.regionMatches(true, 0, "Location:", 0, 9)).findFirst()
            .orElseThrow().substring("Location:".length()).trim();
        JsonObject report = new JsonObject(harness.send(harness.request(location, adminA).GET()).body());
        assertThat(report.getString("status")).isEqualTo("FAILED");
        String firstId = ImportIT.entry(report, "first.wav").getString("recordingId");
        assertThat(harness.stored(firstId)).isEqualTo(first);
      }
    } finally {
      trickler.shutdownNow();
    }

    // Its slots are free again.
    Map<String, byte[]> again = new java.util.LinkedHashMap<>();
    again.put("manifest.csv", manifest("again.wav,client-slow," + consentA + ",2026-10-04"));
    again.put("again.wav", IngestHarness.audio(100_000, 46));
    await().atMost(Duration.ofSeconds(30)).until(() -> harness.send(harness.request("/v1/imports", adminA)
        .header("Content-Type", "application/zip").POST(BodyPublishers.ofByteArray(IngestHarness.zip(again))))
        .statusCode() == 202);
  }
}
