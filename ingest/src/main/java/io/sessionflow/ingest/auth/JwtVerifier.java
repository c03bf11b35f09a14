package io.sessionflow.ingest.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.crypto.Ids;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;

/**
 * Verifies bearer tokens: RS256 or ES256 only (never {@code alg=none}, never HMAC with a public
 * key), signature against the issuer's JWKS, exact issuer and audience, unexpired, issued no later
 * than now and valid for no longer than the accepted maximum ({@code iat} is required), and the
 * claims Sessionflow needs ({@code sub}, {@code role}, and {@code practice} for therapists and
 * clinic admins). Remote JWKS are cached and refreshed by Nimbus; the first fetch may block, so
 * call this off the event loop. Every refusal carries a reason code for the audit trail.
 */
public final class JwtVerifier {
  /** How far the issuer's clock and ours may disagree. */
  public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  private final DefaultJWTProcessor<SecurityContext> processor;

  public JwtVerifier(JWKSource<SecurityContext> keys, String issuer, String audience) {
    this(keys, issuer, audience, AuthConfig.DEFAULT_MAX_TOKEN_LIFETIME, Clock.systemUTC());
  }

  public JwtVerifier(JWKSource<SecurityContext> keys, String issuer, String audience, Duration maxLifetime,
      Clock clock) {
    processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
        keys));
    processor.setJWTClaimsSetVerifier(new ClaimsCheck(issuer, audience, maxLifetime, clock));
  }

  public static JwtVerifier from(AuthConfig config) {
    return from(config, Clock.systemUTC());
  }

  public static JwtVerifier from(AuthConfig config, Clock clock) {
    JWKSource<SecurityContext> source;
    if (config.isRemote()) {
      try {
        source = JWKSourceBuilder.create(URI.create(config.jwks()).toURL()).retrying(true).build();
      } catch (MalformedURLException | IllegalArgumentException e) {
        throw new ConfigException("Invalid setting --jwt-jwks-url (env JWT_JWKS_URL): not a URL", e);
      }
    } else {
      try {
        source = new ImmutableJWKSet<>(JWKSet.load(Path.of(config.jwks()).toFile()));
      } catch (IOException | ParseException e) {
        throw new ConfigException("Invalid setting --jwt-jwks-url (env JWT_JWKS_URL): cannot read a JWKS from "
            + config.jwks(), e);
      }
    }
    return new JwtVerifier(source, config.issuer(), config.audience(), config.maxTokenLifetime(), clock);
  }

  /** The caller named by a valid token; an {@link AuthException} saying what is wrong otherwise. */
  public Caller verify(String token) {
    return verified(token).caller();
  }

  /** A verified caller and when its token expires. */
  public record Verified(Caller caller, java.time.Instant expiresAt) {
  }

  /** As {@link #verify}, with the token's expiry (what a long-lived response, a stream, must not outlive). */
  public Verified verified(String token) {
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (ParseException e) {
      throw new AuthException(AuthException.MALFORMED, "the bearer token is not a JWT", null, null);
    } catch (Refusal e) {
      throw new AuthException(e.reason, e.getMessage(), e.subject, null);
    } catch (BadJWTException e) {
      throw new AuthException(AuthException.MALFORMED, "the bearer token was rejected: " + e.getMessage(), null,
          null);
    } catch (BadJOSEException e) {
      throw new AuthException(AuthException.BAD_SIGNATURE, "the bearer token's signature or algorithm is not "
          + "accepted", null, null);
    } catch (JOSEException e) {
      throw new AuthException(AuthException.UNVERIFIABLE, "the bearer token could not be verified", null, e);
    }
    // The signature is valid from here on: the subject may be named in the audit trail.
    String subject = claims.getSubject();
    if (!Ids.isValid(subject)) {
      throw new AuthException(AuthException.CLAIMS, "the bearer token's sub claim is not a valid id", null, null);
    }
    Object roleClaim = claims.getClaim("role");
    Role role = Role.fromClaim(roleClaim instanceof String s ? s : null)
        .orElseThrow(() -> new AuthException(AuthException.CLAIMS,
            "the bearer token's role claim must be exactly therapist, clinic-admin or ops", subject, null));
    Object practiceClaim = claims.getClaim("practice");
    String practice = practiceClaim instanceof String s ? s : null;
    if (role != Role.OPS && !Ids.isValid(practice)) {
      throw new AuthException(AuthException.CLAIMS, "the bearer token has no valid practice claim, required for "
          + "role " + role.claim(), subject, null);
    }
    return new Verified(new Caller(subject, role, practice), claims.getExpirationTime().toInstant());
  }

  private static String human(Duration d) {
    if (d.toSeconds() % 3600 == 0) {
      return d.toHours() + "h";
    }
    return d.toSeconds() % 60 == 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
  }

  /** A claims check that failed, with its reason code; thrown only after the signature was verified. */
  private static final class Refusal extends BadJWTException {
    private static final long serialVersionUID = 1L;
    private final String reason;
    private final transient String subject;

    Refusal(String reason, String message, JWTClaimsSet claims) {
      super(message);
      this.reason = reason;
      this.subject = Ids.isValid(claims.getSubject()) ? claims.getSubject() : null;
    }
  }

  /** Time claims with reason codes first, then Nimbus's issuer, audience and required-claims checks. */
  private static final class ClaimsCheck implements JWTClaimsSetVerifier<SecurityContext> {
    private final DefaultJWTClaimsVerifier<SecurityContext> standard;
    private final Duration maxLifetime;
    private final Clock clock;

    ClaimsCheck(String issuer, String audience, Duration maxLifetime, Clock clock) {
      this.maxLifetime = maxLifetime;
      this.clock = clock;
      this.standard = new DefaultJWTClaimsVerifier<>(Set.of(audience), new JWTClaimsSet.Builder().issuer(issuer)
          .build(), Set.of("sub", "exp", "iat", "role"), Set.of()) {
        @Override
        protected Date currentTime() {
          return Date.from(clock.instant());
        }
      };
      this.standard.setMaxClockSkew((int) CLOCK_SKEW.toSeconds());
    }

    @Override
    public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
      Instant now = clock.instant();
      Date exp = claims.getExpirationTime();
      Date iat = claims.getIssueTime();
      Date nbf = claims.getNotBeforeTime();
      if (exp == null || iat == null) {
        throw new Refusal(AuthException.CLAIMS, "the bearer token must carry both exp and iat claims", claims);
      }
      if (now.minus(CLOCK_SKEW).isAfter(exp.toInstant())) {
        throw new Refusal(AuthException.EXPIRED, "the bearer token has expired; get a new one", claims);
      }
      if (iat.toInstant().isAfter(now.plus(CLOCK_SKEW)) || nbf != null && nbf.toInstant().isAfter(now.plus(
          CLOCK_SKEW))) {
        throw new Refusal(AuthException.NOT_YET_VALID, "the bearer token is not valid yet (iat or nbf in the "
            + "future; check the clocks)", claims);
      }
      if (Duration.between(iat.toInstant(), exp.toInstant()).compareTo(maxLifetime) > 0) {
        throw new Refusal(AuthException.LIFETIME, "the bearer token is valid for longer than the accepted "
            + human(maxLifetime) + " (exp - iat); ask for a shorter-lived token", claims);
      }
      try {
        standard.verify(claims, context);
      } catch (BadJWTException e) {
        throw new Refusal(AuthException.CLAIMS, "the bearer token was rejected: " + e.getMessage(), claims);
      }
    }
  }
}
