package io.sessionflow.ingest.limits;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import io.sessionflow.ingest.upload.MemoryBudget;
import java.util.List;
import java.util.Map;

/**
 * Rate limits, quotas and fair shares of the upload memory budget, per user and per practice.
 * Counted in memory by each ingest replica: with N replicas behind a balancer a tenant may get up
 * to N times these figures.
 *
 * @param userUploads              uploads in progress one user may have (tus created-not-finished + PUTs)
 * @param practiceUploads          uploads in progress one practice may have
 * @param userUploadBytes          total Upload-Length of one user's uploads in progress
 * @param practiceUploadBytes      total Upload-Length of one practice's uploads in progress
 * @param userCreationsPerMinute   uploads one user may start per minute (burst up to the same number)
 * @param practiceCreationsPerMinute uploads one practice may start per minute
 * @param userConsentsPerMinute    consents one user may record per minute
 * @param practiceConsentsPerMinute consents one practice may record per minute
 * @param memory                   how the upload memory budget is shared
 */
public record LimitSettings(int userUploads, int practiceUploads, long userUploadBytes, long practiceUploadBytes,
    int userCreationsPerMinute, int practiceCreationsPerMinute, int userConsentsPerMinute,
    int practiceConsentsPerMinute, MemoryBudget.Shares memory) {

  public static final Setting<Integer> USER_UPLOADS = Setting.integer("limit-user-uploads", "LIMIT_USER_UPLOADS",
      32, 1, 100_000, "Uploads in progress one user may have at once (tus uploads created and not finished, "
          + "plus streaming uploads); beyond it 429");
  public static final Setting<Integer> PRACTICE_UPLOADS = Setting.integer("limit-practice-uploads",
      "LIMIT_PRACTICE_UPLOADS", 256, 1, 1_000_000, "Uploads in progress one practice may have at once; beyond it 429");
  public static final Setting<Long> USER_UPLOAD_BYTES = Setting.bytes("limit-user-upload-bytes",
      "LIMIT_USER_UPLOAD_BYTES", "16GiB", 1, 1L << 50,
      "Total declared size (Upload-Length) of one user's uploads in progress; beyond it 429");
  public static final Setting<Long> PRACTICE_UPLOAD_BYTES = Setting.bytes("limit-practice-upload-bytes",
      "LIMIT_PRACTICE_UPLOAD_BYTES", "64GiB", 1, 1L << 50,
      "Total declared size (Upload-Length) of one practice's uploads in progress; beyond it 429");
  public static final Setting<Integer> USER_CREATIONS = Setting.integer("limit-user-uploads-per-minute",
      "LIMIT_USER_UPLOADS_PER_MINUTE", 120, 1, 1_000_000, "Uploads one user may start per minute; beyond it 429");
  public static final Setting<Integer> PRACTICE_CREATIONS = Setting.integer("limit-practice-uploads-per-minute",
      "LIMIT_PRACTICE_UPLOADS_PER_MINUTE", 1200, 1, 10_000_000,
      "Uploads one practice may start per minute; beyond it 429");
  public static final Setting<Integer> USER_CONSENTS = Setting.integer("limit-user-consents-per-minute",
      "LIMIT_USER_CONSENTS_PER_MINUTE", 30, 1, 1_000_000, "Consents one user may record per minute; beyond it 429");
  public static final Setting<Integer> PRACTICE_CONSENTS = Setting.integer("limit-practice-consents-per-minute",
      "LIMIT_PRACTICE_CONSENTS_PER_MINUTE", 300, 1, 10_000_000,
      "Consents one practice may record per minute; beyond it 429");
  public static final Setting<Integer> MEMORY_PRACTICE_SHARE = Setting.integer("upload-memory-practice-share",
      "UPLOAD_MEMORY_PRACTICE_SHARE", 50, 1, 100,
      "Percent of the upload memory budget one practice may hold while others wait for memory");
  public static final Setting<Integer> MEMORY_USER_SHARE = Setting.integer("upload-memory-user-share",
      "UPLOAD_MEMORY_USER_SHARE", 25, 1, 100,
      "Percent of the upload memory budget one user may hold while others wait for memory");
  public static final Setting<Integer> MEMORY_RESERVE = Setting.integer("upload-memory-reserve",
      "UPLOAD_MEMORY_RESERVE", 10, 0, 90, "Percent of the upload memory budget kept free for other tenants while "
          + "one tenant alone uses more than its share");

  public static final List<Setting<?>> SETTINGS = List.of(USER_UPLOADS, PRACTICE_UPLOADS, USER_UPLOAD_BYTES,
      PRACTICE_UPLOAD_BYTES, USER_CREATIONS, PRACTICE_CREATIONS, USER_CONSENTS, PRACTICE_CONSENTS,
      MEMORY_PRACTICE_SHARE, MEMORY_USER_SHARE, MEMORY_RESERVE);

  public static LimitSettings from(ConfigSource source) {
    LimitSettings settings = new LimitSettings(source.get(USER_UPLOADS), source.get(PRACTICE_UPLOADS),
        source.get(USER_UPLOAD_BYTES), source.get(PRACTICE_UPLOAD_BYTES), source.get(USER_CREATIONS),
        source.get(PRACTICE_CREATIONS), source.get(USER_CONSENTS), source.get(PRACTICE_CONSENTS),
        new MemoryBudget.Shares(source.get(MEMORY_PRACTICE_SHARE), source.get(MEMORY_USER_SHARE),
            source.get(MEMORY_RESERVE)));
    if (settings.memory().userPercent() > settings.memory().practicePercent()) {
      throw new ConfigException("Invalid setting --" + MEMORY_USER_SHARE.flag() + " (env " + MEMORY_USER_SHARE.env()
          + ") = " + settings.memory().userPercent() + ": expected at most --" + MEMORY_PRACTICE_SHARE.flag() + " ("
          + settings.memory().practicePercent() + ")");
    }
    return settings;
  }

  /** Every setting at its default. */
  public static LimitSettings defaults() {
    return from(ConfigSource.of(Map.of(), Map.of()));
  }
}
