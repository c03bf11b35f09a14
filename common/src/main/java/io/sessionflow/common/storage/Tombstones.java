package io.sessionflow.common.storage;

import io.sessionflow.common.failure.Failures;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Whether a recording was deleted on request, and taking back what a stage wrote for one. Every
 * stage that writes something derived from a recording checks the tombstone before it starts and
 * again after each write: a deletion that lands while the stage works either sees the object (the
 * write finished before the tombstone, so the purge that follows the tombstone lists it) or is
 * seen by the stage (the write finished after), which then deletes what it wrote. Nothing written
 * for a deleted recording outlives the stage's own check.
 */
public final class Tombstones {
  private final ObjectStore store;
  private final String bucket;

  public Tombstones(ObjectStore store, String bucket) {
    this.store = store;
    this.bucket = bucket;
  }

  /** True once the recording has a tombstone. */
  public CompletableFuture<Boolean> isDeleted(String recordingId) {
    return exists(store, bucket, ObjectKeys.tombstone(recordingId));
  }

  /**
   * Whose recording a tombstone is for, read from the index keys it records (ids only): how a
   * recording deleted before it was ever announced still answers its owner with DELETED.
   */
  public CompletableFuture<java.util.Optional<RecordingIndex.Entry>> owners(String recordingId) {
    return store.get(bucket, ObjectKeys.tombstone(recordingId)).thenApply(bytes -> {
      try {
        com.fasterxml.jackson.databind.JsonNode keys = io.sessionflow.common.event.EventCodec.mapper()
            .readTree(bytes).path("indexKeys");
        for (com.fasterxml.jackson.databind.JsonNode key : keys) {
          java.util.Optional<RecordingIndex.Entry> entry = RecordingIndex.Entry.parse(key.asText())
              .filter(e -> e.recordingId().equals(recordingId));
          if (entry.isPresent()) {
            return entry;
          }
        }
      } catch (java.io.IOException e) {
        // A tombstone without readable owners names nobody.
      }
      return java.util.Optional.<RecordingIndex.Entry>empty();
    }).exceptionallyCompose(error -> isNotFound(error) ? CompletableFuture.completedFuture(java.util.Optional.empty())
        : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  /** Deletes the given keys (every one, even when one fails; a key already gone is fine). */
  public CompletableFuture<Void> takeBack(List<String> keys) {
    List<CompletableFuture<Void>> deletes = keys.stream().map(key -> store.delete(bucket, key)
        .exceptionallyCompose(error -> isNotFound(error) ? CompletableFuture.completedFuture(null)
            : CompletableFuture.failedFuture(Failures.unwrap(error)))).toList();
    return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
  }

  /** Deleted meanwhile? Then take {@code written} back; completes with whether it was deleted. */
  public CompletableFuture<Boolean> takeBackIfDeleted(String recordingId, List<String> written) {
    return isDeleted(recordingId).thenCompose(deleted -> deleted
        ? takeBack(written).thenApply(ignored -> true) : CompletableFuture.completedFuture(false));
  }

  /** A HEAD that answers false for 404 and fails for anything else. */
  public static CompletableFuture<Boolean> exists(ObjectStore store, String bucket, String key) {
    return store.head(bucket, key).thenApply(info -> true)
        .exceptionallyCompose(error -> isNotFound(error) ? CompletableFuture.completedFuture(false)
            : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  public static boolean isNotFound(Throwable error) {
    return Failures.unwrap(error) instanceof StorageException se && se.isNotFound();
  }
}
