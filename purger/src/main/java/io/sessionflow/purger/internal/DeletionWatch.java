package io.sessionflow.purger.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.Tombstones;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net behind every deletion. A deletion request writes the recording's tombstone and a
 * watch mark ({@code deletions/watch/ID}, ids only) before it purges; the sweep then looks again
 * at everything the recording could have under any prefix — raw audio, upload state, both keys,
 * transcript, ledger, analysis, index entries — and purges whatever came back (a stage that was
 * mid-job, a process stopped between writing and taking back), with a receipt, without waiting for
 * any event. Once the watch period has passed with nothing left, the mark goes and the tombstone
 * alone remains.
 *
 * <p>Cost: only recordings deleted within the watch period are looked at, never the whole store,
 * and each on a thinning schedule — every sweep for the first ten sweep intervals, then when its
 * age passes each doubling of the interval (2, 4, 8 … intervals) — so one deleted recording costs
 * about 10 + log2(watch / interval) checks of about ten list requests over its whole watch: with
 * a 1-minute sweep and a 24-hour watch, about 200 requests, however large the store.
 */
public final class DeletionWatch {
  public static final String PREFIX = "deletions/watch/";
  private static final Logger LOG = LoggerFactory.getLogger(DeletionWatch.class);
  private static final ObjectMapper JSON = EventCodec.mapper();
  private static final int EVERY_SWEEP = 10;

  private final ObjectStore store;
  private final String bucket;
  private final RecordingPurge purge;
  private final Clock clock;
  private final Duration watch;
  private final Duration interval;
  private final Map<String, Long> looked = new java.util.concurrent.ConcurrentHashMap<>();

  public DeletionWatch(ObjectStore store, String bucket, RecordingPurge purge, Clock clock, Duration watch,
      Duration interval) {
    this.store = store;
    this.bucket = bucket;
    this.purge = purge;
    this.clock = clock;
    this.watch = watch;
    this.interval = interval;
  }

  /**
   * What a tombstone and its watch mark hold: who asked (the request id), when, and the exact keys
   * of the recording's index entries. Ids only.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Mark(String requestId, String scope, Instant at, List<String> indexKeys) {
    public Mark {
      indexKeys = indexKeys == null ? List.of() : List.copyOf(indexKeys);
    }

    PurgeOrder order(String recordingId) {
      return new PurgeOrder(recordingId, PurgeOrder.DELETION_REQUEST, requestId, scope, null, true, indexKeys);
    }
  }

  public static String markKey(String recordingId) {
    return PREFIX + Ids.requireId(recordingId, "recording id");
  }

  /** Writes the tombstone, then the watch mark: from here on no stage keeps anything it writes. */
  public static CompletableFuture<Void> mark(ObjectStore store, String bucket, String recordingId, Mark mark) {
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(mark);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return store.put(bucket, ObjectKeys.tombstone(recordingId), body, Map.of("sf-kind", "tombstone"))
        .thenCompose(info -> store.put(bucket, markKey(recordingId), body, Map.of("sf-kind", "deletion-watch")))
        .thenApply(info -> null);
  }

  /** One pass: each watched recording due a look is checked, purged again if anything is back. */
  public CompletableFuture<Integer> check() {
    Instant now = clock.instant();
    return store.listKeys(bucket, PREFIX).thenCompose(keys -> {
      CompletableFuture<Integer> purged = CompletableFuture.completedFuture(0);
      for (String key : keys) {
        String id = key.substring(PREFIX.length());
        if (!Ids.isValid(id)) {
          continue;
        }
        // One at a time: a pass costs a few requests per watched recording and is not urgent.
        purged = purged.thenCompose(n -> checkOne(id, key, now).handle((again, error) -> {
          if (error != null) {
            LOG.warn("deletion watch of recording {} failed: {}; the next sweep retries", id, Failures.reason(error));
            return n;
          }
          return again ? n + 1 : n;
        }));
      }
      return purged;
    });
  }

  private CompletableFuture<Boolean> checkOne(String id, String key, Instant now) {
    return store.get(bucket, key).thenCompose(bytes -> {
      Mark mark;
      try {
        mark = JSON.readValue(bytes, Mark.class);
      } catch (IOException e) {
        mark = new Mark(null, null, null, List.of()); // unreadable: still watch everything but the index
      }
      Mark read = mark;
      Duration age = read.at() == null ? watch : Duration.between(read.at(), now);
      if (!due(id, age)) {
        return CompletableFuture.completedFuture(false);
      }
      PurgeOrder order = read.order(id);
      return purge.leftovers(order).thenCompose(left -> {
        if (!left.isEmpty()) {
          LOG.warn("recording {} was deleted on request, yet {} object(s) are there again ({}); purging them",
              id, left.size(), String.join(", ", left));
          return purge.purge(order).thenApply(entry -> true);
        }
        if (age.compareTo(watch) >= 0) {
          looked.remove(id);
          return store.deleteEveryVersion(bucket, key).thenApply(ignored -> false);
        }
        return CompletableFuture.completedFuture(false);
      });
    }).exceptionallyCompose(error -> Tombstones.isNotFound(error) ? CompletableFuture.completedFuture(false)
        : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  /**
   * Every sweep while young, then once each time the age passes a doubling of the interval (the
   * last doubling looked at is remembered here, so a slow sweep that skips an exact power of two
   * still looks once in its range; after a restart every mark is looked at once).
   */
  boolean due(String id, Duration age) {
    long sweeps = Math.max(0, age.toMillis() / Math.max(1, interval.toMillis()));
    if (sweeps < EVERY_SWEEP || age.compareTo(watch) >= 0) {
      return true;
    }
    Long band = Long.highestOneBit(sweeps);
    return !band.equals(looked.put(id, band));
  }
}
