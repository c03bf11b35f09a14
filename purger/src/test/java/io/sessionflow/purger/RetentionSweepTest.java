package io.sessionflow.purger;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.purger.internal.PurgeMetrics;
import io.sessionflow.purger.internal.RawAudioInventory;
import io.sessionflow.purger.internal.RecordingPurge;
import io.sessionflow.purger.internal.RetentionSweep;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetentionSweepTest {
  static final String BUCKET = "sessionflow";
  static final Duration RETENTION = Duration.ofHours(72);
  static final Duration SLO = Duration.ofMinutes(5);
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  final VersionedObjectStore store = new VersionedObjectStore(true, clock);
  final RecordingPublisher events = new RecordingPublisher();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final PurgeMetrics metrics = new PurgeMetrics(registry, clock);
  final RecordingPurge purge = new RecordingPurge(store, BUCKET, BUCKET, new AuditChain(store, BUCKET, events,
      clock), events, clock, "purger@test", metrics);
  final RetentionSweep sweep = new RetentionSweep(new RawAudioInventory(store, BUCKET, BUCKET, RETENTION, SLO,
      RawAudioInventory.CREATION_GRACE), purge, metrics, clock);

  private void upload(String id, String status, Instant created, Instant expires) {
    put("raw/" + id, "ciphertext");
    put("keys/" + id + ".audio.dek", "wrapped");
    put("uploads/" + id + "/state.json", "{\"id\":\"" + id + "\",\"status\":\"" + status + "\",\"createdAt\":\""
        + created + "\",\"expiresAt\":\"" + expires + "\",\"offset\":1048576,\"length\":4194304}");
    put("uploads/" + id + "/tail", "encrypted-tail");
  }

  private void put(String key, String body) {
    store.put(BUCKET, key, body.getBytes(StandardCharsets.UTF_8), Map.of()).join();
  }

  private boolean rawGone(String id) {
    return store.versionCount(BUCKET, "raw/" + id) == 0 && store.versionCount(BUCKET, "uploads/" + id + "/") == 0
        && store.versionCount(BUCKET, "keys/" + id + ".audio.dek") == 0;
  }

  private String reasonPurged(String id) {
    return events.of(AudioPurgedEvent.class).stream().filter(e -> e.recordingId().equals(id)).findFirst()
        .map(AudioPurgedEvent::reason).orElse("not purged");
  }

  private String verifyPurge(int expectedExit) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = PurgeVerifier.run(store, BUCKET, BUCKET, RETENTION, SLO, clock.instant(),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(exit).isEqualTo(expectedExit);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anUploadInProgressAndARecordingAwaitingTranscriptionHaveReasonsAndStay() {
    Instant start = clock.instant();
    upload("stored", "COMPLETED", start, start.plus(Duration.ofHours(24)));
    clock.advance(Duration.ofHours(1));
    upload("receiving", "RECEIVING", clock.instant(), clock.instant().plus(Duration.ofHours(24)));
    clock.advance(Duration.ofHours(1));

    RawAudioInventory.Scan scan = sweep.run().join();

    assertThat(scan.violations()).isEmpty();
    assertThat(rawGone("receiving")).isFalse();
    assertThat(rawGone("stored")).isFalse();
    assertThat(verifyPurge(0)).contains("ok    recording receiving").contains("upload in progress: 1MiB of 4MiB")
        .contains("ok    recording stored").contains("awaiting transcription").contains("result: PASS");
    assertThat(registry.get("sessionflow.raw.audio.oldest.age.seconds").gauge().value()).isEqualTo(7200.0);
    assertThat(registry.get("sessionflow.raw.audio.bytes").gauge().value()).isPositive();
  }

  @Test
  void anAbandonedUploadPastExpirationIsPurged() {
    Instant now = clock.instant();
    upload("abandoned", "RECEIVING", now.minus(Duration.ofHours(30)), now.minus(Duration.ofHours(6)));
    String multipart = store.createMultipartUpload(BUCKET, "raw/abandoned", Map.of()).join();
    store.uploadPart(BUCKET, "raw/abandoned", multipart, 1, new byte[] {1, 2, 3}).join();
    assertThat(verifyPurge(PurgeVerifier.VIOLATIONS)).contains("FAIL  recording abandoned")
        .contains("upload abandoned: expired at");

    sweep.run().join();

    assertThat(rawGone("abandoned")).isTrue();
    assertThat(store.listMultipartUploads(BUCKET, "raw/").join()).isEmpty();
    assertThat(reasonPurged("abandoned")).isEqualTo("expired-upload");
    verifyPurge(0);
  }

  @Test
  void aRecognisedReuploadIsKeptUntilItsExpiryThenPurged() {
    Instant now = clock.instant();
    // What the ingest leaves of a re-upload of a recording it already had: the state alone, pointing at it.
    put("uploads/again/state.json", "{\"id\":\"again\",\"status\":\"COMPLETED\",\"createdAt\":\"" + now
        + "\",\"expiresAt\":\"" + now.plus(Duration.ofHours(24)) + "\",\"offset\":10,\"length\":10,"
        + "\"practiceId\":\"prac\",\"therapistId\":\"ther\",\"consentId\":\"cons\",\"duplicateOf\":\"first\"}");
    clock.advance(Duration.ofHours(2));
    sweep.run().join();
    assertThat(store.versionCount(BUCKET, "uploads/again/")).isPositive();
    assertThat(verifyPurge(0)).contains("re-upload of recording first: its bytes were not kept");

    clock.advance(Duration.ofHours(23));
    sweep.run().join();
    assertThat(rawGone("again")).isTrue();
    assertThat(reasonPurged("again")).isEqualTo("expired-upload");
    verifyPurge(0);
  }

  @Test
  void aFailedRecordingIsPurgedOnceItOutlivesTheMaximumRetentionAndNotBefore() {
    upload("failed", "COMPLETED", clock.instant(), clock.instant().plus(Duration.ofHours(24)));
    clock.advance(RETENTION.minus(Duration.ofMinutes(1)));
    sweep.run().join();
    assertThat(rawGone("failed")).isFalse();

    clock.advance(Duration.ofMinutes(2));
    assertThat(verifyPurge(PurgeVerifier.VIOLATIONS)).contains("not transcribed within the maximum retention");
    sweep.run().join();
    assertThat(rawGone("failed")).isTrue();
    assertThat(reasonPurged("failed")).isEqualTo("retention");
  }

  @Test
  void audioWhoseTranscriptEventWasMissedIsPurgedAfterTheSlo() {
    upload("missed", "COMPLETED", clock.instant(), clock.instant().plus(Duration.ofHours(24)));
    put("transcripts/missed.json", "encrypted transcript");
    put("keys/missed.data.dek", "wrapped");
    sweep.run().join();
    assertThat(rawGone("missed")).isFalse();
    assertThat(verifyPurge(0)).contains("purge pending: transcript durable since");

    clock.advance(SLO.plusSeconds(1));
    sweep.run().join();
    assertThat(rawGone("missed")).isTrue();
    assertThat(reasonPurged("missed")).isEqualTo("transcribed");
    assertThat(store.versionCount(BUCKET, "transcripts/missed.json")).isEqualTo(1);
    assertThat(verifyPurge(0)).contains("data key of a stored transcript or analysis");
  }

  @Test
  void orphansWithNoUploadAreGivenTheCreationGraceThenPurged() {
    put("keys/orphan.audio.dek", "wrapped");
    String multipart = store.createMultipartUpload(BUCKET, "raw/orphan", Map.of()).join();
    assertThat(multipart).isNotBlank();
    put("keys/lonely.data.dek", "wrapped");
    assertThat(verifyPurge(0)).contains("upload being created").contains("key of a recording being created");

    clock.advance(RawAudioInventory.CREATION_GRACE.plusSeconds(1));
    String report = verifyPurge(PurgeVerifier.VIOLATIONS);
    assertThat(report).contains("FAIL  recording orphan").contains("FAIL  recording lonely")
        .contains("data key with nothing it encrypts").contains("result: FAIL - 2 recording(s)");

    sweep.run().join();
    assertThat(rawGone("orphan")).isTrue();
    assertThat(store.listMultipartUploads(BUCKET, "raw/").join()).isEmpty();
    // The periodic sweep leaves lone data keys to the auditor's full walk (one request per key is too dear).
    assertThat(store.versionCount(BUCKET, "keys/lonely.data.dek")).isEqualTo(1);
  }

  @Test
  void anInterruptedPurgeIsResumedByTheSweep() {
    upload("interrupted", "COMPLETED", clock.instant(), clock.instant().plus(Duration.ofHours(24)));
    put("transcripts/interrupted.json", "encrypted transcript");
    store.failWhen(op -> op.startsWith("delete-version uploads/"));
    assertThat(purge.purge(io.sessionflow.purger.internal.PurgeOrder.audioOnly("interrupted", "transcribed",
        clock.instant())).handle((entry, error) -> error)).isNotNull();
    assertThat(store.listKeys(BUCKET, RecordingPurge.INTENT_PREFIX).join()).hasSize(1);
    store.heal();

    sweep.run().join();

    assertThat(rawGone("interrupted")).isTrue();
    assertThat(reasonPurged("interrupted")).isEqualTo("transcribed");
    assertThat(store.listKeys(BUCKET, RecordingPurge.INTENT_PREFIX).join()).isEmpty();
  }

  @Test
  void aDeletionPlanIsNotTakenForARecording() {
    put("purges/requests/req1.json", "{}");
    RawAudioInventory.Scan scan = sweep.run().join();
    assertThat(scan.findings()).isEmpty();
    assertThat(events.of(AudioPurgedEvent.class)).isEmpty();
    verifyPurge(0);
  }
}
