package io.sessionflow.purger;

import io.sessionflow.common.runtime.StageLauncher;

/**
 * Production entry point of the purger image, configured from environment variables. Until the
 * purger's consumer lands it runs the shared stage runtime: connections, health and metrics.
 */
public final class PurgerMain {
  private PurgerMain() {
  }

  public static void main(String[] args) {
    StageLauncher.runRuntimeOnly("purger", args);
  }
}
