package io.sessionflow.analyzer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A transcript as the API serves it and {@code analyze --transcript} reads it:
 * {@code {segments:[{id, start, end, text, speaker?}], language, model, audioSeconds, pseudonymisedBy?, speech?}};
 * {@code pseudonymisedBy} names what replaced its identifiers before it was stored (the transcriber
 * writes it beside {@code pseudonymised: true}; transcripts stored before the tagger have none);
 * {@code speech} is the voice-activity model's view of the audio (transcripts from before it have none).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Transcript(List<Segment> segments, String language, String model, double audioSeconds,
    String pseudonymisedBy, Speech speech) {

  public Transcript {
    segments = segments == null ? List.of() : List.copyOf(segments);
  }

  /** Without the voice-activity model's view (transcripts from before it). */
  public Transcript(List<Segment> segments, String language, String model, double audioSeconds,
      String pseudonymisedBy) {
    this(segments, language, model, audioSeconds, pseudonymisedBy, null);
  }

  /** A transcript whose text may still hold identifiers. */
  public Transcript(List<Segment> segments, String language, String model, double audioSeconds) {
    this(segments, language, model, audioSeconds, null);
  }

  /** One stretch of speech, in seconds from the start; {@code speaker} is A/B when channels told them apart. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Segment(int id, double start, double end, String text, String speaker) {
    public Segment {
      text = text == null ? "" : text;
    }

    public double duration() {
      return Math.max(0, end - start);
    }
  }

  /**
   * Speech as the voice-activity model heard it: regions {@code [start, end]} in seconds (ascending,
   * never overlapping), the share of the audio they cover, the longest pause between two of them.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Speech(double ratio, List<double[]> regions, double longestPause) {
    /** Regions that are not two finite numbers in order are dropped rather than trusted. */
    public Speech {
      regions = regions == null ? List.of() : regions.stream().filter(r -> r != null && r.length == 2
          && Double.isFinite(r[0]) && Double.isFinite(r[1]) && r[0] <= r[1]).toList();
    }

    public double seconds() {
      return regions.stream().mapToDouble(r -> Math.max(0, r[1] - r[0])).sum();
    }
  }

  /** The same transcript with every segment's text rewritten. */
  public Transcript mapText(UnaryOperator<String> rewrite) {
    return new Transcript(segments.stream().map(s -> new Segment(s.id(), s.start(), s.end(), rewrite.apply(s.text()),
        s.speaker())).toList(), language, model, audioSeconds, pseudonymisedBy, speech);
  }

  /** The voice-activity regions, when the transcript has any: what speech metrics are measured on. */
  public boolean regionsKnown() {
    return speech != null && !speech.regions().isEmpty();
  }

  public boolean speakersKnown() {
    return segments.stream().anyMatch(s -> s.speaker() != null);
  }
}
