package io.sessionflow.common.analysis;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Case-note formats and their sections. */
public enum NoteFormat {
  DAP(List.of("Data", "Assessment", "Plan")),
  BIRP(List.of("Behavior", "Intervention", "Response", "Plan")),
  GIRP(List.of("Goals", "Intervention", "Response", "Plan")),
  SOAP(List.of("Subjective", "Objective", "Assessment", "Plan"));

  private final List<String> sections;

  NoteFormat(List<String> sections) {
    this.sections = sections;
  }

  public List<String> sections() {
    return sections;
  }

  public static Optional<NoteFormat> parse(String text) {
    try {
      return Optional.of(valueOf(text.trim().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }
}
