package io.sessionflow.analyzer;

import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.runtime.StageProcessConfig;
import java.util.List;

/**
 * The analyzer's settings, read once at start-up.
 *
 * @param process    pipeline connections and the ops port
 * @param noteFormat the case-note format put in {@code note} (all four are in {@code notes})
 * @param workers    analyses at once
 */
public record AnalyzerConfig(StageProcessConfig process, NoteFormat noteFormat, int workers) {

  public static final Setting<String> NOTE_FORMAT = Setting.string("analyzer-note-format", "ANALYZER_NOTE_FORMAT",
      "DAP", "Default case-note format: DAP, BIRP, GIRP or SOAP").map(value -> NoteFormat.parse(value)
      .map(NoteFormat::name).orElseThrow(() -> new IllegalArgumentException("expected DAP, BIRP, GIRP or SOAP")));
  public static final Setting<Integer> WORKERS = Setting.integer("analyzer-workers", "ANALYZER_WORKERS", 2, 1, 64,
      "Analyses at once (each is CPU work of well under a second)");

  public static final List<Setting<?>> OWN_SETTINGS = List.of(NOTE_FORMAT, WORKERS);
  public static final List<Setting<?>> SETTINGS = PipelineConfig.concat(StageProcessConfig.SETTINGS, OWN_SETTINGS);

  public static AnalyzerConfig from(ConfigSource source) {
    return new AnalyzerConfig(StageProcessConfig.from(source), NoteFormat.valueOf(source.get(NOTE_FORMAT)),
        source.get(WORKERS));
  }
}
