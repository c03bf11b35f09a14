package io.sessionflow.transcriber.whisper;

/**
 * One transcript segment; times in seconds from the start of the recording.
 *
 * @param speaker {@code A} (left channel) or {@code B} (right) when one channel clearly dominates, else null
 */
public record Segment(int id, double start, double end, String text, String speaker) {
}
