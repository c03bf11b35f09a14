package io.sessionflow.transcriber.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.transcriber.whisper.Segment;
import io.sessionflow.transcriber.whisper.WhisperEngine;
import io.sessionflow.transcriber.whisper.WhisperSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** whisper.cpp loads the generated model and runs real inference on it. */
class GgmlModelWriterTest {
  @TempDir
  Path dir;

  @Test
  void whisperCppLoadsTheGeneratedModelAndTranscribesWithSaneTimestamps() throws Exception {
    Path model = GgmlModelWriter.write(dir.resolve("small.bin"), ModelShape.SMALL, 42);
    assertThat(Files.size(model)).isBetween(5L << 20, 40L << 20);
    try (WhisperEngine engine = WhisperEngine.load(model, new WhisperSettings("", "en", 2, 1, false));
        WhisperEngine.Slot slot = engine.newSlot()) {
      float[] samples = new float[16_000 * 5];
      for (int i = 0; i < samples.length; i++) {
        samples[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / 16_000.0));
      }
      List<Segment> segments = slot.transcribe(samples, samples.length);
      assertThat(segments).as("real inference on the generated model yields segments").isNotEmpty();
      for (Segment segment : segments) {
        assertThat(segment.text()).isNotNull();
        assertThat(segment.start()).isBetween(0.0, 30.0);
        assertThat(segment.end()).isBetween(segment.start(), 30.0);
        assertThat(segment.noSpeech()).isBetween(0.0, 1.0);
      }
    }
  }
}
