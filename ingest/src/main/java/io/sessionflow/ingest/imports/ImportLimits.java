package io.sessionflow.ingest.imports;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import io.sessionflow.ingest.upload.CompletionPublisher;
import java.time.Duration;
import java.util.List;

/**
 * Limits that keep an archive from being a weapon, and keep imports fair and their reports small.
 *
 * @param maxEntryBytes      largest single recording in an archive
 * @param maxTotalBytes      most uncompressed bytes one archive may expand to
 * @param maxRatio           most uncompressed bytes per compressed byte (audio barely compresses)
 * @param perPractice        imports one practice may run at once; more answer 429
 * @param maxConcurrent      imports the whole ingest runs at once; more answer 429 (never queued)
 * @param idleTimeout        an import whose client sends nothing this long is stopped
 * @param reportTtl          how long a finished import's report can still be read
 * @param reportsPerPractice most reports kept per practice (oldest finished dropped first)
 * @param reportsTotal       most reports kept in all (oldest finished dropped first)
 * @param reportEntries      most stored and most refused entries listed per report (each); the rest are counted
 */
public record ImportLimits(long maxEntryBytes, long maxTotalBytes, int maxRatio, int perPractice, int maxConcurrent,
    Duration idleTimeout, Duration reportTtl, int reportsPerPractice, int reportsTotal, int reportEntries) {

  /**
   * How long an entry stored before its archive's manifest may wait, without a consent, for the
   * manifest. The purger's sweep (RawAudioInventory.IMPORT_CONSENT_GRACE, the same value) purges
   * it after that, and {@code verify-purge} fails on it; the import itself only announces entries
   * that waited less than half of it, so it never announces one the purger may be deleting.
   */
  public static final Duration PENDING_GRACE = CompletionPublisher.PENDING_GRACE;

  public static final Setting<Long> MAX_ENTRY = Setting.bytes("import-max-entry-size", "IMPORT_MAX_ENTRY_SIZE",
      "2GiB", 1, 1L << 40, "Largest recording inside an import archive");
  public static final Setting<Long> MAX_TOTAL = Setting.bytes("import-max-total-size", "IMPORT_MAX_TOTAL_SIZE",
      "200GiB", 1, 1L << 50, "Most bytes one import archive may expand to");
  public static final Setting<Integer> MAX_RATIO = Setting.integer("import-max-compression-ratio",
      "IMPORT_MAX_COMPRESSION_RATIO", 50, 2, 100_000,
      "Most expanded bytes per archive byte before an import is stopped as a decompression bomb");
  public static final Setting<Integer> PER_PRACTICE = Setting.integer("import-max-per-practice",
      "IMPORT_MAX_PER_PRACTICE", 1, 1, 1_000,
      "Imports one practice may run at once; another answers 429 with Retry-After");
  public static final Setting<Integer> MAX_CONCURRENT = Setting.integer("import-max-concurrent",
      "IMPORT_MAX_CONCURRENT", 32, 1, 10_000,
      "Imports the ingest runs at once over all practices; another answers 429 with Retry-After");
  public static final Setting<Duration> IDLE_TIMEOUT = Setting.duration("import-idle-timeout",
      "IMPORT_IDLE_TIMEOUT", "60s",
      "An import whose client sends nothing this long is stopped; entries stored before stay valid");
  public static final Setting<Duration> REPORT_TTL = Setting.duration("import-report-ttl", "IMPORT_REPORT_TTL",
      "24h", "How long a finished import's report (GET /v1/imports/{id}) is kept");
  public static final Setting<Integer> REPORTS_PER_PRACTICE = Setting.integer("import-reports-per-practice",
      "IMPORT_REPORTS_PER_PRACTICE", 20, 1, 100_000,
      "Most import reports kept per practice; the oldest finished is dropped first");
  public static final Setting<Integer> REPORTS_TOTAL = Setting.integer("import-reports-max", "IMPORT_REPORTS_MAX",
      200, 1, 1_000_000, "Most import reports kept in all; the oldest finished is dropped first");
  public static final Setting<Integer> REPORT_ENTRIES = Setting.integer("import-report-max-entries",
      "IMPORT_REPORT_MAX_ENTRIES", 1_000, 1, 1_000_000,
      "Most stored and most refused entries an import report lists (each); the rest are only counted");

  public static final List<Setting<?>> SETTINGS = List.of(MAX_ENTRY, MAX_TOTAL, MAX_RATIO, PER_PRACTICE,
      MAX_CONCURRENT, IDLE_TIMEOUT, REPORT_TTL, REPORTS_PER_PRACTICE, REPORTS_TOTAL, REPORT_ENTRIES);

  public static ImportLimits from(ConfigSource source) {
    Duration idle = source.get(IDLE_TIMEOUT);
    if (idle.compareTo(Duration.ofSeconds(1)) < 0) {
      throw invalid(IDLE_TIMEOUT, idle, "expected at least 1s");
    }
    Duration ttl = source.get(REPORT_TTL);
    if (ttl.isNegative() || ttl.isZero()) {
      throw invalid(REPORT_TTL, ttl, "expected a positive duration");
    }
    return new ImportLimits(source.get(MAX_ENTRY), source.get(MAX_TOTAL), source.get(MAX_RATIO),
        source.get(PER_PRACTICE), source.get(MAX_CONCURRENT), idle, ttl, source.get(REPORTS_PER_PRACTICE),
        source.get(REPORTS_TOTAL), source.get(REPORT_ENTRIES));
  }

  private static ConfigException invalid(Setting<?> setting, Object value, String expected) {
    return new ConfigException("Invalid setting --" + setting.flag() + " (env " + setting.env() + ") = " + value
        + ": " + expected);
  }
}
