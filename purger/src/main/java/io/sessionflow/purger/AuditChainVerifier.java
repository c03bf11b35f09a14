package io.sessionflow.purger;

import com.fasterxml.jackson.databind.JsonNode;
import io.sessionflow.common.event.AuditChainEntryEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.purger.internal.DeletionRequests;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The auditor's {@code verify-audit}: recomputes the chain from the first entry. Each entry must
 * sit at its own sequence, link to the SHA-256 of the entry before it, and (where the topic copy
 * is given) hash to what {@code sessionflow.audit} recorded; every served receipt must be byte
 * for byte the chain entry it claims to be. The first entry that breaks any of these is named.
 */
public final class AuditChainVerifier {
  /** Exit status when the chain is broken. */
  public static final int BROKEN = 3;

  private AuditChainVerifier() {
  }

  /**
   * The outcome.
   *
   * @param entries     entries checked in object storage
   * @param topicCopies entries found in the topic copy, or -1 when it was not checked
   * @param head        hex SHA-256 of the last entry
   * @param broken      the first problem, naming the entry
   */
  public record Result(long entries, long topicCopies, String head, Optional<String> broken, int receipts) {
  }

  public static Result verify(ObjectStore store, String bucket, Optional<List<AuditChainEntryEvent>> topic) {
    try {
      return check(store, bucket, topic);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the audit chain", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot read the audit chain: " + Failures.reason(e), e);
    }
  }

  public static int run(ObjectStore store, String bucket, Optional<List<AuditChainEntryEvent>> topic,
      PrintStream out) {
    Result result = verify(store, bucket, topic);
    out.println("verify-audit: " + result.entries() + " chain entries in object storage (bucket " + bucket + ", "
        + AuditChain.PREFIX + ")" + (result.topicCopies() < 0 ? "; topic copy not checked (no broker log given)"
            : "; " + result.topicCopies() + " in the topic copy (sessionflow.audit)")
        + "; " + result.receipts() + " served receipt(s) compared");
    if (result.topicCopies() >= 0 && result.entries() > result.topicCopies()) {
      out.println("note: " + (result.entries() - result.topicCopies()) + " newest entr(ies) not yet in the topic "
          + "copy (written, copy in flight or the broker was down); they are checked by their links only");
    }
    if (result.broken().isPresent()) {
      out.println("result: BROKEN - " + result.broken().get());
      return BROKEN;
    }
    out.println("result: INTACT - head " + result.head());
    return 0;
  }

  private static Result check(ObjectStore store, String bucket, Optional<List<AuditChainEntryEvent>> topic)
      throws InterruptedException, java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
    Map<Long, String> objects = new TreeMap<>();
    List<String> strays = new ArrayList<>();
    for (String key : store.listKeys(bucket, AuditChain.PREFIX).get(5, TimeUnit.MINUTES)) {
      AuditChain.sequenceOf(key).ifPresentOrElse(seq -> objects.put(seq, key), () -> strays.add(key));
    }
    Map<Long, String> copies = new TreeMap<>();
    Optional<String> broken = Optional.empty();
    for (AuditChainEntryEvent copy : topic.orElse(List.of())) {
      String earlier = copies.putIfAbsent(copy.sequence(), copy.entryHash());
      if (earlier != null && !earlier.equals(copy.entryHash()) && broken.isEmpty()) {
        broken = Optional.of("entry " + copy.sequence() + " appears twice in the topic copy with different hashes");
      }
    }
    long last = Math.max(objects.keySet().stream().mapToLong(Long::longValue).max().orElse(-1),
        copies.keySet().stream().mapToLong(Long::longValue).max().orElse(-1));
    AuditChain reader = new AuditChain(store, bucket, null, java.time.Clock.systemUTC());
    Map<Long, AuditChain.Entry> entries = new TreeMap<>();
    String previous = AuditChain.GENESIS;
    for (long i = 0; i <= last && broken.isEmpty(); i++) {
      if (!objects.containsKey(i)) {
        long next = i;
        long resumes = objects.keySet().stream().filter(s -> s > next).findFirst().orElse(-1L);
        broken = Optional.of("entry " + i + " is missing from object storage (removed)"
            + (copies.containsKey(i) ? "; the topic copy still has it" : "")
            + (resumes >= 0 ? "; the chain resumes at entry " + resumes : ""));
        break;
      }
      AuditChain.Entry entry = reader.read(i).get(1, TimeUnit.MINUTES);
      entries.put(i, entry);
      broken = link(entry, previous, copies.get(i));
      if (broken.isEmpty() && topic.isPresent() && !copies.containsKey(i) && i < lastCopied(copies)) {
        broken = Optional.of("entry " + i + " has no copy in sessionflow.audit although later entries do "
            + "(inserted, or its copy removed)");
      }
      previous = entry.hash();
    }
    if (broken.isEmpty() && !strays.isEmpty()) {
      broken = Optional.of("unexpected object " + strays.get(0) + " in the chain (renamed or inserted)");
    }
    int receipts = 0;
    for (String prefix : List.of(ObjectKeys.RECEIPT_PREFIX, DeletionRequests.RECEIPT_PREFIX)) {
      for (String key : store.listKeys(bucket, prefix).get(5, TimeUnit.MINUTES)) {
        receipts++;
        if (broken.isEmpty()) {
          broken = receipt(key, store.get(bucket, key).get(1, TimeUnit.MINUTES), entries);
        }
      }
    }
    return new Result(objects.size(), topic.isPresent() ? copies.size() : -1, previous, broken, receipts);
  }

  /** The problem with one entry, if any: wrong place, bad link, or not what the topic recorded. */
  private static Optional<String> link(AuditChain.Entry entry, String previous, String topicHash) {
    long i = entry.sequence();
    JsonNode json;
    try {
      json = entry.json();
    } catch (RuntimeException e) {
      return Optional.of("entry " + i + " is not valid JSON (altered)");
    }
    long claimed = json.path("sequence").asLong(-1);
    if (claimed != i) {
      return Optional.of("entry " + i + " holds the entry with sequence " + claimed
          + ": entries were reordered or replaced");
    }
    if (topicHash != null && !topicHash.equals(entry.hash())) {
      return Optional.of("entry " + i + " was altered: its SHA-256 " + abbrev(entry.hash())
          + " differs from its copy in sessionflow.audit (" + abbrev(topicHash) + ")");
    }
    String linked = json.path("previousHash").asText("");
    if (!linked.equals(previous)) {
      return Optional.of(i == 0 ? "entry 0 was altered: it does not start from the genesis hash"
          : "entry " + (i - 1) + " was altered or replaced: entry " + i + " links to " + abbrev(linked)
              + " but entry " + (i - 1) + " hashes to " + abbrev(previous));
    }
    return Optional.empty();
  }

  private static Optional<String> receipt(String key, byte[] bytes, Map<Long, AuditChain.Entry> entries) {
    long sequence;
    try {
      sequence = new AuditChain.Entry(-1, "", bytes).json().path("sequence").asLong(-1);
    } catch (RuntimeException e) {
      return Optional.of("receipt " + key + " is not valid JSON (altered)");
    }
    AuditChain.Entry entry = entries.get(sequence);
    if (entry == null || !Arrays.equals(entry.bytes(), bytes)) {
      return Optional.of("receipt " + key + " differs from chain entry " + sequence + " (altered)");
    }
    return Optional.empty();
  }

  private static long lastCopied(Map<Long, String> copies) {
    return copies.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
  }

  private static String abbrev(String hash) {
    return hash.length() > 12 ? hash.substring(0, 12) + "…" : hash;
  }
}
