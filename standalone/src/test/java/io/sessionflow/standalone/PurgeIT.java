package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.storage.ObjectStore;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deletion promise end to end on the standalone jar: transcribed audio is purged (every
 * version, leftover and its key) with a receipt; deletion requests for a recording, a revoked
 * consent, a client and a therapist remove every derived object; the auditor's commands pass with
 * the instance running and stopped; no plaintext audio or transcript text is anywhere in the data
 * dir; and editing the audit chain on disk is caught and named. The instance runs the small test
 * model ({@link StandaloneProcess#smallModel}): what is purged and scanned for does not depend on it.
 */
class PurgeIT {
  @TempDir
  Path work;

  @Test
  void rawAudioIsVerifiablyGoneDeletionsRemoveEverythingAndTheDataDirHoldsNoPlaintext() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    Map<String, byte[]> audio = new LinkedHashMap<>();
    List<String> transcriptTexts = new ArrayList<>();
    StandaloneClient api = new StandaloneClient(port, dataDir, work.resolve("logs"));
    Map<String, String> owner = new LinkedHashMap<>();
    try (StandaloneProcess serve = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port), "--model", StandaloneProcess.smallModel(work).toString())) {
      serve.awaitReady(port, Duration.ofSeconds(90));
      String t1 = api.token("ther-1", "therapist", "practice-1");
      String t2 = api.token("ther-2", "therapist", "practice-1");
      String admin = api.token("admin-1", "clinic-admin", "practice-1");
      String c1 = api.consent(t1, "client-ana");
      String c2 = api.consent(t1, "client-ben");
      String c3 = api.consent(t1, "client-cy");
      String c4 = api.consent(t2, "client-dee");
      for (String[] spec : new String[][] {{"kept", c1, t1}, {"byRecording", c1, t1}, {"byConsent", c2, t1},
          {"byClient", c3, t1}, {"byTherapist", c4, t2}}) {
        byte[] wav = StandaloneProcess.wav(6, spec[0].hashCode());
        String id = api.upload(spec[2], spec[1], wav);
        audio.put(id, wav);
        owner.put(spec[0], id);
        owner.put(id + ".token", spec[2]);
      }

      // Every recording is transcribed and its audio purged, with a receipt.
      for (String id : audio.keySet()) {
        String token = owner.get(id + ".token");
        await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1)).until(() ->
            "PURGED".equals(api.recording(id, token).getString("audio")));
        // The API serves the transcript's plaintext bytes as stored before encryption: any window of
        // them, or any segment's text, found on disk would be a leak.
        HttpResponse<String> transcript = api.send("GET", "/v1/recordings/" + id + "/transcript", token, null);
        String plain = transcript.body();
        int segments = plain.indexOf("\"segments\"");
        assertThat(segments).as(plain).isNotNegative();
        transcriptTexts.add(plain.substring(segments, Math.min(plain.length(), segments + 48)));
        StandaloneClient.json(transcript).getJsonArray("segments").stream()
            .map(s -> ((JsonObject) s).getString("text").strip()).filter(text -> text.length() >= 8)
            .forEach(transcriptTexts::add);
      }
      String kept = owner.get("kept");
      try (ObjectStore store = StandaloneProcess.storeOf(dataDir)) {
        assertThat(store.listVersions("sessionflow", "raw/").join()).isEmpty();
        assertThat(store.listMultipartUploads("sessionflow", "raw/").join()).isEmpty();
        assertThat(store.listKeys("sessionflow", "uploads/").join()).isEmpty();
        assertThat(store.listKeys("sessionflow", "keys/").join()).noneMatch(k -> k.endsWith(".audio.dek"));
        assertThat(store.listKeys("sessionflow", "keys/" + kept + ".data.dek").join()).hasSize(1);
      }
      HttpResponse<String> receipt = api.send("GET", "/v1/recordings/" + kept + "/deletion-receipt", t1, null);
      assertThat(receipt.statusCode()).isEqualTo(200);
      JsonObject body = StandaloneClient.json(receipt).getJsonObject("receipt");
      assertThat(body.getString("reason")).isEqualTo("transcribed");
      assertThat(body.getJsonObject("verification").getBoolean("passed")).isTrue();
      assertThat(body.getJsonArray("deleted").stream().map(d -> ((JsonObject) d).getString("kind")))
          .contains("raw-version", "audio-key");
      assertThat(body.getString("transcriptDurableAt")).isNotBlank();

      String metrics = StandaloneProcess.metrics(port, dataDir);
      assertThat(metrics).contains("sessionflow_purge_delay_seconds_count").contains("sessionflow_raw_audio_bytes")
          .contains("sessionflow_raw_audio_oldest_age_seconds").contains("sessionflow_purges_total{");
      assertThat(metrics).containsPattern("sessionflow_purge_delay_seconds_count(\\{[^}]*\\})? 5(\\.0)?\\b");

      StandaloneProcess.Result verify = StandaloneProcess.run(work.resolve("logs"), "verify-purge", "--data-dir",
          dataDir.toString());
      assertThat(verify.exit()).as(verify.stdout() + verify.stderr()).isZero();
      assertThat(verify.stdout()).contains("result: PASS");

      // Four kinds of deletion request.
      assertThat(api.send("DELETE", "/v1/recordings/" + owner.get("byRecording"), t1, null).statusCode())
          .isEqualTo(202);
      assertThat(api.send("DELETE", "/v1/consents/" + c2, t1, null).statusCode()).isEqualTo(204);
      assertThat(api.send("DELETE", "/v1/clients/client-cy", admin, null).statusCode()).isEqualTo(202);
      assertThat(api.send("DELETE", "/v1/therapists/ther-2", admin, null).statusCode()).isEqualTo(202);
      List<String> deleted = List.of(owner.get("byRecording"), owner.get("byConsent"), owner.get("byClient"),
          owner.get("byTherapist"));
      for (String id : deleted) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
            "DELETED".equals(api.recording(id, admin).getString("status")));
        assertThat(api.send("GET", "/v1/recordings/" + id + "/transcript", admin, null).statusCode()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/recordings/" + id + "/analysis", admin, null).statusCode()).isEqualTo(404);
        assertThat(StandaloneClient.json(api.send("GET", "/v1/recordings/" + id + "/deletion-receipt", admin, null))
            .getJsonObject("receipt").getString("reason")).isEqualTo("deletion-request");
      }
      assertThat(api.send("GET", "/v1/recordings/" + kept + "/transcript", t1, null).statusCode()).isEqualTo(200);
      try (ObjectStore store = StandaloneProcess.storeOf(dataDir)) {
        List<String> left = store.listKeys("sessionflow", "").join();
        for (String id : deleted) {
          assertThat(left).filteredOn(k -> k.contains(id))
              .allMatch(k -> k.startsWith("audit/") || k.startsWith("tombstones/")
                  || k.startsWith("deletions/watch/"));
        }
        assertThat(left).contains("transcripts/" + kept + ".json", "consents/practice-1/" + c1 + ".json",
            "consents/practice-1/" + c2 + ".json").doesNotContain("consents/practice-1/" + c3 + ".json",
            "consents/practice-1/" + c4 + ".json");
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> StandaloneProcess.run(work.resolve("logs"),
          "verify-audit", "--data-dir", dataDir.toString()).exit() == 0);
      assertThat(serve.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
    }

    // Stopped: the auditor's commands still work on the data dir.
    StandaloneProcess.Result purge = StandaloneProcess.run(work.resolve("logs"), "verify-purge", "--data-dir",
        dataDir.toString());
    assertThat(purge.exit()).as(purge.stdout() + purge.stderr()).isZero();
    assertThat(purge.stdout()).contains("checked: 4 recording(s) deleted on request");
    assertThat(purge.stderr()).as("the report alone, nothing that reads like a failure")
        .doesNotContain("ERROR").doesNotContain(" INFO ");
    StandaloneProcess.Result audit = StandaloneProcess.run(work.resolve("logs"), "verify-audit", "--data-dir",
        dataDir.toString());
    assertThat(audit.exit()).as(audit.stdout() + audit.stderr()).isZero();
    assertThat(audit.stdout()).contains("result: INTACT").containsPattern("\\d+ in the topic copy");
    System.out.println(audit.stdout());

    // Not one window of any recording's audio, and no transcript text, anywhere in the data dir.
    assertThat(transcriptTexts).isNotEmpty();
    PlaintextScan scan = new PlaintextScan();
    audio.values().forEach(scan::audio);
    transcriptTexts.forEach(scan::text);
    List<String> hits = scan.search(dataDir);
    assertThat(hits).as("plaintext found in the data dir").isEmpty();

    // A transcript of a deleted recording planted in storage (a stage that wrote it and died) is named.
    String byRecording = owner.get("byRecording");
    java.util.Properties credentials = new java.util.Properties();
    try (var in = Files.newInputStream(dataDir.resolve("secrets/s3-credentials.properties"))) {
      credentials.load(in);
    }
    try (io.sessionflow.common.embedded.EmbeddedS3Server s3 = io.sessionflow.common.embedded.EmbeddedS3Server.start(
        dataDir.resolve("objects"), credentials.getProperty("accessKey"), credentials.getProperty("secretKey"));
        ObjectStore store = io.sessionflow.common.storage.ObjectStores.s3(new io.sessionflow.common.config
            .StorageConfig(java.util.Optional.of(s3.endpoint()), "us-east-1", "sessionflow", "sessionflow",
            credentials.getProperty("accessKey"), credentials.getProperty("secretKey"), true,
            io.sessionflow.common.config.StorageConfig.MIN_PART_SIZE))) {
      byte[] ciphertext = store.get("sessionflow", "transcripts/" + owner.get("kept") + ".json").join();
      store.put("sessionflow", "transcripts/" + byRecording + ".json", ciphertext, Map.of()).join();
    }
    StandaloneProcess.Result caught = StandaloneProcess.run(work.resolve("logs"), "verify-purge", "--data-dir",
        dataDir.toString(), "--purge-slo", "1s");
    assertThat(caught.exit()).as(caught.stdout() + caught.stderr()).isEqualTo(3);
    assertThat(caught.stdout()).contains("FAIL  deleted recording " + byRecording)
        .contains("transcripts/" + byRecording + ".json").contains("1 deleted recording(s) still have data stored");

    // Editing one chain entry on disk is caught and named.
    Path entry = dataDir.resolve("objects/sessionflow/audit/chain/000000000001.json");
    Files.writeString(entry, Files.readString(entry).replace("\"reason\":\"transcribed\"",
        "\"reason\":\"retention\""));
    StandaloneProcess.Result tampered = StandaloneProcess.run(work.resolve("logs"), "verify-audit", "--data-dir",
        dataDir.toString());
    assertThat(tampered.exit()).isEqualTo(3);
    assertThat(tampered.stdout()).contains("result: BROKEN - entry 1 was altered");
  }
}
