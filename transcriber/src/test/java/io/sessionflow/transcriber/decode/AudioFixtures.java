package io.sessionflow.transcriber.decode;

import io.sessionflow.transcriber.speech.SpeechCorpus;
import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.util.Map;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;

/**
 * Test recordings made in memory with FFmpeg's encoders (never written to disk): recorded speech
 * ({@link SpeechCorpus}) or a tone, whose left and right channels can differ, in the containers and
 * codecs phones and archives produce.
 */
public final class AudioFixtures {
  /** container, codec, sample format the encoder takes. */
  public record Format(String container, int codec, int sampleFormat, Map<String, String> options) {
  }

  public static final Map<String, Format> FORMATS = Map.of(
      "wav-s16", new Format("wav", avcodec.AV_CODEC_ID_PCM_S16LE, avutil.AV_SAMPLE_FMT_S16, Map.of()),
      "wav-s24", new Format("wav", avcodec.AV_CODEC_ID_PCM_S24LE, avutil.AV_SAMPLE_FMT_S32, Map.of()),
      "wav-float", new Format("wav", avcodec.AV_CODEC_ID_PCM_F32LE, avutil.AV_SAMPLE_FMT_FLT, Map.of()),
      "mp3", new Format("mp3", avcodec.AV_CODEC_ID_MP3, avutil.AV_SAMPLE_FMT_FLTP, Map.of()),
      "m4a", new Format("ipod", avcodec.AV_CODEC_ID_AAC, avutil.AV_SAMPLE_FMT_FLTP,
          // Written to a stream, so fragmented: two-second fragments, as streaming recorders write them.
          Map.of("movflags", "frag_keyframe+empty_moov", "frag_duration", "2000000")),
      "ogg-opus", new Format("ogg", avcodec.AV_CODEC_ID_OPUS, avutil.AV_SAMPLE_FMT_FLT, Map.of()),
      "webm-opus", new Format("webm", avcodec.AV_CODEC_ID_OPUS, avutil.AV_SAMPLE_FMT_FLT, Map.of()),
      "flac", new Format("flac", avcodec.AV_CODEC_ID_FLAC, avutil.AV_SAMPLE_FMT_S16, Map.of()),
      "amr", new Format("amr", avcodec.AV_CODEC_ID_AMR_NB, avutil.AV_SAMPLE_FMT_S16, Map.of()));

  private AudioFixtures() {
  }

  /**
   * An M4A the way phones save it: one moov index, written at the end, so a reader must seek
   * back to find it. FFmpeg can only write that to a seekable file, so it goes through a
   * temporary file (generated, deleted at once) and comes back as bytes.
   */
  public static byte[] m4aWithIndexAtTheEnd(double seconds) throws Exception {
    float[] speech = resample(SpeechCorpus.speech(seconds, 45).mono(), 44_100);
    java.nio.file.Path file = java.nio.file.Files.createTempFile("fixture", ".m4a");
    try {
      try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), 1)) {
        recorder.setFormat("ipod");
        recorder.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
        recorder.setSampleRate(44_100);
        recorder.setAudioChannels(1);
        recorder.setSampleFormat(avutil.AV_SAMPLE_FMT_FLTP);
        recorder.setAudioBitrate(64_000);
        recorder.start();
        int total = (int) (seconds * 44_100);
        for (int start = 0; start < total; start += 1024) {
          int n = Math.min(1024, total - start);
          float[] samples = new float[n];
          System.arraycopy(speech, start, samples, 0, Math.min(n, speech.length - start));
          recorder.recordSamples(44_100, 1, FloatBuffer.wrap(samples));
        }
        recorder.stop();
      }
      return java.nio.file.Files.readAllBytes(file);
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }

  /**
   * Encodes {@code seconds} of recorded speech ({@link SpeechCorpus#speech}, chosen by {@code seed});
   * {@code rightGain} scales the right channel (stereo only), so 0.05 makes the left channel
   * clearly dominant.
   */
  public static byte[] speech(Format format, int sampleRate, int channels, double seconds, double rightGain,
      long seed) throws Exception {
    float[] speech = resample(SpeechCorpus.speech(seconds, seed).mono(), sampleRate);
    return encode(format, sampleRate, channels, speech.length, i -> speech[i], rightGain);
  }

  /** 16 kHz samples at {@code rate}, by linear interpolation (enough for test recordings). */
  static float[] resample(float[] samples, int rate) {
    if (rate == SpeechCorpus.RATE) {
      return samples;
    }
    int n = (int) ((long) samples.length * rate / SpeechCorpus.RATE);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double at = i * (double) SpeechCorpus.RATE / rate;
      int k = (int) at;
      double frac = at - k;
      float a = samples[Math.min(k, samples.length - 1)];
      float b = samples[Math.min(k + 1, samples.length - 1)];
      out[i] = (float) (a + (b - a) * frac);
    }
    return out;
  }

  /**
   * Encodes {@code seconds} of a 440 Hz tone; {@code rightGain} scales the right channel (stereo
   * only), so 0.05 makes the left channel clearly dominant.
   */
  public static byte[] tone(Format format, int sampleRate, int channels, double seconds, double rightGain)
      throws Exception {
    return tone(format, sampleRate, channels, seconds, rightGain, 0.4);
  }

  /** Same, with the left channel's amplitude given (0 makes silence). */
  public static byte[] tone(Format format, int sampleRate, int channels, double seconds, double rightGain,
      double amplitude) throws Exception {
    return encode(format, sampleRate, channels, (int) (seconds * sampleRate),
        i -> (float) (amplitude * Math.sin(2 * Math.PI * 440 * i / sampleRate)), rightGain);
  }

  private static byte[] encode(Format format, int sampleRate, int channels, int total,
      java.util.function.IntFunction<Float> sample, double rightGain) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(out, channels)) {
      recorder.setFormat(format.container());
      recorder.setAudioCodec(format.codec());
      recorder.setSampleRate(sampleRate);
      recorder.setAudioChannels(channels);
      recorder.setSampleFormat(format.sampleFormat());
      recorder.setAudioBitrate(64_000);
      format.options().forEach(recorder::setOption);
      recorder.start();
      int block = 1024;
      for (int start = 0; start < total; start += block) {
        int n = Math.min(block, total - start);
        float[] interleaved = new float[n * channels];
        for (int i = 0; i < n; i++) {
          float v = sample.apply(start + i);
          interleaved[i * channels] = v;
          if (channels == 2) {
            interleaved[i * channels + 1] = (float) (v * rightGain);
          }
        }
        recorder.recordSamples(sampleRate, channels, FloatBuffer.wrap(interleaved));
      }
      recorder.stop();
    }
    return out.toByteArray();
  }
}
