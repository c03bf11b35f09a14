package io.sessionflow.ingest;

import io.sessionflow.common.runtime.OpsServer;
import io.sessionflow.common.runtime.StageLauncher;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.ingest.auth.JwtVerifier;
import java.time.Clock;
import java.time.Duration;

/** Production entry point of the ingest image, configured from environment variables. */
public final class IngestMain {
  private IngestMain() {
  }

  public static void main(String[] args) {
    StageLauncher.run("ingest", IngestConfig.SETTINGS, args, source -> {
      IngestConfig config = IngestConfig.from(source);
      JwtVerifier verifier = JwtVerifier.from(config.auth());
      StageRuntime runtime = StageRuntime.start(config.pipeline(), "ingest", Clock.systemUTC(),
          Duration.ofSeconds(60));
      IngestServer ingest = IngestServer.start(runtime, config, verifier).awaitReady(Duration.ofSeconds(60));
      ingest.listen(config.bindHost(), config.port(), config.uploads().idleTimeout());
      OpsServer.listen(runtime, ingest.opsRouter(), config.bindHost(), config.opsPort());
      return runtime;
    });
  }
}
