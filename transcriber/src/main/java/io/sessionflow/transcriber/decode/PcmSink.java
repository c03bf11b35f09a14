package io.sessionflow.transcriber.decode;

/** Receives decoded audio: 16 kHz float samples, interleaved when there is more than one channel. */
@FunctionalInterface
public interface PcmSink {
  void accept(float[] interleaved, int frames, int channels);
}
