package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.JsonNode;
import io.sessionflow.analyzer.AnalyzerEvaluationTest.Score;
import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.language.data.Label;
import io.sessionflow.language.data.LabelledSets;
import io.sessionflow.language.data.LabelledText;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The whole analyzer measured on labelled sessions (the labelling guide's format): each session
 * becomes a transcript (one segment per utterance, the clinician on channel A and clients on B, or
 * no speakers at all for a mono recording), goes through {@link TranscriptAnalyzer#analyze}, and
 * the analysis is scored against the labels.
 *
 * <ul>
 *   <li>risk: per client utterance, the flags whose segment ids name it against its labelled
 *       categories (a flag on a clinician's line is a false positive);</li>
 *   <li>identifiers: a marked identifier leaks when the analysis JSON holds it (case-insensitive)
 *       as a whole word, or for a person any of its name words of three letters or more;</li>
 *   <li>techniques: the code the analysis gives each clinician line against its MITI label (a line
 *       of the wrong speaker taken for the clinician's counts as wrong);</li>
 *   <li>roles: whether the analysis named channel A as the clinician;</li>
 *   <li>plan: each kind a session's {@code #plan} names counts as found when the SOAP note's Plan
 *       cites one of its lines.</li>
 * </ul>
 */
final class SessionEvaluation {
  /** The further measures, counted over a run. */
  static final class Counts {
    int negatedAll;
    int negatedFlagged;
    int clinicianLines;
    int clinicianFlagged;
    int severityRight;
    int temporalityRight;
    int truePositives;
    int casedIdentifiers;
    int casedLeaked;
    int asrIdentifiers;
    int asrLeaked;
    int multiWord;
    int multiWordLeft;
    int keepWords;
    int keepReplaced;
    int miti;
    int mitiWithin;
    double mitiDifference;
    int lowRisk;
    int lowRiskWithRiskPlan;
    int quotes;
    int shortQuotes;
  }

  /** What one run measured. */
  record Result(Map<String, Score> risk, Score riskAll, int identifiers, List<String> leaks, int techniqueRight,
      int techniqueAll, int rolesRight, int sessions, int planFound, int planAll, Counts counts) {
    double planRecall() {
      return planAll == 0 ? 0 : (double) planFound / planAll;
    }

    double leakRate() {
      return identifiers == 0 ? 0 : (double) leaks.size() / identifiers;
    }

    double techniqueAccuracy() {
      return techniqueAll == 0 ? 0 : (double) techniqueRight / techniqueAll;
    }
  }

  private SessionEvaluation() {
  }

  static Result evaluate(List<LabelledSets.Session> sessions, TranscriptAnalyzer analyzer, boolean speakers,
      PrintStream log) {
    Map<String, Score> risk = new LinkedHashMap<>();
    Label.CATEGORIES.forEach(c -> risk.put(c, new Score()));
    List<String> leaks = new ArrayList<>();
    int identifiers = 0;
    int techniqueRight = 0;
    int techniqueAll = 0;
    int rolesRight = 0;
    int planFound = 0;
    int planAll = 0;
    Counts counts = new Counts();
    for (LabelledSets.Session session : sessions) {
      List<Transcript.Segment> segments = new ArrayList<>();
      List<LabelledSets.Utterance> utterances = session.utterances();
      for (int i = 0; i < utterances.size(); i++) {
        LabelledSets.Utterance u = utterances.get(i);
        String speaker = !speakers ? null : u.clinician() ? "A" : "B";
        segments.add(new Transcript.Segment(i, i * 6.0, i * 6.0 + 5.5, u.text().text(), speaker));
      }
      Transcript transcript = new Transcript(segments, "en", "labelled", utterances.size() * 6.0);
      JsonNode analysis = analyzer.analyze(transcript, NoteFormat.SOAP);
      further(session, analyzer.pseudonymise(transcript), analysis, speakers, counts);

      Map<Integer, Set<String>> flagged = new LinkedHashMap<>();
      Map<String, String> basis = new LinkedHashMap<>();
      for (JsonNode flag : analysis.path("flags")) {
        for (JsonNode id : flag.path("segmentIds")) {
          flagged.computeIfAbsent(id.asInt(), k -> new HashSet<>()).add(flag.path("category").asText());
          basis.put(id.asInt() + "/" + flag.path("category").asText(), flag.path("basis").asText() + " "
              + flag.path("score").asText());
        }
      }
      for (int i = 0; i < utterances.size(); i++) {
        LabelledSets.Utterance u = utterances.get(i);
        Set<String> truth = new HashSet<>();
        u.label().flags().forEach(f -> truth.add(f.category()));
        Set<String> said = flagged.getOrDefault(i, Set.of());
        for (String category : Label.CATEGORIES) {
          Score score = risk.get(category);
          boolean t = truth.contains(category);
          boolean s = said.contains(category);
          if (t && s) {
            score.tp++;
          } else if (t) {
            score.fn++;
            log.printf(Locale.ROOT, "  %s: missed %s: %s%n", session.id(), category, u.text().text());
          } else if (s) {
            score.fp++;
            log.printf(Locale.ROOT, "  %s: false %s (%s) on %s: %s%n", session.id(), category,
                basis.get(i + "/" + category), u.label().flags().isEmpty() ? (u.clinician() ? "clinician"
                : "none:" + u.label().decoy()) : truth, u.text().text());
          }
        }
      }

      Set<Integer> inPlan = new HashSet<>();
      for (JsonNode section : analysis.path("note").path("sections")) {
        if ("Plan".equals(section.path("name").asText())) {
          section.path("sentences").forEach(sentence -> sentence.path("segmentIds").forEach(id -> inPlan.add(
              id.asInt())));
        }
      }
      for (Map.Entry<String, List<Integer>> agreed : session.plan().entrySet()) {
        planAll++;
        boolean found = agreed.getValue().stream().anyMatch(line -> inPlan.contains(line - 1));
        planFound += found ? 1 : 0;
        if (!found) {
          log.printf(Locale.ROOT, "  %s: plan missed %s%n", session.id(), agreed.getKey());
        }
      }

      String output = analysis.toString().toLowerCase(Locale.ROOT);
      for (LabelledSets.Utterance u : utterances) {
        for (LabelledText.Span span : u.text().identifiers()) {
          identifiers++;
          String covered = u.text().covered(span);
          if (leaked(covered, span.kind(), output)) {
            leaks.add(session.id() + " " + span.kind() + ": " + covered);
          }
        }
      }

      if (speakers) {
        JsonNode techniques = analysis.path("techniques");
        boolean rightRole = "A".equals(techniques.path("clinicianSpeaker").asText());
        rolesRight += rightRole ? 1 : 0;
        Map<Integer, String> codes = new LinkedHashMap<>();
        techniques.path("evidence").fields().forEachRemaining(e -> e.getValue().forEach(id -> codes.put(id.asInt(),
            e.getKey())));
        for (int i = 0; i < utterances.size(); i++) {
          LabelledSets.Utterance u = utterances.get(i);
          if (u.clinician() && u.label().isCode()) {
            techniqueAll++;
            techniqueRight += rightRole && u.label().code().equals(codes.get(i)) ? 1 : 0;
          }
        }
      }
    }
    Score all = new Score();
    risk.values().forEach(s -> {
      all.tp += s.tp;
      all.fp += s.fp;
      all.fn += s.fn;
    });
    return new Result(risk, all, identifiers, leaks, techniqueRight, techniqueAll, rolesRight, sessions.size(),
        planFound, planAll, counts);
  }

  /** Negations, screening, severity, identifiers by style, KEEP words, MITI summary, plans and quotes. */
  private static void further(LabelledSets.Session session, Transcript pseudonymised, JsonNode analysis,
      boolean speakers, Counts c) {
    List<LabelledSets.Utterance> utterances = session.utterances();
    boolean highRisk = false;
    for (int i = 0; i < utterances.size(); i++) {
      LabelledSets.Utterance u = utterances.get(i);
      int id = i;
      List<JsonNode> flags = new ArrayList<>();
      analysis.path("flags").forEach(f -> {
        for (JsonNode s : f.path("segmentIds")) {
          if (s.asInt() == id) {
            flags.add(f);
          }
        }
      });
      if (u.clinician()) {
        c.clinicianLines++;
        c.clinicianFlagged += flags.isEmpty() ? 0 : 1;
      } else if ("negated".equals(u.label().decoy())) {
        c.negatedAll++;
        c.negatedFlagged += flags.isEmpty() ? 0 : 1;
      }
      for (Label.Flag truth : u.label().flags()) {
        highRisk |= "high".equals(truth.severity());
        for (JsonNode f : flags) {
          if (f.path("category").asText().equals(truth.category())) {
            c.truePositives++;
            c.severityRight += f.path("severity").asText().equals(truth.severity()) ? 1 : 0;
            c.temporalityRight += f.path("temporality").asText().equals(truth.temporality()) ? 1 : 0;
          }
        }
      }
      String after = pseudonymised.segments().get(i).text().toLowerCase(Locale.ROOT);
      for (LabelledText.Span span : u.text().spans()) {
        String covered = u.text().covered(span);
        boolean left = leaked(covered, span.kind(), after);
        if (!span.identifier()) {
          c.keepWords++;
          c.keepReplaced += contains(after, covered.toLowerCase(Locale.ROOT).strip()) ? 0 : 1;
        } else if (session.asr()) {
          c.asrIdentifiers++;
          c.asrLeaked += left ? 1 : 0;
        } else {
          c.casedIdentifiers++;
          c.casedLeaked += left ? 1 : 0;
        }
        if (span.identifier() && covered.strip().contains(" ") && ("PERSON".equals(span.kind())
            || "ADDRESS".equals(span.kind()))) {
          c.multiWord++;
          boolean anyWord = false;
          for (String word : covered.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            anyWord |= word.length() >= 3 && contains(after, word);
          }
          c.multiWordLeft += anyWord ? 1 : 0;
        }
      }
    }
    if (speakers && analysis.path("techniques").path("available").asBoolean()) {
      int reflections = 0;
      int questions = 0;
      for (LabelledSets.Utterance u : utterances) {
        if (u.clinician() && u.label().isCode()) {
          String code = u.label().code();
          reflections += code.endsWith("_reflection") ? 1 : 0;
          questions += code.endsWith("_question") ? 1 : 0;
        }
      }
      JsonNode said = analysis.path("techniques").path("summary").path("reflectionToQuestion").path("value");
      if (questions > 0 && said.isNumber()) {
        double difference = Math.abs(said.asDouble() - (double) reflections / questions);
        c.miti++;
        c.mitiWithin += difference <= 0.5 ? 1 : 0;
        c.mitiDifference += difference;
      }
    }
    for (JsonNode section : analysis.path("note").path("sections")) {
      for (JsonNode sentence : section.path("sentences")) {
        String text = sentence.path("text").asText();
        if ("extractive".equals(sentence.path("kind").asText())) {
          int quoteStart = text.indexOf('"');
          String quote = quoteStart < 0 ? text : text.substring(quoteStart);
          c.quotes++;
          c.shortQuotes += quote.split("\\s+").length < 4 ? 1 : 0;
        }
        if (!highRisk && "Plan".equals(section.path("name").asText()) && text.startsWith("Follow up on")) {
          c.lowRiskWithRiskPlan++;
          highRisk = true; // count the session once
        }
      }
    }
    if (session.utterances().stream().noneMatch(u -> u.label().flags().stream()
        .anyMatch(f -> "high".equals(f.severity())))) {
      c.lowRisk++;
    }
  }

  static boolean leaked(String identifier, String kind, String output) {
    String lower = identifier.toLowerCase(Locale.ROOT).strip();
    if (contains(output, lower)) {
      return true;
    }
    if ("PERSON".equals(kind)) {
      for (String word : lower.split("[^\\p{L}\\p{N}'-]+")) {
        if (word.length() >= 3 && contains(output, word)) {
          return true;
        }
      }
    }
    return false;
  }

  private static double ratio(int part, int whole) {
    return whole == 0 ? 0 : (double) part / whole;
  }

  private static boolean contains(String output, String needle) {
    return !needle.isEmpty() && Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(needle)
        + "(?![\\p{L}\\p{N}])").matcher(output).find();
  }

  /** @param lines whether to print each leaked identifier too (never for the held-out set) */
  static void print(String title, Result r, boolean speakers, PrintStream out, boolean lines) {
    out.println();
    out.println(title);
    out.printf(Locale.ROOT, "  %-20s %9s %9s %5s %5s %5s%n", "risk category", "precision", "recall", "tp", "fp", "fn");
    r.risk().forEach((c, s) -> out.printf(Locale.ROOT, "  %-20s %9.3f %9.3f %5d %5d %5d%n", c, s.precision(),
        s.recall(), s.tp, s.fp, s.fn));
    out.printf(Locale.ROOT, "  risk overall (micro): precision %.3f, recall %.3f (tp %d fp %d fn %d)%n",
        r.riskAll().precision(), r.riskAll().recall(), r.riskAll().tp, r.riskAll().fp, r.riskAll().fn);
    out.printf(Locale.ROOT, "  identifiers leaked into the analysis: %d of %d (%.3f)%n", r.leaks().size(),
        r.identifiers(), r.leakRate());
    if (lines) {
      r.leaks().forEach(l -> out.println("    leaked " + l));
    }
    out.printf(Locale.ROOT, "  agreed plan items quoted in the note's Plan: %d of %d (%.3f)%n", r.planFound(),
        r.planAll(), r.planRecall());
    Counts c = r.counts();
    out.printf(Locale.ROOT, "  negated client lines flagged: %d of %d; clinician lines flagged: %d of %d%n",
        c.negatedFlagged, c.negatedAll, c.clinicianFlagged, c.clinicianLines);
    out.printf(Locale.ROOT, "  true flags with the right severity: %.3f, temporality: %.3f (of %d)%n",
        ratio(c.severityRight, c.truePositives), ratio(c.temporalityRight, c.truePositives), c.truePositives);
    out.printf(Locale.ROOT, "  identifier recall in the stored transcript: cased %.3f (%d of %d), recogniser "
        + "style %.3f (%d of %d); multi-word names and addresses with a word left: %d of %d; KEEP words "
        + "replaced: %d of %d (%.3f)%n", 1 - ratio(c.casedLeaked, c.casedIdentifiers), c.casedIdentifiers
        - c.casedLeaked, c.casedIdentifiers, 1 - ratio(c.asrLeaked, c.asrIdentifiers), c.asrIdentifiers
        - c.asrLeaked, c.asrIdentifiers, c.multiWordLeft, c.multiWord, c.keepReplaced, c.keepWords,
        ratio(c.keepReplaced, c.keepWords));
    out.printf(Locale.ROOT, "  note quotes under four words: %d of %d; low-risk sessions given a risk plan: %d of "
        + "%d%n", c.shortQuotes, c.quotes, c.lowRiskWithRiskPlan, c.lowRisk);
    if (speakers) {
      out.printf(Locale.ROOT, "  MITI reflection-to-question ratio within 0.5 of the gold labels' in %d of %d "
          + "sessions (mean difference %.2f)%n", c.mitiWithin, c.miti, c.miti == 0 ? 0 : c.mitiDifference / c.miti);
      out.printf(Locale.ROOT, "  clinician told apart in %d of %d sessions; technique accuracy %.3f (%d of %d "
          + "clinician lines)%n", r.rolesRight(), r.sessions(), r.techniqueAccuracy(), r.techniqueRight(),
          r.techniqueAll());
    }
  }
}
