package io.sessionflow.purger.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.purger.PurgeReceipt;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The purger's numbers. Labels are reasons and exception class names only, never ids. The raw
 * audio gauges come from the last sweep; the oldest age keeps growing between sweeps, so a stuck
 * sweep shows as a rising line instead of a frozen one.
 */
public final class PurgeMetrics {
  private final MeterRegistry registry;
  private final Clock clock;
  private final Timer delay;
  private final Counter retries;
  private final Counter verificationFailures;
  private final AtomicReference<RawAudio> rawAudio = new AtomicReference<>(new RawAudio(0, 0, null));

  /** What the last sweep found in the raw area. */
  public record RawAudio(long bytes, long objects, Instant oldest) {
  }

  public PurgeMetrics(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
    this.delay = Timer.builder("sessionflow.purge.delay")
        .description("Transcript durable to raw audio purged and verified")
        .serviceLevelObjectives(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
            Duration.ofHours(1), Duration.ofHours(24), Duration.ofHours(72))
        .register(registry);
    this.retries = Counter.builder("sessionflow.purge.retries").description("Purge attempts after a failed one")
        .register(registry);
    this.verificationFailures = Counter.builder("sessionflow.purge.verification.failures")
        .description("Purges whose outside checks found something left; retried").register(registry);
    Gauge.builder("sessionflow.raw.audio.bytes", rawAudio, r -> r.get().bytes())
        .description("Ciphertext bytes of raw audio at rest (all versions and upload leftovers), last sweep")
        .register(registry);
    Gauge.builder("sessionflow.raw.audio.objects", rawAudio, r -> r.get().objects())
        .description("Raw audio object versions, multipart uploads and leftovers at rest, last sweep")
        .register(registry);
    Gauge.builder("sessionflow.raw.audio.oldest.age.seconds", rawAudio, this::oldestAge)
        .description("Age of the oldest raw audio at rest; alert when it nears the maximum retention")
        .register(registry);
  }

  private double oldestAge(AtomicReference<RawAudio> ref) {
    Instant oldest = ref.get().oldest();
    return oldest == null ? 0 : Math.max(0, Duration.between(oldest, clock.instant()).toMillis() / 1000.0);
  }

  void purged(PurgeOrder order, PurgeReceipt receipt, Instant finishedAt) {
    Counter.builder("sessionflow.purges").description("Purges completed and verified, by reason")
        .tag("reason", order.reason()).tag("outcome", receipt.alreadyGone() ? "already-gone" : "deleted")
        .register(registry).increment();
    if (PurgeOrder.TRANSCRIBED.equals(order.reason()) && order.transcriptDurableAt() != null) {
      delay.record(Duration.between(order.transcriptDurableAt(), finishedAt));
    }
  }

  void failed(String reason, Throwable error) {
    Counter.builder("sessionflow.purge.failures").description("Purge attempts that failed, by reason and error")
        .tag("reason", reason).tag("error", Failures.unwrap(error).getClass().getSimpleName())
        .register(registry).increment();
  }

  public void retried() {
    retries.increment();
  }

  void verificationFailed() {
    verificationFailures.increment();
  }

  public void rawAudio(RawAudio now) {
    rawAudio.set(now);
  }

  /** An object a deletion request had to read was unreadable and was skipped (label: what it was). */
  public void unreadable(String kind) {
    Counter.builder("sessionflow.deletion.unreadable.objects").tag("kind", kind)
        .description("Objects a deletion request could not read and skipped (reported in the log by key)")
        .register(registry).increment();
  }

  /** A watched, deleted recording had objects again and was purged again. */
  public void deletionLeftoversPurged() {
    Counter.builder("sessionflow.deletion.leftovers.purged")
        .description("Deleted recordings found holding objects again by the deletion watch, and purged")
        .register(registry).increment();
  }
}
