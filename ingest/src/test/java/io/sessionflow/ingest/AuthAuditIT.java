package io.sessionflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.ingest.auth.LocalTokenIssuer;
import io.sessionflow.ingest.auth.Role;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every 401 leaves an audit entry with a reason code (and the subject only of a token whose
 * signature was verified), never the token; and with the default settings no origin gets CORS
 * headers.
 */
class AuthAuditIT {
  static IngestHarness harness;
  static final List<PipelineEvent> SEEN = new CopyOnWriteArrayList<>();
  static EventStream.Replay replay;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of());
    replay = harness.runtime().events().replay(Set.of(Topic.AUDIT), e -> {
      SEEN.add(e.event());
      return CompletableFuture.completedFuture(null);
    });
  }

  @AfterAll
  static void stop() {
    replay.close();
    harness.close();
  }

  @Test
  void every401IsAuditedWithItsReasonAndNeverTheToken() {
    String id = io.sessionflow.common.crypto.Ids.newId();
    String stranger = LocalTokenIssuer.loadOrCreate(harness.dir.resolve("stranger"), Clock.systemUTC())
        .issue("ther-x", Role.THERAPIST, "prac-x", Duration.ofHours(1));
    String expired = LocalTokenIssuer.loadOrCreate(harness.dir.resolve("secrets"), Clock.fixed(Instant.now()
        .minus(Duration.ofHours(3)), ZoneOffset.UTC)).issue("ther-old", Role.THERAPIST, "prac-x", Duration.ofHours(1));
    assertThat(status("/v1/recordings/" + id, null)).isEqualTo(401);
    assertThat(status("/v1/recordings/" + id + "/transcript", "not-a-jwt")).isEqualTo(401);
    assertThat(status("/v1/consents/" + id, stranger)).isEqualTo(401);
    assertThat(status("/files/" + id, expired)).isEqualTo(401);
    HttpResponse<String> basic = harness.send(harness.request("/v1/me", null).header("Authorization", "Basic eDp5"));
    assertThat(basic.statusCode()).isEqualTo(401);
    assertThat(status("/metrics", null)).isEqualTo(401);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(audited())
        .extracting(AuditEvent::actor, AuditEvent::role, AuditEvent::resourceType, AuditEvent::resourceId,
            AuditEvent::outcome)
        .contains(
            org.assertj.core.groups.Tuple.tuple("anonymous", "none", "recording", id, "denied:missing"),
            org.assertj.core.groups.Tuple.tuple("anonymous", "none", "recording", id, "denied:malformed"),
            org.assertj.core.groups.Tuple.tuple("anonymous", "none", "consent", id, "denied:bad-signature"),
            // Signature valid, so the subject is known; nothing else of the token is.
            org.assertj.core.groups.Tuple.tuple("ther-old", "none", "recording", id, "denied:expired"),
            org.assertj.core.groups.Tuple.tuple("anonymous", "none", "api", "none", "denied:malformed"),
            org.assertj.core.groups.Tuple.tuple("anonymous", "none", "metrics", "none", "denied:missing")));
    assertThat(audited()).allSatisfy(entry -> {
      assertThat(entry.action()).isEqualTo("authenticate");
      assertThat(entry.toString()).doesNotContain(stranger).doesNotContain(expired).doesNotContain("prac-x")
          .doesNotContain("ther-x").doesNotContain("not-a-jwt");
    });
  }

  @Test
  void aDeniedOutcomeIsRecordedForTheLead() {
    String id = io.sessionflow.common.crypto.Ids.newId();
    var audit = new io.sessionflow.ingest.audit.AuditLog(harness.runtime().events().publisher(),
        harness.runtime().clock(), harness.runtime().vertx());
    audit.denied(new io.sessionflow.ingest.auth.Caller("ther-d", Role.THERAPIST, "prac-d"), "transcript.read",
        "recording", id, "not-found");
    audit.denied(null, "recording.read", "recording", id, "Not Found: client kestrel");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(SEEN.stream()
        .filter(AuditEvent.class::isInstance).map(AuditEvent.class::cast).filter(a -> a.resourceId().equals(id)))
        .extracting(AuditEvent::actor, AuditEvent::role, AuditEvent::action, AuditEvent::outcome)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("ther-d", "therapist", "transcript.read", "denied:not-found"),
            // A reason that is not a code is never copied into the trail.
            org.assertj.core.groups.Tuple.tuple("anonymous", "none", "recording.read", "denied:other")));
  }

  @Test
  void byDefaultNoOriginGetsCorsHeaders() {
    String therapist = harness.token("ther-c", Role.THERAPIST, "prac-c");
    for (String origin : new String[] {"https://app.example", "null"}) {
      HttpResponse<String> preflight = harness.send(harness.request("/files/", null).header("Origin", origin)
          .header("Access-Control-Request-Method", "PATCH").method("OPTIONS", BodyPublishers.noBody()));
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).as(origin).isEmpty();
      assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).as(origin).isEmpty();
      HttpResponse<String> me = harness.send(harness.request("/v1/me", therapist).header("Origin", origin));
      assertThat(me.statusCode()).isEqualTo(200);
      assertThat(me.headers().map().keySet()).as(origin).noneMatch(h -> h.toLowerCase().startsWith("access-control"));
    }
  }

  private static List<AuditEvent> audited() {
    return SEEN.stream().filter(AuditEvent.class::isInstance).map(AuditEvent.class::cast)
        .filter(a -> a.action().equals("authenticate")).toList();
  }

  private static int status(String path, String token) {
    return harness.send(harness.request(path, token)).statusCode();
  }
}
