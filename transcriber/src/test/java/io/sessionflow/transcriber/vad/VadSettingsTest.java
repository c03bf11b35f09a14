package io.sessionflow.transcriber.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The VAD's settings: defaults, and one line saying what is wrong with a bad value. */
class VadSettingsTest {
  @Test
  void defaults() {
    VadSettings settings = VadSettings.from(ConfigSource.of(Map.of(), Map.of()));
    assertThat(settings).isEqualTo(VadSettings.DEFAULTS);
    assertThat(settings.minPause()).isEqualTo(Duration.ofMillis(200));
    assertThat(settings.maxSilence()).isEqualTo(Duration.ofSeconds(2));
    assertThat(VadSettings.from(ConfigSource.of(Map.of(), Map.of("VAD", "false", "VAD_THRESHOLD", "0.6",
        "VAD_MAX_SILENCE", "5s"))).enabled()).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "VAD_THRESHOLD|high|--vad-threshold (env VAD_THRESHOLD) = 'high' from VAD_THRESHOLD: expected a probability",
      "VAD_THRESHOLD|1.5|expected a probability from 0.05 to 0.95",
      "VAD_MIN_PAUSE|10ms|--vad-min-pause (env VAD_MIN_PAUSE) = '10ms' from VAD_MIN_PAUSE: expected a duration",
      "VAD_MAX_SILENCE|1h|expected a duration from 1s to 10m",
      "VAD|maybe|expected true or false"})
  void aBadValueIsOneLineNamingTheSetting(String env, String value, String message) {
    assertThatThrownBy(() -> VadSettings.from(ConfigSource.of(Map.of(), Map.of(env, value))))
        .isInstanceOf(ConfigException.class).hasMessageContaining(message).message().doesNotContain("\n");
  }

  @Test
  void theLongestSilenceKeptMustExceedTheShortestPause() {
    assertThatThrownBy(() -> VadSettings.from(ConfigSource.of(Map.of(),
        Map.of("VAD_MIN_PAUSE", "2s", "VAD_MAX_SILENCE", "1s"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--vad-max-silence (env VAD_MAX_SILENCE) = '1000ms'")
        .hasMessageContaining("more than --vad-min-pause (2000ms)");
  }
}
