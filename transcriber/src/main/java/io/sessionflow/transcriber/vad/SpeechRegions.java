package io.sessionflow.transcriber.vad;

import io.sessionflow.transcriber.decode.AudioDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Speech regions from frame labels, as they come: speech frames less than the minimum pause apart
 * are one region, a region shorter than {@value #MIN_SPEECH_MS} ms is dropped (a click, a cough),
 * and each starts {@value #PAD_MS} ms early (Silero's defaults), never into its neighbour. Its end
 * is its last frame at the threshold, unpadded: the model's probability falls a frame or more
 * after the speech has (on the tuning recordings regions ended 30–156 ms late with Silero's 30-ms
 * pad and its leaving threshold, and up to 210 ms late in noise).
 */
final class SpeechRegions {
  static final int MIN_SPEECH_MS = 250;
  static final int PAD_MS = 30;
  private static final int PAD = PAD_MS * AudioDecoder.SAMPLE_RATE / 1000;
  private final long minPause;
  private final long minSpeech = (long) MIN_SPEECH_MS * AudioDecoder.SAMPLE_RATE / 1000;
  private final List<long[]> regions = new ArrayList<>();
  private boolean open;
  private long start;
  private long end;
  private long strongEnd;

  SpeechRegions(long minPauseSamples) {
    this.minPause = minPauseSamples;
  }

  /**
   * One frame: {@code speech} as the hysteresis labels it, {@code strong} when it reached the
   * threshold itself. A region ends where its last strong frame does: the frames after it that
   * only stayed above the lower leaving threshold are the model's lag, not speech.
   */
  void frame(long at, int length, boolean speech, boolean strong) {
    if (speech) {
      if (!open) {
        open = true;
        start = at;
      }
      end = at + length;
      if (strong) {
        strongEnd = at + length;
      }
    } else if (open && at + length - end >= minPause) {
      close();
    }
  }

  /** The regions once the recording of {@code samples} has ended. */
  SpeechSummary summary(long samples, double skippedSeconds, double vadSeconds) {
    if (open) {
      close();
    }
    double rate = AudioDecoder.SAMPLE_RATE;
    List<double[]> seconds = new ArrayList<>(regions.size());
    long speech = 0;
    long longestPause = 0;
    long previous = -1;
    for (int i = 0; i < regions.size(); i++) {
      long from = Math.max(regions.get(i)[0] - PAD, i == 0 ? 0 : regions.get(i - 1)[1]);
      long to = Math.min(regions.get(i)[1], samples);
      if (previous >= 0) {
        longestPause = Math.max(longestPause, from - previous);
      }
      previous = to;
      speech += to - from;
      seconds.add(new double[] {round(from / rate), round(to / rate)});
    }
    return new SpeechSummary(samples == 0 ? 0 : round((double) speech / samples), List.copyOf(seconds),
        round(longestPause / rate), round(speech / rate), round(skippedSeconds), round(vadSeconds));
  }

  private void close() {
    open = false;
    long last = strongEnd > start ? strongEnd : end;
    if (last - start >= minSpeech) {
      regions.add(new long[] {start, last});
    }
  }

  private static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }
}
