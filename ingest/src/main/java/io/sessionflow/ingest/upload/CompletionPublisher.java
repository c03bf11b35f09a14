package io.sessionflow.ingest.upload;

import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.common.storage.Tombstones;
import io.vertx.core.Vertx;
import io.sessionflow.common.consent.Consent;
import io.sessionflow.common.consent.ConsentStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands completed recordings to the pipeline: {@code recording.stored}, once per recording. The
 * completion is durable in the upload's state before the event is sent, and so is the
 * recording's {@link RecordingIndex} entry (a deletion request for its consent, client or
 * therapist must be able to find it once the upload state is gone). The state records
 * when Kafka acknowledged it: an event Kafka did not take is retried until it does, and after a
 * restart {@link #recover} finds completions never acknowledged. Before re-sending one, it asks
 * the status view whether the event already made it (the process may have died between Kafka's
 * acknowledgement and the state write), so a recording is announced once.
 *
 * <p>Nothing is announced without a valid consent: every announcement first reads the recording's
 * consent ({@link ConsentStore#find}); a recording with no consent id, or whose consent is missing
 * from its practice, revoked or without the {@code record} scope, is never announced, and its
 * audio, state and keys are removed ({@link Uploads#discard}, wired in at start-up). An archive entry
 * still waiting for its manifest ({@code source=import}, no consent, younger than
 * {@link #PENDING_GRACE}) is left alone by {@link #recover}: a live import may still check it, and
 * the purger's sweep removes it once that grace has passed.
 */
public final class CompletionPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(CompletionPublisher.class);
  private final EventPublisher events;
  private final UploadStore store;
  private final RecordingIndex index;
  private final Tombstones tombstones;
  private final Clock clock;
  private final ConsentStore consents;
  private volatile Function<UploadState, CompletableFuture<Void>> discarder;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, UploadState> retry = new ConcurrentHashMap<>();

  /**
   * How long an archive entry stored before its manifest may wait without a consent; the same as
   * the imports' (ImportLimits.PENDING_GRACE) and the purger's (RawAudioInventory.IMPORT_CONSENT_GRACE).
   */
  public static final Duration PENDING_GRACE = Duration.ofHours(6);
  /** The source of archive entries. */
  public static final String IMPORT_SOURCE = "import";

  public CompletionPublisher(EventPublisher events, UploadStore store, ConsentStore consents, Clock clock,
      Vertx vertx) {
    this.events = events;
    this.store = store;
    this.consents = consents;
    this.index = new RecordingIndex(store.objectStore(), store.bucket());
    this.tombstones = new Tombstones(store.objectStore(), store.bucket());
    this.clock = clock;
    vertx.setPeriodic(2_000, id -> retry.values().forEach(this::publish));
  }

  public static RecordingStoredEvent eventFor(UploadState state, java.time.Instant at) {
    return new RecordingStoredEvent(PipelineEvent.CURRENT_SCHEMA_VERSION, at, state.id(), state.practiceId(),
        state.therapistId(), state.consentId(), UploadStore.rawKey(state.id()), state.length(), state.partSize(),
        state.sha256(), state.mediaType(), state.source());
  }

  /**
   * Indexes the recording, sends the event and records the acknowledgement; if any step fails,
   * keeps retrying all of them in the background (writing the index entry again is harmless).
   */
  public CompletableFuture<Void> publish(UploadState state) {
    if (!pending.add(state.id())) {
      return CompletableFuture.completedFuture(null);
    }
    // Started from a completed future so that even a throwing step ends in the retry path below.
    return CompletableFuture.completedFuture(state)
        .thenCompose(s -> tombstones.isDeleted(s.id()))
        .thenCompose(deleted -> deleted ? deletedMeanwhile(state) : consentProblem(state)
            .thenCompose(problem -> problem != null ? refuse(state, problem) : announce(state)))
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

  /** How a recording that will not be announced is removed: {@link Uploads#discard}. */
  public void discardRefusedWith(Function<UploadState, CompletableFuture<Void>> discard) {
    this.discarder = discard;
  }

  /**
   * Null when the recording's consent is valid right now; otherwise why not (ids only). A consent
   * that cannot be read fails the future, so the announcement is retried, never skipped.
   */
  private CompletableFuture<String> consentProblem(UploadState state) {
    if (state.consentId() == null || state.consentId().isBlank()) {
      return CompletableFuture.completedFuture("it has no consent");
    }
    return consents.find(state.practiceId(), state.consentId()).thenApply(found -> {
      if (found.isEmpty()) {
        return "its consent " + state.consentId() + " does not exist in practice " + state.practiceId();
      }
      Consent consent = found.get();
      if (consent.isRevoked()) {
        return "its consent " + consent.id() + " was revoked";
      }
      return consent.allows("record") ? null : "its consent " + consent.id() + " does not include 'record'";
    });
  }

  /** Not announced, ever: what was stored of it is removed (audio, state, keys, index entry). */
  private CompletableFuture<Void> refuse(UploadState state, String problem) {
    LOG.warn("recording {} is not announced: {}; removing what was stored of it", state.id(), problem);
    Function<UploadState, CompletableFuture<Void>> discard = discarder;
    if (discard == null) {
      // Not wired (a test): never announced all the same; the purger's sweep removes it.
      return CompletableFuture.completedFuture(null);
    }
    return discard.apply(state);
  }

  private CompletableFuture<Void> announce(UploadState state) {
    return index(state)
        .thenCompose(ok -> events.publish(eventFor(state, clock.instant())))
        .thenCompose(ok -> store.save(state.markPublished()))
        // Deleted while it was announced: the purge may have run before these writes landed.
        .thenCompose(ok -> tombstones.takeBackIfDeleted(state.id(), written(state)))
        .thenApply(ignored -> (Void) null);
  }

  /** Deleted on request before it was announced: it is not announced, and what was written goes. */
  private CompletableFuture<Void> deletedMeanwhile(UploadState state) {
    LOG.info("recording {} was deleted on request before it was announced; not announcing it", state.id());
    return tombstones.takeBack(written(state));
  }

  /** What announcing writes: the index entry and the upload state (again, marked published). */
  private static java.util.List<String> written(UploadState state) {
    java.util.List<String> keys = new java.util.ArrayList<>(java.util.List.of(UploadStore.stateKey(state.id())));
    keys.addAll(Uploads.indexEntry(state).keys());
    return keys;
  }

  /** Written at creation already; again here, as a recording must never be announced unindexed. */
  private CompletableFuture<Void> index(UploadState state) {
    return index.record(Uploads.indexEntry(state));
  }

  /** Hands a deletion request to the purger; done once Kafka has it. */
  public CompletableFuture<Void> requestDeletion(io.sessionflow.common.event.DeletionRequestedEvent request) {
    return events.publish(request);
  }

  public int awaitingRetry() {
    return retry.size();
  }

  /**
   * After a restart: every completed upload not marked published is either marked (if the view
   * already saw its event) or published again — which checks its consent, so one without a valid
   * consent is removed instead. An archive entry younger than {@link #PENDING_GRACE} still
   * waiting for its manifest is skipped (its import may be running on another replica).
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
          // A re-upload kept as a pointer to its original is never announced: its bytes are gone.
          if (found.isEmpty() || !found.get().isComplete() || found.get().published()
              || found.get().concat() != UploadState.Concat.NONE || found.get().isDuplicate()) {
            return CompletableFuture.completedFuture(n);
          }
          UploadState state = found.get();
          if (awaitingManifest(state)) {
            LOG.info("import entry {} stored {} still awaits its manifest; not announced", id, state.createdAt());
            return CompletableFuture.completedFuture(n);
          }
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

  private boolean awaitingManifest(UploadState state) {
    return IMPORT_SOURCE.equals(state.source()) && (state.consentId() == null || state.consentId().isBlank())
        && clock.instant().isBefore(state.createdAt().plus(PENDING_GRACE));
  }
}
