package io.sessionflow.ingest.upload;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import java.time.Duration;
import java.util.List;

/**
 * Limits and timings of uploads.
 *
 * @param maxSize      largest upload accepted (Tus-Max-Size)
 * @param expiry       an unfinished upload untouched this long expires (410) and is cleaned up
 * @param memoryBudget bytes all upload buffers together may hold; beyond it requests wait
 */
public record UploadSettings(long maxSize, Duration expiry, long memoryBudget) {

  public static final Setting<Long> MAX_SIZE = Setting.bytes("upload-max-size", "UPLOAD_MAX_SIZE", "4GiB", 1,
      1L << 40, "Largest recording accepted, advertised as Tus-Max-Size");
  public static final Setting<Duration> EXPIRY = Setting.duration("upload-expiry", "UPLOAD_EXPIRY", "24h",
      "An unfinished upload untouched this long expires and is deleted");
  public static final Setting<Long> MEMORY_BUDGET = Setting.bytes("upload-memory-budget", "UPLOAD_MEMORY_BUDGET",
      "512MiB", 16L << 20, 1L << 40, "Memory all upload buffers may hold together; beyond it uploads wait");

  public static final List<Setting<?>> SETTINGS = List.of(MAX_SIZE, EXPIRY, MEMORY_BUDGET);

  public static UploadSettings from(ConfigSource source) {
    return new UploadSettings(source.get(MAX_SIZE), source.get(EXPIRY), source.get(MEMORY_BUDGET));
  }
}
