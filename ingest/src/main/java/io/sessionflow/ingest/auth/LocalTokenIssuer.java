package io.sessionflow.ingest.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sessionflow.common.crypto.Ids;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Standalone's own token issuer: an ES256 key generated on first use under the data dir (private
 * key readable only by its owner, public JWKS beside it), signing tokens the running instance
 * verifies with {@link JwtVerifier}. Production uses the organisation's identity provider instead.
 */
public final class LocalTokenIssuer {
  public static final String ISSUER = "sessionflow-standalone";
  public static final String AUDIENCE = "sessionflow";
  private static final String PRIVATE_FILE = "jwt-signing-key.json";
  private static final String PUBLIC_FILE = "jwks.json";

  private final ECKey key;
  private final Path jwksFile;
  private final Clock clock;

  private LocalTokenIssuer(ECKey key, Path jwksFile, Clock clock) {
    this.key = key;
    this.jwksFile = jwksFile;
    this.clock = clock;
  }

  /** Loads the key from {@code secretsDir}, generating it (and the public JWKS) on first use. */
  public static LocalTokenIssuer loadOrCreate(Path secretsDir, Clock clock) {
    Path privateFile = secretsDir.resolve(PRIVATE_FILE);
    Path publicFile = secretsDir.resolve(PUBLIC_FILE);
    try {
      ECKey key;
      if (Files.exists(privateFile)) {
        key = ECKey.parse(Files.readString(privateFile, StandardCharsets.UTF_8));
      } else {
        Files.createDirectories(secretsDir);
        key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
            .keyID(Ids.newId()).generate();
        writeOwnerOnly(privateFile, key.toJSONString());
      }
      if (!Files.exists(publicFile)) {
        writeOwnerOnly(publicFile, new JWKSet(key.toPublicJWK()).toString(true));
      }
      return new LocalTokenIssuer(key, publicFile, clock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the token signing key under " + secretsDir, e);
    } catch (ParseException | JOSEException e) {
      throw new IllegalStateException("the token signing key " + privateFile + " is unusable", e);
    }
  }

  /** The public JWKS file the instance verifies against. */
  public Path jwksFile() {
    return jwksFile;
  }

  public String issue(String subject, Role role, String practiceId, Duration ttl) {
    Ids.requireId(subject, "subject");
    if (practiceId != null) {
      Ids.requireId(practiceId, "practice");
    }
    Instant now = clock.instant();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject(subject)
        .claim("role", role.claim())
        .claim("practice", practiceId)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now.minusSeconds(5)))
        .expirationTime(Date.from(now.plus(ttl)))
        .jwtID(Ids.newId())
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
        .type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
    return jwt.serialize();
  }

  private static void writeOwnerOnly(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }
}
