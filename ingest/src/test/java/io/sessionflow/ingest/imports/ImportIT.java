package io.sessionflow.ingest.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Clinic archive imports through the real ingest: good entries stored, bad ones rejected with a reason. */
class ImportIT {
  static IngestHarness harness;
  static String admin;
  static String consentA;
  static String consentB;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of("import-max-entry-size", "8MiB"));
    admin = harness.token("admin-1", Role.CLINIC_ADMIN, "prac-imp");
    consentA = consent("client-a");
    consentB = consent("client-b");
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  static String consent(String clientRef) {
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", admin)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"" + clientRef
            + "\",\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-10-01T09:00:00Z\"}")));
    return new JsonObject(created.body()).getString("id");
  }

  static byte[] zip(Map<String, byte[]> entries) {
    return IngestHarness.zip(entries);
  }

  static byte[] manifest(String... rows) {
    return ("filename,clientRef,consentId,recordedAt\n" + String.join("\n", rows) + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static HttpResponse<String> post(String token, byte[] archive) {
    return harness.send(harness.request("/v1/imports", token).header("Content-Type", "application/zip")
        .POST(BodyPublishers.ofByteArray(archive)));
  }

  static JsonObject entry(JsonObject status, String name) {
    JsonArray entries = status.getJsonArray("entries");
    for (int i = 0; i < entries.size(); i++) {
      if (name.equals(entries.getJsonObject(i).getString("name"))) {
        return entries.getJsonObject(i);
      }
    }
    throw new AssertionError("no entry " + name + " in " + status.encodePrettily());
  }

  /** The import's report once it has ended. */
  static JsonObject finished(String id) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> new JsonObject(
        harness.send(harness.request("/v1/imports/" + id, admin).GET()).body()), r -> !"RUNNING".equals(
        r.getString("status")));
  }

  @Test
  void aGoodArchiveIsStoredAndBadEntriesAreRejectedWithAReasonWhileTheRestContinue() throws Exception {
    byte[] first = IngestHarness.audio(6_000_000, 31);
    byte[] second = IngestHarness.audio(300_000, 32);
    Map<String, byte[]> entries = new LinkedHashMap<>();
    // Audio before the manifest: stored first, checked and announced once the whole archive has been read.
    entries.put("2026/session-1.wav", first);
    entries.put("early-unlisted.wav", second);
    entries.put("manifest.csv", manifest("2026/session-1.wav,client-a," + consentA + ",2026-10-02",
        "session-2.wav,client-b," + consentB + ",2026-10-03", "notes.wav,client-b," + consentB + ",2026-10-03",
        "wrong-client.wav,client-a," + consentB + ",2026-10-03", "unknown.wav,client-a,nosuchconsent,2026-10-03",
        "too-big.wav,client-a," + consentA + ",2026-10-04"));
    entries.put("session-2.wav", second);
    entries.put("../../etc/passwd.wav", second);
    entries.put("notes.wav", "just some text, not audio at all".getBytes(StandardCharsets.UTF_8));
    entries.put("wrong-client.wav", second);
    entries.put("unknown.wav", second);
    entries.put("not-in-manifest.wav", second);
    entries.put("too-big.wav", IngestHarness.audio(9_000_000, 33));
    HttpResponse<String> response = post(admin, zip(entries));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    JsonObject accepted = new JsonObject(response.body());
    // Answered once the body was read, while the two entries that came before the manifest wait for their check.
    assertThat(accepted.getString("status")).isEqualTo("RUNNING");
    assertThat(accepted.getJsonObject("progress").getInteger("awaitingConsentCheck")).isEqualTo(2);
    assertThat(response.headers().firstValue("Location")).contains("/v1/imports/" + accepted.getString("id"));
    JsonObject status = finished(accepted.getString("id"));
    assertThat(status.getString("status")).isEqualTo("COMPLETED");
    assertThat(status.getJsonObject("progress").getInteger("awaitingConsentCheck")).isZero();
    assertThat(status.getJsonObject("progress").getInteger("entriesTotal")).isEqualTo(6);
    assertThat(status.getJsonObject("progress").getLong("stored")).isEqualTo(2);
    assertThat(entry(status, "early-unlisted.wav").getString("reason")).contains("no manifest.csv row");
    assertThat(entry(status, "early-unlisted.wav").getString("recordingId")).isNull();

    String firstId = entry(status, "2026/session-1.wav").getString("recordingId");
    assertThat(harness.stored(firstId)).isEqualTo(first);
    assertThat(harness.stored(entry(status, "session-2.wav").getString("recordingId"))).isEqualTo(second);
    assertThat(entry(status, "../../etc/passwd.wav").getString("reason")).contains("unsafe entry name");
    assertThat(entry(status, "notes.wav").getString("reason")).contains("not audio");
    assertThat(entry(status, "wrong-client.wav").getString("reason")).contains("another client");
    assertThat(entry(status, "unknown.wav").getString("reason")).contains("does not exist");
    assertThat(entry(status, "not-in-manifest.wav").getString("reason")).contains("no manifest.csv row");
    assertThat(entry(status, "too-big.wav").getString("reason")).contains("larger than the limit");

    HttpResponse<String> read = harness.send(harness.request("/v1/imports/" + status.getString("id"), admin).GET());
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(harness.send(harness.request("/v1/imports/" + status.getString("id"),
        harness.token("admin-x", Role.CLINIC_ADMIN, "prac-other")).GET()).statusCode()).isEqualTo(404);
  }

  @Test
  void aTarGzWithDuplicatesAndALinkIsHandledEntryByEntry() throws Exception {
    byte[] audio = IngestHarness.audio(200_000, 34);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
      put(tar, "manifest.csv", manifest("a.wav,client-a," + consentA + ",2026-10-02"));
      put(tar, "a.wav", audio);
      put(tar, "a.wav", audio);
      link(tar, TarArchiveEntry.LF_SYMLINK, "link.wav", "/etc/shadow");
    }
    HttpResponse<String> response = post(admin, out.toByteArray());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    JsonObject status = new JsonObject(response.body());
    assertThat(status.getJsonObject("progress").getLong("stored")).isEqualTo(1);
    assertThat(status.getJsonArray("entries").stream().map(e -> ((JsonObject) e).getString("reason")))
        .anyMatch(r -> r != null && r.contains("duplicate")).anyMatch(r -> r != null && r.contains("links"));
  }

  @Test
  void hostileNamesLinksAndLyingSizesAreRefusedWithAReasonAndNothingOfThemIsStored() throws Exception {
    byte[] audio = IngestHarness.audio(200_000, 37);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // Names written as raw Latin-1 bytes: 0xFF 0xFE is no UTF-8 at all.
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out), "ISO-8859-1")) {
      put(tar, "manifest.csv", manifest("good.wav,client-a," + consentA + ",2026-10-02"));
      put(tar, "good.wav", audio);
      put(tar, "\u00ff\u00fe-session.wav", audio);
      put(tar, "/etc/cron.d/evil.wav", audio);
      put(tar, "./../../outside.wav", audio);
      put(tar, "ctl\u0007bell.wav", audio);
      link(tar, TarArchiveEntry.LF_LINK, "hard.wav", "good.wav");
    }
    HttpResponse<String> response = post(admin, out.toByteArray());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    JsonObject status = new JsonObject(response.body());
    assertThat(status.getJsonObject("progress").getLong("stored")).isEqualTo(1);
    assertThat(entry(status, "good.wav").getString("recordingId")).isNotNull();
    List<JsonObject> refused = status.getJsonArray("entries").stream().map(JsonObject.class::cast)
        .filter(e -> e.getString("recordingId") == null).toList();
    assertThat(refused).hasSize(5).allSatisfy(e -> assertThat(e.getString("reason")).isNotBlank());
    assertThat(response.body()).doesNotContain("\u00ff").doesNotContain("\u0007");

    // A header that declares far more bytes than follow: the archive is truncated, said so, nothing half-stored.
    ByteArrayOutputStream lying = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(lying)) {
      TarArchiveEntry huge = new TarArchiveEntry("huge.wav");
      huge.setSize(50L << 30);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.putArchiveEntry(huge);
      tar.write(audio);
      tar.flush();
    } catch (java.io.IOException expected) {
      // Closing an entry short of its declared size fails: the bytes written so far are the archive.
    }
    HttpResponse<String> truncated = post(admin, lying.toByteArray());
    assertThat(truncated.statusCode()).as(truncated.body()).isIn(202, 422);
    assertThat(truncated.body()).doesNotContain("Exception");
    JsonObject report = new JsonObject(truncated.body());
    assertThat(report.getJsonObject("progress", new JsonObject()).getLong("stored", 0L)).isZero();
  }

  private static void put(TarArchiveOutputStream tar, String name, byte[] data) throws Exception {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(data.length);
    tar.putArchiveEntry(entry);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  /** A symbolic ({@code LF_SYMLINK}) or hard ({@code LF_LINK}) link entry pointing at {@code target}. */
  private static void link(TarArchiveOutputStream tar, byte type, String name, String target) throws Exception {
    TarArchiveEntry link = new TarArchiveEntry(name, type);
    link.setLinkName(target);
    tar.putArchiveEntry(link);
    tar.closeArchiveEntry();
  }

  @Test
  void aZipBombStopsTheImportAndKeepsWhatWasStoredBefore() throws Exception {
    byte[] audio = IngestHarness.audio(200_000, 35);
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("manifest.csv", manifest("ok.wav,client-a," + consentA + ",2026-10-02"));
    entries.put("ok.wav", audio);
    byte[] zeros = new byte[64 << 20];
    System.arraycopy("RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.US_ASCII), 0, zeros, 0, 16);
    entries.put("bomb.wav", zeros);
    HttpResponse<String> response = post(admin, zip(entries));
    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(response.body()).contains("decompression bomb");
    String importId = response.headers().firstValue("Location").orElseThrow().replace("/v1/imports/", "");
    JsonObject status = new JsonObject(harness.send(harness.request("/v1/imports/" + importId, admin).GET())
        .body());
    assertThat(status.getString("status")).isEqualTo("FAILED");
    assertThat(harness.stored(entry(status, "ok.wav").getString("recordingId"))).isEqualTo(audio);
  }

  @Test
  void aTruncatedOrForeignArchiveFailsWithAClearErrorAndOnlyAdminsImport() throws Exception {
    byte[] audio = IngestHarness.audio(3_000_000, 36);
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("manifest.csv", manifest("ok.wav,client-a," + consentA + ",2026-10-02"));
    entries.put("ok.wav", audio);
    byte[] whole = zip(entries);
    HttpResponse<String> truncated = post(admin, Arrays.copyOf(whole, whole.length / 2));
    assertThat(truncated.statusCode()).isEqualTo(422);
    assertThat(truncated.body()).contains("corrupt or truncated");
    HttpResponse<String> notAnArchive = post(admin, "hello".getBytes(StandardCharsets.UTF_8));
    assertThat(notAnArchive.statusCode()).isEqualTo(422);
    assertThat(notAnArchive.body()).contains("not a zip or tar.gz");
    HttpResponse<String> therapist = post(harness.token("ther-1", Role.THERAPIST, "prac-imp"), whole);
    assertThat(therapist.statusCode()).isEqualTo(403);
  }
}
