package io.sessionflow.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.analyzer.risk.RiskCategory;
import io.sessionflow.analyzer.risk.RiskDetector;
import io.sessionflow.analyzer.risk.RiskFinder;
import io.sessionflow.language.LanguageModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trained model with the rules beside it, on the committed heads. */
class RiskFinderTest {
  private static final LanguageModel MODEL = LanguageModel.shared();
  private final RiskFinder finder = new RiskFinder(MODEL);

  @Test
  void plainDisclosuresAreFlaggedByCategory() {
    assertThat(finder.categories("I want to kill myself.")).contains(RiskCategory.SUICIDAL_IDEATION);
    assertThat(finder.categories("I've been cutting my arms again.")).contains(RiskCategory.SELF_HARM);
    assertThat(finder.categories("I swear I want to kill him for what he did.")).contains(
        RiskCategory.HARM_TO_OTHERS);
    assertThat(finder.categories("My stepdad hits me when he's drunk.")).contains(RiskCategory.ABUSE_NEGLECT);
    assertThat(finder.categories("I've been drinking every night just to get to sleep.")).contains(
        RiskCategory.SUBSTANCE_USE);
    assertThat(finder.categories("I stopped taking my sertraline and didn't tell my doctor.")).contains(
        RiskCategory.MEDICATION);
    assertThat(finder.categories("Could we meet for coffee outside of sessions? I think I'm in love with you."))
        .contains(RiskCategory.BOUNDARY);
  }

  @Test
  void unseenIndirectPhrasingIsFlaggedWhereNoRuleMatches() {
    String text = "i looked up how many it would take and ive been keeping them in a drawer";
    assertThat(new RiskDetector().categories(text)).doesNotContain(RiskCategory.SUICIDAL_IDEATION);
    assertThat(finder.categories(text)).contains(RiskCategory.SUICIDAL_IDEATION);
  }

  @Test
  void negationsScreeningQuestionsAndIdiomsAreNotFlagged() {
    assertThat(finder.categories("I'd never hurt myself, I promise.")).isEmpty();
    assertThat(finder.categories("No, I've never had thoughts of killing myself.")).isEmpty();
    assertThat(finder.categories("Have you had any thoughts of killing yourself?")).isEmpty();
    assertThat(finder.categories("I'll shoot him a text after the session.")).isEmpty();
    assertThat(finder.categories("I had a glass of wine with dinner and slept like a baby.")).isEmpty();
  }

  @Test
  void eachFindingSaysWhatRaisedItWithTheModelsScoreAndQuotesTheSentence() {
    Transcript transcript = new Transcript(List.of(
        new Transcript.Segment(0, 0, 5, "How have things been since we last met?", "A"),
        new Transcript.Segment(1, 5, 15, "Work was fine. I went to my sister's. I want to kill myself most nights.",
            "B"),
        new Transcript.Segment(2, 15, 19, "Maybe we could get a drink after work sometime, as friends.", "A")),
        "en", "m", 19);
    List<LanguageModel.Reading> readings = MODEL.read(transcript.segments().stream()
        .map(s -> new LanguageModel.Turn(s.speaker(), s.text())).toList());
    List<RiskDetector.Finding> findings = finder.detect(transcript, readings, "A");
    assertThat(findings).extracting(RiskDetector.Finding::category).containsExactly(
        RiskCategory.SUICIDAL_IDEATION, RiskCategory.BOUNDARY);
    RiskDetector.Finding ideation = findings.get(0);
    assertThat(ideation.segmentId()).isEqualTo(1);
    assertThat(ideation.quote()).isEqualTo("I want to kill myself most nights.");
    assertThat(ideation.basis()).startsWith("model");
    assertThat(ideation.score()).isGreaterThanOrEqualTo(MODEL.threshold("suicidal_ideation"));
    assertThat(ideation.past()).isFalse();
    assertThat(findings.get(1).basis()).as("a clinician's turn: the rules, for boundaries only").isEqualTo("rule");
  }

  @Test
  void anIdiomBesideADisclosureDoesNotHideItAndABlankTurnIsNotRead() {
    assertThat(finder.categories("I'm dead tired and I keep thinking about killing myself.")).contains(
        RiskCategory.SUICIDAL_IDEATION);
    assertThat(finder.categories("Badly. I've been drinking every night to get to sleep, and my sister [PERSON_1] is "
        + "worried.")).as("the rule's stretch of the sentence read on its own").contains(RiskCategory.SUBSTANCE_USE);
    Transcript transcript = new Transcript(List.of(
        new Transcript.Segment(0, 0, 5, "Have you had thoughts of ending your life?", "A"),
        new Transcript.Segment(1, 5, 9, "", "B")), "en", "m", 9);
    List<LanguageModel.Reading> readings = MODEL.read(transcript.segments().stream()
        .map(s -> new LanguageModel.Turn(s.speaker(), s.text())).toList());
    assertThat(finder.detect(transcript, readings, "A")).isEmpty();
  }
}
