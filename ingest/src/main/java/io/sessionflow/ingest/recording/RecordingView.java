package io.sessionflow.ingest.recording;

import io.sessionflow.common.event.AnalysisReadyEvent;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingFailedEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.sessionflow.common.kafka.EventStream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The status of every recording, built from the pipeline's topics alone: replayed from the
 * beginning at start-up, then followed. Each ingest replica has its own copy; nothing here is
 * the source of truth, so it can always be rebuilt.
 */
public final class RecordingView implements AutoCloseable {
  static final Set<Topic> TOPICS = Set.of(Topic.RECORDING_STORED, Topic.TRANSCRIPT_READY, Topic.ANALYSIS_READY,
      Topic.AUDIO_PURGED, Topic.RECORDING_FAILED);
  /** The {@link AudioPurgedEvent#reason()} of a purge that deleted everything on request. */
  static final String DELETION_REQUEST = "deletion-request";

  private final Map<String, Entry> recordings = new ConcurrentHashMap<>();
  /** Recordings by uploader, consent and SHA-256 of their bytes (deleted ones leave). */
  private final Map<String, String> byContent = new ConcurrentHashMap<>();
  private EventStream.Replay replay;
  private volatile java.util.function.Consumer<ConsumedEvent> listener = event -> { };

  /** Starts following the topics; {@link #caughtUp()} says when the past has been read. */
  public RecordingView start(EventStream events) {
    replay = events.replay(TOPICS, this::apply);
    return this;
  }

  public CompletableFuture<Void> caughtUp() {
    return replay.caughtUp();
  }

  public Optional<Entry> find(String recordingId) {
    return Optional.ofNullable(recordings.get(recordingId));
  }

  /**
   * How many recordings are in each state, how many still hold audio, and failures by stage:
   * counts only, for the ops dashboard.
   */
  public Map<String, Map<String, Long>> counts() {
    Map<String, Long> byStatus = new java.util.TreeMap<>();
    Map<String, Long> byAudio = new java.util.TreeMap<>();
    Map<String, Long> failures = new java.util.TreeMap<>();
    for (Entry entry : recordings.values()) {
      if (entry.practiceId() == null) {
        continue;
      }
      String[] state = entry.state();
      byStatus.merge(state[0], 1L, Long::sum);
      byAudio.merge(state[1], 1L, Long::sum);
      if (state[2] != null) {
        failures.merge(state[2], 1L, Long::sum);
      }
    }
    return Map.of("status", byStatus, "audio", byAudio, "failedAtStage", failures);
  }

  /** What {@code recording.stored} said of a recording that was not deleted since. */
  public Optional<RecordingStoredEvent> stored(String recordingId) {
    return find(recordingId).filter(e -> !e.isDeleted()).map(Entry::storedEvent);
  }

  /**
   * The recording (not deleted) this uploader stored under this consent with these bytes, if any:
   * what a re-upload of the same file is recognised by.
   */
  public Optional<String> sameContent(String practiceId, String therapistId, String consentId, String sha256) {
    if (practiceId == null || therapistId == null || consentId == null || sha256 == null) {
      return Optional.empty();
    }
    // A failed recording is one to upload again (the README says so): only one on its way or done counts.
    return Optional.ofNullable(byContent.get(contentKey(practiceId, therapistId, consentId, sha256)))
        .filter(id -> find(id).filter(e -> !e.isDeleted() && !"FAILED".equals(e.state()[0])).isPresent());
  }

  private static String contentKey(String practiceId, String therapistId, String consentId, String sha256) {
    return practiceId + '\n' + therapistId + '\n' + consentId + '\n' + sha256;
  }

  /** Whether {@code recording.stored} for this recording is on the topic. */
  public boolean isStored(String recordingId) {
    Entry entry = recordings.get(recordingId);
    return entry != null && entry.practiceId != null;
  }

  /** Told of every event after this view applied it (the replay of the past included). */
  public void onEvent(java.util.function.Consumer<ConsumedEvent> next) {
    this.listener = next;
  }

  CompletionStage<Void> apply(ConsumedEvent consumed) {
    applyToView(consumed);
    listener.accept(consumed);
    return CompletableFuture.completedFuture(null);
  }

  private void applyToView(ConsumedEvent consumed) {
    PipelineEvent event = consumed.event();
    if (event instanceof RecordingStoredEvent e) {
      entry(e.recordingId()).stored(e);
      if (e.plaintextSha256() != null && e.consentId() != null) {
        byContent.putIfAbsent(contentKey(e.practiceId(), e.therapistId(), e.consentId(), e.plaintextSha256()),
            e.recordingId());
      }
    } else if (event instanceof TranscriptReadyEvent e) {
      entry(e.recordingId()).transcribed(e);
    } else if (event instanceof AnalysisReadyEvent e) {
      entry(e.recordingId()).analyzed(e);
    } else if (event instanceof AudioPurgedEvent e) {
      Entry entry = entry(e.recordingId());
      entry.purged(e);
      if (entry.isDeleted()) {
        byContent.values().remove(e.recordingId());
      }
    } else if (event instanceof RecordingFailedEvent e) {
      entry(e.recordingId()).failed(e);
    }
  }

  private Entry entry(String id) {
    return recordings.computeIfAbsent(id, Entry::new);
  }

  @Override
  public void close() {
    if (replay != null) {
      replay.close();
    }
  }

  /** One recording's status as the events tell it. Events of one recording arrive in order (same key). */
  public static final class Entry {
    private final String id;
    private String practiceId;
    private String therapistId;
    private RecordingStoredEvent storedEvent;
    private String status = "STORED";
    private String audio = "PRESENT";
    private String failureStage;
    private String failureReason;
    private boolean transcript;
    private boolean analysis;
    private boolean receipt;
    private boolean deleted;
    private final List<JsonObject> history = new ArrayList<>();

    Entry(String id) {
      this.id = id;
    }

    synchronized void stored(RecordingStoredEvent event) {
      practiceId = event.practiceId();
      therapistId = event.therapistId();
      storedEvent = event;
      history.add(0, new JsonObject().put("status", "STORED").put("at", event.occurredAt().toString()));
    }

    synchronized void transcribed(TranscriptReadyEvent event) {
      transcript = true;
      transition("TRANSCRIBED", event.occurredAt());
    }

    synchronized void analyzed(AnalysisReadyEvent event) {
      analysis = true;
      transition("ANALYZED", event.occurredAt());
    }

    synchronized void transition(String next, Instant at) {
      if (!"FAILED".equals(status) && !deleted) {
        status = next;
      }
      history.add(new JsonObject().put("status", next).put("at", at.toString()));
    }

    /**
     * Audio purged; for a deletion request, everything else too. Topics are not ordered among
     * themselves, so a deletion may arrive before the transcript it removed: DELETED sticks.
     */
    synchronized void purged(AudioPurgedEvent event) {
      audio = "PURGED";
      receipt = true;
      if (DELETION_REQUEST.equals(event.reason())) {
        deleted = true;
        status = "DELETED";
        history.add(new JsonObject().put("status", "DELETED").put("at", event.occurredAt().toString()));
        return;
      }
      history.add(new JsonObject().put("status", "AUDIO_PURGED").put("at", event.occurredAt().toString()));
    }

    synchronized void failed(RecordingFailedEvent event) {
      if (!deleted) {
        status = "FAILED";
      }
      failureStage = event.stage();
      failureReason = event.reason();
      history.add(new JsonObject().put("status", "FAILED").put("at", event.occurredAt().toString()));
    }

    /** Status, audio state and failed stage (or null), read together. */
    synchronized String[] state() {
      return new String[] {status, audio, "FAILED".equals(status) ? failureStage : null};
    }

    public synchronized boolean hasTranscript() {
      return transcript && !deleted;
    }

    public synchronized boolean hasAnalysis() {
      return analysis && !deleted;
    }

    /** Everything about this recording was removed on request. */
    public synchronized boolean isDeleted() {
      return deleted;
    }

    public synchronized boolean hasReceipt() {
      return receipt;
    }

    synchronized RecordingStoredEvent storedEvent() {
      return storedEvent;
    }

    public synchronized String practiceId() {
      return practiceId;
    }

    public synchronized String therapistId() {
      return therapistId;
    }

    public synchronized JsonObject toJson() {
      JsonObject json = new JsonObject().put("id", id).put("status", status).put("audio", audio)
          .put("history", new JsonArray(new ArrayList<>(history)));
      if (failureStage != null) {
        json.put("failure", new JsonObject().put("stage", failureStage).put("reason", failureReason));
      }
      return json;
    }
  }
}
