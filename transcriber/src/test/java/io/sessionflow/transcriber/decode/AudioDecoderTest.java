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
  void aStorageReadFailurePartWayFailsTheDecodeRetryablyInsteadOfTruncatingTheRecording() throws Exception {
    byte[] encoded = AudioFixtures.tone(AudioFixtures.FORMATS.get("mp3"), 44_100, 1, 20.0, 1.0);
    int failAt = encoded.length * 2 / 3;
    java.io.InputStream failing = new java.io.FilterInputStream(new ByteArrayInputStream(encoded)) {
      private long position;

      @Override
      public int read(byte[] b, int off, int len) throws java.io.IOException {
        if (position >= failAt) {
          throw new java.io.IOException("connection reset by the object store");
        }
        int n = super.read(b, off, (int) Math.min(len, failAt - position));
        position += Math.max(n, 0);
        return n;
      }
    };
    AtomicLong frames = new AtomicLong();
    assertThatThrownBy(() -> decoder.decode(failing, (pcm, n, ch) -> frames.addAndGet(n)))
        .isInstanceOf(AudioDecoder.SourceReadException.class)
        .hasMessageContaining("failed part-way")
        .satisfies(e -> assertThat(io.sessionflow.common.failure.Failures.isRetryable(e)).isTrue());
    assertThat(frames.get()).as("it did decode the part it could read before failing").isPositive();
  }

  @Test
  void aTwoHourRecordingStreamsThroughInBoundedWindowsWithNoSampleLostOrDoubled() {
    int rate = 16_000;
    long frames = 2L * 3600 * rate;
    java.util.List<Long> windowStarts = new java.util.ArrayList<>();
    long[] windowFrames = new long[1];
    io.sessionflow.transcriber.whisper.Windower windower = new io.sessionflow.transcriber.whisper.Windower(
        io.sessionflow.transcriber.whisper.Windower.WINDOW_FRAMES, window -> {
          windowStarts.add(window.startFrame());
          windowFrames[0] += window.frames();
        });
    AudioDecoder.Decoded decoded = decoder.decode(new GeneratedWav(frames, rate), windower);
    windower.finish();
    assertThat(decoded.frames()).isEqualTo(frames);
    assertThat(windowFrames[0]).isEqualTo(frames);
    assertThat(windowStarts).hasSize(240);
    for (int i = 0; i < windowStarts.size(); i++) {
      assertThat(windowStarts.get(i)).isEqualTo((long) i * 30 * rate);
    }
  }

  @Test
  void aFileWithNoAudioStreamAndACorruptFileFailWithTheirReason() throws Exception {
    java.io.ByteArrayOutputStream video = new java.io.ByteArrayOutputStream();
    try (org.bytedeco.javacv.FFmpegFrameRecorder recorder = new org.bytedeco.javacv.FFmpegFrameRecorder(video, 16,
        16, 0)) {
      recorder.setFormat("matroska");
      recorder.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FFV1);
      recorder.setFrameRate(5);
      recorder.start();
      org.bytedeco.javacv.Frame frame = new org.bytedeco.javacv.Frame(16, 16, org.bytedeco.javacv.Frame.DEPTH_UBYTE, 3);
      for (int i = 0; i < 5; i++) {
        recorder.record(frame);
      }
      recorder.stop();
    }
    assertThatThrownBy(() -> decoder.decode(new ByteArrayInputStream(video.toByteArray()), (p, n, c) -> { }))
        .isInstanceOf(DecodeException.class).hasMessage("the file has no audio stream");
    byte[] flac = AudioFixtures.tone(AudioFixtures.FORMATS.get("flac"), 16_000, 1, 5, 1.0);
    byte[] corrupt = java.util.Arrays.copyOf(flac, flac.length);
    java.util.Random random = new java.util.Random(4);
    for (int i = 200; i < corrupt.length; i++) {
      corrupt[i] = (byte) random.nextInt(256);
    }
    assertThatThrownBy(() -> decoder.decode(new ByteArrayInputStream(corrupt), (p, n, c) -> { }))
        .isInstanceOf(DecodeException.class);
  }

  @Test
  void aTruncatedRecordingYieldsWhatItHoldsOrFailsWithAReason() throws Exception {
    // Cut in half: formats framed as they go decode the half that arrived, and no more.
    for (String name : java.util.List.of("mp3", "wav-s16", "ogg-opus", "flac")) {
      int rate = name.contains("opus") ? 48_000 : 44_100;
      byte[] whole = AudioFixtures.tone(AudioFixtures.FORMATS.get(name), rate, 1, 4.0, 1.0);
      byte[] half = java.util.Arrays.copyOf(whole, whole.length / 2);
      AudioDecoder.Decoded decoded = decoder.decode(new ByteArrayInputStream(half), (p, n, c) -> { });
      assertThat(decoded.seconds()).as(name).isBetween(1.5, 2.3);
    }
    // An MP4 whose index comes last loses it with its tail: nothing can be decoded, and it says so.
    byte[] m4a = AudioFixtures.m4aWithIndexAtTheEnd(4.0);
    byte[] cut = java.util.Arrays.copyOf(m4a, m4a.length / 2);
    assertThatThrownBy(() -> decoder.decode(new ByteArrayInputStream(cut), (p, n, c) -> { }))
        .isInstanceOf(DecodeException.class).message().isIn("not a media file FFmpeg can read",
            "the audio stream holds no samples", "the audio is corrupt part-way through");
  }

  /** A mono 16-bit WAV generated as it is read: hours of audio without holding it. */
  private static final class GeneratedWav extends java.io.InputStream {
    private final byte[] header;
    private final long dataBytes;
    private long position;

    GeneratedWav(long frames, int rate) {
      this.dataBytes = frames * 2;
      java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(44).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      h.put("RIFF".getBytes()).putInt((int) Math.min(Integer.MAX_VALUE, 36 + dataBytes)).put("WAVEfmt ".getBytes())
          .putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate).putInt(rate * 2).putShort((short) 2)
          .putShort((short) 16).put("data".getBytes()).putInt((int) Math.min(Integer.MAX_VALUE, dataBytes));
      this.header = h.array();
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      long total = 44 + dataBytes;
      if (position >= total) {
        return -1;
      }
      int n = (int) Math.min(len, total - position);
      for (int i = 0; i < n; i++) {
        long p = position + i;
        if (p < 44) {
          b[off + i] = header[(int) p];
        } else {
          long sample = (p - 44) / 2;
          short value = (short) (8000 * Math.sin(2 * Math.PI * 300 * sample / 16_000.0));
          b[off + i] = (byte) (((p - 44) % 2 == 0) ? value : value >> 8);
        }
      }
      position += n;
      return n;
    }
  }

  @Test
  void notAudioAndEmptyInputFailWithAReason() {
    assertThatThrownBy(() -> decoder.decode(new ByteArrayInputStream("just text".getBytes()), (p, n, c) -> { }))
        .isInstanceOf(DecodeException.class).hasMessageContaining("not a media file");
    assertThatThrownBy(() -> decoder.decode(new ByteArrayInputStream(new byte[0]), (p, n, c) -> { }))
        .isInstanceOf(DecodeException.class);
  }
}
