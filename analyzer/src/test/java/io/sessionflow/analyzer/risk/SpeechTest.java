package io.sessionflow.analyzer.risk;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpeechTest {

  @Test
  void aDenialVetoesOnlyWhenNothingAfterItMayDisclose() {
    assertThat(Speech.denial("no, i've never wanted to hurt anyone")).isTrue();
    assertThat(Speech.denial("i don't want to be here anymore")).as("a denial that discloses").isFalse();
    assertThat(Speech.denial("no, i'm not suicidal, but i've been saving my pills")).as("a contrast").isFalse();
    assertThat(Speech.denial("i haven't told my doctor i stopped them")).isFalse();
  }

  @Test
  void idiomsAreTakenOutOfTheirCategoryOnly() {
    assertThat(Speech.withoutIdioms(RiskCategory.HARM_TO_OTHERS, "i'll shoot him a text later")).doesNotContain(
        "shoot");
    assertThat(Speech.withoutIdioms(RiskCategory.SUICIDAL_IDEATION, "i'm dead tired and keep thinking about it"))
        .doesNotContain("dead tired").contains("keep thinking");
    assertThat(Speech.withoutIdioms(RiskCategory.SELF_HARM, "i'll shoot him a text")).isEqualTo(
        "i'll shoot him a text");
  }
}
