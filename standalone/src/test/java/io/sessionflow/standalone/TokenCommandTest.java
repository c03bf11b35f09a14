package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.ingest.auth.AuthConfig;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.JwtVerifier;
import io.sessionflow.ingest.auth.LocalTokenIssuer;
import io.sessionflow.ingest.auth.Role;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code token}: no default practice, exact roles, no lifetime the instance would refuse. */
class TokenCommandTest {
  @TempDir
  Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int token(String... args) {
    out.reset();
    err.reset();
    List<String> all = new ArrayList<>(List.of("token", "--data-dir", dir.toString(), "--subject", "user-1"));
    all.addAll(List.of(args));
    return SessionflowCli.run(all.toArray(String[]::new), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void aTherapistOrClinicAdminTokenNeedsAPractice() {
    for (String role : new String[] {"therapist", "clinic-admin"}) {
      assertThat(token("--role", role)).as(role).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("Missing setting --practice")
          .contains("a " + role + " token must name the practice");
      assertThat(out.size()).isZero();
    }
    assertThat(token()).as("therapist is the default role; still no default practice").isEqualTo(2);
    assertThat(token("--role", "clinic-admin", "--practice", "prac-7")).isZero();
    Caller caller = verifier().verify(out.toString(StandardCharsets.UTF_8).trim());
    assertThat(caller).isEqualTo(new Caller("user-1", Role.CLINIC_ADMIN, "prac-7"));
    assertThat(token("--role", "ops")).isZero();
    assertThat(verifier().verify(out.toString(StandardCharsets.UTF_8).trim()).role()).isEqualTo(Role.OPS);
  }

  @Test
  void rolesAreExactAndTheLifetimeIsOneTheInstanceAccepts() {
    assertThat(token("--role", "Therapist", "--practice", "prac-1")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--role");
    assertThat(token("--practice", "prac-1", "--ttl", "25h")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--ttl").contains("JWT_MAX_TOKEN_LIFETIME");
    assertThat(token("--practice", "prac-1", "--ttl", "24h")).isZero();
  }

  private JwtVerifier verifier() {
    return JwtVerifier.from(new AuthConfig(dir.resolve("secrets").resolve("jwks.json").toString(),
        LocalTokenIssuer.ISSUER, LocalTokenIssuer.AUDIENCE));
  }
}
