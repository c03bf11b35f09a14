package io.sessionflow.ingest.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtVerifierTest {
  @TempDir
  Path dir;
  private RSAKey rsaKey;

  private JwtVerifier verifier(LocalTokenIssuer issuer) {
    return JwtVerifier.from(new AuthConfig(issuer.jwksFile().toString(), LocalTokenIssuer.ISSUER,
        LocalTokenIssuer.AUDIENCE));
  }

  @Test
  void acceptsItsOwnTokensAndReadsTheClaims() throws Exception {
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dir, Clock.systemUTC());
    Caller caller = verifier(issuer).verify(issuer.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1)));
    assertThat(caller).isEqualTo(new Caller("ther-1", Role.THERAPIST, "prac-1"));
    assertThat(verifier(issuer).verify(issuer.issue("op-1", Role.OPS, null, Duration.ofHours(1))).role())
        .isEqualTo(Role.OPS);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("jwt-signing-key.json"))))
        .isEqualTo("rw-------");
  }

  @Test
  void theKeySurvivesARestart() {
    LocalTokenIssuer first = LocalTokenIssuer.loadOrCreate(dir, Clock.systemUTC());
    String token = first.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1));
    LocalTokenIssuer again = LocalTokenIssuer.loadOrCreate(dir, Clock.systemUTC());
    assertThat(verifier(again).verify(token).subject()).isEqualTo("ther-1");
  }

  @Test
  void rejectsExpiredTokens() {
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(3)), ZoneOffset.UTC);
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dir, past);
    String token = issuer.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1));
    assertThatThrownBy(() -> verifier(issuer).verify(token)).isInstanceOf(AuthException.class)
        .hasMessageContaining("expired").extracting(e -> ((AuthException) e).reason())
        .isEqualTo(AuthException.EXPIRED);
  }

  @Test
  void rejectsTokensSignedByAnotherKeyOrIssuedForAnotherIssuerOrAudience() throws Exception {
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dir.resolve("a"), Clock.systemUTC());
    LocalTokenIssuer stranger = LocalTokenIssuer.loadOrCreate(dir.resolve("b"), Clock.systemUTC());
    String forged = stranger.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1));
    assertThatThrownBy(() -> verifier(issuer).verify(forged)).isInstanceOf(AuthException.class);

    String token = issuer.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1));
    JwtVerifier otherIssuer = JwtVerifier.from(new AuthConfig(issuer.jwksFile().toString(), "someone-else",
        LocalTokenIssuer.AUDIENCE));
    assertThatThrownBy(() -> otherIssuer.verify(token)).isInstanceOf(AuthException.class)
        .hasMessageContaining("iss");
    JwtVerifier otherAudience = JwtVerifier.from(new AuthConfig(issuer.jwksFile().toString(),
        LocalTokenIssuer.ISSUER, "another-api"));
    assertThatThrownBy(() -> otherAudience.verify(token)).isInstanceOf(AuthException.class)
        .hasMessageContaining("aud");
  }

  @Test
  void rejectsUnsignedAndHmacTokens() throws Exception {
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dir, Clock.systemUTC());
    JWTClaimsSet claims = validClaims("therapist", "prac-1");
    String none = new PlainJWT(claims).serialize();
    assertThatThrownBy(() -> verifier(issuer).verify(none)).isInstanceOf(AuthException.class);
    SignedJWT hmac = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    hmac.sign(new MACSigner(new byte[32]));
    assertThatThrownBy(() -> verifier(issuer).verify(hmac.serialize())).isInstanceOf(AuthException.class);
    // alg=none smuggled into a token that otherwise looks signed.
    String header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes());
    String smuggled = header + "." + issuer.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1))
        .split("\\.")[1] + ".";
    assertThatThrownBy(() -> verifier(issuer).verify(smuggled)).isInstanceOf(AuthException.class);
    assertThatThrownBy(() -> verifier(issuer).verify("garbage")).isInstanceOf(AuthException.class)
        .hasMessage("the bearer token is not a JWT");
  }

  @Test
  void acceptsRs256FromAJwksAndRequiresRoleAndPractice() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    Path jwks = dir.resolve("rsa-jwks.json");
    Files.writeString(jwks, new com.nimbusds.jose.jwk.JWKSet(rsa.toPublicJWK()).toString(true));
    JwtVerifier rsaVerifier = JwtVerifier.from(new AuthConfig(jwks.toString(), LocalTokenIssuer.ISSUER,
        LocalTokenIssuer.AUDIENCE));
    assertThat(rsaVerifier.verify(rsaSigned(rsa, validClaims("clinic-admin", "prac-9"))).role())
        .isEqualTo(Role.CLINIC_ADMIN);
    assertThatThrownBy(() -> rsaVerifier.verify(rsaSigned(rsa, validClaims("superuser", "prac-9"))))
        .hasMessageContaining("role claim");
    assertThatThrownBy(() -> rsaVerifier.verify(rsaSigned(rsa, validClaims("therapist", null))))
        .hasMessageContaining("practice claim");
  }

  @Test
  void fetchesARemoteJwksButRefusesPlainHttpAtStartUp() throws Exception {
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dir, Clock.systemUTC());
    byte[] jwks = Files.readAllBytes(issuer.jwksFile());
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/.well-known/jwks.json", exchange -> {
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, jwks.length);
      exchange.getResponseBody().write(jwks);
      exchange.close();
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/.well-known/jwks.json";
      assertThatThrownBy(() -> new AuthConfig(url, LocalTokenIssuer.ISSUER, LocalTokenIssuer.AUDIENCE))
          .isInstanceOf(ConfigException.class)
          .hasMessage("Invalid setting --jwt-jwks-url (env JWT_JWKS_URL): only an https URL or a file path is "
              + "accepted, not http://");
      assertThatThrownBy(() -> AuthConfig.from(ConfigSource.of(Map.of("jwt-jwks-url", "HTTP://idp.example/jwks",
          "jwt-issuer", "x"), Map.of()))).isInstanceOf(ConfigException.class).hasMessageContaining("not HTTP://");
      assertThat(new AuthConfig("https://idp.example/jwks", "x", "y").isRemote()).isTrue();
      // The remote fetch itself (Nimbus's cached source), here over loopback http built directly.
      JwtVerifier remote = new JwtVerifier(JWKSourceBuilder.create(URI.create(url).toURL()).build(),
          LocalTokenIssuer.ISSUER, LocalTokenIssuer.AUDIENCE);
      assertThat(remote.verify(issuer.issue("ther-9", Role.THERAPIST, "prac-9", Duration.ofMinutes(5))).subject())
          .isEqualTo("ther-9");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void rolesMatchExactly() throws Exception {
    RSAKey rsa = rsaVerifierKey();
    for (String wrong : new String[] {"Therapist", "THERAPIST", "Clinic-Admin", "OPS", " ops", "therapist "}) {
      assertThatThrownBy(() -> rsaVerifier().verify(rsaSigned(rsa, validClaims(wrong, "prac-1"))))
          .as(wrong).isInstanceOf(AuthException.class).hasMessageContaining("role claim")
          .extracting(e -> ((AuthException) e).reason(), e -> ((AuthException) e).verifiedSubject())
          .containsExactly(AuthException.CLAIMS, "someone");
    }
    assertThat(Role.fromClaim("Therapist")).isEmpty();
    assertThat(Role.fromClaim("clinic-admin")).contains(Role.CLINIC_ADMIN);
  }

  @Test
  void refusesTokensLivingLongerThanTheMaximumOrWithoutIat() throws Exception {
    RSAKey rsa = rsaVerifierKey();
    Instant now = Instant.now();
    JwtVerifier verifier = rsaVerifier();
    assertThat(verifier.verify(rsaSigned(rsa, claims(now, now.plus(Duration.ofHours(24))))).subject())
        .isEqualTo("someone");
    assertThatThrownBy(() -> verifier.verify(rsaSigned(rsa, claims(now, now.plus(Duration.ofHours(24))
        .plusSeconds(1))))).isInstanceOf(AuthException.class).hasMessageContaining("longer than the accepted 24h")
        .extracting(e -> ((AuthException) e).reason()).isEqualTo(AuthException.LIFETIME);
    assertThatThrownBy(() -> verifier.verify(rsaSigned(rsa, claims(null, now.plusSeconds(600)))))
        .isInstanceOf(AuthException.class).hasMessageContaining("iat")
        .extracting(e -> ((AuthException) e).reason()).isEqualTo(AuthException.CLAIMS);

    Path jwks = dir.resolve("rsa-jwks.json");
    JwtVerifier shorter = JwtVerifier.from(new AuthConfig(jwks.toString(), LocalTokenIssuer.ISSUER,
        LocalTokenIssuer.AUDIENCE, Duration.ofMinutes(90)));
    assertThatThrownBy(() -> shorter.verify(rsaSigned(rsa, claims(now, now.plus(Duration.ofHours(2))))))
        .hasMessageContaining("longer than the accepted 90m");
    assertThatThrownBy(() -> AuthConfig.from(ConfigSource.of(Map.of("jwt-jwks-url", jwks.toString(),
        "jwt-issuer", "x", "jwt-max-token-lifetime", "0s"), Map.of()))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("JWT_MAX_TOKEN_LIFETIME");
    assertThat(AuthConfig.from(ConfigSource.of(Map.of("jwt-jwks-url", jwks.toString(), "jwt-issuer", "x"),
        Map.of())).maxTokenLifetime()).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void refusesTokensIssuedInTheFutureBeyondTheClockSkew() throws Exception {
    RSAKey rsa = rsaVerifierKey();
    Instant now = Instant.now();
    JwtVerifier verifier = rsaVerifier();
    Instant soon = now.plusSeconds(30);
    assertThat(verifier.verify(rsaSigned(rsa, claims(soon, soon.plusSeconds(600)))).subject())
        .as("within the skew").isEqualTo("someone");
    Instant later = now.plus(Duration.ofMinutes(10));
    assertThatThrownBy(() -> verifier.verify(rsaSigned(rsa, claims(later, later.plusSeconds(600)))))
        .isInstanceOf(AuthException.class).hasMessageContaining("not valid yet")
        .extracting(e -> ((AuthException) e).reason()).isEqualTo(AuthException.NOT_YET_VALID);
  }

  @Test
  void everyRefusalHasAReasonCodeAndNamesTheSubjectOnlyWhenTheSignatureIsValid() throws Exception {
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dir.resolve("a"), Clock.systemUTC());
    LocalTokenIssuer stranger = LocalTokenIssuer.loadOrCreate(dir.resolve("b"), Clock.systemUTC());
    JwtVerifier verifier = verifier(issuer);
    assertThat(refusal(verifier, "garbage")).containsExactly(AuthException.MALFORMED, null);
    assertThat(refusal(verifier, stranger.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1))))
        .containsExactly(AuthException.BAD_SIGNATURE, null);
    LocalTokenIssuer past = LocalTokenIssuer.loadOrCreate(dir.resolve("a"), Clock.fixed(Instant.now()
        .minus(Duration.ofHours(3)), ZoneOffset.UTC));
    assertThat(refusal(verifier, past.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1))))
        .containsExactly(AuthException.EXPIRED, "ther-1");
    JwtVerifier otherAudience = JwtVerifier.from(new AuthConfig(issuer.jwksFile().toString(),
        LocalTokenIssuer.ISSUER, "another-api"));
    assertThat(refusal(otherAudience, issuer.issue("ther-1", Role.THERAPIST, "prac-1", Duration.ofHours(1))))
        .containsExactly(AuthException.CLAIMS, "ther-1");
  }

  private static java.util.List<String> refusal(JwtVerifier verifier, String token) {
    try {
      verifier.verify(token);
    } catch (AuthException e) {
      return java.util.Arrays.asList(e.reason(), e.verifiedSubject());
    }
    throw new AssertionError("token accepted");
  }

  private RSAKey rsaVerifierKey() throws Exception {
    if (rsaKey == null) {
      rsaKey = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
      Files.writeString(dir.resolve("rsa-jwks.json"), new com.nimbusds.jose.jwk.JWKSet(rsaKey.toPublicJWK())
          .toString(true));
    }
    return rsaKey;
  }

  private JwtVerifier rsaVerifier() {
    return JwtVerifier.from(new AuthConfig(dir.resolve("rsa-jwks.json").toString(), LocalTokenIssuer.ISSUER,
        LocalTokenIssuer.AUDIENCE));
  }

  private static JWTClaimsSet claims(Instant issuedAt, Instant expires) {
    return new JWTClaimsSet.Builder().issuer(LocalTokenIssuer.ISSUER).audience(LocalTokenIssuer.AUDIENCE)
        .subject("someone").claim("role", "therapist").claim("practice", "prac-1")
        .issueTime(issuedAt == null ? null : Date.from(issuedAt)).expirationTime(Date.from(expires)).build();
  }

  private static String rsaSigned(RSAKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static JWTClaimsSet validClaims(String role, String practice) {
    return new JWTClaimsSet.Builder().issuer(LocalTokenIssuer.ISSUER).audience(LocalTokenIssuer.AUDIENCE)
        .subject("someone").claim("role", role).claim("practice", practice)
        .issueTime(new Date()).expirationTime(Date.from(Instant.now().plusSeconds(600))).build();
  }
}
