package io.sessionflow.ingest.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One practice floods the ingest: slow PATCHes holding upload memory beyond its share, and a
 * burst of creations and consents answered 429. Another practice's upload still goes through in
 * seconds while the flood holds its memory, and every slot the flood took is given back when its
 * uploads end (connection dropped, terminated, expired). A 64 MiB budget with 5 MiB parts (about
 * 10 MiB a buffer) makes four held streams enough to use all but the reserve.
 */
class TenantFairnessIT {
  private static final int FLOOD = 8;
  private static final long FLOOD_LENGTH = 6L << 20;
  private static final int QUIET_SIZE = 3 << 20;
  private static IngestHarness harness;
  private static String noisy;
  private static String quiet;
  private static String other;
  private static String noisyConsent;
  private static String quietConsent;
  private static String otherConsent;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of("upload-memory-budget", "64MiB", "upload-memory-practice-share", "50",
        "upload-memory-user-share", "25", "upload-memory-reserve", "25", "limit-user-uploads", "8",
        "limit-user-consents-per-minute", "3"));
    noisy = harness.token("ther-noisy", Role.THERAPIST, "prac-noisy");
    quiet = harness.token("ther-quiet", Role.THERAPIST, "prac-quiet");
    other = harness.token("ther-other", Role.THERAPIST, "prac-other");
    noisyConsent = consent(noisy).body();
    quietConsent = consent(quiet).body();
    otherConsent = consent(other).body();
    noisyConsent = new JsonObject(noisyConsent).getString("id");
    quietConsent = new JsonObject(quietConsent).getString("id");
    otherConsent = new JsonObject(otherConsent).getString("id");
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  private static HttpResponse<String> consent(String token) {
    return harness.send(harness.request("/v1/consents", token).header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString("{\"clientRef\":\"fair-1\",\"scope\":[\"record\"],\"formVersion\":\"v1\","
            + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
  }

  private static HttpResponse<String> create(String token, String consentId, long length) {
    return harness.send(harness.request("/files/", token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", Long.toString(length))
        .header("Upload-Metadata", "consentId " + Base64.getEncoder().encodeToString(
            consentId.getBytes(StandardCharsets.UTF_8)))
        .POST(BodyPublishers.noBody()));
  }

  private static String id(HttpResponse<String> created) {
    String location = created.headers().firstValue("Location").orElseThrow();
    return location.substring(location.lastIndexOf('/') + 1);
  }

  private static MeterRegistry registry() {
    return harness.runtime().registry();
  }

  private static double gauge(String name) {
    return registry().get(name).gauge().value();
  }

  /** Creates and sends a whole upload of the quiet practice; its time in seconds. */
  private static double quietUpload(long seed) {
    long started = System.nanoTime();
    HttpResponse<String> created = create(quiet, quietConsent, QUIET_SIZE);
    assertThat(created.statusCode()).isEqualTo(201);
    HttpResponse<String> patched = harness.send(harness.request("/files/" + id(created), quiet)
        .header("Tus-Resumable", "1.0.0").header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .method("PATCH", BodyPublishers.ofByteArray(IngestHarness.audio(QUIET_SIZE, seed))));
    assertThat(patched.statusCode()).as(patched.body()).isEqualTo(204);
    assertThat(patched.headers().firstValue("Upload-Offset")).hasValue(Integer.toString(QUIET_SIZE));
    return (System.nanoTime() - started) / 1e9;
  }

  /** A PATCH that sends its headers and a little of its body, then holds the connection open. */
  private static Socket slowPatch(String id) throws IOException {
    Socket socket = new Socket("127.0.0.1", harness.port());
    OutputStream out = socket.getOutputStream();
    out.write(("PATCH /files/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + noisy
        + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
        + "Content-Length: " + FLOOD_LENGTH + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(IngestHarness.audio(64 << 10, id.hashCode()));
    out.flush();
    return socket;
  }

  @Test
  void aFloodingPracticeDoesNotDelayAnotherPracticesUploadAndGivesEverySlotBack() throws Exception {
    double baseline = quietUpload(1);
    assertThat(gauge("sessionflow.limit.uploads.in.progress")).isZero(); // the completed upload freed its slot

    // The flood: as many uploads as its user may have, then a burst of creations and consents refused.
    List<String> flood = new ArrayList<>();
    for (int i = 0; i < FLOOD; i++) {
      HttpResponse<String> created = create(noisy, noisyConsent, FLOOD_LENGTH);
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      flood.add(id(created));
    }
    assertThat(gauge("sessionflow.limit.uploads.in.progress")).isEqualTo(FLOOD);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> refused = create(noisy, noisyConsent, FLOOD_LENGTH);
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
      assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(new JsonObject(refused.body()).getString("detail"))
          .contains("8 uploads in progress", "DELETE /files/{id}", "retry in 30 s");
    }
    HttpResponse<String> badConsent = create(noisy, "00000000000000000000000000", 10);
    assertThat(badConsent.statusCode()).isEqualTo(429); // the quota is checked before anything else
    // 3 consents a minute (one more every 20 s): a quick burst is refused by the fourth at the latest.
    HttpResponse<String> tooManyConsents = consent(noisy);
    for (int i = 0; i < 3 && tooManyConsents.statusCode() == 201; i++) {
      tooManyConsents = consent(noisy);
    }
    assertThat(tooManyConsents.statusCode()).isEqualTo(429);
    assertThat(Long.parseLong(tooManyConsents.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 20L);
    assertThat(new JsonObject(tooManyConsents.body()).getString("detail")).contains("consents", "3 a minute");
    assertThat(registry().get("sessionflow.limit.refusals").tag("limit", "uploads_in_progress")
        .tag("scope", "user").counter().count()).isEqualTo(4);

    // Slow PATCHes that hold their buffers: four get memory (all but the reserve), four wait paused.
    List<Socket> sockets = new ArrayList<>();
    try {
      for (String id : flood) {
        sockets.add(slowPatch(id));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> gauge("sessionflow.upload.buffer.waiting") == 4
          && gauge("sessionflow.upload.buffer.bytes") >= 40 << 20);
      double held = gauge("sessionflow.upload.buffer.bytes");

      double loaded = quietUpload(2);
      System.out.printf("TenantFairnessIT: quiet practice's %d MiB upload %.2f s alone, %.2f s while another "
          + "practice holds %d MiB of a 64 MiB budget with %d more streams waiting%n", QUIET_SIZE >> 20, baseline,
          loaded, (long) held >> 20, (int) gauge("sessionflow.upload.buffer.waiting"));
      assertThat(loaded).isLessThan(20);
      // The flood was holding its memory the whole time: its streams are still open and waiting.
      assertThat(gauge("sessionflow.upload.buffer.waiting")).isEqualTo(4);
      assertThat(gauge("sessionflow.upload.buffer.bytes")).isEqualTo(held);
      assertThat(registry().get("sessionflow.upload.buffer.waits").tag("reason", "user_share").counter().count()
          + registry().get("sessionflow.upload.buffer.waits").tag("reason", "practice_share").counter().count())
          .isGreaterThanOrEqualTo(4);

      // A streaming upload whose connection drops gives its slot back.
      try (Socket put = new Socket("127.0.0.1", harness.port())) {
        put.getOutputStream().write(("POST /v1/recordings?consentId=" + otherConsent + " HTTP/1.1\r\nHost: "
            + "127.0.0.1\r\nAuthorization: Bearer " + other + "\r\nContent-Type: audio/wav\r\nContent-Length: "
            + (4 << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        put.getOutputStream().write(IngestHarness.audio(64 << 10, 3));
        put.getOutputStream().flush();
        await().atMost(Duration.ofSeconds(30)).until(() -> gauge("sessionflow.limit.uploads.in.progress")
            == FLOOD + 1);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> gauge("sessionflow.limit.uploads.in.progress") == FLOOD);
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }

    // Dropped PATCHes keep their uploads in progress; terminating them frees their slots.
    await().atMost(Duration.ofSeconds(30)).until(() -> gauge("sessionflow.upload.buffer.bytes") == 0);
    for (String id : flood.subList(0, FLOOD - 1)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> harness.send(harness.request("/files/" + id, noisy)
          .header("Tus-Resumable", "1.0.0").DELETE()).statusCode() == 204);
    }
    assertThat(gauge("sessionflow.limit.uploads.in.progress")).isEqualTo(1);
    // The last one expires: found expired, it is cleaned up and its slot freed.
    harness.clock.advance(Duration.ofHours(25));
    try {
      assertThat(harness.send(harness.request("/files/" + flood.get(FLOOD - 1), noisy)
          .header("Tus-Resumable", "1.0.0").method("HEAD", BodyPublishers.noBody())).statusCode()).isEqualTo(410);
      await().atMost(Duration.ofSeconds(30)).until(() -> gauge("sessionflow.limit.uploads.in.progress") == 0);
    } finally {
      harness.clock.advance(Duration.ofHours(-25));
    }
    // With its uploads gone the noisy user may create again; a failed creation holds nothing.
    assertThat(create(noisy, "00000000000000000000000000", 10).statusCode()).isEqualTo(403);
    // The slot is given back when the server has ended the response, which the client may see first.
    await().atMost(Duration.ofSeconds(10)).until(() -> gauge("sessionflow.limit.uploads.in.progress") == 0);
    assertThat(create(noisy, noisyConsent, 10).statusCode()).isEqualTo(201);
    assertThat(gauge("sessionflow.limit.uploads.in.progress")).isEqualTo(1);
  }
}
