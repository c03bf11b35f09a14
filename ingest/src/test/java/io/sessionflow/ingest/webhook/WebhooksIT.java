package io.sessionflow.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.event.AnalysisReadyEvent;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Webhooks from registration to the receiver: signed, every event of a recording's life, retried, never SSRF. */
class WebhooksIT {
  static IngestHarness harness;
  static Vertx receivers;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of("webhook-timeout", "20s"));
    receivers = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    harness.close();
    receivers.close().await(10, TimeUnit.SECONDS);
  }

  /** A receiver on loopback: records what it is sent; answers 204, or 503 while {@code down}, or never while held. */
  static final class Receiver {
    final List<JsonObject> received = new CopyOnWriteArrayList<>();
    final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
    volatile boolean down;
    volatile boolean hold;
    volatile String redirectTo;
    final HttpServer server;

    Receiver() throws Exception {
      server = receivers.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
        received.add(new JsonObject().put("id", request.getHeader("webhook-id"))
            .put("timestamp", request.getHeader("webhook-timestamp"))
            .put("signature", request.getHeader("webhook-signature")).put("body", body.toString())
            .put("path", request.path()));
        if (hold) {
          held.add(request);
        } else if (redirectTo != null) {
          request.response().setStatusCode(302).putHeader("Location", redirectTo).end();
        } else {
          request.response().setStatusCode(down ? 503 : 204).end();
        }
      })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.actualPort() + path;
    }

    List<JsonObject> of(String type) {
      return received.stream().filter(r -> new JsonObject(r.getString("body")).getString("type").equals(type))
          .toList();
    }
  }

  static JsonObject register(String admin, String url, String... events) {
    HttpResponse<String> created = harness.send(harness.request("/v1/webhooks", admin)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString(new JsonObject().put("url", url)
            .put("events", new JsonArray(List.of(events))).encode())));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body());
  }

  /** Verifies a delivery the Standard Webhooks way, with the secret as the admin was given it. */
  static boolean signed(JsonObject delivery, String secret) {
    byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
    String expected = WebhookSender.sign(key, delivery.getString("id"), delivery.getString("timestamp"),
        delivery.getString("body"));
    return delivery.getString("signature").equals("v1," + expected);
  }

  static String upload(String therapist, String consentId) {
    byte[] audio = IngestHarness.audio(4000, System.nanoTime());
    HttpResponse<String> created = harness.send(harness.request("/v1/recordings?consentId=" + consentId, therapist)
        .POST(BodyPublishers.ofByteArray(audio)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  static String consent(String therapist) {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", therapist)
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString("{\"clientRef\":\"client-" + System.nanoTime() + "\",\"scope\":[\"record\"],"
            + "\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    return new JsonObject(created.body()).getString("id");
  }

  static void publish(PipelineEvent event) {
    harness.runtime().events().publisher().publish(event).join();
  }

  static JsonArray deliveries(String admin, String webhookId) {
    HttpResponse<String> log = harness.send(harness.request("/v1/webhooks/" + webhookId + "/deliveries", admin).GET());
    assertThat(log.statusCode()).as(log.body()).isEqualTo(200);
    return new JsonObject(log.body()).getJsonArray("deliveries");
  }

  @Test
  void aRecordingsWholeLifeArrivesSignedAcrossAnIngestRestartAndAReceiverOutage() throws Exception {
    String admin = harness.token("admin-1", Role.CLINIC_ADMIN, "prac-life");
    String therapist = harness.token("ther-1", Role.THERAPIST, "prac-life");
    Receiver receiver = new Receiver();
    JsonObject hook = register(admin, receiver.url("/hooks"), WebhookEndpoint.EVENTS.toArray(String[]::new));
    String secret = hook.getString("secret");
    assertThat(secret).startsWith("whsec_");
    HttpResponse<String> listed = harness.send(harness.request("/v1/webhooks", admin).GET());
    assertThat(listed.body()).contains(hook.getString("id")).doesNotContain(secret.substring(6));

    String id = upload(therapist, consent(therapist));
    await().atMost(Duration.ofSeconds(60)).until(() -> !receiver.of("recording.stored").isEmpty());
    Instant now = harness.clock.instant();
    publish(new TranscriptReadyEvent(1, now, id, "prac-life", "ther-1", "transcripts/" + id, 12.5, 3, "en", "tiny"));
    publish(new AnalysisReadyEvent(1, now, id, "prac-life", "ther-1", "analyses/" + id, 0));
    await().atMost(Duration.ofSeconds(60)).until(() -> !receiver.of("recording.analyzed").isEmpty()
        && !receiver.of("recording.transcribed").isEmpty());

    // The receiver goes down: the purge's event fails, is kept, and outlives an ingest restart.
    receiver.down = true;
    publish(new AudioPurgedEvent(1, now, id, "audit/receipts/" + id, now, "transcribed"));
    await().atMost(Duration.ofSeconds(60)).until(() -> deliveries(admin, hook.getString("id")).stream()
        .map(JsonObject.class::cast).anyMatch(d -> "failed".equals(d.getString("outcome"))));
    harness.restart();
    // The receiver is down for a minute, then back: the retry waits for its time (the harness clock's).
    harness.clock.advance(Duration.ofSeconds(60));
    receiver.down = false;
    harness.clock.advance(Duration.ofSeconds(60));
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> receiver.of("audio.purged").stream()
        .anyMatch(r -> r.getString("signature") != null) && deliveries(admin, hook.getString("id")).stream()
        .map(JsonObject.class::cast).anyMatch(d -> "audio.purged".equals(d.getString("type"))
            && "delivered".equals(d.getString("outcome"))));
    publish(new AudioPurgedEvent(1, harness.clock.instant(), id, "audit/receipts/" + id, null, "deletion-request"));
    await().atMost(Duration.ofSeconds(60)).until(() -> !receiver.of("recording.deleted").isEmpty());
    } finally {
      harness.clock.advance(Duration.ofSeconds(-120));
    }

    Set<String> types = receiver.received.stream().map(r -> new JsonObject(r.getString("body")).getString("type"))
        .collect(Collectors.toSet());
    assertThat(types).containsExactlyInAnyOrder("recording.stored", "recording.transcribed", "recording.analyzed",
        "audio.purged", "recording.deleted");
    for (JsonObject delivery : receiver.received) {
      assertThat(signed(delivery, secret)).as("signature of " + delivery).isTrue();
      JsonObject body = new JsonObject(delivery.getString("body"));
      assertThat(body.getJsonObject("data").getString("recordingId")).isEqualTo(id);
      assertThat(body.fieldNames()).containsExactlyInAnyOrder("type", "timestamp", "data");
    }
    // Each event has one webhook-id, whatever the attempts: a receiver dedupes on it.
    Map<String, Set<String>> bodiesById = receiver.received.stream().collect(Collectors.groupingBy(
        r -> r.getString("id"), Collectors.mapping(r -> r.getString("body"), Collectors.toSet())));
    assertThat(bodiesById).hasSize(5).allSatisfy((messageId, bodies) -> assertThat(bodies).hasSize(1));
    JsonArray log = deliveries(admin, hook.getString("id"));
    assertThat(log.stream().map(JsonObject.class::cast).filter(d -> "audio.purged".equals(d.getString("type")))
        .map(d -> d.getString("outcome")).toList()).contains("failed", "delivered");
    assertThat(log.getJsonObject(0).getLong("latencyMs")).isNotNegative();
    assertThat(harness.runtime().registry().get("sessionflow.webhook.deliveries").tag("outcome", "delivered")
        .counter().count()).as("since the restart").isGreaterThanOrEqualTo(2);
  }

  /** An open {@code GET /v1/events}: the lines it has sent so far. */
  static final class EventStreamClient implements AutoCloseable {
    final List<String> lines = new CopyOnWriteArrayList<>();
    final java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
    final java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> response;

    EventStreamClient(String token, String lastEventId) {
      java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
          harness.base() + "/v1/events")).header("Authorization", "Bearer " + token)
          .header("Accept", "text/event-stream");
      if (lastEventId != null) {
        request.header("Last-Event-ID", lastEventId);
      }
      response = java.net.http.HttpClient.newHttpClient().sendAsync(request.GET().build(),
          HttpResponse.BodyHandlers.ofLines());
      response.thenAcceptAsync(r -> {
        r.body().forEach(lines::add);
        ended.complete(null); // the server ended the stream
      });
    }

    /** The events received so far: {id, event, data}. */
    List<JsonObject> events() {
      List<JsonObject> events = new java.util.ArrayList<>();
      JsonObject current = new JsonObject();
      for (String line : lines) {
        if (line.isEmpty()) {
          if (current.containsKey("data")) {
            events.add(current);
          }
          current = new JsonObject();
        } else if (!line.startsWith(":")) {
          int colon = line.indexOf(':');
          current.put(line.substring(0, colon), line.substring(colon + 1).trim());
        }
      }
      return events;
    }

    @Override
    public void close() {
      response.thenAccept(r -> r.body().close());
      response.cancel(true);
    }
  }

  @Test
  void serverSentEventsCarryTheCallersOwnRecordingsAndResumeAfterTheLastEventId() throws Exception {
    String therapist = harness.token("ther-sse", Role.THERAPIST, "prac-sse");
    String colleague = harness.token("ther-other", Role.THERAPIST, "prac-sse");
    String id;
    String storedId;
    try (EventStreamClient mine = new EventStreamClient(therapist, null);
        EventStreamClient theirs = new EventStreamClient(colleague, null)) {
      assertThat(mine.response.get(30, TimeUnit.SECONDS).headers().firstValue("Content-Type").orElseThrow())
          .startsWith("text/event-stream");
      theirs.response.get(30, TimeUnit.SECONDS);
      id = upload(therapist, consent(therapist));
      await().atMost(Duration.ofSeconds(60)).until(() -> mine.events().stream()
          .anyMatch(e -> "recording.stored".equals(e.getString("event"))));
      JsonObject stored = mine.events().stream().filter(e -> "recording.stored".equals(e.getString("event")))
          .findFirst().orElseThrow();
      storedId = stored.getString("id");
      assertThat(new JsonObject(stored.getString("data")).getJsonObject("data").getString("recordingId"))
          .isEqualTo(id);
      String other = upload(colleague, consent(colleague));
      await().atMost(Duration.ofSeconds(60)).until(() -> theirs.events().stream()
          .anyMatch(e -> e.getString("data").contains(other)));
      assertThat(mine.lines).as("a colleague's recording is not on my stream").noneMatch(l -> l.contains(other));
      assertThat(theirs.lines).noneMatch(l -> l.contains(id));
    }
    // Offline while the transcript came: reconnecting after the last event seen brings exactly what was missed.
    publish(new TranscriptReadyEvent(1, harness.clock.instant(), id, "prac-sse", "ther-sse", "transcripts/" + id,
        3.0, 1, "en", "tiny"));
    await().atMost(Duration.ofSeconds(60)).until(() -> harness.send(harness.request("/v1/recordings/" + id, therapist)
        .GET()).body().contains("TRANSCRIBED"));
    try (EventStreamClient resumed = new EventStreamClient(therapist, storedId)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> resumed.events().stream()
          .anyMatch(e -> "recording.transcribed".equals(e.getString("event"))));
      assertThat(resumed.events()).noneMatch(e -> e.getString("id").equals(storedId));
    }
    HttpResponse<String> ops = harness.send(harness.request("/v1/events", harness.token("ops", Role.OPS, "prac-sse"))
        .GET());
    assertThat(ops.statusCode()).isEqualTo(403);
    // A stream does not outlive its token: it ends at the token's expiry.
    String shortLived = harness.issuer.issue("ther-sse", Role.THERAPIST, "prac-sse", Duration.ofSeconds(3));
    try (EventStreamClient expiring = new EventStreamClient(shortLived, null)) {
      HttpResponse<java.util.stream.Stream<String>> open = expiring.response.get(30, TimeUnit.SECONDS);
      assertThat(open.statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(60)).until(expiring.ended::isDone);
    }
  }

  @Test
  void onlyAClinicAdminRegistersAndEndpointsThatCouldReachInsideAreRefused() {
    String therapist = harness.token("ther-2", Role.THERAPIST, "prac-ssrf");
    HttpResponse<String> notAdmin = harness.send(harness.request("/v1/webhooks", therapist)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString(
            "{\"url\":\"https://example.com/h\",\"events\":[\"recording.stored\"]}")));
    assertThat(notAdmin.statusCode()).isEqualTo(403);
    String admin = harness.token("admin-2", Role.CLINIC_ADMIN, "prac-ssrf");
    for (String url : List.of("http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook",
        "http://[::ffff:169.254.169.254]/", "http://user:pw@127.0.0.1/", "ftp://example.com/",
        "http://192.168.1.1/")) {
      HttpResponse<String> refused = harness.send(harness.request("/v1/webhooks", admin)
          .header("Content-Type", "application/json").POST(BodyPublishers.ofString(new JsonObject().put("url", url)
              .put("events", new JsonArray().add("recording.stored")).encode())));
      assertThat(refused.statusCode()).as(url + ": " + refused.body()).isEqualTo(400);
    }
    HttpResponse<String> badEvent = harness.send(harness.request("/v1/webhooks", admin)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString(
            "{\"url\":\"http://127.0.0.1:9/h\",\"events\":[\"recording.everything\"]}")));
    assertThat(badEvent.statusCode()).isEqualTo(400);
    assertThat(harness.send(harness.request("/v1/webhooks", admin).GET()).body()).isEqualTo("{\"webhooks\":[]}");
  }

  @Test
  void aRedirectIsNotFollowedAndOnePracticesSlowEndpointDoesNotDelayAnothers() throws Exception {
    Receiver inside = new Receiver();
    Receiver redirecting = new Receiver();
    redirecting.redirectTo = inside.url("/internal");
    String adminA = harness.token("admin-a", Role.CLINIC_ADMIN, "prac-slow");
    String therapistA = harness.token("ther-a", Role.THERAPIST, "prac-slow");
    Receiver slow = new Receiver();
    slow.hold = true;
    register(adminA, slow.url("/slow"), "recording.stored");
    JsonObject redirect = register(adminA, redirecting.url("/moved"), "recording.stored");
    String adminB = harness.token("admin-b", Role.CLINIC_ADMIN, "prac-fast");
    String therapistB = harness.token("ther-b", Role.THERAPIST, "prac-fast");
    Receiver fast = new Receiver();
    register(adminB, fast.url("/fast"), "recording.stored");

    String consentA = consent(therapistA);
    for (int i = 0; i < 6; i++) {
      upload(therapistA, consentA);
    }
    // Practice A's pool is full of requests its endpoint holds open.
    await().atMost(Duration.ofSeconds(60)).until(() -> slow.held.size() >= 4);
    String recordingB = upload(therapistB, consent(therapistB));
    await().atMost(Duration.ofSeconds(60)).until(() -> !fast.received.isEmpty());
    assertThat(new JsonObject(fast.received.get(0).getString("body")).getJsonObject("data").getString("recordingId"))
        .isEqualTo(recordingB);
    assertThat(slow.held).as("still held while B was delivered").hasSizeLessThanOrEqualTo(4);
    slow.held.forEach(request -> request.response().setStatusCode(204).end());
    slow.hold = false;
    await().atMost(Duration.ofSeconds(60)).until(() -> slow.received.size() >= 6 && redirecting.received.size() >= 6);
    assertThat(inside.received).as("the redirect's target was never called").isEmpty();
    assertThat(deliveries(adminA, redirect.getString("id")).stream().map(JsonObject.class::cast)
        .allMatch(d -> d.getInteger("status") == 302 && "failed".equals(d.getString("outcome")))).isTrue();
  }

  @Test
  void anEndpointFailingForTheWholeRetryPeriodIsDisabledAndItsDeliveryGivenUp() throws Exception {
    String admin = harness.token("admin-d", Role.CLINIC_ADMIN, "prac-down");
    String therapist = harness.token("ther-d", Role.THERAPIST, "prac-down");
    Receiver receiver = new Receiver();
    receiver.down = true;
    JsonObject hook = register(admin, receiver.url("/down"), "recording.stored");
    upload(therapist, consent(therapist));
    await().atMost(Duration.ofSeconds(60)).until(() -> !deliveries(admin, hook.getString("id")).isEmpty());
    harness.clock.advance(Duration.ofHours(25));
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> harness.send(harness.request("/v1/webhooks", admin).GET())
          .body().contains("DISABLED"));
      assertThat(deliveries(admin, hook.getString("id")).getJsonObject(0).getString("outcome")).isEqualTo("given-up");
    } finally {
      harness.clock.advance(Duration.ofHours(-25));
    }
    int before = receiver.received.size();
    Receiver control = new Receiver();
    register(admin, control.url("/control"), "recording.stored");
    String later = upload(therapist, consent(therapist));
    await().atMost(Duration.ofSeconds(60)).until(() -> control.received.stream().anyMatch(r -> r.getString("body")
        .contains(later)));
    assertThat(receiver.received).as("nothing goes to a disabled endpoint").hasSize(before);
    String deleted = hook.getString("id");
    assertThat(harness.send(harness.request("/v1/webhooks/" + deleted, admin).DELETE()).statusCode()).isEqualTo(204);
    assertThat(harness.send(harness.request("/v1/webhooks/" + deleted + "/deliveries",
        harness.token("admin-x", Role.CLINIC_ADMIN, "prac-other")).GET()).statusCode()).isEqualTo(404);
    assertThat(new String(harness.send(harness.request("/v1/webhooks", admin).GET()).body()
        .getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).doesNotContain(deleted);
  }
}
