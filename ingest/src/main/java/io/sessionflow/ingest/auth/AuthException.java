package io.sessionflow.ingest.auth;

/** A bearer token was missing, malformed, expired, badly signed or lacking a required claim. */
public final class AuthException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AuthException(String message) {
    super(message);
  }

  public AuthException(String message, Throwable cause) {
    super(message, cause);
  }
}
