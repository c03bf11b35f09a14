package io.sessionflow.transcriber;

import io.sessionflow.common.consent.ConsentGate;
import io.sessionflow.common.consent.ConsentStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.language.pseudonym.Pseudonymizer;
import io.sessionflow.common.crypto.RecordingKeys.Purpose;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.failure.SessionflowException;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.Subscription;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.common.storage.Tombstones;
import io.sessionflow.transcriber.decode.AudioDecoder;
import io.sessionflow.transcriber.vad.SileroVad;
import io.sessionflow.transcriber.vad.SpeechSummary;
import io.sessionflow.transcriber.vad.SpeechWindower;
import io.sessionflow.transcriber.vad.VadSettings;
import io.sessionflow.transcriber.whisper.WhisperEngine;
import io.sessionflow.transcriber.whisper.WindowedTranscriber;
import io.sessionflow.transcriber.whisper.Windower;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code recording.stored} → claim → stream-decrypt → decode → voice activity → Whisper → encrypt and store the
 * transcript → {@code transcript.ready} → commit. A bounded pool of slots, each with its own
 * whisper state; a record's offset is committed only once its transcript is stored and announced.
 * Idempotent: a recording transcribed before is only announced (once), never transcribed twice.
 */
public final class TranscriberStage implements AutoCloseable {
  public static final String STAGE = "transcriber";
  public static final String GROUP = "sessionflow-transcriber";
  private static final Logger LOG = LoggerFactory.getLogger(TranscriberStage.class);
  /** Tries of one delivery in this process before the record is dead-lettered. */
  private static final int DELIVERY_ATTEMPTS = 3;

  private final StageRuntime runtime;
  private final TranscriberConfig config;
  private final WhisperEngine engine;
  private final JobLedger ledger;
  private final Tombstones tombstones;
  private final ConsentGate consent;
  private final ExecutorService workers;
  private final BlockingQueue<WhisperEngine.Slot> slots;
  private volatile boolean stopping;
  private final SileroVad vad;
  private final WindowedTranscriber transcriber;
  private final Metrics metrics;
  private final Pseudonymizer pseudonymizer = new Pseudonymizer();
  private EventStream.Consumer consumer;

  private TranscriberStage(StageRuntime runtime, TranscriberConfig config, WhisperEngine engine) {
    this.runtime = runtime;
    this.config = config;
    this.engine = engine;
    this.ledger = new JobLedger(runtime.store(), config.process().pipeline().storage().bucket());
    String bucket = config.process().pipeline().storage().bucket();
    this.tombstones = new Tombstones(runtime.store(), bucket);
    this.consent = new ConsentGate(new ConsentStore(runtime.store(), bucket), new RecordingIndex(runtime.store(),
        bucket), runtime.events().publisher(), runtime.clock(), runtime.registry(), STAGE, Topic.RECORDING_STORED);
    // One thread more than slots: the job waiting for a slot starts decoding meanwhile.
    this.workers = Executors.newFixedThreadPool(config.slots() + 1, runnable -> {
      Thread thread = new Thread(runnable, "sessionflow-transcribe");
      thread.setDaemon(true);
      return thread;
    });
    this.slots = new ArrayBlockingQueue<>(config.slots());
    for (int i = 0; i < config.slots(); i++) {
      slots.add(engine.newSlot());
    }
    this.metrics = new Metrics(runtime.registry(), slots, config.slots());
    VadSettings speech = config.vad();
    this.vad = speech.enabled() ? SileroVad.load(speech.model()) : null;
    this.transcriber = new WindowedTranscriber(new AudioDecoder(), vad == null
        ? WindowedTranscriber.Segmentation.fixed(Windower.WINDOW_FRAMES)
        : onWindow -> new SpeechWindower(vad.stream(), speech, onWindow), () -> stopping);
  }

  /** Starts consuming; the stage owns {@code engine} from here on and closes it on shutdown. */
  public static TranscriberStage start(StageRuntime runtime, TranscriberConfig config, WhisperEngine engine) {
    TranscriberStage stage = new TranscriberStage(runtime, config, engine);
    // No more jobs at once than slots, plus one decoding while it waits for the next free slot.
    stage.consumer = runtime.events().subscribe(Subscription.of(GROUP, STAGE, Topic.RECORDING_STORED)
        .withRetries(DELIVERY_ATTEMPTS, Duration.ofSeconds(1), Duration.ofSeconds(30))
        .withMaxInFlight(config.slots() + 1),
        stage::handle);
    runtime.onClose(stage);
    runtime.health().register("transcriber-consumer",
        () -> CompletableFuture.completedFuture(stage.consumer.isRunning()));
    long timer = runtime.vertx().setPeriodic(5_000, id -> stage.measureLag());
    runtime.onClose(() -> runtime.vertx().cancelTimer(timer));
    LOG.info("transcriber running: {} slot(s), model {}, {}; windows {}", config.slots(), engine.modelName(),
        engine.engine(), stage.vad == null ? "every 30 s (VAD off)" : "from speech, " + stage.vad.describe());
    return stage;
  }

  /**
   * receive → deleted? → consent covers transcription? → claim → transcribe → store → deleted
   * meanwhile? → publish; the offset commits after. A recording whose consent is missing, revoked
   * or without the {@code transcribe} scope ends FAILED saying so, with nothing written. A
   * recording deleted on request at any point ends with nothing of this stage's left (its
   * transcript and ledger are taken back) and is skipped, not dead-lettered; a record given up on
   * takes back what it wrote too.
   */
  CompletionStage<Void> handle(ConsumedEvent consumed) {
    if (!(consumed.event() instanceof RecordingStoredEvent stored)) {
      return CompletableFuture.completedFuture(null);
    }
    String id = stored.recordingId();
    JobLedger.Job[] before = {new JobLedger.Job(0, false)};
    return tombstones.isDeleted(id).thenCompose(deleted -> deleted ? skipDeleted(id, "before transcription")
        : consent.admit(id, stored.practiceId(), stored.consentId(), "transcribe").thenCompose(admitted ->
            !admitted ? CompletableFuture.<Void>completedFuture(null) : ledger.load(id).thenCompose(job -> {
              before[0] = job;
              return process(stored, job);
            })))
        .exceptionallyCompose(error -> failed(consumed, id, before[0], Failures.unwrap(error)));
  }

  private CompletableFuture<Void> process(RecordingStoredEvent stored, JobLedger.Job job) {
    String id = stored.recordingId();
    if (job.published()) {
      LOG.info("recording {} was transcribed and announced before; skipping the duplicate", id);
      return CompletableFuture.completedFuture(null);
    }
    return transcriptExists(id).thenCompose(exists -> exists ? announce(stored, job)
        : claim(stored, job).thenCompose(claimed -> transcribe(stored))
            .thenCompose(ignored -> {
              metrics.attempts.record(job.attempts() + 1);
              return announce(stored, new JobLedger.Job(job.attempts() + 1, false));
            }));
  }

  /**
   * Whatever went wrong, a recording deleted meanwhile is skipped with what this stage wrote taken
   * back. A shutdown gives its attempt back. A record that will not be tried again (not retryable,
   * or its last attempt) takes back its transcript and ledger before it is dead-lettered.
   */
  private CompletableFuture<Void> failed(ConsumedEvent consumed, String id, JobLedger.Job before, Throwable cause) {
    // Anything that fails while the stage stops (a pool that no longer takes work) is the stop.
    Throwable error = stopping && !(cause instanceof Stopped) ? new Stopped() : cause;
    return tombstones.isDeleted(id).exceptionally(checkFailed -> false).thenCompose(deleted -> {
      if (deleted) {
        return skipDeleted(id, "while it was being transcribed");
      }
      CompletableFuture<Void> cleanup;
      if (error instanceof Stopped) {
        cleanup = before.attempts() == 0 ? tombstones.takeBack(java.util.List.of(JobLedger.key(id)))
            : ledger.save(id, before);
      } else if (!Failures.isRetryable(error) || consumed.attempt() >= DELIVERY_ATTEMPTS) {
        cleanup = tombstones.takeBack(written(id));
      } else {
        cleanup = CompletableFuture.completedFuture(null);
      }
      return cleanup.handle((ok, cleanupError) -> {
        if (cleanupError != null) {
          LOG.warn("recording {}: could not take back what the failed job wrote ({}); the purger's sweep will",
              id, Failures.reason(cleanupError));
        }
        return null;
      }).thenCompose(ignored -> CompletableFuture.<Void>failedFuture(error));
    });
  }

  /** Everything this stage writes for a recording. */
  private static java.util.List<String> written(String id) {
    return java.util.List.of(ObjectKeys.transcript(id), JobLedger.key(id));
  }

  private CompletableFuture<Void> skipDeleted(String id, String when) {
    return tombstones.takeBack(written(id)).thenRun(() -> {
      metrics.deleted();
      LOG.info("recording {} was deleted on request {}; nothing of it is kept", id, when);
    });
  }

  private CompletableFuture<Void> claim(RecordingStoredEvent stored, JobLedger.Job job) {
    if (job.attempts() >= config.maxAttempts()) {
      metrics.failed("poison");
      return CompletableFuture.failedFuture(new TranscriptionException("gave up after " + job.attempts()
          + " attempts that never finished (the engine crashed or the process died each time)"));
    }
    // Counted before whisper.cpp runs: a crash here is remembered across restarts.
    return ledger.save(stored.recordingId(), new JobLedger.Job(job.attempts() + 1, false));
  }

  /**
   * Both keys exist from the moment ingest created the recording; this stage only loads them, so
   * a recording whose keys were destroyed (deleted, or purged for retention) can never get a fresh
   * key and a decryptable transcript. The transcript goes under the data key, which outlives the
   * audio (the purge after transcription destroys the audio key only).
   */
  private CompletableFuture<Void> transcribe(RecordingStoredEvent stored) {
    String id = stored.recordingId();
    return runtime.keys().load(id, Purpose.DATA).thenCompose(dataKey -> runtime.keys().load(id, Purpose.AUDIO)
        .thenCompose(audioKey -> runtime.objects().open(audioKey, stored.objectKey(), ObjectKeys.RAW))
        .thenApplyAsync(reader -> transcribeOnSlot(stored, reader), workers)
        .thenCompose(json -> {
          if (stopping) {
            // Stopping: a transcript written now may never be announced by this process; redo it later.
            throw new Stopped();
          }
          return runtime.objects().put(dataKey, ObjectKeys.transcript(id), ObjectKeys.TRANSCRIPT, json);
        }))
        .exceptionallyCompose(e -> Tombstones.isNotFound(e) ? purgedBefore(id, (StorageException) Failures.unwrap(e))
            : CompletableFuture.failedFuture(Failures.unwrap(e)))
        .thenCompose(info -> tombstones.takeBackIfDeleted(id, written(id)))
        .thenAccept(deleted -> {
          if (deleted) {
            throw new DeletedMeanwhile();
          }
        });
  }

  /**
   * The recording's audio or a key is gone. When a purge receipt says why (the retention sweep
   * reached a recording still queued, or a deletion request), nothing is left to transcribe and
   * retrying cannot change that: the recording fails at once with that reason. Without a receipt
   * it is retried: a purge writes its receipt only after the audio and key are gone, so a retry
   * may find one; if none comes, the recording fails saying what is missing.
   */
  private <T> CompletableFuture<T> purgedBefore(String id, StorageException missing) {
    return runtime.store().get(config.process().pipeline().storage().bucket(), ObjectKeys.receipt(id))
        .handle((receipt, error) -> {
          if (error != null) {
            throw new TranscriptionException("the stored recording or one of its keys is missing ("
                + Failures.reason(missing) + ")", true);
          }
          String reason = new io.vertx.core.json.JsonObject(io.vertx.core.buffer.Buffer.buffer(receipt))
              .getJsonObject("receipt", new io.vertx.core.json.JsonObject()).getString("reason", "unknown");
          metrics.failed("purged");
          throw new TranscriptionException("the recording's audio was purged (" + reason + ") before it was "
              + "transcribed, so there is nothing left to transcribe; upload it again if it is still wanted");
        });
  }

  private byte[] transcribeOnSlot(RecordingStoredEvent stored,
      io.sessionflow.common.crypto.EncryptedObjects.EncryptedObjectReader reader) {
    WhisperEngine.Slot[] taken = new WhisperEngine.Slot[1];
    long started = System.nanoTime();
    try (InputStream audio = reader.openStream()) {
      // The slot is taken once the first window is decoded, so a waiting job decodes meanwhile.
      WindowedTranscriber.Result result = transcriber.transcribe(audio, () -> taken[0] = takeSlot());
      double seconds = (System.nanoTime() - started) / 1e9;
      metrics.done(result.audioSeconds(), seconds, result.decodeSeconds(), result.speech());
      LOG.info("recording {} transcribed: {} s of audio in {} s, {} segments", stored.recordingId(),
          Math.round(result.audioSeconds()), Math.round(seconds * 10) / 10.0, result.segments().size());
      return TranscriptWriter.json(result, engine.modelName(), engine.engine(),
          seconds, pseudonymizer);
    } catch (IOException e) {
      throw new TranscriptionException("reading the stored recording failed: " + Failures.reason(e), true);
    } catch (java.util.concurrent.CancellationException e) {
      throw new Stopped();
    } catch (RuntimeException e) {
      metrics.failed(e.getClass().getSimpleName());
      throw e;
    } finally {
      if (taken[0] != null) {
        slots.add(taken[0]);
      }
    }
  }

  private WhisperEngine.Slot takeSlot() {
    try {
      return slots.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.util.concurrent.CancellationException("interrupted while waiting for a slot");
    }
  }

  private CompletableFuture<Void> announce(RecordingStoredEvent stored, JobLedger.Job job) {
    String id = stored.recordingId();
    return runtime.keys().load(id, Purpose.DATA)
        .thenCompose(key -> runtime.objects().readAll(key, ObjectKeys.transcript(id), ObjectKeys.TRANSCRIPT))
        .thenCompose(json -> {
          io.vertx.core.json.JsonObject transcript = new io.vertx.core.json.JsonObject(
              io.vertx.core.buffer.Buffer.buffer(json));
          TranscriptReadyEvent ready = new TranscriptReadyEvent(PipelineEvent.CURRENT_SCHEMA_VERSION,
              runtime.clock().instant(), id, stored.practiceId(), stored.therapistId(), ObjectKeys.transcript(id),
              transcript.getDouble("audioSeconds", 0.0), transcript.getJsonArray("segments").size(),
              transcript.getString("language"), transcript.getString("model"));
          return runtime.events().publisher().publish(ready);
        })
        .thenCompose(ignored -> ledger.save(id, new JobLedger.Job(job.attempts(), true)))
        // Deleted while announcing: the purger's purge may have run before the ledger was written.
        .thenCompose(ignored -> tombstones.takeBackIfDeleted(id, written(id)))
        .thenApply(ignored -> null);
  }

  /** Records waiting for the transcriber: end offsets minus the group's committed offsets. */
  private void measureLag() {
    org.apache.kafka.clients.admin.Admin admin = runtime.topics().admin();
    admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().toCompletionStage()
        .thenCompose(committed -> admin.describeTopics(java.util.List.of(Topic.RECORDING_STORED.topicName()))
            .allTopicNames().toCompletionStage().thenCompose(topics -> {
              java.util.Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest =
                  new java.util.HashMap<>();
              topics.get(Topic.RECORDING_STORED.topicName()).partitions().forEach(p -> latest.put(
                  new org.apache.kafka.common.TopicPartition(Topic.RECORDING_STORED.topicName(), p.partition()),
                  org.apache.kafka.clients.admin.OffsetSpec.latest()));
              return admin.listOffsets(latest).all().toCompletionStage().thenApply(ends -> {
                long lag = 0;
                for (var end : ends.entrySet()) {
                  var done = committed.get(end.getKey());
                  lag += Math.max(0, end.getValue().offset() - (done == null ? 0 : done.offset()));
                }
                return lag;
              });
            }))
        .whenComplete((lag, error) -> {
          if (error == null) {
            metrics.lag.set(lag);
          }
        });
  }

  private CompletableFuture<Boolean> transcriptExists(String id) {
    return Tombstones.exists(runtime.store(), config.process().pipeline().storage().bucket(),
        ObjectKeys.transcript(id));
  }

  /**
   * Graceful shutdown: stop taking records, let each running transcription stop after its
   * current window (its record is not committed, so it is redone by whoever takes the partition),
   * then free the whisper states. A slot still busy after the grace period is left alone rather
   * than freed under a running native call.
   */
  @Override
  public void close() {
    stopping = true;
    if (consumer != null) {
      consumer.close();
    }
    workers.shutdown();
    try {
      if (!workers.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
        LOG.warn("a transcription did not stop within 60 s; leaving its whisper state to the exiting process");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean idle = slots.size() == config.slots();
    slots.forEach(WhisperEngine.Slot::close);
    if (vad != null) {
      // Always: it waits for a run in progress and refuses the next, so no decode thread is inside the
      // model when the process exits (its native runtime is torn down then: a run in it crashed the JVM).
      vad.close();
    }
    if (idle) {
      engine.close();
    }
  }

  /** Stopped for shutdown before anything was written; redone by whoever takes the partition. */
  static final class Stopped extends TranscriptionException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super("stopped for shutdown; redone by whoever takes the partition", true);
    }
  }

  /** The recording was deleted while it was transcribed; what was written is taken back already. */
  static final class DeletedMeanwhile extends TranscriptionException {
    private static final long serialVersionUID = 1L;

    DeletedMeanwhile() {
      super("deleted on request while it was transcribed", false);
    }
  }

  /** A transcription that cannot complete; retryable only when storage, not the recording, failed. */
  static class TranscriptionException extends SessionflowException {
    private static final long serialVersionUID = 1L;

    TranscriptionException(String message) {
      this(message, false);
    }

    TranscriptionException(String message, boolean retryable) {
      super(message, retryable, null);
    }
  }

  /** Transcription metrics; labels are reason codes, never ids. */
  private static final class Metrics {
    private final MeterRegistry registry;
    private final Counter audioSeconds;
    private final Counter processingSeconds;
    private final DistributionSummary realtimeFactor;
    private final Counter decodeSeconds;
    private final Counter speechSeconds;
    private final Counter skippedSeconds;
    private final Counter vadSeconds;
    private final DistributionSummary attempts;
    private final java.util.concurrent.atomic.AtomicLong lag = new java.util.concurrent.atomic.AtomicLong();

    Metrics(MeterRegistry registry, BlockingQueue<WhisperEngine.Slot> idle, int slots) {
      this.registry = registry;
      this.decodeSeconds = Counter.builder("sessionflow.transcription.decode.seconds")
          .description("CPU seconds spent decoding and resampling (the voice-activity model's included)")
          .register(registry);
      this.speechSeconds = Counter.builder("sessionflow.transcription.speech.seconds")
          .description("Seconds of speech the voice-activity model found").register(registry);
      this.skippedSeconds = Counter.builder("sessionflow.transcription.skipped.seconds")
          .description("Seconds of audio not sent to Whisper (silence longer than VAD_MAX_SILENCE)")
          .register(registry);
      this.vadSeconds = Counter.builder("sessionflow.transcription.vad.seconds")
          .description("CPU seconds the voice-activity model took").register(registry);
      this.attempts = DistributionSummary.builder("sessionflow.transcription.attempts")
          .description("Attempts a recording took until its transcript was stored").register(registry);
      io.micrometer.core.instrument.Gauge.builder("sessionflow.transcription.slots.busy", idle,
          q -> slots - q.size()).description("Slots transcribing right now").register(registry);
      io.micrometer.core.instrument.Gauge.builder("sessionflow.transcription.slots", () -> slots)
          .description("Transcription slots in this process").register(registry);
      io.micrometer.core.instrument.Gauge.builder("sessionflow.transcription.lag.records", lag,
          java.util.concurrent.atomic.AtomicLong::get)
          .description("recording.stored records not yet transcribed (committed) by the transcriber group")
          .register(registry);
      this.audioSeconds = Counter.builder("sessionflow.transcription.audio.seconds")
          .description("Seconds of audio transcribed").register(registry);
      this.processingSeconds = Counter.builder("sessionflow.transcription.processing.seconds")
          .description("Seconds spent decoding and transcribing").register(registry);
      this.realtimeFactor = DistributionSummary.builder("sessionflow.transcription.realtime.factor")
          .description("Processing time divided by audio time, per recording")
          .serviceLevelObjectives(0.05, 0.1, 0.25, 0.5, 1, 2, 5).register(registry);
    }

    void done(double audio, double processing, double decode, SpeechSummary speech) {
      decodeSeconds.increment(decode);
      if (speech != null) {
        speechSeconds.increment(speech.speechSeconds());
        skippedSeconds.increment(speech.skippedSeconds());
        vadSeconds.increment(speech.vadSeconds());
      }
      audioSeconds.increment(audio);
      processingSeconds.increment(processing);
      if (audio > 0) {
        realtimeFactor.record(processing / audio);
      }
    }

    void deleted() {
      Counter.builder("sessionflow.transcription.deleted")
          .description("Recordings deleted on request before or while they were transcribed: skipped, nothing kept")
          .register(registry).increment();
    }

    void failed(String reason) {
      Counter.builder("sessionflow.transcription.failures").tag("reason", reason).register(registry).increment();
    }
  }
}
