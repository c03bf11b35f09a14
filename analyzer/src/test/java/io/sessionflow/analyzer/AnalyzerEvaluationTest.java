package io.sessionflow.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.language.pseudonym.IdentifierKind;
import io.sessionflow.language.pseudonym.IdentifierSpan;
import io.sessionflow.language.pseudonym.Pseudonymizer;
import io.sessionflow.analyzer.risk.RiskCategory;
import io.sessionflow.analyzer.risk.RiskFinder;
import io.sessionflow.analyzer.technique.TechniqueCode;
import io.sessionflow.language.LanguageModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The analyzer measured on the labelled sets in {@code src/test/resources/eval/} (written for the
 * purpose, no real people; written apart from the rules they test): prints precision, recall and
 * F1 per identifier type, risk category and technique code, and fails below the targets.
 * {@code bench/analyzer-eval.sh} runs just this.
 */
class AnalyzerEvaluationTest {

  /** Counts for one label. */
  static final class Score {
    int tp;
    int fp;
    int fn;

    double precision() {
      return tp + fp == 0 ? 1 : (double) tp / (tp + fp);
    }

    double recall() {
      return tp + fn == 0 ? 1 : (double) tp / (tp + fn);
    }

    double f1() {
      double p = precision();
      double r = recall();
      return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }
  }

  static String resource(String name) throws IOException {
    try (InputStream in = AnalyzerEvaluationTest.class.getResourceAsStream("/eval/" + name)) {
      assertThat(in).as("evaluation set " + name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static void print(String title, Map<String, Score> scores) {
    System.out.println();
    System.out.println(title);
    System.out.printf(Locale.ROOT, "  %-28s %9s %9s %9s %6s %6s %6s%n", "label", "precision", "recall", "F1", "tp",
        "fp", "fn");
    scores.forEach((label, s) -> System.out.printf(Locale.ROOT, "  %-28s %9.3f %9.3f %9.3f %6d %6d %6d%n", label,
        s.precision(), s.recall(), s.f1(), s.tp, s.fp, s.fn));
  }

  static Score total(Map<String, Score> scores) {
    Score total = new Score();
    scores.values().forEach(s -> {
      total.tp += s.tp;
      total.fp += s.fp;
      total.fn += s.fn;
    });
    return total;
  }

  // ---- identifiers -----------------------------------------------------------------------------

  private static final Pattern GOLD = Pattern.compile("\\{\\{([A-Z]+)\\|([^}]*)}}");

  record Gold(IdentifierKind kind, int start, int end) {
  }

  @Test
  void pseudonymisationFindsAtLeastNinetyFivePercentOfIdentifiers() throws IOException {
    assertThat(identifiers("").recall()).as("overall identifier recall").isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void onTheHeldOutSetIdentifiersStayAboveTheirFloor() throws IOException {
    assertThat(identifiers("holdout/").recall()).as("held-out identifier recall").isGreaterThanOrEqualTo(
        HOLDOUT_IDENTIFIER_RECALL);
  }

  static Score identifiers(String set) throws IOException {
    Pseudonymizer pseudonymizer = new Pseudonymizer();
    Map<String, Score> scores = new TreeMap<>();
    List<String> leaks = new ArrayList<>();
    for (String excerpt : resource(set + "pii.txt").split("(?m)^---\\s*$")) {
      StringBuilder plain = new StringBuilder();
      List<Gold> gold = new ArrayList<>();
      Matcher m = GOLD.matcher(excerpt);
      int at = 0;
      while (m.find()) {
        plain.append(excerpt, at, m.start());
        int start = plain.length();
        plain.append(m.group(2));
        gold.add(new Gold(IdentifierKind.valueOf(m.group(1)), start, plain.length()));
        at = m.end();
      }
      plain.append(excerpt.substring(at));
      String text = plain.toString();
      List<IdentifierSpan> found = pseudonymizer.session().learn(List.of(text)).detect(text);
      for (Gold g : gold) {
        Score score = scores.computeIfAbsent(g.kind().name(), k -> new Score());
        if (covered(g, found, text)) {
          score.tp++;
        } else {
          score.fn++;
          leaks.add(g.kind() + ": " + text.substring(g.start(), g.end()));
        }
      }
      for (IdentifierSpan span : found) {
        boolean real = gold.stream().anyMatch(g -> g.start() < span.end() && span.start() < g.end());
        if (!real) {
          scores.computeIfAbsent(span.kind().name(), k -> new Score()).fp++;
          System.out.println("  false positive " + span.kind() + ": " + span.text());
        }
      }
    }
    leaks.forEach(l -> System.out.println("  missed " + l));
    print("Identifiers, " + name(set) + " (recall: every letter and digit of the identifier replaced)", scores);
    Score all = total(scores);
    System.out.printf(Locale.ROOT, "  overall recall %.3f, precision %.3f%n", all.recall(), all.precision());
    return all;
  }

  static String name(String set) {
    return set.isEmpty() ? "tuning set" : "held-out set";
  }

  private static boolean covered(Gold gold, List<IdentifierSpan> found, String text) {
    for (int i = gold.start(); i < gold.end(); i++) {
      if (Character.isLetterOrDigit(text.charAt(i))) {
        int at = i;
        if (found.stream().noneMatch(s -> s.start() <= at && at < s.end())) {
          return false;
        }
      }
    }
    return true;
  }

  // ---- risk flags ------------------------------------------------------------------------------

  @Test
  void riskFlagsStayAboveTheirFloorAndFewNegationsAreFlagged() throws IOException {
    List<String> negatedFlagged = new ArrayList<>();
    Score all = risk("", negatedFlagged);
    assertThat(all.recall()).as("risk flag recall").isGreaterThanOrEqualTo(RISK_RECALL);
    assertThat(all.precision()).as("risk flag precision").isGreaterThanOrEqualTo(RISK_PRECISION);
    assertThat(negatedFlagged).as("negated statements flagged (of 69)").hasSizeLessThanOrEqualTo(NEGATIONS_FLAGGED);
  }

  @Test
  void onTheHeldOutSetRiskFlagsStayAboveTheirFloor() throws IOException {
    Score all = risk("holdout/", new ArrayList<>());
    assertThat(all.recall()).as("held-out risk recall").isGreaterThanOrEqualTo(HOLDOUT_RISK_RECALL);
    assertThat(all.precision()).as("held-out risk precision").isGreaterThanOrEqualTo(HOLDOUT_RISK_PRECISION);
  }

  static Score risk(String set, List<String> negatedFlagged) throws IOException {
    RiskFinder detector = new RiskFinder(LanguageModel.shared());
    Map<String, Score> scores = new LinkedHashMap<>();
    for (RiskCategory category : RiskCategory.values()) {
      scores.put(category.code(), new Score());
    }
    Map<String, int[]> byVariant = new TreeMap<>();
    for (String line : resource(set + "risk.tsv").split("\n")) {
      String[] parts = line.split("\t");
      if (parts.length < 3) {
        continue;
      }
      String label = parts[0].strip();
      String variant = parts[1].strip();
      Set<RiskCategory> predicted = detector.categories(parts[2]);
      for (RiskCategory category : RiskCategory.values()) {
        Score score = scores.get(category.code());
        boolean truth = category.code().equals(label);
        boolean said = predicted.contains(category);
        if (truth && said) {
          score.tp++;
        } else if (truth) {
          score.fn++;
          System.out.println("  missed " + label + " (" + variant + "): " + parts[2]);
        } else if (said) {
          score.fp++;
          System.out.println("  false " + category.code() + " on " + label + " (" + variant + "): " + parts[2]);
        }
      }
      boolean right = "none".equals(label) ? predicted.isEmpty() : predicted.stream().anyMatch(c -> c.code()
          .equals(label));
      int[] counts = byVariant.computeIfAbsent(variant, v -> new int[2]);
      counts[right ? 0 : 1]++;
      if ("negated".equals(variant) && !predicted.isEmpty()) {
        negatedFlagged.add(parts[2]);
      }
    }
    print("Risk flags, " + name(set) + " (one example per line; categories scored one against the rest)",
        scores);
    System.out.println("  by variant (right / wrong):");
    byVariant.forEach((variant, c) -> System.out.printf(Locale.ROOT, "    %-14s %4d / %d%n", variant, c[0], c[1]));
    Score all = total(scores);
    System.out.printf(Locale.ROOT, "  overall (micro) precision %.3f, recall %.3f, F1 %.3f%n", all.precision(),
        all.recall(), all.f1());
    return all;
  }

  // ---- techniques ------------------------------------------------------------------------------

  @Test
  void techniqueCodesAreMeasuredAndDoNotFallBelowTheirFloor() throws IOException {
    assertThat(techniques("")).as("technique coding accuracy (regression floor)").isGreaterThanOrEqualTo(FLOOR);
  }

  @Test
  void onTheHeldOutSetTechniqueCodingStaysAboveItsFloor() throws IOException {
    assertThat(techniques("holdout/")).as("held-out technique accuracy").isGreaterThanOrEqualTo(
        HOLDOUT_TECHNIQUE_ACCURACY);
  }

  static double techniques(String set) throws IOException {
    LanguageModel model = LanguageModel.shared();
    Map<String, Score> scores = new LinkedHashMap<>();
    for (TechniqueCode code : TechniqueCode.values()) {
      scores.put(code.code(), new Score());
    }
    int right = 0;
    int total = 0;
    for (String line : resource(set + "techniques.tsv").split("\n")) {
      String[] parts = line.split("\t");
      if (parts.length < 2) {
        continue;
      }
      String truth = parts[0].strip();
      String said = model.technique(model.read(List.of(new LanguageModel.Turn(null, parts[1]))).get(0));
      total++;
      if (truth.equals(said)) {
        right++;
        scores.get(truth).tp++;
      } else {
        scores.get(truth).fn++;
        scores.get(said).fp++;
        System.out.println("  coded " + truth + " as " + said + ": " + parts[1]);
      }
    }
    print("Technique codes, " + name(set) + " (one utterance per line)", scores);
    double accuracy = (double) right / total;
    double macroF1 = scores.values().stream().mapToDouble(Score::f1).average().orElse(0);
    System.out.printf(Locale.ROOT, "  accuracy %.3f over %d utterances, macro F1 %.3f%n", accuracy, total, macroF1);
    return accuracy;
  }

  /*
   * These sets were written for the phrase rules and tuned on by them; the trained model never saw
   * them, but how the model and the rules are combined (RiskFinder's gate, veto and denial rules) was
   * chosen looking at them, so they are tuning sets for the analyzer as a whole. The quality figures
   * are the blind held-out sessions' (SessionEvaluationTest, README). The floors sit a little under
   * the figures measured with the committed heads, so a regression shows.
   */
  static final double RISK_RECALL = 0.88;
  static final double RISK_PRECISION = 0.65;
  static final int NEGATIONS_FLAGGED = 10;
  static final double FLOOR = 0.77;
  static final double HOLDOUT_IDENTIFIER_RECALL = 0.93;
  static final double HOLDOUT_RISK_RECALL = 0.88;
  static final double HOLDOUT_RISK_PRECISION = 0.68;
  static final double HOLDOUT_TECHNIQUE_ACCURACY = 0.82;
}
