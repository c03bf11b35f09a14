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
 * <p>The libraries come from the jar (unpacked once per build into the temporary directory) unless
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

  /**
   * The libraries in this jar, unpacked into {@code java.io.tmpdir/sessionflow-whisper-BUILD}
   * (BUILD: the digest the index starts with). A restarted process finds them there instead of
   * unpacking another 16 MiB into a memory-backed /tmp each time; the directory is only used if
   * it is this user's own, closed to others, and holds every file at its size.
   */
  private static Path extract() {
    try (InputStream index = WhisperNative.class.getResourceAsStream(RESOURCES + "index")) {
      if (index == null) {
        throw new WhisperNativeException("this build carries no whisper.cpp libraries (" + RESOURCES
            + "index is missing); build the transcriber with Maven on Linux x86-64");
      }
      String build = "unknown";
      List<String> names = new ArrayList<>();
      for (String line : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("# build ")) {
          build = line.substring("# build ".length()).strip();
        } else if (line.contains(".so")) {
          names.add(line.strip());
        }
      }
      Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
      Path shared = tmp.resolve("sessionflow-whisper-" + build.replaceAll("[^0-9a-f]", ""));
      // Ours: created just now, so its owner is this process's user, passwd entry or not.
      Path dir = Files.createTempDirectory(tmp, "sessionflow-whisper-unpacking-");
      if (complete(shared, names, Files.getOwner(dir))) {
        Files.delete(dir);
        return shared;
      }
      for (String name : names) {
        try (InputStream library = WhisperNative.class.getResourceAsStream(RESOURCES + name)) {
          if (library == null) {
            throw new WhisperNativeException("the jar's whisper.cpp index names " + name + " but it is missing");
          }
          Files.copy(library, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      if (build.equals("unknown")) {
        return dir;
      }
      try {
        Files.move(dir, shared, StandardCopyOption.ATOMIC_MOVE);
        return shared;
      } catch (IOException taken) {
        // Another process unpacked the same build first: use its copy if it is sound, else ours.
        if (complete(shared, names, Files.getOwner(dir))) {
          deleteTree(dir);
          return shared;
        }
        return dir;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack whisper.cpp's libraries into the temporary directory", e);
    }
  }

  /** {@code dir} is ours alone (owner only) and holds every library the jar has, at its size. */
  private static boolean complete(Path dir, List<String> names, java.nio.file.attribute.UserPrincipal owner)
      throws IOException {
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)
        || !Files.getOwner(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS).equals(owner)
        || !Files.getPosixFilePermissions(dir).equals(java.nio.file.attribute.PosixFilePermissions.fromString(
            "rwx------"))) {
      return false;
    }
    for (String name : names) {
      Path file = dir.resolve(name);
      java.net.URL resource = WhisperNative.class.getResource(RESOURCES + name);
      if (resource == null || !Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
          || Files.size(file) != resource.openConnection().getContentLengthLong()) {
        return false;
      }
    }
    return true;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(file);
      }
    }
    Files.deleteIfExists(dir);
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
