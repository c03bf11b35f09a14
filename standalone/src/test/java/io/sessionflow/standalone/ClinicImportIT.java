package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.Topic;
import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clinic imports an archive of 200 short recordings (and a few that are not what they claim):
 * every recording ends ANALYZED with its audio PURGED, or FAILED with a reason (its audio then
 * waits for the retention sweep, which verify-purge accepts with that reason); every entry the
 * import refused says why; none is missing, and the pipeline's topics hold exactly one event of
 * each kind per recording.
 *
 * <p>The instance runs a generated random-weight model of the small test shape ({@link
 * ModelShape#SMALL}) rather than standalone's default tiny-shaped stand-in: every recording still
 * goes through whisper.cpp's real inference, at about a twentieth of the CPU a window of the tiny
 * shape takes (what this test waited for: 200 windows queued behind two slots on two cores).
 */
class ClinicImportIT {
  private static final int RECORDINGS = 200;
  @TempDir
  Path work;

  @Test
  void twoHundredImportedRecordingsEachEndAnalyzedAndPurgedOrFailedWithAReasonExactlyOnce() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    StandaloneClient api = new StandaloneClient(port, dataDir, work.resolve("logs"));
    Path model = GgmlModelWriter.write(work.resolve("model.bin"), ModelShape.SMALL, 1);
    // The manifest comes last here: the 202 comes once the archive is read, and the report says when all 200
    // entries that waited for it have been checked and announced.
    try (StandaloneProcess serve = StandaloneProcess.start(work.resolve("logs"), "--data-dir", dataDir.toString(),
        "--port", Integer.toString(port), "--transcriber-slots", "2", "--model", model.toString())) {
      serve.awaitReady(port, Duration.ofSeconds(90));
      String therapist = api.token("ther-batch", "therapist", "practice-batch");
      String admin = api.token("admin-batch", "clinic-admin", "practice-batch");
      List<String> consents = new ArrayList<>();
      for (int c = 0; c < 10; c++) {
        consents.add(api.consent(therapist, "client-batch-" + c));
      }

      Map<String, byte[]> entries = new LinkedHashMap<>();
      List<String> rows = new ArrayList<>();
      for (int i = 0; i < RECORDINGS; i++) {
        String name = "2025/session-" + i + ".wav";
        entries.put(name, StandaloneProcess.wav(1, 9000 + i));
        rows.add(name + ",client-batch-" + (i % 10) + "," + consents.get(i % 10) + ",2025-06-01");
      }
      // Claims to be audio but is not: refused at the door. Looks like MP3 but is noise: decoding fails.
      byte[] noise = new byte[32 * 1024];
      new Random(7).nextBytes(noise);
      entries.put("notes.wav", "a therapist's notes, not audio".getBytes(StandardCharsets.UTF_8));
      byte[] fakeMp3 = noise.clone();
      System.arraycopy("ID3".getBytes(StandardCharsets.US_ASCII), 0, fakeMp3, 0, 3);
      entries.put("broken.mp3", fakeMp3);
      rows.add("notes.wav,client-batch-0," + consents.get(0) + ",2025-06-02");
      rows.add("broken.mp3,client-batch-1," + consents.get(1) + ",2025-06-02");
      entries.put("manifest.csv", ("filename,clientRef,consentId,recordedAt\n" + String.join("\n", rows) + "\n")
          .getBytes(StandardCharsets.UTF_8));

      HttpResponse<String> imported = api.send("POST", "/v1/imports", admin, zip(entries));
      assertThat(imported.statusCode()).as(imported.body()).isEqualTo(202);
      String importId = StandaloneClient.json(imported).getString("id");
      JsonObject report = await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(
          () -> StandaloneClient.json(api.send("GET", "/v1/imports/" + importId, admin, null)),
          r -> !"RUNNING".equals(r.getString("status")));
      assertThat(report.getString("status")).isEqualTo("COMPLETED");
      Map<String, String> recordingOf = new HashMap<>();
      for (Object e : report.getJsonArray("entries")) {
        JsonObject entry = (JsonObject) e;
        if (entry.getString("recordingId") != null) {
          recordingOf.put(entry.getString("name"), entry.getString("recordingId"));
        } else {
          assertThat(entry.getString("reason")).as(entry.encode()).isNotBlank();
        }
      }
      for (int i = 0; i < RECORDINGS; i++) {
        assertThat(recordingOf).as("every real recording was stored").containsKey("2025/session-" + i + ".wav");
      }
      assertThat(recordingOf).doesNotContainKey("notes.wav");
      assertThat(Set.copyOf(recordingOf.values())).as("one recording per entry").hasSize(recordingOf.size());

      Map<String, JsonObject> finalStatus = new ConcurrentHashMap<>();
      await().atMost(Duration.ofMinutes(12)).pollInterval(Duration.ofSeconds(2)).until(() -> {
        for (String id : recordingOf.values()) {
          if (!finalStatus.containsKey(id)) {
            JsonObject status = api.recording(id, admin);
            // A failed recording's audio waits for the retention sweep (RAW_AUDIO_MAX_RETENTION, 72 h).
            if ("FAILED".equals(status.getString("status")) || ("ANALYZED".equals(status.getString("status"))
                && "PURGED".equals(status.getString("audio")))) {
              finalStatus.put(id, status);
            }
          }
        }
        System.out.println("clinic import: " + finalStatus.size() + " of " + recordingOf.size() + " finished");
        return finalStatus.size() == recordingOf.size();
      });
      int analyzed = 0;
      for (Map.Entry<String, String> entry : recordingOf.entrySet()) {
        JsonObject status = finalStatus.get(entry.getValue());
        if ("FAILED".equals(status.getString("status"))) {
          assertThat(status.getJsonObject("failure").getString("reason")).as(entry.getKey()).isNotBlank();
          assertThat(entry.getKey()).as("only the broken entry may fail: " + status.encode()).isEqualTo("broken.mp3");
        } else {
          analyzed++;
        }
      }
      assertThat(analyzed).isEqualTo(RECORDINGS);

      Map<Topic, Map<String, Integer>> counts = StandaloneClient.eventsPerRecording(dataDir);
      for (String id : recordingOf.values()) {
        assertThat(counts.get(Topic.RECORDING_STORED).get(id)).as("stored " + id).isEqualTo(1);
        boolean failed = "FAILED".equals(finalStatus.get(id).getString("status"));
        for (Topic topic : List.of(Topic.TRANSCRIPT_READY, Topic.ANALYSIS_READY)) {
          assertThat(counts.get(topic).getOrDefault(id, 0)).as(topic + " " + id).isEqualTo(failed ? 0 : 1);
        }
        assertThat(counts.get(Topic.AUDIO_PURGED).getOrDefault(id, 0)).as("purged " + id).isEqualTo(failed ? 0 : 1);
        assertThat(counts.get(Topic.RECORDING_FAILED).getOrDefault(id, 0)).as("failed " + id)
            .isEqualTo(failed ? 1 : 0);
      }
      StandaloneProcess.Result verify = StandaloneProcess.run(work.resolve("logs"), "verify-purge", "--data-dir",
          dataDir.toString());
      assertThat(verify.exit()).as(verify.stdout()).isZero();
      assertThat(serve.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
    }
  }

  private static byte[] zip(Map<String, byte[]> entries) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }
}
