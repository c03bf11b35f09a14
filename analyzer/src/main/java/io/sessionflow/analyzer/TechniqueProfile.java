package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.analyzer.technique.TechniqueCode;
import io.sessionflow.language.LanguageModel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The clinician's technique profile: each of the clinician's turns coded by the trained model's
 * MITI head, counts with evidence, and MITI summary scores beside the published thresholds. Needs
 * speakers; the clinician is the speaker the model's role head reads as the clinician over all of
 * their turns (a mean, so one client question does not swap the roles, punctuation or not).
 */
final class TechniqueProfile {
  private final LanguageModel model;

  TechniqueProfile(LanguageModel model) {
    this.model = model;
  }

  /** The speaker whose turns read most like the clinician's, if speakers are known. */
  Optional<String> clinician(Transcript transcript, List<LanguageModel.Reading> readings) {
    if (!transcript.speakersKnown()) {
      return Optional.empty();
    }
    Map<String, double[]> perSpeaker = new LinkedHashMap<>();
    for (int i = 0; i < transcript.segments().size(); i++) {
      Transcript.Segment segment = transcript.segments().get(i);
      if (segment.speaker() != null && !segment.text().isBlank()) {
        double[] sum = perSpeaker.computeIfAbsent(segment.speaker(), s -> new double[2]);
        sum[0] += readings.get(i).clinician();
        sum[1]++;
      }
    }
    // One voice, or nobody who reads as a clinician: unknown, so no client turn is read as the clinician's.
    if (perSpeaker.size() < 2) {
      return Optional.empty();
    }
    return perSpeaker.entrySet().stream().max((a, b) -> Double.compare(a.getValue()[0] / a.getValue()[1],
        b.getValue()[0] / b.getValue()[1])).filter(e -> e.getValue()[0] / e.getValue()[1] > 0.5)
        .map(Map.Entry::getKey);
  }

  /** Coded turns of the clinician, in order. */
  record Coded(int segmentId, String text, TechniqueCode code) {
  }

  List<Coded> code(Transcript transcript, List<LanguageModel.Reading> readings, String clinician) {
    List<Coded> coded = new ArrayList<>();
    for (int i = 0; i < transcript.segments().size(); i++) {
      Transcript.Segment segment = transcript.segments().get(i);
      if (clinician.equals(segment.speaker()) && !segment.text().isBlank()) {
        coded.add(new Coded(segment.id(), segment.text(), TechniqueCode.valueOf(model.technique(readings.get(i))
            .toUpperCase(Locale.ROOT))));
      }
    }
    return coded;
  }

  ObjectNode json(Transcript transcript, List<LanguageModel.Reading> readings, Optional<String> clinician) {
    ObjectNode techniques = JsonNodeFactory.instance.objectNode();
    if (clinician.isEmpty()) {
      techniques.put("available", false);
      techniques.put("reason", "speakers were not told apart (a mono recording, one voice, or nobody who reads as the "
          + "clinician), so the clinician's turns are "
          + "unknown");
      return techniques;
    }
    List<Coded> coded = code(transcript, readings, clinician.get());
    Map<TechniqueCode, List<Integer>> evidence = new EnumMap<>(TechniqueCode.class);
    for (Coded c : coded) {
      evidence.computeIfAbsent(c.code(), k -> new ArrayList<>()).add(c.segmentId());
    }
    techniques.put("available", true);
    techniques.put("clinicianSpeaker", clinician.get());
    techniques.put("clinicianBasis", "the speaker the trained role model reads as the clinician, over all their turns");
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
    techniques.put("note", "Automatic coding by a trained model, one code per turn; use it as a prompt for "
        + "self-review or "
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
