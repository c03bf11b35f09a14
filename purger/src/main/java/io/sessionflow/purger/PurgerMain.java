package io.sessionflow.purger;

import io.sessionflow.common.runtime.OpsServer;
import io.sessionflow.common.runtime.StageLauncher;
import io.sessionflow.common.runtime.StageRuntime;
import java.time.Clock;
import java.time.Duration;

/** Production entry point of the purger image, configured from environment variables. */
public final class PurgerMain {
  private PurgerMain() {
  }

  public static void main(String[] args) {
    StageLauncher.run(PurgerStage.STAGE, PurgerConfig.SETTINGS, args, source -> {
      PurgerConfig config = PurgerConfig.from(source);
      StageRuntime runtime = StageRuntime.start(config.process().pipeline(), PurgerStage.STAGE, Clock.systemUTC(),
          Duration.ofSeconds(60));
      PurgerStage.start(runtime, config);
      OpsServer.listen(runtime, OpsServer.router(runtime, () -> true), config.process().bindHost(),
          config.process().opsPort());
      return runtime;
    });
  }
}
