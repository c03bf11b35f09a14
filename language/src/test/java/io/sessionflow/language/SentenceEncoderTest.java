package io.sessionflow.language;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SentenceEncoderTest {
  static SentenceEncoder encoder;

  @BeforeAll
  static void load() {
    encoder = SentenceEncoder.load(1);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  static List<String> pieces(String text) {
    return encoder.tokenizer().tokenize(text).stream().map(WordPieceTokenizer.Token::piece).toList();
  }

  @Test
  void tokenizesAsBertUncasedDoesKeepingEachPiecesCharacters() {
    assertThat(pieces("Hello, WORLD!")).containsExactly("hello", ",", "world", "!");
    assertThat(pieces("unaffable")).containsExactly("una", "##ffa", "##ble");
    // Accents are stripped, as the uncased model was trained; each piece still points at the original characters.
    assertThat(pieces("Siobhán Wróblewski")).containsExactly("si", "##ob", "##han", "wr", "##ob", "##le", "##wski");
    WordPieceTokenizer.Token han = encoder.tokenizer().tokenize("Siobhán").get(2);
    assertThat("Siobhán".substring(han.start(), han.end())).isEqualTo("hán");
    List<WordPieceTokenizer.Token> tokens = encoder.tokenizer().tokenize("Dr. Okonkwo's café");
    for (WordPieceTokenizer.Token t : tokens) {
      assertThat(t.end()).isGreaterThan(t.start());
    }
    assertThat("Dr. Okonkwo's café".substring(tokens.get(tokens.size() - 1).start(),
        tokens.get(tokens.size() - 1).end())).isEqualTo("café");
    assertThat(encoder.tokenizer().ids(encoder.tokenizer().tokenize("hello world"), 128))
        .containsExactly(101, 7592, 2088, 102);
  }

  @Test
  void paraphrasesLieCloserThanUnrelatedSentences() {
    List<SentenceEncoder.Encoded> e = encoder.encode(List.of("I keep thinking about ending my life.",
        "Lately I have thoughts of killing myself.", "The train to Leeds was twenty minutes late."));
    assertThat(e.get(0).embedding()).hasSize(SentenceEncoder.DIMENSIONS);
    assertThat(Vectors.dot(e.get(0).embedding(), e.get(0).embedding())).isCloseTo(1.0, org.assertj.core.data
        .Offset.offset(1e-4));
    assertThat(Vectors.dot(e.get(0).embedding(), e.get(1).embedding()))
        .isGreaterThan(Vectors.dot(e.get(0).embedding(), e.get(2).embedding()) + 0.2);
    assertThat(e.get(1).states()).hasNumberOfRows(e.get(1).tokens().size());
  }

  @Test
  void aBatchGivesWhatEachTextGivesAlone() {
    String a = "short one";
    String b = "a much longer sentence that needs padding of the shorter one in the same batch";
    List<SentenceEncoder.Encoded> both = encoder.encode(List.of(a, b));
    float[] alone = encoder.encode(List.of(a)).get(0).embedding();
    assertThat(Vectors.dot(both.get(0).embedding(), alone)).isGreaterThan(0.99999);
  }
}
