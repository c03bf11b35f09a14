package io.sessionflow.common.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The analysis JSON as Markdown for people: the same content, evidence links as segment numbers. */
public final class AnalysisMarkdown {
  private AnalysisMarkdown() {
  }

  public static String render(JsonNode analysis) {
    StringBuilder md = new StringBuilder("# Session analysis\n\n");
    md.append("> ").append(analysis.path("disclaimer").asText()).append("\n\n");
    JsonNode m = analysis.path("metrics");
    md.append("## Session\n\n");
    md.append(String.format(Locale.ROOT, "- Duration: %s; speech %.0f%%; %d words, %.0f words per minute%n",
        clock(m.path("durationSeconds").asDouble()), 100 * m.path("speechRatio").asDouble(),
        m.path("words").asInt(), m.path("wordsPerMinute").asDouble()));
    md.append(String.format(Locale.ROOT, "- Longest silence: %.0f s %s%n", m.path("longestSilence")
        .path("seconds").asDouble(), refs(m.path("longestSilence").path("segmentIds"))));
    if (m.has("turns")) {
      List<String> shares = new ArrayList<>();
      m.path("talkTimeShare").fields().forEachRemaining(e -> shares.add(e.getKey() + " "
          + Math.round(100 * e.getValue().asDouble()) + "%"));
      md.append("- Turns: ").append(m.path("turns").asInt()).append("; talk time ")
          .append(String.join(", ", shares)).append('\n');
    }
    md.append("\n## Risk and ethics flags\n\n");
    if (analysis.path("flags").isEmpty()) {
      md.append("None found by the rules. That is not evidence of no risk.\n");
    }
    for (JsonNode flag : analysis.path("flags")) {
      md.append(String.format(Locale.ROOT, "- **%s** (%s, %s) at %s %s: \"%s\"  %n  _%s_%n",
          flag.path("category").asText().replace('_', ' '), flag.path("severity").asText(),
          flag.path("temporality").asText(), clock(flag.path("start").asDouble()),
          refs(flag.path("segmentIds")), flag.path("quote").asText(), flag.path("guidance").asText()));
    }
    JsonNode t = analysis.path("techniques");
    md.append("\n## Technique profile\n\n");
    if (!t.path("available").asBoolean()) {
      md.append(t.path("reason").asText()).append('\n');
    } else {
      t.path("counts").fields().forEachRemaining(e -> md.append("- ").append(e.getKey().replace('_', ' '))
          .append(": ").append(e.getValue().asInt()).append(' ').append(refs(t.path("evidence").path(e.getKey())))
          .append('\n'));
      t.path("summary").fields().forEachRemaining(e -> md.append("- ").append(e.getValue().path("basis").asText())
          .append(": ").append(e.getValue().path("value").isNull() ? "n/a" : e.getValue().path("value").asText())
          .append(" (").append(e.getValue().path("rating").asText()).append(")\n"));
    }
    md.append("\n## Themes\n\n");
    for (JsonNode theme : analysis.path("themes")) {
      md.append("- ").append(theme.path("name").asText()).append(" (").append(theme.path("kind").asText())
          .append(") ").append(refs(theme.path("segmentIds"))).append('\n');
    }
    JsonNode note = analysis.path("note");
    md.append("\n## Draft case note (").append(note.path("format").asText()).append(")\n");
    for (JsonNode section : note.path("sections")) {
      md.append("\n### ").append(section.path("name").asText()).append("\n\n");
      if (section.path("sentences").isEmpty()) {
        md.append("_Nothing in this session's transcript for this section._\n");
      }
      for (JsonNode sentence : section.path("sentences")) {
        md.append("- ").append(sentence.path("text").asText()).append(' ')
            .append(refs(sentence.path("segmentIds"))).append('\n');
      }
    }
    return md.toString();
  }

  private static String refs(JsonNode ids) {
    List<String> list = new ArrayList<>();
    ids.forEach(id -> list.add(id.asText()));
    return list.isEmpty() ? "" : "[segments " + String.join(", ", list) + "]";
  }

  /** Seconds as {@code HH:MM:SS}. */
  public static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }
}
