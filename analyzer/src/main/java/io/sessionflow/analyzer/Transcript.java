package io.sessionflow.analyzer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A transcript as the API serves it and {@code analyze --transcript} reads it:
 * {@code {segments:[{id, start, end, text, speaker?}], language, model, audioSeconds, pseudonymisedBy?}};
 * {@code pseudonymisedBy} names what replaced its identifiers before it was stored (the transcriber
 * writes it beside {@code pseudonymised: true}; transcripts stored before the tagger have none).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Transcript(List<Segment> segments, String language, String model, double audioSeconds,
    String pseudonymisedBy) {

  public Transcript {
    segments = segments == null ? List.of() : List.copyOf(segments);
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

  /** The same transcript with every segment's text rewritten. */
  public Transcript mapText(UnaryOperator<String> rewrite) {
    return new Transcript(segments.stream().map(s -> new Segment(s.id(), s.start(), s.end(), rewrite.apply(s.text()),
        s.speaker())).toList(), language, model, audioSeconds, pseudonymisedBy);
  }

  public boolean speakersKnown() {
    return segments.stream().anyMatch(s -> s.speaker() != null);
  }
}
