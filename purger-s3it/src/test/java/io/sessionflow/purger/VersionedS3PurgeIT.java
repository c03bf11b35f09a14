package io.sessionflow.purger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.adobe.testing.s3mock.S3MockApplication;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.embedded.FreePorts;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent.Scope;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectStores;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.common.storage.internal.S3ObjectStore;
import io.sessionflow.purger.internal.DeletionRequests;
import io.sessionflow.purger.internal.PurgeMetrics;
import io.sessionflow.purger.internal.PurgeOrder;
import io.sessionflow.purger.internal.RecordingPurge;
import io.sessionflow.purger.internal.Sha256;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The purger against a real S3 implementation with versioning: Adobe S3Mock, in this JVM, reached
 * through the product's own SDK client and {@link S3ObjectStore}. S3Proxy's filesystem store (the
 * other ITs) has no versions and {@link VersionedObjectStore} is our own idea of S3; here every
 * version, delete marker and unfinished multipart upload is the server's.
 * {@link VersionedS3PurgeOnMotoIT} runs the same tests against moto's S3 server.
 *
 * <p>Objects are seeded through the raw SDK client (index entries through {@link RecordingIndex}),
 * and what S3 named them (version ids, marker ids, upload ids) is read back from S3: the purge's
 * receipt is checked against that, not against itself.
 *
 * <p>Where S3Mock 4.12 is not S3, and these tests step around it: it loses an object written
 * before versioning was enabled (no "null" version: that test is skipped on it); its DeleteObject
 * answers the hidden version's id, not the new marker's; its ListObjectsV2 can still list a key
 * whose latest version is a delete marker; and a noncurrent version deleted by its id stays
 * readable by that id until the key's last version goes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VersionedS3PurgeIT {
  private static final String ID = "rec1";
  /** Another recording whose keys start with this one's: a prefix listing of raw/rec1 finds raw/rec10 too. */
  private static final String OTHER = "rec10";
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  private AutoCloseable server;
  private S3AsyncClient s3;
  private ObjectStore store;

  private String bucket;
  private String keyBucket;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  private RecordingPublisher events;
  private AuditChain chain;
  private RecordingPurge purge;

  /** One thing the seed wrote, as S3 named it: a version, a delete marker or an open multipart upload. */
  record Written(String bucket, String key, String versionId, String sha256, boolean marker, boolean upload) {
    String id() {
      return bucket + "/" + key + "?" + versionId;
    }
  }

  /** Starts the S3 server these tests run against and answers its endpoint; S3Mock here, in this JVM. */
  URI startServer(Path dataDir) {
    int port = FreePorts.find();
    Map<String, Object> properties = new HashMap<>();
    properties.put(S3MockApplication.PROP_HTTP_PORT, port);
    properties.put(S3MockApplication.PROP_HTTPS_PORT, S3MockApplication.RANDOM_PORT);
    properties.put(S3MockApplication.PROP_ROOT_DIRECTORY, dataDir.toString());
    properties.put(S3MockApplication.PROP_SILENT, true);
    S3MockApplication s3mock = S3MockApplication.start(properties);
    useServer(s3mock::stop);
    return URI.create("http://127.0.0.1:" + port);
  }

  /** What stops the server after the last test. */
  void useServer(AutoCloseable stop) {
    server = stop;
  }

  @BeforeAll
  void startS3(@TempDir Path root) {
    URI endpoint = startServer(root);
    // The client the stages build, with its settings (path style, checksums only where required).
    s3 = ObjectStores.client(new StorageConfig(Optional.of(endpoint), "us-east-1", "unused", "unused",
        "test-access", "test-secret-key-0123456789", true, StorageConfig.MIN_PART_SIZE));
    store = new S3ObjectStore(s3);
  }

  @AfterAll
  void stopS3() throws Exception {
    if (store != null) {
      store.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** Fresh buckets, chain and purger for every test: no test sees another's objects. */
  @BeforeEach
  void freshBuckets() {
    int n = BUCKETS.incrementAndGet();
    bucket = "sf-data-" + n;
    keyBucket = "sf-keys-" + n;
    events = new RecordingPublisher();
    chain = new AuditChain(store, bucket, events, clock);
    purge = purge(store, chain, "purger@s3it");
  }

  // ---- tests -----------------------------------------------------------------------------------

  @Test
  void anAudioPurgeDeletesEveryVersionMarkerAndUploadByIdVerifiesAndReceiptsEachVersion() {
    buckets(true);
    List<Written> audio = seedAudio(ID);
    List<Written> derived = seedDerived(ID);
    seedAudio(OTHER);
    seedDerived(OTHER);
    List<Written> other = snapshot(OTHER);
    Instant durable = clock.instant();
    clock.advance(Duration.ofSeconds(2));

    AuditChain.Entry entry = purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, durable)).join();

    assertGone(audio);
    assertStillThere(derived);
    assertThat(snapshot(OTHER)).containsExactlyInAnyOrderElementsOf(other);
    JsonNode receipt = entry.json().path("receipt");
    assertThat(receipt.path("alreadyGone").asBoolean()).isFalse();
    assertReceiptNamesExactly(receipt, audio);
    assertThat(receipt.path("deleted").findValuesAsText("kind")).containsOnly("raw-version", "raw-delete-marker",
        "multipart-upload", "upload-leftover", "upload-leftover-delete-marker", "audio-key");
    assertVerifiedFromOutside(receipt, audio);
    assertThat(get(bucket, "audit/receipts/" + ID + ".json", null)).isEqualTo(entry.bytes());
    assertThat(currentKeys(bucket)).noneMatch(k -> k.startsWith(RecordingPurge.INTENT_PREFIX));
    assertThat(events.of(AudioPurgedEvent.class)).singleElement()
        .satisfies(e -> assertThat(e.recordingId()).isEqualTo(ID));
  }

  @Test
  void aDeletionRequestRemovesEveryVersionOfEverythingAndLeavesOnlyTombstoneAndReceipts() {
    buckets(true);
    for (String id : List.of(ID, OTHER)) {
      seedAudio(id);
      seedDerived(id);
      put(bucket, "analyses/" + id + ".json", "encrypted-analysis-v1-" + id);
      put(bucket, "analyses/" + id + ".json", "encrypted-analysis-v2-" + id);
      put(bucket, "transcripts/" + id + ".job", "2 published");
      new RecordingIndex(store, bucket).record(new RecordingIndex.Entry("p1", "t1", "c1", id)).join();
    }
    List<Written> everything = snapshot(ID);
    List<Written> other = snapshot(OTHER);
    DeletionRequests deletions = new DeletionRequests(store, bucket, purge, chain, clock, "purger@s3it");

    deletions.handle(new DeletionRequestedEvent(1, clock.instant(), "req1", Scope.RECORDING, ID, "p1", "admin1"))
        .join();

    assertGone(everything);
    assertThat(snapshot(OTHER)).containsExactlyInAnyOrderElementsOf(other);
    JsonNode receipt = json(get(bucket, "audit/receipts/" + ID + ".json", null)).path("receipt");
    assertThat(receipt.path("reason").asText()).isEqualTo(PurgeOrder.DELETION_REQUEST);
    assertThat(receipt.path("requestId").asText()).isEqualTo("req1");
    assertReceiptNamesExactly(receipt, everything);
    assertThat(receipt.path("deleted").findValuesAsText("kind")).contains("raw-version", "raw-delete-marker",
        "multipart-upload", "upload-leftover", "audio-key", "data-key", "transcript", "transcript-ledger",
        "analysis", "index-entry");
    assertVerifiedFromOutside(receipt, everything);
    // What a recording leaves behind, ids only: its tombstone (so a late transcript is deleted too), its
    // receipt, and the deletion watch's mark until the watch period is over.
    assertThat(currentKeys(bucket).stream().filter(k -> about(k, ID)).toList())
        .contains("tombstones/" + ID, "audit/receipts/" + ID + ".json")
        .allMatch(k -> k.equals("tombstones/" + ID) || k.equals("audit/receipts/" + ID + ".json")
            || k.equals("deletions/watch/" + ID));
    assertThat(currentKeys(keyBucket)).noneMatch(k -> about(k, ID));
    assertThat(get(bucket, DeletionRequests.receiptKey("req1"), null)).isNotEmpty();
    assertThat(events.of(AudioPurgedEvent.class)).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo(PurgeOrder.DELETION_REQUEST));
  }

  @Test
  void aClientsDeletionLeavesNoVersionAnywhereThatNamesTheClient() {
    buckets(true);
    String client = "client-vx7k2q";
    put(bucket, "consents/p1/c1.json", "{\"id\":\"c1\",\"practiceId\":\"p1\",\"therapistId\":\"t1\","
        + "\"clientRef\":\"" + client + "\"}");
    seedAudio(ID);
    seedDerived(ID);
    new RecordingIndex(store, bucket).record(new RecordingIndex.Entry("p1", "t1", "c1", ID)).join();
    DeletionRequests deletions = new DeletionRequests(store, bucket, purge, chain, clock, "purger@s3it");

    deletions.handle(new DeletionRequestedEvent(1, clock.instant(), "req2", Scope.CLIENT, client, "p1", "admin1"))
        .join();

    assertThat(events.of(AudioPurgedEvent.class)).singleElement()
        .satisfies(e -> assertThat(e.recordingId()).isEqualTo(ID));
    // Every version of every object, current or not, in both buckets: none may still name the client.
    List<String> naming = new ArrayList<>();
    for (String b : List.of(bucket, keyBucket)) {
      ListObjectVersionsResponse page = s3.listObjectVersions(r -> r.bucket(b)).join();
      assertThat(page.isTruncated()).isFalse();
      page.versions().stream().filter(v -> new String(get(b, v.key(), v.versionId()), StandardCharsets.UTF_8)
          .contains(client)).forEach(v -> naming.add(b + "/" + v.key() + "?" + v.versionId()
              + (v.isLatest() ? " (current)" : " (noncurrent)")));
    }
    assertThat(naming).as("versions that still name the deleted client").isEmpty();
  }

  @Test
  void aPurgeInterruptedAfterItsPlanResumesAndItsReceiptNamesWhatTheFirstAttemptRemoved() {
    buckets(true);
    List<Written> audio = seedAudio(ID);
    AtomicInteger removals = new AtomicInteger();
    // The third removal (version delete, plain delete or abort) never happens: storage went away after two.
    RecordingPurge failing = purge(new DelegatingStore(store) {
      @Override
      public CompletableFuture<Void> deleteVersion(String bucket, String key, String versionId) {
        return third(key) ? unavailable(key) : super.deleteVersion(bucket, key, versionId);
      }

      @Override
      public CompletableFuture<Void> delete(String bucket, String key) {
        return third(key) ? unavailable(key) : super.delete(bucket, key);
      }

      @Override
      public CompletableFuture<Void> abortMultipartUpload(String bucket, String key, String uploadId) {
        return third(key) ? unavailable(key) : super.abortMultipartUpload(bucket, key, uploadId);
      }

      private boolean third(String key) {
        return !key.startsWith(RecordingPurge.INTENT_PREFIX) && removals.incrementAndGet() == 3;
      }

      private CompletableFuture<Void> unavailable(String key) {
        return CompletableFuture.failedFuture(new StorageException("delete " + key + " failed: HTTP 503", 503,
            true, null));
      }
    }, chain, "purger@s3it");

    assertThatThrownBy(() -> failing.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant()))
        .join()).isInstanceOf(CompletionException.class).satisfies(e -> assertThat(Failures.isRetryable(e)).isTrue());
    List<Written> removedFirst = audio.stream().filter(w -> !listed(w)).toList();
    assertThat(removedFirst).hasSize(2);
    assertThat(get(bucket, RecordingPurge.intentKey(ID), null)).isNotEmpty();
    assertThat(currentKeys(bucket)).noneMatch(k -> k.startsWith("audit/"));
    assertThat(events.of(AudioPurgedEvent.class)).isEmpty();

    // The next delivery, in a fresh process: new chain, new purge, same store. What the first attempt
    // deleted is no longer listed (nor, on S3, readable): only the plan it wrote first still knows it.
    AuditChain restartedChain = new AuditChain(store, bucket, events, clock);
    AuditChain.Entry entry = purge(store, restartedChain, "purger@restarted")
        .purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join();

    assertGone(audio);
    JsonNode receipt = entry.json().path("receipt");
    assertReceiptNamesExactly(receipt, audio);
    removedFirst.forEach(w -> assertThat(receiptHashes(receipt)).containsEntry(w.id(), w.sha256()));
    assertVerifiedFromOutside(receipt, audio);
    assertThat(entry.sequence()).isZero();
    assertThat(restartedChain.size().join()).isEqualTo(1);
    assertThat(events.of(AudioPurgedEvent.class)).hasSize(1);
  }

  @Test
  void anObjectWrittenBeforeVersioningWasOnIsDeletedByItsNullVersionNotHiddenUnderAMarker() {
    buckets(false);
    Written rawBefore = put(bucket, "raw/" + ID, "ciphertext-before-versioning");
    Written keyBefore = put(keyBucket, "keys/" + ID + ".audio.dek", "wrapped-audio-key-before");
    Written stateBefore = put(bucket, "uploads/" + ID + "/state.json", "{\"id\":\"" + ID + "\"}");
    versioning(bucket);
    versioning(keyBucket);
    // S3 keeps such an object as the version "null"; S3Mock 4.12 loses it once versioning is on.
    assumeTrue(versionIds(bucket, "raw/" + ID).contains("null"), "this S3 server keeps no \"null\" version of "
        + "an object written before versioning was enabled (S3Mock 4.12 does not)");
    Written rawAfter = put(bucket, "raw/" + ID, "ciphertext-after-versioning");
    List<Written> all = List.of(rawBefore, keyBefore, stateBefore, rawAfter);
    assertThat(List.of(rawBefore, keyBefore, stateBefore)).allMatch(w -> w.versionId().equals("null"));
    assertThat(versionIds(bucket, "raw/" + ID)).containsExactlyInAnyOrder("null", rawAfter.versionId());

    AuditChain.Entry entry = purge.purge(PurgeOrder.audioOnly(ID, PurgeOrder.TRANSCRIBED, clock.instant())).join();

    // Nothing at all under the keys: a plain DELETE would have left each null version under a marker.
    assertGone(all);
    JsonNode receipt = entry.json().path("receipt");
    assertReceiptNamesExactly(receipt, all);
    assertThat(receipt.path("deleted").findValuesAsText("kind")).containsOnly("raw-version", "upload-leftover",
        "audio-key");
    assertVerifiedFromOutside(receipt, all);
  }

  // ---- seeding ---------------------------------------------------------------------------------

  /**
   * Audio as ingest leaves it, and more: raw audio rewritten (a completed multipart upload, two
   * plain versions, a delete marker between them), an unfinished multipart upload of it, upload
   * leftovers with versions, and the wrapped audio key rewritten once.
   */
  private List<Written> seedAudio(String id) {
    List<Written> written = new ArrayList<>();
    String raw = "raw/" + id;
    written.add(completedMultipart(raw, "ciphertext-one-" + id));
    written.add(put(bucket, raw, "ciphertext-two-" + id));
    written.add(deleteMarker(bucket, raw));
    written.add(put(bucket, raw, "ciphertext-three-" + id));
    written.add(openMultipart(raw, "aborted-part-" + id));
    written.add(put(bucket, "uploads/" + id + "/state.json", "{\"id\":\"" + id + "\",\"offset\":0}"));
    written.add(put(bucket, "uploads/" + id + "/state.json", "{\"id\":\"" + id + "\",\"offset\":9}"));
    written.add(put(bucket, "uploads/" + id + "/tail", "tail-v1-" + id));
    written.add(put(bucket, "uploads/" + id + "/tail", "tail-v2-" + id));
    written.add(deleteMarker(bucket, "uploads/" + id + "/tail"));
    written.add(put(keyBucket, "keys/" + id + ".audio.dek", "wrapped-audio-key-v1-" + id));
    written.add(put(keyBucket, "keys/" + id + ".audio.dek", "wrapped-audio-key-v2-" + id));
    return written;
  }

  /** What an audio purge must leave: the transcript and the key that decrypts it. */
  private List<Written> seedDerived(String id) {
    return List.of(put(bucket, "transcripts/" + id + ".json", "encrypted-transcript-" + id),
        put(keyBucket, "keys/" + id + ".data.dek", "wrapped-data-key-" + id));
  }

  /** Whether a key is one of this recording's (ids are whole path segments or before a suffix). */
  private static boolean about(String key, String id) {
    return key.matches("(.*/)?" + Pattern.quote(id) + "([./].*)?");
  }

  /**
   * Every version, delete marker and unfinished multipart upload the recording has in either
   * bucket, as S3 lists them, each version with the SHA-256 of what a read of it returns.
   */
  private List<Written> snapshot(String id) {
    List<Written> found = new ArrayList<>();
    for (String b : List.of(bucket, keyBucket)) {
      ListObjectVersionsResponse page = s3.listObjectVersions(r -> r.bucket(b)).join();
      assertThat(page.isTruncated()).isFalse();
      page.versions().stream().filter(v -> about(v.key(), id)).forEach(v -> found.add(new Written(b, v.key(),
          v.versionId(), Sha256.hex(get(b, v.key(), v.versionId())), false, false)));
      page.deleteMarkers().stream().filter(m -> about(m.key(), id)).forEach(m -> found.add(new Written(b,
          m.key(), m.versionId(), null, true, false)));
      s3.listMultipartUploads(r -> r.bucket(b)).join().uploads().stream().filter(u -> about(u.key(), id))
          .forEach(u -> found.add(new Written(b, u.key(), u.uploadId(), null, false, true)));
    }
    return found;
  }

  private void buckets(boolean versioned) {
    for (String b : List.of(bucket, keyBucket)) {
      s3.createBucket(r -> r.bucket(b)).join();
      if (versioned) {
        versioning(b);
      }
    }
  }

  private void versioning(String bucket) {
    s3.putBucketVersioning(r -> r.bucket(bucket).versioningConfiguration(c -> c
        .status(BucketVersioningStatus.ENABLED))).join();
  }

  private Written put(String bucket, String key, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String versionId = s3.putObject(r -> r.bucket(bucket).key(key), AsyncRequestBody.fromBytes(bytes)).join()
        .versionId();
    return new Written(bucket, key, versionId == null ? "null" : versionId, Sha256.hex(bytes), false,
        false);
  }

  /** A plain DELETE on a versioned bucket: a delete marker, whose id is read from the listing. */
  private Written deleteMarker(String bucket, String key) {
    assertThat(s3.deleteObject(r -> r.bucket(bucket).key(key)).join().deleteMarker()).isTrue();
    // Not the response's x-amz-version-id: S3Mock 4.12 answers there the id of the version the marker hides.
    ListObjectVersionsResponse page = s3.listObjectVersions(r -> r.bucket(bucket).prefix(key)).join();
    String versionId = page.deleteMarkers().stream().filter(m -> m.key().equals(key) && m.isLatest())
        .map(m -> m.versionId()).findFirst().orElseThrow();
    return new Written(bucket, key, versionId, null, true, false);
  }

  private Written completedMultipart(String key, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String upload = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).join().uploadId();
    String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(upload).partNumber(1),
        AsyncRequestBody.fromBytes(bytes)).join().eTag();
    String versionId = s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(upload)
        .multipartUpload(CompletedMultipartUpload.builder()
            .parts(CompletedPart.builder().partNumber(1).eTag(etag).build()).build())).join().versionId();
    return new Written(bucket, key, versionId, Sha256.hex(bytes), false, false);
  }

  private Written openMultipart(String key, String part) {
    String upload = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).join().uploadId();
    s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(upload).partNumber(1),
        AsyncRequestBody.fromBytes(part.getBytes(StandardCharsets.UTF_8))).join();
    return new Written(bucket, key, upload, null, false, true);
  }

  private RecordingPurge purge(ObjectStore through, AuditChain auditChain, String component) {
    return new RecordingPurge(through, bucket, keyBucket, auditChain, events, clock, component,
        new PurgeMetrics(new SimpleMeterRegistry(), clock));
  }

  // ---- checks, all through the raw SDK client ----------------------------------------------------

  /** No version, no delete marker and no multipart upload is left under any of these keys. */
  private void assertGone(List<Written> written) {
    for (String key : written.stream().map(w -> w.bucket() + "/" + w.key()).distinct().toList()) {
      String b = key.substring(0, key.indexOf('/'));
      String k = key.substring(b.length() + 1);
      assertThat(versionIds(b, k)).as("versions and delete markers of " + key).isEmpty();
      assertThat(s3.listMultipartUploads(r -> r.bucket(b).prefix(k)).join().uploads())
          .as("multipart uploads of " + key).noneMatch(u -> u.key().equals(k));
    }
    for (Written w : written) {
      if (!w.marker() && !w.upload()) {
        assertThatThrownBy(() -> get(w.bucket(), w.key(), w.versionId())).as("GET " + w.id())
            .satisfies(e -> assertThat(status(e)).isEqualTo(404));
      }
    }
  }

  /** Every version written is still there with the bytes it had. */
  private void assertStillThere(List<Written> written) {
    for (Written w : written) {
      if (w.upload()) {
        assertThat(s3.listMultipartUploads(r -> r.bucket(w.bucket()).prefix(w.key())).join().uploads())
            .as("multipart upload " + w.id()).anyMatch(u -> u.uploadId().equals(w.versionId()));
      } else {
        assertThat(versionIds(w.bucket(), w.key())).as(w.id()).contains(w.versionId());
        if (!w.marker()) {
          assertThat(Sha256.hex(get(w.bucket(), w.key(), w.versionId()))).as(w.id())
              .isEqualTo(w.sha256());
        }
      }
    }
  }

  /** Whether S3 still lists it: the version or marker among the key's versions, the upload as in progress. */
  private boolean listed(Written w) {
    if (w.upload()) {
      return s3.listMultipartUploads(r -> r.bucket(w.bucket()).prefix(w.key())).join().uploads().stream()
          .anyMatch(u -> u.uploadId().equals(w.versionId()));
    }
    return versionIds(w.bucket(), w.key()).contains(w.versionId());
  }

  /**
   * The receipt's own verification passed, and it checked from the outside: it listed each key and
   * found nothing, and read each former version by its id and got 404.
   */
  private static void assertVerifiedFromOutside(JsonNode receipt, List<Written> written) {
    JsonNode verification = receipt.path("verification");
    assertThat(verification.path("passed").asBoolean()).as(verification.toString()).isTrue();
    List<String> checks = new ArrayList<>();
    verification.path("checks").forEach(c -> checks.add(c.asText()));
    assertThat(checks).noneMatch(c -> c.startsWith("FAIL"));
    for (Written w : written) {
      if (w.upload()) {
        assertThat(checks).as(w.id()).contains("ok   list multipart uploads " + w.key() + ": 0 remain");
      } else if (!w.marker()) {
        assertThat(checks).as(w.id()).contains("ok   get " + w.key() + " version " + w.versionId() + ": 404");
      }
    }
  }

  /** The receipt names each written version, marker and upload by its id, with the ciphertext hash. */
  private static void assertReceiptNamesExactly(JsonNode receipt, List<Written> written) {
    assertThat(receiptHashes(receipt)).containsOnlyKeys(written.stream().map(Written::id).toList());
    for (Written w : written) {
      assertThat(receiptHashes(receipt).get(w.id())).as("ciphertext hash of " + w.id()).isEqualTo(w.sha256());
    }
    assertThat(receipt.path("deleted").size()).isEqualTo(written.size());
  }

  private static Map<String, String> receiptHashes(JsonNode receipt) {
    Map<String, String> hashes = new HashMap<>();
    receipt.path("deleted").forEach(item -> hashes.put(item.path("bucket").asText() + "/" + item.path("key")
        .asText() + "?" + item.path("versionId").asText(), item.path("ciphertextSha256").asText(null)));
    return hashes;
  }

  private List<String> versionIds(String bucket, String key) {
    ListObjectVersionsResponse page = s3.listObjectVersions(r -> r.bucket(bucket).prefix(key)).join();
    return Stream.concat(page.versions().stream().filter(v -> v.key().equals(key)).map(v -> v.versionId()),
        page.deleteMarkers().stream().filter(m -> m.key().equals(key)).map(m -> m.versionId())).toList();
  }

  /**
   * The keys whose latest version is an object, not a delete marker: S3's current objects, read
   * from the version listing (S3Mock 4.12's ListObjectsV2 still shows some keys under a marker).
   */
  private List<String> currentKeys(String bucket) {
    List<String> keys = new ArrayList<>();
    ListObjectVersionsResponse page = s3.listObjectVersions(r -> r.bucket(bucket)).join();
    assertThat(page.isTruncated()).isFalse();
    page.versions().stream().filter(v -> v.isLatest()).forEach(v -> keys.add(v.key()));
    return keys;
  }

  private byte[] get(String bucket, String key, String versionId) {
    return s3.getObject(r -> r.bucket(bucket).key(key).versionId(versionId),
        AsyncResponseTransformer.<GetObjectResponse>toBytes()).thenApply(ResponseBytes::asByteArray).join();
  }

  private static int status(Throwable e) {
    return Failures.unwrap(e) instanceof S3Exception s3e ? s3e.statusCode() : -1;
  }

  private static JsonNode json(byte[] bytes) {
    return new AuditChain.Entry(-1, "", bytes).json();
  }
}
