package io.sessionflow.purger.internal;

import io.sessionflow.common.failure.Failures;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass over the raw area: {@code scan → refresh gauges → purge each finding without a live
 * reason → look again at recently deleted recordings}. One pass at a time; a recording that fails
 * to purge is logged and left for the next pass. Every {@code reconcileEvery} (and on the first
 * pass) the scan is a full walk, key store included, which also finds keys left without audio.
 */
public final class RetentionSweep {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionSweep.class);
  private final RawAudioInventory inventory;
  private final RecordingPurge purge;
  private final PurgeMetrics metrics;
  private final Clock clock;
  private final AtomicBoolean running = new AtomicBoolean();
  private final DeletionWatch watch;
  private final java.time.Duration reconcileEvery;
  private volatile java.time.Instant lastFull;

  /** A sweep of the raw area alone: no deletion watch, never a full walk. */
  public RetentionSweep(RawAudioInventory inventory, RecordingPurge purge, PurgeMetrics metrics, Clock clock) {
    this(inventory, purge, metrics, clock, null, null);
  }

  /**
   * @param watch          looks again at recently deleted recordings each pass; null for none
   * @param reconcileEvery how often the pass is a full walk; null for never
   */
  public RetentionSweep(RawAudioInventory inventory, RecordingPurge purge, PurgeMetrics metrics, Clock clock,
      DeletionWatch watch, java.time.Duration reconcileEvery) {
    this.inventory = inventory;
    this.purge = purge;
    this.metrics = metrics;
    this.clock = clock;
    this.watch = watch;
    this.reconcileEvery = reconcileEvery;
  }

  /** Runs a pass; completes with its scan, or with null when a pass was already running. */
  public CompletableFuture<RawAudioInventory.Scan> run() {
    if (!running.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    java.time.Instant now = clock.instant();
    boolean full = reconcileEvery != null && (lastFull == null || !now.isBefore(lastFull.plus(reconcileEvery)));
    return inventory.scan(now, full).thenCompose(scan -> {
      if (full) {
        lastFull = now;
      }
      metrics.rawAudio(new PurgeMetrics.RawAudio(scan.bytes(), scan.rawVersions() + scan.multipartUploads()
          + scan.leftovers(), scan.oldest()));
      CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
      for (RawAudioInventory.Finding finding : scan.violations()) {
        PurgeOrder order = finding.purge().orElseThrow();
        all = all.thenCompose(ignored -> purge.purge(order).handle((entry, error) -> {
          if (error != null) {
            LOG.warn("sweep could not purge recording {} ({}): {}; the next sweep retries", order.recordingId(),
                order.reason(), Failures.reason(error));
          }
          return null;
        }));
      }
      if (watch != null) {
        all = all.thenCompose(ignored -> watch.check()).thenAccept(again -> {
          for (int i = 0; i < again; i++) {
            metrics.deletionLeftoversPurged();
          }
        });
      }
      return all.thenApply(ignored -> scan);
    }).whenComplete((scan, error) -> {
      running.set(false);
      if (error != null) {
        LOG.warn("raw-area sweep failed: {}; the next sweep retries", Failures.reason(error));
      }
    });
  }
}
