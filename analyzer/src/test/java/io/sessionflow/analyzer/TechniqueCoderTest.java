package io.sessionflow.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.analyzer.technique.TechniqueCode;
import io.sessionflow.analyzer.technique.TechniqueCoder;
import org.junit.jupiter.api.Test;

class TechniqueCoderTest {
  private final TechniqueCoder coder = new TechniqueCoder();

  @Test
  void codesEachKindOfUtterance() {
    assertThat(coder.code("What's been the hardest part of this week?")).isEqualTo(TechniqueCode.OPEN_QUESTION);
    assertThat(coder.code("Tell me more about that.")).isEqualTo(TechniqueCode.OPEN_QUESTION);
    assertThat(coder.code("Did you go to the appointment?")).isEqualTo(TechniqueCode.CLOSED_QUESTION);
    assertThat(coder.code("You're feeling tired.")).isEqualTo(TechniqueCode.SIMPLE_REFLECTION);
    assertThat(coder.code("Part of you wants to leave, and part of you is scared of being alone."))
        .isEqualTo(TechniqueCode.COMPLEX_REFLECTION);
    assertThat(coder.code("That took a lot of courage to say.")).isEqualTo(TechniqueCode.AFFIRMATION);
    assertThat(coder.code("Let me see if I've got this: work is piling up, you're not sleeping, and your "
        + "partner has noticed.")).isEqualTo(TechniqueCode.SUMMARY);
    assertThat(coder.code("You should just tell him how you feel.")).isEqualTo(
        TechniqueCode.ADVICE_WITHOUT_PERMISSION);
    assertThat(coder.code("Would it be OK if I shared an idea that has helped others? You could try a wind-down "
        + "routine.")).isEqualTo(TechniqueCode.ADVICE_WITH_PERMISSION);
    assertThat(coder.code("See you next Tuesday at ten.")).isEqualTo(TechniqueCode.OTHER);
  }
}
