package io.sessionflow.language;

import io.sessionflow.language.data.Label;
import io.sessionflow.language.head.Head;
import io.sessionflow.language.head.HeadSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The analyzer's trained model: the sentence encoder and the heads trained on it
 * ({@code bench/train-analyzer.sh}). {@link #read} encodes every turn of a session once and scores it
 * for risk (per category), MITI code and speaker role. Load once and share: thread-safe.
 */
public final class LanguageModel implements AutoCloseable {
  /** Where the trained heads are on the class path. */
  public static final String HEADS = "/io/sessionflow/language/heads.bin";
  private final SentenceEncoder encoder;
  private final HeadSet heads;
  private final Head risk;
  private final Head technique;
  private final Head role;
  private final Head severity;
  private final Head temporality;
  private final IdentifierTagger identifiers;
  private final Head plan;

  public LanguageModel(SentenceEncoder encoder, HeadSet heads) {
    this.encoder = encoder;
    this.heads = heads;
    this.risk = heads.head("risk");
    this.technique = heads.head("technique");
    this.role = heads.head("role");
    this.severity = heads.head("severity");
    this.temporality = heads.head("temporality");
    this.plan = heads.head("plan");
    this.identifiers = new IdentifierTagger(encoder, heads.head("identifier"), heads.threshold("identifier/any", 0.5));
  }

  private static volatile LanguageModel shared;

  /** The encoder (one thread) and the committed heads. */
  public static LanguageModel load() {
    return new LanguageModel(SentenceEncoder.load(1), HeadSet.load(HEADS));
  }

  /**
   * One model for the whole process, loaded on first use (about a second) and never closed: every
   * analysis and every analyzer worker reads with it (ONNX Runtime sessions run concurrently).
   */
  public static LanguageModel shared() {
    LanguageModel model = shared;
    if (model == null) {
      synchronized (LanguageModel.class) {
        model = shared;
        if (model == null) {
          model = load();
          shared = model;
        }
      }
    }
    return model;
  }

  public SentenceEncoder encoder() {
    return encoder;
  }

  public HeadSet heads() {
    return heads;
  }

  /** The identifier tagger on this model's encoder and {@code identifier} head. */
  public IdentifierTagger identifiers() {
    return identifiers;
  }

  /** One turn of a session as the analyzer sees it; {@code speaker} may be null (one channel). */
  public record Turn(String speaker, String text) {
  }

  /**
   * What the model reads in one turn.
   *
   * @param features the heads' input
   * @param risk probability per category, in {@link Label#CATEGORIES} order
   * @param technique probability per MITI code, in {@link Label#CODES} order
   * @param clinician probability that the speaker is the clinician
   */
  public record Reading(float[] features, double[] risk, double[] technique, double clinician) {
  }

  public List<Reading> read(List<Turn> turns) {
    List<String> texts = turns.stream().map(Turn::text).toList();
    List<SentenceEncoder.Encoded> encoded = encoder.encode(texts);
    List<Reading> readings = new ArrayList<>(turns.size());
    for (int i = 0; i < turns.size(); i++) {
      float[] previous = i == 0 ? null : encoded.get(i - 1).embedding();
      boolean byOther = i > 0 && (turns.get(i).speaker() == null || !turns.get(i).speaker().equals(
          turns.get(i - 1).speaker()));
      float[] x = Features.utterance(encoded.get(i).embedding(), encoded.get(i).maxPooled(), previous, byOther,
          texts.get(i));
      readings.add(new Reading(x, risk.scores(x), technique.scores(x), role.scores(x)[0]));
    }
    return readings;
  }

  /** The MITI code a reading scores highest, from {@link Label#CODES}. */
  public String technique(Reading reading) {
    return technique.best(reading.technique());
  }

  /** What a turn says was agreed ({@link Label#PLANS} kinds over their thresholds), strongest first, with scores. */
  public List<Graded> plans(Reading reading) {
    double[] p = plan.scores(reading.features());
    List<Graded> kinds = new ArrayList<>();
    for (int k = 0; k < p.length; k++) {
      String kind = plan.labels().get(k);
      if (p[k] >= heads.threshold("plan/" + kind, 0.5)) {
        kinds.add(new Graded(kind, p[k]));
      }
    }
    kinds.sort((a, b) -> Double.compare(b.probability(), a.probability()));
    return kinds;
  }

  /** The score at which {@code category} is flagged (chosen on the training data's validation split). */
  public double threshold(String category) {
    return heads.threshold("risk/" + category, 0.5);
  }

  /** The severity of a flag of {@code category} in this turn, and its probability. */
  public Graded severity(Reading reading, String category) {
    return graded(severity, reading, category);
  }

  /** Whether a flag of {@code category} in this turn is {@code current} or {@code past}, and its probability. */
  public Graded temporality(Reading reading, String category) {
    return graded(temporality, reading, category);
  }

  /** A head's best label and its probability. */
  public record Graded(String label, double probability) {
  }

  private static Graded graded(Head head, Reading reading, String category) {
    double[] p = head.scores(Features.withOneHot(reading.features(), Label.CATEGORIES.indexOf(category),
        Label.CATEGORIES.size()));
    String best = head.best(p);
    return new Graded(best, p[head.labels().indexOf(best)]);
  }

  @Override
  public void close() {
    encoder.close();
  }
}
