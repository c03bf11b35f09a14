package io.sessionflow.language.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledSetsTest {
  @TempDir
  Path dir;

  @Test
  void marksComeOutAsSpansOverTheTextWithoutThem() {
    LabelledText t = LabelledText.parse("my sister {{PERSON|grace}} rang on {{KEEP|Tuesday}} from {{ADDRESS|16 Oak "
        + "Terrace}}");
    assertThat(t.text()).isEqualTo("my sister grace rang on Tuesday from 16 Oak Terrace");
    assertThat(t.identifiers()).extracting(t::covered).containsExactly("grace", "16 Oak Terrace");
    assertThat(t.spans()).hasSize(3);
    assertThatThrownBy(() -> LabelledText.parse("a {{PERSON|b")).hasMessageContaining("unclosed");
    assertThatThrownBy(() -> LabelledText.parse("a {{NAME|b}}")).hasMessageContaining("unknown mark kind NAME");
  }

  @Test
  void labelsFollowTheGuideOrAreRefusedByName() {
    assertThat(Label.parse("suicidal_ideation/high/current;medication/high/current").flags()).hasSize(2);
    assertThat(Label.parse("none:idiom").decoy()).isEqualTo("idiom");
    assertThat(Label.parse("open_question").isCode()).isTrue();
    assertThatThrownBy(() -> Label.parse("suicide/high/current")).hasMessageContaining("suicide/high/current");
    assertThatThrownBy(() -> Label.parse("none:sarcasm")).hasMessageContaining("none:sarcasm");
  }

  @Test
  void sessionsAndBulkFilesAreReadWithTheTurnBefore() throws IOException {
    Path sessions = dir.resolve("s.txt");
    Files.writeString(sessions, "=== session x1 style=asr setting=\"MI, alcohol\"\n"
        + "T\topen_question\twhat brings you in\nC\tsubstance_use/moderate/current\ta bottle most nights\n"
        + "#plan\tnext_session\t1,2\n=== session x2 style=cased\nT\tother\tHello.\n");
    List<LabelledSets.Session> read = LabelledSets.sessions(sessions);
    assertThat(read).hasSize(2);
    assertThat(read.get(0).asr()).isTrue();
    assertThat(read.get(0).setting()).isEqualTo("MI, alcohol");
    assertThat(read.get(0).utterances().get(1).previous().text()).isEqualTo("what brings you in");
    assertThat(read.get(0).plan()).isEqualTo(Map.of("next_session", List.of(1, 2)));
    Path bulk = dir.resolve("b.tsv");
    Files.writeString(bulk, "none:idiom\tT: How was work?\tThis commute is killing me.\n");
    LabelledSets.Utterance u = LabelledSets.bulk(bulk).get(0);
    assertThat(u.previousSpeaker()).isEqualTo("T");
    assertThat(u.speaker()).isEqualTo("C");
    Files.writeString(bulk, "none\tjust two fields\n");
    assertThatThrownBy(() -> LabelledSets.bulk(bulk)).hasMessageContaining("b.tsv:1");
  }

  @Test
  void aPseudonymisedRenderingNumbersEachDistinctValue() {
    LabelledText t = LabelledText.parse("{{PERSON|Grace}} and {{PERSON|Tom}}, then {{PERSON|grace}} again, on "
        + "{{KEEP|Monday}}.");
    assertThat(Rendering.pseudonymised(t, false)).isEqualTo("[PERSON_1] and [PERSON_2], then [PERSON_1] again, on "
        + "Monday.");
    assertThat(Rendering.pseudonymised(t, true)).isEqualTo("[PERSON_1] and [PERSON_2] then [PERSON_1] again on "
        + "monday");
  }

  /** The blind held-out sessions are the ones frozen before the model first ran on them, and they parse. */
  @Test
  void theBlindHeldOutSetIsUnchangedSinceItWasFrozen() throws Exception {
    Path dir = Path.of("data/heldout-blind");
    for (String line : Files.readAllLines(dir.resolve("FROZEN.sha256"))) {
      String[] f = line.split("\\s+");
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(f[1])));
      assertThat(java.util.HexFormat.of().formatHex(digest)).as(f[1]).isEqualTo(f[0]);
      assertThat(LabelledSets.sessions(dir.resolve(f[1]))).hasSize(12);
    }
  }

  /** The committed training data parses and holds what issue 16 asks for. */
  @Test
  void theTrainingDataFollowsTheGuideAndIsLargeEnough() throws IOException {
    Path train = Path.of("data/train");
    Map<String, Integer> risk = new TreeMap<>();
    int decoys = 0;
    int codes = 0;
    int identifiers = 0;
    int lowercaseIdentifiers = 0;
    try (var files = Files.list(train)) {
      for (Path file : files.sorted().toList()) {
        List<LabelledSets.Utterance> utterances = file.toString().endsWith(".tsv") ? LabelledSets.bulk(file)
            : LabelledSets.sessions(file).stream().flatMap(s -> s.utterances().stream()).toList();
        for (LabelledSets.Utterance u : utterances) {
          u.label().flags().forEach(f -> risk.merge(f.category(), 1, Integer::sum));
          decoys += u.label().decoy() != null && !u.label().decoy().isEmpty() ? 1 : 0;
          codes += u.label().isCode() ? 1 : 0;
          for (LabelledText.Span s : u.text().identifiers()) {
            identifiers++;
            String covered = u.text().covered(s);
            lowercaseIdentifiers += covered.equals(covered.toLowerCase(java.util.Locale.ROOT)) ? 1 : 0;
          }
        }
      }
    }
    System.out.printf("training data: risk flags %s, decoys %d, clinician codes %d, identifiers %d (%d lowercase)%n",
        risk, decoys, codes, identifiers, lowercaseIdentifiers);
    assertThat(risk.keySet()).containsExactlyInAnyOrderElementsOf(Label.CATEGORIES);
    assertThat(risk.values().stream().mapToInt(Integer::intValue).sum() + decoys).isGreaterThanOrEqualTo(3000);
    assertThat(codes).isGreaterThanOrEqualTo(1500);
    assertThat(lowercaseIdentifiers).isGreaterThan(100);
  }
}
