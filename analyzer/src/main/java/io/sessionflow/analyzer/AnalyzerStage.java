package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.sessionflow.common.consent.ConsentGate;
import io.sessionflow.common.consent.ConsentStore;
import io.sessionflow.common.crypto.RecordingKeys.Purpose;
import io.sessionflow.common.event.AnalysisReadyEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.failure.SessionflowException;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.Subscription;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.common.storage.Tombstones;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code transcript.ready} → decrypt the transcript → analyse (blocking pool) → encrypt and store
 * the analysis under the data key → {@code analysis.ready} → mark it announced
 * ({@code analyses/ID.job}) → commit. A redelivery of a recording announced before (a crash
 * between the announcement and the commit) is skipped, so {@code analysis.ready} goes out once; one
 * that came before the mark rewrites the same analysis. A recording deleted meanwhile is skipped,
 * not failed.
 */
public final class AnalyzerStage implements AutoCloseable {
  public static final String STAGE = "analyzer";
  public static final String GROUP = "sessionflow-analyzer";
  private static final Logger LOG = LoggerFactory.getLogger(AnalyzerStage.class);
  private static final ObjectMapper JSON = EventCodec.mapper();

  private final StageRuntime runtime;
  private final AnalyzerConfig config;
  private final TranscriptAnalyzer analyzer = new TranscriptAnalyzer();
  private final Timer timer;
  private final Tombstones tombstones;
  private final ConsentGate consent;
  private final Counter skipped;
  private final Counter duplicates;
  private EventStream.Consumer consumer;

  private AnalyzerStage(StageRuntime runtime, AnalyzerConfig config) {
    this.runtime = runtime;
    this.config = config;
    String bucket = runtime.config().storage().bucket();
    this.tombstones = new Tombstones(runtime.store(), bucket);
    this.consent = new ConsentGate(new ConsentStore(runtime.store(), bucket), new RecordingIndex(runtime.store(),
        bucket), runtime.events().publisher(), runtime.clock(), runtime.registry(), STAGE, Topic.TRANSCRIPT_READY);
    this.timer = Timer.builder("sessionflow.analysis.duration").description("Time to analyse one transcript")
        .register(runtime.registry());
    this.skipped = Counter.builder("sessionflow.analysis.skipped")
        .description("Transcripts of recordings deleted before analysis").register(runtime.registry());
    this.duplicates = Counter.builder("sessionflow.analysis.duplicates")
        .description("Redelivered transcripts of recordings analysed and announced before").register(
            runtime.registry());
  }

  public static AnalyzerStage start(StageRuntime runtime, AnalyzerConfig config) {
    AnalyzerStage stage = new AnalyzerStage(runtime, config);
    stage.consumer = runtime.events().subscribe(Subscription.of(GROUP, STAGE, Topic.TRANSCRIPT_READY)
        .withRetries(5, Duration.ofSeconds(1), Duration.ofSeconds(30)).withMaxInFlight(config.workers()),
        stage::handle);
    runtime.onClose(stage);
    return stage;
  }

  CompletionStage<Void> handle(ConsumedEvent consumed) {
    if (!(consumed.event() instanceof TranscriptReadyEvent ready)) {
      return CompletableFuture.completedFuture(null);
    }
    String id = ready.recordingId();
    return deleted(id).thenCompose(gone -> gone ? skip(id) : announcedBefore(id).thenCompose(before -> {
      if (before) {
        duplicates.increment();
        LOG.info("recording {} was analysed and announced before; skipping the duplicate", id);
        return CompletableFuture.<Void>completedFuture(null);
      }
      return consent.admitIndexed(id, "analyze")
          .thenCompose(admitted -> admitted ? analyseAndAnnounce(ready) : CompletableFuture.completedFuture(null));
    }));
  }

  private CompletableFuture<Boolean> announcedBefore(String id) {
    return Tombstones.exists(runtime.store(), runtime.config().storage().bucket(), ObjectKeys.analysisLedger(id));
  }

  /** After the announcement: the mark, taken back again if the recording was deleted meanwhile. */
  private CompletableFuture<Void> markAnnounced(String id) {
    String ledger = ObjectKeys.analysisLedger(id);
    return runtime.store().put(runtime.config().storage().bucket(), ledger,
        "published".getBytes(StandardCharsets.US_ASCII), Map.of())
        .thenCompose(info -> tombstones.takeBackIfDeleted(id, List.of(ledger))).thenApply(ignored -> null);
  }

  /** decrypt → analyse → store → deleted meanwhile? → publish. */
  private CompletableFuture<Void> analyseAndAnnounce(TranscriptReadyEvent ready) {
    String id = ready.recordingId();
    return runtime.keys().load(id, Purpose.DATA)
        .thenCompose(key -> runtime.objects().readAll(key, ready.transcriptKey(), ObjectKeys.TRANSCRIPT)
            .thenApplyAsync(this::analyse, runtime.blocking())
            .thenCompose(analysis -> runtime.objects().put(key, ObjectKeys.analysis(id), ObjectKeys.ANALYSIS,
                bytes(analysis)).thenApply(info -> analysis)))
        // Deleted while it was being analysed: take the analysis back instead of announcing it.
        .thenCompose(analysis -> deleted(id).thenCompose(meanwhile -> meanwhile
            ? tombstones.takeBack(List.of(ObjectKeys.analysis(id))).thenCompose(ignored -> skip(id))
            : announce(ready, analysis).thenCompose(ignored -> markAnnounced(id))))
        .exceptionallyCompose(error -> Failures.unwrap(error) instanceof StorageException se && se.isNotFound()
            ? skip(id) : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private ObjectNode analyse(byte[] transcriptJson) {
    Transcript transcript;
    try {
      transcript = JSON.readValue(transcriptJson, Transcript.class);
    } catch (IOException e) {
      throw new AnalysisException("the transcript is not valid transcript JSON", false, e);
    }
    return timer.record(() -> analyzer.analyze(transcript, config.noteFormat()));
  }

  private CompletableFuture<Void> announce(TranscriptReadyEvent ready, ObjectNode analysis) {
    int flags = analysis.path("flags").size();
    Counter.builder("sessionflow.analysis.flags").description("Risk and ethics flags raised").register(
        runtime.registry()).increment(flags);
    LOG.info("recording {} analysed: {} flag(s), {} theme(s)", ready.recordingId(), flags,
        analysis.path("themes").size());
    return runtime.events().publisher().publish(new AnalysisReadyEvent(PipelineEvent.CURRENT_SCHEMA_VERSION,
        runtime.clock().instant(), ready.recordingId(), ready.practiceId(), ready.therapistId(),
        ObjectKeys.analysis(ready.recordingId()), flags));
  }

  /** A tombstone: the recording was deleted on request. */
  private CompletableFuture<Boolean> deleted(String id) {
    return tombstones.isDeleted(id);
  }

  private CompletableFuture<Void> skip(String id) {
    skipped.increment();
    LOG.info("recording {} was deleted; nothing to analyse", id);
    return CompletableFuture.completedFuture(null);
  }

  private static byte[] bytes(ObjectNode analysis) {
    try {
      return JSON.writeValueAsBytes(analysis);
    } catch (IOException e) {
      throw new AnalysisException("cannot serialise the analysis", false, e);
    }
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close();
    }
  }

  /** The analyzer's one exception type. */
  static final class AnalysisException extends SessionflowException {
    private static final long serialVersionUID = 1L;

    AnalysisException(String message, boolean retryable, Throwable cause) {
      super(message, retryable, cause);
    }
  }
}
