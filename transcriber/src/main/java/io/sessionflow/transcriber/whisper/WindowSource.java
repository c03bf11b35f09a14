package io.sessionflow.transcriber.whisper;

import io.sessionflow.transcriber.decode.PcmSink;
import io.sessionflow.transcriber.vad.SpeechSummary;

/** Turns a recording's PCM into the windows Whisper gets: fixed ({@link Windower}) or from speech. */
public interface WindowSource extends PcmSink {
  /** Hands over what is left once the recording has ended. */
  void finish();

  /** Root mean square of everything seen (mono), to tell silence from sound. */
  double rms();

  /** Sample frames seen. */
  long frames();

  /** What the voice-activity model found, after {@link #finish()}; null when windows are fixed. */
  default SpeechSummary speech() {
    return null;
  }
}
