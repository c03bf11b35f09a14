package io.sessionflow.transcriber.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sessionflow.transcriber.whisper.Segment;
import io.sessionflow.transcriber.whisper.WindowedTranscriber;
import io.sessionflow.transcriber.whisper.Windower;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The window logic on its own, with a stand-in for the model that calls a frame speech when it is
 * loud: sounds and pauses of exact length, so every cut, skip and time can be checked exactly.
 * Small blocks, so that labelling carries across block boundaries.
 */
class SpeechWindowerTest {
  static final int RATE = 16_000;
  static final int FRAME = FrameClassifier.FRAME;
  static final double SPEECH = 0.3;
  static final double QUIET = 0.03;

  /** A frame is speech above an RMS of 0.01 (the quiet stretches used here are still speech). */
  static final FrameClassifier LOUDNESS = (mono, samples) -> {
    float[] p = new float[(samples + FRAME - 1) / FRAME];
    for (int f = 0; f < p.length; f++) {
      double sum = 0;
      for (int i = f * FRAME; i < Math.min(samples, (f + 1) * FRAME); i++) {
        sum += mono[i] * mono[i];
      }
      p[f] = Math.sqrt(sum / FRAME) > 0.01 ? 0.9f : 0.02f;
    }
    return p;
  };

  @Test
  void aLongPauseIsLeftOutAndTheWindowGoesOnAfterIt() {
    float[] audio = audio(5, SPEECH, 10, 0, 5, SPEECH);
    Run run = run(audio, 1);
    assertThat(run.windows).hasSize(1);
    Windower.Window window = run.windows.get(0);
    assertThat(window.map().offsets()).hasSize(2);
    // 0.3 s kept after the first speech, 0.3 s before the second, the rest left out.
    assertThat(window.map().offsets()[1] / (double) RATE).isCloseTo(5.3, within(0.04));
    assertThat(window.map().starts()[1] / (double) RATE).isCloseTo(14.7, within(0.04));
    assertThat(window.frames() / (double) RATE).isCloseTo(10.6, within(0.07));
    assertThat(run.speech.skippedSeconds()).isCloseTo(9.4, within(0.07));
    assertExact(run, audio);
  }

  @Test
  void shortPausesStayInTheWindow() {
    float[] audio = audio(3, SPEECH, 1.5, 0, 3, SPEECH);
    Run run = run(audio, 1);
    assertThat(run.windows).hasSize(1);
    assertThat(run.windows.get(0).map().offsets()).hasSize(1);
    assertThat(run.windows.get(0).frames()).isEqualTo(audio.length);
    assertThat(run.speech.skippedSeconds()).isZero();
    assertExact(run, audio);
  }

  @Test
  void aFullWindowEndsInTheMiddleOfTheLongestPauseOfItsLastEightSeconds() {
    float[] audio = audio(22, SPEECH, 0.3, 0, 2, SPEECH, 0.6, 0, 4, SPEECH, 0.25, 0, 12, SPEECH);
    Run run = run(audio, 1);
    assertThat(run.windows).hasSize(2);
    // The 0.6-s pause runs from 24.3 to 24.9 s.
    assertThat(run.windows.get(0).frames() / (double) RATE).isCloseTo(24.6, within(0.04));
    assertThat(run.windows.get(1).startFrame()).isEqualTo(run.windows.get(0).frames());
    assertExact(run, audio);
  }

  @Test
  void speechWithoutAPauseIsCutAtItsQuietestPoint() {
    float[] audio = audio(26, SPEECH, 0.2, QUIET, 19, SPEECH);
    Run run = run(audio, 1);
    assertThat(run.windows).hasSize(2);
    assertThat(run.windows.get(0).frames() / (double) RATE).isBetween(26.0, 26.2);
    assertExact(run, audio);
  }

  @Test
  void withoutAPauseInTheLastEightSecondsTheLastPauseInTheSecondHalfEndsTheWindow() {
    float[] audio = audio(16, SPEECH, 0.5, 0, 24, SPEECH);
    Run run = run(audio, 1);
    assertThat(run.windows.get(0).frames() / (double) RATE).isCloseTo(16.25, within(0.04));
    assertExact(run, audio);
  }

  @Test
  void silenceBeforeTheFirstAndAfterTheLastSpeechIsNotSent() {
    float[] audio = audio(5, 0, 4, SPEECH, 6, 0);
    Run run = run(audio, 1);
    assertThat(run.windows).hasSize(1);
    Windower.Window window = run.windows.get(0);
    assertThat(window.startFrame() / (double) RATE).isCloseTo(4.7, within(0.04));
    assertThat(window.frames() / (double) RATE).isCloseTo(4.6, within(0.07));
    assertExact(run, audio);
  }

  @Test
  void aRecordingWithoutSpeechGivesNoWindowAndNoRegion() {
    float[] audio = audio(40, 0);
    Run run = run(audio, 1);
    assertThat(run.windows).isEmpty();
    assertThat(run.speech.regions()).isEmpty();
    assertThat(run.speech.ratio()).isZero();
    assertThat(run.speech.skippedSeconds()).isCloseTo(40, within(0.01));
  }

  @Test
  void soundTheModelIsUnsureOfIsSentButMakesNoRegion() {
    // Frames scoring 0.3: under the threshold, above what counts as sure silence.
    FrameClassifier unsure = (mono, samples) -> {
      float[] p = LOUDNESS.classify(mono, samples);
      for (int f = 0; f < p.length; f++) {
        p[f] = p[f] > 0.5f ? 0.3f : p[f];
      }
      return p;
    };
    float[] audio = audio(3, SPEECH, 6, 0, 3, SPEECH);
    List<Windower.Window> windows = new ArrayList<>();
    SpeechWindower windower = new SpeechWindower(unsure, VadSettings.DEFAULTS, Windower.WINDOW_FRAMES, 8 * FRAME,
        windows::add);
    windower.accept(audio, audio.length, 1);
    windower.finish();
    assertThat(windows).hasSize(1);
    assertThat(windows.get(0).frames() / (double) RATE).isCloseTo(6.6, within(0.07));
    assertThat(windower.speech().regions()).isEmpty();
  }

  @Test
  void windowsAreHandedOverWhileTheRecordingStillStreams() {
    List<Windower.Window> windows = new ArrayList<>();
    SpeechWindower windower = new SpeechWindower(LOUDNESS, VadSettings.DEFAULTS, Windower.WINDOW_FRAMES, 8 * FRAME,
        windows::add);
    float[] minute = audio(10, SPEECH, 1, 0, 10, SPEECH, 3, 0, 10, SPEECH, 26, 0);
    for (int m = 0; m < 60; m++) {
      windower.accept(minute, minute.length, 1);
    }
    int beforeTheEnd = windows.size();
    windower.finish();
    assertThat(beforeTheEnd).isGreaterThanOrEqualTo(windows.size() - 1).isGreaterThan(50);
    assertThat(windower.speech().regions()).hasSize(180);
    assertThat(windower.speech().ratio()).isCloseTo(0.5, within(0.01));
    assertThat(windower.speech().longestPause()).isCloseTo(26, within(0.1));
  }

  @Test
  void stereoChannelsStayWithTheirSpeakerAcrossALeftOutPause() {
    float[] left = audio(4, SPEECH, 12, 0);
    float[] right = audio(10, 0, 6, SPEECH);
    float[] interleaved = new float[left.length * 2];
    for (int i = 0; i < left.length; i++) {
      interleaved[2 * i] = left[i];
      interleaved[2 * i + 1] = right[i];
    }
    Run run = run(interleaved, 2);
    assertThat(run.windows).hasSize(1);
    Windower.Window window = run.windows.get(0);
    assertThat(WindowedTranscriber.speaker(window, 0.5, 3.5)).isEqualTo("A");
    double second = window.map().offsets()[1] / (double) RATE + 0.5;
    assertThat(WindowedTranscriber.speaker(window, second, second + 3)).isEqualTo("B");
    // Segment times go back onto the recording through the map.
    List<Segment> placed = WindowedTranscriber.place(window, List.of(new Segment(0, second, second + 3,
        "later", null), new Segment(1, window.frames() / (double) RATE + 0.5, 29.0, "in the padding", null)),
        List.of());
    assertThat(placed).hasSize(1);
    double lead = window.map().starts()[1] / (double) RATE;
    assertThat(lead).isCloseTo(9.7, within(0.04));
    assertThat(placed.get(0).start()).isCloseTo(lead + 0.5, within(0.001));
    assertThat(placed.get(0).end()).isCloseTo(lead + 3.5, within(0.001));
    assertThat(placed.get(0).speaker()).isEqualTo("B");
  }

  @Test
  void regionsMergeAcrossShortGapsDropBlipsAndStartThirtyMillisecondsEarly() {
    SpeechRegions regions = new SpeechRegions(VadSettings.DEFAULTS.minPauseSamples());
    label(regions, 0, 1.0, false);
    label(regions, 1.0, 2.0, true);
    label(regions, 2.0, 2.1, false);
    label(regions, 2.1, 3.0, true);
    label(regions, 3.0, 5.0, false);
    label(regions, 5.0, 5.1, true);
    label(regions, 5.1, 7.0, false);
    label(regions, 7.0, 8.0, true);
    label(regions, 8.0, 10.0, false);
    SpeechSummary summary = regions.summary(10 * RATE, 1.5, 0.01);
    assertThat(summary.regions()).hasSize(2);
    assertThat(summary.regions().get(0)).containsExactly(0.97, 3.0);
    assertThat(summary.regions().get(1)).containsExactly(6.97, 8.0);
    assertThat(summary.speechSeconds()).isCloseTo(3.06, within(0.001));
    assertThat(summary.ratio()).isCloseTo(0.306, within(0.001));
    assertThat(summary.longestPause()).isCloseTo(3.97, within(0.001));
  }

  private static void label(SpeechRegions regions, double from, double to, boolean speech) {
    for (long at = Math.round(from * RATE); at < Math.round(to * RATE); at += 160) {
      regions.frame(at, 160, speech, speech);
    }
  }

  /**
   * Every window sample is the recording's sample its map names, and every loud sample of the
   * recording is in exactly one window: nothing moved, dropped or doubled.
   */
  private static void assertExact(Run run, float[] interleaved) {
    int channels = run.channels;
    int frames = interleaved.length / channels;
    int[] seen = new int[frames];
    for (Windower.Window window : run.windows) {
      for (int o = 0; o < window.frames(); o++) {
        long at = window.map().recordingSample(o, false);
        float mono = 0;
        for (int c = 0; c < channels; c++) {
          mono += interleaved[(int) at * channels + c];
        }
        assertThat(window.mono()[o]).as("window sample %d", o).isEqualTo(mono / channels);
        seen[(int) at]++;
      }
    }
    for (int i = 0; i < frames; i++) {
      boolean loud = false;
      for (int c = 0; c < channels; c++) {
        loud |= Math.abs(interleaved[i * channels + c]) > 0;
      }
      assertThat(seen[i]).as("recording sample %d", i).isLessThanOrEqualTo(1);
      if (loud) {
        assertThat(seen[i]).as("speech sample %d", i).isEqualTo(1);
      }
    }
  }

  /** Stretches of (seconds, amplitude): a 220-Hz tone at that amplitude, 0 for digital silence. */
  static float[] audio(double... stretches) {
    int total = 0;
    for (int i = 0; i < stretches.length; i += 2) {
      total += (int) Math.round(stretches[i] * RATE);
    }
    float[] out = new float[total];
    int at = 0;
    for (int i = 0; i < stretches.length; i += 2) {
      int n = (int) Math.round(stretches[i] * RATE);
      for (int k = 0; k < n; k++) {
        out[at + k] = (float) (stretches[i + 1] * Math.sin(2 * Math.PI * 220 * (at + k) / RATE));
        if (stretches[i + 1] > 0 && out[at + k] == 0) {
          out[at + k] = 1e-6f;
        }
      }
      at += n;
    }
    return out;
  }

  record Run(List<Windower.Window> windows, SpeechSummary speech, int channels) {
  }

  private static Run run(float[] interleaved, int channels) {
    List<Windower.Window> windows = new ArrayList<>();
    SpeechWindower windower = new SpeechWindower(LOUDNESS, VadSettings.DEFAULTS, Windower.WINDOW_FRAMES, 8 * FRAME,
        w -> windows.add(copy(w)));
    int chunk = 1000 * channels;
    for (int i = 0; i < interleaved.length; i += chunk) {
      int n = Math.min(chunk, interleaved.length - i);
      windower.accept(java.util.Arrays.copyOfRange(interleaved, i, i + n), n / channels, channels);
    }
    windower.finish();
    return new Run(windows, windower.speech(), channels);
  }

  private static Windower.Window copy(Windower.Window w) {
    return new Windower.Window(w.startFrame(), w.frames(), java.util.Arrays.copyOf(w.mono(), w.frames()),
        w.left() == null ? null : java.util.Arrays.copyOf(w.left(), w.frames()),
        w.right() == null ? null : java.util.Arrays.copyOf(w.right(), w.frames()), w.map());
  }
}
