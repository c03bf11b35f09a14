package io.sessionflow.ingest.imports;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Progress and per-entry outcomes of one archive import. Entry names can carry PHI: they live
 * only here, in memory, and are shown only to the practice's clinic admins.
 */
final class ImportStatus {
  enum State {
    RUNNING, COMPLETED, FAILED
  }

  private final String id;
  private final String practiceId;
  private final Instant startedAt;
  private final List<JsonObject> entries = new ArrayList<>();
  private State state = State.RUNNING;
  private String error;
  private Integer expectedEntries;
  private long bytes;

  ImportStatus(String id, String practiceId, Instant startedAt) {
    this.id = id;
    this.practiceId = practiceId;
    this.startedAt = startedAt;
  }

  String id() {
    return id;
  }

  String practiceId() {
    return practiceId;
  }

  synchronized void stored(int index, String name, String recordingId, long size) {
    entries.add(new JsonObject().put("index", index).put("name", name).put("outcome", "STORED")
        .put("recordingId", recordingId).put("bytes", size));
    bytes += size;
  }

  synchronized void rejected(int index, String name, String reason) {
    entries.add(new JsonObject().put("index", index).put("name", name).put("outcome", "REJECTED")
        .put("reason", reason));
  }

  /** A stored entry turned out to be unusable (e.g. its consent, read later from the manifest, is invalid). */
  synchronized void revoke(String recordingId, String reason) {
    for (JsonObject entry : entries) {
      if (recordingId.equals(entry.getString("recordingId"))) {
        entry.put("outcome", "REJECTED").put("reason", reason).remove("recordingId");
        bytes -= entry.getLong("bytes", 0L);
      }
    }
  }

  synchronized void expect(int count) {
    expectedEntries = count;
  }

  synchronized void finish() {
    if (state == State.RUNNING) {
      state = State.COMPLETED;
    }
  }

  synchronized void fail(String reason) {
    state = State.FAILED;
    error = reason;
  }

  synchronized State state() {
    return state;
  }

  synchronized String error() {
    return error;
  }

  synchronized JsonObject toJson() {
    long stored = entries.stream().filter(e -> "STORED".equals(e.getString("outcome"))).count();
    JsonObject json = new JsonObject().put("id", id).put("status", state.name()).put("startedAt",
        startedAt.toString())
        .put("progress", new JsonObject().put("entriesDone", entries.size()).put("entriesTotal", expectedEntries)
            .put("stored", stored).put("rejected", entries.size() - stored).put("bytes", bytes))
        .put("entries", new JsonArray(new ArrayList<>(entries)));
    if (error != null) {
      json.put("error", error);
    }
    return json;
  }
}
