package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.analyzer.technique.TechniqueCode;
import io.sessionflow.analyzer.technique.TechniqueCoder;
import io.sessionflow.analyzer.text.Sentences;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The clinician's technique profile: each sentence of the clinician's turns coded, counts with
 * evidence, and MITI summary scores beside the published thresholds. Needs speakers; with two
 * channels the clinician is taken to be the speaker who asks more questions per turn.
 */
final class TechniqueProfile {
  private final TechniqueCoder coder = new TechniqueCoder();

  /**
   * The speaker who asks the most questions per sentence, if speakers are known: clients ask
   * too, but far less than the clinician. (Statements cannot tell them apart: a clinician's
   * reflection and a client's account read alike.)
   */
  Optional<String> clinician(Transcript transcript) {
    if (!transcript.speakersKnown()) {
      return Optional.empty();
    }
    Map<String, int[]> perSpeaker = new LinkedHashMap<>();
    for (Transcript.Segment segment : transcript.segments()) {
      if (segment.speaker() == null) {
        continue;
      }
      int[] counts = perSpeaker.computeIfAbsent(segment.speaker(), s -> new int[2]);
      for (Sentences.Piece sentence : Sentences.sentences(segment.text())) {
        counts[1]++;
        TechniqueCode code = coder.code(sentence.text());
        if (code.isQuestion()) {
          counts[0]++;
        }
      }
    }
    return perSpeaker.entrySet().stream().filter(e -> e.getValue()[1] > 0).max((a, b) -> Double.compare(
        (double) a.getValue()[0] / a.getValue()[1], (double) b.getValue()[0] / b.getValue()[1]))
        .map(Map.Entry::getKey);
  }

  /** Coded sentences of the clinician, in order. */
  record Coded(int segmentId, String text, TechniqueCode code) {
  }

  List<Coded> code(Transcript transcript, String clinician) {
    List<Coded> coded = new ArrayList<>();
    for (Transcript.Segment segment : transcript.segments()) {
      if (clinician.equals(segment.speaker())) {
        for (Sentences.Piece sentence : Sentences.sentences(segment.text())) {
          coded.add(new Coded(segment.id(), sentence.text(), coder.code(sentence.text())));
        }
      }
    }
    return coded;
  }

  ObjectNode json(Transcript transcript, Optional<String> clinician) {
    ObjectNode techniques = JsonNodeFactory.instance.objectNode();
    if (clinician.isEmpty()) {
      techniques.put("available", false);
      techniques.put("reason", "speakers were not told apart (a mono recording), so the clinician's turns are "
          + "unknown");
      return techniques;
    }
    List<Coded> coded = code(transcript, clinician.get());
    Map<TechniqueCode, List<Integer>> evidence = new EnumMap<>(TechniqueCode.class);
    for (Coded c : coded) {
      evidence.computeIfAbsent(c.code(), k -> new ArrayList<>()).add(c.segmentId());
    }
    techniques.put("available", true);
    techniques.put("clinicianSpeaker", clinician.get());
    techniques.put("clinicianBasis", "the speaker who asks the most questions per sentence");
    ObjectNode counts = techniques.putObject("counts");
    ObjectNode ids = techniques.putObject("evidence");
    for (TechniqueCode code : TechniqueCode.values()) {
      List<Integer> segments = evidence.getOrDefault(code, List.of());
      counts.put(code.code(), segments.size());
      if (!segments.isEmpty()) {
        segments.stream().distinct().forEach(ids.withArray(code.code())::add);
      }
    }
    int open = size(evidence, TechniqueCode.OPEN_QUESTION);
    int closed = size(evidence, TechniqueCode.CLOSED_QUESTION);
    int simple = size(evidence, TechniqueCode.SIMPLE_REFLECTION);
    int complex = size(evidence, TechniqueCode.COMPLEX_REFLECTION);
    ObjectNode summary = techniques.putObject("summary");
    score(summary, "reflectionToQuestion", open + closed == 0 ? null : (double) (simple + complex) / (open + closed),
        1.0, 2.0, "R:Q, MITI 4.2: 1:1 fair, 2:1 good");
    score(summary, "percentOpenQuestions", open + closed == 0 ? null : 100.0 * open / (open + closed), 50.0, 70.0,
        "% open questions, MITI 3.1: 50 fair, 70 good");
    score(summary, "percentComplexReflections", simple + complex == 0 ? null : 100.0 * complex / (simple + complex),
        40.0, 50.0, "% complex reflections, MITI 4.2: 40 fair, 50 good");
    techniques.put("note", "Automatic coding from wording alone; use it as a prompt for self-review or "
        + "supervision, not as a fidelity rating.");
    return techniques;
  }

  private static int size(Map<TechniqueCode, List<Integer>> evidence, TechniqueCode code) {
    return evidence.getOrDefault(code, List.of()).size();
  }

  private static void score(ObjectNode summary, String name, Double value, double fair, double good,
      String basis) {
    ObjectNode node = summary.putObject(name);
    if (value == null) {
      node.putNull("value");
      node.put("rating", "not enough data");
    } else {
      node.put("value", SessionMetrics.round(value));
      node.put("rating", value >= good ? "good" : value >= fair ? "fair" : "below fair");
    }
    node.put("fair", fair).put("good", good).put("basis", basis);
  }
}
