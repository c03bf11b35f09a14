package io.sessionflow.ingest.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A body that waits for upload memory longer than half the idle timeout is answered 503 with
 * Retry-After, its upload unchanged, rather than being cut off by the idle timeout with no answer
 * at all. A 16 MiB budget holds one buffer of 5 MiB parts; one upload holds it with a body that
 * keeps trickling (so its own connection is never idle), and another upload's PATCH waits.
 */
class MemoryPatienceIT {
  private static final long LENGTH = 6L << 20;
  private static IngestHarness harness;
  private static String token;
  private static String consent;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of("upload-memory-budget", "16MiB", "http-idle-timeout", "10s"));
    token = harness.token("ther-patient", Role.THERAPIST, "prac-patient");
    consent = new JsonObject(harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"pat-1\","
            + "\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}"))).body())
        .getString("id");
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  private static String create() {
    HttpResponse<String> created = harness.send(harness.request("/files/", token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", Long.toString(LENGTH)).header("Upload-Metadata", "consentId "
            + Base64.getEncoder().encodeToString(consent.getBytes(StandardCharsets.UTF_8)))
        .POST(BodyPublishers.noBody()));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String location = created.headers().firstValue("Location").orElseThrow();
    return location.substring(location.lastIndexOf('/') + 1);
  }

  private static HttpResponse<String> patch(String id, int bytes) {
    return harness.send(harness.request("/files/" + id, token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0").header("Content-Type", "application/offset+octet-stream")
        .method("PATCH", BodyPublishers.ofByteArray(IngestHarness.audio(bytes, id.hashCode()))));
  }

  private static double bufferBytes() {
    return harness.runtime().registry().get("sessionflow.upload.buffer.bytes").gauge().value();
  }

  @Test
  void aPatchThatCannotGetMemoryInTimeIsAnswered503WithRetryAfterAndLosesNothing() throws Exception {
    String holder = create();
    String waiter = create();
    AtomicBoolean trickling = new AtomicBoolean(true);
    java.util.concurrent.ScheduledExecutorService trickle = java.util.concurrent.Executors
        .newSingleThreadScheduledExecutor();
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PATCH /files/" + holder + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
          + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
          + "Content-Length: " + LENGTH + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // A few hundred bytes every 200 ms: far from the declared length, never idle for long.
      byte[] chunk = new byte[256];
      trickle.scheduleAtFixedRate(() -> {
        try {
          out.write(chunk);
          out.flush();
        } catch (java.io.IOException e) {
          trickling.set(false);
          throw new java.io.UncheckedIOException(e);
        }
      }, 0, 200, java.util.concurrent.TimeUnit.MILLISECONDS);
      await().atMost(Duration.ofSeconds(60)).until(() -> bufferBytes() > 0);

      HttpResponse<String> busy = patch(waiter, 1 << 20);
      assertThat(busy.statusCode()).as(busy.body()).isEqualTo(503);
      assertThat(busy.headers().firstValue("Retry-After")).hasValue("5");
      assertThat(busy.headers().firstValue("Tus-Resumable")).hasValue("1.0.0");
      assertThat(new JsonObject(busy.body()).getString("detail")).contains("upload memory", "Retry");
      assertThat(trickling.get()).as("the holder's connection was still open").isTrue();
      assertThat(harness.runtime().registry().get("sessionflow.upload.buffer.gave_up").counter().count())
          .isEqualTo(1);
      HttpResponse<String> head = harness.send(harness.request("/files/" + waiter, token)
          .header("Tus-Resumable", "1.0.0").method("HEAD", BodyPublishers.noBody()));
      assertThat(head.headers().firstValue("Upload-Offset")).hasValue("0");
    } finally {
      trickle.shutdownNow();
    }
    // The holder is gone: the retried PATCH gets its memory and is stored.
    await().atMost(Duration.ofSeconds(60)).until(() -> bufferBytes() == 0);
    HttpResponse<String> retried = patch(waiter, 1 << 20);
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(204);
    assertThat(retried.headers().firstValue("Upload-Offset")).hasValue(Integer.toString(1 << 20));
  }
}
