package io.sessionflow.transcriber.whisper;

import io.github.givimad.whisperjni.WhisperContext;
import io.github.givimad.whisperjni.WhisperContextParams;
import io.github.givimad.whisperjni.WhisperFullParams;
import io.github.givimad.whisperjni.WhisperJNI;
import io.github.givimad.whisperjni.WhisperSamplingStrategy;
import io.github.givimad.whisperjni.WhisperState;
import io.sessionflow.common.failure.SessionflowException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * whisper.cpp through whisper-jni: the model is loaded once per process; each worker slot gets a
 * {@link Slot} with its own whisper state, because whisper-jni keeps native handles in unlocked
 * global maps. Context and state creation are serialised here for the same reason.
 */
public final class WhisperEngine implements AutoCloseable {
  private static final Object NATIVE = new Object();
  private final WhisperJNI whisper;
  private final WhisperContext context;
  private final WhisperSettings settings;
  private final String modelName;

  private WhisperEngine(WhisperJNI whisper, WhisperContext context, WhisperSettings settings, String modelName) {
    this.whisper = whisper;
    this.context = context;
    this.settings = settings;
    this.modelName = modelName;
  }

  public static WhisperEngine load(Path model, WhisperSettings settings) {
    synchronized (NATIVE) {
      try {
        WhisperJNI.loadLibrary();
        WhisperJNI.setLibraryLogger(null);
        WhisperJNI whisper = new WhisperJNI();
        WhisperContextParams params = new WhisperContextParams();
        params.useGPU = settings.gpu();
        WhisperContext context = whisper.initNoState(model, params);
        if (context == null) {
          throw new EngineException("whisper.cpp could not load the model " + model.getFileName(), null);
        }
        return new WhisperEngine(whisper, context, settings, model.getFileName().toString());
      } catch (IOException e) {
        throw new EngineException("whisper.cpp could not load the model " + model.getFileName(), e);
      }
    }
  }

  public String modelName() {
    return modelName;
  }

  /** whisper.cpp's build: version and CPU features or GPU. */
  public String engine() {
    return "whisper.cpp 1.7.1 (" + (settings.gpu() ? "gpu" : "cpu") + ")";
  }

  public Slot newSlot() {
    synchronized (NATIVE) {
      return new Slot(whisper.initState(context));
    }
  }

  @Override
  public void close() {
    synchronized (NATIVE) {
      context.close();
    }
  }

  /** One worker's whisper state. Not thread-safe: one transcription at a time. */
  public final class Slot implements AutoCloseable {
    private final WhisperState state;

    private Slot(WhisperState state) {
      this.state = state;
    }

    /**
     * Transcribes one window of 16 kHz mono samples; returns its segments with times relative
     * to the window start, in seconds.
     */
    public List<Segment> transcribe(float[] samples, int count) {
      WhisperFullParams params = new WhisperFullParams(settings.beamSize() > 1
          ? WhisperSamplingStrategy.BEAN_SEARCH : WhisperSamplingStrategy.GREEDY);
      params.nThreads = settings.threads();
      params.language = settings.language();
      params.beamSearchBeamSize = settings.beamSize();
      // Against hallucination on silence: treat quiet windows as no speech, carry no context
      // from one window into the next, and suppress non-speech tokens.
      params.noSpeechThold = 0.6f;
      params.noContext = true;
      params.suppressNonSpeechTokens = true;
      params.suppressBlank = true;
      params.printProgress = false;
      params.printRealtime = false;
      params.printTimestamps = false;
      int result = whisper.fullWithState(context, state, params, samples, count);
      if (result != 0) {
        throw new EngineException("whisper.cpp failed on a window (code " + result + ")", null);
      }
      int n = whisper.fullNSegmentsFromState(state);
      List<Segment> segments = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        segments.add(new Segment(i, whisper.fullGetSegmentTimestamp0FromState(state, i) / 100.0,
            whisper.fullGetSegmentTimestamp1FromState(state, i) / 100.0,
            whisper.fullGetSegmentTextFromState(state, i), null));
      }
      return segments;
    }

    @Override
    public void close() {
      synchronized (NATIVE) {
        state.close();
      }
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
