package io.sessionflow.language.pseudonym;

/** One identifier found in a text: {@code [start, end)} and its kind. */
public record IdentifierSpan(IdentifierKind kind, int start, int end, String text) {
  boolean overlaps(IdentifierSpan other) {
    return start < other.end && other.start < end;
  }

  int length() {
    return end - start;
  }
}
