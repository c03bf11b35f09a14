package io.sessionflow.common.runtime;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import java.util.List;

/**
 * What every stage process is configured with: the pipeline's connections and where its
 * health and metrics endpoints listen. A stage's own config record adds its settings to these.
 */
public record StageProcessConfig(PipelineConfig pipeline, int opsPort, String bindHost) {

  public static final Setting<Integer> OPS_PORT = Setting.port("ops-port", "OPS_PORT", 8081,
      "Port of /health/live, /health/ready and /metrics");
  public static final Setting<String> BIND_HOST = Setting.string("bind-host", "BIND_HOST", "0.0.0.0",
      "Address the HTTP server binds to");

  public static final List<Setting<?>> SETTINGS = PipelineConfig.concat(PipelineConfig.SETTINGS,
      List.of(OPS_PORT, BIND_HOST));

  public static StageProcessConfig from(ConfigSource source) {
    return new StageProcessConfig(PipelineConfig.from(source), source.get(OPS_PORT), source.get(BIND_HOST));
  }
}
