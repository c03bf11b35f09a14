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
import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.crypto.Ids;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Set;

/**
 * Verifies bearer tokens: RS256 or ES256 only (never {@code alg=none}, never HMAC with a public
 * key), signature against the issuer's JWKS, exact issuer and audience, unexpired, and the
 * claims Sessionflow needs ({@code sub}, {@code role}, and {@code practice} for therapists and
 * clinic admins). Remote JWKS are cached and refreshed by Nimbus; the first fetch may block, so
 * call this off the event loop.
 */
public final class JwtVerifier {
  private final DefaultJWTProcessor<SecurityContext> processor;

  public JwtVerifier(JWKSource<SecurityContext> keys, String issuer, String audience) {
    processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
        keys));
    processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(Set.of(audience),
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", "role"), Set.of()));
  }

  public static JwtVerifier from(AuthConfig config) {
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
    return new JwtVerifier(source, config.issuer(), config.audience());
  }

  /** The caller named by a valid token; an {@link AuthException} saying what is wrong otherwise. */
  public Caller verify(String token) {
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (ParseException e) {
      throw new AuthException("the bearer token is not a JWT");
    } catch (BadJWTException e) {
      throw new AuthException("the bearer token was rejected: " + e.getMessage());
    } catch (BadJOSEException e) {
      throw new AuthException("the bearer token's signature or algorithm is not accepted");
    } catch (JOSEException e) {
      throw new AuthException("the bearer token could not be verified", e);
    }
    String subject = claims.getSubject();
    if (!Ids.isValid(subject)) {
      throw new AuthException("the bearer token's sub claim is not a valid id");
    }
    Object roleClaim = claims.getClaim("role");
    Role role = Role.fromClaim(roleClaim instanceof String s ? s : null)
        .orElseThrow(() -> new AuthException("the bearer token's role claim must be therapist, clinic-admin or ops"));
    Object practiceClaim = claims.getClaim("practice");
    String practice = practiceClaim instanceof String s ? s : null;
    if (role != Role.OPS && !Ids.isValid(practice)) {
      throw new AuthException("the bearer token has no valid practice claim, required for role " + role.claim());
    }
    return new Caller(subject, role, practice);
  }
}
