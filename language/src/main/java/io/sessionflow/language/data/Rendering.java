package io.sessionflow.language.data;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a labelled text looks to the analyzer in production: its identifiers already replaced by the
 * pseudonymiser's placeholders ({@code [PERSON_1]}), and optionally in the style of a speech
 * recogniser's output (lowercase, no punctuation) for training on both.
 */
public final class Rendering {
  private static final Pattern PUNCTUATION = Pattern.compile("[^\\p{L}\\p{N}'\\s]+");
  private static final Pattern SPACES = Pattern.compile("\\s+");

  private Rendering() {
  }

  /** The text with each identifier span replaced by {@code [KIND_n]}, n counting distinct values per kind. */
  public static String pseudonymised(LabelledText text, boolean asr) {
    StringBuilder out = new StringBuilder();
    Map<String, Integer> numbers = new HashMap<>();
    Map<String, Integer> perKind = new HashMap<>();
    int at = 0;
    for (LabelledText.Span span : text.spans()) {
      out.append(style(text.text().substring(at, span.start()), asr));
      String covered = text.covered(span);
      if (span.identifier()) {
        String key = span.kind() + "|" + covered.toLowerCase(Locale.ROOT);
        int n = numbers.computeIfAbsent(key, k -> perKind.merge(span.kind(), 1, Integer::sum));
        out.append('[').append(span.kind()).append('_').append(n).append(']');
      } else {
        out.append(style(covered, asr));
      }
      at = span.end();
    }
    out.append(style(text.text().substring(at), asr));
    return SPACES.matcher(out.toString()).replaceAll(" ").trim();
  }

  /**
   * The text with its identifiers left in and its spans kept: as written, or in a speech
   * recogniser's style (each piece lowercased without punctuation, pieces joined by one space).
   */
  public static LabelledText styled(LabelledText text, boolean asr) {
    if (!asr) {
      return text;
    }
    StringBuilder out = new StringBuilder();
    java.util.List<LabelledText.Span> spans = new java.util.ArrayList<>();
    int at = 0;
    for (LabelledText.Span span : text.spans()) {
      append(out, asr(text.text().substring(at, span.start())));
      String covered = asr(text.covered(span));
      if (!covered.isEmpty()) {
        if (out.length() > 0) {
          out.append(' ');
        }
        spans.add(new LabelledText.Span(span.kind(), out.length(), out.length() + covered.length()));
        out.append(covered);
      }
      at = span.end();
    }
    append(out, asr(text.text().substring(at)));
    return new LabelledText(out.toString(), spans);
  }

  private static void append(StringBuilder out, String piece) {
    if (!piece.isEmpty()) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(piece);
    }
  }

  /** Lowercase without punctuation, as a speech recogniser without punctuation prints it. */
  public static String asr(String text) {
    return SPACES.matcher(PUNCTUATION.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ")).replaceAll(" ").trim();
  }

  private static String style(String piece, boolean asr) {
    return asr ? " " + asr(piece) + " " : piece;
  }
}
