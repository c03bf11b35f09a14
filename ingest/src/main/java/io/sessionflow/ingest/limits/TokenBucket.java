package io.sessionflow.ingest.limits;

/**
 * A token bucket refilled at {@code perMinute} tokens a minute, holding at most as many: a
 * tenant may burst up to a minute's worth, then goes at the rate. Not thread-safe; its owner locks.
 */
final class TokenBucket {
  private static final double NANOS_PER_MINUTE = 60e9;
  private final int perMinute;
  private double tokens;
  private long updatedNanos;

  TokenBucket(int perMinute, long nowNanos) {
    this.perMinute = perMinute;
    this.tokens = perMinute;
    this.updatedNanos = nowNanos;
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - updatedNanos;
    if (elapsed > 0) {
      tokens = Math.min(perMinute, tokens + elapsed * perMinute / NANOS_PER_MINUTE);
    }
    updatedNanos = nowNanos; // a clock set back starts counting again from now
  }

  /** Whether a token is there now (none is taken). */
  boolean available(long nowNanos) {
    refill(nowNanos);
    return tokens >= 1;
  }

  void take(long nowNanos) {
    refill(nowNanos);
    tokens -= 1;
  }

  /** Whole seconds until a token is there, at least 1. */
  long secondsUntilAvailable(long nowNanos) {
    refill(nowNanos);
    double missing = Math.max(0, 1 - tokens);
    return Math.max(1, (long) Math.ceil(missing * 60 / perMinute - 1e-9));
  }

  /** Full again: as good as a new bucket, so it may be forgotten. */
  boolean isFull(long nowNanos) {
    refill(nowNanos);
    return tokens >= perMinute;
  }
}
