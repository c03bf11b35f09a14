package io.sessionflow.analyzer;

import io.sessionflow.common.runtime.OpsServer;
import io.sessionflow.common.runtime.StageLauncher;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.language.OnnxGate;
import java.time.Clock;
import java.time.Duration;

/** Production entry point of the analyzer image, configured from environment variables. */
public final class AnalyzerMain {
  private AnalyzerMain() {
  }

  public static void main(String[] args) {
    StageLauncher.run(AnalyzerStage.STAGE, AnalyzerConfig.SETTINGS, args, source -> {
      AnalyzerConfig config = AnalyzerConfig.from(source);
      StageRuntime runtime = StageRuntime.start(config.process().pipeline(), AnalyzerStage.STAGE,
          Clock.systemUTC(), Duration.ofSeconds(60));
      // Closed after the stage (last registered, first closed): no model call is left when the JVM exits.
      runtime.onClose(() -> OnnxGate.stopForExit(OnnxGate.EXIT_PATIENCE));
      AnalyzerStage.start(runtime, config);
      OpsServer.listen(runtime, OpsServer.router(runtime, () -> true), config.process().bindHost(),
          config.process().opsPort());
      return runtime;
    });
  }
}
