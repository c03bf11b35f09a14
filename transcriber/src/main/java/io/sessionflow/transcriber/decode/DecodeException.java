package io.sessionflow.transcriber.decode;

import io.sessionflow.common.failure.SessionflowException;

/**
 * The audio cannot be turned into PCM: not a media file FFmpeg knows, no audio stream, or
 * silence throughout. Never retryable: the same bytes fail the same way. Messages say what is
 * wrong with the file, never what it contains.
 */
public final class DecodeException extends SessionflowException {
  private static final long serialVersionUID = 1L;

  public DecodeException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
