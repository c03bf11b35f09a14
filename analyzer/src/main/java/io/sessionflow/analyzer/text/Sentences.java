package io.sessionflow.analyzer.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Splits speech-to-text output into sentences and sentences into clauses, keeping offsets. */
public final class Sentences {
  private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+(?=[\"'A-Z\\[(])|(?<=[.!?])$");
  private static final Pattern CLAUSE_BREAK = Pattern.compile(
      "\\s*(?:;|,?\\s+\\b(?:but|although|though|whereas|however|except)\\b)\\s*", Pattern.CASE_INSENSITIVE);

  private Sentences() {
  }

  /** A piece of a text and where it starts in it. */
  public record Piece(String text, int start) {
    public boolean isQuestion() {
      return text.strip().endsWith("?");
    }
  }

  public static List<Piece> sentences(String text) {
    return split(text, SENTENCE_END, 0);
  }

  /** Clauses of one sentence: contrast ("but", "although") and semicolons start a new clause. */
  public static List<Piece> clauses(Piece sentence) {
    return split(sentence.text(), CLAUSE_BREAK, sentence.start());
  }

  private static List<Piece> split(String text, Pattern boundary, int offset) {
    List<Piece> pieces = new ArrayList<>();
    Matcher m = boundary.matcher(text);
    int from = 0;
    while (m.find()) {
      add(pieces, text, from, m.start(), offset);
      from = m.end();
    }
    add(pieces, text, from, text.length(), offset);
    return pieces;
  }

  private static void add(List<Piece> pieces, String text, int from, int to, int offset) {
    String piece = text.substring(from, to);
    if (!piece.isBlank()) {
      int lead = piece.length() - piece.stripLeading().length();
      pieces.add(new Piece(piece.strip(), offset + from + lead));
    }
  }

  /** Lower-case words of a text (letters, digits, apostrophes). */
  public static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    Matcher m = Pattern.compile("[\\p{L}\\p{N}']+").matcher(text.toLowerCase(java.util.Locale.ROOT));
    while (m.find()) {
      words.add(m.group());
    }
    return words;
  }
}
