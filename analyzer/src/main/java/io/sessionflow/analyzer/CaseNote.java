package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.analyzer.risk.RiskDetector;
import io.sessionflow.analyzer.technique.TechniqueCode;
import io.sessionflow.analyzer.text.Sentences;
import io.sessionflow.common.analysis.AnalysisMarkdown;
import io.sessionflow.common.analysis.NoteFormat;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A draft case note whose every sentence is either quoted from the transcript or a template
 * filled from evidence, and names the segments it rests on. A section with no evidence stays
 * empty rather than invented.
 */
final class CaseNote {
  private static final Pattern PLAN = Pattern.compile("\\b(?:next (?:week|session|time)|between now and|homework|"
      + "going to try|i'll try|i will try|i'm going to|we'll|we will|let's (?:plan|agree|try|look at)|plan (?:is|to)"
      + "|agree(?:d)? to|practi[cs]e|keep a (?:diary|journal|log)|book (?:an|a)|make an appointment|follow up)\\b",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern GOAL = Pattern.compile("\\b(?:my goal|goal is|goals?|i want to (?:be able|get|"
      + "feel|stop|start|be|have|learn|work)|i'd like to|i would like to|hoping to|i hope to|what i want is|"
      + "work on)\\b", Pattern.CASE_INSENSITIVE);
  private static final int MAX_QUOTES = 3;

  private CaseNote() {
  }

  /** What the sections are built from. */
  record Evidence(Transcript transcript, Optional<String> clinician, List<RiskDetector.Finding> flags,
      Map<String, List<Integer>> topics, List<TechniqueProfile.Coded> coded, List<Agreed> agreed) {
  }

  /** A turn the model reads as saying what was agreed, and what kind ({@code safety_plan}, ...). */
  record Agreed(int segmentId, String kind, double probability) {
  }

  private static final Map<String, String> PLAN_KINDS = Map.of("safety_plan", "Safety plan", "crisis_contact",
      "Crisis contact", "means_restriction", "Means restriction", "referral", "Referral", "homework", "Homework",
      "next_session", "Next session", "other", "Agreed");
  private static final int MAX_PLAN = 8;
  private static final List<String> PLAN_ORDER = List.of("safety_plan", "crisis_contact", "means_restriction",
      "referral", "homework", "next_session", "other");

  static ObjectNode json(NoteFormat format, Evidence evidence) {
    ObjectNode note = JsonNodeFactory.instance.objectNode();
    note.put("format", format.name());
    ArrayNode sections = note.putArray("sections");
    for (String name : format.sections()) {
      ObjectNode section = sections.addObject().put("name", name);
      ArrayNode sentences = section.putArray("sentences");
      for (Sentence sentence : section(name, evidence)) {
        ObjectNode s = sentences.addObject().put("text", sentence.text()).put("kind", sentence.kind());
        sentence.segmentIds().forEach(s.putArray("segmentIds")::add);
      }
    }
    return note;
  }

  private record Sentence(String text, String kind, Set<Integer> segmentIds) {
    static Sentence quoted(Transcript.Segment segment, String text) {
      return new Sentence("\"" + text + "\"", "extractive", Set.of(segment.id()));
    }

    static Sentence templated(String text, Set<Integer> ids) {
      return new Sentence(text, "templated", ids);
    }
  }

  private static List<Sentence> section(String name, Evidence evidence) {
    return switch (name) {
      case "Data", "Subjective", "Behavior" -> {
        List<Sentence> out = new ArrayList<>(clientStatements(evidence));
        if (!"Subjective".equals(name)) {
          out.addAll(objective(evidence));
        }
        yield out;
      }
      case "Objective" -> objective(evidence);
      case "Assessment" -> assessment(evidence);
      case "Intervention" -> interventions(evidence);
      case "Response" -> responses(evidence);
      case "Goals" -> matching(evidence, GOAL, true);
      case "Plan" -> plan(evidence);
      default -> List.of();
    };
  }

  private static boolean client(Evidence evidence, Transcript.Segment segment) {
    return evidence.clinician().map(c -> !c.equals(segment.speaker())).orElse(true);
  }

  /** The client's sentences that carry the session's main topics, one per topic. */
  private static List<Sentence> clientStatements(Evidence evidence) {
    List<Sentence> out = new ArrayList<>();
    Set<Integer> used = new LinkedHashSet<>();
    for (Map.Entry<String, List<Integer>> topic : evidence.topics().entrySet()) {
      Pattern words = Themes.TOPICS.get(topic.getKey());
      for (Transcript.Segment segment : evidence.transcript().segments()) {
        if (out.size() >= MAX_QUOTES) {
          return out;
        }
        if (!used.contains(segment.id()) && client(evidence, segment) && topic.getValue().contains(segment.id())) {
          Optional<String> sentence = Sentences.sentences(segment.text()).stream().map(Sentences.Piece::text)
              .filter(t -> words.matcher(t).find() && t.split("\\s+").length >= 4).findFirst();
          if (sentence.isPresent()) {
            out.add(Sentence.quoted(segment, sentence.get()));
            used.add(segment.id());
            break;
          }
        }
      }
    }
    return out;
  }

  private static List<Sentence> objective(Evidence evidence) {
    Transcript t = evidence.transcript();
    if (t.segments().isEmpty()) {
      return List.of();
    }
    Set<Integer> span = new LinkedHashSet<>(List.of(t.segments().get(0).id(),
        t.segments().get(t.segments().size() - 1).id()));
    List<Sentence> out = new ArrayList<>();
    double minutes = SessionMetrics.duration(t) / 60;
    double speech = SessionMetrics.speechSeconds(t);
    out.add(Sentence.templated(String.format(Locale.ROOT, "Session of %d minute(s); speech on %.0f%% of it.",
        Math.max(1, Math.round(minutes)), SessionMetrics.duration(t) == 0 ? 0
            : 100 * speech / SessionMetrics.duration(t)), span));
    SessionMetrics.Silence silence = SessionMetrics.longestSilence(t);
    if (silence.seconds() >= 10) {
      Set<Integer> around = new LinkedHashSet<>();
      if (silence.before() != null) {
        around.add(silence.before());
      }
      if (silence.after() != null) {
        around.add(silence.after());
      }
      out.add(Sentence.templated(String.format(Locale.ROOT, "Longest silence: %.0f seconds.", silence.seconds()),
          around));
    }
    return out;
  }

  private static List<Sentence> assessment(Evidence evidence) {
    List<Sentence> out = new ArrayList<>();
    for (RiskDetector.Finding flag : evidence.flags()) {
      out.add(Sentence.templated(String.format(Locale.ROOT, "Possible %s (%s%s) at %s; to be assessed by the "
          + "clinician.", flag.category().code().replace('_', ' '), flag.severity(), flag.past() ? ", past" : "",
          AnalysisMarkdown.clock(flag.start())), Set.of(flag.segmentId())));
    }
    evidence.topics().entrySet().stream().limit(3).forEach(topic -> out.add(Sentence.templated("Discussed: "
        + topic.getKey() + " (" + topic.getValue().size() + " segment(s)).",
        new LinkedHashSet<>(topic.getValue().subList(0, Math.min(5, topic.getValue().size()))))));
    return out;
  }

  private static List<Sentence> interventions(Evidence evidence) {
    List<Sentence> out = new ArrayList<>();
    for (TechniqueProfile.Coded coded : evidence.coded()) {
      if (coded.code() != TechniqueCode.OTHER && out.size() < MAX_QUOTES && coded.text().split("\\s+").length >= 4) {
        Transcript.Segment segment = segment(evidence, coded.segmentId());
        out.add(new Sentence(coded.code().code().replace('_', ' ') + ": \"" + coded.text() + "\"", "extractive",
            Set.of(segment.id())));
      }
    }
    return out;
  }

  /** What the client said right after the clinician's coded interventions (a sentence of four words or more). */
  private static List<Sentence> responses(Evidence evidence) {
    List<Sentence> out = new ArrayList<>();
    List<Transcript.Segment> segments = evidence.transcript().segments();
    Set<Integer> intervened = new LinkedHashSet<>();
    evidence.coded().stream().filter(c -> c.code() != TechniqueCode.OTHER).forEach(c -> intervened.add(
        c.segmentId()));
    for (int i = 0; i + 1 < segments.size() && out.size() < MAX_QUOTES - 1; i++) {
      Transcript.Segment next = segments.get(i + 1);
      if (intervened.contains(segments.get(i).id()) && client(evidence, next)) {
        Sentences.sentences(next.text()).stream().map(Sentences.Piece::text)
            .filter(t -> t.split("\\s+").length >= 4).findFirst().ifPresent(t -> out.add(Sentence.quoted(next, t)));
      }
    }
    return out;
  }

  /**
   * What the session agreed, in the order it was said: each turn the model reads as a plan item
   * (safety plan, crisis contact, means restriction, referral, homework, next session) quoted under
   * its kind; then, for each high-severity flag, the follow-up it calls for. Where the model finds
   * nothing, the sentences that word a plan ("next week", "we agreed") are quoted instead.
   */
  private static List<Sentence> plan(Evidence evidence) {
    List<Sentence> out = new ArrayList<>();
    // At most MAX_PLAN items: safety first (the kinds in PLAN_ORDER), then in the order they were said.
    List<Agreed> kept = evidence.agreed().stream().sorted(java.util.Comparator.comparingInt(
        (Agreed a) -> PLAN_ORDER.indexOf(a.kind())).thenComparingInt(Agreed::segmentId)).limit(MAX_PLAN)
        .sorted(java.util.Comparator.comparingInt(Agreed::segmentId)).toList();
    for (Agreed agreed : kept) {
      Transcript.Segment segment = segment(evidence, agreed.segmentId());
      out.add(new Sentence(PLAN_KINDS.getOrDefault(agreed.kind(), "Agreed") + ": \""
          + RiskDetector.quote(segment.text().strip()) + "\"", "extractive", Set.of(segment.id())));
    }
    if (out.isEmpty()) {
      out.addAll(matching(evidence, PLAN, false));
    }
    evidence.flags().stream().filter(f -> "high".equals(f.severity())).map(f -> Sentence.templated(
        "Follow up on " + f.category().code().replace('_', ' ') + ": " + f.category().guidance(),
        Set.of(f.segmentId()))).forEach(out::add);
    return out;
  }

  private static List<Sentence> matching(Evidence evidence, Pattern pattern, boolean clientOnly) {
    List<Sentence> out = new ArrayList<>();
    for (Transcript.Segment segment : evidence.transcript().segments()) {
      if (clientOnly && !client(evidence, segment)) {
        continue;
      }
      for (Sentences.Piece sentence : Sentences.sentences(segment.text())) {
        if (out.size() < MAX_QUOTES && pattern.matcher(sentence.text()).find() && !sentence.isQuestion()) {
          out.add(Sentence.quoted(segment, sentence.text()));
        }
      }
    }
    return out;
  }

  private static Transcript.Segment segment(Evidence evidence, int id) {
    return evidence.transcript().segments().stream().filter(s -> s.id() == id).findFirst().orElseThrow();
  }
}
