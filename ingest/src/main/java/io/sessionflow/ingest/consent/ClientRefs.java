package io.sessionflow.ingest.consent;

import java.util.regex.Pattern;

/**
 * What a client pseudonym ({@code clientRef}) may look like, wherever one arrives: a consent
 * names it, a deletion request targets it. Messages never echo the value.
 */
public final class ClientRefs {
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  private static final Pattern CLIENT_REF = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private ClientRefs() {
  }

  /** The value if it is an acceptable pseudonym; otherwise an {@link IllegalArgumentException} saying why. */
  public static String require(String clientRef) {
    if (clientRef == null || !CLIENT_REF.matcher(clientRef).matches()) {
      throw new IllegalArgumentException("clientRef must be your practice's pseudonym for the client: 1-64 letters, "
          + "digits, '.', '_' or '-'");
    }
    if (looksLikeContactDetail(clientRef)) {
      throw new IllegalArgumentException("clientRef looks like an e-mail address or phone number; use a pseudonym");
    }
    return clientRef;
  }

  static boolean looksLikeContactDetail(String value) {
    long digits = value.chars().filter(Character::isDigit).count();
    return EMAIL.matcher(value).find() || (digits >= 7 && value.matches("\\+?[0-9 ().-]+"));
  }
}
