package io.sessionflow.language.pseudonym;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PseudonymizerTest {
  private final Pseudonymizer pseudonymizer = new Pseudonymizer();

  private List<IdentifierKind> kinds(String text) {
    return pseudonymizer.detect(text).stream().map(IdentifierSpan::kind).toList();
  }

  private String apply(String... texts) {
    Pseudonymizer.Session session = pseudonymizer.session().learn(List.of(texts));
    return String.join(" | ", java.util.Arrays.stream(texts).map(session::apply).toList());
  }

  @Test
  void shapedIdentifiersAreFound() {
    assertThat(kinds("Call me on (555) 201-3344 or +44 7700 900123.")).containsExactly(IdentifierKind.PHONE,
        IdentifierKind.PHONE);
    assertThat(kinds("Email jane.doe@example.org or jay dot smith at gmail dot com")).containsExactly(
        IdentifierKind.EMAIL, IdentifierKind.EMAIL);
    assertThat(kinds("It's on facebook.com/jane.doe and www.example.net")).containsExactly(IdentifierKind.URL,
        IdentifierKind.URL);
    assertThat(kinds("We live at 42 Willow Lane now.")).containsExactly(IdentifierKind.ADDRESS);
    assertThat(kinds("I was born on 3/14/1988, and the hearing is on the 12th of June.")).containsExactly(
        IdentifierKind.DATE, IdentifierKind.DATE);
    assertThat(kinds("My NHS number is 943 476 5919 and my SSN is 123-45-6789.")).containsExactly(
        IdentifierKind.ID, IdentifierKind.ID);
    assertThat(kinds("Gran is 93 and still sharp; she turned ninety-one last spring?")).contains(
        IdentifierKind.AGE);
  }

  @Test
  void agesUpToEightyNineAndOrdinaryWordsAreLeftAlone() {
    assertThat(kinds("I'm 34 and my dad is 67.")).isEmpty();
    assertThat(kinds("May I ask something? I will try the rose garden on Monday in London.")).isEmpty();
    assertThat(kinds("I take sertraline and Xanax, and I shop at Walmart.")).isEmpty();
  }

  @Test
  void namesAreReplacedConsistentlyAcrossSegmentsEvenWithoutACue() {
    String out = apply("My sister Rachel Moore called me.", "Rachel said I was overreacting.",
        "I told Dr. Okafor about it.", "Okafor thinks it's anxiety.");
    assertThat(out).isEqualTo("My sister [PERSON_1] called me. | [PERSON_1] said I was overreacting. | "
        + "I told Dr. [PERSON_2] about it. | [PERSON_2] thinks it's anxiety.");
  }

  @Test
  void placeholdersAreNotThemselvesIdentifiers() {
    String once = apply("Ring Tomasz on 0412 345 678 about 18 Harbour Road.");
    assertThat(apply(once)).isEqualTo(once);
    assertThat(once).doesNotContain("Tomasz").doesNotContain("0412").doesNotContain("Harbour");
  }

  @Test
  void aPossessiveAfterATitleIsTheSamePersonAndExistingPlaceholdersKeepTheirNumbers() {
    assertThat(apply("I saw Dr. Patel on Monday.", "Dr. Patel's advice was odd.", "Patel said no."))
        .isEqualTo("I saw Dr. [PERSON_1] on Monday. | Dr. [PERSON_1]'s advice was odd. | [PERSON_1] said no.");
    assertThat(apply("[PERSON_1] and [PERSON_2] came, then my sister Rachel arrived."))
        .isEqualTo("[PERSON_1] and [PERSON_2] came, then my sister [PERSON_3] arrived.");
  }

  @Test
  void theTrainedTaggerFindsNamesTheRulesCannot() {
    Pseudonymizer rulesAlone = new Pseudonymizer(null);
    String lowercase = "so my sister grace came round on sunday and we talked for hours";
    assertThat(rulesAlone.detect(lowercase)).as("no capital, no list: the rules miss it").isEmpty();
    assertThat(apply(lowercase)).doesNotContain("grace").contains("[PERSON_1]").contains("sunday");
    assertThat(apply("Chukwuemeka rang me last night about the kids.")).startsWith("[PERSON_1] rang me");
  }
}
