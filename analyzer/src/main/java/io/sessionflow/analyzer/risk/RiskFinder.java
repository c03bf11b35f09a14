package io.sessionflow.analyzer.risk;

import io.sessionflow.analyzer.Transcript;
import io.sessionflow.analyzer.text.Sentences;
import io.sessionflow.language.LanguageModel;
import io.sessionflow.language.data.Label;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Risk and ethics flags from the trained model, with the phrase rules where they are stronger.
 *
 * <p>Each client turn is read by the model ({@link LanguageModel#read}: the turn, the turn before
 * it). A category is flagged when its score reaches the threshold chosen on the training data's
 * validation split ({@code model}); a rule's disclosure is flagged when the model gives it at
 * least {@link #RULE_GATE} of that threshold ({@code rule, model-confirmed}), so a rule alone
 * cannot flag what the model reads as harmless. The rules win where wording decides:
 * <ul>
 *   <li>a screening question put to the listener, or a negation or hypothetical the rules
 *       recognise, vetoes a model score below {@link #CONFIDENT};</li>
 *   <li>a sentence that opens with the speaker's own denial ("No, I've never…") and is not a
 *       disclosure itself vetoes the model alone;</li>
 *   <li>an everyday idiom ("shoot him a text", "a glass of wine with dinner") vetoes its category.</li>
 * </ul>
 * Clinician turns (when speakers are known) are read for boundary crossings by the rules only: the
 * model was trained on client disclosures. Severity and temporality are the model's, but a rule's
 * explicit past cue makes a finding past, and past is low. Every finding quotes the sentence it
 * rests on.
 */
public final class RiskFinder {
  /** Share of the model's threshold a rule's match needs. */
  static final double RULE_GATE = 0.4;
  /** A model score at which a rule's veto no longer holds. */
  static final double CONFIDENT = 0.9;
  private final LanguageModel model;
  private final RiskDetector rules = new RiskDetector();

  public RiskFinder(LanguageModel model) {
    this.model = model;
  }

  /**
   * The findings of a transcript, one per category and segment, in order.
   *
   * @param readings the model's reading of each segment, in the transcript's order
   * @param clinician the clinician's speaker label, or null when unknown
   */
  public List<RiskDetector.Finding> detect(Transcript transcript, List<LanguageModel.Reading> readings,
      String clinician) {
    List<RiskDetector.Finding> findings = new ArrayList<>();
    for (int i = 0; i < transcript.segments().size(); i++) {
      Transcript.Segment segment = transcript.segments().get(i);
      if (segment.text().isBlank()) {
        continue; // nothing said: the turn before would speak for it
      }
      if (clinician != null && clinician.equals(segment.speaker())) {
        for (RiskDetector.Hit hit : rules.hits(segment.text())) {
          if (hit.category() == RiskCategory.BOUNDARY && findings.stream().noneMatch(f -> f.segmentId()
              == segment.id() && f.category() == RiskCategory.BOUNDARY)) {
            findings.add(new RiskDetector.Finding(hit.category(), hit.severity(), segment.id(), segment.start(),
                RiskDetector.quote(hit.sentence()), hit.past(), 0, "rule"));
          }
        }
        continue;
      }
      findings.addAll(turn(segment, readings.get(i)));
    }
    return findings;
  }

  /** The categories one utterance raises, read on its own (the evaluation's unit). */
  public Set<RiskCategory> categories(String text) {
    Transcript.Segment segment = new Transcript.Segment(0, 0, 0, text, null);
    LanguageModel.Reading reading = model.read(List.of(new LanguageModel.Turn(null, text))).get(0);
    Set<RiskCategory> categories = EnumSet.noneOf(RiskCategory.class);
    turn(segment, reading).forEach(f -> categories.add(f.category()));
    return categories;
  }

  private List<RiskDetector.Finding> turn(Transcript.Segment segment, LanguageModel.Reading reading) {
    List<RiskDetector.Hit> matches = rules.matches(segment.text());
    List<RiskDetector.Hit> disclosed = rules.hits(segment.text());
    List<Sentences.Piece> sentences = Sentences.sentences(segment.text());
    boolean allScreening = !sentences.isEmpty() && sentences.stream()
        .allMatch(s -> Speech.addressedQuestion(normalise(s.text())));
    List<LanguageModel.Reading> bySentence = null;
    List<RiskDetector.Finding> found = new ArrayList<>();
    for (RiskCategory category : RiskCategory.values()) {
      int c = Label.CATEGORIES.indexOf(category.code());
      RiskDetector.Hit rule = disclosed.stream().filter(h -> h.category() == category).findFirst().orElse(null);
      if (rule == null && reading.risk()[c] < model.threshold(category.code())) {
        continue; // nothing can flag it: read no sentence on its own
      }
      if (bySentence == null) {
        bySentence = sentences.size() <= 1 ? List.of() : sentenceReadings(sentences);
      }
      // A long turn dilutes a one-sentence disclosure: the sentence and the clause a rule points at are
      // read on their own too ("I've been drinking every night to get to sleep, and my sister is worried").
      int strongest = -1;
      double score = reading.risk()[c];
      LanguageModel.Reading graded = reading;
      for (int k = 0; k < bySentence.size(); k++) {
        if (rule != null && sentences.get(k).text().equals(rule.sentence()) && bySentence.get(k).risk()[c] > score) {
          score = bySentence.get(k).risk()[c];
          strongest = k;
          graded = bySentence.get(k);
        }
      }
      if (rule != null && score < model.threshold(category.code()) && !rule.clause().equals(normalise(
          rule.sentence()))) {
        LanguageModel.Reading clause = model.read(List.of(new LanguageModel.Turn(null, rule.clause()))).get(0);
        if (clause.risk()[c] > score) {
          score = clause.risk()[c];
          graded = clause;
        }
      }
      double threshold = model.threshold(category.code());
      String read = strongest >= 0 ? sentences.get(strongest).text() : best(sentences, bySentence, c,
          segment.text());
      boolean vetoed = rule == null && (allScreening && category != RiskCategory.BOUNDARY
          || matches.stream().anyMatch(h -> h.category() == category && h.veto() != null
              && (sentences.size() <= 1 || h.sentence().equals(read))));
      boolean denied = rule == null && Speech.denial(normalise(read));
      if (idiomOnly(category, normalise(rule != null ? rule.sentence() : read))) {
        continue;
      }
      String basis;
      if (score >= threshold && rule != null) {
        basis = "model and rule";
      } else if (score >= threshold && !denied && (!vetoed || score >= CONFIDENT)) {
        basis = "model";
      } else if (rule != null && score >= RULE_GATE * threshold) {
        basis = "rule, model-confirmed";
      } else {
        continue;
      }
      String sentence = rule != null ? rule.sentence() : read;
      LanguageModel.Graded severity = model.severity(graded, category.code());
      LanguageModel.Graded temporality = model.temporality(graded, category.code());
      // An explicit past cue the rules read ("last year", "when I was a teenager") makes it past; the
      // labelling guide's past and over is low.
      boolean past = "past".equals(temporality.label()) || rule != null && rule.past();
      found.add(new RiskDetector.Finding(category, past ? "low" : severity.label(), segment.id(), segment.start(),
          RiskDetector.quote(sentence), past, score, basis));
    }
    return found;
  }

  /**
   * Each sentence of a turn read on its own, without context: the sentence before it (or the
   * other speaker's turn) would otherwise outweigh a one-sentence disclosure.
   */
  private List<LanguageModel.Reading> sentenceReadings(List<Sentences.Piece> sentences) {
    List<LanguageModel.Reading> readings = new ArrayList<>(sentences.size());
    for (Sentences.Piece sentence : sentences) {
      readings.add(model.read(List.of(new LanguageModel.Turn(null, sentence.text()))).get(0));
    }
    return readings;
  }

  /** The sentence of a turn its readings score highest for a category (the turn itself if it is one sentence). */
  private static String best(List<Sentences.Piece> sentences, List<LanguageModel.Reading> bySentence, int category,
      String text) {
    if (bySentence.isEmpty()) {
      return text.strip();
    }
    int best = 0;
    for (int i = 1; i < bySentence.size(); i++) {
      if (bySentence.get(i).risk()[category] > bySentence.get(best).risk()[category]) {
        best = i;
      }
    }
    return sentences.get(best).text();
  }

  /**
   * The sentence says the category's words only as an everyday idiom: with its idioms taken out, no
   * rule finds the category in it any more ("I'll shoot him a text", not "I'm dead tired and keep
   * thinking about killing myself").
   */
  private boolean idiomOnly(RiskCategory category, String sentence) {
    String without = Speech.withoutIdioms(category, sentence);
    return !without.equals(sentence) && rules.hits(without).stream().noneMatch(h -> h.category() == category);
  }

  private static String normalise(String text) {
    return text.toLowerCase(Locale.ROOT).replace('’', '\'').replaceAll("\\s+", " ").strip();
  }
}
