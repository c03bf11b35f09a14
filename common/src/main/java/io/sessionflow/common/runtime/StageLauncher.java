package io.sessionflow.common.runtime;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.config.SettingsHelp;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code main} of a production stage image: settings from environment variables (and
 * flags), {@code --help} lists them, a bad setting or an unreachable dependency stops the process
 * with one line and a non-zero exit, and SIGTERM closes what was started, in order.
 */
public final class StageLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(StageLauncher.class);

  private StageLauncher() {
  }

  /** Starts a stage from what {@code start} builds. */
  @FunctionalInterface
  public interface Starter {
    AutoCloseable start(ConfigSource source);
  }

  /** A stage process with no logic of its own yet: runtime, health and metrics. */
  public static void runRuntimeOnly(String name, String[] args) {
    run(name, StageProcessConfig.SETTINGS, args, source -> {
      StageProcessConfig config = StageProcessConfig.from(source);
      StageRuntime runtime = StageRuntime.start(config.pipeline(), name, Clock.systemUTC(), Duration.ofSeconds(60));
      OpsServer.listen(runtime, OpsServer.router(runtime, () -> true), config.bindHost(), config.opsPort());
      return runtime;
    });
  }

  public static void run(String name, List<Setting<?>> settings, String[] args, Starter starter) {
    int exit = launch(name, settings, args, System.getenv(), starter, System.out, System.err);
    if (exit != 0) {
      System.exit(exit);
    }
  }

  /** Testable core of {@link #run}: returns the exit code, 0 meaning the stage is running. */
  static int launch(String name, List<Setting<?>> settings, String[] args, Map<String, String> env,
      Starter starter, PrintStream out, PrintStream err) {
    ConfigSource.ParsedArgs parsed = ConfigSource.parseArgs(List.of(args));
    if (parsed.flags().containsKey("help")) {
      out.println("Sessionflow " + name + ": settings (flag, environment variable, description)");
      out.print(SettingsHelp.render(settings));
      return 0;
    }
    try {
      ConfigSource source = ConfigSource.of(parsed.flags(), env);
      source.rejectUnknownFlags(settings, List.of("help"));
      AutoCloseable running = starter.start(source);
      ProcessStop.install(name, () -> {
        LOG.info("{} shutting down", name);
        running.close();
      });
      LOG.info("{} started", name);
      return 0;
    } catch (ConfigException e) {
      err.println("sessionflow " + name + ": " + e.getMessage());
      return 2;
    } catch (StartupException e) {
      err.println("sessionflow " + name + ": " + e.getMessage());
      return 1;
    }
  }
}
