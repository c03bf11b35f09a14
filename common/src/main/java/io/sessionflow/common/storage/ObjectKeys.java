package io.sessionflow.common.storage;

import io.sessionflow.common.crypto.Ids;

/**
 * Where each kind of object lives, and the logical name its encryption is bound to. Keys are
 * built from ids only, never from names or anything a client typed.
 */
public final class ObjectKeys {
  /** Encryption binding names (see {@link io.sessionflow.common.crypto.PartBinding}). */
  public static final String RAW = "raw";
  public static final String TRANSCRIPT = "transcript";
  public static final String ANALYSIS = "analysis";
  public static final String RECEIPT_PREFIX = "audit/receipts/";

  private ObjectKeys() {
  }

  public static String raw(String recordingId) {
    return "raw/" + Ids.requireId(recordingId, "recording id");
  }

  public static String transcript(String recordingId) {
    return "transcripts/" + Ids.requireId(recordingId, "recording id") + ".json";
  }

  public static String analysis(String recordingId) {
    return "analyses/" + Ids.requireId(recordingId, "recording id") + ".json";
  }

  /** The transcriber's attempt ledger for a recording. */
  public static String transcriptLedger(String recordingId) {
    return "transcripts/" + Ids.requireId(recordingId, "recording id") + ".job";
  }

  /** The analyzer's mark that {@code analysis.ready} went out for a recording (a redelivery is then skipped). */
  public static String analysisLedger(String recordingId) {
    return "analyses/" + Ids.requireId(recordingId, "recording id") + ".job";
  }

  /** Every object an upload leaves beside the raw audio (state, encrypted tail, encrypted metadata, lock). */
  public static String uploadPrefix(String recordingId) {
    return "uploads/" + Ids.requireId(recordingId, "recording id") + "/";
  }

  /** Marks a recording deleted on request, so a late transcript or analysis of it is deleted too. */
  public static String tombstone(String recordingId) {
    return "tombstones/" + Ids.requireId(recordingId, "recording id");
  }

  /** Deletion receipts hold no PHI and are not encrypted, so they outlive the recording's key. */
  public static String receipt(String recordingId) {
    return RECEIPT_PREFIX + Ids.requireId(recordingId, "recording id") + ".json";
  }
}
