package io.sessionflow.ingest.upload;

import io.sessionflow.common.config.ConfigException;
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
 * @param idleTimeout  a connection that moves no byte this long is closed; its upload keeps what arrived
 */
public record UploadSettings(long maxSize, Duration expiry, long memoryBudget, Duration idleTimeout) {

  public static final Setting<Long> MAX_SIZE = Setting.bytes("upload-max-size", "UPLOAD_MAX_SIZE", "4GiB", 1,
      1L << 40, "Largest recording accepted, advertised as Tus-Max-Size");
  public static final Setting<Duration> EXPIRY = Setting.duration("upload-expiry", "UPLOAD_EXPIRY", "24h",
      "An unfinished upload untouched this long expires and is deleted");
  public static final Setting<Long> MEMORY_BUDGET = Setting.bytes("upload-memory-budget", "UPLOAD_MEMORY_BUDGET",
      "512MiB", 16L << 20, 1L << 40, "Memory all upload buffers may hold together; beyond it uploads wait");

  public static final Setting<Duration> IDLE_TIMEOUT = Setting.duration("http-idle-timeout", "HTTP_IDLE_TIMEOUT",
      "60s", "A connection that sends and receives nothing this long is closed (a stalled upload keeps what "
          + "arrived and frees its memory and lock; the client resumes)");

  public static final List<Setting<?>> SETTINGS = List.of(MAX_SIZE, EXPIRY, MEMORY_BUDGET, IDLE_TIMEOUT);

  public static UploadSettings from(ConfigSource source) {
    Duration idle = source.get(IDLE_TIMEOUT);
    if (idle.isNegative() || idle.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("Invalid setting --" + IDLE_TIMEOUT.flag() + " (env " + IDLE_TIMEOUT.env() + ") = "
          + idle + ": expected at least 1s");
    }
    return new UploadSettings(source.get(MAX_SIZE), source.get(EXPIRY), source.get(MEMORY_BUDGET), idle);
  }
}
