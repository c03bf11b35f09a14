package io.sessionflow.transcriber;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the transcriber remembers about a recording, durably, in object storage
 * ({@code transcripts/ID.job}: attempts and whether {@code transcript.ready} went out). The attempt
 * is counted before whisper.cpp is called, so a recording that crashes the native engine is
 * recognised after the restart and dead-lettered instead of crash-looping the fleet.
 */
final class JobLedger {
  private final ObjectStore store;
  private final String bucket;

  JobLedger(ObjectStore store, String bucket) {
    this.store = store;
    this.bucket = bucket;
  }

  record Job(int attempts, boolean published) {
  }

  static String key(String recordingId) {
    return ObjectKeys.transcriptLedger(recordingId);
  }

  CompletableFuture<Job> load(String recordingId) {
    return store.get(bucket, key(recordingId)).thenApply(bytes -> {
      String[] fields = new String(bytes, StandardCharsets.US_ASCII).split(" ");
      return new Job(Integer.parseInt(fields[0]), fields.length > 1 && fields[1].equals("published"));
    }).exceptionallyCompose(e -> Failures.unwrap(e) instanceof StorageException se && se.isNotFound()
        ? CompletableFuture.completedFuture(new Job(0, false)) : CompletableFuture.failedFuture(Failures.unwrap(e)));
  }

  CompletableFuture<Void> save(String recordingId, Job job) {
    byte[] body = (job.attempts() + (job.published() ? " published" : "")).getBytes(StandardCharsets.US_ASCII);
    return store.put(bucket, key(recordingId), body, Map.of()).thenApply(info -> null);
  }
}
