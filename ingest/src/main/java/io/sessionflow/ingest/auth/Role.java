package io.sessionflow.ingest.auth;

import java.util.Optional;

/** What a caller may do: a therapist their own recordings, a clinic admin their practice's, ops no PHI at all. */
public enum Role {
  THERAPIST("therapist"),
  CLINIC_ADMIN("clinic-admin"),
  OPS("ops");

  private final String claim;

  Role(String claim) {
    this.claim = claim;
  }

  public String claim() {
    return claim;
  }

  public static Optional<Role> fromClaim(String value) {
    if (value == null) {
      return Optional.empty();
    }
    // Exact match only: "Therapist" is not a role an identity provider was configured to issue.
    for (Role role : values()) {
      if (role.claim.equals(value)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }
}
