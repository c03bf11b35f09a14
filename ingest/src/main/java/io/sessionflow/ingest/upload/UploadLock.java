package io.sessionflow.ingest.upload;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Serialises writers of one upload across ingest replicas: a lock object written with
 * {@code If-None-Match: *} next to the upload's state, holding an expiry that the holder renews
 * while it writes. A holder that died (a crashed pod) stops renewing, and its lock lapses after
 * one lease, so the client's retry gets through.
 */
final class UploadLock {
  static final Duration LEASE = Duration.ofSeconds(15);
  private final ObjectStore store;
  private final String bucket;
  private final Clock clock;
  private final Vertx vertx;
  private final String owner = Ids.newId();
  private final java.util.Set<Held> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

  UploadLock(ObjectStore store, String bucket, Clock clock, Vertx vertx) {
    this.store = store;
    this.bucket = bucket;
    this.clock = clock;
    this.vertx = vertx;
  }

  static String key(String uploadId) {
    return UploadStore.UPLOADS_PREFIX + uploadId + "/lock";
  }

  /** Completes with a held lock, or null when another writer holds it. */
  CompletableFuture<Held> acquire(String uploadId) {
    return write(uploadId).thenApply(ok -> new Held(uploadId)).exceptionallyCompose(e -> {
      if (!(Failures.unwrap(e) instanceof StorageException se && se.isPreconditionFailed())) {
        return CompletableFuture.failedFuture(Failures.unwrap(e));
      }
      return store.get(bucket, key(uploadId)).thenCompose(bytes -> {
        if (!expired(bytes)) {
          return CompletableFuture.<Held>completedFuture(null);
        }
        // The holder stopped renewing: take over once (a racing taker loses the conditional write).
        return store.delete(bucket, key(uploadId)).thenCompose(ignored -> write(uploadId))
            .thenApply(ok -> new Held(uploadId))
            .exceptionally(lost -> null);
      }).exceptionallyCompose(gone -> Failures.unwrap(gone) instanceof StorageException s && s.isNotFound()
          ? acquire(uploadId) : CompletableFuture.failedFuture(Failures.unwrap(gone)));
    });
  }

  private CompletableFuture<Void> write(String uploadId) {
    byte[] body = (owner + " " + clock.instant().plus(LEASE)).getBytes(StandardCharsets.UTF_8);
    return store.putIfAbsent(bucket, key(uploadId), body, Map.of()).thenApply(info -> null);
  }

  private boolean expired(byte[] lock) {
    String[] parts = new String(lock, StandardCharsets.UTF_8).split(" ");
    try {
      return parts.length != 2 || clock.instant().isAfter(Instant.parse(parts[1]));
    } catch (java.time.format.DateTimeParseException e) {
      return true;
    }
  }

  /** On shutdown: lets other replicas (or this one, restarted) continue these uploads at once. */
  void releaseAll() {
    CompletableFuture.allOf(held.stream().map(Held::release).toArray(CompletableFuture[]::new))
        .completeOnTimeout(null, 5, java.util.concurrent.TimeUnit.SECONDS).join();
  }

  /** A held lock; renewed in the background until released. */
  final class Held {
    private final String uploadId;
    private final long timer;
    private boolean released;
    private CompletableFuture<?> renewing = CompletableFuture.completedFuture(null);

    Held(String uploadId) {
      this.uploadId = uploadId;
      held.add(this);
      this.timer = vertx.setPeriodic(LEASE.toMillis() / 3, id -> renew());
    }

    /** Puts the lease forward, after the renewal before it and never once released. */
    synchronized void renew() {
      if (released) {
        return;
      }
      renewing = renewing.handle((ok, failed) -> null).thenCompose(ignored -> {
        synchronized (this) {
          if (released) {
            return CompletableFuture.completedFuture(null);
          }
        }
        return store.put(bucket, key(uploadId), (owner + " " + clock.instant().plus(LEASE))
            .getBytes(StandardCharsets.UTF_8), Map.of());
      });
    }

    /**
     * Deletes the lock once a renewal still on its way has landed: deleted first, that renewal
     * would put the lock back for a whole lease, and the client's next request would get 423.
     */
    CompletableFuture<Void> release() {
      CompletableFuture<?> last;
      synchronized (this) {
        released = true;
        last = renewing;
      }
      held.remove(this);
      vertx.cancelTimer(timer);
      return last.handle((ok, failed) -> null).thenCompose(ignored -> store.delete(bucket, key(uploadId)))
          .exceptionally(e -> null);
    }
  }
}
