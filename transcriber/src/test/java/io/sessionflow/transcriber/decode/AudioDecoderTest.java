package io.sessionflow.transcriber.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class AudioDecoderTest {
  private final AudioDecoder decoder = new AudioDecoder();

  @ParameterizedTest
  @ValueSource(strings = {"wav-s16", "wav-s24", "wav-float", "mp3", "m4a", "ogg-opus", "webm-opus", "flac", "amr"})
  void decodesEachFormatTo16kHzFloat(String name) throws Exception {
    AudioFixtures.Format format = AudioFixtures.FORMATS.get(name);
    int rate = name.equals("amr") ? 8000 : name.contains("opus") ? 48_000 : 44_100;
    int channels = name.equals("amr") ? 1 : 2;
    byte[] encoded = AudioFixtures.tone(format, rate, channels, 3.0, 1.0);
    AtomicLong frames = new AtomicLong();
    double[] energy = new double[1];
    AudioDecoder.Decoded decoded = decoder.decode(new ByteArrayInputStream(encoded), (pcm, n, ch) -> {
      frames.addAndGet(n);
      for (float v : pcm) {
        energy[0] += v * v;
      }
    });
    assertThat(decoded.channels()).isEqualTo(channels);
    assertThat(decoded.seconds()).as(name).isBetween(2.9, 3.2);
    assertThat(frames.get()).isEqualTo(decoded.frames());
    double rms = Math.sqrt(energy[0] / (decoded.frames() * channels));
    assertThat(rms).as("tone level of %s", name).isBetween(0.15, 0.45);
  }

  @Test
  void notAudioAndEmptyInputFailWithAReason() {
    assertThatThrownBy(() -> decoder.decode(new ByteArrayInputStream("just text".getBytes()), (p, n, c) -> { }))
        .isInstanceOf(DecodeException.class).hasMessageContaining("not a media file");
    assertThatThrownBy(() -> decoder.decode(new ByteArrayInputStream(new byte[0]), (p, n, c) -> { }))
        .isInstanceOf(DecodeException.class);
  }
}
