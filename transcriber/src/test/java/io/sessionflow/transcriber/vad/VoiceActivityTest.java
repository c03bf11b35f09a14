package io.sessionflow.transcriber.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.transcriber.speech.SpeechCorpus;
import io.sessionflow.transcriber.whisper.Windower;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Silero VAD on real recorded speech (pocketsphinx-testdata), recordings built with pauses of known
 * length: boundaries, nothing dropped, cuts only in pauses, and what it does with sounds that are
 * not speech. These arrangements are the tuning set; the held-out set is measured by
 * bench/vad-bench.sh, not here.
 */
class VoiceActivityTest {
  static SileroVad vad;

  @BeforeAll
  static void load() {
    vad = SileroVad.load("");
  }

  @AfterAll
  static void close() {
    vad.close();
  }

  @Test
  void utteranceBoundariesAreFoundWithin150MsAndEveryCutFallsInAPause() {
    SpeechCorpus.Built built = SpeechCorpus.arranged(1, 7, -60);
    Result result = segment(built);
    assertBoundaries(built, result);
    assertCutsInPausesAndSpeechSent(built, result);
    assertThat(result.windows).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void twoSpeakersOnTheirOwnChannelsOverHum() {
    SpeechCorpus.Built built = SpeechCorpus.twoSpeakers();
    Result result = segment(built);
    assertBoundaries(built, result);
    assertCutsInPausesAndSpeechSent(built, result);
  }

  @Test
  void longSilenceIsNotSent() {
    SpeechCorpus.Built built = SpeechCorpus.arranged(1, 5, -60);
    Result result = segment(built);
    double sent = result.windows.stream().mapToDouble(w -> w.frames() / 16_000.0).sum();
    double speech = built.utterances().stream().mapToDouble(u -> u[1] - u[0]).sum();
    assertThat(result.speech.skippedSeconds()).isGreaterThan(0.3 * built.seconds());
    assertThat(sent).isLessThan(0.7 * built.seconds()).isGreaterThan(speech);
  }

  @Test
  void silenceNoiseHumAndTonesAreNotSpeech() {
    assertThat(segment(SpeechCorpus.recording(1).silence(30).build()).speech.regions()).isEmpty();
    assertThat(segment(SpeechCorpus.recording(1).silence(30).noise(-30, 3).build()).speech.regions()).isEmpty();
    assertThat(segment(SpeechCorpus.recording(1).silence(30).noise(-50, 4).hum(60, -30).build()).speech.regions())
        .isEmpty();
    SpeechCorpus.Builder music = SpeechCorpus.recording(1).noise(-60, 5);
    double[][] chords = {{261.6, 329.6, 392.0}, {220.0, 261.6, 329.6}, {196.0, 246.9, 293.7}, {440.0}, {880.0}};
    for (int i = 0; i < 10; i++) {
      music.tones(chords[i % chords.length], 2.5, -20).silence(0.4);
    }
    SpeechSummary tones = segment(music.build()).speech;
    assertThat(tones.ratio()).as("share of sustained tones taken for speech").isLessThan(0.1);
  }

  @Test
  void lanesRunSideBySideAgreeWithTheModelRunFrameAfterFrame() {
    float[] mono = SpeechCorpus.arranged(2, 2, -55).cut(120).mono();
    float[] lanes = vad.stream().classify(mono, mono.length);
    float[] reference = vad.sequential().classify(mono, mono.length);
    int agree = 0;
    double worst = 0;
    for (int f = 0; f < lanes.length; f++) {
      if ((reference[f] >= 0.5) == (lanes[f] >= 0.5)) {
        agree++;
      }
      worst = Math.max(worst, Math.abs(reference[f] - lanes[f]));
    }
    System.out.printf("lanes vs frame after frame: %d frames, %.4f agree, largest difference %.3f%n", lanes.length,
        agree / (double) lanes.length, worst);
    assertThat(agree / (double) lanes.length).isGreaterThan(0.99);
  }

  @Test
  void closingTheModelWaitsForARunInProgressAndARunAfterItIsRefused() throws Exception {
    // What a shutdown does while a decode thread classifies: it must never free the session under the run.
    SileroVad own = SileroVad.load("");
    float[] audio = SpeechCorpus.speech(60, 3).mono();
    java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
    Thread decoder = new Thread(() -> {
      try {
        FrameClassifier stream = own.stream();
        stream.classify(audio, audio.length);
        running.countDown();
        while (true) {
          stream.classify(audio, audio.length);
        }
      } catch (RuntimeException e) {
        ended.set(e);
      }
    });
    decoder.start();
    assertThat(running.await(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    own.close();
    decoder.join(60_000);
    assertThat(decoder.isAlive()).isFalse();
    assertThat(ended.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    own.close(); // twice is fine
  }

  @Test
  void aModelThatIsNotThereIsAClearError() {
    assertThatThrownBy(() -> SileroVad.load("/nonexistent/silero.onnx")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot read the VAD model /nonexistent/silero.onnx");
  }

  @Test
  void aModelThatIsNotSileroIsRefusedSayingSo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // Another ONNX model on the class path: the sentence encoder the language module ships.
    java.nio.file.Path other = dir.resolve("other.onnx");
    try (java.io.InputStream in = VoiceActivityTest.class.getResourceAsStream("/all-minilm-l6-v2-q.onnx")) {
      java.nio.file.Files.copy(in, other);
    }
    assertThatThrownBy(() -> SileroVad.load(other.toString())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not Silero VAD v5's input, state and sr").hasMessageContaining("VAD_MODEL");
  }

  record Result(List<Windower.Window> windows, SpeechSummary speech) {
  }

  static Result segment(SpeechCorpus.Built built) {
    List<Windower.Window> windows = new ArrayList<>();
    SpeechWindower windower = new SpeechWindower(vad.stream(), VadSettings.DEFAULTS, w -> windows.add(
        new Windower.Window(w.startFrame(), w.frames(), null, null, null, w.map())));
    float[] interleaved = built.interleaved();
    int channels = built.channels().length;
    int chunk = 4096 * channels;
    for (int i = 0; i < interleaved.length; i += chunk) {
      int n = Math.min(chunk, interleaved.length - i);
      windower.accept(java.util.Arrays.copyOfRange(interleaved, i, i + n), n / channels, channels);
    }
    windower.finish();
    return new Result(windows, windower.speech());
  }

  /**
   * Each utterance's start and end within 150 ms of a region's, where the pause on that side is at
   * least half a second: across a shorter one the model's probability does not fall for the minimum
   * pause (its own hangover is about 100 ms), so two utterances become one region (bench/vad-bench.sh
   * reports how often).
   */
  private static void assertBoundaries(SpeechCorpus.Built built, Result result) {
    List<double[]> utterances = built.utterances();
    int checked = 0;
    for (int i = 0; i < utterances.size(); i++) {
      double[] utterance = utterances.get(i);
      boolean apartBefore = i == 0 || utterance[0] - utterances.get(i - 1)[1] >= 0.5;
      boolean apartAfter = i + 1 == utterances.size() || utterances.get(i + 1)[0] - utterance[1] >= 0.5;
      if (apartBefore) {
        checked++;
        assertThat(result.speech.regions()).as("a region starts within 150 ms of %.3f", utterance[0])
            .anyMatch(r -> Math.abs(r[0] - utterance[0]) <= 0.150);
      }
      if (apartAfter) {
        checked++;
        assertThat(result.speech.regions()).as("a region ends within 150 ms of %.3f", utterance[1])
            .anyMatch(r -> Math.abs(r[1] - utterance[1]) <= 0.150);
      }
    }
    assertThat(checked).isGreaterThan(utterances.size());
    for (double[] utterance : utterances) {
      assertThat(result.speech.regions()).as("a region overlaps the utterance at %.3f", utterance[0])
          .anyMatch(r -> r[0] < utterance[1] && r[1] > utterance[0]);
    }
  }

  /** No window starts or ends inside an utterance, and every sample of every utterance is in a window. */
  private static void assertCutsInPausesAndSpeechSent(SpeechCorpus.Built built, Result result) {
    boolean[] sent = new boolean[built.channels()[0].length];
    for (Windower.Window window : result.windows) {
      long first = window.map().recordingSample(0, false);
      long last = window.map().recordingSample(window.frames(), true);
      for (double[] u : built.utterances()) {
        long from = Math.round(u[0] * 16_000);
        long to = Math.round(u[1] * 16_000);
        assertThat(first > from && first < to).as("window starting at %d inside utterance %s", first, u[0]).isFalse();
        assertThat(last > from && last < to).as("window ending at %d inside utterance %s", last, u[0]).isFalse();
      }
      for (int o = 0; o < window.frames(); o++) {
        sent[(int) window.map().recordingSample(o, false)] = true;
      }
    }
    for (double[] u : built.utterances()) {
      for (long i = Math.round(u[0] * 16_000); i < Math.round(u[1] * 16_000); i++) {
        assertThat(sent[(int) i]).as("utterance at %.3f s, sample %d sent", u[0], i).isTrue();
      }
    }
  }
}
