package io.sessionflow.analyzer;

import io.sessionflow.common.runtime.StageLauncher;

/**
 * Production entry point of the analyzer image, configured from environment variables. Until the
 * analyzer's consumer lands it runs the shared stage runtime: connections, health and metrics.
 */
public final class AnalyzerMain {
  private AnalyzerMain() {
  }

  public static void main(String[] args) {
    StageLauncher.runRuntimeOnly("analyzer", args);
  }
}
