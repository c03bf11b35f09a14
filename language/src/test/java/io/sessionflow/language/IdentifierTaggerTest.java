package io.sessionflow.language;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdentifierTaggerTest {
  private final IdentifierTagger tagger = LanguageModel.shared().identifiers();

  @Test
  void aNameInLowercaseTextIsFoundFromItsContext() {
    String text = "yeah so my sister grace came round on sunday";
    List<IdentifierTagger.Span> spans = tagger.tag(text);
    assertThat(spans).anySatisfy(s -> {
      assertThat(s.kind()).isEqualTo("PERSON");
      assertThat(text.substring(s.start(), s.end())).isEqualTo("grace");
    });
    assertThat(spans).noneMatch(s -> text.substring(s.start(), s.end()).contains("sunday"));
  }

  @Test
  void aTextLongerThanTheEncodersWindowIsReadToTheEnd() {
    String filler = "and then we talked about work and the weather and how the week went ".repeat(12);
    String text = filler + "and my sister grace came round on sunday";
    assertThat(SentenceEncoder.MAX_TOKENS).isLessThan(text.split(" ").length);
    assertThat(tagger.tag(text)).anySatisfy(s -> assertThat(text.substring(s.start(), s.end())).isEqualTo("grace"));
    assertThat(tagger.tag("")).isEmpty();
  }
}
