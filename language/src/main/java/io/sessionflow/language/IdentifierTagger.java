package io.sessionflow.language;

import io.sessionflow.language.head.Head;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds identifiers from context, word by word: each word's first word-piece state from the
 * encoder (uncased, so "grace" and "Grace" read alike, and "my sister grace" is a name because of
 * "my sister") with a few surface features goes through the {@code identifier} head, whose labels
 * are {@code O} and the labelling guide's kinds. Adjacent words of the same kind make one span.
 * Thread-safe.
 */
public final class IdentifierTagger {
  /** Surface features after the token state. */
  public static final int SURFACE = 6;
  public static final int WIDTH = SentenceEncoder.DIMENSIONS + SURFACE;
  /** The probability a lowercase word in cased text needs to be read as (part of) a name. */
  static final double LOWERCASE_NAME_IN_CASED_TEXT = 0.5;
  private final SentenceEncoder encoder;
  private final Head head;
  private final double threshold;

  public IdentifierTagger(SentenceEncoder encoder, Head head, double threshold) {
    this.encoder = encoder;
    this.head = head;
    this.threshold = threshold;
  }

  /** One identifier: {@code [start, end)} in the text, its kind ({@code PERSON}, ...) and probability. */
  public record Span(String kind, int start, int end, double probability) {
  }

  /** One word of a text: its character range and the index of its first word piece. */
  public record Word(int start, int end, int firstPiece) {
  }

  /** The words of a text as the encoder's word pieces group them. */
  public static List<Word> words(List<WordPieceTokenizer.Token> tokens) {
    List<Word> words = new ArrayList<>();
    for (int t = 0; t < tokens.size(); t++) {
      WordPieceTokenizer.Token token = tokens.get(t);
      if (!token.piece().startsWith("##") || words.isEmpty()) {
        words.add(new Word(token.start(), token.end(), t));
      } else {
        Word last = words.remove(words.size() - 1);
        words.add(new Word(last.start(), token.end(), last.firstPiece()));
      }
    }
    return words;
  }

  /** The head's input for word {@code w} of an encoded text. */
  public static float[] features(String text, SentenceEncoder.Encoded encoded, List<Word> words, int w) {
    Word word = words.get(w);
    float[] x = new float[WIDTH];
    System.arraycopy(encoded.states()[word.firstPiece()], 0, x, 0, SentenceEncoder.DIMENSIONS);
    String surface = text.substring(word.start(), word.end());
    int at = SentenceEncoder.DIMENSIONS;
    boolean capital = Character.isUpperCase(surface.codePointAt(0));
    boolean anyLower = surface.chars().anyMatch(Character::isLowerCase);
    boolean textCased = text.chars().anyMatch(Character::isUpperCase);
    x[at] = capital ? 1 : 0;
    x[at + 1] = capital && !anyLower && surface.length() > 1 ? 1 : 0;
    x[at + 2] = surface.chars().anyMatch(Character::isDigit) ? 1 : 0;
    x[at + 3] = w == 0 || isSentenceEnd(text, words.get(w - 1).end(), word.start()) ? 1 : 0;
    x[at + 4] = textCased ? 1 : 0;
    x[at + 5] = (float) Math.min(1, surface.length() / 12.0);
    return x;
  }

  private static boolean isSentenceEnd(String text, int from, int to) {
    String between = text.substring(Math.min(from, to), to);
    return between.contains(".") || between.contains("?") || between.contains("!");
  }

  /** The identifiers the model finds in a text; a text longer than the encoder's window is read in windows. */
  public List<Span> tag(String text) {
    List<Span> spans = new ArrayList<>();
    int from = 0;
    while (from < text.length() && !text.substring(from).isBlank()) {
      String rest = text.substring(from);
      SentenceEncoder.Encoded encoded = encoder.encode(rest);
      int offset = from;
      window(rest, encoded).forEach(s -> spans.add(new Span(s.kind(), s.start() + offset, s.end() + offset,
          s.probability())));
      List<WordPieceTokenizer.Token> tokens = encoded.tokens();
      if (tokens.size() < SentenceEncoder.MAX_TOKENS - 2 || tokens.isEmpty()) {
        break;
      }
      // Cut: go on from the start of the last whole word read (a word cut in two is read again).
      List<Word> words = words(tokens);
      int cut = words.size() > 1 ? words.get(words.size() - 1).start() : tokens.get(tokens.size() - 1).end();
      // A span reaching the last word goes to the next window whole ("mary | smith" is one name).
      for (Span span : spans) {
        if (span.end() > cut + offset && span.start() >= offset) {
          cut = Math.min(cut, span.start() - offset);
        }
      }
      int next = cut;
      if (next <= 0) {
        break;
      }
      spans.removeIf(s -> s.end() > next + offset);
      from += next;
    }
    return spans;
  }

  private List<Span> window(String text, SentenceEncoder.Encoded encoded) {
    List<Word> words = words(encoded.tokens());
    boolean cased = text.chars().anyMatch(Character::isUpperCase);
    List<Span> spans = new ArrayList<>();
    for (int w = 0; w < words.size(); w++) {
      double[] p = head.scores(features(text, encoded, words, w));
      int best = 1;
      for (int k = 2; k < p.length; k++) {
        if (p[k] > p[best]) {
          best = k;
        }
      }
      // Not "O" (label 0) when the identifier labels together reach the threshold.
      double identifier = 1 - p[0];
      if (identifier < threshold) {
        continue;
      }
      String kind = head.labels().get(best);
      Word word = words.get(w);
      // In cased text a name is capitalised: a lowercase word there needs the head to be sure.
      if ("PERSON".equals(kind) && cased && !Character.isUpperCase(text.codePointAt(word.start()))
          && identifier < LOWERCASE_NAME_IN_CASED_TEXT) {
        continue;
      }
      Span last = spans.isEmpty() ? null : spans.get(spans.size() - 1);
      if (last != null && last.kind().equals(kind) && w > 0 && words.get(w - 1).end() == last.end()
          && adjacent(text, last.end(), word.start())) {
        spans.set(spans.size() - 1, new Span(kind, last.start(), word.end(), Math.min(last.probability(),
            identifier)));
      } else {
        spans.add(new Span(kind, word.start(), word.end(), identifier));
      }
    }
    return spans;
  }

  /** Only spaces, hyphens, apostrophes, dots, commas, slashes or @ between two words of one identifier. */
  private static boolean adjacent(String text, int end, int start) {
    return text.substring(end, start).matches("[\\s\\-'’.,/@:()+]{0,3}");
  }
}
