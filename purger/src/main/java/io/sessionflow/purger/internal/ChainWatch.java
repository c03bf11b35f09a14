package io.sessionflow.purger.internal;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.purger.AuditChain;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-checks the audit chain as it grows: each pass reads the entries added since the last one and
 * checks that each sits at its sequence and links to the hash of the one before; every
 * {@link #FULL_EVERY}th pass starts again from the first entry, so an edit, removal or reordering
 * anywhere shows on the {@code sessionflow_audit_chain_broken} gauge (alerted on). The auditor's
 * check, with the topic copy, is {@code verify-audit}.
 */
public final class ChainWatch {
  private static final Logger LOG = LoggerFactory.getLogger(ChainWatch.class);
  private final AuditChain chain;
  private final AtomicLong verified = new AtomicLong();
  private final AtomicInteger broken = new AtomicInteger();
  /** Passes between two full re-checks (with a one-minute sweep, about hourly). */
  public static final int FULL_EVERY = 60;
  private final AtomicBoolean running = new AtomicBoolean();
  private String lastHash = AuditChain.GENESIS;
  private long passes;

  public ChainWatch(AuditChain chain, MeterRegistry registry) {
    this.chain = chain;
    Gauge.builder("sessionflow.audit.chain.verified.entries", verified, AtomicLong::get)
        .description("Audit chain entries whose links this purger has verified").register(registry);
    Gauge.builder("sessionflow.audit.chain.broken", broken, AtomicInteger::get)
        .description("1 when a verified audit chain entry no longer links (alert), else 0").register(registry);
  }

  /** Verifies the entries added since the last pass; completes when done (never fails). */
  public CompletableFuture<Void> check() {
    if (!running.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    if (passes++ % FULL_EVERY == 0) {
      lastHash = AuditChain.GENESIS;
      verified.set(0);
    }
    return chain.size().thenCompose(size -> next(verified.get(), size)).exceptionally(error -> {
      LOG.warn("audit chain check failed: {}; next sweep retries", Failures.reason(error));
      return null;
    }).whenComplete((ok, error) -> running.set(false));
  }

  /** Verifies from {@code sequence} up to {@code head} (the chain's size when the pass began). */
  private CompletableFuture<Void> next(long sequence, long head) {
    if (sequence >= head) {
      return CompletableFuture.completedFuture(null);
    }
    return chain.read(sequence).thenCompose(entry -> {
      if (!links(entry, sequence)) {
        return broken(sequence);
      }
      lastHash = entry.hash();
      verified.set(sequence + 1);
      return next(sequence + 1, head);
    }).exceptionallyCompose(error -> Failures.unwrap(error) instanceof StorageException se && se.isNotFound()
        ? broken(sequence) : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private boolean links(AuditChain.Entry entry, long sequence) {
    try {
      return entry.json().path("sequence").asLong(-1) == sequence
          && lastHash.equals(entry.json().path("previousHash").asText());
    } catch (RuntimeException notJson) {
      return false;
    }
  }

  private CompletableFuture<Void> broken(long sequence) {
    if (broken.getAndSet(1) == 0) {
      LOG.error("audit chain broken at entry {} (altered, removed or reordered): run verify-audit", sequence);
    }
    return CompletableFuture.completedFuture(null);
  }
}
