package io.sessionflow.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.analyzer.risk.RiskCategory;
import io.sessionflow.analyzer.risk.RiskDetector;
import java.util.List;
import org.junit.jupiter.api.Test;

class RiskDetectorTest {
  private final RiskDetector detector = new RiskDetector();

  @Test
  void directDisclosuresAreFlaggedByCategory() {
    assertThat(detector.categories("Honestly I just want to die, I can't do this anymore."))
        .contains(RiskCategory.SUICIDAL_IDEATION);
    assertThat(detector.categories("I've been cutting my arms again.")).containsExactly(RiskCategory.SELF_HARM);
    assertThat(detector.categories("I swear I want to kill him for what he did.")).containsExactly(
        RiskCategory.HARM_TO_OTHERS);
    assertThat(detector.categories("My stepdad hits me when he's drunk.")).containsExactly(
        RiskCategory.ABUSE_NEGLECT);
    assertThat(detector.categories("I've been drinking every night just to get to sleep.")).containsExactly(
        RiskCategory.SUBSTANCE_USE);
    assertThat(detector.categories("I stopped taking my sertraline and didn't tell my doctor.")).containsExactly(
        RiskCategory.MEDICATION);
    assertThat(detector.categories("Could we meet for coffee outside of sessions? I think I'm in love with you."))
        .containsExactly(RiskCategory.BOUNDARY);
  }

  @Test
  void negatedHypotheticalReportedAndScreeningQuestionsAreNotFlagged() {
    assertThat(detector.categories("I'd never hurt myself, I promise.")).isEmpty();
    assertThat(detector.categories("I'm not suicidal.")).isEmpty();
    assertThat(detector.categories("If I ever felt like dying I would call you.")).isEmpty();
    assertThat(detector.categories("My friend said she wanted to die.")).isEmpty();
    assertThat(detector.categories("Have you had any thoughts of killing yourself?")).isEmpty();
    assertThat(detector.categories("This deadline is killing me and I could murder a pizza.")).isEmpty();
  }

  @Test
  void theClientsOwnPastIsFlaggedLow() {
    Transcript transcript = new Transcript(List.of(new Transcript.Segment(4, 61.5, 66.0,
        "Last year I thought about ending it all.", null)), "en", "m", 70);
    assertThat(detector.detect(transcript, null)).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo(RiskCategory.SUICIDAL_IDEATION);
      assertThat(f.severity()).isEqualTo("low");
      assertThat(f.past()).isTrue();
      assertThat(f.segmentId()).isEqualTo(4);
      assertThat(f.start()).isEqualTo(61.5);
    });
  }

  @Test
  void aPlanRaisesSeverityAndTheClinicianIsReadForBoundariesOnly() {
    Transcript transcript = new Transcript(List.of(
        new Transcript.Segment(0, 0, 5, "Do you ever think about killing yourself?", "A"),
        new Transcript.Segment(1, 5, 12, "Yes. I have a plan to kill myself this weekend.", "B"),
        new Transcript.Segment(2, 12, 16, "Maybe we could get a drink after work sometime, as friends.", "A")),
        "en", "m", 16);
    List<RiskDetector.Finding> findings = detector.detect(transcript, "A");
    assertThat(findings).extracting(RiskDetector.Finding::category).containsExactly(
        RiskCategory.SUICIDAL_IDEATION, RiskCategory.BOUNDARY);
    assertThat(findings.get(0).severity()).isEqualTo("high");
  }
}
