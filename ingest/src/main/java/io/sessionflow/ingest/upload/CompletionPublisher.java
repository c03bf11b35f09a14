package io.sessionflow.ingest.upload;

import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.kafka.EventPublisher;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands completed recordings to the pipeline: {@code recording.stored}, once per recording. The
 * completion is durable in the upload's state before the event is sent, and the state records
 * when Kafka acknowledged it: an event Kafka did not take is retried until it does, and after a
 * restart {@link #recover} finds completions never acknowledged. Before re-sending one, it asks
 * the status view whether the event already made it (the process may have died between Kafka's
 * acknowledgement and the state write), so a recording is announced once.
 */
public final class CompletionPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(CompletionPublisher.class);
  private final EventPublisher events;
  private final UploadStore store;
  private final Clock clock;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, UploadState> retry = new ConcurrentHashMap<>();

  public CompletionPublisher(EventPublisher events, UploadStore store, Clock clock, Vertx vertx) {
    this.events = events;
    this.store = store;
    this.clock = clock;
    vertx.setPeriodic(2_000, id -> retry.values().forEach(this::publish));
  }

  public static RecordingStoredEvent eventFor(UploadState state, java.time.Instant at) {
    return new RecordingStoredEvent(PipelineEvent.CURRENT_SCHEMA_VERSION, at, state.id(), state.practiceId(),
        state.therapistId(), state.consentId(), UploadStore.rawKey(state.id()), state.length(), state.partSize(),
        state.sha256(), state.mediaType(), state.source());
  }

  /** Sends the event and records the acknowledgement; on failure keeps retrying in the background. */
  public CompletableFuture<Void> publish(UploadState state) {
    if (!pending.add(state.id())) {
      return CompletableFuture.completedFuture(null);
    }
    return events.publish(eventFor(state, clock.instant()))
        .thenCompose(ok -> store.save(state.markPublished()))
        .whenComplete((ok, error) -> {
          pending.remove(state.id());
          if (error == null) {
            retry.remove(state.id());
          } else {
            LOG.warn("recording {} stored; announcing it failed ({}), will retry", state.id(),
                Failures.reason(error));
            retry.put(state.id(), state);
          }
        });
  }

  public int awaitingRetry() {
    return retry.size();
  }

  /**
   * After a restart: every completed upload not marked published is either marked (if the view
   * already saw its event) or published again.
   */
  public CompletableFuture<Integer> recover(Predicate<String> alreadyAnnounced) {
    return store.objectStore().listKeys(store.bucket(), UploadStore.UPLOADS_PREFIX).thenCompose(keys -> {
      CompletableFuture<Integer> count = CompletableFuture.completedFuture(0);
      for (String key : keys) {
        if (!key.endsWith("/state.json")) {
          continue;
        }
        String id = key.substring(UploadStore.UPLOADS_PREFIX.length(), key.length() - "/state.json".length());
        count = count.thenCompose(n -> store.load(id).thenCompose(found -> {
          if (found.isEmpty() || !found.get().isComplete() || found.get().published()
              || found.get().concat() != UploadState.Concat.NONE) {
            return CompletableFuture.completedFuture(n);
          }
          UploadState state = found.get();
          if (alreadyAnnounced.test(id)) {
            return store.save(state.markPublished()).thenApply(ignored -> n);
          }
          publish(state);
          return CompletableFuture.completedFuture(n + 1);
        }));
      }
      return count;
    });
  }
}
