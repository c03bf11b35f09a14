package io.sessionflow.transcriber.whisper;

/**
 * One transcript segment; times in seconds from the start of the recording.
 *
 * @param speaker  {@code A} (left channel) or {@code B} (right) when one channel clearly dominates, else null
 * @param noSpeech whisper.cpp's probability that the window held no speech at all
 */
public record Segment(int id, double start, double end, String text, String speaker, double noSpeech) {

  public Segment(int id, double start, double end, String text, String speaker) {
    this(id, start, end, text, speaker, 0);
  }
}
