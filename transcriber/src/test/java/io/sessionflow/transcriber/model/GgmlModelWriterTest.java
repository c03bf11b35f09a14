package io.sessionflow.transcriber.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.givimad.whisperjni.WhisperContext;
import io.github.givimad.whisperjni.WhisperFullParams;
import io.github.givimad.whisperjni.WhisperJNI;
import io.github.givimad.whisperjni.WhisperSamplingStrategy;
import io.github.givimad.whisperjni.WhisperState;
import java.nio.file.Files;
import java.nio.file.Path;
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
    WhisperJNI.loadLibrary();
    WhisperJNI.setLibraryLogger(null);
    WhisperJNI whisper = new WhisperJNI();
    try (WhisperContext context = whisper.initNoState(model); WhisperState state = whisper.initState(context)) {
      assertThat(whisper.isMultilingual(context)).isTrue();
      float[] samples = new float[16_000 * 5];
      for (int i = 0; i < samples.length; i++) {
        samples[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / 16_000.0));
      }
      WhisperFullParams params = new WhisperFullParams(WhisperSamplingStrategy.GREEDY);
      params.language = "en";
      params.nThreads = 2;
      params.nMaxTextCtx = 16;
      assertThat(whisper.fullWithState(context, state, params, samples, samples.length)).isZero();
      int segments = whisper.fullNSegmentsFromState(state);
      assertThat(segments).as("real inference on the generated model yields segments").isPositive();
      for (int i = 0; i < segments; i++) {
        long t0 = whisper.fullGetSegmentTimestamp0FromState(state, i);
        long t1 = whisper.fullGetSegmentTimestamp1FromState(state, i);
        assertThat(whisper.fullGetSegmentTextFromState(state, i)).isNotNull();
        assertThat(t0).isBetween(0L, 3000L);
        assertThat(t1).isBetween(t0, 3000L);
      }
    }
  }
}
