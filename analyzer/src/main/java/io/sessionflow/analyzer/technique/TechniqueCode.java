package io.sessionflow.analyzer.technique;

import java.util.Locale;

/** MITI 4.2-style behaviour codes for a clinician's utterances. */
public enum TechniqueCode {
  OPEN_QUESTION, CLOSED_QUESTION, SIMPLE_REFLECTION, COMPLEX_REFLECTION, AFFIRMATION, SUMMARY,
  ADVICE_WITHOUT_PERMISSION, ADVICE_WITH_PERMISSION, OTHER;

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean isQuestion() {
    return this == OPEN_QUESTION || this == CLOSED_QUESTION;
  }

  public boolean isReflection() {
    return this == SIMPLE_REFLECTION || this == COMPLEX_REFLECTION;
  }
}
