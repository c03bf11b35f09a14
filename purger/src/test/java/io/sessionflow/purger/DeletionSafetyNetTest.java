package io.sessionflow.purger;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent.Scope;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.purger.internal.DeletionRequests;
import io.sessionflow.purger.internal.DeletionWatch;
import io.sessionflow.purger.internal.PurgeMetrics;
import io.sessionflow.purger.internal.RawAudioInventory;
import io.sessionflow.purger.internal.RecordingPurge;
import io.sessionflow.purger.internal.RetentionSweep;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What stands behind a deletion once its purge is done: the sweep's deletion watch purges anything
 * of a deleted recording that comes back (a stage that finished late, a process stopped between
 * writing and taking back) without waiting for an event; verify-purge names it; the watch costs a
 * few checks per deleted recording and ends; recordings that never got a transcript lose their data
 * key and ledger with their audio; and resolving a request reads only what its scope covers.
 */
class DeletionSafetyNetTest {
  static final String BUCKET = "sessionflow";
  static final Duration RETENTION = Duration.ofHours(72);
  static final Duration SLO = Duration.ofMinutes(5);
  static final Duration INTERVAL = Duration.ofMinutes(1);
  static final Duration WATCH = Duration.ofHours(24);
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  final RecordingPublisher events = new RecordingPublisher();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final PurgeMetrics metrics = new PurgeMetrics(registry, clock);
  final List<String> operations = new ArrayList<>();
  VersionedObjectStore store;
  AuditChain chain;
  RecordingPurge purge;
  DeletionRequests deletions;
  RetentionSweep sweep;

  void start(boolean versioned) {
    store = new VersionedObjectStore(versioned, clock);
    store.failWhen(op -> {
      synchronized (operations) {
        operations.add(op);
      }
      return false;
    });
    chain = new AuditChain(store, BUCKET, events, clock);
    purge = new RecordingPurge(store, BUCKET, BUCKET, chain, events, clock, "purger@test", metrics);
    deletions = new DeletionRequests(store, BUCKET, purge, chain, clock, "purger@test", metrics);
    sweep = new RetentionSweep(new RawAudioInventory(store, BUCKET, BUCKET, RETENTION, SLO,
        RawAudioInventory.CREATION_GRACE), purge, metrics, clock,
        new DeletionWatch(store, BUCKET, purge, clock, WATCH, INTERVAL), Duration.ofHours(24));
  }

  private void put(String key, String body) {
    store.put(BUCKET, key, body.getBytes(StandardCharsets.UTF_8), Map.of()).join();
  }

  /** A transcribed recording whose audio is already purged: what is left is derived data. */
  private void transcribed(String id, String therapist, String consent) {
    new RecordingIndex(store, BUCKET).record(new RecordingIndex.Entry("p1", therapist, consent, id)).join();
    put("transcripts/" + id + ".json", "encrypted transcript");
    put("transcripts/" + id + ".job", "1 published");
    put("analyses/" + id + ".json", "encrypted analysis");
    put("keys/" + id + ".data.dek", "wrapped");
  }

  private static DeletionRequestedEvent request(String id, Scope scope, String subject) {
    return new DeletionRequestedEvent(1, Instant.parse("2026-11-20T09:59:00Z"), id, scope, subject, "p1", "admin1");
  }

  /** Every key of the recording but what a deletion keeps (receipts, tombstone, watch mark). */
  private List<String> left(String id) {
    return store.allKeys().stream().map(k -> k.substring(BUCKET.length() + 1))
        .filter(k -> !k.startsWith("audit/") && !k.startsWith("tombstones/") && !k.startsWith(DeletionWatch.PREFIX))
        .filter(k -> k.contains("/" + id + ".") || k.contains("/" + id + "/") || k.endsWith("/" + id))
        .filter(k -> store.versionCount(BUCKET, k) > 0).toList();
  }

  private String verifyPurge(int expectedExit) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = PurgeVerifier.run(store, BUCKET, BUCKET, RETENTION, SLO, clock.instant(),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    String report = out.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(report).isEqualTo(expectedExit);
    return report;
  }

  private long receiptsFor(String id) {
    return java.util.stream.LongStream.range(0, chain.size().join()).mapToObj(i -> chain.read(i).join().json())
        .filter(e -> "purge-receipt".equals(e.path("kind").asText()) && id.equals(e.path("receipt")
            .path("recordingId").asText())).count();
  }

  @ParameterizedTest(name = "versioned bucket: {0}")
  @ValueSource(booleans = {false, true})
  void whatAStageWritesAfterTheDeletionIsNamedByVerifyPurgeAndPurgedByTheSweepWithAReceipt(boolean versioned) {
    start(versioned);
    transcribed("a1", "t1", "c1");
    transcribed("keep", "t1", "c1");
    deletions.handle(request("req1", Scope.RECORDING, "a1")).join();
    assertThat(left("a1")).isEmpty();
    assertThat(receiptsFor("a1")).isEqualTo(1);
    sweep.run().join(); // the first pass after start is a full walk; what follows is the watch's alone

    // A transcriber that was mid-job, stopped between writing and taking back: no event will come.
    put("transcripts/a1.json", "late transcript");
    put("transcripts/a1.job", "1");
    put("analyses/a1.job", "published");
    put("keys/a1.data.dek", "late key");
    clock.advance(SLO.plusSeconds(1));
    String report = verifyPurge(PurgeVerifier.VIOLATIONS);
    assertThat(report).contains("FAIL  deleted recording a1").contains("transcripts/a1.json")
        .contains("transcripts/a1.job").contains("analyses/a1.job").contains("keys/a1.data.dek")
        .contains("1 deleted recording(s) still have data stored").doesNotContain("deleted recording keep");

    sweep.run().join();
    assertThat(left("a1")).isEmpty();
    assertThat(store.versionCount(BUCKET, "transcripts/a1.json")).as("every version, markers too").isZero();
    assertThat(receiptsFor("a1")).as("the second purge has its own receipt").isEqualTo(2);
    assertThat(registry.counter("sessionflow.deletion.leftovers.purged").count()).isEqualTo(1);
    assertThat(left("keep")).contains("transcripts/keep.json", "analyses/keep.json", "keys/keep.data.dek");
    assertThat(verifyPurge(0)).contains("result: PASS");
  }

  @Test
  void aDeletionUnderWayIsReportedNotFailedWithinThePurgeSlo() {
    start(false);
    transcribed("a1", "t1", "c1");
    deletions.handle(request("req1", Scope.RECORDING, "a1")).join();
    put("analyses/a1.json", "late analysis");
    assertThat(verifyPurge(0)).contains("ok    deleted recording a1").contains("deletion under way")
        .contains("analyses/a1.json");
  }

  @Test
  void theWatchLooksAFewTimesOverItsPeriodThenEndsLeavingOnlyTheTombstone() {
    start(false);
    transcribed("a1", "t1", "c1");
    deletions.handle(request("req1", Scope.RECORDING, "a1")).join();
    operations.clear();
    int sweeps = (int) (WATCH.toMinutes() + 2);
    for (int i = 0; i < sweeps; i++) {
      clock.advance(INTERVAL);
      sweep.run().join();
    }
    long checks;
    synchronized (operations) {
      checks = operations.stream().filter(op -> op.equals("list-versions transcripts/a1.job")).count();
    }
    // Every sweep for the first ten intervals, then at each doubling (16, 32 … 1024 minutes), then once at 24 h.
    assertThat(checks).as("checks of one deleted recording over %d sweeps", sweeps).isBetween(10L, 22L);
    assertThat(store.listKeys(BUCKET, DeletionWatch.PREFIX).join()).isEmpty();
    assertThat(store.listKeys(BUCKET, "tombstones/").join()).containsExactly("tombstones/a1");
    operations.clear();
    sweep.run().join();
    synchronized (operations) {
      assertThat(operations).noneMatch(op -> op.contains("a1"));
    }
  }

  @Test
  void aRecordingNeverTranscribedLosesItsDataKeyAndLedgerWithItsAudioAndKeepsItsIndexEntry() {
    start(false);
    Instant created = clock.instant();
    new RecordingIndex(store, BUCKET).record(new RecordingIndex.Entry("p1", "t1", "c1", "f1")).join();
    put("raw/f1", "ciphertext");
    put("keys/f1.audio.dek", "wrapped");
    put("keys/f1.data.dek", "wrapped");
    put("transcripts/f1.job", "3");
    put("uploads/f1/state.json", "{\"id\":\"f1\",\"practiceId\":\"p1\",\"therapistId\":\"t1\",\"consentId\":\"c1\","
        + "\"status\":\"STORED\",\"createdAt\":\"" + created + "\"}");
    clock.advance(RETENTION.plusMinutes(1));
    sweep.run().join();
    assertThat(left("f1")).containsExactlyInAnyOrder("index/p1/t1/c1/f1", "owners/f1");
    assertThat(verifyPurge(0)).contains("result: PASS");
  }

  @Test
  void anAbandonedUploadTakesItsIndexEntryAlong() {
    start(false);
    Instant created = clock.instant();
    new RecordingIndex(store, BUCKET).record(RecordingIndex.Entry.of("p1", "t1", null, "u1")).join();
    put("raw/u1", "ciphertext");
    put("keys/u1.audio.dek", "wrapped");
    put("keys/u1.data.dek", "wrapped");
    put("uploads/u1/state.json", "{\"id\":\"u1\",\"practiceId\":\"p1\",\"therapistId\":\"t1\",\"status\":"
        + "\"RECEIVING\",\"createdAt\":\"" + created + "\",\"expiresAt\":\"" + created.plus(Duration.ofHours(24))
        + "\"}");
    clock.advance(Duration.ofHours(25));
    sweep.run().join();
    assertThat(left("u1")).isEmpty();
  }

  @Test
  void aRecordingRequestReadsNoConsentAndListsNoIndexAndAClientRequestSkipsAnUnreadableConsent() {
    start(false);
    put("consents/p1/c1.json", "{\"id\":\"c1\",\"practiceId\":\"p1\",\"therapistId\":\"t1\",\"clientRef\":\"ana\"}");
    put("consents/p1/broken.json", "{not json");
    transcribed("a1", "t1", "c1");
    transcribed("a2", "t1", "c1");
    operations.clear();
    deletions.handle(request("req1", Scope.RECORDING, "a1")).join();
    synchronized (operations) {
      assertThat(operations).noneMatch(op -> op.startsWith("get consents/") || op.startsWith("list index/")
          || op.startsWith("list uploads/") || op.startsWith("list consents/"));
    }
    assertThat(left("a1")).isEmpty();
    assertThat(left("a2")).isNotEmpty();

    deletions.handle(request("req2", Scope.CLIENT, "ana")).join();
    assertThat(left("a2")).isEmpty();
    assertThat(registry.counter("sessionflow.deletion.unreadable.objects", "kind", "consent").count())
        .isEqualTo(1);
    assertThat(store.listKeys(BUCKET, "consents/").join()).containsExactly("consents/p1/broken.json");
  }
}
