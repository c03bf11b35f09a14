package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** tus 1.0 against a real ingest on the embedded broker and S3Proxy: every extension and error path. */
class TusProtocolIT {
  static final byte[] MARKER = IngestHarness.MARKER;
  static IngestHarness harness;
  static String therapist;
  static String consentId;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of("upload-max-size", "64MiB", "cors-allowed-origins", "https://app.example",
        "cors-allowed-headers", "X-App-Version"));
    therapist = harness.token("ther-a", Role.THERAPIST, "prac-1");
    consentId = consent(therapist, "[\"record\",\"transcribe\"]");
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  static String consent(String token, String scope) {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString("{\"clientRef\":\"client-" + System.nanoTime() + "\",\"scope\":" + scope
            + ",\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  static byte[] audio(int size, long seed) {
    return IngestHarness.audio(size, seed);
  }

  static String metadata(String consent) {
    return "consentId " + b64(consent) + ",filename " + b64("session-with-client.wav");
  }

  static String b64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  static HttpResponse<String> create(String token, Long length, String metadata, String... headers) {
    HttpRequest.Builder request = harness.request("/files/", token).header("Tus-Resumable", "1.0.0");
    if (length != null) {
      request.header("Upload-Length", Long.toString(length));
    }
    if (metadata != null) {
      request.header("Upload-Metadata", metadata);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return harness.send(request.POST(BodyPublishers.noBody()));
  }

  static String location(HttpResponse<String> created) {
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return created.headers().firstValue("Location").orElseThrow();
  }

  static HttpResponse<String> patch(String token, String location, long offset, byte[] body, String... headers) {
    HttpRequest.Builder request = harness.request(location, token).header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", Long.toString(offset))
        .header("Content-Type", "application/offset+octet-stream");
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return harness.send(request.method("PATCH", BodyPublishers.ofByteArray(body)));
  }

  static HttpResponse<String> head(String token, String location) {
    return harness.send(harness.request(location, token).header("Tus-Resumable", "1.0.0")
        .method("HEAD", BodyPublishers.noBody()));
  }

  static long offset(HttpResponse<?> response) {
    return Long.parseLong(response.headers().firstValue("Upload-Offset").orElseThrow());
  }

  static byte[] stored(String id) {
    return harness.stored(id);
  }

  static String id(String location) {
    return location.substring(location.lastIndexOf('/') + 1);
  }

  @Test
  void optionsAdvertisesExactlyWhatIsImplementedWithoutAToken() {
    HttpResponse<String> options = harness.send(harness.request("/files/", null)
        .method("OPTIONS", BodyPublishers.noBody()));
    assertThat(options.statusCode()).isEqualTo(204);
    assertThat(options.headers().firstValue("Tus-Version")).hasValue("1.0.0");
    assertThat(options.headers().firstValue("Tus-Extension")).hasValue("creation,creation-with-upload,"
        + "creation-defer-length,termination,checksum,expiration,concatenation");
    assertThat(options.headers().firstValue("Tus-Max-Size")).hasValue(Long.toString(64L << 20));
    assertThat(options.headers().firstValue("Tus-Checksum-Algorithm")).hasValue("sha1,sha256");
  }

  @Test
  void aRefusalForWantOfATokenIsATusAnswerToo() {
    HttpResponse<String> refused = harness.send(harness.request("/files/", null).header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10").POST(BodyPublishers.noBody()));
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("Tus-Resumable")).hasValue("1.0.0");
    assertThat(refused.headers().firstValue("WWW-Authenticate")).isPresent();
    assertThat(harness.send(harness.request("/v1/me", null).GET()).headers().firstValue("Tus-Resumable"))
        .as("not on the rest of the API").isEmpty();
  }

  @Test
  void corsPreflightExposesTheHeadersBrowserClientsNeed() {
    HttpResponse<String> preflight = harness.send(harness.request("/files/", null)
        .header("Origin", "https://app.example").header("Access-Control-Request-Method", "PATCH")
        .header("Access-Control-Request-Headers", "authorization,tus-resumable,upload-offset,content-type,"
            + "x-request-id,x-app-version")
        .method("OPTIONS", BodyPublishers.noBody()));
    assertThat(preflight.statusCode()).isIn(200, 204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods").orElse("")).contains("PATCH");
    assertThat(String.join(",", preflight.headers().allValues("Access-Control-Allow-Headers")).toLowerCase())
        .as("tus-js-client's addRequestId, and the app's own header (CORS_ALLOWED_HEADERS)")
        .contains("x-request-id").contains("x-app-version");
    HttpResponse<String> actual = harness.send(harness.request("/files/", therapist)
        .header("Origin", "https://app.example").header("Tus-Resumable", "1.0.0")
        .method("HEAD", BodyPublishers.noBody()));
    assertThat(String.join(",", actual.headers().allValues("Access-Control-Expose-Headers")))
        .contains("Upload-Offset").contains("Location").contains("Tus-Resumable")
        .as("what a 503 or 401 tells browser code").contains("Retry-After").contains("WWW-Authenticate");
  }

  @Test
  void anUploadInSeveralPatchesIsStoredEncryptedAndDecryptsToTheOriginal() throws Exception {
    byte[] audio = audio(12_000_000, 1);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    HttpResponse<String> first = patch(therapist, location, 0, Arrays.copyOfRange(audio, 0, 7_000_000));
    assertThat(first.statusCode()).isEqualTo(204);
    assertThat(offset(first)).isEqualTo(7_000_000);
    assertThat(first.headers().firstValue("Upload-Expires")).isPresent();
    HttpResponse<String> status = head(therapist, location);
    assertThat(offset(status)).isEqualTo(7_000_000);
    assertThat(status.headers().firstValue("Upload-Length")).hasValue("12000000");
    assertThat(status.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(TusRoutes.parseMetadata(status.headers().firstValue("Upload-Metadata").orElseThrow()))
        .containsEntry("consentId", consentId).containsEntry("filename", "session-with-client.wav");
    HttpResponse<String> last = patch(therapist, location, 7_000_000, Arrays.copyOfRange(audio, 7_000_000,
        audio.length));
    assertThat(offset(last)).isEqualTo(audio.length);
    assertThat(stored(id(location))).isEqualTo(audio);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      HttpResponse<String> recording = harness.send(harness.request("/v1/recordings/" + id(location), therapist)
          .GET());
      assertThat(new JsonObject(recording.body()).getString("status")).isEqualTo("STORED");
    });
    assertThat(filesContaining(harness.dir.resolve("objects"), MARKER)).isEmpty();
    assertThat(filesContaining(harness.dir.resolve("kafka"), MARKER)).isEmpty();
    assertThat(filesContaining(harness.dir.resolve("objects"), "session-with-client".getBytes())).isEmpty();
  }

  @Test
  void protocolErrorsAnswerWithTheirTusStatus() {
    byte[] audio = audio(1000, 2);
    String location = location(create(therapist, 1000L, metadata(consentId)));
    HttpResponse<String> noVersion = harness.send(harness.request(location, therapist)
        .method("HEAD", BodyPublishers.noBody()));
    assertThat(noVersion.statusCode()).isEqualTo(412);
    assertThat(noVersion.headers().firstValue("Tus-Version")).hasValue("1.0.0");
    HttpResponse<String> wrongType = harness.send(harness.request(location, therapist)
        .header("Tus-Resumable", "1.0.0").header("Upload-Offset", "0").header("Content-Type", "text/plain")
        .method("PATCH", BodyPublishers.ofByteArray(audio)));
    assertThat(wrongType.statusCode()).isEqualTo(415);
    assertThat(patch(therapist, location, 10, audio).statusCode()).isEqualTo(409);
    assertThat(patch(therapist, location, 0, Arrays.copyOf(audio, 1500)).statusCode()).isEqualTo(413);
    assertThat(offset(head(therapist, location))).isZero();
    assertThat(head(therapist, "/files/0123456789abcdef").statusCode()).isEqualTo(404);
    // Refused before routing (encoded slashes and dot segments), see HttpHygieneIT.
    assertThat(head(therapist, "/files/..%2F..%2Fkeys").statusCode()).isEqualTo(400);
    assertThat(create(therapist, null, metadata(consentId)).statusCode()).isEqualTo(400);
    HttpResponse<String> tooBig = create(therapist, 65L << 20, metadata(consentId));
    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(tooBig.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(create(therapist, 10L, "consentId !!notbase64").statusCode()).isEqualTo(400);
    HttpResponse<String> blankOverride = harness.send(harness.request(location, therapist)
        .header("Tus-Resumable", "1.0.0").header("X-HTTP-Method-Override", " ").POST(BodyPublishers.noBody()));
    assertThat(blankOverride.statusCode()).as("not a 500").isEqualTo(400);
  }

  @Test
  void checksumMismatchDiscardsTheBodyAndAMatchingOneIsKept() throws Exception {
    byte[] audio = audio(6_000_000, 3);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    byte[] half = Arrays.copyOf(audio, 3_000_000);
    HttpResponse<String> bad = patch(therapist, location, 0, half, "Upload-Checksum",
        "sha256 " + Base64.getEncoder().encodeToString(new byte[32]));
    assertThat(bad.statusCode()).isEqualTo(460);
    assertThat(offset(head(therapist, location))).isZero();
    // The status line names it (not "Client Error (460)").
    try (java.net.Socket raw = new java.net.Socket("127.0.0.1", harness.port())) {
      raw.setSoTimeout(20_000);
      raw.getOutputStream().write(("PATCH " + location.replace(harness.base(), "") + " HTTP/1.1\r\nHost: 127.0.0.1"
          + "\r\nAuthorization: Bearer " + therapist + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
          + "Upload-Checksum: sha256 " + Base64.getEncoder().encodeToString(new byte[32]) + "\r\n"
          + "Content-Type: application/offset+octet-stream\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
          + "0123456789").getBytes(StandardCharsets.US_ASCII));
      raw.getOutputStream().flush();
      assertThat(new String(raw.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
          .startsWith("HTTP/1.1 460 Checksum Mismatch\r\n");
    }
    assertThat(patch(therapist, location, 0, half, "Upload-Checksum", "md5 AAAA").statusCode()).isEqualTo(400);
    String sha1 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(half));
    assertThat(offset(patch(therapist, location, 0, half, "Upload-Checksum", "sha1 " + sha1))).isEqualTo(3_000_000);
    byte[] rest = Arrays.copyOfRange(audio, 3_000_000, audio.length);
    String sha256 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(rest));
    assertThat(offset(patch(therapist, location, 3_000_000, rest, "Upload-Checksum", "sha256 " + sha256)))
        .isEqualTo(audio.length);
    assertThat(stored(id(location))).isEqualTo(audio);
  }

  @Test
  void anExpiredUploadAnswers410AndIsCleanedUp() {
    String location = location(create(therapist, 5000L, metadata(consentId)));
    patch(therapist, location, 0, audio(100, 4));
    harness.clock.advance(Duration.ofHours(25));
    try {
      assertThat(head(therapist, location).statusCode()).isEqualTo(410);
      assertThat(patch(therapist, location, 100, audio(100, 5)).statusCode()).isIn(410, 423);
      await().atMost(Duration.ofSeconds(20)).until(() -> head(therapist, location).statusCode() == 404);
      assertThat(keyGone(id(location))).isTrue();
    } finally {
      harness.clock.advance(Duration.ofHours(-25));
    }
  }

  @Test
  void aNewerPatchTakesOverFromOneStillOpenAndOnlyTheOwnerCanMakeItDoSo() throws Exception {
    byte[] audio = audio(2_000_000, 6);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    // The first PATCH sends a little and then hangs, the way a connection that died without a reset looks.
    java.net.Socket old = new java.net.Socket("127.0.0.1", harness.port());
    old.setSoTimeout(20_000);
    old.getOutputStream().write(("PATCH " + location.replace(harness.base(), "") + " HTTP/1.1\r\nHost: 127.0.0.1"
        + "\r\nAuthorization: Bearer " + therapist + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
        + "Content-Type: application/offset+octet-stream\r\nContent-Length: " + audio.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    old.getOutputStream().write(audio, 0, 1000);
    old.getOutputStream().flush();
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.runtime().registry()
        .get("sessionflow.uploads.active").gauge().value() == 1);
    // Someone who may not write this upload cannot interrupt its writer.
    String stranger = harness.token("ther-x", Role.THERAPIST, "prac-2");
    assertThat(patch(stranger, location, 0, audio).statusCode()).isEqualTo(404);
    assertThat(takeovers()).isZero();
    // The owner coming back over a new connection takes over: the old request ends, what it delivered is kept.
    HttpResponse<String> newer = patch(therapist, location, 0, audio);
    assertThat(takeovers()).isEqualTo(1);
    // The old request is answered why, and its connection closed (its body is not read any further).
    try (old) {
      String answer = new String(old.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 400").contains("took over");
    }
    long kept = offset(head(therapist, location));
    if (kept == 0) {
      assertThat(offset(newer)).as(newer.body()).isEqualTo(audio.length);
    } else {
      // The old request's bytes were stored before the newer one looked: it is told where to resume.
      assertThat(newer.statusCode()).as(newer.body()).isEqualTo(409);
      assertThat(kept).isLessThanOrEqualTo(1000);
      assertThat(offset(patch(therapist, location, kept, Arrays.copyOfRange(audio, (int) kept, audio.length))))
          .isEqualTo(audio.length);
    }
    assertThat(stored(id(location))).isEqualTo(audio);
  }

  private static double takeovers() {
    return harness.runtime().registry().get("sessionflow.uploads.takeovers").counter().count();
  }

  @Test
  void aWriterOnAnotherReplicaLocksOutUntilItsLeaseLapses() {
    byte[] audio = audio(1000, 11);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    String lockKey = "uploads/" + id(location) + "/lock";
    // Another replica is writing: its lock is fresh.
    harness.runtime().store().put(IngestHarness.BUCKET, lockKey,
        ("other-replica " + java.time.Instant.now().plusSeconds(60)).getBytes(StandardCharsets.UTF_8), Map.of())
        .join();
    assertThat(patch(therapist, location, 0, audio).statusCode()).isEqualTo(423);
    // That replica died: its lease lapsed, so the next writer takes over.
    harness.runtime().store().put(IngestHarness.BUCKET, lockKey,
        ("other-replica " + java.time.Instant.now().minusSeconds(1)).getBytes(StandardCharsets.UTF_8), Map.of())
        .join();
    assertThat(offset(patch(therapist, location, 0, audio))).isEqualTo(audio.length);
    assertThat(harness.runtime().store().listKeys(IngestHarness.BUCKET, lockKey).join()).isEmpty();
  }

  @Test
  void terminationDeletesTheUploadItsBytesAndItsKey() {
    String location = location(create(therapist, 6_000_000L, metadata(consentId)));
    patch(therapist, location, 0, audio(5_500_000, 7));
    HttpResponse<String> deleted = harness.send(harness.request(location, therapist)
        .header("Tus-Resumable", "1.0.0").DELETE());
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(head(therapist, location).statusCode()).isEqualTo(404);
    assertThat(keyGone(id(location))).isTrue();
    assertThat(harness.runtime().store().listMultipartUploads(IngestHarness.BUCKET, "raw/" + id(location)).join())
        .isEmpty();
  }

  @Test
  void onlyTheOwnerOrTheirClinicAdminSeesAnUpload() {
    String location = location(create(therapist, 100L, metadata(consentId)));
    assertThat(head(null, location).statusCode()).isEqualTo(401);
    assertThat(head("not.a.token", location).statusCode()).isEqualTo(401);
    String expired = harness.issuer.issue("ther-a", Role.THERAPIST, "prac-1", Duration.ofSeconds(-120));
    assertThat(head(expired, location).statusCode()).isEqualTo(401);
    assertThat(head(harness.token("ther-b", Role.THERAPIST, "prac-1"), location).statusCode()).isEqualTo(404);
    assertThat(head(harness.token("admin-1", Role.CLINIC_ADMIN, "prac-1"), location).statusCode()).isEqualTo(200);
    assertThat(head(harness.token("admin-2", Role.CLINIC_ADMIN, "prac-2"), location).statusCode()).isEqualTo(404);
    assertThat(head(harness.token("ops-1", Role.OPS, null), location).statusCode()).isEqualTo(403);
    assertThat(patch(harness.token("ther-b", Role.THERAPIST, "prac-1"), location, 0, new byte[10]).statusCode())
        .isEqualTo(404);
  }

  @Test
  void noUploadWithoutAValidUnrevokedRecordingConsentOfTheCallersPractice() {
    assertThat(create(therapist, 10L, "filename " + b64("x.wav")).statusCode()).isEqualTo(400);
    assertThat(create(therapist, 10L, "consentId " + b64("nosuchconsent")).statusCode()).isEqualTo(403);
    String otherPractice = consent(harness.token("ther-z", Role.THERAPIST, "prac-9"), "[\"record\"]");
    assertThat(create(therapist, 10L, metadata(otherPractice)).statusCode()).isEqualTo(403);
    String analyzeOnly = consent(therapist, "[\"analyze\"]");
    assertThat(create(therapist, 10L, metadata(analyzeOnly)).statusCode()).isEqualTo(403);
    String revoked = consent(therapist, "[\"record\"]");
    assertThat(harness.send(harness.request("/v1/consents/" + revoked, therapist).DELETE()).statusCode())
        .isEqualTo(204);
    HttpResponse<String> refused = create(therapist, 10L, metadata(revoked));
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("revoked");
  }

  @Test
  void anUploadResumesAfterTheIngestRestarts() {
    byte[] audio = audio(11_000_000, 8);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    assertThat(offset(patch(therapist, location, 0, Arrays.copyOf(audio, 6_000_000)))).isEqualTo(6_000_000);
    harness.restart();
    assertThat(offset(head(therapist, location))).isEqualTo(6_000_000);
    assertThat(offset(patch(therapist, location, 6_000_000, Arrays.copyOfRange(audio, 6_000_000, audio.length))))
        .isEqualTo(audio.length);
    assertThat(stored(id(location))).isEqualTo(audio);
  }

  @Test
  void deferredLengthCreationWithUploadAndConcatenation() {
    byte[] audio = audio(7_000_000, 9);
    // Deferred length, given with the last PATCH.
    String deferred = location(create(therapist, null, metadata(consentId), "Upload-Defer-Length", "1"));
    assertThat(head(therapist, deferred).headers().firstValue("Upload-Defer-Length")).hasValue("1");
    patch(therapist, deferred, 0, Arrays.copyOf(audio, 4_000_000));
    assertThat(offset(patch(therapist, deferred, 4_000_000, Arrays.copyOfRange(audio, 4_000_000, audio.length),
        "Upload-Length", Integer.toString(audio.length)))).isEqualTo(audio.length);
    assertThat(stored(id(deferred))).isEqualTo(audio);

    // Creation with upload: the first bytes ride on the POST.
    HttpResponse<String> withBody = harness.send(harness.request("/files/", therapist)
        .header("Tus-Resumable", "1.0.0").header("Upload-Length", "3000")
        .header("Upload-Metadata", metadata(consentId)).header("Content-Type", "application/offset+octet-stream")
        .POST(BodyPublishers.ofByteArray(Arrays.copyOf(audio, 3000))));
    assertThat(withBody.statusCode()).isEqualTo(201);
    assertThat(offset(withBody)).isEqualTo(3000);
    assertThat(stored(id(location(withBody)))).isEqualTo(Arrays.copyOf(audio, 3000));

    // Concatenation: two partial uploads in parallel, joined into one recording (of other bytes: the same ones
    // again under the same consent would be recognised as the recording above).
    byte[] parts = audio(7_000_000, 19);
    String partA = location(create(therapist, 5_500_000L, null, "Upload-Concat", "partial"));
    String partB = location(create(therapist, 1_500_000L, null, "Upload-Concat", "partial"));
    assertThat(head(therapist, partA).headers().firstValue("Upload-Concat")).hasValue("partial");
    patch(therapist, partA, 0, Arrays.copyOf(parts, 5_500_000));
    patch(therapist, partB, 0, Arrays.copyOfRange(parts, 5_500_000, parts.length));
    HttpResponse<String> finalUpload = create(therapist, null, metadata(consentId), "Upload-Concat",
        "final;" + harness.base() + partA + " " + partB);
    String joined = location(finalUpload);
    HttpResponse<String> joinedHead = head(therapist, joined);
    assertThat(offset(joinedHead)).isEqualTo(parts.length);
    assertThat(joinedHead.headers().firstValue("Upload-Concat")).hasValue("final;" + partA + " " + partB);
    assertThat(stored(id(joined))).isEqualTo(parts);
    assertThat(head(therapist, partA).statusCode()).isEqualTo(404);
    assertThat(keyGone(id(partA))).isTrue();
  }

  @Test
  void aStreamedPostStoresTheWholeBodyAsARecording() {
    byte[] audio = audio(9_000_000, 10);
    HttpResponse<String> created = harness.send(harness.request("/v1/recordings?consentId=" + consentId, therapist)
        .POST(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(audio))));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonObject body = new JsonObject(created.body());
    assertThat(body.getLong("bytes")).isEqualTo(audio.length);
    assertThat(stored(body.getString("id"))).isEqualTo(audio);
    HttpResponse<String> refused = harness.send(harness.request("/v1/recordings?consentId=nosuch", therapist)
        .POST(BodyPublishers.ofByteArray(audio)));
    assertThat(refused.statusCode()).isEqualTo(403);
    HttpResponse<String> empty = harness.send(harness.request("/v1/recordings?consentId=" + consentId, therapist)
        .POST(BodyPublishers.noBody()));
    assertThat(empty.statusCode()).isEqualTo(400);
  }

  // ---- what real clients found (issue 19) -------------------------------------------------------

  /** One HTTP/1.1 exchange on a socket, byte for byte: what a client that sends Expect sees. */
  static final class RawHttp implements AutoCloseable {
    final java.net.Socket socket;
    final java.io.InputStream in;

    RawHttp() throws IOException {
      socket = new java.net.Socket("127.0.0.1", harness.port());
      socket.setSoTimeout(60_000);
      in = new java.io.BufferedInputStream(socket.getInputStream());
    }

    void send(String head, byte[] body) throws IOException {
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      if (body != null) {
        socket.getOutputStream().write(body);
      }
      socket.getOutputStream().flush();
    }

    /** The next response head: its status line first, then each header lower-cased, then the body if it has one. */
    List<String> read() throws IOException {
      List<String> lines = new ArrayList<>();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          String done = line.toString().stripTrailing();
          line.setLength(0);
          if (done.isEmpty()) {
            break;
          }
          lines.add(lines.isEmpty() ? done : done.toLowerCase(java.util.Locale.ROOT));
        } else {
          line.append((char) c);
        }
      }
      lines.stream().filter(l -> l.startsWith("content-length:")).findFirst().ifPresent(l -> {
        try {
          lines.add(new String(in.readNBytes(Integer.parseInt(l.substring(15).trim())), StandardCharsets.UTF_8));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      return lines;
    }

    static String patchHead(String location, String token, long offset, long length, String... extra) {
      StringBuilder head = new StringBuilder("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + token + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: " + offset + "\r\n"
          + "Content-Type: application/offset+octet-stream\r\nContent-Length: " + length + "\r\n");
      for (String header : extra) {
        head.append(header).append("\r\n");
      }
      return head.append("\r\n").toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void expectContinueIsAnsweredOnceTheTokenLockAndOffsetChecksPass() throws Exception {
    byte[] audio = audio(3000, 21);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    try (RawHttp client = new RawHttp()) {
      client.send(RawHttp.patchHead(location, therapist, 0, 1000, "Expect: 100-continue"), null);
      assertThat(client.read()).first().isEqualTo("HTTP/1.1 100 Continue");
      client.send("", Arrays.copyOf(audio, 1000));
      List<String> answer = client.read();
      assertThat(answer).first().isEqualTo("HTTP/1.1 204 No Content");
      assertThat(answer).contains("upload-offset: 1000");
      // The same connection goes on: the next PATCH is read as a request of its own.
      client.send(RawHttp.patchHead(location, therapist, 1000, 2000, "Expect: 100-continue"), null);
      assertThat(client.read()).first().isEqualTo("HTTP/1.1 100 Continue");
      client.send("", Arrays.copyOfRange(audio, 1000, 3000));
      assertThat(client.read()).contains("upload-offset: 3000");
    }
    assertThat(stored(id(location))).isEqualTo(audio);
    String other = location(create(therapist, 3000L, metadata(consentId)));
    // A refusal goes out instead of the 100, and the connection closes: the body the client may still send
    // must not be read as its next request.
    try (RawHttp client = new RawHttp()) {
      client.send(RawHttp.patchHead(other, therapist, 5, 1000, "Expect: 100-continue"), null);
      List<String> refused = client.read();
      assertThat(refused).first().isEqualTo("HTTP/1.1 409 Conflict");
      assertThat(refused).contains("connection: close");
    }
    try (RawHttp client = new RawHttp()) {
      client.send(RawHttp.patchHead(other, "not-a-token", 0, 1000, "Expect: 100-continue"), null);
      assertThat(client.read()).first().isEqualTo("HTTP/1.1 401 Unauthorized");
    }
    assertThat(offset(head(therapist, other))).isZero();
  }

  @Test
  void aPatchAtTheEndOfACompleteUploadIsAnsweredLikeTusd() {
    byte[] audio = audio(4000, 22);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    assertThat(offset(patch(therapist, location, 0, audio))).isEqualTo(4000);
    // tus-java-client's loop, for a file that is a multiple of its chunk size, or after a lost response.
    HttpResponse<String> again = patch(therapist, location, 4000, new byte[0]);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(204);
    assertThat(offset(again)).isEqualTo(4000);
    assertThat(again.headers().firstValue("Upload-Expires")).isEmpty();
    HttpResponse<String> more = patch(therapist, location, 4000, new byte[10]);
    assertThat(more.statusCode()).isEqualTo(413);
    assertThat(more.body()).contains("complete");
    assertThat(patch(therapist, location, 0, audio).statusCode()).isEqualTo(409);
    assertThat(stored(id(location))).isEqualTo(audio);
  }

  /** Waits until the status view has the recording announced (what the purge needs before it runs). */
  static void announced(String id) {
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      HttpResponse<String> status = harness.send(harness.request("/v1/recordings/" + id, therapist).GET());
      // Until then it is answered from the upload's state, which counts what it "received".
      return status.statusCode() == 200 && !new JsonObject(status.body()).containsKey("received");
    });
  }

  /** What the purge leaves of a transcribed recording's upload: nothing under uploads/ID/ and no raw audio. */
  static void purgeUploadObjects(String id) {
    var store = harness.runtime().store();
    for (String key : Stream.concat(store.listKeys(IngestHarness.BUCKET, "uploads/" + id + "/").join().stream(),
        store.listKeys(IngestHarness.BUCKET, "raw/" + id).join().stream()).toList()) {
      store.delete(IngestHarness.BUCKET, key).join();
    }
  }

  @Test
  void aCompletedUploadKeepsAnsweringAfterThePurgeRemovedItsAudioAndState() {
    byte[] audio = audio(5000, 23);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    assertThat(offset(patch(therapist, location, 0, audio))).isEqualTo(5000);
    announced(id(location));
    purgeUploadObjects(id(location));
    HttpResponse<String> head = head(therapist, location);
    assertThat(head.statusCode()).as("tus-js-client would upload the whole recording again on a 404")
        .isEqualTo(200);
    assertThat(offset(head)).isEqualTo(5000);
    assertThat(head.headers().firstValue("Upload-Length")).hasValue("5000");
    assertThat(head.headers().firstValue("Upload-Metadata")).hasValue("consentId " + b64(consentId));
    assertThat(patch(therapist, location, 5000, new byte[0]).statusCode()).isEqualTo(204);
    assertThat(head(harness.token("ther-b", Role.THERAPIST, "prac-1"), location).statusCode()).isEqualTo(404);
  }

  @Test
  void theSameBytesUploadedAgainUnderTheSameConsentAreRecognisedNotStoredTwice() {
    byte[] audio = audio(6000, 24);
    String first = location(create(therapist, (long) audio.length, metadata(consentId)));
    assertThat(offset(patch(therapist, first, 0, audio))).isEqualTo(6000);
    announced(id(first));
    double before = duplicates();

    String again = location(create(therapist, (long) audio.length, metadata(consentId)));
    HttpResponse<String> last = patch(therapist, again, 0, audio);
    assertThat(last.statusCode()).isEqualTo(204);
    assertThat(offset(last)).isEqualTo(6000);
    JsonObject status = new JsonObject(harness.send(harness.request("/v1/recordings/" + id(again), therapist)
        .GET()).body());
    assertThat(status.getString("status")).isEqualTo("DUPLICATE");
    assertThat(status.getString("duplicateOf")).isEqualTo(id(first));
    assertThat(harness.runtime().store().listKeys(IngestHarness.BUCKET, "raw/" + id(again)).join())
        .as("the second copy's bytes are not kept").isEmpty();
    assertThat(keyGone(id(again))).isTrue();
    HttpResponse<String> pointer = head(therapist, again);
    assertThat(offset(pointer)).as("its URL still answers").isEqualTo(6000);
    assertThat(pointer.headers().firstValue("Upload-Expires")).as("until its expiry").isPresent();
    assertThat(duplicates()).isEqualTo(before + 1);
    HttpResponse<String> streamed = harness.send(harness.request("/v1/recordings?consentId=" + consentId, therapist)
        .POST(BodyPublishers.ofByteArray(audio)));
    assertThat(new JsonObject(streamed.body()).getString("duplicateOf")).as("a streamed re-upload says so")
        .isEqualTo(id(first));
    assertThat(duplicates()).isEqualTo(before + 2);

    // Another consent (another client's session) is another recording, whatever its bytes.
    String otherConsent = consent(therapist, "[\"record\"]");
    String elsewhere = location(create(therapist, (long) audio.length, metadata(otherConsent)));
    assertThat(offset(patch(therapist, elsewhere, 0, audio))).isEqualTo(6000);
    assertThat(stored(id(elsewhere))).isEqualTo(audio);
    assertThat(duplicates()).isEqualTo(before + 2);

    // A recording that failed is one to upload again: its bytes are then stored and processed anew.
    harness.runtime().events().publisher().publish(new io.sessionflow.common.event.RecordingFailedEvent(1,
        harness.clock.instant(), id(first), "transcriber", "no speech", 1, "sessionflow.recording.stored")).join();
    await().atMost(Duration.ofSeconds(60)).until(() -> harness.send(harness.request("/v1/recordings/" + id(first),
        therapist).GET()).body().contains("FAILED"));
    String retry = location(create(therapist, (long) audio.length, metadata(consentId)));
    assertThat(offset(patch(therapist, retry, 0, audio))).isEqualTo(6000);
    assertThat(stored(id(retry))).isEqualTo(audio);
    assertThat(duplicates()).isEqualTo(before + 2);
  }

  private static double duplicates() {
    // One counter per source (tus, put): summed.
    return harness.runtime().registry().find("sessionflow.uploads.duplicates").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }

  @Test
  void creationWithUploadVerifiesItsChecksumAndReportsWhatWentWrongWithItsBody() throws Exception {
    byte[] audio = audio(3000, 25);
    String sha256 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(audio));
    HttpResponse<String> mismatch = createWithBody(3000, audio, "sha256 " + Base64.getEncoder()
        .encodeToString(new byte[32]));
    assertThat(mismatch.statusCode()).as(mismatch.body()).isEqualTo(460);
    String kept = mismatch.headers().firstValue("Location").orElseThrow();
    assertThat(offset(head(therapist, kept))).as("the upload exists, its unverified bytes do not").isZero();
    assertThat(offset(patch(therapist, kept, 0, audio, "Upload-Checksum", "sha256 " + sha256))).isEqualTo(3000);

    HttpResponse<String> verified = createWithBody(3000, audio, "sha256 " + sha256);
    assertThat(verified.statusCode()).isEqualTo(201);
    assertThat(offset(verified)).isEqualTo(3000);

    HttpResponse<String> tooLong = createWithBody(1000, audio, null);
    assertThat(tooLong.statusCode()).as("as a PATCH with too many bytes is answered").isEqualTo(413);
    assertThat(head(therapist, tooLong.headers().firstValue("Location").orElseThrow()).statusCode()).isEqualTo(200);
  }

  static HttpResponse<String> createWithBody(long length, byte[] body, String checksum) {
    HttpRequest.Builder request = harness.request("/files/", therapist).header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", Long.toString(length)).header("Upload-Metadata", metadata(consentId))
        .header("Content-Type", "application/offset+octet-stream");
    if (checksum != null) {
      request.header("Upload-Checksum", checksum);
    }
    return harness.send(request.POST(BodyPublishers.ofByteArray(body)));
  }

  @Test
  void aShutdownAnswersAPatchInFlightWithTheOffsetItStored() throws Exception {
    byte[] audio = audio(8_000_000, 26);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    assertThat(offset(patch(therapist, location, 0, Arrays.copyOf(audio, 1_000_000)))).isEqualTo(1_000_000);
    try (RawHttp client = new RawHttp()) {
      client.send(RawHttp.patchHead(location, therapist, 1_000_000, audio.length - 1_000_000),
          Arrays.copyOfRange(audio, 1_000_000, 3_000_000));
      await().atMost(Duration.ofSeconds(30)).until(() -> harness.runtime().registry()
          .get("sessionflow.uploads.active").gauge().value() >= 1);
      java.util.concurrent.CompletableFuture<Void> stopping = java.util.concurrent.CompletableFuture.runAsync(
          () -> harness.runtime().close());
      List<String> answer = client.read();
      assertThat(answer).first().isEqualTo("HTTP/1.1 503 Service Unavailable");
      assertThat(answer).anyMatch(h -> h.startsWith("retry-after:"));
      long told = answer.stream().filter(h -> h.startsWith("upload-offset:")).map(h -> Long.parseLong(h.substring(14)
          .trim())).findFirst().orElseThrow(() -> new AssertionError("no Upload-Offset in " + answer));
      assertThat(told).isBetween(1_000_000L, 3_000_000L);
      stopping.get(60, java.util.concurrent.TimeUnit.SECONDS);
      harness.restart();
      assertThat(offset(head(therapist, location))).as("what the 503 said is what is stored").isEqualTo(told);
      assertThat(offset(patch(therapist, location, told, Arrays.copyOfRange(audio, (int) told, audio.length))))
          .isEqualTo(audio.length);
    }
    assertThat(stored(id(location))).isEqualTo(audio);
  }

  @Test
  void theUploadersHeadWhileItsPatchIsStillOpenStoresWhatArrivedAndTellsThatOffset() throws Exception {
    byte[] audio = audio(2_000_000, 31);
    String location = location(create(therapist, (long) audio.length, metadata(consentId)));
    try (RawHttp open = new RawHttp()) {
      // Uppy's pause: the browser gives the PATCH up, but its connection may linger here.
      open.send(RawHttp.patchHead(location, therapist, 0, audio.length), Arrays.copyOf(audio, 50_000));
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.runtime().registry()
          .get("sessionflow.uploads.active").gauge().value() == 1);
      String admin = harness.token("admin-1", Role.CLINIC_ADMIN, "prac-1");
      assertThat(head(admin, location).statusCode()).as("a clinic admin's HEAD interrupts nothing").isEqualTo(200);
      assertThat(harness.runtime().registry().get("sessionflow.uploads.active").gauge().value()).isEqualTo(1);
      long told = offset(head(therapist, location));
      assertThat(open.read()).first().asString().startsWith("HTTP/1.1 400");
      assertThat(told).as("what the open PATCH had delivered, stored before HEAD answered").isBetween(0L, 50_000L);
      assertThat(offset(patch(therapist, location, told, Arrays.copyOfRange(audio, (int) told, audio.length))))
          .as("the next PATCH at the offset HEAD gave is taken, no 409").isEqualTo(audio.length);
    }
    assertThat(stored(id(location))).isEqualTo(audio);
  }

  static boolean keyGone(String id) {
    try {
      harness.runtime().keys().load(id, io.sessionflow.common.crypto.RecordingKeys.Purpose.AUDIO).join();
      return false;
    } catch (RuntimeException e) {
      return Failures.unwrap(e) instanceof StorageException se && se.isNotFound();
    }
  }

  static List<Path> filesContaining(Path root, byte[] needle) throws IOException {
    List<Path> hits = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] data = Files.readAllBytes(file);
        for (int i = 0; i + needle.length <= data.length; i++) {
          if (Arrays.equals(data, i, i + needle.length, needle, 0, needle.length)) {
            hits.add(file);
            break;
          }
        }
      }
    }
    return hits;
  }
}
