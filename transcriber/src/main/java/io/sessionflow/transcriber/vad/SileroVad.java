package io.sessionflow.transcriber.vad;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sessionflow.language.OnnxGate;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Silero VAD v5 (ONNX) through ONNX Runtime, on the calling thread. The model is recurrent (an
 * LSTM over 32-ms frames), so one stream is one frame per call: slow for a long recording. A block
 * of audio is therefore cut into {@value #LANES} lanes that run side by side as one batch, each
 * starting {@value #WARMUP} frames early (from zeroed state, on the audio before it) so that its
 * state has settled by the frames it reports. The session is shared by every recording; each
 * recording gets its own {@link #stream()}.
 */
public final class SileroVad implements AutoCloseable {
  /** Lanes per batch: what the model runs at once. */
  public static final int LANES = 16;
  /** Frames each lane reports (8 s): a block is {@code LANES × LANE_FRAMES} frames (128 s). */
  public static final int LANE_FRAMES = 250;
  /** Frames a lane runs before the ones it reports, for its state to settle. */
  public static final int WARMUP = 8;
  /** The audio block one batch covers, in samples. */
  public static final int BLOCK = LANES * LANE_FRAMES * FrameClassifier.FRAME;
  private static final int CONTEXT = 64;
  private static final int INPUT = CONTEXT + FrameClassifier.FRAME;
  private static final int STATE = 128;
  private static final String RESOURCE = "/io/sessionflow/transcriber/vad/silero_vad.onnx";

  private final OrtEnvironment env;
  private final OrtSession session;
  private final OnnxTensor sampleRate;
  private final String source;
  /** Every call into the model holds a permit: the session is never freed under a run. */
  private final OnnxGate gate = new OnnxGate("VAD model");

  private SileroVad(OrtEnvironment env, OrtSession session, OnnxTensor sampleRate, String source) {
    this.env = env;
    this.session = session;
    this.sampleRate = sampleRate;
    this.source = source;
  }

  /** The model at {@code path}, or the one built into the jar when {@code path} is empty. */
  public static SileroVad load(String path) {
    byte[] model;
    String source;
    try {
      if (path == null || path.isBlank()) {
        try (InputStream in = SileroVad.class.getResourceAsStream(RESOURCE)) {
          if (in == null) {
            throw new IllegalStateException("the Silero VAD model is missing from the build (" + RESOURCE
                + "; native/vad-model.sh puts it there); set VAD_MODEL to its path");
          }
          model = in.readAllBytes();
        }
        source = "silero-vad-v5 (built in)";
      } else {
        model = Files.readAllBytes(Path.of(path));
        source = "silero-vad-v5 (" + Path.of(path).getFileName() + ")";
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the VAD model " + path + ": " + e.getMessage(), e);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      // One thread: the caller's (a recording's decode thread); recordings run side by side instead.
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      OrtSession session = env.createSession(model, options);
      try {
        java.util.Set<String> inputs = session.getInputNames();
        if (!inputs.containsAll(java.util.List.of("input", "state", "sr"))) {
          throw new IllegalStateException("the VAD model takes " + inputs + ", not Silero VAD v5's input, state "
              + "and sr; set VAD_MODEL to a Silero VAD v5 ONNX file");
        }
        return new SileroVad(env, session, OnnxTensor.createTensor(env, new long[] {16_000}), source);
      } catch (OrtException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load the VAD model: " + e.getMessage(), e);
    }
  }

  /** Which model runs, for the log and the transcript. */
  public String describe() {
    return source;
  }

  /** A classifier for one recording. */
  public FrameClassifier stream() {
    return new Stream(false);
  }

  /**
   * The model as it was trained to run: one lane, its state carried from call to call, no
   * warm-up. The reference the lanes are measured against; too slow for the pipeline.
   */
  public FrameClassifier sequential() {
    return new Stream(true);
  }

  /** Waits for a run in progress, then frees the model; a run after it fails with IllegalStateException. */
  @Override
  public void close() {
    gate.close(() -> {
      sampleRate.close();
      session.close();
    });
  }

  /** Keeps the last {@code WARMUP} frames of the audio before, for the first lane of the next block. */
  private final class Stream implements FrameClassifier {
    private final float[] history = new float[Math.max(WARMUP, 1) * FRAME];
    private final boolean sequential;
    private final float[] carried = new float[2 * STATE];
    // The model's input, its state in and out (swapped every step) and its output, reused from block
    // to block; direct, so that ONNX Runtime reads and writes them in place and a step makes no garbage.
    private FloatBuffer inputs;
    private FloatBuffer statesA;
    private FloatBuffer statesB;
    private FloatBuffer outputs;

    Stream(boolean sequential) {
      this.sequential = sequential;
    }

    @Override
    public float[] classify(float[] mono, int samples) {
      if (samples > BLOCK) {
        throw new IllegalArgumentException("at most " + BLOCK + " samples at once");
      }
      int frames = (samples + FRAME - 1) / FRAME;
      float[] probabilities = new float[frames];
      if (frames == 0) {
        return probabilities;
      }
      // Frames spread evenly over the lanes, so that a short last block takes few steps.
      int lanes = sequential ? 1 : (frames + LANE_FRAMES - 1) / LANE_FRAMES;
      int perLane = (frames + lanes - 1) / lanes;
      int warmup = sequential ? 0 : WARMUP;
      if (inputs == null) {
        inputs = direct(LANES * INPUT);
        statesA = direct(2 * LANES * STATE);
        statesB = direct(2 * LANES * STATE);
        outputs = direct(LANES);
      }
      FloatBuffer input = inputs.clear().limit(lanes * INPUT).slice();
      FloatBuffer state = statesA.clear().limit(2 * lanes * STATE).slice();
      FloatBuffer next = statesB.clear().limit(2 * lanes * STATE).slice();
      FloatBuffer p = outputs.clear().limit(lanes).slice();
      for (int i = 0; i < state.capacity(); i++) {
        state.put(i, 0f);
      }
      if (sequential) {
        state.put(carried).clear();
      }
      long[] stateShape = {2, lanes, STATE};
      try (OnnxGate.Permit permit = gate.enter();
          OnnxTensor in = OnnxTensor.createTensor(env, input, new long[] {lanes, INPUT});
          OnnxTensor a = OnnxTensor.createTensor(env, state, stateShape);
          OnnxTensor b = OnnxTensor.createTensor(env, next, stateShape);
          OnnxTensor out = OnnxTensor.createTensor(env, p, new long[] {lanes, 1})) {
        OnnxTensor current = a;
        OnnxTensor following = b;
        for (int step = 0; step < warmup + perLane; step++) {
          for (int lane = 0; lane < lanes; lane++) {
            // The frame this lane runs at this step, relative to the block (negative: from history).
            int frame = lane * perLane - warmup + step;
            int at = lane * INPUT;
            if (step == 0) {
              fill(input, at, mono, samples, frame * FRAME - CONTEXT, CONTEXT);
            } else {
              // The context is the end of the frame before, already in place at the end of the input.
              for (int i = 0; i < CONTEXT; i++) {
                input.put(at + i, input.get(at + INPUT - CONTEXT + i));
              }
            }
            fill(input, at + CONTEXT, mono, samples, frame * FRAME, FRAME);
          }
          try (OrtSession.Result ignored = session.run(Map.of("input", in, "state", current, "sr", sampleRate),
              Map.of("output", out, "stateN", following))) {
            if (step >= warmup) {
              for (int lane = 0; lane < lanes; lane++) {
                int frame = lane * perLane + step - warmup;
                if (frame < frames) {
                  probabilities[frame] = p.get(lane);
                }
              }
            }
          }
          OnnxTensor swap = current;
          current = following;
          following = swap;
        }
        if (sequential) {
          (current == a ? state : next).get(0, carried);
        }
      } catch (OrtException e) {
        throw new IllegalStateException("the VAD model failed: " + e.getMessage(), e);
      }
      remember(mono, samples);
      return probabilities;
    }

    private FloatBuffer direct(int floats) {
      return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** {@code count} samples from block position {@code from} (negative: the history; past the end: zeros). */
    private void fill(FloatBuffer input, int at, float[] mono, int samples, int from, int count) {
      for (int i = 0; i < count; i++) {
        int position = from + i;
        float value;
        if (position < 0) {
          int h = history.length + position;
          value = h >= 0 ? history[h] : 0f;
        } else {
          value = position < samples ? mono[position] : 0f;
        }
        input.put(at + i, value);
      }
    }

    private void remember(float[] mono, int samples) {
      if (samples >= history.length) {
        System.arraycopy(mono, samples - history.length, history, 0, history.length);
      } else {
        System.arraycopy(history, samples, history, 0, history.length - samples);
        System.arraycopy(mono, 0, history, history.length - samples, samples);
      }
    }
  }
}
