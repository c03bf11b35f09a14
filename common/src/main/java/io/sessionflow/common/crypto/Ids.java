package io.sessionflow.common.crypto;

import java.util.UUID;

/**
 * Ids that end up in object keys, Kafka keys and logs: opaque, never derived from PHI, and
 * restricted to a safe alphabet so a key can never climb out of its prefix.
 */
public final class Ids {
  private static final String PATTERN = "[A-Za-z0-9][A-Za-z0-9_-]{0,127}";

  private Ids() {
  }

  public static String newId() {
    return UUID.randomUUID().toString().replace("-", "");
  }

  public static boolean isValid(String id) {
    return id != null && id.matches(PATTERN);
  }

  public static String requireId(String id, String what) {
    if (!isValid(id)) {
      throw new IllegalArgumentException(what + " must be 1-128 letters, digits, '-' or '_'");
    }
    return id;
  }
}
