package io.sessionflow.ingest;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.runtime.StageProcessConfig;
import io.sessionflow.ingest.auth.AuthConfig;
import io.sessionflow.ingest.imports.ImportLimits;
import io.sessionflow.ingest.limits.LimitSettings;
import io.sessionflow.ingest.upload.UploadSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The ingest's settings, read once at start-up.
 *
 * @param pipeline           Kafka, storage and KEK
 * @param port               port of the public API (and /health/*; /metrics there needs an ops token)
 * @param opsPort            port of /health/* and an unauthenticated /metrics, for the cluster only
 * @param bindHost           address to bind to
 * @param auth               how bearer tokens are verified
 * @param corsAllowedOrigins exact origins browser apps may call the API from; empty: none
 * @param corsAllowedHeaders request headers of the apps' own a preflight allows, beside tus's and the API's
 * @param uploads            upload limits, expiry and memory budget
 * @param imports            archive import limits
 * @param limits             rate limits, quotas and fair shares of upload memory, per user and practice
 * @param webhooks           where webhooks may go, how long they are retried
 */
public record IngestConfig(PipelineConfig pipeline, int port, int opsPort, String bindHost, AuthConfig auth,
    List<String> corsAllowedOrigins, List<String> corsAllowedHeaders, UploadSettings uploads, ImportLimits imports,
    LimitSettings limits,
    io.sessionflow.ingest.webhook.WebhookSettings webhooks) {

  public static final Setting<Integer> PORT = Setting.port("port", "HTTP_PORT", 8080,
      "Port of the public API, /health/*, /dashboard and /metrics (there with an ops token only)");
  public static final Setting<List<String>> CORS_ALLOWED_ORIGINS = Setting.string("cors-allowed-origins",
      "CORS_ALLOWED_ORIGINS", "", "Comma-separated exact origins (https://app.example.com) browser apps may call "
          + "/v1 and /files from; empty: no cross-origin access").map(IngestConfig::parseOrigins);
  public static final Setting<List<String>> CORS_ALLOWED_HEADERS = Setting.string("cors-allowed-headers",
      "CORS_ALLOWED_HEADERS", "", "Comma-separated request headers of your apps' own (X-App-Version) a browser "
          + "may send cross-origin, beside tus's, the resumable-upload draft's and X-Request-ID")
      .map(IngestConfig::parseHeaderNames);

  public static final List<Setting<?>> SETTINGS = PipelineConfig.concat(PipelineConfig.SETTINGS,
      List.of(PORT, StageProcessConfig.OPS_PORT, StageProcessConfig.BIND_HOST, CORS_ALLOWED_ORIGINS,
          CORS_ALLOWED_HEADERS),
      AuthConfig.SETTINGS, UploadSettings.SETTINGS, ImportLimits.SETTINGS, LimitSettings.SETTINGS,
      io.sessionflow.ingest.webhook.WebhookSettings.SETTINGS);

  public IngestConfig {
    corsAllowedOrigins = List.copyOf(corsAllowedOrigins);
    corsAllowedHeaders = List.copyOf(corsAllowedHeaders);
  }

  /** The ops port at its default, no CORS origins and every limit at its default. */
  public IngestConfig(PipelineConfig pipeline, int port, String bindHost, AuthConfig auth, UploadSettings uploads,
      ImportLimits imports) {
    this(pipeline, port, Integer.parseInt(StageProcessConfig.OPS_PORT.defaultValue()), bindHost, auth, List.of(),
        List.of(), uploads, imports, LimitSettings.defaults(),
        io.sessionflow.ingest.webhook.WebhookSettings.defaults());
  }

  public static IngestConfig from(ConfigSource source) {
    return new IngestConfig(PipelineConfig.from(source), source.get(PORT), source.get(StageProcessConfig.OPS_PORT),
        source.get(StageProcessConfig.BIND_HOST), AuthConfig.from(source), source.get(CORS_ALLOWED_ORIGINS),
        source.get(CORS_ALLOWED_HEADERS),
        UploadSettings.from(source), ImportLimits.from(source), LimitSettings.from(source),
        io.sessionflow.ingest.webhook.WebhookSettings.from(source));
  }

  /** HTTP header names (RFC 9110 tokens); never a wildcard. */
  static List<String> parseHeaderNames(String raw) {
    List<String> names = new ArrayList<>();
    for (String part : raw.split(",")) {
      String name = part.trim();
      if (name.isEmpty()) {
        continue;
      }
      if (!name.matches("[A-Za-z0-9!#$%&'+.^_`|~-]{1,64}")) {
        throw new IllegalArgumentException("expected header names such as X-App-Version, separated by commas "
            + "(no wildcard); got '" + name + "'");
      }
      names.add(name);
    }
    return List.copyOf(names);
  }

  /** Exact origins only: scheme, host and optional port; never {@code null} or a wildcard. */
  static List<String> parseOrigins(String raw) {
    List<String> origins = new ArrayList<>();
    for (String part : raw.split(",")) {
      String origin = part.trim().toLowerCase(Locale.ROOT);
      if (origin.isEmpty()) {
        continue;
      }
      if (!origin.matches("https?://[a-z0-9.-]+(:[0-9]{1,5})?") && !origin.matches("https?://\\[[0-9a-f:.]+\\]"
          + "(:[0-9]{1,5})?")) {
        throw new IllegalArgumentException("expected exact origins such as https://app.example.com, separated by "
            + "commas (no path, no wildcard, never null); got '" + part.trim() + "'");
      }
      origins.add(origin);
    }
    return List.copyOf(origins);
  }
}
