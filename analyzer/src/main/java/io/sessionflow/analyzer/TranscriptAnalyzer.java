package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.analyzer.risk.RiskDetector;
import io.sessionflow.analyzer.risk.RiskFinder;
import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.language.LanguageModel;
import io.sessionflow.language.pseudonym.Pseudonymizer;
import java.util.List;
import java.util.Optional;

/**
 * Transcript in, analysis out: {@code pseudonymise → read every turn with the trained model →
 * risk flags → technique profile → themes → case notes}. Runs offline, deterministically, the same
 * in the pipeline and in {@code sessionflow.jar analyze}. Every claim names the segments it rests on.
 */
public final class TranscriptAnalyzer {
  public static final int ANALYSIS_VERSION = 1;
  public static final String DISCLAIMER = "Decision support, not a clinical assessment: generated automatically "
      + "from the transcript by a trained model and rules that miss things and misread things. Every flag and "
      + "note sentence links to the transcript segments it rests on; check them. Risk, reporting and duty-to-warn "
      + "decisions remain the clinician's, under the rules of their jurisdiction.";

  private final Pseudonymizer pseudonymizer;
  private final Pseudonymizer rulesAlone = new Pseudonymizer(null);
  private final LanguageModel model;
  private final RiskFinder risk;
  private final TechniqueProfile techniques;

  public TranscriptAnalyzer(Pseudonymizer pseudonymizer, LanguageModel model) {
    this.pseudonymizer = pseudonymizer;
    this.model = model;
    this.risk = new RiskFinder(model);
    this.techniques = new TechniqueProfile(model);
  }

  /** The process's shared model ({@link LanguageModel#shared}). */
  public TranscriptAnalyzer() {
    this(new Pseudonymizer(), LanguageModel.shared());
  }

  /**
   * The transcript with every identifier replaced by a consistent placeholder. One the transcriber
   * already pseudonymised with the rules and the tagger ({@code pseudonymisedBy}) gets the rules'
   * pass again only: the tagger would read it a second time for nothing but its own placeholders.
   * Any other (a raw file, a transcript stored before the tagger) is read by both.
   */
  public Transcript pseudonymise(Transcript transcript) {
    Pseudonymizer.Session session = (Pseudonymizer.RULES_AND_TAGGER.equals(transcript.pseudonymisedBy()) ? rulesAlone
        : pseudonymizer).session()
        .learn(transcript.segments().stream().map(Transcript.Segment::text).toList());
    return transcript.mapText(session::apply);
  }

  public ObjectNode analyze(Transcript raw, NoteFormat format) {
    Transcript transcript = pseudonymise(raw);
    List<LanguageModel.Reading> readings = model.read(transcript.segments().stream()
        .map(s -> new LanguageModel.Turn(s.speaker(), s.text())).toList());
    Optional<String> clinician = techniques.clinician(transcript, readings);
    List<RiskDetector.Finding> flags = risk.detect(transcript, readings, clinician.orElse(null));
    var topics = Themes.topics(transcript);
    List<TechniqueProfile.Coded> coded = clinician.map(c -> techniques.code(transcript, readings, c))
        .orElse(List.of());

    ObjectNode analysis = JsonNodeFactory.instance.objectNode();
    analysis.put("analysisVersion", ANALYSIS_VERSION);
    analysis.set("flags", flags(flags));
    analysis.set("metrics", SessionMetrics.json(transcript));
    analysis.set("techniques", techniques.json(transcript, readings, clinician));
    analysis.set("themes", Themes.json(transcript));
    List<CaseNote.Agreed> agreed = new java.util.ArrayList<>();
    for (int i = 0; i < readings.size(); i++) {
      Transcript.Segment segment = transcript.segments().get(i);
      if (!segment.text().isBlank()) {
        model.plans(readings.get(i)).stream().findFirst().ifPresent(kind -> agreed.add(new CaseNote.Agreed(
            segment.id(), kind.label(), kind.probability())));
      }
    }
    CaseNote.Evidence evidence = new CaseNote.Evidence(transcript, clinician, flags, topics, coded, agreed);
    analysis.set("note", CaseNote.json(format, evidence));
    ObjectNode notes = analysis.putObject("notes");
    for (NoteFormat each : NoteFormat.values()) {
      notes.set(each.name(), CaseNote.json(each, evidence));
    }
    analysis.put("pseudonymised", true);
    analysis.put("disclaimer", DISCLAIMER);
    return analysis;
  }

  private static ArrayNode flags(List<RiskDetector.Finding> findings) {
    ArrayNode flags = JsonNodeFactory.instance.arrayNode();
    for (RiskDetector.Finding f : findings) {
      ObjectNode flag = flags.addObject();
      flag.put("category", f.category().code());
      flag.put("severity", f.severity());
      flag.putArray("segmentIds").add(f.segmentId());
      flag.put("start", f.start());
      flag.put("quote", f.quote());
      flag.put("temporality", f.past() ? "past" : "current");
      flag.put("score", Math.round(f.score() * 1000) / 1000.0);
      flag.put("basis", f.basis());
      flag.put("guidance", f.category().guidance());
    }
    return flags;
  }
}
