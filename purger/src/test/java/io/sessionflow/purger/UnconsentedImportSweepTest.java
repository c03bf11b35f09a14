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

/**
 * An archive entry stored before its manifest has no consent. Should its import die with its
 * process, nothing will ever give it one: verify-purge lists it by id with its age, fails once it
 * is past the grace, and the sweep purges it then — audio, keys and state.
 */
class UnconsentedImportSweepTest {
  static final String BUCKET = "sessionflow";
  static final Duration RETENTION = Duration.ofHours(72);
  static final Duration SLO = Duration.ofMinutes(5);
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  final VersionedObjectStore store = new VersionedObjectStore(true, clock);
  final RecordingPublisher events = new RecordingPublisher();
  final PurgeMetrics metrics = new PurgeMetrics(new SimpleMeterRegistry(), clock);
  final RecordingPurge purge = new RecordingPurge(store, BUCKET, BUCKET, new AuditChain(store, BUCKET, events,
      clock), events, clock, "purger@test", metrics);
  final RetentionSweep sweep = new RetentionSweep(new RawAudioInventory(store, BUCKET, BUCKET, RETENTION, SLO,
      RawAudioInventory.CREATION_GRACE), purge, metrics, clock);

  /** What an import writes for an entry: its audio and keys, and a state with source import. */
  private void entry(String id, String status, String consentJson) {
    Instant now = clock.instant();
    put("raw/" + id, "ciphertext");
    put("keys/" + id + ".audio.dek", "wrapped");
    put("keys/" + id + ".data.dek", "wrapped");
    put("uploads/" + id + "/state.json", "{\"id\":\"" + id + "\",\"practiceId\":\"p1\",\"therapistId\":\"admin1\","
        + consentJson + "\"status\":\"" + status + "\",\"createdAt\":\"" + now + "\",\"expiresAt\":\""
        + now.plus(Duration.ofHours(24)) + "\",\"offset\":0,\"length\":10,\"source\":\"import\"}");
  }

  private void put(String key, String body) {
    store.put(BUCKET, key, body.getBytes(StandardCharsets.UTF_8), Map.of()).join();
  }

  private boolean allGone(String id) {
    return store.versionCount(BUCKET, "raw/" + id) == 0 && store.versionCount(BUCKET, "uploads/" + id + "/") == 0
        && store.versionCount(BUCKET, "keys/" + id + ".audio.dek") == 0
        && store.versionCount(BUCKET, "keys/" + id + ".data.dek") == 0;
  }

  private String verifyPurge(int expectedExit) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = PurgeVerifier.run(store, BUCKET, BUCKET, RETENTION, SLO, clock.instant(),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    String report = out.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(report).isEqualTo(expectedExit);
    return report;
  }

  @Test
  void aConsentlessImportEntryIsListedWithItsAgeThenFailsVerifyPurgeAndIsPurgedPastTheGrace() {
    entry("pending1", "COMPLETED", "\"consentId\":null,");
    entry("writing1", "RECEIVING", "");
    entry("consented", "COMPLETED", "\"consentId\":\"c1\",");
    clock.advance(Duration.ofHours(2));

    sweep.run().join();
    assertThat(allGone("pending1")).isFalse();
    assertThat(allGone("writing1")).isFalse();
    String early = verifyPurge(0);
    assertThat(early).contains("checked: 2 import entries stored without a consent")
        .contains("ok    import entry pending1 without a consent: age 2h, within the grace")
        .contains("ok    import entry writing1 without a consent: age 2h, within the grace")
        .doesNotContain("import entry consented").contains("result: PASS");

    clock.advance(RawAudioInventory.IMPORT_CONSENT_GRACE.minus(Duration.ofHours(2)).plusMinutes(1));
    String late = verifyPurge(PurgeVerifier.VIOLATIONS);
    assertThat(late).contains("FAIL  import entry pending1 without a consent: age 6h1m, past the grace of 6h")
        .contains("FAIL  import entry writing1 without a consent: age 6h1m")
        .contains("FAIL  recording pending1").contains("its manifest never gave it one");

    sweep.run().join();
    assertThat(allGone("pending1")).isTrue();
    assertThat(allGone("writing1")).isTrue();
    assertThat(events.of(AudioPurgedEvent.class)).filteredOn(e -> e.recordingId().startsWith("pending")
        || e.recordingId().startsWith("writing")).extracting(AudioPurgedEvent::reason)
        .containsOnly("unconsented-import").hasSize(2);
    // An entry the manifest gave a consent is an ordinary recording awaiting transcription.
    assertThat(allGone("consented")).isFalse();
    assertThat(verifyPurge(0)).contains("checked: 0 import entries stored without a consent")
        .contains("ok    recording consented").contains("awaiting transcription");
  }
}
