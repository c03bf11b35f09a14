package io.sessionflow.transcriber.whisper;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import java.util.List;

/**
 * How Whisper runs.
 *
 * @param model      path of a ggml model; empty means a generated random-weight model (tests, demo)
 * @param language   language code, or {@code auto} to detect
 * @param threads    CPU threads per transcription
 * @param beamSize   1 = greedy; more = beam search
 * @param gpu        run on a GPU backend when the loaded build has one (the image's CUDA build)
 * @param gpuDevice  which GPU, when there are several
 * @param flashAttention whisper.cpp's flash attention (its default since 1.8)
 */
public record WhisperSettings(String model, String language, int threads, int beamSize, boolean gpu, int gpuDevice,
    boolean flashAttention) {

  /** On GPU 0 with flash attention. */
  public WhisperSettings(String model, String language, int threads, int beamSize, boolean gpu) {
    this(model, language, threads, beamSize, gpu, 0, true);
  }

  public static final Setting<String> MODEL = Setting.string("model", "WHISPER_MODEL", "",
      "Path of a whisper.cpp ggml model; empty runs a generated random-weight model (no real transcripts)");
  public static final Setting<String> LANGUAGE = Setting.string("whisper-language", "WHISPER_LANGUAGE", "auto",
      "Language code such as en or de, or auto to detect").map(WhisperSettings::validateLanguage);
  public static final Setting<Integer> THREADS = Setting.integer("whisper-threads", "WHISPER_THREADS",
      Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), 1, 256,
      "CPU threads per transcription");
  public static final Setting<Integer> BEAM_SIZE = Setting.integer("whisper-beam-size", "WHISPER_BEAM_SIZE", 1, 1,
      16, "1 for greedy decoding, more for beam search");
  public static final Setting<Boolean> GPU = Setting.bool("whisper-gpu", "WHISPER_GPU", false,
      "Use the CUDA build of whisper.cpp (see README: GPU)");
  public static final Setting<Integer> GPU_DEVICE = Setting.integer("whisper-gpu-device", "WHISPER_GPU_DEVICE", 0,
      0, 64, "Which GPU whisper.cpp uses when there are several");
  public static final Setting<Boolean> FLASH_ATTENTION = Setting.bool("whisper-flash-attention",
      "WHISPER_FLASH_ATTENTION", true, "whisper.cpp's flash attention (faster on GPUs; see README: Speech engine)");

  public static final List<Setting<?>> SETTINGS = List.of(MODEL, LANGUAGE, THREADS, BEAM_SIZE, GPU, GPU_DEVICE,
      FLASH_ATTENTION);

  public static WhisperSettings from(ConfigSource source) {
    return new WhisperSettings(source.get(MODEL).trim(), source.get(LANGUAGE), source.get(THREADS),
        source.get(BEAM_SIZE), source.get(GPU), source.get(GPU_DEVICE), source.get(FLASH_ATTENTION));
  }

  private static String validateLanguage(String raw) {
    String value = raw.trim().toLowerCase(java.util.Locale.ROOT);
    if (!value.matches("auto|[a-z]{2,3}")) {
      throw new IllegalArgumentException("expected auto or a language code such as en");
    }
    return value;
  }
}
