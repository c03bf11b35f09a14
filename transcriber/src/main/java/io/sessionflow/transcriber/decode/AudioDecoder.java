package io.sessionflow.transcriber.decode;

import java.io.InputStream;
import java.nio.FloatBuffer;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;

/**
 * FFmpeg (through JavaCV) decoding straight from a stream — the decrypting stream of a stored
 * recording, never a temporary file — resampled to 16 kHz float PCM with the source's channels
 * kept, so stereo recordings can be attributed to speakers. Blocking: run it on the decode pool.
 */
public final class AudioDecoder {
  public static final int SAMPLE_RATE = 16_000;

  static {
    // FFmpeg's own logging would print file details to stderr; errors surface as exceptions instead.
    avutil.av_log_set_level(avutil.AV_LOG_QUIET);
    FFmpegLogCallback.setLevel(avutil.AV_LOG_QUIET);
  }

  /** What was decoded. */
  public record Decoded(long frames, int channels, String codec, int sourceSampleRate) {
    public double seconds() {
      return frames / (double) SAMPLE_RATE;
    }
  }

  /**
   * Decodes everything into {@code sink}.
   *
   * @param in a stream positioned at the start; seekable ({@code markSupported}) for containers
   *           whose index is at the end
   */
  public Decoded decode(InputStream in, PcmSink sink) {
    try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(in, Integer.MAX_VALUE - 8)) {
      grabber.setSampleRate(SAMPLE_RATE);
      grabber.setSampleFormat(avutil.AV_SAMPLE_FMT_FLT);
      try {
        grabber.start();
      } catch (FFmpegFrameGrabber.Exception e) {
        throw new DecodeException("not a media file FFmpeg can read", e);
      }
      if (!grabber.hasAudio() || grabber.getAudioChannels() < 1) {
        throw new DecodeException("the file has no audio stream", null);
      }
      int channels = grabber.getAudioChannels();
      long frames = 0;
      Frame frame;
      while ((frame = grab(grabber)) != null) {
        if (frame.samples == null || frame.samples.length == 0) {
          continue;
        }
        FloatBuffer samples = (FloatBuffer) frame.samples[0];
        float[] chunk = new float[samples.remaining()];
        samples.get(chunk);
        int chunkFrames = chunk.length / channels;
        frames += chunkFrames;
        sink.accept(chunk, chunkFrames, channels);
      }
      if (frames == 0) {
        throw new DecodeException("the audio stream holds no samples", null);
      }
      return new Decoded(frames, channels, grabber.getAudioCodecName(), grabber.getSampleRate());
    } catch (org.bytedeco.javacv.FrameGrabber.Exception e) {
      throw new DecodeException("FFmpeg could not close the stream", e);
    }
  }

  private static Frame grab(FFmpegFrameGrabber grabber) {
    try {
      return grabber.grabSamples();
    } catch (FFmpegFrameGrabber.Exception e) {
      throw new DecodeException("the audio is corrupt part-way through", e);
    }
  }
}
