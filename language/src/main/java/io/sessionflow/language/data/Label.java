package io.sessionflow.language.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The label of one utterance in the labelled sets: a clinician's MITI 4.2 code, or a client's risk
 * flags ({@code category/severity/temporality}, several joined by {@code ;}) or {@code none} with what
 * kind of non-risk it is ({@code none:negated}, {@code none:idiom}, ...).
 */
public record Label(String code, List<Flag> flags, String decoy) {
  public static final List<String> CODES = List.of("open_question", "closed_question", "simple_reflection",
      "complex_reflection", "affirmation", "summary", "advice_with_permission", "advice_without_permission",
      "other");
  public static final List<String> CATEGORIES = List.of("suicidal_ideation", "self_harm", "harm_to_others",
      "abuse_neglect", "substance_use", "medication", "boundary");
  /** What a session's {@code #plan} lines name as agreed. */
  public static final List<String> PLANS = List.of("safety_plan", "crisis_contact", "means_restriction", "referral",
      "homework", "next_session", "other");
  public static final List<String> SEVERITIES = List.of("low", "moderate", "high");
  public static final List<String> TEMPORALITIES = List.of("current", "past");
  public static final Set<String> DECOYS = Set.of("", "negated", "hypothetical", "reported", "idiom", "media",
      "resolved", "question", "neutral");

  public Label {
    flags = List.copyOf(flags);
  }

  /** One risk flag. */
  public record Flag(String category, String severity, String temporality) {
  }

  public boolean isCode() {
    return code != null;
  }

  public boolean isRisk() {
    return !flags.isEmpty();
  }

  /** Parses a label; anything not in the guide's lists is an error naming it. */
  public static Label parse(String raw) {
    String label = raw.trim().toLowerCase(Locale.ROOT);
    if (CODES.contains(label)) {
      return new Label(label, List.of(), null);
    }
    if (label.equals("none") || label.startsWith("none:")) {
      String decoy = label.equals("none") ? "" : label.substring(5);
      if (!DECOYS.contains(decoy)) {
        throw new IllegalArgumentException("unknown kind of non-risk: " + raw);
      }
      return new Label(null, List.of(), decoy);
    }
    List<Flag> flags = new ArrayList<>();
    for (String part : label.split(";")) {
      String[] f = part.trim().split("/");
      if (f.length != 3 || !CATEGORIES.contains(f[0]) || !SEVERITIES.contains(f[1])
          || !TEMPORALITIES.contains(f[2])) {
        throw new IllegalArgumentException("not a label of the guide: " + raw);
      }
      flags.add(new Flag(f[0], f[1], f[2]));
    }
    return new Label(null, flags, null);
  }
}
