package io.sessionflow.transcriber.whisper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.transcriber.decode.AudioDecoder;
import io.sessionflow.transcriber.decode.AudioFixtures;
import io.sessionflow.transcriber.decode.DecodeException;
import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real decode and real whisper.cpp inference (generated model) through the windowed pipeline. */
class WindowedTranscriberTest {
  @TempDir
  static Path dir;
  static WhisperEngine engine;
  static WhisperEngine.Slot slot;
  final WindowedTranscriber transcriber = new WindowedTranscriber(new AudioDecoder(), Windower.WINDOW_FRAMES);

  @BeforeAll
  static void load() throws Exception {
    Path model = GgmlModelWriter.write(dir.resolve("small.bin"), ModelShape.SMALL, 7);
    engine = WhisperEngine.load(model, new WhisperSettings("", "en", 2, 1, false));
    slot = engine.newSlot();
  }

  @AfterAll
  static void close() {
    slot.close();
    engine.close();
  }

  @Test
  void segmentsComeBackOnRecordingTimeWithinTheAudio() throws Exception {
    byte[] wav = AudioFixtures.tone(AudioFixtures.FORMATS.get("wav-s16"), 44_100, 1, 40, 1.0);
    WindowedTranscriber.Result result = transcriber.transcribe(new ByteArrayInputStream(wav), slot);
    assertThat(result.audioSeconds()).isBetween(39.9, 40.1);
    assertThat(result.channels()).isEqualTo(1);
    assertThat(result.segments()).as("the generated model emits segments for this input").isNotEmpty();
    for (int i = 0; i < result.segments().size(); i++) {
      Segment segment = result.segments().get(i);
      assertThat(segment.id()).isEqualTo(i);
      assertThat(segment.start()).isBetween(0.0, result.audioSeconds());
      assertThat(segment.end()).isBetween(segment.start(), result.audioSeconds());
      assertThat(segment.text()).isNotBlank();
      assertThat(segment.speaker()).isNull();
    }
  }

  @Test
  void theTranscriptsLanguageIsTheOneWhisperDetectedWhenAskedToDetect() throws Exception {
    byte[] wav = AudioFixtures.tone(AudioFixtures.FORMATS.get("wav-s16"), 16_000, 1, 35, 1.0);
    assertThat(transcriber.transcribe(new ByteArrayInputStream(wav), slot).language()).isEqualTo("en");
    try (WhisperEngine detecting = WhisperEngine.load(dir.resolve("small.bin"),
        new WhisperSettings("", "auto", 2, 1, false)); WhisperEngine.Slot own = detecting.newSlot()) {
      String language = transcriber.transcribe(new ByteArrayInputStream(wav), own).language();
      assertThat(language).matches("[a-z]{2,3}|haw|yue").isNotEqualTo("auto");
    }
  }

  @Test
  void aSilentRecordingFailsWithThatReason() throws Exception {
    byte[] silent = AudioFixtures.tone(AudioFixtures.FORMATS.get("wav-s16"), 16_000, 1, 3, 1.0, 0.0);
    assertThatThrownBy(() -> transcriber.transcribe(new ByteArrayInputStream(silent), slot))
        .isInstanceOf(DecodeException.class).hasMessage("the recording is silent throughout");
  }

  @Test
  void withTheVoiceActivityModelSegmentsLandOnSpeechAndAToneIsNoSpeech() throws Exception {
    try (io.sessionflow.transcriber.vad.SileroVad vad = io.sessionflow.transcriber.vad.SileroVad.load("")) {
      WindowedTranscriber fromSpeech = new WindowedTranscriber(new AudioDecoder(), onWindow ->
          new io.sessionflow.transcriber.vad.SpeechWindower(vad.stream(),
              io.sessionflow.transcriber.vad.VadSettings.DEFAULTS, onWindow), () -> false);
      // Two stretches of speech 8 s apart: the middle 7.4 s of that pause never reaches Whisper.
      io.sessionflow.transcriber.speech.SpeechCorpus.Built built = io.sessionflow.transcriber.speech.SpeechCorpus
          .recording(1).silence(0.5)
          .utterance(io.sessionflow.transcriber.speech.SpeechCorpus.FILES.get(0), -3, 0).silence(8)
          .utterance(io.sessionflow.transcriber.speech.SpeechCorpus.FILES.get(3), -3, 0).silence(0.5).build();
      double pauseFrom = built.utterances().get(0)[1];
      double pauseTo = built.utterances().get(1)[0];
      WindowedTranscriber.Result result = fromSpeech.transcribe(new ByteArrayInputStream(built.wav()), slot);
      assertThat(result.windows()).isEqualTo(1);
      assertThat(result.speech().regions()).hasSizeGreaterThanOrEqualTo(2);
      assertThat(result.speech().skippedSeconds()).isBetween(6.5, 8.0);
      assertThat(result.segments()).as("the generated model emits segments for this input").isNotEmpty()
          .allSatisfy(segment -> {
            assertThat(segment.start()).isBetween(0.0, result.audioSeconds());
            assertThat(segment.start() > pauseFrom + 0.5 && segment.start() < pauseTo - 0.5)
                .as("segment at %.3f starts in left-out silence", segment.start()).isFalse();
          });
      byte[] tone = AudioFixtures.tone(AudioFixtures.FORMATS.get("wav-s16"), 16_000, 1, 5, 1.0);
      assertThatThrownBy(() -> fromSpeech.transcribe(new ByteArrayInputStream(tone), slot))
          .isInstanceOf(DecodeException.class).hasMessageStartingWith("no speech");
    }
  }

  @Test
  void theDominantStereoChannelNamesTheSpeaker() {
    float[] left = new float[16_000];
    float[] right = new float[16_000];
    for (int i = 0; i < 8_000; i++) {
      left[i] = 0.5f;
      right[i] = 0.05f;
      left[8_000 + i] = 0.3f;
      right[8_000 + i] = 0.3f;
    }
    Windower.Window window = new Windower.Window(0, 16_000, new float[16_000], left, right);
    assertThat(WindowedTranscriber.speaker(window, 0, 0.5)).isEqualTo("A");
    assertThat(WindowedTranscriber.speaker(window, 0.5, 1.0)).isNull();
    Windower.Window swapped = new Windower.Window(0, 16_000, new float[16_000], right, left);
    assertThat(WindowedTranscriber.speaker(swapped, 0, 0.5)).isEqualTo("B");
    Windower.Window mono = new Windower.Window(0, 16_000, new float[16_000], null, null);
    assertThat(WindowedTranscriber.speaker(mono, 0, 0.5)).isNull();
  }

  @Test
  void repeatsAndEmptySegmentsAreDroppedAndTimesClamped() {
    Windower.Window window = new Windower.Window(30 * 16_000, 5 * 16_000, new float[5 * 16_000], null, null);
    List<Segment> placed = WindowedTranscriber.place(window, List.of(
        new Segment(0, 0.0, 2.0, " hello", null), new Segment(1, 2.0, 4.0, "hello", null),
        new Segment(2, 4.0, 4.5, "  ", null), new Segment(3, 4.0, 11.9, "there", null)), List.of());
    assertThat(placed).extracting(Segment::text).containsExactly("hello", "there");
    assertThat(placed.get(0).start()).isEqualTo(30.0);
    assertThat(placed.get(1).end()).isEqualTo(35.0);
    assertThat(placed).extracting(Segment::id).containsExactly(0, 1);
  }
}
