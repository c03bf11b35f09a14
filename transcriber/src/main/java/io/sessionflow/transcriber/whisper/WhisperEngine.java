package io.sessionflow.transcriber.whisper;

import io.sessionflow.common.failure.SessionflowException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * whisper.cpp through Sessionflow's own binding ({@link WhisperNative}): the model is loaded
 * once per process into one context; each worker slot is a {@link Slot} with its own
 * whisper_state on that context, so slots transcribe in parallel without sharing anything
 * mutable. Native memory is owned here and freed exactly once: a slot frees its state after its
 * running call (told to abort) has returned, the engine frees the context after every slot.
 */
public final class WhisperEngine implements AutoCloseable {
  private final long context;
  private final WhisperSettings settings;
  private final String modelName;
  private final String engine;
  private final String language;
  private final Object lifecycle = new Object();
  private final Set<Slot> open = new HashSet<>();
  private boolean closed;

  private WhisperEngine(long context, WhisperSettings settings, String modelName, String engine) {
    this.context = context;
    this.settings = settings;
    this.modelName = modelName;
    this.engine = engine;
    // An English-only model (ggml-base.en.bin) has no language tokens to detect with.
    this.language = WhisperNative.multilingual(context) ? settings.language() : "en";
  }

  /** Loads {@code model}; a missing, corrupt or truncated file fails with whisper.cpp's reason. */
  public static WhisperEngine load(Path model, WhisperSettings settings) {
    String name = model.getFileName().toString();
    if (!Files.isRegularFile(model) || !Files.isReadable(model)) {
      throw new EngineException("the model " + name + " is not a readable file", null);
    }
    try {
      WhisperNative.load();
      long context = WhisperNative.initContext(model.toAbsolutePath().toString(), settings.gpu(),
          settings.gpuDevice(), settings.flashAttention());
      String system = WhisperNative.systemInfo();
      String devices = devices(system);
      if (settings.gpu() && !devices.matches("(?s).*\\b(CUDA|ROCm|Vulkan|Metal|SYCL)\\d*\\b.*")) {
        // ggml skips a GPU backend it cannot load (no driver, no CUDA runtime) without a word.
        WhisperNative.freeContext(context);
        throw new EngineException("WHISPER_GPU is true but the loaded whisper.cpp build offers no GPU (devices: "
            + devices + "); use the CUDA build (WHISPER_LIBRARY_DIR) on a node with an NVIDIA driver, or set "
            + "WHISPER_GPU=false", null);
      }
      String engine = "whisper.cpp " + WhisperNative.version() + " (" + WhisperNative.modelType(context) + "; "
          + describe(system) + "; flash attention " + (settings.flashAttention() ? "on" : "off") + ")";
      return new WhisperEngine(context, settings, name, engine);
    } catch (WhisperNativeException e) {
      throw new EngineException("whisper.cpp could not load the model " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * "CUDA0 (NVIDIA H200), CPU (Xeon) with AVX2 AVX512" from the binding's system line (devices,
   * then whisper.cpp's "NAME = 1 | ..." feature list of the CPU backend ggml chose).
   */
  static String describe(String systemInfo) {
    String devices = devices(systemInfo);
    int cpu = systemInfo.indexOf("CPU : ");
    StringBuilder features = new StringBuilder();
    if (cpu >= 0) {
      java.util.regex.Matcher on = java.util.regex.Pattern.compile("(\\w+) = 1").matcher(systemInfo.substring(cpu));
      while (on.find()) {
        features.append(features.length() == 0 ? "" : " ").append(on.group(1));
      }
    }
    return features.length() == 0 ? devices : devices + " with " + features;
  }

  /** The device list the binding's system line starts with, before whisper.cpp's own " | " fields. */
  private static String devices(String systemInfo) {
    int bar = systemInfo.indexOf(" | ");
    return bar < 0 ? systemInfo : systemInfo.substring(0, bar);
  }

  public String modelName() {
    return modelName;
  }

  /** whisper.cpp's version, the model's type, the devices it runs on and the CPU features. */
  public String engine() {
    return engine;
  }

  /** A special token's id ({@code eot}, {@code beg}), for scripted decoding in tests. */
  int tokenId(String name) {
    return WhisperNative.tokenId(context, name);
  }

  public Slot newSlot() {
    synchronized (lifecycle) {
      if (closed) {
        throw new EngineException("the engine is closed", null);
      }
      try {
        Slot slot = new Slot(WhisperNative.initState(context));
        open.add(slot);
        return slot;
      } catch (WhisperNativeException e) {
        throw new EngineException("whisper.cpp could not create a worker state: " + e.getMessage(), e);
      }
    }
  }

  /** Stops running calls at their next step, frees every slot, then the model. Idempotent. */
  @Override
  public void close() {
    List<Slot> slots;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      slots = new ArrayList<>(open);
    }
    slots.forEach(Slot::close);
    synchronized (lifecycle) {
      WhisperNative.freeContext(context);
    }
  }

  /**
   * How a window is decoded. {@link #NORMAL} is what the transcriber uses; the others make
   * benchmarks and tests independent of what random weights happen to say.
   *
   * @param fallback    whisper.cpp's temperature fallback on degenerate output
   * @param fixedTokens exactly this many text tokens per window (0: until the model ends it)
   * @param script      exactly these token ids, then the end (null: the model chooses)
   */
  public record Decoding(boolean fallback, int fixedTokens, int[] script) {
    public static final Decoding NORMAL = new Decoding(true, 0, null);

    /** The same decoding work per window whatever the weights: {@code tokens} text tokens, no fallback. */
    public static Decoding fixed(int tokens) {
      return new Decoding(false, tokens, null);
    }
  }

  /** One window's result: segments (window-relative seconds), the language, the tokens decoded. */
  public record Decoded(List<Segment> segments, String language, int tokens) {
  }

  /** One worker's whisper state. One call at a time; {@link #close} from any thread. */
  public final class Slot implements AutoCloseable {
    private final long state;
    private final ReentrantLock busy = new ReentrantLock();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final java.util.concurrent.CountDownLatch freed = new java.util.concurrent.CountDownLatch(1);

    private Slot(long state) {
      this.state = state;
    }

    /** Transcribes one window of 16 kHz mono samples; segment times are relative to the window start. */
    public List<Segment> transcribe(float[] samples, int count) {
      return decode(samples, count, Decoding.NORMAL).segments();
    }

    /**
     * The same with the detected language and the token count.
     *
     * @throws CancellationException when the engine closes during the call
     */
    public Decoded decode(float[] samples, int count, Decoding decoding) {
      busy.lock();
      try {
        if (closing.get()) {
          throw new CancellationException("the whisper engine is closed");
        }
        int n;
        try {
          n = WhisperNative.full(context, state, samples, count, settings.threads(), language,
              settings.beamSize(), decoding.fallback(), decoding.fixedTokens(), decoding.script());
        } catch (WhisperNativeException e) {
          if (closing.get()) {
            throw new CancellationException("the whisper engine closed during the call");
          }
          throw new EngineException(e.getMessage(), e);
        }
        return collect(n);
      } finally {
        busy.unlock();
      }
    }

    private Decoded collect(int n) {
      List<Segment> segments = new ArrayList<>(n);
      Utf8Carry text = new Utf8Carry();
      int tokens = 0;
      for (int i = 0; i < n; i++) {
        tokens += WhisperNative.segmentTokens(state, i);
        segments.add(new Segment(i, WhisperNative.segmentStart(state, i) / 100.0,
            WhisperNative.segmentEnd(state, i) / 100.0, text.next(WhisperNative.segmentText(state, i)), null,
            WhisperNative.segmentNoSpeech(state, i)));
      }
      String rest = text.rest();
      if (!rest.isEmpty() && !segments.isEmpty()) {
        Segment last = segments.remove(segments.size() - 1);
        segments.add(new Segment(last.id(), last.start(), last.end(), last.text() + rest, null, last.noSpeech()));
      }
      String language = WhisperNative.language(state);
      return new Decoded(segments, language == null ? WhisperEngine.this.language : language, tokens);
    }

    /**
     * Aborts a running call, waits for it to return, frees the state. Idempotent; a second
     * close (the engine's, say) returns only once the first has freed the state.
     */
    @Override
    public void close() {
      if (!closing.compareAndSet(false, true)) {
        awaitFreed();
        return;
      }
      WhisperNative.abort(state);
      busy.lock();
      try {
        WhisperNative.freeState(state);
      } finally {
        busy.unlock();
        freed.countDown();
      }
      synchronized (lifecycle) {
        open.remove(this);
      }
    }

    private void awaitFreed() {
      boolean interrupted = false;
      while (true) {
        try {
          freed.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Segment texts arrive as UTF-8 cut wherever whisper.cpp's tokens end, which can be inside a
   * character: the incomplete tail of one segment is carried into the next.
   */
  static final class Utf8Carry {
    private byte[] carry = new byte[0];

    String next(byte[] bytes) {
      byte[] all = carry.length == 0 ? bytes : concat(carry, bytes);
      int complete = completeLength(all);
      carry = Arrays.copyOfRange(all, complete, all.length);
      return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** What is still carried at the end (an unfinished character: U+FFFD). */
    String rest() {
      String rest = new String(carry, StandardCharsets.UTF_8);
      carry = new byte[0];
      return rest;
    }

    /** The length up to an unfinished character at the end (a lead byte whose continuation has not come). */
    static int completeLength(byte[] bytes) {
      for (int back = 1; back <= Math.min(3, bytes.length); back++) {
        int b = bytes[bytes.length - back] & 0xff;
        if ((b & 0xc0) == 0x80) {
          continue;
        }
        int needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        return needed > back ? bytes.length - back : bytes.length;
      }
      return bytes.length;
    }

    private static byte[] concat(byte[] a, byte[] b) {
      byte[] all = Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, all, a.length, b.length);
      return all;
    }
  }

  /** whisper.cpp refused a model or a window. */
  public static final class EngineException extends SessionflowException {
    private static final long serialVersionUID = 1L;

    EngineException(String message, Throwable cause) {
      super(message, false, cause);
    }
  }
}
