package io.sessionflow.common.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * Every value on a Sessionflow topic. Versioned JSON with a {@code type} and a
 * {@code schemaVersion}; never audio, never transcript text, never client names. The Kafka key
 * is {@link #key()}: the recording id where the event is about one recording.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = RecordingStoredEvent.class, name = RecordingStoredEvent.TYPE),
    @JsonSubTypes.Type(value = TranscriptReadyEvent.class, name = TranscriptReadyEvent.TYPE),
    @JsonSubTypes.Type(value = AnalysisReadyEvent.class, name = AnalysisReadyEvent.TYPE),
    @JsonSubTypes.Type(value = AudioPurgedEvent.class, name = AudioPurgedEvent.TYPE),
    @JsonSubTypes.Type(value = DeletionRequestedEvent.class, name = DeletionRequestedEvent.TYPE),
    @JsonSubTypes.Type(value = RecordingFailedEvent.class, name = RecordingFailedEvent.TYPE),
    @JsonSubTypes.Type(value = AuditEvent.class, name = AuditEvent.TYPE),
    @JsonSubTypes.Type(value = AuditChainEntryEvent.class, name = AuditChainEntryEvent.TYPE)
})
public sealed interface PipelineEvent permits RecordingStoredEvent, TranscriptReadyEvent, AnalysisReadyEvent,
    AudioPurgedEvent, DeletionRequestedEvent, RecordingFailedEvent, AuditEvent, AuditChainEntryEvent {

  /** Schema version written by this build; readers accept this version and older ones. */
  int CURRENT_SCHEMA_VERSION = 1;

  int schemaVersion();

  Instant occurredAt();

  /** The Kafka record key. */
  String key();

  /** The topic this event belongs on. */
  Topic topic();
}
