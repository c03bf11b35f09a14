package io.sessionflow.ingest.imports;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Progress and per-entry outcomes of one archive import. Entry names can carry PHI: they live
 * only here, in memory, and are shown only to the practice's clinic admins. Bounded: the counts
 * cover every entry, but at most {@code listed} stored entries (name and recording id, so the admin
 * can find each recording) and at most {@code listed} refused ones (name and reason) are kept;
 * the others are only counted ({@code progress.notListed}).
 */
final class ImportStatus {
  enum State {
    RUNNING, COMPLETED, FAILED
  }

  /** One listed entry; {@code recordingId} and {@code bytes} for a stored one, {@code reason} for a refused one. */
  private record Entry(int index, String name, String recordingId, long bytes, String reason) {
    JsonObject toJson() {
      JsonObject json = new JsonObject().put("index", index).put("name", name)
          .put("outcome", recordingId != null ? "STORED" : "REJECTED");
      return recordingId != null ? json.put("recordingId", recordingId).put("bytes", bytes)
          : json.put("reason", reason);
    }
  }

  private final String id;
  private final String practiceId;
  private final Instant startedAt;
  private final int listed;
  /** Listed stored entries by recording id (a stored entry may be revoked later). */
  private final Map<String, Entry> stored = new LinkedHashMap<>();
  private final List<Entry> refused = new ArrayList<>();
  private long storedCount;
  private long refusedCount;
  private long storedNotListed;
  private long refusedNotListed;
  private State state = State.RUNNING;
  private String error;
  private Integer expectedEntries;
  private long bytes;
  private int awaitingCheck;
  private Instant finishedAt;
  private boolean stalled;

  ImportStatus(String id, String practiceId, Instant startedAt, int listed) {
    this.id = id;
    this.practiceId = practiceId;
    this.startedAt = startedAt;
    this.listed = listed;
  }

  String id() {
    return id;
  }

  String practiceId() {
    return practiceId;
  }

  Instant startedAt() {
    return startedAt;
  }

  synchronized void stored(int index, String name, String recordingId, long size) {
    storedCount++;
    bytes += size;
    if (stored.size() < listed) {
      stored.put(recordingId, new Entry(index, name, recordingId, size, null));
    } else {
      storedNotListed++;
    }
  }

  synchronized void rejected(int index, String name, String reason) {
    refusedCount++;
    if (refused.size() < listed) {
      refused.add(new Entry(index, name, null, 0, reason));
    } else {
      refusedNotListed++;
    }
  }

  /** A stored entry turned out to be unusable (e.g. its consent, read later from the manifest, is invalid). */
  synchronized void revoke(int index, String name, String recordingId, long size, String reason) {
    if (stored.remove(recordingId) == null) {
      storedNotListed--;
    }
    storedCount--;
    bytes -= size;
    rejected(index, name, reason);
  }

  synchronized void expect(int count) {
    expectedEntries = count;
  }

  /** Entries stored before manifest.csv whose consent is still to be checked once the archive has been read. */
  synchronized void awaitingCheck(int count) {
    awaitingCheck = count;
  }

  synchronized void finish(Instant at) {
    if (state == State.RUNNING) {
      state = State.COMPLETED;
    }
    if (finishedAt == null) {
      finishedAt = at;
    }
  }

  synchronized void fail(String reason, Instant at) {
    state = State.FAILED;
    error = reason;
    if (finishedAt == null) {
      finishedAt = at;
    }
  }

  /** Failed because the client stopped sending. */
  synchronized void failStalled(String reason, Instant at) {
    fail(reason, at);
    stalled = true;
  }

  synchronized boolean stalled() {
    return stalled;
  }

  /** Recordings stored and kept so far. */
  synchronized long storedCount() {
    return storedCount;
  }

  synchronized State state() {
    return state;
  }

  synchronized String error() {
    return error;
  }

  /** When the import ended; null while it runs. */
  synchronized Instant finishedAt() {
    return finishedAt;
  }

  synchronized JsonObject toJson() {
    List<Entry> all = new ArrayList<>(stored.values());
    all.addAll(refused);
    all.sort(Comparator.comparingInt(Entry::index));
    JsonArray entries = new JsonArray();
    all.forEach(entry -> entries.add(entry.toJson()));
    JsonObject json = new JsonObject().put("id", id).put("status", state.name()).put("startedAt",
        startedAt.toString())
        .put("progress", new JsonObject().put("entriesDone", storedCount + refusedCount)
            .put("entriesTotal", expectedEntries).put("stored", storedCount).put("rejected", refusedCount)
            .put("bytes", bytes).put("notListed", new JsonObject().put("stored", storedNotListed)
                .put("rejected", refusedNotListed))
            .put("awaitingConsentCheck", awaitingCheck))
        .put("entries", entries);
    if (finishedAt != null) {
      json.put("finishedAt", finishedAt.toString());
    }
    if (error != null) {
      json.put("error", error);
    }
    return json;
  }
}
