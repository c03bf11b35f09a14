package io.sessionflow.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.common.analysis.AnalysisMarkdown;
import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.common.event.EventCodec;
import java.io.InputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TranscriptAnalyzerTest {
  static Transcript transcript;
  static ObjectNode analysis;

  @BeforeAll
  static void analyse() throws Exception {
    try (InputStream in = TranscriptAnalyzerTest.class.getResourceAsStream("/session-transcript.json")) {
      transcript = EventCodec.mapper().readValue(in, Transcript.class);
    }
    analysis = new TranscriptAnalyzer().analyze(transcript, NoteFormat.SOAP);
  }

  private static Set<Integer> ids(JsonNode array) {
    Set<Integer> ids = new HashSet<>();
    array.forEach(id -> ids.add(id.asInt()));
    return ids;
  }

  @Test
  void speechAndSilenceComeFromTheVoiceActivityRegionsWhenTheTranscriptHasThem() {
    // Whisper's segments run on through pauses; the model heard speech in three regions only.
    List<double[]> regions = List.of(new double[] {1.0, 20.0}, new double[] {25.0, 40.0},
        new double[] {150.0, 180.0});
    Transcript heard = new Transcript(transcript.segments(), transcript.language(), transcript.model(),
        transcript.audioSeconds(), transcript.pseudonymisedBy(), new Transcript.Speech(64 / 190.0, regions, 110.0));
    JsonNode m = new TranscriptAnalyzer().analyze(heard, NoteFormat.SOAP).path("metrics");
    assertThat(m.path("speechFrom").asText()).isEqualTo("voice-activity");
    assertThat(m.path("speechSeconds").asDouble()).isEqualTo(64.0);
    assertThat(m.path("silenceSeconds").asDouble()).isEqualTo(126.0);
    assertThat(m.path("speechRatio").asDouble()).isEqualTo(0.34);
    assertThat(m.path("longestSilence").path("seconds").asDouble()).isEqualTo(110.0);
    assertThat(m.path("longestSilence").path("from").asDouble()).isEqualTo(40.0);
    assertThat(m.path("longestSilence").path("to").asDouble()).isEqualTo(150.0);
    assertThat(m.path("wordsPerMinute").asDouble()).isGreaterThan(
        analysis.path("metrics").path("wordsPerMinute").asDouble());
    // The transcript JSON as the transcriber writes it reads back with its regions.
    Transcript read = EventCodec.mapper().convertValue(EventCodec.mapper().createObjectNode()
        .put("audioSeconds", 190.0).set("speech", EventCodec.mapper().createObjectNode().put("ratio", 0.5)
            .put("longestPause", 3.0).set("regions", EventCodec.mapper().createArrayNode()
                .add(EventCodec.mapper().createArrayNode().add(1.0).add(2.5)))), Transcript.class);
    assertThat(read.speech().regions()).hasSize(1);
    assertThat(read.speech().seconds()).isEqualTo(1.5);
    // No regions (the model was unsure of everything it sent) or malformed ones: Whisper's times count.
    Transcript none = new Transcript(transcript.segments(), transcript.language(), transcript.model(),
        transcript.audioSeconds(), null, new Transcript.Speech(0, List.of(new double[] {5.0}, new double[] {3, 1}),
            0));
    assertThat(none.speech().regions()).isEmpty();
    JsonNode fallback = new TranscriptAnalyzer().analyze(none, NoteFormat.SOAP).path("metrics");
    assertThat(fallback.path("speechFrom").asText()).isEqualTo("segments");
    assertThat(fallback.path("speechSeconds").asDouble())
        .isEqualTo(analysis.path("metrics").path("speechSeconds").asDouble());
  }

  @Test
  void flagsNameTheirCategorySeverityEvidenceAndGuidance() {
    JsonNode flags = analysis.path("flags");
    assertThat(flags.findValuesAsText("category")).containsExactlyInAnyOrder("substance_use", "suicidal_ideation");
    for (JsonNode flag : flags) {
      assertThat(flag.path("severity").asText()).isIn("low", "moderate", "high");
      assertThat(ids(flag.path("segmentIds"))).containsExactly(3);
      assertThat(flag.path("start").asDouble()).isEqualTo(25.5);
      assertThat(flag.path("quote").asText()).isNotBlank();
      assertThat(flag.path("guidance").asText()).isNotBlank();
    }
    JsonNode past = flags.findParents("category").stream().filter(f -> f.path("category").asText()
        .equals("suicidal_ideation")).findFirst().orElseThrow();
    assertThat(past.path("temporality").asText()).isEqualTo("past");
    assertThat(past.path("severity").asText()).isEqualTo("low");
    assertThat(analysis.path("disclaimer").asText()).contains("not a clinical assessment");
  }

  @Test
  void metricsComeFromTheTimestamps() {
    JsonNode m = analysis.path("metrics");
    assertThat(m.path("durationSeconds").asDouble()).isEqualTo(190.0);
    assertThat(m.path("longestSilence").path("seconds").asDouble()).isEqualTo(70.0);
    assertThat(ids(m.path("longestSilence").path("segmentIds"))).containsExactly(9);
    assertThat(m.path("speechFrom").asText()).isEqualTo("segments");
    assertThat(m.path("turns").asInt()).isEqualTo(10);
    assertThat(m.path("talkTimeShare").path("A").asDouble() + m.path("talkTimeShare").path("B").asDouble())
        .isBetween(0.99, 1.01);
    assertThat(m.path("speechSeconds").asDouble()).isLessThan(m.path("durationSeconds").asDouble());
  }

  @Test
  void theClinicianIsFoundAndTheirTechniquesCodedWithEvidence() {
    JsonNode t = analysis.path("techniques");
    assertThat(t.path("clinicianSpeaker").asText()).isEqualTo("A");
    // One code per clinician turn (the model codes turns, as its training data does).
    int coded = 0;
    for (var count : (Iterable<JsonNode>) () -> t.path("counts").elements()) {
      coded += count.asInt();
    }
    assertThat(coded).isEqualTo(5);
    assertThat(ids(t.path("evidence").path("open_question"))).isNotEmpty();
    assertThat(ids(t.path("evidence").path("complex_reflection"))).contains(6);
    assertThat(ids(t.path("evidence").path("advice_with_permission"))).containsExactly(8);
    assertThat(t.path("summary").path("reflectionToQuestion").path("rating").asText()).isNotBlank();
  }

  @Test
  void themesAndEveryNoteSentenceLinkToSegmentsThatExist() {
    Set<Integer> segmentIds = new HashSet<>();
    transcript.segments().forEach(s -> segmentIds.add(s.id()));
    assertThat(analysis.path("themes").findValuesAsText("name")).contains("sleep", "work", "substance use");
    for (String format : List.of("DAP", "BIRP", "GIRP", "SOAP")) {
      JsonNode note = analysis.path("notes").path(format);
      assertThat(note.path("format").asText()).isEqualTo(format);
      int sentences = 0;
      for (JsonNode section : note.path("sections")) {
        for (JsonNode sentence : section.path("sentences")) {
          sentences++;
          assertThat(ids(sentence.path("segmentIds"))).as(sentence.toString()).isNotEmpty();
          assertThat(segmentIds).containsAll(ids(sentence.path("segmentIds")));
        }
      }
      assertThat(sentences).as(format + " has sentences").isGreaterThan(3);
    }
    assertThat(analysis.path("note").path("format").asText()).isEqualTo("SOAP");
    assertThat(analysis.path("note").path("sections").findValuesAsText("name")).containsExactly("Subjective",
        "Objective", "Assessment", "Plan");
  }

  @Test
  void noIdentifierFromTheTranscriptSurvivesIntoTheAnalysis() {
    String text = analysis.toString();
    assertThat(text).doesNotContain("Maria").doesNotContain("Tom").doesNotContain("Becker").doesNotContain("Ana ")
        .doesNotContain("0412").contains("[PERSON_");
    assertThat(new TranscriptAnalyzer().pseudonymise(transcript).segments().get(5).text())
        .isEqualTo("I feel calmer for an hour and then I wake up at three with my heart racing. My sister [PERSON_3] "
            + "says I should call her at [PHONE_1] when it happens.");
  }

  @Test
  void theMarkdownCarriesTheSameContentWithEvidence() {
    String markdown = AnalysisMarkdown.render(analysis);
    assertThat(markdown).contains("# Session analysis").contains("## Risk and ethics flags")
        .contains("**substance use**").contains("[segments 3]").contains("## Draft case note (SOAP)")
        .contains("### Objective").doesNotContain("Maria");
  }

  @Test
  void oneSegmentNoSegmentsAndGibberishAreAnalysedWithoutFailing() {
    TranscriptAnalyzer analyzer = new TranscriptAnalyzer();
    for (Transcript odd : List.of(new Transcript(List.of(), "en", "m", 0),
        new Transcript(List.of(new Transcript.Segment(0, 0.9, 4, "wwsp", null)), "auto", "m", 4),
        new Transcript(List.of(new Transcript.Segment(3, 0, 2, "", "A"), new Transcript.Segment(4, 2, 2, "?!", "B")),
            "en", "m", 2))) {
      ObjectNode result = analyzer.analyze(odd, NoteFormat.GIRP);
      assertThat(result.path("flags")).isEmpty();
      assertThat(result.path("notes").size()).isEqualTo(4);
    }
  }

  @Test
  void aTranscriptTheTranscriberPseudonymisedGetsTheRulesPassOnlyAndAnyOtherTheTaggerToo() throws Exception {
    String segments = "{\"segments\":[{\"id\":0,\"start\":0,\"end\":4,\"text\":\"so my sister grace came round\"}],"
        + "\"language\":\"en\",\"model\":\"m\",\"audioSeconds\":4,\"pseudonymised\":true";
    var json = io.sessionflow.common.event.EventCodec.mapper();
    Transcript stored = json.readValue(segments + ",\"pseudonymisedBy\":\"rules+tagger/1\"}", Transcript.class);
    TranscriptAnalyzer analyzer = new TranscriptAnalyzer();
    assertThat(analyzer.pseudonymise(stored).segments().get(0).text()).as("read by the tagger before: rules only")
        .contains("grace");
    // Stored before the tagger existed ("pseudonymised": true alone), or a raw file: the tagger reads it.
    Transcript older = json.readValue(segments + "}", Transcript.class);
    assertThat(analyzer.pseudonymise(older).segments().get(0).text()).isEqualTo(
        "so my sister [PERSON_1] came round");
    Transcript raw = new Transcript(stored.segments(), "en", "m", 4);
    assertThat(analyzer.pseudonymise(raw).segments().get(0).text()).isEqualTo("so my sister [PERSON_1] came round");
  }

  @Test
  void oneVoiceIsNotTakenForTheClinician() {
    Transcript monologue = new Transcript(List.of(new Transcript.Segment(0, 0, 5, "I want to tell you about my week.",
        "B"), new Transcript.Segment(1, 5, 9, "I have been so tired and I want to kill myself.", "B")), "en", "m", 9);
    ObjectNode result = new TranscriptAnalyzer().analyze(monologue, NoteFormat.SOAP);
    assertThat(result.path("techniques").path("available").asBoolean()).isFalse();
    assertThat(result.path("flags").findValuesAsText("category")).contains("suicidal_ideation");
  }
}
