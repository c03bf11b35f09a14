package io.sessionflow.purger.internal;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.storage.MultipartUploadInfo;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import io.sessionflow.common.storage.RecordingIndex;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The auditor's view of deleted recordings: for every tombstone, anything of that recording still
 * stored under any prefix — raw audio (any version, multipart upload), upload state, either key,
 * transcript, transcriber ledger, analysis, index entry, owner pointer, purge plan — by name. The
 * tombstone itself, the deletion watch mark and the receipts in {@code audit/} are what a deletion
 * keeps (ids only). A deletion still under way (its purge plan exists, or its tombstone is younger
 * than the purge SLO) is reported with what is left, not failed.
 */
public final class DeletedRecordingAudit {
  private static final String TOMBSTONES = "tombstones/";
  /** Where a recording id sits in each kind of key. */
  private static final List<Pattern> OWNED = List.of(
      Pattern.compile("raw/(" + id() + ")"),
      Pattern.compile("uploads/(" + id() + ")/.*"),
      Pattern.compile("transcripts/(" + id() + ")\\.(json|job)"),
      Pattern.compile("analyses/(" + id() + ")\\.(json|job)"),
      Pattern.compile(Pattern.quote(RecordingIndex.PREFIX) + "[^/]+/[^/]+/[^/]+/(" + id() + ")"),
      Pattern.compile(Pattern.quote(RecordingIndex.OWNERS_PREFIX) + "(" + id() + ")"),
      Pattern.compile(Pattern.quote(RecordingPurge.INTENT_PREFIX) + "(" + id() + ")\\.json"),
      Pattern.compile(Pattern.quote(RecordingKeys.PREFIX) + "(" + id() + ")\\.(audio|data)\\.dek"));
  private static final List<String> DATA_PREFIXES = List.of("raw/", "uploads/", "transcripts/", "analyses/",
      RecordingIndex.PREFIX, RecordingIndex.OWNERS_PREFIX, RecordingPurge.INTENT_PREFIX);

  private final ObjectStore store;
  private final String bucket;
  private final String keyBucket;
  private final Duration grace;

  /** @param grace how long after its tombstone a deletion may still be under way (the purge SLO) */
  public DeletedRecordingAudit(ObjectStore store, String bucket, String keyBucket, Duration grace) {
    this.store = store;
    this.bucket = bucket;
    this.keyBucket = keyBucket;
    this.grace = grace;
  }

  /** A deleted recording with something left. */
  public record Leftover(String recordingId, Instant deletedAt, List<String> keys, boolean underWay) {
  }

  /** What a walk found: how many deleted recordings it checked, and those with something left. */
  public record Result(int deletedRecordings, List<Leftover> leftovers) {
    public List<Leftover> violations() {
      return leftovers.stream().filter(l -> !l.underWay()).toList();
    }
  }

  private static String id() {
    return "[A-Za-z0-9][A-Za-z0-9_-]{0,127}";
  }

  public CompletableFuture<Result> scan(Instant now) {
    return store.listVersions(bucket, TOMBSTONES).thenCompose(tombstones -> {
      Map<String, Instant> deleted = new TreeMap<>();
      for (ObjectVersion v : tombstones) {
        String rest = v.key().substring(TOMBSTONES.length());
        if (Ids.isValid(rest) && !v.deleteMarker()) {
          deleted.merge(rest, v.lastModified() == null ? now : v.lastModified(),
              (a, b) -> a.isBefore(b) ? a : b);
        }
      }
      if (deleted.isEmpty()) {
        return CompletableFuture.completedFuture(new Result(0, List.of()));
      }
      List<CompletableFuture<List<String>>> listings = new ArrayList<>();
      DATA_PREFIXES.forEach(prefix -> listings.add(versionKeys(bucket, prefix)));
      listings.add(versionKeys(keyBucket, RecordingKeys.PREFIX));
      listings.add(store.listMultipartUploads(bucket, "raw/")
          .thenApply(uploads -> uploads.stream().map(MultipartUploadInfo::key).toList()));
      CompletableFuture<List<String>> plans = store.listKeys(bucket, RecordingPurge.INTENT_PREFIX);
      listings.add(plans);
      return CompletableFuture.allOf(listings.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
        Map<String, List<String>> left = new TreeMap<>();
        for (CompletableFuture<List<String>> listing : listings) {
          for (String key : listing.join()) {
            owner(key).filter(deleted::containsKey).ifPresent(id -> {
              List<String> keys = left.computeIfAbsent(id, k -> new ArrayList<>());
              if (!keys.contains(key)) {
                keys.add(key);
              }
            });
          }
        }
        List<Leftover> leftovers = new ArrayList<>();
        left.forEach((id, keys) -> {
          Instant at = deleted.get(id);
          boolean planned = plans.join().contains(RecordingPurge.intentKey(id)); // a current plan, not a stale version
          leftovers.add(new Leftover(id, at, List.copyOf(keys), planned || now.isBefore(at.plus(grace))));
        });
        return new Result(deleted.size(), List.copyOf(leftovers));
      });
    });
  }

  private CompletableFuture<List<String>> versionKeys(String inBucket, String prefix) {
    return store.listVersions(inBucket, prefix).thenApply(versions -> versions.stream().map(ObjectVersion::key)
        .distinct().toList());
  }

  /** The recording a key belongs to, if it is one of a recording's objects. */
  static Optional<String> owner(String key) {
    for (Pattern pattern : OWNED) {
      Matcher m = pattern.matcher(key);
      if (m.matches()) {
        return Optional.of(m.group(1));
      }
    }
    return Optional.empty();
  }
}
