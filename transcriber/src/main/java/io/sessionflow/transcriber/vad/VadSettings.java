package io.sessionflow.transcriber.vad;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import io.sessionflow.transcriber.decode.AudioDecoder;
import java.time.Duration;
import java.util.List;

/**
 * How the voice-activity model segments a recording (README: Segmentation).
 *
 * @param enabled    windows from speech; off, the recording is cut every 30 s as before
 * @param threshold  speech probability from which a 32-ms frame is speech (leaving speech takes 0.15 less)
 * @param minPause   the shortest silence that ends a region and may end a window
 * @param maxSilence silence longer than this is not sent to Whisper
 * @param model      path of a Silero VAD v5 ONNX model; empty: the one built into the jar
 */
public record VadSettings(boolean enabled, double threshold, Duration minPause, Duration maxSilence, String model) {
  public static final VadSettings DEFAULTS = new VadSettings(true, 0.5, Duration.ofMillis(200), Duration.ofSeconds(2),
      "");

  public VadSettings {
    if (!(threshold >= 0.05 && threshold <= 0.95)) {
      throw new IllegalArgumentException("VAD_THRESHOLD: expected a probability from 0.05 to 0.95");
    }
    if (minPause.compareTo(Duration.ofMillis(50)) < 0 || minPause.compareTo(Duration.ofSeconds(2)) > 0) {
      throw new IllegalArgumentException("VAD_MIN_PAUSE: expected a duration from 50ms to 2s");
    }
    if (maxSilence.compareTo(Duration.ofSeconds(1)) < 0 || maxSilence.compareTo(Duration.ofMinutes(10)) > 0
        || maxSilence.compareTo(minPause) <= 0) {
      throw new IllegalArgumentException("VAD_MAX_SILENCE: expected a duration from 1s to 10m, above VAD_MIN_PAUSE");
    }
  }

  public static final Setting<Boolean> ENABLED = Setting.bool("vad", "VAD", true,
      "Cut windows at pauses found by the voice-activity model and skip long silence; false: fixed 30-s windows");
  public static final Setting<Double> THRESHOLD = Setting.string("vad-threshold", "VAD_THRESHOLD", "0.5",
      "Speech probability from which a 32-ms frame counts as speech (0.05 to 0.95)").map(VadSettings::probability);
  public static final Setting<Duration> MIN_PAUSE = Setting.duration("vad-min-pause", "VAD_MIN_PAUSE", "200ms",
      "Shortest silence that ends a speech region and may end a window (50ms to 2s)")
      .map(d -> within(d, Duration.ofMillis(50), Duration.ofSeconds(2), "50ms to 2s"));
  public static final Setting<Duration> MAX_SILENCE = Setting.duration("vad-max-silence", "VAD_MAX_SILENCE", "2s",
      "Silence longer than this is not sent to Whisper (1s to 10m)")
      .map(d -> within(d, Duration.ofSeconds(1), Duration.ofMinutes(10), "1s to 10m"));
  public static final Setting<String> MODEL = Setting.string("vad-model", "VAD_MODEL", "",
      "Path of a Silero VAD v5 ONNX model; empty uses the one built into the jar");

  public static final List<Setting<?>> SETTINGS = List.of(ENABLED, THRESHOLD, MIN_PAUSE, MAX_SILENCE, MODEL);

  public static VadSettings from(ConfigSource source) {
    Duration minPause = source.get(MIN_PAUSE);
    Duration maxSilence = source.get(MAX_SILENCE);
    if (maxSilence.compareTo(minPause) <= 0) {
      throw new ConfigException("Invalid setting --" + MAX_SILENCE.flag() + " (env " + MAX_SILENCE.env() + ") = "
          + "'" + maxSilence.toMillis() + "ms': expected more than --" + MIN_PAUSE.flag() + " (" + minPause.toMillis()
          + "ms)");
    }
    return new VadSettings(source.get(ENABLED), source.get(THRESHOLD), minPause, maxSilence,
        source.get(MODEL).trim());
  }

  private static Duration within(Duration value, Duration min, Duration max, String range) {
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException("expected a duration from " + range);
    }
    return value;
  }

  long minPauseSamples() {
    return minPause.toMillis() * AudioDecoder.SAMPLE_RATE / 1000;
  }

  long maxSilenceSamples() {
    return maxSilence.toMillis() * AudioDecoder.SAMPLE_RATE / 1000;
  }

  private static double probability(String raw) {
    double value;
    try {
      value = Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a probability such as 0.5", e);
    }
    if (!(value >= 0.05 && value <= 0.95)) {
      throw new IllegalArgumentException("expected a probability from 0.05 to 0.95");
    }
    return value;
  }
}
