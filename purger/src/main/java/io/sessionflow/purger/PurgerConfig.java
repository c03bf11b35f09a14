package io.sessionflow.purger;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.runtime.StageProcessConfig;
import java.time.Duration;
import java.util.List;

/**
 * The purger's settings, read once at start-up.
 *
 * @param process      pipeline connections and the ops port
 * @param maxRetention longest any raw audio may exist (a failed or never-transcribed recording, an
 *                     abandoned upload); the sweep purges it after that
 * @param sweepInterval how often the raw area is listed, gauges refreshed and leftovers purged
 * @param purgeSlo     target from transcript durable to audio purged; {@code verify-purge} allows it
 *                     as the grace for a purge still under way
 * @param deletionWatch how long the sweep keeps looking at a deleted recording for anything that comes back
 * @param reconcileInterval how often the sweep walks the whole key store too
 */
public record PurgerConfig(StageProcessConfig process, Duration maxRetention, Duration sweepInterval,
    Duration purgeSlo, Duration deletionWatch, Duration reconcileInterval) {

  public static final Setting<Duration> MAX_RETENTION = Setting.duration("raw-audio-max-retention",
      "RAW_AUDIO_MAX_RETENTION", "72h", "Longest raw audio may be kept without a transcript (failed, stuck, "
          + "abandoned); purged after that");
  public static final Setting<Duration> SWEEP_INTERVAL = Setting.duration("purge-sweep-interval",
      "PURGE_SWEEP_INTERVAL", "1m", "How often the raw area is swept for audio with no reason to exist");
  public static final Setting<Duration> PURGE_SLO = Setting.duration("purge-slo", "PURGE_SLO", "5m",
      "Target from transcript durable to audio purged; verify-purge's grace for a purge under way");

  public static final Setting<Duration> DELETION_WATCH = Setting.duration("deletion-watch", "DELETION_WATCH", "24h",
      "How long the sweep keeps looking again at a deleted recording and purges anything that comes back");
  public static final Setting<Duration> RECONCILE_INTERVAL = Setting.duration("purge-reconcile-interval",
      "PURGE_RECONCILE_INTERVAL", "24h", "How often the sweep also walks the whole key store (keys left "
          + "without audio; lone data keys)");

  public static final List<Setting<?>> OWN_SETTINGS = List.of(MAX_RETENTION, SWEEP_INTERVAL, PURGE_SLO,
      DELETION_WATCH, RECONCILE_INTERVAL);
  public static final List<Setting<?>> SETTINGS = PipelineConfig.concat(StageProcessConfig.SETTINGS, OWN_SETTINGS);

  public PurgerConfig {
    if (maxRetention.isNegative() || maxRetention.isZero()) {
      throw new io.sessionflow.common.config.ConfigException(
          "Invalid setting --raw-audio-max-retention (env RAW_AUDIO_MAX_RETENTION): must be positive");
    }
  }

  public static PurgerConfig from(ConfigSource source) {
    return new PurgerConfig(StageProcessConfig.from(source), source.get(MAX_RETENTION), source.get(SWEEP_INTERVAL),
        source.get(PURGE_SLO), source.get(DELETION_WATCH), source.get(RECONCILE_INTERVAL));
  }
}
