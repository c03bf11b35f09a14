package io.sessionflow.transcriber.vad;

import io.sessionflow.transcriber.decode.AudioDecoder;
import io.sessionflow.transcriber.whisper.TimeMap;
import io.sessionflow.transcriber.whisper.WindowSource;
import io.sessionflow.transcriber.whisper.Windower;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Windows built from speech. The voice-activity model labels every 32-ms frame speech or silence
 * (with hysteresis: entering speech takes the threshold, leaving it 0.15 less); those labels make
 * the speech regions. Frames go into the window as they come, except silence longer than the
 * maximum, where silence is what the model is sure of ({@value #KEEP} or less, so that quiet speech
 * in noise that scores under the threshold is still sent): of such a pause only
 * {@value #EDGE_MS} ms after the speech before it and {@value #EDGE_MS} ms before the speech
 * after it are kept, and the window goes on from there ({@link TimeMap} keeps the recording time of
 * each stretch). When the window is full (30 s), it ends in the middle of the longest pause of at
 * least the minimum length within its last {@value #LOOKBACK_S} s (a left-out pause counts as
 * its full length); failing that, at the last such pause in its second half; failing that (speech
 * without a pause), at the quietest frame of its last {@value #LOOKBACK_S} s. What follows the cut
 * starts the next window. A window with nothing in it the model scored {@value #KEEP} or more is
 * never handed over.
 *
 * <p>Memory is one block of audio the model labels at once ({@link SileroVad#BLOCK}, 128 s) and
 * one window, however long the recording; both channels of a stereo recording are kept for
 * speaker attribution.
 */
public final class SpeechWindower implements WindowSource {
  static final int EDGE_MS = 300;
  /** A frame scoring at least this is sent to Whisper even where it is no speech region's. */
  static final double KEEP = 0.15;
  static final int LOOKBACK_S = 8;
  private static final int RATE = AudioDecoder.SAMPLE_RATE;
  private static final int FRAME = FrameClassifier.FRAME;
  private static final int EDGE = EDGE_MS * RATE / 1000;
  private static final int LOOKBACK = LOOKBACK_S * RATE;
  private static final int START_BLOCK = 4 * RATE / FRAME * FRAME;

  private final FrameClassifier classifier;
  private final Consumer<Windower.Window> onWindow;
  private final int capacity;
  private final int block;
  private final double enter;
  private final double leave;
  private final double keep;
  private final long minPause;
  private final long maxSilence;
  private final SpeechRegions regions;
  private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();

  // Audio waiting to be labelled: one block, starting at recording sample pendingStart.
  private float[] pendingMono;
  private float[] pendingLeft;
  private float[] pendingRight;
  private int pending;
  private long pendingStart;

  // The window being filled.
  private final float[] mono;
  private float[] left;
  private float[] right;
  private int fill;
  private final List<int[]> pieces = new ArrayList<>();
  private final List<long[]> pieceStarts = new ArrayList<>();
  /** Pauses in the window: start offset, end offset (equal for a left-out pause), length in recording samples. */
  private final List<long[]> pauses = new ArrayList<>();
  private int firstSpeech = -1;
  private int speechEnd = -1;

  // The silence run in progress.
  private boolean inSpeech;
  private boolean inRun;
  private int runStart;
  private long runSamples;
  private boolean runSkipped;
  private final float[] leadMono = new float[EDGE];
  private float[] leadLeft;
  private float[] leadRight;
  private long leadCount;

  private long frames;
  private double sumSquares;
  private long skipped;
  private long vadNanos;
  private SpeechSummary summary;

  public SpeechWindower(FrameClassifier classifier, VadSettings settings, Consumer<Windower.Window> onWindow) {
    this(classifier, settings, Windower.WINDOW_FRAMES, SileroVad.BLOCK, onWindow);
  }

  /** With a smaller window or block (tests). */
  SpeechWindower(FrameClassifier classifier, VadSettings settings, int windowFrames, int blockFrames,
      Consumer<Windower.Window> onWindow) {
    if (blockFrames % FRAME != 0 || windowFrames <= LOOKBACK || blockFrames <= 0) {
      throw new IllegalArgumentException("a block is whole frames and a window longer than " + LOOKBACK_S + " s");
    }
    this.classifier = classifier;
    this.onWindow = onWindow;
    this.capacity = windowFrames;
    this.block = blockFrames;
    this.enter = settings.threshold();
    this.leave = Math.max(0.01, settings.threshold() - 0.15);
    this.keep = Math.min(KEEP, settings.threshold());
    this.minPause = settings.minPauseSamples();
    this.maxSilence = settings.maxSilenceSamples();
    this.regions = new SpeechRegions(minPause);
    // The block grows to its full size only for recordings that long: a one-second recording holds
    // four seconds of it, not 128 (a clinic import is hundreds of short ones).
    this.pendingMono = new float[Math.min(block, START_BLOCK)];
    this.mono = new float[capacity];
  }

  @Override
  public void accept(float[] interleaved, int count, int channels) {
    if (channels == 2 && left == null) {
      pendingLeft = new float[pendingMono.length];
      pendingRight = new float[pendingMono.length];
      left = new float[capacity];
      right = new float[capacity];
      leadLeft = new float[EDGE];
      leadRight = new float[EDGE];
    }
    for (int i = 0; i < count; i++) {
      float sum = 0;
      for (int c = 0; c < channels; c++) {
        sum += interleaved[i * channels + c];
      }
      float sample = sum / channels;
      if (pending == pendingMono.length) {
        grow();
      }
      pendingMono[pending] = sample;
      if (channels == 2) {
        pendingLeft[pending] = interleaved[i * 2];
        pendingRight[pending] = interleaved[i * 2 + 1];
      }
      sumSquares += (double) sample * sample;
      frames++;
      if (++pending == block) {
        label();
      }
    }
  }

  @Override
  public void finish() {
    if (summary != null) {
      return;
    }
    label();
    if (fill > 0) {
      emit(fill);
    }
    summary = regions.summary(frames, skipped / (double) RATE, vadNanos / 1e9);
  }

  @Override
  public double rms() {
    return frames == 0 ? 0 : Math.sqrt(sumSquares / frames);
  }

  @Override
  public long frames() {
    return frames;
  }

  @Override
  public SpeechSummary speech() {
    return summary;
  }

  private void grow() {
    int size = Math.min(block, pendingMono.length * 2);
    pendingMono = Arrays.copyOf(pendingMono, size);
    if (pendingLeft != null) {
      pendingLeft = Arrays.copyOf(pendingLeft, size);
      pendingRight = Arrays.copyOf(pendingRight, size);
    }
  }

  /** Labels the pending block and moves its frames into windows. */
  private void label() {
    if (pending == 0) {
      return;
    }
    long cpu = threads.getCurrentThreadCpuTime();
    float[] probabilities = classifier.classify(pendingMono, pending);
    vadNanos += threads.getCurrentThreadCpuTime() - cpu;
    for (int f = 0; f < probabilities.length; f++) {
      int from = f * FRAME;
      int length = Math.min(FRAME, pending - from);
      double p = probabilities[f];
      inSpeech = p >= enter || (inSpeech && p >= leave);
      long at = pendingStart + from;
      regions.frame(at, length, inSpeech, p >= enter);
      // A window leaves out only silence the model is sure of: quiet speech in noise often scores
      // under the threshold but rarely under this.
      if (inSpeech || p >= keep) {
        speech(from, length, at);
      } else {
        silence(from, length, at);
      }
    }
    pendingStart += pending;
    pending = 0;
  }

  private void speech(int from, int length, long at) {
    if (inRun) {
      endRun(at);
    }
    append(pendingMono, pendingLeft, pendingRight, from, length, at);
    if (firstSpeech < 0) {
      firstSpeech = fill - length;
    }
    speechEnd = fill;
  }

  private void silence(int from, int length, long at) {
    if (!inRun) {
      inRun = true;
      runStart = fill;
      runSamples = 0;
      runSkipped = false;
      leadCount = 0;
    }
    runSamples += length;
    if (!runSkipped && runSamples > maxSilence) {
      // Too long to send: keep the edge after the speech before it (none without speech before it).
      runSkipped = true;
      int edge = firstSpeech >= 0 ? Math.min(EDGE, fill - runStart) : 0;
      skipped += fill - (runStart + edge);
      fill = runStart + edge;
      trimPieces();
    }
    if (runSkipped) {
      skipped += length;
    } else {
      append(pendingMono, pendingLeft, pendingRight, from, length, at);
    }
    remember(from, length);
  }

  /** Speech again after a silence run starting at recording sample {@code at}. */
  private void endRun(long at) {
    inRun = false;
    if (runSkipped) {
      int lead = (int) Math.min(leadCount, EDGE);
      pauses.add(new long[] {fill, fill, runSamples});
      // The lead-in sits at the end of its ring buffer (filled in order, oldest first).
      append(leadMono, leadLeft, leadRight, EDGE - lead, lead, at - lead);
      skipped -= lead;
    } else if (runSamples >= minPause) {
      pauses.add(new long[] {runStart, fill, runSamples});
    }
  }

  /** Keeps the last {@code EDGE} samples of the silence run, oldest first. */
  private void remember(int from, int length) {
    int n = Math.min(length, EDGE);
    int keep = EDGE - n;
    System.arraycopy(leadMono, n, leadMono, 0, keep);
    System.arraycopy(pendingMono, from + length - n, leadMono, keep, n);
    if (leadLeft != null) {
      System.arraycopy(leadLeft, n, leadLeft, 0, keep);
      System.arraycopy(pendingLeft, from + length - n, leadLeft, keep, n);
      System.arraycopy(leadRight, n, leadRight, 0, keep);
      System.arraycopy(pendingRight, from + length - n, leadRight, keep, n);
    }
    leadCount += length;
  }

  private void append(float[] m, float[] l, float[] r, int from, int length, long at) {
    while (fill + length > capacity) {
      cut();
    }
    int last = pieces.size() - 1;
    if (last < 0 || pieceStarts.get(last)[0] + (fill - pieces.get(last)[0]) != at) {
      pieces.add(new int[] {fill});
      pieceStarts.add(new long[] {at});
    }
    System.arraycopy(m, from, mono, fill, length);
    if (left != null) {
      System.arraycopy(l, from, left, fill, length);
      System.arraycopy(r, from, right, fill, length);
    }
    fill += length;
  }

  /** Ends the window at the best cut point and starts the next with what follows it. */
  private void cut() {
    int at = cutPoint();
    emit(at);
    System.arraycopy(mono, at, mono, 0, fill - at);
    if (left != null) {
      System.arraycopy(left, at, left, 0, fill - at);
      System.arraycopy(right, at, right, 0, fill - at);
    }
    // The stretch the cut falls in now starts the window.
    int first = 0;
    while (first + 1 < pieces.size() && pieces.get(first + 1)[0] <= at) {
      first++;
    }
    long start = pieceStarts.get(first)[0] + (at - pieces.get(first)[0]);
    pieces.subList(0, first).clear();
    pieceStarts.subList(0, first).clear();
    pieces.get(0)[0] = at;
    pieceStarts.get(0)[0] = start;
    for (int[] piece : pieces) {
      piece[0] -= at;
    }
    pauses.removeIf(p -> cutOffset(p) <= at);
    for (long[] p : pauses) {
      p[0] = Math.max(0, p[0] - at);
      p[1] -= at;
    }
    firstSpeech = speechEnd > at ? 0 : -1;
    speechEnd = speechEnd > at ? speechEnd - at : -1;
    runStart = Math.max(0, runStart - at);
    fill -= at;
    if (fill == 0) {
      pieces.clear();
      pieceStarts.clear();
    }
  }

  private int cutPoint() {
    long[] best = null;
    long[] latest = null;
    List<long[]> candidates = new ArrayList<>(pauses);
    if (inRun && !runSkipped && runSamples >= minPause) {
      candidates.add(new long[] {runStart, fill, runSamples});
    }
    for (long[] p : candidates) {
      int offset = cutOffset(p);
      if (offset <= 0 || offset > fill) {
        continue;
      }
      if (offset >= fill / 2) {
        latest = p;
      }
      if (offset >= fill - LOOKBACK && (best == null || p[2] > best[2])) {
        best = p;
      }
    }
    if (best != null || latest != null) {
      return cutOffset(best != null ? best : latest);
    }
    return quietest();
  }

  private static int cutOffset(long[] pause) {
    return (int) ((pause[0] + pause[1]) / 2);
  }

  /** The middle of the quietest frame in the window's last {@code LOOKBACK} samples. */
  private int quietest() {
    int from = Math.max(FRAME, fill - LOOKBACK);
    int best = fill;
    double lowest = Double.MAX_VALUE;
    for (int start = from; start + FRAME <= fill; start += FRAME / 2) {
      double energy = 0;
      for (int i = start; i < start + FRAME; i++) {
        energy += mono[i] * mono[i];
      }
      if (energy < lowest) {
        lowest = energy;
        best = start + FRAME / 2;
      }
    }
    return best;
  }

  private void emit(int frames) {
    if (firstSpeech < 0 || firstSpeech >= frames || pieces.isEmpty()) {
      skipped += frames;
      return;
    }
    int count = 0;
    while (count < pieces.size() && pieces.get(count)[0] < frames) {
      count++;
    }
    int[] offsets = new int[count];
    long[] starts = new long[count];
    for (int i = 0; i < count; i++) {
      offsets[i] = pieces.get(i)[0];
      starts[i] = pieceStarts.get(i)[0];
    }
    onWindow.accept(new Windower.Window(starts[0], frames, mono, left, right, new TimeMap(offsets, starts)));
  }

  /** After the window was cut back to {@code fill}: stretches that now start at or past it go. */
  private void trimPieces() {
    while (!pieces.isEmpty() && pieces.get(pieces.size() - 1)[0] >= fill && fill > 0) {
      pieces.remove(pieces.size() - 1);
      pieceStarts.remove(pieceStarts.size() - 1);
    }
    if (fill == 0) {
      pieces.clear();
      pieceStarts.clear();
    }
    pauses.removeIf(p -> p[1] > fill);
  }

  @Override
  public String toString() {
    return "SpeechWindower" + Arrays.toString(new long[] {frames, fill, skipped});
  }
}
