package io.sessionflow.transcriber.vad;

/**
 * Speech probability per {@value #FRAME}-sample frame (32 ms at 16 kHz) of one recording's mono
 * audio, fed in order: one instance per recording, it keeps what it needs of the audio before.
 */
public interface FrameClassifier {
  /** Samples per frame: Silero VAD's window at 16 kHz. */
  int FRAME = 512;

  /**
   * Probabilities of the frames of {@code mono[0, samples)}, the last one zero-padded when
   * {@code samples} is not a multiple of {@link #FRAME}; only the last call may be such a short one.
   */
  float[] classify(float[] mono, int samples);
}
