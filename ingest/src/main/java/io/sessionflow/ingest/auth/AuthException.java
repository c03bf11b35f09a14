package io.sessionflow.ingest.auth;

/**
 * A bearer token was missing, malformed, expired, badly signed or lacking a required claim. The
 * message is for the client; {@link #reason()} is a short code for the audit trail.
 */
public final class AuthException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** No Authorization header. */
  public static final String MISSING = "missing";
  /** Not a bearer token, or not a JWT. */
  public static final String MALFORMED = "malformed";
  /** Signed by no key of the issuer, or with an algorithm that is not accepted. */
  public static final String BAD_SIGNATURE = "bad-signature";
  public static final String EXPIRED = "expired";
  /** {@code nbf} or {@code iat} later than now (beyond the clock skew). */
  public static final String NOT_YET_VALID = "not-yet-valid";
  /** {@code exp - iat} longer than the accepted maximum. */
  public static final String LIFETIME = "lifetime";
  /** Issuer, audience, subject, role or practice missing or wrong. */
  public static final String CLAIMS = "claims";
  /** The token could not be checked (e.g. the JWKS could not be fetched). */
  public static final String UNVERIFIABLE = "unverifiable";

  private final String reason;
  private final transient String verifiedSubject;

  public AuthException(String message) {
    this(MALFORMED, message, null, null);
  }

  public AuthException(String message, Throwable cause) {
    this(UNVERIFIABLE, message, null, cause);
  }

  public AuthException(String reason, String message, String verifiedSubject, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.verifiedSubject = verifiedSubject;
  }

  /** One of the reason codes of this class. */
  public String reason() {
    return reason;
  }

  /** The token's {@code sub} when its signature was verified and the id is valid, else null. */
  public String verifiedSubject() {
    return verifiedSubject;
  }
}
