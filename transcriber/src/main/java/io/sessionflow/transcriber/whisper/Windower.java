package io.sessionflow.transcriber.whisper;

import io.sessionflow.transcriber.decode.AudioDecoder;
import java.util.function.Consumer;

/**
 * Cuts decoded audio into consecutive 30-second windows (what Whisper takes at once), mixing to
 * mono and keeping both channels of a stereo recording for speaker attribution. Every sample
 * lands in exactly one window, so nothing is dropped or doubled at the edges and a window's
 * {@link Window#startFrame()} turns its timestamps into recording time exactly. Memory is three
 * window buffers, however long the recording.
 */
public final class Windower implements WindowSource {
  public static final int WINDOW_FRAMES = 30 * AudioDecoder.SAMPLE_RATE;

  private final int windowFrames;
  private final Consumer<Window> onWindow;
  private float[] mono;
  private float[] left;
  private float[] right;
  private int filled;
  private long startFrame;
  private double sumSquares;
  private long frames;

  public Windower(int windowFrames, Consumer<Window> onWindow) {
    this.windowFrames = windowFrames;
    this.onWindow = onWindow;
    this.mono = new float[windowFrames];
  }

  /**
   * One window of audio. {@code left}/{@code right} are null unless the recording is stereo;
   * {@code map} puts window samples on recording time ({@code startFrame} is where it begins).
   */
  public record Window(long startFrame, int frames, float[] mono, float[] left, float[] right, TimeMap map) {
    /** An uncut stretch of the recording. */
    public Window(long startFrame, int frames, float[] mono, float[] left, float[] right) {
      this(startFrame, frames, mono, left, right, TimeMap.contiguous(startFrame));
    }

    public double startSeconds() {
      return startFrame / (double) AudioDecoder.SAMPLE_RATE;
    }
  }

  @Override
  public void accept(float[] interleaved, int count, int channels) {
    if (channels == 2 && left == null) {
      left = new float[windowFrames];
      right = new float[windowFrames];
    }
    for (int i = 0; i < count; i++) {
      float sum = 0;
      for (int c = 0; c < channels; c++) {
        sum += interleaved[i * channels + c];
      }
      float sample = sum / channels;
      mono[filled] = sample;
      if (channels == 2) {
        left[filled] = interleaved[i * 2];
        right[filled] = interleaved[i * 2 + 1];
      }
      sumSquares += (double) sample * sample;
      filled++;
      frames++;
      if (filled == windowFrames) {
        emit();
      }
    }
  }

  /** Hands over the last, partial window. */
  @Override
  public void finish() {
    if (filled > 0) {
      emit();
    }
  }

  @Override
  public double rms() {
    return frames == 0 ? 0 : Math.sqrt(sumSquares / frames);
  }

  @Override
  public long frames() {
    return frames;
  }

  private void emit() {
    onWindow.accept(new Window(startFrame, filled, mono, left, right));
    startFrame += filled;
    filled = 0;
  }
}
