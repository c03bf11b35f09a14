package io.sessionflow.ingest.upload;

import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.crypto.PartLayout;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.crypto.RecordingKeys.Purpose;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.ingest.audit.AuditLog;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.common.consent.Consent;
import io.sessionflow.common.consent.ConsentStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads as a service, whatever the protocol: create, append a request body, complete,
 * terminate. Every step is a short chain on the request's context; storage calls come back onto
 * it; encryption and hashing run on the blocking pool. One body at a time per upload (in this
 * process; a second concurrent one is refused as LOCKED).
 */
public final class Uploads {
  private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);
  private final Vertx vertx;
  private final Executor blocking;
  private final UploadStore store;
  private final RecordingKeys keys;
  private final ConsentStore consents;
  private final MemoryBudget budget;
  /** Part buffers and ciphertext arrays, reused under the budget's leases. */
  private final PartBuffers partArrays;
  private final long trimTimer;
  private final UploadSettings settings;
  private final long partSize;
  private final Clock clock;
  private final CompletionPublisher publisher;
  private final AuditLog audit;
  private final UploadMetrics metrics;
  private final UploadClaims claims;
  private final UploadLock lock;
  private final RecordingIndex index;
  private final io.sessionflow.common.storage.Tombstones tombstones;
  private volatile java.util.function.Consumer<String> onFinished = id -> { };
  private volatile boolean closing;
  private volatile java.util.function.Function<String, java.util.Optional<UploadState>> recorded =
      id -> java.util.Optional.empty();
  private volatile java.util.function.Function<UploadState, java.util.Optional<String>> duplicates =
      done -> java.util.Optional.empty();

  public Uploads(Vertx vertx, Executor blocking, UploadStore store, RecordingKeys keys, ConsentStore consents,
      MemoryBudget budget, UploadSettings settings, long partSize, Clock clock, CompletionPublisher publisher,
      AuditLog audit, MeterRegistry registry) {
    this.vertx = vertx;
    this.blocking = blocking;
    this.store = store;
    this.keys = keys;
    this.consents = consents;
    this.budget = budget;
    this.settings = settings;
    this.partSize = partSize;
    this.clock = clock;
    this.publisher = publisher;
    this.audit = audit;
    this.claims = new UploadClaims(vertx, UploadClaims.TAKEOVER_WAIT);
    this.metrics = new UploadMetrics(registry, claims.ids());
    this.lock = new UploadLock(store.objectStore(), store.bucket(), clock, vertx);
    this.index = new RecordingIndex(store.objectStore(), store.bucket());
    this.tombstones = new io.sessionflow.common.storage.Tombstones(store.objectStore(), store.bucket());
    this.partArrays = new PartBuffers(PartLayout.ciphertextSize(partSize), budget);
    // Part arrays left unused after a burst go back to the garbage collector.
    this.trimTimer = vertx.setPeriodic(PartBuffers.IDLE_NANOS / 2_000_000, id -> partArrays.trim());
  }

  public UploadSettings settings() {
    return settings;
  }

  /** Told the id of every upload that completed or was deleted (terminated, expired, rolled back). */
  public void onFinished(java.util.function.Consumer<String> listener) {
    this.onFinished = listener;
  }

  /**
   * Where a completed upload is found once its upload objects are gone (the purge deletes them
   * with the raw audio, seconds after transcription): the recording as announced, as a completed
   * upload. Its URL keeps answering HEAD, and a PATCH at its end, for as long as the recording
   * exists, so a client that lost the last response (or resumes by fingerprint) never uploads it
   * again as a new recording.
   */
  public void recordedFrom(java.util.function.Function<String, java.util.Optional<UploadState>> lookup) {
    this.recorded = lookup;
  }

  /**
   * Which recording a completed upload's bytes already are, if any: the same uploader, the same
   * consent and the same SHA-256. Such an upload is kept only as a pointer to that recording.
   */
  public void duplicatesFrom(java.util.function.Function<UploadState, java.util.Optional<String>> lookup) {
    this.duplicates = lookup;
  }

  // ---- create ----------------------------------------------------------------------------------

  /**
   * Starts an upload: checks the consent, creates the recording's data key and its multipart
   * upload, and stores the state. {@code length} null defers it.
   */
  public Future<UploadState> create(Caller caller, String consentId, Long length, Map<String, String> metadata,
      UploadState.Concat concat, String source) {
    if (closing) {
      return Future.failedFuture(UploadException.shuttingDown(null));
    }
    if (length != null && length > settings.maxSize()) {
      return Future.failedFuture(new UploadException(UploadException.Kind.TOO_LARGE,
          "the upload of " + length + " bytes is larger than the maximum of " + settings.maxSize()));
    }
    Future<String> consent = concat == UploadState.Concat.PARTIAL && consentId == null
        ? Future.succeededFuture(null) : requireConsent(caller, consentId).map(Consent::id);
    String id = Ids.newId();
    // Both keys exist before anything else of the recording: the stages after ingest only ever
    // load them, so a deleted recording (keys destroyed) can never be given fresh ones.
    return consent.compose(checkedConsent -> on(keys.create(id, Purpose.AUDIO)).compose(key -> on(keys.create(id,
        Purpose.DATA)).compose(dataKey -> {
          Instant now = clock.instant();
          return on(store.objects().begin(key, UploadStore.rawKey(id), "raw", partSize)).compose(upload -> {
            UploadState state = UploadState.receiving(id, caller.practiceId(), caller.subject(), checkedConsent,
                length, partSize, upload.uploadId(), now, now.plus(settings.expiry()), concat, source);
            // Indexed before its state exists: a deletion request finds an upload in progress like any recording.
            return on(index.record(indexEntry(state)))
                .compose(ignored -> on(store.create(state)))
                .compose(ignored -> metadata.isEmpty() ? Future.succeededFuture()
                    : on(store.saveMetadata(dataKey, id, metadata)))
                .map(ignored -> state);
          });
        }))).onSuccess(state -> {
      metrics.created(source);
      audit.record(caller, "upload.create", "recording", state.id(), "ok");
    });
  }

  /**
   * The caller's own consent, valid for recording; otherwise a FORBIDDEN saying why. A consent is
   * used by whoever captured it: a colleague's consent answers exactly like one that does not exist.
   */
  public Future<Consent> requireConsent(Caller caller, String consentId) {
    return requireConsent(caller, consentId, false);
  }

  /** As {@link #requireConsent(Caller, String)}, for an import: a clinic admin may use any consent of the practice. */
  public Future<Consent> requireImportConsent(Caller caller, String consentId) {
    return requireConsent(caller, consentId, true);
  }

  private Future<Consent> requireConsent(Caller caller, String consentId, boolean forImport) {
    if (consentId == null || consentId.isBlank()) {
      return Future.failedFuture(new UploadException(UploadException.Kind.BAD_REQUEST,
          "a consentId is required: record the client's consent first (POST /v1/consents)"));
    }
    return on(consents.find(caller.practiceId(), consentId)).compose(found -> {
      boolean usable = found.isPresent() && (found.get().therapistId().equals(caller.subject())
          || (forImport && caller.role() == Role.CLINIC_ADMIN));
      if (!usable) {
        return Future.failedFuture(new UploadException(UploadException.Kind.FORBIDDEN, "consent " + safe(consentId)
            + (forImport ? " does not exist in your practice" : " does not exist in your practice or was captured "
                + "by another therapist; record your client's consent first (POST /v1/consents)")));
      }
      Consent consent = found.get();
      if (consent.isRevoked()) {
        return Future.failedFuture(new UploadException(UploadException.Kind.FORBIDDEN,
            "consent " + consent.id() + " was revoked; no recording can be stored under it"));
      }
      if (!consent.allows("record")) {
        return Future.failedFuture(new UploadException(UploadException.Kind.FORBIDDEN,
            "consent " + consent.id() + " does not include the 'record' scope"));
      }
      return Future.succeededFuture(consent);
    });
  }

  // ---- read ------------------------------------------------------------------------------------

  /** The upload if the caller may see it; NOT_FOUND otherwise, GONE once expired. */
  public Future<UploadState> find(Caller caller, String id) {
    return live(id).compose(found -> {
      if (found.isPresent() && !visibleTo(caller, found.get())) {
        // Answered like an unknown id, but an attempt on someone else's upload is on the audit trail.
        audit.denied(caller, "upload.access", "recording", id, "not-yours");
      }
      if (found.isEmpty() || !visibleTo(caller, found.get())) {
        return Future.failedFuture(new UploadException(UploadException.Kind.NOT_FOUND, "no such upload"));
      }
      UploadState state = found.get();
      if (isExpired(state)) {
        expire(state);
        return Future.failedFuture(new UploadException(UploadException.Kind.GONE,
            "the upload expired at " + state.expiresAt() + " and was deleted; start a new one"));
      }
      return Future.succeededFuture(state);
    });
  }

  /**
   * The upload's state, unless the recording was deleted on request: a state written back by a
   * request that was still open when the purge ran is not an upload any more (the sweep removes it).
   */
  private Future<java.util.Optional<UploadState>> live(String id) {
    return on(store.load(id)).map(found -> found.isPresent() ? found : recorded.apply(id))
        .compose(found -> found.isEmpty() ? Future.succeededFuture(found)
        : on(tombstones.isDeleted(id)).map(deleted -> deleted ? java.util.Optional.<UploadState>empty() : found));
  }

  /**
   * The upload as its offset retrieval answers it. When its uploader asks while a request of
   * theirs is still writing it here, that request is cut short first and what it received
   * stored (as tusd does): a client asks only when it gave that request up, and would otherwise
   * be told an offset its next PATCH no longer matches. Anyone else is told what is stored.
   */
  public Future<UploadState> current(Caller caller, String id) {
    UploadClaims.Claim free = claims.tryClaim(id);
    if (free != null) {
      free.release();
      return find(caller, id);
    }
    return findWritable(caller, id)
        .compose(writable -> claims.claim(id, locked(), metrics::tookOver).map(claim -> {
          claim.release();
          return writable;
        }))
        .transform(settled -> find(caller, id));
  }

  /**
   * The upload if the caller may write to it: only its uploader. A clinic admin sees a colleague's
   * upload in progress (and may terminate it) but never appends to it or joins it into another.
   */
  public Future<UploadState> findWritable(Caller caller, String id) {
    return find(caller, id).compose(state -> isUploader(caller, state) ? Future.succeededFuture(state)
        : Future.failedFuture(new UploadException(UploadException.Kind.FORBIDDEN,
            "only the therapist who created upload " + state.id() + " may write to it")));
  }

  public static boolean isUploader(Caller caller, UploadState state) {
    return state.therapistId().equals(caller.subject()) && state.practiceId().equals(caller.practiceId());
  }

  /**
   * What {@code HEAD} tells the caller: the upload and its metadata, the file name only to the
   * uploader (it is PHI-prone; a clinic admin sees progress, not names). Every HEAD is audited:
   * it decrypts what the client sent.
   */
  public Future<Map.Entry<UploadState, Map<String, String>>> describe(Caller caller, String id) {
    return current(caller, id).compose(state -> metadata(state).map(metadata -> {
      Map<String, String> shown = new java.util.LinkedHashMap<>(metadata);
      if (!isUploader(caller, state)) {
        shown.remove("filename");
      }
      audit.record(caller, "upload.head", "recording", state.id(), "ok");
      return Map.entry(state, shown);
    }));
  }

  /** The Upload-Metadata the client gave at creation (consentId included), decrypted for the caller. */
  private Future<Map<String, String>> metadata(UploadState state) {
    if (state.isDuplicate()) {
      // Its bytes and keys are gone; the recording it duplicates has the client's metadata.
      return Future.succeededFuture(state.consentId() == null ? Map.of() : Map.of("consentId", state.consentId()));
    }
    return on(keys.load(state.id(), Purpose.DATA).thenCompose(key -> store.loadMetadata(key, state.id()))
        .exceptionally(e -> {
          if (Failures.unwrap(e) instanceof io.sessionflow.common.storage.StorageException se && se.isNotFound()) {
            return Map.of();
          }
          throw new java.util.concurrent.CompletionException(Failures.unwrap(e));
        })).map(stored -> {
      Map<String, String> all = new java.util.LinkedHashMap<>();
      if (state.consentId() != null) {
        all.put("consentId", state.consentId());
      }
      all.putAll(stored);
      return all;
    });
  }

  static boolean visibleTo(Caller caller, UploadState state) {
    if (caller.role() == Role.THERAPIST) {
      return state.therapistId().equals(caller.subject()) && state.practiceId().equals(caller.practiceId());
    }
    return caller.role() == Role.CLINIC_ADMIN && state.practiceId().equals(caller.practiceId());
  }

  /** An unfinished upload, or a re-upload kept as a pointer, past its expiry. */
  boolean isExpired(UploadState state) {
    return (!state.isComplete() || state.isDuplicate()) && clock.instant().isAfter(state.expiresAt());
  }

  // ---- append ----------------------------------------------------------------------------------

  /**
   * Appends one request body at {@code offset}. The body must be paused by the caller; it is
   * resumed once memory and state are ready. Completes with the new state once every byte
   * received is durable (and, at the end of the upload, once the recording is complete).
   *
   * @param declaredLength  a length the client declares now (deferred length), or null
   * @param checksum        the checksum extension's algorithm and expected digest, or null
   * @param requestEnded    completes when the body ended; fails when the connection dropped
   */
  public Future<UploadState> append(Caller caller, String id, long offset, Long declaredLength,
      Checksum checksum, ReadStream<Buffer> body, Future<Void> requestEnded) {
    if (closing) {
      return Future.failedFuture(UploadException.shuttingDown(null));
    }
    return claim(caller, id, this::findWritable).compose(claim -> (closing
        ? Future.<UploadState>failedFuture(UploadException.shuttingDown(null)) : findWritable(caller, id))
        .compose(state -> checkAppend(state, offset, declaredLength))
        .compose(state -> state.isComplete() ? nothingMore(state, body, claim.ended(requestEnded))
            : withLock(id, () -> appendChecked(state, checksum, body, claim.ended(requestEnded))))
        .transform(result -> {
          claim.release();
          if (claim.interrupted()) {
            // What arrived before the newer request (or the shutdown) cut it short is kept; its client is told why.
            return Future.<UploadState>failedFuture(claim.interruption().kind() == UploadException.Kind.SHUTTING_DOWN
                ? UploadException.shuttingDown(result.succeeded() ? result.result().offset() : null)
                : claim.interruption());
          }
          return result.succeeded() ? Future.succeededFuture(result.result()) : Future.failedFuture(result.cause());
        }));
  }

  /**
   * Claims the upload for one request of this process. When another request holds it, the caller
   * must first be allowed to write it (only then may it interrupt the holder); the state is read
   * again after claiming in any case, since the holder may have moved it on.
   */
  private Future<UploadClaims.Claim> claim(Caller caller, String id,
      java.util.function.BiFunction<Caller, String, Future<UploadState>> mayWrite) {
    UploadClaims.Claim free = claims.tryClaim(id);
    if (free != null) {
      return Future.succeededFuture(free);
    }
    return mayWrite.apply(caller, id).compose(allowed -> claims.claim(id, locked(), () -> {
      metrics.tookOver();
      LOG.info("upload {}: a newer request took over from one that was still open", id);
    }));
  }

  /** Runs {@code work} holding the upload's cross-replica lock; LOCKED if another writer has it. */
  private <T> Future<T> withLock(String id, java.util.function.Supplier<Future<T>> work) {
    return on(lock.acquire(id)).compose(held -> {
      if (held == null) {
        return Future.failedFuture(locked());
      }
      return work.get().transform(result -> on(held.release()).transform(released -> result.succeeded()
          ? Future.succeededFuture(result.result()) : Future.failedFuture(result.cause())));
    });
  }

  private static UploadException locked() {
    return new UploadException(UploadException.Kind.LOCKED,
        "another request is writing this upload; retry when it has finished");
  }

  private Future<UploadState> checkAppend(UploadState state, long offset, Long declaredLength) {
    if (state.concat() == UploadState.Concat.FINAL) {
      return Future.failedFuture(new UploadException(UploadException.Kind.FORBIDDEN,
          "a final concatenated upload takes no bytes of its own"));
    }
    if (offset != state.offset()) {
      return Future.failedFuture(new UploadException(UploadException.Kind.OFFSET_MISMATCH,
          "Upload-Offset " + offset + " does not match the stored offset " + state.offset()));
    }
    UploadState next = state;
    if (declaredLength != null) {
      if (state.lengthKnown() && state.length().longValue() != declaredLength) {
        return Future.failedFuture(new UploadException(UploadException.Kind.BAD_REQUEST,
            "Upload-Length cannot change once set (" + state.length() + ")"));
      }
      if (declaredLength < state.offset() || declaredLength > settings.maxSize()) {
        return Future.failedFuture(new UploadException(declaredLength > settings.maxSize()
            ? UploadException.Kind.TOO_LARGE : UploadException.Kind.BAD_REQUEST,
            "Upload-Length " + declaredLength + " is out of range"));
      }
      next = state.withLength(declaredLength);
    }
    return Future.succeededFuture(next);
  }

  /**
   * A request at the end of a completed upload (tusd answers it 204 with the offset): a client
   * that lost the last response, or whose file is a multiple of its chunk size, asks once more
   * with nothing to send. A body with bytes in it is refused without being read.
   */
  private Future<UploadState> nothingMore(UploadState state, ReadStream<Buffer> body, Future<Void> ended) {
    UploadException full = new UploadException(UploadException.Kind.TOO_LARGE,
        "the upload is complete (" + state.length() + " bytes): it takes no more bytes");
    if (body instanceof io.vertx.core.http.HttpServerRequest request && declaresBody(request)) {
      return Future.failedFuture(full);
    }
    Promise<UploadState> answered = Promise.promise();
    body.handler(chunk -> {
      if (chunk.length() > 0) {
        answered.tryFail(full);
      }
    });
    ended.onComplete(end -> {
      if (end.succeeded()) {
        answered.tryComplete(state);
      } else {
        answered.tryFail(end.cause());
      }
    });
    resume(body);
    return answered.future();
  }

  private static boolean declaresBody(io.vertx.core.http.HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    return length != null && !length.trim().equals("0");
  }

  /** Starts reading a body: a client waiting for {@code 100 Continue} is told to send it now. */
  private static void resume(ReadStream<Buffer> body) {
    if (body instanceof io.vertx.core.http.HttpServerRequest request) {
      io.sessionflow.common.ops.ExpectContinue.accept(request);
    }
    body.resume();
  }

  private Future<UploadState> appendChecked(UploadState state, Checksum checksum, ReadStream<Buffer> body,
      Future<Void> requestEnded) {
    long limit = state.lengthKnown() ? state.length() - state.offset() : settings.maxSize() - state.offset();
    return withWriter(state, limit, checksum, (key, upload, appender) -> stream(body, appender, requestEnded)
        .transform(streamed -> settle(state, key, upload, appender, checksum, streamed.failed())));
  }

  /** What runs while an upload's buffer is leased and its writer is open. */
  @FunctionalInterface
  private interface WriterWork {
    Future<UploadState> apply(DataKey key, EncryptedObjects.EncryptedUpload upload, UploadAppender appender);
  }

  /**
   * How long a body waits for buffer memory before it is answered 503: half the idle timeout, as
   * a paused body moves no byte and would otherwise be cut off without an answer.
   */
  private Duration memoryPatience() {
    return settings.idleTimeout().dividedBy(2);
  }

  /**
   * Leases the upload's buffer memory (waiting for it if the budget is spent), opens its writer
   * where the stored state left off, runs {@code work}, and gives the memory back. A writer that
   * starts at offset 0 sees the whole recording, so it hashes it on the way.
   */
  private Future<UploadState> withWriter(UploadState state, long limit, Checksum checksum, WriterWork work) {
    Context context = vertx.getOrCreateContext();
    long bufferBytes = state.partSize() + PartLayout.ciphertextSize(state.partSize());
    return budget.acquire(state.practiceId(), state.therapistId(), bufferBytes, memoryPatience(), vertx)
        .recover(error -> Future.failedFuture(error instanceof MemoryBudget.Busy ? new UploadException(
            UploadException.Kind.BUSY, "the server's upload memory is taken by other uploads; nothing of this "
            + "request was stored. Retry after the Retry-After seconds (resume from the last offset)") : error))
        .compose(lease -> {
          // The lease, the part buffer and the upload's lock go only once no encryption or part in
          // flight still reads the buffer or may still land in the store.
          java.util.concurrent.atomic.AtomicReference<UploadAppender> opened =
              new java.util.concurrent.atomic.AtomicReference<>();
          return on(keys.load(state.id(), Purpose.AUDIO))
              .compose(key -> on(store.loadTail(key, state)).compose(tail -> {
                EncryptedObjects.EncryptedUpload upload = store.objects().resume(key, UploadStore.rawKey(state.id()),
                    "raw", state.partSize(), state.multipartUploadId(), state.parts());
                long spareBytes = PartLayout.ciphertextSize(state.partSize());
                UploadAppender appender = new UploadAppender(context, blocking, upload, (int) state.partSize(),
                    partArrays, tail, limit, checksum == null ? null : checksum.newDigest(),
                    () -> budget.tryAcquire(state.practiceId(), state.therapistId(), spareBytes));
                opened.set(appender);
                if (state.offset() == 0) {
                  appender.hashWhole(sha256());
                }
                return work.apply(key, upload, appender);
              }))
              .transform(done -> {
                UploadAppender appender = opened.get();
                return (appender == null ? Future.<Void>succeededFuture() : appender.finish()).transform(quiet -> {
                  lease.close();
                  return done.succeeded() ? Future.succeededFuture(done.result())
                      : Future.<UploadState>failedFuture(done.cause());
                });
              });
        });
  }

  /** Pipes the body into the appender with backpressure; completes when it ended or failed. */
  static Future<Void> stream(ReadStream<Buffer> body, UploadAppender appender, Future<Void> requestEnded) {
    Promise<Void> streamed = Promise.promise();
    body.handler(chunk -> {
      if (!appender.accept(chunk)) {
        // Paused until the bytes are in the buffer or on their way: parts may still be in flight.
        body.pause();
        appender.writable().onComplete(writable -> {
          if (writable.succeeded()) {
            body.resume();
          } else {
            streamed.tryFail(writable.cause());
          }
        });
      }
    });
    requestEnded.onComplete(ended -> {
      if (ended.failed()) {
        appender.seal();
      }
    });
    requestEnded.onComplete(ended -> appender.drained().onComplete(drained -> {
      if (ended.failed()) {
        streamed.tryFail(ended.cause());
      } else if (drained.failed()) {
        streamed.tryFail(drained.cause());
      } else {
        streamed.tryComplete();
      }
    }));
    resume(body);
    return streamed.future();
  }

  /** After the body: keep what arrived, or complete the recording, or roll back this body. */
  private Future<UploadState> settle(UploadState state, DataKey key, EncryptedObjects.EncryptedUpload upload,
      UploadAppender appender, Checksum checksum, boolean bodyFailed) {
    return appender.drained().transform(drained -> {
      Throwable failure = appender.failure();
      if (failure instanceof UploadException) {
        return Future.failedFuture(failure);
      }
      if (drained.failed()) {
        // Storage failed mid-body: nothing past the last saved state counts.
        return Future.failedFuture(new UploadException(UploadException.Kind.UNAVAILABLE,
            "storage is unavailable: " + Failures.reason(drained.cause()) + "; resume from the last offset"));
      }
      if (checksum != null) {
        if (bodyFailed) {
          return Future.failedFuture(new UploadException(UploadException.Kind.BAD_REQUEST,
              "the request ended early, so its checksum cannot be verified; its bytes were discarded"));
        }
        if (!checksum.matches(appender.checksumValue())) {
          return Future.failedFuture(new UploadException(UploadException.Kind.CHECKSUM_MISMATCH,
              "the body does not match Upload-Checksum; its bytes were discarded"));
        }
      }
      metrics.received(appender.received());
      // One snapshot of parts and tail: the state and the tail object written for it must agree.
      int filled = appender.filled();
      UploadState progressed = state.withProgress(appender.parts(), filled,
          clock.instant().plus(settings.expiry()));
      if (!bodyFailed && progressed.lengthKnown() && progressed.offset() == progressed.length()
          && progressed.concat() != UploadState.Concat.FINAL) {
        return complete(progressed, key, upload, appender);
      }
      byte[] tail = java.util.Arrays.copyOf(appender.buffer(), filled);
      return on(CompletableFuture.supplyAsync(() -> store.saveTail(key, progressed, tail, filled),
          blocking).thenCompose(f -> f))
          .compose(ignored -> on(store.save(progressed)))
          .onSuccess(ignored -> dropStaleTails(progressed))
          .map(ignored -> progressed);
    });
  }

  // ---- complete --------------------------------------------------------------------------------

  private Future<UploadState> complete(UploadState state, DataKey key, EncryptedObjects.EncryptedUpload upload,
      UploadAppender appender) {
    return appender.writeLastPart()
        .compose(ignored -> on(upload.complete()))
        .compose(ignored -> appender.wholeHash() != null
            ? Future.succeededFuture(new Verified(HexFormat.of().formatHex(appender.wholeHash().digest()),
                AudioSniffer.sniff(appender.head() == null ? new byte[0] : appender.head())))
            : on(verify(key, state)))
        .compose(verified -> {
          UploadState done = state.completed(upload.parts(), verified.sha256(), verified.mediaType());
          java.util.Optional<String> original = done.concat() == UploadState.Concat.PARTIAL
              ? java.util.Optional.empty() : duplicates.apply(done);
          Future<Boolean> originalKept = original.isEmpty() ? Future.succeededFuture(false)
              : on(tombstones.isDeleted(original.get())).map(deleted -> !deleted);
          return originalKept.compose(kept -> kept ? keepAsDuplicate(done, original.get())
              : on(store.save(done)).onSuccess(saved -> dropStaleTails(done)).map(done));
        })
        .onSuccess(done -> {
          onFinished.accept(done.id());
          if (done.isDuplicate()) {
            return;
          }
          metrics.completed(done);
          LOG.info("upload {} complete: {} bytes, {} parts, {}", done.id(), done.length(), done.parts().size(),
              done.mediaType());
          if (done.concat() != UploadState.Concat.PARTIAL) {
            publisher.publish(done);
          }
        });
  }

  /**
   * A completed upload whose bytes are a recording the uploader already stored under the same
   * consent: the state says so and is answered until the upload's expiry (HEAD at its end, GET
   * of the recording points at the original), while its bytes and keys go at once. Nothing is
   * announced: no second transcript, no second analysis. The index entry stays, so a deletion
   * of the consent or the therapist finds this upload's state too.
   */
  private Future<UploadState> keepAsDuplicate(UploadState done, String original) {
    // Marked published too, so nothing (an older replica's recovery included) ever announces it.
    UploadState duplicate = done.duplicateOf(original, clock.instant().plus(settings.expiry())).markPublished();
    return on(store.save(duplicate))
        .compose(ignored -> on(store.objectStore().delete(store.bucket(), UploadStore.rawKey(done.id()))))
        .compose(ignored -> on(store.deleteMetadata(done.id())))
        .compose(ignored -> on(keys.destroy(done.id(), Purpose.AUDIO)))
        .compose(ignored -> on(keys.destroy(done.id(), Purpose.DATA)))
        .onSuccess(ignored -> {
          dropStaleTails(duplicate);
          metrics.duplicate(duplicate.source());
          audit.record(duplicate.therapistId(), "therapist", "upload.duplicate", "recording", done.id(),
              "duplicate-of:" + original);
          LOG.info("upload {} complete as a re-upload of recording {}: its bytes were not kept", done.id(), original);
        })
        .map(duplicate);
  }

  /**
   * Reads the stored recording back, streaming part by part on the blocking pool: it must
   * decrypt, have the declared length, and hash (a tus upload spans requests and restarts, so
   * its hash is taken from what was stored, not from what passed through one process).
   */
  private CompletableFuture<Verified> verify(DataKey key, UploadState state) {
    return store.objects().open(key, UploadStore.rawKey(state.id()), "raw").thenApplyAsync(reader -> {
      if (reader.plaintextSize() != state.length()) {
        throw new UploadException(UploadException.Kind.CONFLICT,
            "stored " + reader.plaintextSize() + " bytes, expected " + state.length());
      }
      MessageDigest sha256 = sha256();
      byte[] head = null;
      byte[] chunk = new byte[64 * 1024];
      for (long i = 0; i < reader.partCount(); i++) {
        try (java.io.InputStream part = reader.openPart(i)) {
          int n;
          while ((n = part.read(chunk)) > 0) {
            if (head == null) {
              head = java.util.Arrays.copyOf(chunk, Math.min(n, AudioSniffer.HEAD_BYTES));
            }
            sha256.update(chunk, 0, n);
          }
        } catch (java.io.IOException e) {
          if (e.getCause() instanceof RuntimeException fetch) {
            throw fetch;
          }
          throw new io.sessionflow.common.crypto.CryptoException("stored recording " + state.id()
              + " does not authenticate", false, e);
        }
      }
      return new Verified(HexFormat.of().formatHex(sha256.digest()), AudioSniffer.sniff(head == null
          ? new byte[0] : head));
    }, blocking);
  }

  private record Verified(String sha256, String mediaType) {
  }

  // ---- whole bodies (streaming PUT, imports) ---------------------------------------------------

  /**
   * Stores one whole stream as a recording: create with deferred length, append everything, and
   * complete at the end of the stream. A stream that fails part-way leaves nothing behind.
   */
  public Future<UploadState> receiveWhole(Caller caller, String consentId, Map<String, String> metadata,
      String source, ReadStream<Buffer> body, Future<Void> ended) {
    body.pause();
    return create(caller, consentId, null, metadata, UploadState.Concat.NONE, source).compose(state -> {
      UploadClaims.Claim claim = claims.tryClaim(state.id()); // a new id: always free
      return appendWhole(state, body, ended)
          .onComplete(done -> claim.release())
          .recover(error -> terminateQuietly(state).transform(ignored -> Future.failedFuture(error)));
    });
  }

  private Future<UploadState> appendWhole(UploadState state, ReadStream<Buffer> body, Future<Void> ended) {
    // The length becomes known at the end of the stream: settle then as an upload of that length.
    return withWriter(state, settings.maxSize(), null, (key, upload, appender) -> stream(body, appender, ended)
        .compose(ignored -> {
          if (appender.received() == 0) {
            return Future.failedFuture(new UploadException(UploadException.Kind.BAD_REQUEST,
                "the request body is empty: send the recording's bytes"));
          }
          metrics.received(appender.received());
          UploadState sized = state.withLength(appender.received())
              .withProgress(appender.parts(), appender.filled(), state.expiresAt());
          return complete(sized, key, upload, appender);
        }));
  }

  // ---- blocking writes (archive imports) ------------------------------------------------------

  /**
   * Stores a stream as a completed recording from a worker thread (never an event loop): parts
   * are encrypted and uploaded as they fill, the SHA-256 and media type computed on the way. The
   * consent is not checked and nothing is announced: the caller validates the consent and then
   * calls {@link #announce}, or {@link #discard}.
   *
   * @throws UploadException TOO_LARGE past {@code maxBytes} (nothing is kept)
   */
  public UploadState storeBlocking(Caller caller, java.io.InputStream in, long maxBytes, String source)
      throws java.io.IOException {
    String id = Ids.newId();
    Instant now = clock.instant();
    DataKey key = keys.create(id, Purpose.AUDIO).join();
    keys.create(id, Purpose.DATA).join();
    EncryptedObjects.EncryptedUpload upload = store.objects().begin(key, UploadStore.rawKey(id), "raw", partSize)
        .join();
    UploadState state = UploadState.receiving(id, caller.practiceId(), caller.subject(), null, null, partSize,
        upload.uploadId(), now, now.plus(settings.expiry()), UploadState.Concat.NONE, source);
    // Not indexed yet: an archive entry has no consent until the manifest is read, and no deletion
    // scope but the recording's own could find it before then; it is indexed when it is announced.
    store.create(state).join();
    try (MemoryBudget.Lease lease = budget.acquire(caller.practiceId(), caller.subject(), partSize)
        .toCompletionStage().toCompletableFuture().join()) {
      byte[] buffer = new byte[(int) partSize];
      MessageDigest sha256 = sha256();
      byte[] head = null;
      long total = 0;
      int carried = -1;
      boolean last = false;
      while (!last) {
        int filled = 0;
        if (carried >= 0) {
          buffer[filled++] = (byte) carried;
          carried = -1;
        }
        filled += in.readNBytes(buffer, filled, buffer.length - filled);
        total += filled;
        if (total > maxBytes) {
          throw new UploadException(UploadException.Kind.TOO_LARGE, "larger than the limit of " + maxBytes
              + " bytes");
        }
        if (head == null) {
          head = java.util.Arrays.copyOf(buffer, Math.min(filled, AudioSniffer.HEAD_BYTES));
        }
        sha256.update(buffer, 0, filled);
        // One byte of lookahead tells whether this part is the last one.
        carried = filled < buffer.length ? -1 : in.read();
        last = carried < 0;
        upload.writePart(buffer, filled, last).join();
      }
      upload.complete().join();
      UploadState done = state.withLength(total).completed(upload.parts(), HexFormat.of().formatHex(sha256.digest()),
          AudioSniffer.sniff(head));
      store.save(done).join();
      metrics.received(total);
      metrics.completed(done);
      return done;
    } catch (java.io.IOException | RuntimeException e) {
      terminateQuietly(state).toCompletionStage().toCompletableFuture().exceptionally(ignored -> null).join();
      throw e;
    }
  }

  /** Announces a recording stored by {@link #storeBlocking} once its consent is known to be valid. */
  public CompletableFuture<Void> announce(UploadState state, String consentId, Caller caller) {
    UploadState withConsent = state.withConsent(consentId);
    return store.save(withConsent).thenCompose(ignored -> publisher.publish(withConsent))
        .thenRun(() -> audit.record(caller, "upload.create", "recording", state.id(), "ok"));
  }

  /** Deletes a recording stored by {@link #storeBlocking} that will not be kept. */
  public CompletableFuture<Void> discard(UploadState state) {
    return terminateQuietly(state).toCompletionStage().toCompletableFuture();
  }

  // ---- concatenation ---------------------------------------------------------------------------

  /**
   * Joins completed partial uploads (tus concatenation) into one new recording. Each partial is
   * decrypted part by part and re-encrypted under the new recording's key, so the result is bound
   * to its own id like any other recording; the partials are then deleted.
   */
  public Future<UploadState> concatenate(Caller caller, String consentId, List<String> partialIds,
      Map<String, String> metadata) {
    if (partialIds.isEmpty()) {
      return Future.failedFuture(new UploadException(UploadException.Kind.BAD_REQUEST,
          "Upload-Concat: final needs at least one partial upload URL"));
    }
    Future<List<UploadState>> partials = Future.succeededFuture(List.of());
    for (String partialId : partialIds) {
      partials = partials.compose(found -> findWritable(caller, partialId).compose(partial -> {
        if (partial.concat() != UploadState.Concat.PARTIAL || !partial.isComplete()) {
          return Future.failedFuture(new UploadException(UploadException.Kind.BAD_REQUEST,
              "upload " + partialId + " is not a completed partial upload"));
        }
        List<UploadState> next = new java.util.ArrayList<>(found);
        next.add(partial);
        return Future.succeededFuture(next);
      }));
    }
    return partials.compose(list -> {
      long total = list.stream().mapToLong(UploadState::length).sum();
      return create(caller, consentId, total, metadata, UploadState.Concat.FINAL, "tus")
          .map(state -> state.withPartials(partialIds))
          .compose(state -> on(store.save(state)).map(state))
          .compose(state -> {
            UploadClaims.Claim claim = claims.tryClaim(state.id()); // a new id: always free
            return joinInto(state, list)
                .onComplete(done -> claim.release())
                .recover(error -> terminateQuietly(state).transform(ignored -> Future.failedFuture(error)));
          })
          .compose(done -> {
            Future<Void> cleanup = Future.succeededFuture();
            for (UploadState partial : list) {
              cleanup = cleanup.compose(ignored -> terminateQuietly(partial));
            }
            return cleanup.map(done);
          });
    });
  }

  private Future<UploadState> joinInto(UploadState state, List<UploadState> partials) {
    return withWriter(state, state.length(), null, (key, upload, appender) -> {
      Future<Void> copied = Future.succeededFuture();
      for (UploadState partial : partials) {
        copied = copied.compose(ignored -> copy(partial, appender));
      }
      return copied.compose(ignored -> appender.drained()).compose(ignored -> complete(
          state.withProgress(appender.parts(), appender.filled(), state.expiresAt()), key, upload, appender));
    });
  }

  private Future<Void> copy(UploadState partial, UploadAppender appender) {
    return on(keys.load(partial.id(), Purpose.AUDIO).thenCompose(key -> store.objects().open(key,
        UploadStore.rawKey(partial.id()), "raw"))).compose(reader -> {
          Future<Void> chain = Future.succeededFuture();
          for (long i = 0; i < reader.partCount(); i++) {
            long index = i;
            chain = chain.compose(ignored -> on(reader.readPart(index))).compose(bytes -> feed(appender, bytes));
          }
          return chain;
        });
  }

  private static Future<Void> feed(UploadAppender appender, byte[] bytes) {
    appender.accept(Buffer.buffer(bytes));
    return appender.drained();
  }

  // ---- terminate and expire --------------------------------------------------------------------

  /**
   * tus termination. An upload still in progress (or a completed partial of a concatenation) is
   * deleted at once with everything it stored, its keys crypto-shredded: empty result. A completed
   * recording has been handed to the pipeline, so deleting only the upload would leave it to be
   * transcribed and analysed: it becomes a deletion request for the recording instead (the
   * purger deletes everything of it, with a receipt), and the request is the result.
   */
  public Future<java.util.Optional<DeletionRequestedEvent>> terminate(Caller caller, String id) {
    return claim(caller, id, this::find).compose(claim -> find(caller, id)
        .compose(state -> state.isComplete() && state.concat() != UploadState.Concat.PARTIAL
            ? requestDeletion(caller, state).map(java.util.Optional::of)
            : withLock(id, () -> terminateQuietly(state)).map(ignored -> {
              audit.record(caller, "upload.terminate", "recording", id, "ok");
              return java.util.Optional.<DeletionRequestedEvent>empty();
            }))
        .onComplete(done -> claim.release()));
  }

  private Future<DeletionRequestedEvent> requestDeletion(Caller caller, UploadState state) {
    DeletionRequestedEvent request = DeletionRequestedEvent.ofRecording(clock.instant(), state.id(),
        state.practiceId(), caller.subject());
    return on(publisher.requestDeletion(request)).map(request)
        .onSuccess(ignored -> audit.record(caller, "recording.delete", "recording", state.id(), "requested"));
  }

  private Future<Void> terminateQuietly(UploadState state) {
    return on(store.objectStore().abortMultipartUpload(store.bucket(), UploadStore.rawKey(state.id()),
        state.multipartUploadId()).exceptionally(e -> null))
        .compose(ignored -> on(store.objectStore().delete(store.bucket(), UploadStore.rawKey(state.id()))))
        .compose(ignored -> on(keys.destroy(state.id(), Purpose.AUDIO)))
        .compose(ignored -> on(keys.destroy(state.id(), Purpose.DATA)))
        .compose(ignored -> on(store.deleteUploadObjects(state.id())))
        .compose(ignored -> on(index.delete(indexEntry(state))))
        .andThen(done -> onFinished.accept(state.id()));
  }

  /** The upload's index entry: under its consent, or pending while it has none. */
  static RecordingIndex.Entry indexEntry(UploadState state) {
    return RecordingIndex.Entry.of(state.practiceId(), state.therapistId(), state.consentId(), state.id());
  }

  /**
   * Housekeeping once a state is saved: its old tails go. Best effort: a tail left behind is
   * never read (tails are named by their state's offset) and goes with the upload's other
   * objects, so a failure here must not fail the request or hold up the announcement.
   */
  private void dropStaleTails(UploadState saved) {
    store.dropStaleTails(saved).whenComplete((ok, error) -> {
      if (error != null) {
        LOG.warn("old tails of upload {} not deleted yet ({}); they go with the upload", saved.id(),
            Failures.reason(error));
      }
    });
  }

  /** Cleans up an expired upload in the background. */
  void expire(UploadState state) {
    UploadClaims.Claim claim = claims.tryClaim(state.id());
    if (claim != null) {
      terminateQuietly(state)
          .onSuccess(ignored -> {
            metrics.expired();
            audit.record("ingest", "system", "upload.expire", "recording", state.id(), "ok");
          })
          .onFailure(e -> LOG.warn("cleanup of expired upload {} failed: {}", state.id(), Failures.reason(e)))
          .onComplete(done -> claim.release());
    }
  }

  /** Looks through every unfinished upload and expires those past their time. */
  public Future<Integer> sweepExpired() {
    return on(store.objectStore().listKeys(store.bucket(), UploadStore.UPLOADS_PREFIX)).compose(keys -> {
      List<String> ids = keys.stream().filter(k -> k.endsWith("/state.json"))
          .map(k -> k.substring(UploadStore.UPLOADS_PREFIX.length(), k.length() - "/state.json".length())).toList();
      Future<Integer> count = Future.succeededFuture(0);
      for (String id : ids) {
        count = count.compose(n -> on(store.load(id)).map(found -> {
          if (found.isPresent() && isExpired(found.get())) {
            expire(found.get());
            return n + 1;
          }
          return n;
        }));
      }
      return count;
    });
  }

  /**
   * The first step of a shutdown: new bodies are refused, and every body being received is cut
   * short where it is; what arrived is stored and its client answered 503 with the offset it can
   * resume from (elsewhere). Completes once every such request has its answer, or after {@code wait}.
   */
  public Future<Void> shutDown(Duration wait) {
    closing = true;
    return claims.interruptAll(UploadException.shuttingDown(null), wait);
  }

  /** Releases the upload locks this process holds, so a restarted or other replica can continue. */
  public void close() {
    vertx.cancelTimer(trimTimer);
    lock.releaseAll();
  }

  private <T> Future<T> on(CompletionStage<T> stage) {
    return Future.fromCompletionStage(stage, vertx.getOrCreateContext());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String safe(String id) {
    return Ids.isValid(id) ? id : "(invalid id)";
  }

  /** The checksum extension: an algorithm and the digest the client computed. */
  public record Checksum(String algorithm, byte[] expected) {
    public static final List<String> ALGORITHMS = List.of("sha1", "sha256");

    MessageDigest newDigest() {
      try {
        return MessageDigest.getInstance(algorithm.equals("sha1") ? "SHA-1" : "SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    boolean matches(byte[] actual) {
      return MessageDigest.isEqual(expected, actual);
    }
  }
}
