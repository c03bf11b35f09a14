package io.sessionflow.transcriber.model;

import io.sessionflow.transcriber.whisper.WhisperSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the model to load: the operator's, or a generated stand-in with a loud notice. */
public final class Models {
  private static final Logger LOG = LoggerFactory.getLogger(Models.class);
  public static final String NOTICE = "NO WHISPER MODEL CONFIGURED: running a generated random-weight model of "
      + "the tiny shape. Transcripts will be gibberish. Set WHISPER_MODEL (or --model) to a real ggml model.";

  private Models() {
  }

  /** The configured model, or a tiny-shaped random model generated once under {@code cacheDir}. */
  public static Path resolve(WhisperSettings settings, Path cacheDir) {
    if (!settings.model().isEmpty()) {
      Path model = Path.of(settings.model());
      if (!Files.isReadable(model)) {
        throw new IllegalArgumentException("WHISPER_MODEL " + model + " is not a readable file");
      }
      return model;
    }
    LOG.warn(NOTICE);
    Path generated = cacheDir.resolve("generated-tiny-random.bin");
    try {
      Files.createDirectories(cacheDir);
      return Files.exists(generated) ? generated : GgmlModelWriter.write(generated, ModelShape.TINY, 1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot generate the stand-in model under " + cacheDir, e);
    }
  }
}
