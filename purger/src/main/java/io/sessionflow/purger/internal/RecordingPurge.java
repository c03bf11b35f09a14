package io.sessionflow.purger.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.crypto.RecordingKeys.Purpose;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.MultipartUploadInfo;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.purger.AuditChain;
import io.sessionflow.purger.PurgeReceipt;
import io.sessionflow.purger.PurgeReceipt.DeletedItem;
import io.sessionflow.purger.PurgeReceipt.Verification;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Purges one recording: {@code intent → inventory → record plan → delete → verify → receipt →
 * chain → announce}. Every step is idempotent and the plan is durable before anything is deleted,
 * so a purge interrupted anywhere completes on the next delivery or sweep with a receipt that
 * still names everything the first attempt removed. It never reads plaintext: it lists, hashes
 * ciphertext and deletes; it holds no key that decrypts audio.
 */
public final class RecordingPurge {
  public static final String INTENT_PREFIX = "purges/";
  private static final Logger LOG = LoggerFactory.getLogger(RecordingPurge.class);
  private static final ObjectMapper JSON = EventCodec.mapper();
  private static final long HASH_CHUNK = 4L << 20;

  private final ObjectStore store;
  private final String bucket;
  private final String keyBucket;
  private final AuditChain chain;
  private final EventPublisher events;
  private final Clock clock;
  private final String component;
  private final PurgeMetrics metrics;
  private final Map<String, CompletableFuture<?>> running = new HashMap<>();

  public RecordingPurge(ObjectStore store, String bucket, String keyBucket, AuditChain chain, EventPublisher events,
      Clock clock, String component, PurgeMetrics metrics) {
    this.store = store;
    this.bucket = bucket;
    this.keyBucket = keyBucket;
    this.chain = chain;
    this.events = events;
    this.clock = clock;
    this.component = component;
    this.metrics = metrics;
  }

  public static String intentKey(String recordingId) {
    return INTENT_PREFIX + io.sessionflow.common.crypto.Ids.requireId(recordingId, "recording id") + ".json";
  }

  /** Purges the recording; purges of one recording in this process run one after another. */
  public CompletableFuture<AuditChain.Entry> purge(PurgeOrder order) {
    return serialized(order.recordingId(), () -> run(order));
  }

  private CompletableFuture<AuditChain.Entry> run(PurgeOrder order) {
    return startOrResume(order).thenCompose(intent -> inventory(intent).thenCompose(found -> {
      if (intent.items().isEmpty() && found.isEmpty()) {
        // Done before (receipt written, event sent, intent removed): nothing to add to the chain.
        return alreadyReceipted(order).thenCompose(existing -> existing.isPresent()
            ? CompletableFuture.completedFuture(existing.get()) : complete(intent));
      }
      return recordPlan(intent, found).thenCompose(plan -> delete(found).thenCompose(ignored -> complete(plan)));
    })).whenComplete((entry, error) -> {
      if (error != null) {
        metrics.failed(order.reason(), error);
      }
    });
  }

  private CompletableFuture<AuditChain.Entry> complete(PurgeIntent intent) {
    return verify(intent).thenCompose(verification -> {
      if (!verification.passed()) {
        metrics.verificationFailed();
        return CompletableFuture.failedFuture(new PurgeException("purge of recording "
            + intent.order().recordingId() + " did not verify: " + String.join("; ", verification.checks()
                .stream().filter(c -> c.startsWith("FAIL")).toList()), true, null));
      }
      return receipt(intent, verification);
    });
  }

  // ---- intent ----------------------------------------------------------------------------------

  private CompletableFuture<PurgeIntent> startOrResume(PurgeOrder order) {
    return store.get(bucket, intentKey(order.recordingId())).thenApply(bytes -> {
      try {
        PurgeIntent stored = JSON.readValue(bytes, PurgeIntent.class);
        return merge(stored, order);
      } catch (IOException e) {
        throw new PurgeException("purge intent of recording " + order.recordingId() + " is unreadable", false, e);
      }
    }).exceptionallyCompose(error -> notFound(error)
        ? chain.size().thenApply(size -> new PurgeIntent(io.sessionflow.common.crypto.Ids.newId(), order,
            clock.instant(), size, List.of()))
        : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  /** A resumed purge keeps its receipt id and items; a deletion request widens an audio-only one. */
  private static PurgeIntent merge(PurgeIntent stored, PurgeOrder order) {
    boolean wider = order.deleteDerived() && !stored.order().deleteDerived();
    boolean requested = PurgeOrder.DELETION_REQUEST.equals(order.reason())
        && !PurgeOrder.DELETION_REQUEST.equals(stored.order().reason());
    if (wider || requested) {
      // A new receipt: the audio-only one may already be in the chain, and this one covers more.
      return new PurgeIntent(io.sessionflow.common.crypto.Ids.newId(), order, stored.startedAt(),
          stored.chainSearchFrom(), stored.items());
    }
    return stored;
  }

  private CompletableFuture<PurgeIntent> recordPlan(PurgeIntent intent, List<DeletedItem> found) {
    PurgeIntent plan = intent.with(found);
    try {
      return store.put(bucket, intentKey(plan.order().recordingId()), JSON.writeValueAsBytes(plan),
          Map.of("sf-kind", "purge-intent")).thenApply(info -> plan);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  // ---- inventory -------------------------------------------------------------------------------

  /** One place a recording's data lives: an exact key, or every key under a prefix. */
  record Target(String kind, String bucket, String key, boolean prefix) {
    boolean covers(String candidate) {
      return prefix ? candidate.startsWith(key) : candidate.equals(key);
    }
  }

  List<Target> targets(PurgeOrder order) {
    String id = order.recordingId();
    List<Target> targets = new ArrayList<>(List.of(
        new Target("raw", bucket, ObjectKeys.raw(id), false),
        new Target("upload-leftover", bucket, ObjectKeys.uploadPrefix(id), true),
        new Target("audio-key", keyBucket, RecordingKeys.objectKey(id, Purpose.AUDIO), false)));
    if (order.deleteDerived()) {
      targets.add(new Target("transcript", bucket, ObjectKeys.transcript(id), false));
      targets.add(new Target("transcript-ledger", bucket, ObjectKeys.transcriptLedger(id), false));
      targets.add(new Target("analysis", bucket, ObjectKeys.analysis(id), false));
      targets.add(new Target("analysis-ledger", bucket, ObjectKeys.analysisLedger(id), false));
      targets.add(new Target("data-key", keyBucket, RecordingKeys.objectKey(id, Purpose.DATA), false));
      order.indexKeys().forEach(key -> targets.add(new Target("index-entry", bucket, key, false)));
    }
    return targets;
  }

  /**
   * What is left of the recording under every place the order covers, by key (versions, delete
   * markers and unfinished multipart uploads alike): the deletion watch's check, without hashing.
   */
  public CompletableFuture<List<String>> leftovers(PurgeOrder order) {
    List<CompletableFuture<List<ObjectVersion>>> listings = targets(order).stream().map(this::versions).toList();
    String raw = ObjectKeys.raw(order.recordingId());
    CompletableFuture<List<MultipartUploadInfo>> uploads = store.listMultipartUploads(bucket, raw);
    return CompletableFuture.allOf(listings.toArray(CompletableFuture[]::new)).thenCombine(uploads,
        (ignored, multipart) -> {
          List<String> left = new ArrayList<>();
          listings.forEach(listing -> listing.join().forEach(v -> left.add(v.key())));
          multipart.stream().filter(u -> u.key().equals(raw)).forEach(u -> left.add(u.key() + " (multipart upload)"));
          return left.stream().distinct().toList();
        });
  }

  private CompletableFuture<List<DeletedItem>> inventory(PurgeIntent intent) {
    CompletableFuture<List<DeletedItem>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (Target target : targets(intent.order())) {
      all = all.thenCompose(items -> versions(target).thenCompose(versions -> describe(target, versions, intent))
          .thenApply(found -> {
            items.addAll(found);
            return items;
          }));
    }
    String raw = ObjectKeys.raw(intent.order().recordingId());
    return all.thenCompose(items -> store.listMultipartUploads(bucket, raw).thenApply(uploads -> {
      uploads.stream().filter(u -> u.key().equals(raw)).forEach(u -> items.add(new DeletedItem("multipart-upload",
          bucket, raw, u.uploadId(), 0, null, u.initiated())));
      return List.copyOf(items);
    }));
  }

  private CompletableFuture<List<ObjectVersion>> versions(Target target) {
    return store.listVersions(target.bucket(), target.key())
        .thenApply(versions -> versions.stream().filter(v -> target.covers(v.key())).toList());
  }

  /** Each version as a receipt item, hashing the ciphertext of those the intent does not know yet. */
  private CompletableFuture<List<DeletedItem>> describe(Target target, List<ObjectVersion> versions,
      PurgeIntent intent) {
    CompletableFuture<List<DeletedItem>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (ObjectVersion version : versions) {
      String kind = version.deleteMarker() ? target.kind() + "-delete-marker"
          : "raw".equals(target.kind()) ? "raw-version" : target.kind();
      DeletedItem bare = new DeletedItem(kind, target.bucket(), version.key(), version.versionId(), version.size(),
          null, version.lastModified());
      DeletedItem known = intent.known(bare);
      all = all.thenCompose(items -> (known != null ? CompletableFuture.completedFuture(known) : hashed(bare))
          .thenApply(item -> {
            items.add(item);
            return items;
          }));
    }
    return all;
  }

  private CompletableFuture<DeletedItem> hashed(DeletedItem item) {
    if (item.bytes() == 0) {
      return CompletableFuture.completedFuture(item);
    }
    MessageDigest digest = Sha256.digest();
    return hashFrom(item, digest, 0).thenApply(ignored -> new DeletedItem(item.kind(), item.bucket(), item.key(),
        item.versionId(), item.bytes(), Sha256.hex(digest), item.lastModified()))
        .exceptionally(error -> {
          if (notFound(error)) {
            return item; // deleted meanwhile (another purger): it is listed, without a hash
          }
          throw new java.util.concurrent.CompletionException(Failures.unwrap(error));
        });
  }

  private CompletableFuture<Void> hashFrom(DeletedItem item, MessageDigest digest, long offset) {
    if (offset >= item.bytes()) {
      return CompletableFuture.completedFuture(null);
    }
    long length = Math.min(HASH_CHUNK, item.bytes() - offset);
    return store.getVersionRange(item.bucket(), item.key(), item.versionId(), offset, length)
        .thenCompose(bytes -> {
          digest.update(bytes);
          return hashFrom(item, digest, offset + bytes.length);
        });
  }

  // ---- delete ----------------------------------------------------------------------------------

  private CompletableFuture<Void> delete(List<DeletedItem> items) {
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (DeletedItem item : items) {
      all = all.thenCompose(ignored -> deleteOne(item));
    }
    return all;
  }

  private CompletableFuture<Void> deleteOne(DeletedItem item) {
    CompletableFuture<Void> call;
    if ("multipart-upload".equals(item.kind())) {
      call = store.abortMultipartUpload(item.bucket(), item.key(), item.versionId());
    } else if (item.versionId() == null) {
      call = store.delete(item.bucket(), item.key()); // an unversioned store: the object is its only version
    } else {
      // Including the "null" version of an object written before versioning was on: a plain delete
      // would only add a delete marker above it.
      call = store.deleteVersion(item.bucket(), item.key(), item.versionId());
    }
    return call.exceptionallyCompose(error -> notFound(error) ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  // ---- verify ----------------------------------------------------------------------------------

  private CompletableFuture<Verification> verify(PurgeIntent intent) {
    List<String> checks = new ArrayList<>();
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (Target target : targets(intent.order())) {
      all = all.thenCompose(ignored -> versions(target).thenAccept(left -> checks.add(
          check(left.isEmpty(), "list versions " + target.key() + ": " + left.size() + " remain"))));
    }
    String raw = ObjectKeys.raw(intent.order().recordingId());
    all = all.thenCompose(ignored -> store.listMultipartUploads(bucket, raw).thenAccept(uploads -> {
      long left = uploads.stream().filter(u -> u.key().equals(raw)).count();
      checks.add(check(left == 0, "list multipart uploads " + raw + ": " + left + " remain"));
    }));
    for (DeletedItem item : intent.items()) {
      if (item.bytes() > 0 && !"multipart-upload".equals(item.kind())) {
        all = all.thenCompose(ignored -> readable(item).thenAccept(readable -> checks.add(check(!readable,
            "get " + item.key() + " version " + item.versionId() + ": " + (readable ? "still readable" : "404")))));
      }
    }
    String audioKey = RecordingKeys.objectKey(intent.order().recordingId(), Purpose.AUDIO);
    all = all.thenCompose(ignored -> readable(new DeletedItem("audio-key", keyBucket, audioKey, null, 1, null, null))
        .thenAccept(readable -> checks.add(check(!readable, "get " + audioKey + ": "
            + (readable ? "still there" : "404, no wrapped key is left to unwrap")))));
    return all.thenApply(ignored -> new Verification(checks.stream().allMatch(c -> c.startsWith("ok")), checks));
  }

  private CompletableFuture<Boolean> readable(DeletedItem item) {
    return store.getVersionRange(item.bucket(), item.key(), item.versionId(), 0, 1).thenApply(bytes -> true)
        .exceptionallyCompose(error -> notFound(error) ? CompletableFuture.completedFuture(false)
            : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private static String check(boolean passed, String what) {
    return (passed ? "ok   " : "FAIL ") + what;
  }

  // ---- receipt, chain, announce ----------------------------------------------------------------

  private CompletableFuture<AuditChain.Entry> receipt(PurgeIntent intent, Verification verification) {
    PurgeOrder order = intent.order();
    PurgeReceipt receipt = new PurgeReceipt(intent.receiptId(), order.recordingId(), order.reason(),
        order.requestId(), order.scope(), order.transcriptDurableAt(), intent.startedAt(), clock.instant(),
        component, intent.items().isEmpty(), intent.items(), verification);
    return chain.append("purge-receipt", order.recordingId(), intent.receiptId(), receipt, intent.chainSearchFrom())
        .thenCompose(entry -> store.put(bucket, ObjectKeys.receipt(order.recordingId()), entry.bytes(),
            Map.of("sf-kind", "receipt")).thenApply(info -> entry))
        .thenCompose(entry -> announce(order, entry).thenApply(ignored -> entry))
        .thenCompose(entry -> store.deleteEveryVersion(bucket, intentKey(order.recordingId()))
            .thenApply(ignored -> entry))
        .thenApply(entry -> {
          metrics.purged(order, receipt, clock.instant());
          LOG.info("recording {} purged ({}): {} item(s), receipt {} at chain entry {}", order.recordingId(),
              order.reason(), intent.items().size(), intent.receiptId(), entry.sequence());
          return entry;
        });
  }

  private CompletableFuture<Void> announce(PurgeOrder order, AuditChain.Entry entry) {
    return events.publish(new AudioPurgedEvent(PipelineEvent.CURRENT_SCHEMA_VERSION, clock.instant(),
        order.recordingId(), ObjectKeys.receipt(order.recordingId()), order.transcriptDurableAt(), order.reason()));
  }

  /** The receipt entry already served for this recording, when it was for the same reason. */
  private CompletableFuture<Optional<AuditChain.Entry>> alreadyReceipted(PurgeOrder order) {
    return store.get(bucket, ObjectKeys.receipt(order.recordingId())).thenApply(bytes -> {
      com.fasterxml.jackson.databind.JsonNode json = new AuditChain.Entry(-1, "", bytes).json();
      // Nothing left and a receipt already served: a sweep adds nothing; a deletion request still
      // gets its own receipt unless the one served is already for a deletion.
      return !order.deleteDerived() || order.reason().equals(json.path("receipt").path("reason").asText(""))
          ? Optional.of(new AuditChain.Entry(json.path("sequence").asLong(-1), Sha256.hex(bytes), bytes))
          : Optional.<AuditChain.Entry>empty();
    }).exceptionallyCompose(error -> notFound(error) ? CompletableFuture.completedFuture(Optional.empty())
        : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private <T> CompletableFuture<T> serialized(String recordingId, Supplier<CompletableFuture<T>> work) {
    CompletableFuture<T> next;
    synchronized (running) {
      CompletableFuture<?> before = running.getOrDefault(recordingId, CompletableFuture.completedFuture(null));
      next = before.handle((ignored, error) -> null).thenCompose(ignored -> work.get());
      running.put(recordingId, next);
    }
    CompletableFuture<T> mine = next;
    next.whenComplete((value, error) -> {
      synchronized (running) {
        running.remove(recordingId, mine);
      }
    });
    return next;
  }

  static boolean notFound(Throwable error) {
    return Failures.unwrap(error) instanceof StorageException se && se.isNotFound();
  }
}
