package io.sessionflow.transcriber.whisper;

/** A native call failed; the message says why, in whisper.cpp's words where it gave any. Thrown from C++ too. */
public final class WhisperNativeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WhisperNativeException(String message) {
    super(message);
  }
}
