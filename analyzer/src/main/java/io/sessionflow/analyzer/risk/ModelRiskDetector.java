package io.sessionflow.analyzer.risk;

import io.sessionflow.analyzer.Transcript;
import io.sessionflow.language.LanguageModel;
import io.sessionflow.language.data.Label;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Risk flags from the trained model: each turn's score per category against the category's
 * threshold, its severity and temporality from the model's own heads. The clinician's turns are not
 * read for disclosures (a screening question or a restatement is not one), except for boundary
 * issues, which the clinician can raise too.
 */
public final class ModelRiskDetector {
  private final LanguageModel model;

  public ModelRiskDetector(LanguageModel model) {
    this.model = model;
  }

  /**
   * Findings, one per category and segment, for the readings of {@code transcript}'s segments (same order).
   *
   * @param clinician the clinician's speaker label, or null when unknown
   */
  public List<RiskDetector.Finding> detect(Transcript transcript, List<LanguageModel.Reading> readings,
      String clinician) {
    List<RiskDetector.Finding> findings = new ArrayList<>();
    for (int i = 0; i < transcript.segments().size(); i++) {
      Transcript.Segment segment = transcript.segments().get(i);
      LanguageModel.Reading reading = readings.get(i);
      boolean clinicianSpeaking = clinician != null && clinician.equals(segment.speaker());
      for (int c = 0; c < Label.CATEGORIES.size(); c++) {
        String code = Label.CATEGORIES.get(c);
        RiskCategory category = RiskCategory.valueOf(code.toUpperCase(Locale.ROOT));
        double score = reading.risk()[c];
        if (score < model.threshold(code) || (clinicianSpeaking && category != RiskCategory.BOUNDARY)) {
          continue;
        }
        LanguageModel.Graded severity = model.severity(reading, code);
        LanguageModel.Graded temporality = model.temporality(reading, code);
        findings.add(new RiskDetector.Finding(category, severity.label(), segment.id(), segment.start(),
            RiskDetector.quote(segment.text()), "past".equals(temporality.label()), score, "model"));
      }
    }
    return findings;
  }
}
