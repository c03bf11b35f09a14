package io.sessionflow.purger;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent.Scope;
import io.sessionflow.common.storage.ObjectInfo;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.purger.internal.DeletionRequests;
import io.sessionflow.purger.internal.DeletionWatch;
import io.sessionflow.purger.internal.PurgeMetrics;
import io.sessionflow.purger.internal.RecordingPurge;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeletionRequestsTest {
  static final String BUCKET = "sessionflow";
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  final VersionedObjectStore store = new VersionedObjectStore(false, clock);
  final RecordingPublisher events = new RecordingPublisher();
  final AuditChain chain = new AuditChain(store, BUCKET, events, clock);
  final RecordingPurge purge = new RecordingPurge(store, BUCKET, BUCKET, chain, events, clock, "purger@test",
      new PurgeMetrics(new SimpleMeterRegistry(), clock));
  final DeletionRequests deletions = new DeletionRequests(store, BUCKET, purge, chain, clock, "purger@test");

  /**
   * Practice p1: therapist t1 recorded a1 and a2 under consent c1 (client ana) and b1 under c2
   * (client ben); therapist t2 recorded d1 under c3 (client ana) and is uploading d2 under c3.
   */
  @BeforeEach
  void seed() {
    consent("c1", "t1", "client-ana");
    consent("c2", "t1", "client-ben");
    consent("c3", "t2", "client-ana");
    recording("a1", "t1", "c1");
    recording("a2", "t1", "c1");
    recording("b1", "t1", "c2");
    recording("d1", "t2", "c3");
    put("raw/d2", "ciphertext");
    put("keys/d2.audio.dek", "wrapped");
    // An upload in progress is in the index from its creation.
    new RecordingIndex(store, BUCKET).record(new RecordingIndex.Entry("p1", "t2", "c3", "d2")).join();
    put("uploads/d2/state.json", "{\"id\":\"d2\",\"practiceId\":\"p1\",\"therapistId\":\"t2\","
        + "\"consentId\":\"c3\",\"status\":\"RECEIVING\"}");
  }

  private void consent(String id, String therapist, String client) {
    put("consents/p1/" + id + ".json", "{\"id\":\"" + id + "\",\"practiceId\":\"p1\",\"therapistId\":\""
        + therapist + "\",\"clientRef\":\"" + client + "\"}");
  }

  private void recording(String id, String therapist, String consent) {
    new RecordingIndex(store, BUCKET).record(new RecordingIndex.Entry("p1", therapist, consent, id)).join();
    put("transcripts/" + id + ".json", "encrypted transcript");
    put("analyses/" + id + ".json", "encrypted analysis");
    put("keys/" + id + ".data.dek", "wrapped");
  }

  private void put(String key, String body) {
    store.put(BUCKET, key, body.getBytes(StandardCharsets.UTF_8), Map.of()).join();
  }

  private static DeletionRequestedEvent request(String id, Scope scope, String subject) {
    return new DeletionRequestedEvent(1, Instant.parse("2026-11-20T09:59:00Z"), id, scope, subject, "p1", "admin1");
  }

  private List<String> deleted() {
    return events.of(AudioPurgedEvent.class).stream().map(AudioPurgedEvent::recordingId).sorted().toList();
  }

  private boolean anythingLeft(String id) {
    // What a deletion keeps: receipts, the tombstone and the deletion watch mark (ids only).
    return store.listKeys(BUCKET, "").join().stream().filter(k -> !k.startsWith("audit/")
        && !k.startsWith("tombstones/") && !k.startsWith(DeletionWatch.PREFIX))
        .anyMatch(k -> k.contains("/" + id + ".") || k.contains("/" + id + "/")
            || k.endsWith("/" + id));
  }

  @Test
  void aRecordingRequestDeletesThatRecordingOnly() {
    deletions.handle(request("req1", Scope.RECORDING, "a1")).join();
    assertThat(deleted()).containsExactly("a1");
    assertThat(anythingLeft("a1")).isFalse();
    assertThat(anythingLeft("a2")).isTrue();
    assertThat(store.listKeys(BUCKET, "tombstones/").join()).containsExactly("tombstones/a1");
  }

  @Test
  void aRevokedConsentDeletesItsRecordingsAndKeepsTheRevokedConsent() {
    deletions.handle(request("req2", Scope.CONSENT, "c1")).join();
    assertThat(deleted()).containsExactly("a1", "a2");
    assertThat(anythingLeft("a1")).isFalse();
    assertThat(anythingLeft("b1")).isTrue();
    assertThat(store.listKeys(BUCKET, "consents/").join()).contains("consents/p1/c1.json");
  }

  @Test
  void aClientRequestDeletesEveryRecordingUnderAnyOfTheirConsentsIncludingUploadsInProgress() {
    deletions.handle(request("req3", Scope.CLIENT, "client-ana")).join();
    assertThat(deleted()).containsExactly("a1", "a2", "d1", "d2");
    assertThat(anythingLeft("d2")).isFalse();
    assertThat(anythingLeft("b1")).isTrue();
    assertThat(store.listKeys(BUCKET, "consents/").join()).containsExactly("consents/p1/c2.json");
    String receipt = new String(store.get(BUCKET, DeletionRequests.receiptKey("req3")).join(),
        StandardCharsets.UTF_8);
    assertThat(receipt).contains("\"scope\":\"CLIENT\"").contains("\"consentRecordsDeleted\":2")
        .doesNotContain("client-ana");
  }

  @Test
  void aTherapistsClientRequestCoversOnlyTheConsentsThatTherapistCaptured() {
    // t2 also has a consent of client-ana (c3) and recordings under it: t1's request must leave them.
    deletions.handle(new DeletionRequestedEvent(1, Instant.parse("2026-11-20T09:59:00Z"), "req3t", Scope.CLIENT,
        "client-ana", "p1", "t1", "t1")).join();
    assertThat(deleted()).containsExactly("a1", "a2");
    assertThat(anythingLeft("d1")).isTrue();
    assertThat(anythingLeft("d2")).isTrue();
    assertThat(anythingLeft("b1")).isTrue();
    assertThat(store.listKeys(BUCKET, "consents/").join())
        .containsExactly("consents/p1/c2.json", "consents/p1/c3.json");
  }

  @Test
  void anUploadIndexedUnderTheClientsConsentAfterThePlanWasMadeIsDeletedToo() {
    // The race: ingest checked consent c1 just before the request deleted it, and indexed its new
    // upload a3 only after the request had listed the index and stored its plan.
    ObjectStore racing = new DelegatingStore(store) {
      @Override
      public CompletableFuture<ObjectInfo> put(String bucket, String key, byte[] body, Map<String, String> metadata) {
        if (key.equals("purges/requests/req7.json")) {
          recording("a3", "t1", "c1");
        }
        return super.put(bucket, key, body, metadata);
      }
    };
    new DeletionRequests(racing, BUCKET, purge, chain, clock, "purger@test")
        .handle(request("req7", Scope.CLIENT, "client-ana")).join();
    assertThat(deleted()).containsExactly("a1", "a2", "a3", "d1", "d2");
    assertThat(anythingLeft("a3")).isFalse();
    assertThat(store.listKeys(BUCKET, "tombstones/").join()).contains("tombstones/a3");
    String receipt = new String(store.get(BUCKET, DeletionRequests.receiptKey("req7")).join(),
        StandardCharsets.UTF_8);
    assertThat(receipt).contains("\"recordingId\":\"a3\"");
  }

  @Test
  void aConsentRecordTheFirstListingMissedIsFoundAgainWithItsRecordings() {
    // S3Proxy's file store can leave an entry out of a listing while other requests delete its
    // neighbours: the plan's listing of consents misses c3, so d1 and d2 are not in the plan.
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    ObjectStore missing = new DelegatingStore(store) {
      @Override
      public CompletableFuture<List<String>> listKeys(String bucket, String prefix) {
        return super.listKeys(bucket, prefix).thenApply(keys -> prefix.startsWith("consents/")
            && first.getAndSet(false) ? keys.stream().filter(k -> !k.endsWith("/c3.json")).toList() : keys);
      }
    };
    new DeletionRequests(missing, BUCKET, purge, chain, clock, "purger@test")
        .handle(request("req9", Scope.CLIENT, "client-ana")).join();
    assertThat(deleted()).containsExactly("a1", "a2", "d1", "d2");
    assertThat(anythingLeft("d1")).isFalse();
    assertThat(store.listKeys(BUCKET, "consents/").join()).containsExactly("consents/p1/c2.json");
    String receipt = new String(store.get(BUCKET, DeletionRequests.receiptKey("req9")).join(),
        StandardCharsets.UTF_8);
    assertThat(receipt).contains("\"consentRecordsDeleted\":2").contains("\"recordingId\":\"d1\"");
  }

  @Test
  void aTherapistRequestDeletesTheirRecordingsAndConsents() {
    deletions.handle(request("req4", Scope.THERAPIST, "t1")).join();
    assertThat(deleted()).containsExactly("a1", "a2", "b1");
    assertThat(anythingLeft("d1")).isTrue();
    assertThat(store.listKeys(BUCKET, "consents/").join()).containsExactly("consents/p1/c3.json");
  }

  @Test
  void aRedeliveredRequestFinishesTheSamePlanAndIsReceiptedOnce() {
    store.failWhen(op -> op.equals("delete transcripts/a2.json"));
    assertThat(deletions.handle(request("req5", Scope.CONSENT, "c1")).handle((ok, error) -> error)).isNotNull();
    assertThat(deleted()).containsExactly("a1");
    store.heal();

    deletions.handle(request("req5", Scope.CONSENT, "c1")).join();
    deletions.handle(request("req5", Scope.CONSENT, "c1")).join();

    assertThat(deleted()).containsExactly("a1", "a2");
    assertThat(anythingLeft("a2")).isFalse();
    long requestReceipts = java.util.stream.LongStream.range(0, chain.size().join())
        .filter(i -> "deletion-request-receipt".equals(chain.read(i).join().json().path("kind").asText())).count();
    assertThat(requestReceipts).isEqualTo(1);
  }

  @Test
  void aTranscriptWrittenAfterTheDeletionIsDeletedWhenItIsAnnounced() {
    deletions.handle(request("req6", Scope.RECORDING, "a1")).join();
    put("transcripts/a1.json", "late transcript");
    put("keys/a1.data.dek", "late key");
    // What PurgerStage does on transcript.ready for a tombstoned recording.
    purge.purge(new io.sessionflow.purger.internal.PurgeOrder("a1", "deletion-request", null, null, null, true,
        List.of())).join();
    assertThat(anythingLeft("a1")).isFalse();
  }
}
