package io.sessionflow.ingest;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.runtime.StageProcessConfig;
import io.sessionflow.ingest.auth.AuthConfig;
import io.sessionflow.ingest.imports.ImportLimits;
import io.sessionflow.ingest.limits.LimitSettings;
import io.sessionflow.ingest.upload.UploadSettings;
import java.util.List;

/**
 * The ingest's settings, read once at start-up.
 *
 * @param pipeline Kafka, storage and KEK
 * @param port     port of the public API (health and metrics are served on it too)
 * @param bindHost address to bind to
 * @param auth     how bearer tokens are verified
 * @param uploads  upload limits, expiry and memory budget
 * @param imports  archive import limits
 * @param limits   rate limits, quotas and fair shares of upload memory, per user and practice
 */
public record IngestConfig(PipelineConfig pipeline, int port, String bindHost, AuthConfig auth,
    UploadSettings uploads, ImportLimits imports, LimitSettings limits) {

  /** With every limit at its default. */
  public IngestConfig(PipelineConfig pipeline, int port, String bindHost, AuthConfig auth, UploadSettings uploads,
      ImportLimits imports) {
    this(pipeline, port, bindHost, auth, uploads, imports, LimitSettings.defaults());
  }

  public static final Setting<Integer> PORT = Setting.port("port", "HTTP_PORT", 8080,
      "Port of the public API, /health/*, /metrics and /dashboard");

  public static final List<Setting<?>> SETTINGS = PipelineConfig.concat(PipelineConfig.SETTINGS,
      List.of(PORT, StageProcessConfig.BIND_HOST), AuthConfig.SETTINGS, UploadSettings.SETTINGS, ImportLimits.SETTINGS,
      LimitSettings.SETTINGS);

  public static IngestConfig from(ConfigSource source) {
    return new IngestConfig(PipelineConfig.from(source), source.get(PORT), source.get(StageProcessConfig.BIND_HOST),
        AuthConfig.from(source), UploadSettings.from(source), ImportLimits.from(source),
        LimitSettings.from(source));
  }
}
