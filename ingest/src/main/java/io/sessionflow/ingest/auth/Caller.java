package io.sessionflow.ingest.auth;

import io.vertx.core.json.JsonObject;

/**
 * An authenticated caller, from a verified token.
 *
 * @param subject    the token's {@code sub}: a therapist, admin or operator id
 * @param role       the token's {@code role}
 * @param practiceId the token's {@code practice}; every therapist and clinic admin belongs to one
 */
public record Caller(String subject, Role role, String practiceId) {

  public JsonObject toJson() {
    return new JsonObject().put("subject", subject).put("role", role.claim()).put("practice", practiceId);
  }
}
