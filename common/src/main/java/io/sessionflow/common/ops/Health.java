package io.sessionflow.common.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Readiness checks a stage registers (Kafka reachable, object store reachable, its own consumer
 * running). Each check is asynchronous, bounded by a timeout, and its result is cached briefly so
 * a busy prober does not hammer the dependencies.
 */
public final class Health {
  private final Map<String, Supplier<CompletableFuture<Boolean>>> checks = new LinkedHashMap<>();
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Duration timeout;
  private final Duration cacheFor;

  public Health(Clock clock, Duration timeout, Duration cacheFor) {
    this.clock = clock;
    this.timeout = timeout;
    this.cacheFor = cacheFor;
  }

  public static Health withDefaults() {
    return new Health(Clock.systemUTC(), Duration.ofSeconds(3), Duration.ofSeconds(2));
  }

  public synchronized Health register(String name, Supplier<CompletableFuture<Boolean>> check) {
    checks.put(name, check);
    return this;
  }

  /** Completes with each check's result; a check that fails or times out reports false. */
  public CompletableFuture<Map<String, Boolean>> check() {
    Map<String, Supplier<CompletableFuture<Boolean>>> snapshot;
    synchronized (this) {
      snapshot = new LinkedHashMap<>(checks);
    }
    Map<String, CompletableFuture<Boolean>> running = new LinkedHashMap<>();
    snapshot.forEach((name, check) -> running.put(name, run(name, check)));
    return CompletableFuture.allOf(running.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<String, Boolean> results = new LinkedHashMap<>();
      running.forEach((name, future) -> results.put(name, future.join()));
      return results;
    });
  }

  private CompletableFuture<Boolean> run(String name, Supplier<CompletableFuture<Boolean>> check) {
    Instant now = clock.instant();
    Cached cached = cache.get(name);
    if (cached != null && now.isBefore(cached.at().plus(cacheFor))) {
      return CompletableFuture.completedFuture(cached.ok());
    }
    // A future of our own: the check's may belong to a library that forbids completing it (Kafka's).
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    try {
      check.get().whenComplete((ok, error) -> result.complete(error == null && Boolean.TRUE.equals(ok)));
    } catch (RuntimeException e) {
      result.complete(false);
    }
    return result.completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(ok -> {
          cache.put(name, new Cached(ok, clock.instant()));
          return ok;
        });
  }

  private record Cached(boolean ok, Instant at) {
  }
}
