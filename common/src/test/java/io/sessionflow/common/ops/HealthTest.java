package io.sessionflow.common.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HealthTest {
  @Test
  void failingHangingAndThrowingChecksReportDown() {
    Health health = new Health(Clock.systemUTC(), Duration.ofMillis(100), Duration.ZERO)
        .register("ok", () -> CompletableFuture.completedFuture(true))
        .register("failed", () -> CompletableFuture.failedFuture(new IllegalStateException("down")))
        .register("hangs", CompletableFuture::new)
        .register("throws", () -> {
          throw new IllegalStateException("boom");
        })
        .register("foreign", () -> new CompletableFuture<Boolean>() {
          @Override
          public CompletableFuture<Boolean> completeOnTimeout(Boolean value, long timeout,
              java.util.concurrent.TimeUnit unit) {
            throw new UnsupportedOperationException("a library's future that must not be completed");
          }
        });
    assertThat(health.check().join())
        .containsEntry("ok", true).containsEntry("failed", false).containsEntry("hangs", false)
        .containsEntry("throws", false).containsEntry("foreign", false);
  }

  @Test
  void resultsAreCachedBriefly() {
    AtomicInteger calls = new AtomicInteger();
    MutableClock clock = new MutableClock();
    Health health = new Health(clock, Duration.ofSeconds(1), Duration.ofSeconds(2))
        .register("counted", () -> CompletableFuture.completedFuture(calls.incrementAndGet() > 0));
    health.check().join();
    health.check().join();
    assertThat(calls).hasValue(1);
    clock.now = clock.now.plusSeconds(3);
    health.check().join();
    assertThat(calls).hasValue(2);
  }

  private static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
