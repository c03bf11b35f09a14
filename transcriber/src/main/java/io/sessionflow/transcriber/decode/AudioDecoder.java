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
  public Decoded decode(InputStream source, PcmSink sink) {
    ReadGuard in = new ReadGuard(source);
    try {
      Decoded decoded = decodeGuarded(in, sink);
      in.rethrow();
      return decoded;
    } catch (DecodeException e) {
      in.rethrow(); // a corrupt-looking stream because the storage read failed is a read failure
      throw e;
    }
  }

  private Decoded decodeGuarded(InputStream in, PcmSink sink) {
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

  /**
   * FFmpeg takes a failing read for the end of the file, so a storage error part-way through a
   * recording would decode silently into a shorter one. The guard remembers the first failure of
   * the underlying stream; the decode then fails with it (retryable) instead of returning a
   * truncated recording.
   */
  private static final class ReadGuard extends java.io.FilterInputStream {
    private volatile java.io.IOException failure;

    ReadGuard(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws java.io.IOException {
      try {
        return super.read();
      } catch (java.io.IOException | RuntimeException e) {
        throw remember(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws java.io.IOException {
      try {
        return super.read(b, off, len);
      } catch (java.io.IOException | RuntimeException e) {
        throw remember(e);
      }
    }

    @Override
    public long skip(long n) throws java.io.IOException {
      try {
        return super.skip(n);
      } catch (java.io.IOException | RuntimeException e) {
        throw remember(e);
      }
    }

    @Override
    public synchronized void reset() throws java.io.IOException {
      try {
        super.reset();
      } catch (java.io.IOException | RuntimeException e) {
        throw remember(e);
      }
    }

    private java.io.IOException remember(Exception e) {
      java.io.IOException io = e instanceof java.io.IOException x ? x : new java.io.IOException(e);
      if (failure == null) {
        failure = io;
      }
      return io;
    }

    void rethrow() {
      if (failure != null) {
        throw new SourceReadException(failure);
      }
    }
  }

  /** Reading the stored recording failed part-way; retrying may succeed, truncating never is right. */
  public static final class SourceReadException extends io.sessionflow.common.failure.SessionflowException {
    private static final long serialVersionUID = 1L;

    SourceReadException(java.io.IOException cause) {
      super("reading the stored recording failed part-way through: "
          + io.sessionflow.common.failure.Failures.reason(cause), true, cause);
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
