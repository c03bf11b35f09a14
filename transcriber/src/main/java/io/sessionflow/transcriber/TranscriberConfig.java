package io.sessionflow.transcriber;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.runtime.StageProcessConfig;
import io.sessionflow.transcriber.vad.VadSettings;
import io.sessionflow.transcriber.whisper.WhisperSettings;
import java.util.List;

/**
 * The transcriber's settings, read once at start-up.
 *
 * @param process     pipeline connections and the ops port
 * @param whisper     model and inference settings
 * @param slots       transcriptions at once (one whisper state each)
 * @param maxAttempts attempts per recording, counted durably across restarts, before it is dead-lettered
 * @param vad         how the voice-activity model cuts windows
 */
public record TranscriberConfig(StageProcessConfig process, WhisperSettings whisper, int slots, int maxAttempts,
    VadSettings vad) {

  /** With the voice-activity model's defaults. */
  public TranscriberConfig(StageProcessConfig process, WhisperSettings whisper, int slots, int maxAttempts) {
    this(process, whisper, slots, maxAttempts, VadSettings.DEFAULTS);
  }

  public static final Setting<Integer> SLOTS = Setting.integer("transcriber-slots", "TRANSCRIBER_SLOTS",
      Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 1, 256,
      "Transcriptions at once: one per GPU, or one per 2 CPU cores");
  public static final Setting<Integer> MAX_ATTEMPTS = Setting.integer("transcriber-max-attempts",
      "TRANSCRIBER_MAX_ATTEMPTS", 3, 1, 20, "Attempts per recording (across restarts) before it is dead-lettered");

  public static final List<Setting<?>> SETTINGS = PipelineConfig.concat(StageProcessConfig.SETTINGS,
      WhisperSettings.SETTINGS, VadSettings.SETTINGS, List.of(SLOTS, MAX_ATTEMPTS));

  public static TranscriberConfig from(ConfigSource source) {
    return new TranscriberConfig(StageProcessConfig.from(source), WhisperSettings.from(source), source.get(SLOTS),
        source.get(MAX_ATTEMPTS), VadSettings.from(source));
  }
}
