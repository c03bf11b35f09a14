package io.sessionflow.purger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.AuditChainEntryEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.purger.internal.PurgeMetrics;
import io.sessionflow.purger.internal.PurgeOrder;
import io.sessionflow.purger.internal.RecordingPurge;
import io.sessionflow.purger.internal.Sha256;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class RecordingPurgeTest {
  static final String BUCKET = "sessionflow";
  static final String ID = "rec1";
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  final VersionedObjectStore store = new VersionedObjectStore(true, clock);
  final RecordingPublisher events = new RecordingPublisher();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final AuditChain chain = new AuditChain(store, BUCKET, events, clock);
  final RecordingPurge purge = new RecordingPurge(store, BUCKET, BUCKET, chain, events, clock, "purger@test",
      new PurgeMetrics(registry, clock));

  /** A recording with everything a purge must find: versions, a delete marker, leftovers, an open multipart. */
  static void seed(VersionedObjectStore store, String id) {
    store.put(BUCKET, "raw/" + id, bytes("ciphertext-one-" + id), java.util.Map.of()).join();
    store.put(BUCKET, "raw/" + id, bytes("ciphertext-two-" + id), java.util.Map.of()).join();
    store.delete(BUCKET, "raw/" + id).join();
    store.put(BUCKET, "raw/" + id, bytes("ciphertext-three-" + id), java.util.Map.of()).join();
    String upload = store.createMultipartUpload(BUCKET, "raw/" + id, java.util.Map.of()).join();
    store.uploadPart(BUCKET, "raw/" + id, upload, 1, bytes("aborted-part")).join();
    store.put(BUCKET, "uploads/" + id + "/state.json", bytes("{\"id\":\"" + id + "\"}"), java.util.Map.of()).join();
    store.put(BUCKET, "uploads/" + id + "/tail", bytes("tail-v1"), java.util.Map.of()).join();
    store.put(BUCKET, "uploads/" + id + "/tail", bytes("tail-v2"), java.util.Map.of()).join();
    store.put(BUCKET, "keys/" + id + ".audio.dek", bytes("wrapped-audio-key"), java.util.Map.of()).join();
    store.put(BUCKET, "keys/" + id + ".data.dek", bytes("wrapped-data-key"), java.util.Map.of()).join();
    store.put(BUCKET, "transcripts/" + id + ".json", bytes("encrypted-transcript"), java.util.Map.of()).join();
    store.put(BUCKET, "transcripts/" + id + ".job", bytes("1 published"), java.util.Map.of()).join();
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void deletesEveryVersionMarkerLeftoverAndUploadThenVerifiesAndChainsAReceipt() {
    seed(store, ID);
    Instant durable = clock.instant();
    clock.advance(Duration.ofSeconds(3));

    AuditChain.Entry entry = purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, durable)).join();

    assertThat(store.versionCount(BUCKET, "raw/" + ID)).isZero();
    assertThat(store.versionCount(BUCKET, "uploads/" + ID + "/")).isZero();
    assertThat(store.versionCount(BUCKET, "keys/" + ID + ".audio.dek")).isZero();
    assertThat(store.listMultipartUploads(BUCKET, "raw/").join()).isEmpty();
    // What is derived stays readable: only the audio key was shredded.
    assertThat(store.versionCount(BUCKET, "keys/" + ID + ".data.dek")).isEqualTo(1);
    assertThat(store.versionCount(BUCKET, "transcripts/" + ID + ".json")).isEqualTo(1);

    JsonNode receipt = entry.json().path("receipt");
    assertThat(entry.sequence()).isZero();
    assertThat(receipt.path("reason").asText()).isEqualTo("transcribed");
    assertThat(receipt.path("alreadyGone").asBoolean()).isFalse();
    assertThat(receipt.path("transcriptDurableAt").asText()).isEqualTo(durable.toString());
    assertThat(receipt.path("verification").path("passed").asBoolean()).isTrue();
    List<String> kinds = receipt.path("deleted").findValuesAsText("kind");
    assertThat(kinds).containsOnly("raw-version", "raw-delete-marker", "multipart-upload", "upload-leftover",
        "audio-key");
    assertThat(kinds.stream().filter("raw-version"::equals)).hasSize(3);
    assertThat(kinds.stream().filter("upload-leftover"::equals)).hasSize(3);
    assertThat(receipt.path("deleted").findValuesAsText("ciphertextSha256"))
        .contains(Sha256.hex(bytes("ciphertext-two-" + ID)), Sha256.hex(bytes("tail-v1")));
    assertThat(receipt.path("verification").path("checks").toString()).contains("404").doesNotContain("FAIL");
    assertThat(store.get(BUCKET, "audit/receipts/" + ID + ".json").join()).isEqualTo(entry.bytes());
    assertThat(store.listKeys(BUCKET, RecordingPurge.INTENT_PREFIX).join()).isEmpty();

    AudioPurgedEvent purged = events.of(AudioPurgedEvent.class).get(0);
    assertThat(purged.reason()).isEqualTo("transcribed");
    assertThat(purged.receiptKey()).isEqualTo("audit/receipts/" + ID + ".json");
    assertThat(events.of(AuditChainEntryEvent.class)).singleElement()
        .satisfies(copy -> assertThat(copy.entryHash()).isEqualTo(entry.hash()));
    assertThat(registry.get("sessionflow.purge.delay").timer().totalTime(java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(3.0);
  }

  @Test
  void purgingWhatIsAlreadyGoneSucceedsWithAReceiptSayingSoAndOnlyOnce() {
    AuditChain.Entry first = purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join();
    assertThat(first.json().path("receipt").path("alreadyGone").asBoolean()).isTrue();
    assertThat(first.json().path("receipt").path("verification").path("passed").asBoolean()).isTrue();

    AuditChain.Entry again = purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join();
    assertThat(again.sequence()).isEqualTo(first.sequence());
    assertThat(chain.size().join()).isEqualTo(1);
    assertThat(events.of(AudioPurgedEvent.class)).hasSize(1);
  }

  @Test
  void storageFailingMidPurgeIsRetryableNeverReportedDoneAndTheResumedReceiptListsEverything() {
    seed(store, ID);
    // The first delete of a raw version works, then storage goes away.
    java.util.concurrent.atomic.AtomicInteger deletes = new java.util.concurrent.atomic.AtomicInteger();
    store.failWhen(op -> op.startsWith("delete-version raw/") && deletes.incrementAndGet() > 1);

    assertThatThrownBy(() -> purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join())
        .isInstanceOf(CompletionException.class)
        .satisfies(e -> assertThat(Failures.isRetryable(e)).isTrue());
    assertThat(events.of(AudioPurgedEvent.class)).isEmpty();
    assertThat(store.listKeys(BUCKET, "audit/").join()).isEmpty();
    assertThat(store.versionCount(BUCKET, "raw/" + ID)).isEqualTo(3);
    assertThat(registry.get("sessionflow.purge.failures").counter().count()).isEqualTo(1);

    store.heal();
    AuditChain.Entry entry = purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join();

    assertThat(store.versionCount(BUCKET, "raw/" + ID)).isZero();
    JsonNode deleted = entry.json().path("receipt").path("deleted");
    assertThat(deleted.findValuesAsText("kind").stream().filter("raw-version"::equals)).hasSize(3);
    assertThat(deleted.findValuesAsText("ciphertextSha256")).contains(Sha256.hex(bytes("ciphertext-one-" + ID)));
    assertThat(chain.size().join()).isEqualTo(1);
  }

  @Test
  void aPurgerKilledAfterChainingButBeforeAnnouncingFinishesWithTheSameSingleEntry() {
    seed(store, ID);
    store.failWhen(op -> op.equals("put audit/receipts/" + ID + ".json"));
    assertThatThrownBy(() -> purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join())
        .isInstanceOf(CompletionException.class);
    assertThat(chain.size().join()).isEqualTo(1);
    assertThat(events.of(AudioPurgedEvent.class)).isEmpty();

    // A fresh process (new chain, new purge) picks the intent up.
    store.heal();
    AuditChain restartedChain = new AuditChain(store, BUCKET, events, clock);
    RecordingPurge restarted = new RecordingPurge(store, BUCKET, BUCKET, restartedChain, events, clock,
        "purger@restarted", new PurgeMetrics(new SimpleMeterRegistry(), clock));
    AuditChain.Entry entry = restarted.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant()))
        .join();

    assertThat(entry.sequence()).isZero();
    assertThat(restartedChain.size().join()).isEqualTo(1);
    assertThat(entry.json().path("receipt").path("deleted").size()).isEqualTo(9);
    assertThat(events.of(AudioPurgedEvent.class)).hasSize(1);
  }

  @Test
  void somethingStillThereAfterDeletingFailsVerificationAndIsRetried() {
    seed(store, ID);
    // A store whose key deletes are acknowledged but do not happen (a lagging replica, a retention lock).
    RecordingPurge stuck = new RecordingPurge(new DelegatingStore(store) {
      @Override
      public java.util.concurrent.CompletableFuture<Void> deleteVersion(String bucket, String key, String version) {
        return key.startsWith("keys/") ? java.util.concurrent.CompletableFuture.completedFuture(null)
            : super.deleteVersion(bucket, key, version);
      }
    }, BUCKET, BUCKET, chain, events, clock, "purger@test", new PurgeMetrics(registry, clock));

    assertThatThrownBy(() -> stuck.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join())
        .hasMessageContaining("did not verify").hasMessageContaining("keys/" + ID + ".audio.dek")
        .satisfies(e -> assertThat(Failures.isRetryable(e)).isTrue());
    assertThat(registry.get("sessionflow.purge.verification.failures").counter().count()).isEqualTo(1);
    assertThat(events.of(AudioPurgedEvent.class)).isEmpty();
  }

  @Test
  void aDeletionRequestAlsoRemovesTranscriptAnalysisLedgerDataKeyAndIndex() {
    seed(store, ID);
    store.put(BUCKET, "analyses/" + ID + ".json", bytes("encrypted-analysis"), java.util.Map.of()).join();
    store.put(BUCKET, "analyses/" + ID + ".job", bytes("published"), java.util.Map.of()).join();
    RecordingIndex.Entry index = new RecordingIndex.Entry("practice1", "ther1", "consent1", ID);
    new RecordingIndex(store, BUCKET).record(index).join();

    AuditChain.Entry entry = purge.purge(new PurgeOrder(ID, PurgeOrder.DELETION_REQUEST, "req1", "RECORDING", null,
        true, index.keys())).join();

    // Every version of everything about the recording is gone, the purge plan's own versions too
    // (no delete marker is left on this versioned bucket); what remains is its receipt.
    assertThat(store.allKeys()).filteredOn(k -> k.contains(ID) && store.versionCount(BUCKET,
        k.substring(BUCKET.length() + 1)) > 0).containsExactly(BUCKET + "/audit/receipts/" + ID + ".json");
    assertThat(store.listKeys(BUCKET, "purges/").join()).isEmpty();
    JsonNode receipt = entry.json().path("receipt");
    assertThat(receipt.path("requestId").asText()).isEqualTo("req1");
    assertThat(receipt.path("deleted").findValuesAsText("kind")).contains("transcript", "transcript-ledger",
        "analysis", "analysis-ledger", "data-key", "index-entry");
    assertThat(events.of(AudioPurgedEvent.class).get(0).reason()).isEqualTo("deletion-request");
  }

  @Test
  void receiptsHoldNoPlaintextOnlyKeysSizesAndHashes() {
    seed(store, ID);
    AuditChain.Entry entry = purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join();
    String text = new String(entry.bytes(), StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("ciphertext-one").doesNotContain("tail-v1").doesNotContain("wrapped-audio-key");
    assertThat(EventCodec.toJson(events.published.get(events.published.size() - 1))).doesNotContain("ciphertext-");
    assertThat(Optional.of(entry.json().path("receipt").path("component").asText())).hasValue("purger@test");
  }

  @Test
  void aDeletionThatTakesOverAnUnfinishedAudioPurgeGetsItsOwnReceipt() {
    seed(store, ID);
    events.down = true; // the audio purge reaches the chain, then cannot announce
    assertThatThrownBy(() -> purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join())
        .isInstanceOf(CompletionException.class);
    events.down = false;
    AuditChain.Entry first = chain.read(0).join();

    AuditChain.Entry deletion = purge.purge(new PurgeOrder(ID, PurgeOrder.DELETION_REQUEST, "req9", "RECORDING",
        null, true, List.of())).join();

    assertThat(deletion.sequence()).isEqualTo(1);
    assertThat(deletion.json().path("receiptId").asText()).isNotEqualTo(first.json().path("receiptId").asText());
    assertThat(deletion.json().path("receipt").path("deleted").findValuesAsText("kind")).contains("raw-version",
        "transcript", "data-key");
    assertThat(store.get(BUCKET, "audit/receipts/" + ID + ".json").join()).isEqualTo(deletion.bytes());
  }
}
