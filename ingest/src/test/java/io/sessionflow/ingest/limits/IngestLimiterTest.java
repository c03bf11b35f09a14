package io.sessionflow.ingest.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.ingest.SteppedClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.upload.MemoryBudget;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestLimiterTest {
  private static final Caller ANNA = new Caller("ther-anna", Role.THERAPIST, "prac-1");
  private static final Caller BEN = new Caller("ther-ben", Role.THERAPIST, "prac-1");
  private static final Caller CARA = new Caller("ther-cara", Role.THERAPIST, "prac-2");
  private final SteppedClock clock = new SteppedClock(Instant.parse("2026-11-01T09:00:00Z"));
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** 2 uploads and 100 bytes per user, 3 and 150 per practice, 5 starts a minute, consents 2 and 3 a minute. */
  private IngestLimiter limiter() {
    return new IngestLimiter(new LimitSettings(2, 3, 100, 150, 5, 100, 2, 3, MemoryBudget.Shares.NONE), clock,
        Duration.ofHours(24), registry);
  }

  private double refusals(String limit, String scope) {
    return registry.get("sessionflow.limit.refusals").tag("limit", limit).tag("scope", scope).counter().count();
  }

  @Test
  void uploadsInProgressAreCountedPerUserAndPerPracticeAndFreedWhenClosed() {
    IngestLimiter limiter = limiter();
    IngestLimiter.Slot first = limiter.admitUpload(ANNA, 10).slot();
    assertThat(limiter.admitUpload(ANNA, 10).admitted()).isTrue();
    IngestLimiter.Refusal third = limiter.admitUpload(ANNA, 10).refusal();
    assertThat(third.limit()).isEqualTo(IngestLimiter.Limit.UPLOADS);
    assertThat(third.scope()).isEqualTo("user");
    assertThat(third.retryAfterSeconds()).isEqualTo(30);
    assertThat(third.detail()).contains("2 uploads in progress", "(2)", "DELETE /files/{id}", "retry in 30 s");
    // A colleague has the practice's third place; a fourth upload of the practice is refused.
    assertThat(limiter.admitUpload(BEN, 10).admitted()).isTrue();
    IngestLimiter.Refusal practice = limiter.admitUpload(BEN, 10).refusal();
    assertThat(practice.scope()).isEqualTo("practice");
    assertThat(practice.detail()).contains("your practice has 3 uploads in progress");
    // Another practice is not affected.
    assertThat(limiter.admitUpload(CARA, 10).admitted()).isTrue();
    assertThat(limiter.uploadsInProgress()).isEqualTo(4);

    first.close();
    first.close();
    assertThat(limiter.uploadsInProgress()).isEqualTo(3);
    assertThat(limiter.admitUpload(ANNA, 10).admitted()).isTrue();
    assertThat(refusals("uploads_in_progress", "user")).isEqualTo(1);
    assertThat(refusals("uploads_in_progress", "practice")).isEqualTo(1);
    assertThat(registry.get("sessionflow.limit.uploads.in.progress").gauge().value()).isEqualTo(4);
  }

  @Test
  void declaredBytesInProgressAreCapped() {
    IngestLimiter limiter = limiter();
    IngestLimiter.Slot big = limiter.admitUpload(ANNA, 90).slot();
    IngestLimiter.Refusal user = limiter.admitUpload(ANNA, 20).refusal();
    assertThat(user.limit()).isEqualTo(IngestLimiter.Limit.UPLOAD_BYTES);
    assertThat(user.detail()).contains("declare 90 bytes", "20 more", "100 bytes one user");
    assertThat(limiter.admitUpload(BEN, 61).refusal().scope()).isEqualTo("practice");
    big.close();
    assertThat(limiter.admitUpload(ANNA, 100).admitted()).isTrue();
  }

  @Test
  void startsPerMinuteAreATokenBucketAndARefusalTakesNoToken() {
    IngestLimiter limiter = limiter();
    for (int i = 0; i < 5; i++) {
      limiter.admitUpload(ANNA, 0).slot().close();
    }
    IngestLimiter.Refusal rate = limiter.admitUpload(ANNA, 0).refusal();
    assertThat(rate.limit()).isEqualTo(IngestLimiter.Limit.UPLOAD_RATE);
    assertThat(rate.retryAfterSeconds()).isEqualTo(12); // 5 a minute: one every 12 s
    assertThat(rate.detail()).contains("5 a minute", "Retry in 12 s");
    clock.advance(Duration.ofSeconds(11));
    assertThat(limiter.admitUpload(ANNA, 0).refusal().retryAfterSeconds()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(1));
    IngestLimiter.Slot slot = limiter.admitUpload(ANNA, 0).slot();
    assertThat(slot).isNotNull();
    // Refused by a quota: the bucket (empty again) is not what refuses, and nothing is taken from it.
    clock.advance(Duration.ofSeconds(24));
    IngestLimiter.Slot other = limiter.admitUpload(ANNA, 0).slot();
    assertThat(limiter.admitUpload(ANNA, 0).refusal().limit()).isEqualTo(IngestLimiter.Limit.UPLOADS);
    slot.close();
    other.close();
    assertThat(limiter.admitUpload(ANNA, 0).admitted()).isTrue();
    assertThat(refusals("uploads_per_minute", "user")).isEqualTo(2);
  }

  @Test
  void aBoundSlotIsHeldUntilItsUploadIsReleasedById() {
    IngestLimiter limiter = limiter();
    IngestLimiter.Slot slot = limiter.admitUpload(ANNA, 50).slot();
    limiter.bind(slot, "up-1");
    slot.close(); // the creating request ended: the upload is still in progress
    assertThat(limiter.uploadsInProgress()).isEqualTo(1);
    assertThat(limiter.boundIds(ANNA, false)).containsExactly("up-1");
    assertThat(limiter.boundIds(BEN, false)).isEmpty();
    assertThat(limiter.boundIds(BEN, true)).containsExactly("up-1");
    limiter.release("up-unknown");
    assertThat(limiter.uploadsInProgress()).isEqualTo(1);
    limiter.release("up-1");
    limiter.release("up-1");
    assertThat(limiter.uploadsInProgress()).isZero();
    assertThat(limiter.boundIds(ANNA, true)).isEmpty();
  }

  @Test
  void aSecondSlotForAnUploadAlreadyHeldIsFreed() {
    IngestLimiter limiter = limiter();
    IngestLimiter.Slot first = limiter.admitUpload(ANNA, 50).slot();
    IngestLimiter.Slot second = limiter.admitUpload(ANNA, 50).slot();
    limiter.bind(first, "up-1");
    limiter.bind(second, "up-1");
    assertThat(limiter.uploadsInProgress()).isEqualTo(1);
    limiter.release("up-1");
    assertThat(limiter.uploadsInProgress()).isZero();
  }

  @Test
  void aSlotClosedBeforeItIsBoundStaysFree() {
    IngestLimiter limiter = limiter();
    IngestLimiter.Slot slot = limiter.admitUpload(ANNA, 50).slot();
    slot.close();
    limiter.bind(slot, "up-1");
    assertThat(limiter.uploadsInProgress()).isZero();
    assertThat(limiter.boundIds(ANNA, false)).isEmpty();
  }

  @Test
  void aBoundSlotNobodyReleasesIsDroppedAfterItsLifetime() {
    IngestLimiter limiter = limiter();
    IngestLimiter.Slot slot = limiter.admitUpload(ANNA, 50).slot();
    limiter.bind(slot, "up-1");
    clock.advance(Duration.ofHours(23));
    limiter.admitUpload(CARA, 0).slot().close();
    assertThat(limiter.uploadsInProgress()).isEqualTo(1);
    clock.advance(Duration.ofHours(2));
    limiter.admitUpload(CARA, 0).slot().close();
    assertThat(limiter.uploadsInProgress()).isZero();
  }

  @Test
  void consentsPerMinuteAreLimitedPerUserAndPerPractice() {
    IngestLimiter limiter = limiter();
    assertThat(limiter.admitConsent(ANNA)).isNull();
    assertThat(limiter.admitConsent(ANNA)).isNull();
    IngestLimiter.Refusal user = limiter.admitConsent(ANNA);
    assertThat(user.limit()).isEqualTo(IngestLimiter.Limit.CONSENT_RATE);
    assertThat(user.scope()).isEqualTo("user");
    assertThat(user.retryAfterSeconds()).isEqualTo(30);
    assertThat(user.detail()).contains("consents", "2 a minute", "Retry in 30 s");
    assertThat(limiter.admitConsent(BEN)).isNull();
    IngestLimiter.Refusal practice = limiter.admitConsent(BEN);
    assertThat(practice.scope()).isEqualTo("practice");
    assertThat(practice.retryAfterSeconds()).isEqualTo(20);
    assertThat(limiter.admitConsent(CARA)).isNull();
    clock.advance(Duration.ofMinutes(1));
    assertThat(limiter.admitConsent(BEN)).isNull();
    assertThat(refusals("consents_per_minute", "user")).isEqualTo(1);
    assertThat(refusals("consents_per_minute", "practice")).isEqualTo(1);
  }

  @Test
  void manyTenantsLeaveNoBucketsBehindOnceTheyAreFullAgain() {
    IngestLimiter limiter = limiter();
    List<Caller> callers = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      callers.add(new Caller("ther-" + i, Role.THERAPIST, "prac-" + i));
    }
    callers.forEach(limiter::admitConsent);
    clock.advance(Duration.ofMinutes(2));
    // After a sweep the buckets are new again: everyone has their full minute.
    assertThat(limiter.admitConsent(ANNA)).isNull();
    assertThat(limiter.admitConsent(ANNA)).isNull();
    assertThat(limiter.admitConsent(callers.get(0))).isNull();
  }

  @Test
  void reconcilingIsAllowedOncePerIntervalPerUser() {
    IngestLimiter limiter = limiter();
    assertThat(limiter.mayReconcile(ANNA)).isTrue();
    assertThat(limiter.mayReconcile(ANNA)).isFalse();
    assertThat(limiter.mayReconcile(BEN)).isTrue();
    clock.advance(IngestLimiter.RECONCILE_EVERY);
    assertThat(limiter.mayReconcile(ANNA)).isTrue();
  }

  @Test
  void settingsHaveSaneDefaultsAndABadShareStopsStartUp() {
    LimitSettings defaults = LimitSettings.defaults();
    assertThat(defaults.userUploads()).isEqualTo(32);
    assertThat(defaults.practiceUploads()).isEqualTo(256);
    assertThat(defaults.practiceUploadBytes()).isEqualTo(64L << 30);
    assertThat(defaults.userConsentsPerMinute()).isEqualTo(30);
    assertThat(defaults.practiceConsentsPerMinute()).isEqualTo(300);
    assertThat(defaults.memory()).isEqualTo(new MemoryBudget.Shares(50, 25, 10));
    assertThatThrownBy(() -> LimitSettings.from(ConfigSource.of(Map.of("upload-memory-user-share", "60"), Map.of())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--upload-memory-user-share")
        .hasMessageContaining("UPLOAD_MEMORY_USER_SHARE");
    assertThatThrownBy(() -> LimitSettings.from(ConfigSource.of(Map.of("limit-user-uploads", "0"), Map.of())))
        .hasMessageContaining("limit-user-uploads");
  }

  @Test
  void createdUploadIsReadFromTheTusAnswer() {
    var vertxHeaders = io.vertx.core.MultiMap.caseInsensitiveMultiMap();
    assertThat(LimitRoutes.createdUpload(201, vertxHeaders.set("Location", "/files/abc").set("Upload-Length", "10")
        .set("Upload-Offset", "3"))).isEqualTo("abc");
    assertThat(LimitRoutes.createdUpload(201, vertxHeaders.set("Upload-Offset", "10"))).isNull();
    vertxHeaders.remove("Upload-Length");
    assertThat(LimitRoutes.createdUpload(201, vertxHeaders.set("Upload-Defer-Length", "1"))).isEqualTo("abc");
    assertThat(LimitRoutes.createdUpload(201, vertxHeaders.set("Upload-Concat", "final"))).isNull();
    assertThat(LimitRoutes.createdUpload(400, vertxHeaders.remove("Upload-Concat"))).isNull();
  }
}
