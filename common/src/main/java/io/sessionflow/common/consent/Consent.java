package io.sessionflow.common.consent;

import java.time.Instant;
import java.util.List;

/**
 * A client's consent, captured by the therapist before recording. {@code clientRef} is a
 * pseudonym chosen by the practice (never a name, e-mail or phone number).
 */
public record Consent(String id, String practiceId, String therapistId, String clientRef, List<String> scope,
    String formVersion, Instant capturedAt, Instant createdAt, Instant revokedAt) {

  public static final List<String> SCOPES = List.of("record", "transcribe", "analyze");

  public Consent {
    scope = List.copyOf(scope);
  }

  public boolean isRevoked() {
    return revokedAt != null;
  }

  public boolean allows(String purpose) {
    return !isRevoked() && scope.contains(purpose);
  }

  public Consent revoked(Instant at) {
    return new Consent(id, practiceId, therapistId, clientRef, scope, formVersion, capturedAt, createdAt, at);
  }
}
