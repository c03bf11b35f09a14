package io.sessionflow.transcriber;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.language.pseudonym.Pseudonymizer;
import io.sessionflow.transcriber.whisper.Segment;
import io.sessionflow.transcriber.whisper.WindowedTranscriber;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranscriptWriterTest {
  @Test
  void theStoredTranscriptIsPseudonymisedWithOnePlaceholderPerPerson() {
    WindowedTranscriber.Result result = new WindowedTranscriber.Result(List.of(
        new Segment(0, 0, 4, "My brother Kwame Mensah rang me on 07700 900461.", "B"),
        new Segment(1, 4, 8, "Kwame thinks I should see someone.", "B")), "en", 8, 2, "pcm_s16le", 0.1);

    JsonObject json = new JsonObject(new String(TranscriptWriter.json(result, "model.bin", "whisper.cpp",
        1.0, new Pseudonymizer()), StandardCharsets.UTF_8));

    assertThat(json.getBoolean("pseudonymised")).isTrue();
    assertThat(json.getString("pseudonymisedBy")).isEqualTo("rules+tagger/1");
    assertThat(json.getJsonArray("segments").getJsonObject(0).getString("text"))
        .isEqualTo("My brother [PERSON_1] rang me on [PHONE_1].");
    assertThat(json.getJsonArray("segments").getJsonObject(1).getString("text"))
        .isEqualTo("[PERSON_1] thinks I should see someone.");
    assertThat(json.encode()).doesNotContain("Kwame").doesNotContain("900461");
  }
}
