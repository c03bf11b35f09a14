package io.sessionflow.ingest.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtVerifierTest {
  @TempDir
  Path dir;

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
        .hasMessageContaining("Expired");
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
  void productionFetchesTheIssuersJwksOverHttp() throws Exception {
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
      JwtVerifier remote = JwtVerifier.from(new AuthConfig("http://127.0.0.1:" + server.getAddress().getPort()
          + "/.well-known/jwks.json", LocalTokenIssuer.ISSUER, LocalTokenIssuer.AUDIENCE));
      assertThat(remote.verify(issuer.issue("ther-9", Role.THERAPIST, "prac-9", Duration.ofMinutes(5))).subject())
          .isEqualTo("ther-9");
    } finally {
      server.stop(0);
    }
  }

  private static String rsaSigned(RSAKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static JWTClaimsSet validClaims(String role, String practice) {
    return new JWTClaimsSet.Builder().issuer(LocalTokenIssuer.ISSUER).audience(LocalTokenIssuer.AUDIENCE)
        .subject("someone").claim("role", role).claim("practice", practice)
        .expirationTime(Date.from(Instant.now().plusSeconds(600))).build();
  }
}
