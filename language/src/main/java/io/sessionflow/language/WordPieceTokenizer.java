package io.sessionflow.language;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's uncased WordPiece tokenizer, as the model's {@code tokenizer.json} describes it
 * ({@code BertNormalizer} lowercasing and stripping accents, {@code BertPreTokenizer} splitting on
 * white space and punctuation, greedy longest-match WordPiece with {@code ##} continuations). Each
 * token keeps the character range of the text it came from, so a label on a token maps back onto
 * the original text. Immutable and thread-safe.
 */
public final class WordPieceTokenizer {
  static final String CLS = "[CLS]";
  static final String SEP = "[SEP]";
  static final String UNK = "[UNK]";
  private static final int MAX_WORD_CHARS = 100;

  private final Map<String, Integer> vocab;
  private final int cls;
  private final int sep;
  private final int unk;

  WordPieceTokenizer(Map<String, Integer> vocab) {
    this.vocab = Map.copyOf(vocab);
    this.cls = id(CLS);
    this.sep = id(SEP);
    this.unk = id(UNK);
  }

  /** Reads the vocabulary of a Hugging Face {@code tokenizer.json} with a WordPiece model. */
  public static WordPieceTokenizer fromTokenizerJson(InputStream json) {
    try {
      JsonNode model = new ObjectMapper().readTree(json).path("model");
      if (!"WordPiece".equals(model.path("type").asText())) {
        throw new IllegalArgumentException("tokenizer.json does not describe a WordPiece model");
      }
      Map<String, Integer> vocab = new HashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> entry = it.next();
        vocab.put(entry.getKey(), entry.getValue().asInt());
      }
      return new WordPieceTokenizer(vocab);
    } catch (IOException e) {
      throw new UncheckedIOException("tokenizer.json could not be read", e);
    }
  }

  private int id(String token) {
    Integer id = vocab.get(token);
    if (id == null) {
      throw new IllegalArgumentException("the vocabulary has no " + token);
    }
    return id;
  }

  /** One WordPiece: its id, its text in the vocabulary, and the characters {@code [start, end)} it covers. */
  public record Token(int id, String piece, int start, int end) {
  }

  /** The tokens of {@code text}, without {@code [CLS]} and {@code [SEP]}. */
  public List<Token> tokenize(String text) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    int n = text.length();
    while (i < n) {
      int c = text.codePointAt(i);
      int width = Character.charCount(c);
      if (isWhitespace(c) || isControl(c)) {
        i += width;
      } else if (isPunctuation(c) || isCjk(c)) {
        word(text, i, i + width, tokens);
        i += width;
      } else {
        int start = i;
        while (i < n) {
          int d = text.codePointAt(i);
          if (isWhitespace(d) || isControl(d) || isPunctuation(d) || isCjk(d)) {
            break;
          }
          i += Character.charCount(d);
        }
        word(text, start, i, tokens);
      }
    }
    return tokens;
  }

  /** Ids for the model: {@code [CLS]} tokens {@code [SEP]}, cut to {@code maxLength} in all. */
  public int[] ids(List<Token> tokens, int maxLength) {
    int kept = Math.min(tokens.size(), maxLength - 2);
    int[] ids = new int[kept + 2];
    ids[0] = cls;
    for (int t = 0; t < kept; t++) {
      ids[t + 1] = tokens.get(t).id();
    }
    ids[kept + 1] = sep;
    return ids;
  }

  private void word(String text, int start, int end, List<Token> out) {
    // Normalised per character so that every piece keeps its original range.
    StringBuilder normal = new StringBuilder();
    List<Integer> origin = new ArrayList<>();
    for (int i = start; i < end;) {
      int c = text.codePointAt(i);
      String folded = fold(c);
      for (int k = 0; k < folded.length(); k++) {
        origin.add(i);
      }
      normal.append(folded);
      i += Character.charCount(c);
    }
    origin.add(end);
    if (normal.length() == 0) {
      return;
    }
    if (normal.length() > MAX_WORD_CHARS) {
      out.add(new Token(unk, UNK, start, end));
      return;
    }
    List<Token> pieces = new ArrayList<>();
    int from = 0;
    while (from < normal.length()) {
      int to = normal.length();
      Integer found = null;
      while (to > from) {
        String candidate = (from > 0 ? "##" : "") + normal.substring(from, to);
        found = vocab.get(candidate);
        if (found != null) {
          pieces.add(new Token(found, candidate, origin.get(from), to == normal.length() ? end : origin.get(to)));
          break;
        }
        to--;
      }
      if (found == null) {
        out.add(new Token(unk, UNK, start, end));
        return;
      }
      from = to;
    }
    out.addAll(pieces);
  }

  /** Lowercased, accents stripped (NFD without combining marks), as BertNormalizer does for uncased models. */
  private static String fold(int c) {
    String lower = new String(Character.toChars(c)).toLowerCase(Locale.ROOT);
    String decomposed = Normalizer.normalize(lower, Normalizer.Form.NFD);
    StringBuilder kept = new StringBuilder(decomposed.length());
    decomposed.codePoints().filter(d -> Character.getType(d) != Character.NON_SPACING_MARK)
        .forEach(kept::appendCodePoint);
    return kept.toString();
  }

  private static boolean isWhitespace(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Character.getType(c) == Character.SPACE_SEPARATOR;
  }

  private static boolean isControl(int c) {
    if (c == '\t' || c == '\n' || c == '\r') {
      return false;
    }
    int type = Character.getType(c);
    return c == 0 || c == 0xFFFD || type == Character.CONTROL || type == Character.FORMAT
        || type == Character.PRIVATE_USE || type == Character.SURROGATE || type == Character.UNASSIGNED;
  }

  private static boolean isPunctuation(int c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
      return true;
    }
    return switch (Character.getType(c)) {
      case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
          Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION -> true;
      default -> false;
    };
  }

  private static boolean isCjk(int c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
        || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
        || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
  }
}
