package io.sessionflow.purger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.common.event.AuditChainEntryEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.purger.internal.PurgeException;
import io.sessionflow.purger.internal.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The tamper-evident audit log: an append-only chain of entries, each holding one receipt and the
 * SHA-256 of the previous entry's exact bytes, so editing, removing or reordering any entry breaks
 * every link after it. Entries live as immutable objects {@code audit/chain/000000000042.json}
 * written with {@code If-None-Match: *} (two writers can never both take a sequence number), and
 * each is copied onto {@code sessionflow.audit}, a second, independent store to check against.
 * Appends from one process are serialised; a writer that loses a race re-reads the head and retries.
 */
public final class AuditChain {
  public static final String PREFIX = "audit/chain/";
  public static final String GENESIS = "0".repeat(64);
  private static final ObjectMapper JSON = EventCodec.mapper();
  private static final int MAX_RACES = 20;

  private final ObjectStore store;
  private final String bucket;
  private final EventPublisher events;
  private final Clock clock;
  private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);
  private volatile Head head;

  public AuditChain(ObjectStore store, String bucket, EventPublisher events, Clock clock) {
    this.store = store;
    this.bucket = bucket;
    this.events = events;
    this.clock = clock;
  }

  /** One stored entry: its sequence, the hex SHA-256 of its bytes, and the bytes. */
  public record Entry(long sequence, String hash, byte[] bytes) {
    public JsonNode json() {
      try {
        return JSON.readTree(bytes);
      } catch (IOException e) {
        throw new PurgeException("audit chain entry " + sequence + " is not valid JSON", false, e);
      }
    }
  }

  /** The next sequence to be written, and the hash the entry there must link to. */
  private record Head(long next, String previousHash) {
  }

  public static String key(long sequence) {
    return PREFIX + String.format("%012d.json", sequence);
  }

  /** The sequence a chain key names, or empty for anything else under the prefix. */
  public static Optional<Long> sequenceOf(String key) {
    if (!key.matches(java.util.regex.Pattern.quote(PREFIX) + "\\d{12}\\.json")) {
      return Optional.empty();
    }
    return Optional.of(Long.parseLong(key.substring(PREFIX.length(), PREFIX.length() + 12)));
  }

  /**
   * Appends a receipt, once: if an entry at or after {@code searchFrom} already holds
   * {@code receiptId} (an earlier attempt got that far), that entry is returned instead. Either
   * way the entry's copy is published to the audit topic before the future completes.
   */
  public synchronized CompletableFuture<Entry> append(String kind, String recordingId, String receiptId,
      Object receipt, long searchFrom) {
    CompletableFuture<Entry> result = tail.handle((ignored, error) -> null)
        .thenCompose(ignored -> appendNow(kind, recordingId, receiptId, receipt, searchFrom))
        .thenCompose(entry -> publishCopy(recordingId, entry).thenApply(ignored -> entry));
    tail = result;
    return result;
  }

  /** The next sequence number: how many entries the chain holds, other writers' included. */
  public synchronized CompletableFuture<Long> size() {
    CompletableFuture<Long> result = tail.handle((ignored, error) -> null)
        .thenCompose(ignored -> currentHead()).thenCompose(this::probeForward).thenApply(found -> {
          head = found;
          return found.next();
        });
    tail = result;
    return result;
  }

  private CompletableFuture<Entry> appendNow(String kind, String recordingId, String receiptId, Object receipt,
      long searchFrom) {
    return currentHead().thenCompose(current -> findReceipt(receiptId, searchFrom, current.next())
        .thenCompose(found -> found.isPresent() ? CompletableFuture.completedFuture(found.get())
            : write(kind, recordingId, receiptId, receipt, current, 0)));
  }

  private CompletableFuture<Entry> write(String kind, String recordingId, String receiptId, Object receipt,
      Head at, int races) {
    byte[] bytes = entryBytes(at, kind, recordingId, receiptId, receipt);
    Entry entry = new Entry(at.next(), Sha256.hex(bytes), bytes);
    return store.putIfAbsent(bucket, key(at.next()), bytes, Map.of("sf-kind", "audit-chain"))
        .thenApply(info -> {
          head = new Head(entry.sequence() + 1, entry.hash());
          return entry;
        })
        .exceptionallyCompose(error -> {
          Throwable cause = Failures.unwrap(error);
          if (cause instanceof StorageException se && se.isPreconditionFailed() && races < MAX_RACES) {
            // Another writer took this sequence: link after its entry instead.
            // Another writer took this sequence: if it wrote this very receipt (a replica resuming the
            // same purge), that entry is ours; otherwise link after it.
            return read(at.next()).thenCompose(theirs -> receiptId.equals(theirs.json().path("receiptId").asText())
                ? CompletableFuture.completedFuture(theirs)
                : write(kind, recordingId, receiptId, receipt, new Head(theirs.sequence() + 1, theirs.hash()),
                    races + 1));
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  private byte[] entryBytes(Head at, String kind, String recordingId, String receiptId, Object receipt) {
    ObjectNode node = JSON.createObjectNode();
    node.put("sequence", at.next());
    node.put("previousHash", at.previousHash());
    node.put("recordedAt", clock.instant().toString());
    node.put("kind", kind);
    node.put("recordingId", recordingId);
    node.put("receiptId", receiptId);
    node.set("receipt", JSON.valueToTree(receipt));
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new PurgeException("cannot serialise audit chain entry " + at.next(), false, e);
    }
  }

  private CompletableFuture<Optional<Entry>> findReceipt(String receiptId, long from, long until) {
    CompletableFuture<Optional<Entry>> found = CompletableFuture.completedFuture(Optional.empty());
    for (long sequence = Math.max(0, from); sequence < until; sequence++) {
      long at = sequence;
      found = found.thenCompose(previous -> previous.isPresent() ? CompletableFuture.completedFuture(previous)
          : read(at).thenApply(entry -> receiptId.equals(entry.json().path("receiptId").asText())
              ? Optional.of(entry) : Optional.<Entry>empty()));
    }
    return found;
  }

  /** Reads the entry at a sequence. */
  public CompletableFuture<Entry> read(long sequence) {
    return store.get(bucket, key(sequence)).thenApply(bytes -> new Entry(sequence, Sha256.hex(bytes), bytes));
  }

  /** The cached head, or found once by listing the chain and reading its last entry. */
  private CompletableFuture<Head> currentHead() {
    if (head != null) {
      return CompletableFuture.completedFuture(head);
    }
    return store.listKeys(bucket, PREFIX).thenCompose(keys -> {
      long last = keys.stream().map(AuditChain::sequenceOf).flatMap(Optional::stream).mapToLong(Long::longValue)
          .max().orElse(-1);
      if (last < 0) {
        return CompletableFuture.completedFuture(new Head(0, GENESIS));
      }
      return read(last).thenApply(entry -> new Head(last + 1, entry.hash()));
    }).thenCompose(found -> probeForward(found)).thenApply(found -> {
      head = found;
      return found;
    });
  }

  /** Listings may lag writes: step past any entry that already exists beyond what was listed. */
  private CompletableFuture<Head> probeForward(Head from) {
    return read(from.next()).thenCompose(entry -> probeForward(new Head(entry.sequence() + 1, entry.hash())))
        .exceptionallyCompose(error -> Failures.unwrap(error) instanceof StorageException se && se.isNotFound()
            ? CompletableFuture.completedFuture(from) : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private CompletableFuture<Void> publishCopy(String recordingId, Entry entry) {
    JsonNode json = entry.json();
    return events.publish(new AuditChainEntryEvent(PipelineEvent.CURRENT_SCHEMA_VERSION, clock.instant(),
        entry.sequence(), recordingId, json.path("previousHash").asText(), entry.hash(),
        new String(entry.bytes(), StandardCharsets.UTF_8)));
  }
}
