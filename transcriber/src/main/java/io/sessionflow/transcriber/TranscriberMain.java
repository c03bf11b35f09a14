package io.sessionflow.transcriber;

import io.sessionflow.common.runtime.StageLauncher;

/**
 * Production entry point of the transcriber image, configured from environment variables. Until the
 * transcriber's consumer lands it runs the shared stage runtime: connections, health and metrics.
 */
public final class TranscriberMain {
  private TranscriberMain() {
  }

  public static void main(String[] args) {
    StageLauncher.runRuntimeOnly("transcriber", args);
  }
}
