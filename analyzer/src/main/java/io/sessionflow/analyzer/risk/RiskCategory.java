package io.sessionflow.analyzer.risk;

import java.util.Locale;

/** The risk and ethics flags of the analysis contract, with what a clinician may consider doing. */
public enum RiskCategory {
  SUICIDAL_IDEATION("Consider a structured risk screen (e.g. C-SSRS or ASQ), ask directly about plan, intent, "
      + "means and protective factors, and make or review a safety plan."),
  SELF_HARM("Ask about method, frequency, severity and medical need; consider a safety plan and harm-reduction "
      + "steps, and whether self-harm signals suicidal risk too."),
  HARM_TO_OTHERS("Assess intent, plan, means and an identifiable victim; duty-to-warn and duty-to-protect rules "
      + "vary by jurisdiction: check yours and consult before acting."),
  ABUSE_NEGLECT("Establish who is at risk, whether it is current, and whether a child or vulnerable adult is "
      + "involved; mandated-reporting rules vary by jurisdiction: check yours and consult your supervisor."),
  SUBSTANCE_USE("Consider a screen (e.g. AUDIT or DAST), ask about quantity, frequency, withdrawal and risk when "
      + "combined with medication; consider harm reduction and referral."),
  MEDICATION("Explore adherence and side effects, and encourage the client to talk to the prescriber before "
      + "changing doses; stockpiling or overdose warrants a risk assessment."),
  BOUNDARY("Name the boundary kindly and clearly, document it, and consider discussing it in supervision; "
      + "professional codes prohibit dual and romantic relationships with clients.");

  private final String guidance;

  RiskCategory(String guidance) {
    this.guidance = guidance;
  }

  public String guidance() {
    return guidance;
  }

  /** The contract's name, e.g. {@code suicidal_ideation}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
