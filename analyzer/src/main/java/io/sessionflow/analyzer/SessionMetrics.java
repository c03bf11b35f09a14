package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.analyzer.text.Sentences;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Duration, speech and silence, speaking rate, the longest silence, turns and each speaker's share
 * of the talk. Speech and silence come from the voice-activity model's regions when the transcript
 * has any ({@code speechFrom: "voice-activity"}), else from the segments' timestamps
 * ({@code "segments"}; overlapping segments count once): Whisper's segment times cover pauses and
 * drift, the model's regions are the audio's own.
 */
final class SessionMetrics {
  private SessionMetrics() {
  }

  /** The longest stretch without speech, and the segments around it (null at the start or end). */
  record Silence(double seconds, double from, double to, Integer before, Integer after) {
  }

  static Silence longestSilence(Transcript transcript) {
    if (transcript.regionsKnown()) {
      return longestSilence(transcript, transcript.speech());
    }
    List<Transcript.Segment> segments = transcript.segments();
    double duration = duration(transcript);
    Silence longest = new Silence(0, 0, 0, null, null);
    double heard = 0;
    Integer last = null;
    for (Transcript.Segment segment : segments) {
      if (segment.start() - heard > longest.seconds()) {
        longest = new Silence(segment.start() - heard, heard, segment.start(), last, segment.id());
      }
      heard = Math.max(heard, segment.end());
      last = segment.id();
    }
    if (duration - heard > longest.seconds()) {
      longest = new Silence(duration - heard, heard, duration, last, null);
    }
    return longest;
  }

  /** The longest gap the regions leave (the start and the end included), with the segments either side. */
  private static Silence longestSilence(Transcript transcript, Transcript.Speech speech) {
    double duration = duration(transcript);
    double from = 0;
    double to = duration;
    double longest = -1;
    double heard = 0;
    for (double[] region : speech.regions()) {
      if (region[0] - heard > longest) {
        longest = region[0] - heard;
        from = heard;
        to = region[0];
      }
      heard = Math.max(heard, region[1]);
    }
    if (duration - heard > longest) {
      from = heard;
      to = duration;
    }
    Integer before = null;
    Integer after = null;
    for (Transcript.Segment segment : transcript.segments()) {
      if (segment.start() < from) {
        before = segment.id();
      }
      if (after == null && segment.start() >= to) {
        after = segment.id();
      }
    }
    return new Silence(Math.max(0, to - from), from, to, before, after);
  }

  static double duration(Transcript transcript) {
    double lastEnd = transcript.segments().stream().mapToDouble(Transcript.Segment::end).max().orElse(0);
    return Math.max(transcript.audioSeconds(), lastEnd);
  }

  static double speechSeconds(Transcript transcript) {
    if (transcript.regionsKnown()) {
      return transcript.speech().seconds();
    }
    double speech = 0;
    double heard = 0;
    for (Transcript.Segment segment : transcript.segments()) {
      double from = Math.max(heard, segment.start());
      if (segment.end() > from) {
        speech += segment.end() - from;
      }
      heard = Math.max(heard, segment.end());
    }
    return speech;
  }

  static ObjectNode json(Transcript transcript) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    double duration = duration(transcript);
    double speech = speechSeconds(transcript);
    int words = transcript.segments().stream().mapToInt(s -> Sentences.words(s.text()).size()).sum();
    Silence silence = longestSilence(transcript);
    ObjectNode metrics = f.objectNode();
    metrics.put("durationSeconds", round(duration));
    metrics.put("speechFrom", transcript.regionsKnown() ? "voice-activity" : "segments");
    metrics.put("speechSeconds", round(speech));
    metrics.put("silenceSeconds", round(Math.max(0, duration - speech)));
    metrics.put("speechRatio", duration == 0 ? 0 : round(speech / duration));
    metrics.put("words", words);
    metrics.put("wordsPerMinute", speech == 0 ? 0 : round(words / (speech / 60)));
    ObjectNode longest = metrics.putObject("longestSilence");
    longest.put("seconds", round(silence.seconds())).put("from", round(silence.from())).put("to", round(silence.to()));
    var around = longest.putArray("segmentIds");
    if (silence.before() != null) {
      around.add(silence.before());
    }
    if (silence.after() != null) {
      around.add(silence.after());
    }
    metrics.put("segments", transcript.segments().size());
    if (transcript.speakersKnown()) {
      metrics.put("turns", turns(transcript));
      ObjectNode share = metrics.putObject("talkTimeShare");
      talkTime(transcript).forEach((speaker, seconds) -> share.put(speaker, speech == 0 ? 0 : round(seconds
          / transcript.segments().stream().filter(s -> s.speaker() != null).mapToDouble(Transcript.Segment::duration)
              .sum())));
    }
    return metrics;
  }

  static int turns(Transcript transcript) {
    int turns = 0;
    String current = null;
    for (Transcript.Segment segment : transcript.segments()) {
      if (segment.speaker() != null && !segment.speaker().equals(current)) {
        turns++;
        current = segment.speaker();
      }
    }
    return turns;
  }

  static Map<String, Double> talkTime(Transcript transcript) {
    Map<String, Double> seconds = new LinkedHashMap<>();
    transcript.segments().stream().filter(s -> s.speaker() != null).sorted((a, b) -> a.speaker()
        .compareTo(b.speaker())).forEach(s -> seconds.merge(s.speaker(), s.duration(), Double::sum));
    return seconds;
  }

  static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
