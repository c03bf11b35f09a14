package io.sessionflow.common.event;

import java.time.Instant;

/**
 * The topic copy of one entry of the hash-chained audit log (the entry itself is also stored
 * under {@code audit/chain/} in object storage): an auditor can rebuild and cross-check the chain
 * from either. No PHI: the entry holds a deletion receipt, which names ids, keys, sizes and hashes.
 *
 * @param sequence     position in the chain, from 0
 * @param recordingId  the recording the receipt is about; null for a deletion request's own receipt
 * @param previousHash hex SHA-256 of the previous entry's bytes (64 zeros for the first)
 * @param entryHash    hex SHA-256 of {@code entry}'s UTF-8 bytes
 * @param entry        the entry exactly as stored, JSON
 */
public record AuditChainEntryEvent(int schemaVersion, Instant occurredAt, long sequence, String recordingId,
    String previousHash, String entryHash, String entry) implements PipelineEvent {

  public static final String TYPE = "audit.chain-entry";

  @Override
  public String key() {
    return recordingId != null ? recordingId : "audit-chain";
  }

  @Override
  public Topic topic() {
    return Topic.AUDIT;
  }
}
