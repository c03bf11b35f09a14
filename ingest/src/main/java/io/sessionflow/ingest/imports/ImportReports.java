package io.sessionflow.ingest.imports;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The import reports this ingest keeps in memory, bounded: a finished report goes {@code ttl}
 * after its import ended, and past {@code perPractice} reports of one practice or {@code total}
 * in all the oldest finished one goes first. A running import's report is never dropped (their
 * number is bounded by the import slots). Expired reports are dropped whenever reports are added,
 * read or counted. Metrics: {@code sessionflow_import_reports} (kept) and
 * {@code sessionflow_import_reports_evicted_total{reason=expired|practice_cap|total_cap}}.
 */
final class ImportReports {
  private final Clock clock;
  private final Duration ttl;
  private final int perPractice;
  private final int total;
  private final Map<String, ImportStatus> reports = new LinkedHashMap<>();
  private final Counter expired;
  private final Counter practiceCap;
  private final Counter totalCap;

  ImportReports(Clock clock, Duration ttl, int perPractice, int total, MeterRegistry registry) {
    this.clock = clock;
    this.ttl = ttl;
    this.perPractice = perPractice;
    this.total = total;
    Gauge.builder("sessionflow.import.reports", this, ImportReports::size)
        .description("Import reports kept in memory (running and finished)").register(registry);
    this.expired = evicted(registry, "expired");
    this.practiceCap = evicted(registry, "practice_cap");
    this.totalCap = evicted(registry, "total_cap");
  }

  private static Counter evicted(MeterRegistry registry, String reason) {
    return Counter.builder("sessionflow.import.reports.evicted").tag("reason", reason)
        .description("Import reports dropped: expired, or the oldest finished past a cap").register(registry);
  }

  synchronized void add(ImportStatus status) {
    dropExpired();
    reports.put(status.id(), status);
    String practice = status.practiceId();
    while (reports.values().stream().filter(r -> r.practiceId().equals(practice)).count() > perPractice
        && dropOldestFinished(r -> r.practiceId().equals(practice))) {
      practiceCap.increment();
    }
    while (reports.size() > total && dropOldestFinished(r -> true)) {
      totalCap.increment();
    }
  }

  synchronized Optional<ImportStatus> find(String id) {
    dropExpired();
    return Optional.ofNullable(reports.get(id));
  }

  synchronized int size() {
    dropExpired();
    return reports.size();
  }

  private void dropExpired() {
    Instant now = clock.instant();
    int before = reports.size();
    reports.values().removeIf(r -> r.finishedAt() != null && !now.isBefore(r.finishedAt().plus(ttl)));
    for (int i = reports.size(); i < before; i++) {
      expired.increment();
    }
  }

  private boolean dropOldestFinished(Predicate<ImportStatus> among) {
    Optional<ImportStatus> oldest = reports.values().stream().filter(among).filter(r -> r.finishedAt() != null)
        .min(Comparator.comparing(ImportStatus::finishedAt));
    oldest.ifPresent(r -> reports.remove(r.id()));
    return oldest.isPresent();
  }
}
