package io.sessionflow.transcriber;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.runtime.OpsServer;
import io.sessionflow.common.runtime.StageLauncher;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.language.OnnxGate;
import io.sessionflow.transcriber.model.Models;
import io.sessionflow.transcriber.whisper.WhisperEngine;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** Production entry point of the transcriber image, configured from environment variables. */
public final class TranscriberMain {
  private TranscriberMain() {
  }

  public static void main(String[] args) {
    StageLauncher.run(TranscriberStage.STAGE, TranscriberConfig.SETTINGS, args, source -> {
      TranscriberConfig config = TranscriberConfig.from(source);
      Path model;
      try {
        model = Models.resolve(config.whisper(), Path.of(System.getProperty("java.io.tmpdir"), "sessionflow-models"));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("Invalid setting --model (env WHISPER_MODEL): " + e.getMessage());
      }
      WhisperEngine engine = WhisperEngine.load(model, config.whisper());
      StageRuntime runtime = StageRuntime.start(config.process().pipeline(), TranscriberStage.STAGE,
          Clock.systemUTC(), Duration.ofSeconds(60));
      // Closed after the stage (last registered, first closed): no model call is left when the JVM exits.
      runtime.onClose(() -> OnnxGate.stopForExit(OnnxGate.EXIT_PATIENCE));
      TranscriberStage.start(runtime, config, engine);
      OpsServer.listen(runtime, OpsServer.router(runtime, () -> true), config.process().bindHost(),
          config.process().opsPort());
      return runtime;
    });
  }
}
