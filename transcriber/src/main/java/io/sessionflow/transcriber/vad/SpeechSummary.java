package io.sessionflow.transcriber.vad;

import java.util.List;

/**
 * The audio's own view of speech, from the voice-activity model: the regions (start and end in
 * recording seconds, ascending, never overlapping), the share of the recording they cover and the
 * longest pause between two of them. Also what it cost and saved: the seconds of audio not sent to
 * Whisper and the CPU seconds the model took.
 */
public record SpeechSummary(double ratio, List<double[]> regions, double longestPause, double speechSeconds,
    double skippedSeconds, double vadSeconds) {
}
