package io.sessionflow.purger;

import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.Subscription;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.Tombstones;
import io.sessionflow.purger.internal.ChainWatch;
import io.sessionflow.purger.internal.DeletionRequests;
import io.sessionflow.purger.internal.DeletionWatch;
import io.sessionflow.purger.internal.PurgeMetrics;
import io.sessionflow.purger.internal.PurgeOrder;
import io.sessionflow.purger.internal.RawAudioInventory;
import io.sessionflow.purger.internal.RecordingPurge;
import io.sessionflow.purger.internal.RetentionSweep;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the promise that raw audio does not outlive its transcript: {@code transcript.ready} →
 * purge the audio; {@code deletion.requested} → delete everything the request covers; and a
 * periodic sweep of the raw area purges whatever has no live reason to exist (a missed event,
 * a failed recording past retention, an abandoned upload, an interrupted purge). Offsets are
 * committed only after the receipt is in the audit chain; storage failures retry with backoff
 * for as long as it takes, never reported done.
 */
public final class PurgerStage implements AutoCloseable {
  public static final String STAGE = "purger";
  public static final String GROUP = "sessionflow-purger";
  private static final Logger LOG = LoggerFactory.getLogger(PurgerStage.class);

  private final ObjectStore store;
  private final String bucket;
  private final PurgeMetrics metrics;
  private final RecordingPurge purge;
  private final DeletionRequests deletions;
  private final RetentionSweep sweep;
  private final ChainWatch chainWatch;
  private final AtomicBoolean refreshScheduled = new AtomicBoolean();
  private Vertx vertx;
  private EventStream.Consumer consumer;

  private PurgerStage(StageRuntime runtime, PurgerConfig config) {
    this.store = runtime.store();
    this.bucket = config.process().pipeline().storage().bucket();
    String keyBucket = config.process().pipeline().storage().keyBucket();
    java.time.Clock clock = runtime.clock();
    this.metrics = new PurgeMetrics(runtime.registry(), clock);
    AuditChain chain = new AuditChain(store, bucket, runtime.events().publisher(), clock);
    String component = componentName();
    this.purge = new RecordingPurge(store, bucket, keyBucket, chain, runtime.events().publisher(), clock,
        component, metrics);
    this.deletions = new DeletionRequests(store, bucket, purge, chain, clock, component, metrics);
    this.chainWatch = new ChainWatch(chain, runtime.registry());
    this.sweep = new RetentionSweep(new RawAudioInventory(store, bucket, keyBucket, config.maxRetention(),
        config.purgeSlo(), RawAudioInventory.CREATION_GRACE), purge, metrics, clock,
        new DeletionWatch(store, bucket, purge, clock, config.deletionWatch(), config.sweepInterval()),
        config.reconcileInterval());
  }

  public static PurgerStage start(StageRuntime runtime, PurgerConfig config) {
    // The audit chain relies on If-None-Match: without it two replicas could both write an entry.
    if (!runtime.store().supportsConditionalWrites(config.process().pipeline().storage().bucket()).join()) {
      throw new io.sessionflow.common.runtime.StartupException("the object store does not honour conditional "
          + "writes (If-None-Match), which the audit chain needs; use S3, MinIO or another store that does", null);
    }
    PurgerStage stage = new PurgerStage(runtime, config);
    stage.vertx = runtime.vertx();
    // Deleting is never given up on for a storage outage: retry (backoff up to a minute) until it works.
    stage.consumer = runtime.events().subscribe(Subscription.of(GROUP, STAGE, Topic.TRANSCRIPT_READY,
        Topic.DELETION_REQUESTED).withRetries(10_000, Duration.ofSeconds(1), Duration.ofMinutes(1))
        .withMaxInFlight(4), stage::handle);
    long timer = runtime.vertx().setPeriodic(2_000, config.sweepInterval().toMillis(), id -> stage.sweep());
    runtime.onClose(stage);
    runtime.onClose(() -> runtime.vertx().cancelTimer(timer));
    return stage;
  }

  private CompletionStage<Void> handle(ConsumedEvent consumed) {
    if (consumed.attempt() > 1) {
      metrics.retried();
    }
    if (consumed.event() instanceof TranscriptReadyEvent ready) {
      return transcribed(ready).thenRun(this::refreshSoon);
    }
    if (consumed.event() instanceof DeletionRequestedEvent request) {
      LOG.info("deletion request {} ({}) received", request.requestId(), request.scope());
      return deletions.handle(request).thenRun(this::refreshSoon);
    }
    return CompletableFuture.completedFuture(null);
  }

  /** The transcript is durable: purge the audio, or everything if the recording was deleted meanwhile. */
  private CompletableFuture<Void> transcribed(TranscriptReadyEvent ready) {
    String id = ready.recordingId();
    return new Tombstones(store, bucket).isDeleted(id)
        .thenCompose(deleted -> purge.purge(deleted
            ? new PurgeOrder(id, PurgeOrder.DELETION_REQUEST, null, null, ready.occurredAt(), true, List.of())
            : PurgeOrder.audioOnly(id, PurgeOrder.TRANSCRIBED, ready.occurredAt())))
        .thenApply(entry -> null);
  }

  /**
   * After a purge the raw-audio gauges would show what the last sweep saw until the next one:
   * a sweep a few seconds later (at most one pending) brings them up to date.
   */
  private void refreshSoon() {
    if (vertx != null && refreshScheduled.compareAndSet(false, true)) {
      vertx.setTimer(3_000, id -> {
        refreshScheduled.set(false);
        sweep();
      });
    }
  }

  /** Lists the raw area, refreshes the gauges and purges what has no reason to exist. */
  public CompletableFuture<RawAudioInventory.Scan> sweep() {
    return sweep.run().thenCompose(scan -> chainWatch.check().thenApply(ignored -> scan));
  }

  private static String componentName() {
    try {
      return STAGE + "@" + InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return STAGE;
    }
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close();
    }
  }
}
