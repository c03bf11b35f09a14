package io.sessionflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.PlainJWT;
import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.event.AnalysisReadyEvent;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.ingest.auth.LocalTokenIssuer;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint against every kind of caller: the owner, another therapist of the same practice,
 * the practice's clinic admin, a therapist and an admin of another practice, ops, and callers
 * with no token or a bad one. Clinical data is seen by its owner and their clinic admin only;
 * anyone else gets 404 (never 403, never the data), ops gets 403, a bad token 401.
 */
class AuthorizationMatrixIT {
  private static final String PRACTICE = "prac-m";
  private static IngestHarness harness;
  private static Map<String, String> callers;
  private static String recording;
  private static String consent;
  private static String upload;
  private static String importId;

  @BeforeAll
  static void start() throws Exception {
    harness = new IngestHarness(Map.of());
    callers = new LinkedHashMap<>();
    callers.put("owner", harness.token("ther-own", Role.THERAPIST, PRACTICE));
    callers.put("colleague", harness.token("ther-other", Role.THERAPIST, PRACTICE));
    callers.put("admin", harness.token("admin-m", Role.CLINIC_ADMIN, PRACTICE));
    callers.put("stranger", harness.token("ther-z", Role.THERAPIST, "prac-z"));
    callers.put("strangerAdmin", harness.token("admin-z", Role.CLINIC_ADMIN, "prac-z"));
    callers.put("ops", harness.token("ops-1", Role.OPS, null));

    HttpResponse<String> created = harness.send(harness.request("/v1/consents", callers.get("owner"))
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"heron-22\","
            + "\"scope\":[\"record\",\"transcribe\",\"analyze\"],\"formVersion\":\"v1\","
            + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    consent = new JsonObject(created.body()).getString("id");
    recording = recordingWithEverything();
    upload = tusUpload();
    importId = clinicImport();
    replay = harness.runtime().events().replay(Set.of(Topic.AUDIT, Topic.DELETION_REQUESTED), e -> {
      SEEN.add(e.event());
      return CompletableFuture.completedFuture(null);
    });
  }

  @AfterAll
  static void stop() {
    replay.close();
    harness.close();
  }

  private static final List<PipelineEvent> SEEN = new CopyOnWriteArrayList<>();
  private static EventStream.Replay replay;

  private static String consentOf(String caller, String clientRef) {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", callers.get(caller))
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"" + clientRef
            + "\",\"scope\":[\"record\",\"transcribe\",\"analyze\"],\"formVersion\":\"v1\","
            + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  private static String tusCreate(String caller, String consentId, String concat) {
    HttpRequest.Builder request = harness.request("/files/", callers.get(caller)).header("Tus-Resumable", "1.0.0");
    if (concat.startsWith("final")) {
      request.header("Upload-Concat", concat).header("Upload-Metadata", "consentId " + b64(consentId));
    } else {
      request.header("Upload-Length", "16").header("Upload-Concat", "partial");
    }
    HttpResponse<String> created = harness.send(request.POST(BodyPublishers.noBody()));
    String location = created.headers().firstValue("Location").orElse("");
    return created.statusCode() + " " + (location.isEmpty() ? "" : location.substring(location.indexOf("/files/")));
  }

  private static JsonObject importStatus() {
    return new JsonObject(harness.send(harness.request("/v1/imports/" + importId, callers.get("admin")).GET()).body());
  }

  private static String b64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  private static List<AuditEvent> audits(String actor, String resourceId) {
    return SEEN.stream().filter(AuditEvent.class::isInstance).map(AuditEvent.class::cast)
        .filter(a -> a.actor().equals(actor) && resourceId.equals(a.resourceId())).toList();
  }

  @Test
  void aConsentIsUsedOnlyByTheTherapistWhoCapturedItAndByTheClinicAdminForImports() {
    // A colleague may not upload under the owner's consent; an admin may not either, outside an import.
    for (String caller : List.of("colleague", "admin")) {
      assertThat(call("POST-AUDIO", "/v1/recordings?consentId=" + consent, callers.get(caller))).as(caller)
          .isEqualTo(403);
      HttpResponse<String> tus = harness.send(harness.request("/files/", callers.get(caller))
          .header("Tus-Resumable", "1.0.0").header("Upload-Length", "100")
          .header("Upload-Metadata", "consentId " + b64(consent)).POST(BodyPublishers.noBody()));
      assertThat(tus.statusCode()).as(caller + " tus").isEqualTo(403);
    }
    // The owner may; the admin's import under the owner's consent was accepted in start() (202).
    assertThat(call("POST-AUDIO", "/v1/recordings?consentId=" + consent, callers.get("owner"))).isEqualTo(201);
    await().atMost(Duration.ofSeconds(60)).until(() -> "COMPLETED".equals(importStatus().getString("status")));
    assertThat(importStatus().getJsonObject("progress").getLong("stored")).as(importStatus().encode()).isEqualTo(1);
  }

  @Test
  void aClinicAdminSeesATherapistsUploadButNeitherWritesToItNorJoinsItNorReadsItsFileName() {
    String filename = "session-with-heron.m4a";
    HttpResponse<String> created = harness.send(harness.request("/files/", callers.get("owner"))
        .header("Tus-Resumable", "1.0.0").header("Upload-Length", "1000")
        .header("Upload-Metadata", "consentId " + b64(consent) + ",filename " + b64(filename))
        .POST(BodyPublishers.noBody()));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String location = created.headers().firstValue("Location").orElseThrow();
    String named = location.substring(location.indexOf("/files/"));
    String id = named.substring("/files/".length());

    HttpResponse<String> ownersHead = harness.send(harness.request(named, callers.get("owner"))
        .header("Tus-Resumable", "1.0.0").method("HEAD", BodyPublishers.noBody()));
    assertThat(ownersHead.headers().firstValue("Upload-Metadata").orElse("")).contains(b64(filename));
    HttpResponse<String> adminsHead = harness.send(harness.request(named, callers.get("admin"))
        .header("Tus-Resumable", "1.0.0").method("HEAD", BodyPublishers.noBody()));
    assertThat(adminsHead.statusCode()).isEqualTo(200);
    assertThat(adminsHead.headers().firstValue("Upload-Offset")).contains("0");
    assertThat(adminsHead.headers().firstValue("Upload-Metadata").orElse("")).doesNotContain(b64(filename))
        .doesNotContain("filename");

    assertThat(call("PATCH", named, callers.get("admin"))).as("admin appends").isEqualTo(403);
    HttpResponse<String> offset = harness.send(harness.request(named, callers.get("owner"))
        .header("Tus-Resumable", "1.0.0").method("HEAD", BodyPublishers.noBody()));
    assertThat(offset.headers().firstValue("Upload-Offset")).as("nothing was appended").contains("0");

    // A completed partial of the owner's may be joined by the owner only.
    String partial = tusCreate("owner", consent, "partial").split(" ")[1];
    assertThat(call("PATCH", partial, callers.get("owner"))).isEqualTo(204);
    assertThat(tusCreate("admin", consent, "final;" + partial).split(" ")[0]).as("admin joins").isIn("403", "404");
    assertThat(tusCreate("colleague", consentOf("colleague", "heron-22"), "final;" + partial).split(" ")[0])
        .as("colleague joins").isEqualTo("404");
    assertThat(tusCreate("owner", consent, "final;" + partial).split(" ")[0]).as("owner joins").isEqualTo("201");

    // Every HEAD is audited (it decrypts the metadata); a colleague's attempt is audited as denied.
    assertThat(call("HEAD", named, callers.get("colleague"))).isEqualTo(404);
    await().atMost(Duration.ofSeconds(30)).until(() -> audits("ther-own", id).stream()
        .anyMatch(a -> a.action().equals("upload.head") && a.outcome().equals("ok"))
        && audits("admin-m", id).stream().anyMatch(a -> a.action().equals("upload.head"))
        && audits("ther-other", id).stream().anyMatch(a -> a.outcome().startsWith("denied")));
    assertThat(SEEN.stream().filter(AuditEvent.class::isInstance).map(EventCodec::toJson))
        .noneMatch(json -> json.contains(filename));
  }

  @Test
  void aTherapistsClientDeletionIsLimitedToTheirOwnConsentsAndAnAdminsCoversThePractice() {
    String shared = "heron-" + System.nanoTime();
    consentOf("owner", shared);
    consentOf("colleague", shared);
    HttpResponse<String> byColleague = harness.send(harness.request("/v1/clients/" + shared,
        callers.get("colleague")).DELETE());
    assertThat(byColleague.statusCode()).as(byColleague.body()).isEqualTo(202);
    HttpResponse<String> byAdmin = harness.send(harness.request("/v1/clients/" + shared, callers.get("admin"))
        .DELETE());
    assertThat(byAdmin.statusCode()).isEqualTo(202);
    // A therapist without a consent of that client may not ask at all.
    assertThat(call("DELETE", "/v1/clients/" + shared, callers.get("stranger"))).isEqualTo(404);
    assertThat(call("DELETE", "/v1/clients/never-seen-" + System.nanoTime(), callers.get("owner"))).isEqualTo(404);
    String colleagueRequest = new JsonObject(byColleague.body()).getString("requestId");
    String adminRequest = new JsonObject(byAdmin.body()).getString("requestId");
    await().atMost(Duration.ofSeconds(30)).until(() -> requested(colleagueRequest) != null
        && requested(adminRequest) != null);
    assertThat(requested(colleagueRequest).capturedBy()).as("limited to the colleague's own consents")
        .isEqualTo("ther-other");
    assertThat(requested(adminRequest).capturedBy()).as("the whole practice").isNull();
  }

  private static DeletionRequestedEvent requested(String requestId) {
    return SEEN.stream().filter(DeletionRequestedEvent.class::isInstance).map(DeletionRequestedEvent.class::cast)
        .filter(e -> e.requestId().equals(requestId)).findFirst().orElse(null);
  }

  @Test
  void aReadOfARecordingThatExistsButIsNotTheCallersIsAuditedAsDenied() {
    assertThat(call("GET", "/v1/recordings/" + recording + "/transcript", callers.get("colleague"))).isEqualTo(404);
    assertThat(call("GET", "/v1/recordings/" + recording, callers.get("strangerAdmin"))).isEqualTo(404);
    assertThat(call("GET", "/v1/consents/" + consent, callers.get("colleague"))).isEqualTo(404);
    await().atMost(Duration.ofSeconds(30)).until(() -> audits("ther-other", recording).stream()
        .anyMatch(a -> a.action().equals("transcript.read") && a.outcome().startsWith("denied"))
        && audits("admin-z", recording).stream().anyMatch(a -> a.outcome().startsWith("denied"))
        && audits("ther-other", consent).stream().anyMatch(a -> a.outcome().startsWith("denied")));
  }

  /** A stored recording with a transcript, an analysis and a deletion receipt, as the stages leave it. */
  private static String recordingWithEverything() {
    HttpResponse<String> uploaded = harness.send(harness.request("/v1/recordings?consentId=" + consent,
        callers.get("owner")).POST(BodyPublishers.ofByteArray(IngestHarness.audio(200_000, 61))));
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
    String id = new JsonObject(uploaded.body()).getString("id");
    DataKey key = harness.runtime().keys().loadOrCreate(id, RecordingKeys.Purpose.DATA).join();
    harness.runtime().objects().put(key, ObjectKeys.transcript(id), ObjectKeys.TRANSCRIPT,
        ("{\"segments\":[{\"id\":0,\"start\":0.0,\"end\":2.0,\"text\":\"hello\"}],\"language\":\"en\","
            + "\"model\":\"test\",\"audioSeconds\":2.0}").getBytes(StandardCharsets.UTF_8)).join();
    harness.runtime().objects().put(key, ObjectKeys.analysis(id), ObjectKeys.ANALYSIS,
        "{\"analysisVersion\":1,\"riskFlags\":[]}".getBytes(StandardCharsets.UTF_8)).join();
    harness.runtime().store().put(IngestHarness.BUCKET, ObjectKeys.receipt(id),
        ("{\"recordingId\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), Map.of()).join();
    var events = harness.runtime().events().publisher();
    events.publish(new TranscriptReadyEvent(1, Instant.now(), id, PRACTICE, "ther-own", ObjectKeys.transcript(id),
        2.0, 1, "en", "test")).join();
    events.publish(new AnalysisReadyEvent(1, Instant.now(), id, PRACTICE, "ther-own", ObjectKeys.analysis(id), 0))
        .join();
    events.publish(new AudioPurgedEvent(1, Instant.now(), id, ObjectKeys.receipt(id), Instant.now(), "transcribed"))
        .join();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      HttpResponse<String> status = harness.send(harness.request("/v1/recordings/" + id, callers.get("owner")).GET());
      return status.body().contains("\"ANALYZED\"") && status.body().contains("\"PURGED\"");
    });
    return id;
  }

  private static String tusUpload() {
    String metadata = "consentId " + Base64.getEncoder().encodeToString(consent.getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> created = harness.send(harness.request("/files/", callers.get("owner"))
        .header("Tus-Resumable", "1.0.0").header("Upload-Length", "1000000").header("Upload-Metadata", metadata)
        .POST(BodyPublishers.noBody()));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String location = created.headers().firstValue("Location").orElseThrow();
    return location.substring(location.indexOf("/files/"));
  }

  private static String clinicImport() throws Exception {
    Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
    entries.put("a.wav", IngestHarness.audio(100_000, 62));
    entries.put("manifest.csv", ("filename,clientRef,consentId,recordedAt\na.wav,heron-22," + consent + ",2026-10-01\n")
        .getBytes(StandardCharsets.UTF_8));
    byte[] zip = IngestHarness.zip(entries);
    HttpResponse<String> imported = harness.send(harness.request("/v1/imports", callers.get("admin"))
        .header("Content-Type", "application/zip").POST(BodyPublishers.ofByteArray(zip)));
    assertThat(imported.statusCode()).as(imported.body()).isEqualTo(202);
    return new JsonObject(imported.body()).getString("id");
  }

  /** Expected statuses for owner, colleague, admin, stranger, strangerAdmin, ops, in that order. */
  private record Row(String method, String path, int... expected) {
  }

  private static int call(String method, String path, String token) {
    HttpRequest.Builder request = harness.request(path, token);
    if (path.startsWith("/files/")) {
      request.header("Tus-Resumable", "1.0.0");
    }
    return harness.send(switch (method) {
      case "GET" -> request.GET();
      case "HEAD" -> request.method("HEAD", BodyPublishers.noBody());
      case "PATCH" -> request.header("Upload-Offset", "0").header("Content-Type", "application/offset+octet-stream")
          .method("PATCH", BodyPublishers.ofByteArray(new byte[16]));
      case "POST-AUDIO" -> request.POST(BodyPublishers.ofByteArray(IngestHarness.audio(50_000, 63)));
      case "POST-ZIP" -> request.header("Content-Type", "application/zip").POST(BodyPublishers.ofByteArray(
          new byte[] {'P', 'K', 3, 4}));
      case "DELETE" -> request.DELETE();
      default -> throw new IllegalArgumentException(method);
    }).statusCode();
  }

  @Test
  void everyEndpointAnswersEachKindOfCallerAsTheRulesSay() {
    String r = "/v1/recordings/" + recording;
    List<Row> rows = List.of(
        new Row("GET", "/v1/me", 200, 200, 200, 200, 200, 200),
        new Row("GET", r, 200, 404, 200, 404, 404, 403),
        new Row("GET", r + "/transcript", 200, 404, 200, 404, 404, 403),
        new Row("GET", r + "/analysis", 200, 404, 200, 404, 404, 403),
        new Row("GET", r + "/deletion-receipt", 200, 404, 200, 404, 404, 403),
        new Row("GET", "/v1/consents/" + consent, 200, 404, 200, 404, 404, 403),
        new Row("HEAD", upload, 200, 404, 200, 404, 404, 403),
        new Row("GET", "/v1/imports/" + importId, 404, 404, 200, 404, 404, 403),
        new Row("GET", "/v1/ops/dashboard", 403, 403, 403, 403, 403, 200),
        new Row("GET", "/v1/recordings/no-such-recording", 404, 404, 404, 404, 404, 403));
    List<String> wrong = new ArrayList<>();
    for (Row row : rows) {
      int i = 0;
      for (Map.Entry<String, String> caller : callers.entrySet()) {
        int status = call(row.method(), row.path(), caller.getValue());
        if (status != row.expected()[i]) {
          wrong.add(row.method() + " " + row.path() + " as " + caller.getKey() + ": " + status + ", expected "
              + row.expected()[i]);
        }
        i++;
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void changesByCallersWhoMayNotMakeThemAreRefusedAndChangeNothing() {
    List<String> wrong = new ArrayList<>();
    Map<String, Integer> refused = Map.of("colleague", 404, "stranger", 404, "strangerAdmin", 404, "ops", 403);
    for (Row row : List.of(new Row("DELETE", "/v1/recordings/" + recording), new Row("PATCH", upload),
        new Row("DELETE", upload), new Row("DELETE", "/v1/consents/" + consent))) {
      refused.forEach((caller, expected) -> {
        int status = call(row.method(), row.path(), callers.get(caller));
        if (status != expected) {
          wrong.add(row.method() + " " + row.path() + " as " + caller + ": " + status + ", expected " + expected);
        }
      });
    }
    // Uploading under someone else's consent, or importing, is not for everyone either.
    Map<String, Integer> uploaders = Map.of("stranger", 403, "strangerAdmin", 403, "ops", 403);
    uploaders.forEach((caller, expected) -> {
      int status = call("POST-AUDIO", "/v1/recordings?consentId=" + consent, callers.get(caller));
      if (status != expected) {
        wrong.add("POST /v1/recordings as " + caller + ": " + status + ", expected " + expected);
      }
    });
    for (String caller : List.of("owner", "colleague", "ops")) {
      int status = call("POST-ZIP", "/v1/imports", callers.get(caller));
      if (status != 403) {
        wrong.add("POST /v1/imports as " + caller + ": " + status + ", expected 403");
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(call("GET", "/v1/recordings/" + recording, callers.get("owner"))).isEqualTo(200);
    assertThat(call("HEAD", upload, callers.get("owner"))).isEqualTo(200);
    assertThat(call("GET", "/v1/consents/" + consent, callers.get("owner"))).isEqualTo(200);
  }

  /** Signed with the issuer's own key: valid but for the claims. */
  private static String signedWithTheRealKey(JWTClaimsSet claims) throws Exception {
    ECKey key = ECKey.parse(Files.readString(harness.dir.resolve("secrets").resolve("jwt-signing-key.json")));
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  @Test
  void missingForgedExpiredWrongIssuerAndUnsignedTokensAreRefusedEverywhere() throws Exception {
    LocalTokenIssuer stranger = LocalTokenIssuer.loadOrCreate(harness.dir.resolve("stranger-keys"),
        Clock.systemUTC());
    LocalTokenIssuer past = LocalTokenIssuer.loadOrCreate(harness.dir.resolve("secrets"),
        Clock.fixed(Instant.now().minus(Duration.ofHours(3)), ZoneOffset.UTC));
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("ther-own").issuer(LocalTokenIssuer.ISSUER)
        .audience(LocalTokenIssuer.AUDIENCE).claim("role", "therapist").claim("practice", PRACTICE)
        .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1)))).build();
    String valid = callers.get("owner");
    String[] parts = valid.split("\\.");
    String noneHeader = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(
        StandardCharsets.UTF_8));
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("no token", null);
    bad.put("not a JWT", "garbage");
    bad.put("signed by another key", stranger.issue("ther-own", Role.THERAPIST, PRACTICE, Duration.ofHours(1)));
    bad.put("expired", past.issue("ther-own", Role.THERAPIST, PRACTICE, Duration.ofHours(1)));
    bad.put("another issuer", signedWithTheRealKey(new JWTClaimsSet.Builder(claims).issuer("https://evil.example/")
        .build()));
    bad.put("another audience", signedWithTheRealKey(new JWTClaimsSet.Builder(claims).audience("another-api")
        .build()));
    bad.put("no role", signedWithTheRealKey(new JWTClaimsSet.Builder(claims).claim("role", null).build()));
    bad.put("alg=none", new PlainJWT(claims).serialize());
    bad.put("alg=none on a signed body", noneHeader + "." + parts[1] + ".");
    bad.put("tampered claims", parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
        claims.toString().replace("ther-own", "admin-m").getBytes(StandardCharsets.UTF_8)) + "." + parts[2]);
    List<String> wrong = new ArrayList<>();
    for (String path : List.of("/v1/me", "/v1/recordings/" + recording, "/v1/recordings/" + recording
        + "/transcript", "/v1/consents/" + consent, upload, "/v1/ops/dashboard")) {
      bad.forEach((what, token) -> {
        int status = call(path.startsWith("/files/") ? "HEAD" : "GET", path, token);
        if (status != 401) {
          wrong.add(path + " with " + what + ": " + status);
        }
      });
    }
    assertThat(wrong).isEmpty();
    assertThat(call("GET", "/health/ready", null)).isEqualTo(200);
    assertThat(call("GET", "/metrics", null)).as("metrics need an ops token on the public port").isEqualTo(401);
    assertThat(call("GET", "/metrics", callers.get("ops"))).isEqualTo(200);
    assertThat(call("GET", "/metrics", callers.get("owner"))).isEqualTo(403);
  }
}
