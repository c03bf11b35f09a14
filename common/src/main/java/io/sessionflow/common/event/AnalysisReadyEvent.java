package io.sessionflow.common.event;

import java.time.Instant;

/**
 * A recording's encrypted analysis is durable.
 *
 * @param analysisKey the analysis object's key
 * @param flags       number of risk flags raised (never their quotes)
 */
public record AnalysisReadyEvent(int schemaVersion, Instant occurredAt, String recordingId, String practiceId,
    String therapistId, String analysisKey, int flags) implements PipelineEvent {

  public static final String TYPE = "analysis.ready";

  @Override
  public String key() {
    return recordingId;
  }

  @Override
  public Topic topic() {
    return Topic.ANALYSIS_READY;
  }
}
