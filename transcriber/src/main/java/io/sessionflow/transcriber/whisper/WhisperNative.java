package io.sessionflow.transcriber.whisper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The JNI entry points of {@code libsessionflow_whisper.so} (transcriber/native), the binding
 * to whisper.cpp built from its pinned source by this module's build. Handles are the native
 * pointers; {@link WhisperEngine} owns them and frees each exactly once. Nothing here is
 * stateful on the Java side except loading the libraries, once per process.
 *
 * <p>The libraries come from the jar (extracted to a private temporary directory) unless
 * {@code WHISPER_LIBRARY_DIR} (or {@code -Dsessionflow.whisper.libdir}) names a directory with a
 * build of its own, such as the transcriber image's CUDA build.
 */
public final class WhisperNative {
  static final String RESOURCES = "/io/sessionflow/transcriber/whisper/native/";
  static final String BINDING = "libsessionflow_whisper.so";
  private static Path directory;

  private WhisperNative() {
  }

  /** Loads the libraries and ggml's backends once; returns the directory they came from. */
  public static synchronized Path load() {
    if (directory == null) {
      String configured = System.getProperty("sessionflow.whisper.libdir",
          System.getenv().getOrDefault("WHISPER_LIBRARY_DIR", ""));
      Path dir = configured.isBlank() ? extract() : Path.of(configured);
      if (!Files.isRegularFile(dir.resolve(BINDING))) {
        throw new WhisperNativeException("no " + BINDING + " in " + dir
            + " (build it with transcriber/native/build.sh, or unset WHISPER_LIBRARY_DIR)");
      }
      try {
        System.load(dir.resolve(BINDING).toAbsolutePath().toString());
      } catch (UnsatisfiedLinkError e) {
        throw new WhisperNativeException("whisper.cpp's libraries in " + dir + " do not load: " + e.getMessage());
      }
      loadBackends(dir.toAbsolutePath().toString());
      directory = dir;
    }
    return directory;
  }

  /** The libraries in this jar, copied into a directory only this process uses. */
  private static Path extract() {
    try (InputStream index = WhisperNative.class.getResourceAsStream(RESOURCES + "index")) {
      if (index == null) {
        throw new WhisperNativeException("this build carries no whisper.cpp libraries (" + RESOURCES
            + "index is missing); build the transcriber with Maven on Linux x86-64");
      }
      List<String> names = new ArrayList<>();
      for (String line : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.contains(".so")) {
          names.add(line.strip());
        }
      }
      Path dir = Files.createTempDirectory("sessionflow-whisper-");
      dir.toFile().deleteOnExit();
      for (String name : names) {
        Path target = dir.resolve(name);
        try (InputStream library = WhisperNative.class.getResourceAsStream(RESOURCES + name)) {
          if (library == null) {
            throw new WhisperNativeException("the jar's whisper.cpp index names " + name + " but it is missing");
          }
          Files.copy(library, target, StandardCopyOption.REPLACE_EXISTING);
        }
        target.toFile().deleteOnExit();
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack whisper.cpp's libraries into the temporary directory", e);
    }
  }

  static native void loadBackends(String dir);

  /** whisper.cpp's version, such as {@code 1.9.1}. */
  public static native String version();

  /** The devices the loaded ggml backends offer and whisper.cpp's CPU feature line. */
  public static native String systemInfo();

  static native long initContext(String model, boolean useGpu, int gpuDevice, boolean flashAttention);

  static native void freeContext(long context);

  static native boolean multilingual(long context);

  static native String modelType(long context);

  static native long initState(long context);

  static native void freeState(long state);

  static native void abort(long state);

  /**
   * whisper_full_with_state on {@code count} samples; returns the number of segments.
   *
   * @param fallback    retry a window at higher temperatures when decoding looks degenerate
   * @param fixedTokens decode exactly this many text tokens per window (benchmarks); 0 = the model decides
   * @param script      force exactly these token ids (tests); null = the model decides
   */
  static native int full(long context, long state, float[] samples, int count, int threads, String language,
      int beamSize, boolean fallback, int fixedTokens, int[] script);

  /** Segment start, in centiseconds from the window start. */
  static native long segmentStart(long state, int segment);

  static native long segmentEnd(long state, int segment);

  static native float segmentNoSpeech(long state, int segment);

  /** The segment's text as whisper.cpp's tokens concatenate it: UTF-8, possibly cut mid-character at its ends. */
  static native byte[] segmentText(long state, int segment);

  static native int segmentTokens(long state, int segment);

  /** The language of the last call (given or detected), or null. */
  static native String language(long state);

  /** {@code eot} or {@code beg} (the first timestamp token); -1 for other names. */
  static native int tokenId(long context, String name);
}
