package io.sessionflow.ingest.limits;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.ingest.auth.Caller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Quotas and rate limits of one ingest replica, per user and per practice: uploads in progress
 * and their declared bytes (held by a {@link Slot} from creation until the upload completes, is
 * terminated or expires, or, for a streaming upload, until its request ends), uploads started per
 * minute and consents recorded per minute (token buckets). Thread-safe; the clock is passed in.
 */
public final class IngestLimiter {
  /** Retry-After for a quota of uploads in progress: nobody knows when one finishes. */
  static final long QUOTA_RETRY_SECONDS = 30;
  private static final int MAX_IDLE_BUCKETS = 10_000;
  private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
  static final Duration RECONCILE_EVERY = Duration.ofSeconds(10);
  private final LimitSettings settings;
  private final Clock clock;
  private final Duration slotLifetime;
  private final Map<String, Usage> byPractice = new HashMap<>();
  private final Map<List<String>, Usage> byUser = new HashMap<>();
  private final Map<String, Slot> bound = new HashMap<>();
  private final Map<List<String>, TokenBucket> buckets = new HashMap<>();
  private final Map<String, Counter> refused = new HashMap<>();
  private final Map<List<String>, Instant> reconciled = new HashMap<>();
  private Instant nextSweep;
  private int sweepAtBuckets = MAX_IDLE_BUCKETS;

  /** Which limit refused a request; the label of {@code sessionflow_limit_refusals_total}. */
  public enum Limit {
    UPLOADS("uploads_in_progress"), UPLOAD_BYTES("upload_bytes_in_progress"),
    UPLOAD_RATE("uploads_per_minute"), CONSENT_RATE("consents_per_minute");

    private final String label;

    Limit(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** A refusal: which limit, whose (user or practice), and when to try again. */
  public record Refusal(Limit limit, String scope, long retryAfterSeconds, String detail) {
  }

  /**
   * @param slotLifetime a slot bound to an upload that this replica never hears finish (completed
   *                     on another replica, deleted with its recording) is dropped after this long:
   *                     the upload expiry
   */
  public IngestLimiter(LimitSettings settings, Clock clock, Duration slotLifetime, MeterRegistry registry) {
    this.settings = settings;
    this.clock = clock;
    this.slotLifetime = slotLifetime;
    this.nextSweep = clock.instant().plus(SWEEP_EVERY);
    for (Limit limit : Limit.values()) {
      for (String scope : List.of("user", "practice")) {
        refused.put(limit.label + "/" + scope, Counter.builder("sessionflow.limit.refusals")
            .description("Requests answered 429 by a rate limit or quota, by limit and by scope (user or practice)")
            .tag("limit", limit.label).tag("scope", scope).register(registry));
      }
    }
    Gauge.builder("sessionflow.limit.uploads.in.progress", this, IngestLimiter::uploadsInProgress)
        .description("Uploads in progress that count against the quotas of this replica").register(registry);
  }

  public LimitSettings settings() {
    return settings;
  }

  /** Uploads in progress counted on this replica, all tenants together. */
  public synchronized int uploadsInProgress() {
    return byPractice.values().stream().mapToInt(u -> u.uploads).sum();
  }

  // ---- uploads ---------------------------------------------------------------------------------

  /**
   * Admits one upload of {@code declaredBytes} (0 when not declared): a slot that holds its place
   * in the quotas until closed, or a refusal. Nothing is taken when it is refused.
   */
  public Admission admitUpload(Caller caller, long declaredBytes) {
    Admission admission = tryUpload(caller, declaredBytes);
    if (!admission.admitted()) {
      count(admission.refusal());
    }
    return admission;
  }

  /** As {@link #admitUpload} without counting a refusal (the caller may try again, or {@link #count} it). */
  public synchronized Admission tryUpload(Caller caller, long declaredBytes) {
    sweepIfDue();
    Usage user = usage(byUser, userKey(caller));
    Usage practice = usage(byPractice, practice(caller));
    Refusal refusal = uploadQuota(user, practice, declaredBytes);
    if (refusal == null) {
      refusal = rate(caller, "uploads", settings.userCreationsPerMinute(), settings.practiceCreationsPerMinute(),
          Limit.UPLOAD_RATE, "uploads started");
    }
    if (refusal != null) {
      return new Admission(null, refusal);
    }
    take(caller, "uploads");
    user.add(1, declaredBytes);
    practice.add(1, declaredBytes);
    byUser.put(userKey(caller), user);
    byPractice.put(practice(caller), practice);
    return new Admission(new Slot(userKey(caller), practice(caller), declaredBytes), null);
  }

  /** Counts a refusal in {@code sessionflow_limit_refusals_total}. */
  public void count(Refusal refusal) {
    refused.get(refusal.limit().label + "/" + refusal.scope()).increment();
  }

  private Refusal uploadQuota(Usage user, Usage practice, long bytes) {
    if (user.uploads + 1 > settings.userUploads()) {
      return quota(Limit.UPLOADS, "user", "you have " + user.uploads + " uploads in progress, the most one user may "
          + "have at once (" + settings.userUploads() + ")");
    }
    if (practice.uploads + 1 > settings.practiceUploads()) {
      return quota(Limit.UPLOADS, "practice", "your practice has " + practice.uploads + " uploads in progress, the "
          + "most one practice may have at once (" + settings.practiceUploads() + ")");
    }
    if (user.bytes + bytes > settings.userUploadBytes()) {
      return quota(Limit.UPLOAD_BYTES, "user", "your uploads in progress declare " + user.bytes + " bytes; with "
          + bytes + " more they would pass the " + settings.userUploadBytes() + " bytes one user may have in progress");
    }
    if (practice.bytes + bytes > settings.practiceUploadBytes()) {
      return quota(Limit.UPLOAD_BYTES, "practice", "your practice's uploads in progress declare " + practice.bytes
          + " bytes; with " + bytes + " more they would pass the " + settings.practiceUploadBytes()
          + " bytes one practice may have in progress");
    }
    return null;
  }

  private static Refusal quota(Limit limit, String scope, String why) {
    return new Refusal(limit, scope, QUOTA_RETRY_SECONDS, "Too many uploads in progress: " + why + ". Finish or "
        + "terminate (DELETE /files/{id}) one of them, or retry in " + QUOTA_RETRY_SECONDS + " s.");
  }

  /** Ties the slot to a tus upload: it is held until {@link #release(String)} names it. */
  public synchronized void bind(Slot slot, String uploadId) {
    if (bound.containsKey(uploadId)) {
      free(slot); // already held by a slot of its own
    } else if (!slot.released && !slot.isBound()) {
      slot.uploadId = uploadId;
      slot.deadline = clock.instant().plus(slotLifetime);
      bound.put(uploadId, slot);
    }
  }

  /** The upload completed, was terminated or expired: its slot (if this replica holds one) is free. */
  public synchronized void release(String uploadId) {
    Slot slot = bound.remove(uploadId);
    if (slot != null) {
      free(slot);
    }
  }

  /**
   * Whether the caller's held slots may be checked against storage now (at most once per
   * {@link #RECONCILE_EVERY} per user), before a quota refusal: an upload finished on another
   * replica, or deleted with its recording, holds its slot here until then.
   */
  public synchronized boolean mayReconcile(Caller caller) {
    Instant now = clock.instant();
    Instant last = reconciled.get(userKey(caller));
    if (last != null && now.isBefore(last.plus(RECONCILE_EVERY))) {
      return false;
    }
    reconciled.put(userKey(caller), now);
    return true;
  }

  /** The ids of the caller's bound uploads (the user's, or the practice's). */
  public synchronized List<String> boundIds(Caller caller, boolean wholePractice) {
    List<String> ids = new ArrayList<>();
    bound.forEach((id, slot) -> {
      if (wholePractice ? slot.practice.equals(practice(caller)) : slot.user.equals(userKey(caller))) {
        ids.add(id);
      }
    });
    return ids;
  }

  private synchronized void close(Slot slot) {
    if (slot.isBound()) {
      return; // held until its upload is released by id
    }
    free(slot);
  }

  private void free(Slot slot) {
    if (slot.released) {
      return;
    }
    slot.released = true;
    subtract(byUser, slot.user, slot.bytes);
    subtract(byPractice, slot.practice, slot.bytes);
  }

  private static <K> void subtract(Map<K, Usage> map, K key, long bytes) {
    Usage usage = map.get(key);
    if (usage != null) {
      usage.add(-1, -bytes);
      if (usage.uploads <= 0) {
        map.remove(key);
      }
    }
  }

  // ---- consents --------------------------------------------------------------------------------

  /** Takes a consent token of the caller, or says why not. */
  public synchronized Refusal admitConsent(Caller caller) {
    sweepIfDue();
    Refusal refusal = rate(caller, "consents", settings.userConsentsPerMinute(),
        settings.practiceConsentsPerMinute(), Limit.CONSENT_RATE, "consents recorded");
    if (refusal != null) {
      count(refusal);
      return refusal;
    }
    take(caller, "consents");
    return null;
  }

  // ---- rates -----------------------------------------------------------------------------------

  private Refusal rate(Caller caller, String kind, int userPerMinute, int practicePerMinute, Limit limit,
      String what) {
    long now = nanos();
    TokenBucket user = bucket(List.of(kind, "user", practice(caller), subject(caller)), userPerMinute, now);
    if (!user.available(now)) {
      long wait = user.secondsUntilAvailable(now);
      return new Refusal(limit, "user", wait, "Too many " + what + ": one user may start " + userPerMinute
          + " a minute. Retry in " + wait + " s.");
    }
    TokenBucket practice = bucket(List.of(kind, "practice", practice(caller)), practicePerMinute, now);
    if (!practice.available(now)) {
      long wait = practice.secondsUntilAvailable(now);
      return new Refusal(limit, "practice", wait, "Too many " + what + " in your practice: one practice may "
          + "start " + practicePerMinute + " a minute. Retry in " + wait + " s.");
    }
    return null;
  }

  private void take(Caller caller, String kind) {
    long now = nanos();
    buckets.get(List.of(kind, "user", practice(caller), subject(caller))).take(now);
    buckets.get(List.of(kind, "practice", practice(caller))).take(now);
  }

  private TokenBucket bucket(List<String> key, int perMinute, long now) {
    return buckets.computeIfAbsent(key, k -> new TokenBucket(perMinute, now));
  }

  /** Drops full buckets (as good as new) when there are many, and slots past their lifetime. */
  private void sweepIfDue() {
    Instant now = clock.instant();
    if (now.isBefore(nextSweep) && buckets.size() < sweepAtBuckets) {
      return;
    }
    nextSweep = now.plus(SWEEP_EVERY);
    long nanos = nanos();
    buckets.values().removeIf(b -> b.isFull(nanos));
    reconciled.values().removeIf(at -> now.isAfter(at.plus(RECONCILE_EVERY)));
    // Many tenants all active: sweep again only once the map has doubled (amortised, not every call).
    sweepAtBuckets = Math.max(MAX_IDLE_BUCKETS, 2 * buckets.size());
    for (var it = bound.values().iterator(); it.hasNext();) {
      Slot slot = it.next();
      if (now.isAfter(slot.deadline)) {
        it.remove();
        free(slot);
      }
    }
  }

  private long nanos() {
    return clock.millis() * 1_000_000L;
  }

  private static <K> Usage usage(Map<K, Usage> map, K key) {
    Usage found = map.get(key);
    return found == null ? new Usage() : found;
  }

  private static String practice(Caller caller) {
    return caller.practiceId() == null ? "" : caller.practiceId();
  }

  private static String subject(Caller caller) {
    return caller.subject() == null ? "" : caller.subject();
  }

  private static List<String> userKey(Caller caller) {
    return List.of(practice(caller), subject(caller));
  }

  private static final class Usage {
    private int uploads;
    private long bytes;

    void add(int count, long size) {
      uploads += count;
      bytes += size;
    }
  }

  /** Either a slot or a refusal. */
  public record Admission(Slot slot, Refusal refusal) {
    public boolean admitted() {
      return slot != null;
    }
  }

  /**
   * One upload's place in the quotas. Closing it frees the place unless it was bound to a tus
   * upload, which frees it by id; closing twice, or after release, does nothing.
   */
  public final class Slot implements AutoCloseable {
    private final List<String> user;
    private final String practice;
    private final long bytes;
    private boolean released;
    private String uploadId;
    private Instant deadline;

    private Slot(List<String> user, String practice, long bytes) {
      this.user = user;
      this.practice = practice;
      this.bytes = bytes;
    }

    boolean isBound() {
      return uploadId != null;
    }

    @Override
    public void close() {
      IngestLimiter.this.close(this);
    }
  }
}
