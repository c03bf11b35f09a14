package io.sessionflow.common.consent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.common.event.Events;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.storage.RecordingIndex;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stage's check that the client's consent covers what it is about to do: the transcriber needs
 * {@code transcribe}, the analyzer {@code analyze}. The consent is read by id each time (ids are
 * all Kafka carries), so a revocation or a consent without that scope stops the next stage. A
 * refused recording ends FAILED with the stage and a reason saying why (a {@code recording.failed}
 * event, not a dead letter: nothing went wrong), and nothing of this stage is written; its audio
 * goes on the normal rules (purged once transcribed, or by the retention sweep).
 */
public final class ConsentGate {
  private static final Logger LOG = LoggerFactory.getLogger(ConsentGate.class);
  private final ConsentStore consents;
  private final RecordingIndex index;
  private final EventPublisher publisher;
  private final Clock clock;
  private final MeterRegistry registry;
  private final String stage;
  private final Topic source;

  public ConsentGate(ConsentStore consents, RecordingIndex index, EventPublisher publisher, Clock clock,
      MeterRegistry registry, String stage, Topic source) {
    this.consents = consents;
    this.index = index;
    this.publisher = publisher;
    this.clock = clock;
    this.registry = registry;
    this.stage = stage;
    this.source = source;
  }

  /** True when the stage may go on; false once the refusal is published. */
  public CompletableFuture<Boolean> admit(String recordingId, String practiceId, String consentId, String purpose) {
    return consents.refusal(practiceId, consentId, purpose).thenCompose(refusal -> refused(recordingId, refusal));
  }

  /** As {@link #admit}, with the practice and consent read from the recording's ownership index entry. */
  public CompletableFuture<Boolean> admitIndexed(String recordingId, String purpose) {
    return index.owners(recordingId).thenCompose(entry -> entry.isEmpty() || entry.get().pending()
        ? refused(recordingId, Optional.of("consent-missing: the recording has no consent on record"))
        : admit(recordingId, entry.get().practiceId(), entry.get().consentId(), purpose));
  }

  private CompletableFuture<Boolean> refused(String recordingId, Optional<String> refusal) {
    if (refusal.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    String reason = refusal.get();
    String code = reason.substring(0, reason.indexOf(':'));
    LOG.info("recording {}: {} refused by the client's consent ({})", recordingId, stage, code);
    Counter.builder("sessionflow.consent.refusals")
        .description("Recordings a stage did not process because the client's consent does not cover it")
        .tag("stage", stage).tag("reason", code).register(registry).increment();
    return publisher.publish(Events.failed(clock, recordingId, stage, reason, 0, source))
        .thenApply(ignored -> false);
  }
}
