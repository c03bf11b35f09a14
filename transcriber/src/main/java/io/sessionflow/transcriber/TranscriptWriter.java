package io.sessionflow.transcriber;

import io.sessionflow.language.pseudonym.Pseudonymizer;
import io.sessionflow.transcriber.vad.SpeechSummary;
import io.sessionflow.transcriber.whisper.Segment;
import io.sessionflow.transcriber.whisper.WindowedTranscriber;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The transcript JSON of DESIGN.md: {segments:[{id,start,end,text,speaker?}], language, model, audioSeconds, ...,
 * speech?: {ratio, regions: [[start, end], ...], longestPause}} (speech: the voice-activity model's view),
 * pseudonymised before it is stored: names, phone numbers, addresses and the like are placeholders.
 */
final class TranscriptWriter {
  private TranscriptWriter() {
  }

  static byte[] json(WindowedTranscriber.Result result, String model, String engine,
      double processingSeconds, Pseudonymizer pseudonymizer) {
    Pseudonymizer.Session session = pseudonymizer.session()
        .learn(result.segments().stream().map(Segment::text).toList());
    JsonArray segments = new JsonArray();
    for (Segment s : result.segments()) {
      JsonObject segment = new JsonObject().put("id", s.id()).put("start", s.start()).put("end", s.end())
          .put("text", session.apply(s.text()));
      if (s.speaker() != null) {
        segment.put("speaker", s.speaker());
      }
      segments.add(segment);
    }
    JsonObject transcript = new JsonObject().put("segments", segments).put("language", result.language())
        .put("model", model).put("engine", engine)
        .put("audioSeconds", Math.round(result.audioSeconds() * 1000) / 1000.0)
        .put("processingSeconds", Math.round(processingSeconds * 1000) / 1000.0)
        .put("channels", result.channels()).put("pseudonymised", true)
        .put("pseudonymisedBy", pseudonymizer.readers());
    if (result.speech() != null) {
      SpeechSummary speech = result.speech();
      JsonArray regions = new JsonArray();
      speech.regions().forEach(region -> regions.add(new JsonArray().add(region[0]).add(region[1])));
      transcript.put("speech", new JsonObject().put("ratio", speech.ratio()).put("regions", regions)
          .put("longestPause", speech.longestPause()));
    }
    return transcript.encode().getBytes(StandardCharsets.UTF_8);
  }
}
