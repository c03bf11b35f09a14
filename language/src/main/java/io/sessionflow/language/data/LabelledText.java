package io.sessionflow.language.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A text with its identifier marks taken out: {@code "my sister {{PERSON|grace}} rang"} becomes
 * {@code "my sister grace rang"} with a {@code PERSON} span over {@code grace}. {@code KEEP} spans
 * mark words a de-identifier must leave alone (weekdays, holidays, brands, places, ordinary words).
 */
public record LabelledText(String text, List<Span> spans) {
  /** The identifier kinds of the labelling guide, and KEEP. */
  public static final Set<String> KINDS = Set.of("PERSON", "PHONE", "EMAIL", "ADDRESS", "DATE", "AGE", "ID", "URL",
      "KEEP");

  public LabelledText {
    spans = List.copyOf(spans);
  }

  /** One marked stretch of {@link #text}, {@code [start, end)}. */
  public record Span(String kind, int start, int end) {
    public boolean identifier() {
      return !"KEEP".equals(kind);
    }
  }

  /** Parses marks; a mark that does not close or names no known kind is an error with its position. */
  public static LabelledText parse(String marked) {
    StringBuilder text = new StringBuilder(marked.length());
    List<Span> spans = new ArrayList<>();
    int i = 0;
    while (i < marked.length()) {
      int open = marked.indexOf("{{", i);
      if (open < 0) {
        text.append(marked, i, marked.length());
        break;
      }
      text.append(marked, i, open);
      int close = marked.indexOf("}}", open);
      int bar = marked.indexOf('|', open);
      if (close < 0 || bar < 0 || bar > close) {
        throw new IllegalArgumentException("unclosed or malformed mark at character " + open);
      }
      String kind = marked.substring(open + 2, bar).trim().toUpperCase(Locale.ROOT);
      if (!KINDS.contains(kind)) {
        throw new IllegalArgumentException("unknown mark kind " + kind + " at character " + open);
      }
      String inner = marked.substring(bar + 1, close);
      spans.add(new Span(kind, text.length(), text.length() + inner.length()));
      text.append(inner);
      i = close + 2;
    }
    return new LabelledText(text.toString(), spans);
  }

  public List<Span> identifiers() {
    return spans.stream().filter(Span::identifier).toList();
  }

  public String covered(Span span) {
    return text.substring(span.start(), span.end());
  }
}
