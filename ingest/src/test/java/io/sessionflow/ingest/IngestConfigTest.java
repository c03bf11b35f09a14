package io.sessionflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.runtime.StageProcessConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IngestConfigTest {
  @Test
  void corsOriginsAreNoneByDefaultAndExactOriginsOnly() {
    assertThat(ConfigSource.of(Map.of(), Map.of()).get(IngestConfig.CORS_ALLOWED_ORIGINS)).isEmpty();
    assertThat(ConfigSource.of(Map.of(), Map.of("CORS_ALLOWED_ORIGINS", " https://App.example , http://127.0.0.1:3000,"))
        .get(IngestConfig.CORS_ALLOWED_ORIGINS)).containsExactly("https://app.example", "http://127.0.0.1:3000");
    for (String bad : new String[] {"null", "*", "https://app.example/", "https://*.example", "app.example",
        "https://app.example/path", "file://x"}) {
      assertThatThrownBy(() -> ConfigSource.of(Map.of("cors-allowed-origins", bad), Map.of())
          .get(IngestConfig.CORS_ALLOWED_ORIGINS)).as(bad).isInstanceOf(ConfigException.class)
          .hasMessageContaining("CORS_ALLOWED_ORIGINS").hasMessageContaining("exact origins");
    }
  }

  @Test
  void appHeadersABrowserMaySendAreHeaderNamesOnly() {
    assertThat(ConfigSource.of(Map.of(), Map.of()).get(IngestConfig.CORS_ALLOWED_HEADERS)).isEmpty();
    assertThat(ConfigSource.of(Map.of("cors-allowed-headers", "X-App-Version, X-Client-Build"), Map.of())
        .get(IngestConfig.CORS_ALLOWED_HEADERS)).containsExactly("X-App-Version", "X-Client-Build");
    for (String bad : new String[] {"*", "X App", "X-App:1"}) {
      assertThatThrownBy(() -> ConfigSource.of(Map.of("cors-allowed-headers", bad), Map.of())
          .get(IngestConfig.CORS_ALLOWED_HEADERS)).as(bad).isInstanceOf(ConfigException.class)
          .hasMessageContaining("CORS_ALLOWED_HEADERS");
    }
  }

  @Test
  void theOpsPortIsASettingOfTheIngest() {
    assertThat(IngestConfig.SETTINGS).contains(StageProcessConfig.OPS_PORT, IngestConfig.CORS_ALLOWED_ORIGINS);
    assertThat(List.copyOf(IngestConfig.SETTINGS).stream().map(s -> s.env()).distinct().count())
        .isEqualTo(IngestConfig.SETTINGS.size());
  }
}
