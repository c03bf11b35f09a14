package io.sessionflow.purger.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent.Scope;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.purger.AuditChain;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A deletion request for a recording, a consent, a client pseudonym or a therapist: {@code resolve
 * → record plan → tombstone and purge each recording (derived data too) → delete consent records
 * → request receipt → chain}. The plan of which recordings it covers is stored before anything is
 * deleted, so a redelivered request finishes the same set even though the index entries that
 * found them are gone by then; a request whose receipt exists is done.
 */
public final class DeletionRequests {
  public static final String PLAN_PREFIX = "purges/requests/";
  public static final String RECEIPT_PREFIX = "audit/requests/";
  private static final ObjectMapper JSON = EventCodec.mapper();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeletionRequests.class);

  private final ObjectStore store;
  private final String bucket;
  private final RecordingIndex index;
  private final RecordingPurge purge;
  private final AuditChain chain;
  private final Clock clock;
  private final String component;
  private final PurgeMetrics metrics;

  public DeletionRequests(ObjectStore store, String bucket, RecordingPurge purge, AuditChain chain, Clock clock,
      String component) {
    this(store, bucket, purge, chain, clock, component, null);
  }

  /** @param metrics counts unreadable objects skipped; null counts nothing */
  public DeletionRequests(ObjectStore store, String bucket, RecordingPurge purge, AuditChain chain, Clock clock,
      String component, PurgeMetrics metrics) {
    this.metrics = metrics;
    this.store = store;
    this.bucket = bucket;
    this.index = new RecordingIndex(store, bucket);
    this.purge = purge;
    this.chain = chain;
    this.clock = clock;
    this.component = component;
  }

  /** The recordings a request covers, with their index entries, and the consent records it removes. */
  public record Plan(DeletionRequestedEvent request, Map<String, List<String>> recordings, List<String> consentKeys,
      long chainSearchFrom) {
  }

  /** A deletion request's own receipt. No PHI: a client pseudonym is not repeated here. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RequestReceipt(String requestId, String scope, String subjectId, String practiceId,
      String requestedBy, Instant requestedAt, List<Covered> recordings, int consentRecordsDeleted,
      Instant finishedAt, String component) {
  }

  /** One recording a request deleted, and where its own receipt sits in the chain. */
  public record Covered(String recordingId, long receiptSequence) {
  }

  public static String receiptKey(String requestId) {
    return RECEIPT_PREFIX + Ids.requireId(requestId, "request id") + ".json";
  }

  public CompletableFuture<Void> handle(DeletionRequestedEvent request) {
    if (!Ids.isValid(request.requestId()) || !Ids.isValid(request.practiceId())) {
      // Not retryable: the record is dead-lettered with this reason and the consumer moves on.
      return CompletableFuture.failedFuture(new PurgeException("deletion request without a valid request id or "
          + "practice id", false, null));
    }
    return exists(receiptKey(request.requestId())).thenCompose(done -> done
        ? deleteAllVersions(planKey(request.requestId())) // a crash may have left the plan behind
        : loadOrResolve(request).thenCompose(this::execute));
  }

  private CompletableFuture<Void> execute(Plan plan) {
    List<Covered> covered = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> all = purgeEach(plan, plan.recordings(), covered);
    for (String consentKey : plan.consentKeys()) {
      all = all.thenCompose(ignored -> deleteAllVersions(consentKey));
    }
    return all.thenCompose(ignored -> sweepAgain(plan, covered, SWEEPS))
        .thenCompose(done -> appendReceipt(done, covered));
  }

  /** How often a request's index is listed again after its plan is done, at most. */
  private static final int SWEEPS = 3;

  /**
   * Lists the request's index entries again once its plan is done and its consent records are
   * gone, and deletes what is new: an upload created under a consent of the request after the
   * plan was made (its consent was checked just before the consent record went), or an entry a
   * listing missed while other deletions removed their neighbours. A client or therapist request
   * also reads the practice's consent records again, for the same reason: a consent record a
   * listing missed would leave it and every recording under it. Repeats until a listing finds
   * nothing new; a recording request has nothing to list again. Returns the plan with every
   * consent record it deleted.
   */
  private CompletableFuture<Plan> sweepAgain(Plan plan, List<Covered> covered, int sweepsLeft) {
    if (plan.request().scope() == Scope.RECORDING || sweepsLeft == 0) {
      return CompletableFuture.completedFuture(plan);
    }
    return missedConsents(plan).thenCompose(missed -> {
      List<String> keys = new ArrayList<>(plan.consentKeys());
      keys.addAll(missed.stream().map(Owner::key).toList());
      Plan current = new Plan(plan.request(), plan.recordings(), List.copyOf(keys), plan.chainSearchFrom());
      Set<String> done = Set.copyOf(current.recordings().keySet());
      return covered(current.request().practiceId(), matcher(current.request(), consentIds(current)))
          .thenCompose(found -> {
            Map<String, List<String>> fresh = new LinkedHashMap<>(found);
            fresh.keySet().removeAll(done);
            synchronized (covered) {
              fresh.keySet().removeAll(covered.stream().map(Covered::recordingId).toList());
            }
            if (fresh.isEmpty() && missed.isEmpty()) {
              return CompletableFuture.completedFuture(current);
            }
            LOG.info("deletion request {}: {} recording(s) indexed after its plan was made and {} consent record(s) "
                + "a listing had missed; deleting them too", current.request().requestId(), fresh.size(),
                missed.size());
            CompletableFuture<Void> all = purgeEach(current, fresh, covered);
            for (Owner consent : missed) {
              all = all.thenCompose(ignored -> deleteAllVersions(consent.key()));
            }
            return all.thenCompose(ignored -> sweepAgain(current, covered, sweepsLeft - 1));
          });
    });
  }

  /** A client's or therapist's consent records that are still there and not in the plan. */
  private CompletableFuture<List<Owner>> missedConsents(Plan plan) {
    DeletionRequestedEvent request = plan.request();
    if (request.scope() != Scope.CLIENT && request.scope() != Scope.THERAPIST) {
      return CompletableFuture.completedFuture(List.of());
    }
    Set<String> known = Set.copyOf(plan.consentKeys());
    // Read again: an unreadable one was counted when the plan was made.
    return consents(request.practiceId(), false).thenApply(all -> all.stream()
        .filter(c -> covers(request, c) && !known.contains(c.key())).toList());
  }

  /** Tombstones and purges each recording in turn, adding each to {@code covered}. */
  private CompletableFuture<Void> purgeEach(Plan plan, Map<String, List<String>> recordings, List<Covered> covered) {
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (Map.Entry<String, List<String>> recording : recordings.entrySet()) {
      String id = recording.getKey();
      PurgeOrder order = new PurgeOrder(id, PurgeOrder.DELETION_REQUEST, plan.request().requestId(),
          plan.request().scope().name(), null, true, recording.getValue());
      all = all.thenCompose(ignored -> tombstone(id, plan.request(), recording.getValue()))
          .thenCompose(ignored -> purge.purge(order))
          .thenAccept(entry -> covered.add(new Covered(id, entry.sequence())));
    }
    return all;
  }

  /** The ids of the consent records a plan removes (their keys end in {@code <id>.json}). */
  private static Set<String> consentIds(Plan plan) {
    return Set.copyOf(plan.consentKeys().stream()
        .map(key -> key.substring(key.lastIndexOf('/') + 1, key.length() - ".json".length())).toList());
  }

  /** Which index entries a consent, client or therapist request covers, given its consents' ids. */
  private static java.util.function.Predicate<RecordingIndex.Entry> matcher(DeletionRequestedEvent request,
      Set<String> consentIds) {
    String subject = request.subjectId();
    return switch (request.scope()) {
      case CONSENT -> entry -> subject.equals(entry.consentId());
      case THERAPIST -> entry -> consentIds.contains(entry.consentId()) || subject.equals(entry.therapistId());
      default -> entry -> consentIds.contains(entry.consentId());
    };
  }

  /**
   * Marks the recording deleted before deleting it (tombstone and deletion watch), so whatever a
   * stage writes meanwhile is taken back by the stage or found again by the sweep.
   */
  private CompletableFuture<Void> tombstone(String recordingId, DeletionRequestedEvent request,
      List<String> indexKeys) {
    return DeletionWatch.mark(store, bucket, recordingId, new DeletionWatch.Mark(request.requestId(),
        request.scope().name(), clock.instant(), indexKeys));
  }

  private CompletableFuture<Void> deleteAllVersions(String key) {
    return store.deleteEveryVersion(bucket, key).thenApply(deleted -> null);
  }

  private CompletableFuture<Void> appendReceipt(Plan plan, List<Covered> covered) {
    DeletionRequestedEvent request = plan.request();
    RequestReceipt receipt = new RequestReceipt(request.requestId(), request.scope().name(),
        request.scope() == Scope.CLIENT ? null : request.subjectId(), request.practiceId(), request.requestedBy(),
        request.occurredAt(), covered, plan.consentKeys().size(), clock.instant(), component);
    return chain.append("deletion-request-receipt", null, request.requestId(), receipt, plan.chainSearchFrom())
        .thenCompose(entry -> store.put(bucket, receiptKey(request.requestId()), entry.bytes(),
            Map.of("sf-kind", "receipt")))
        // Every version: a client's plan names the client pseudonym, which no receipt repeats.
        .thenCompose(info -> deleteAllVersions(planKey(request.requestId())));
  }

  // ---- plan ------------------------------------------------------------------------------------

  private static String planKey(String requestId) {
    return PLAN_PREFIX + requestId + ".json";
  }

  private CompletableFuture<Plan> loadOrResolve(DeletionRequestedEvent request) {
    return store.get(bucket, planKey(request.requestId())).thenApply(bytes -> {
      try {
        return JSON.readValue(bytes, Plan.class);
      } catch (IOException e) {
        throw new PurgeException("deletion plan " + request.requestId() + " is unreadable", false, e);
      }
    }).exceptionallyCompose(error -> RecordingPurge.notFound(error) ? resolve(request).thenCompose(this::save)
        : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private CompletableFuture<Plan> save(Plan plan) {
    try {
      return store.put(bucket, planKey(plan.request().requestId()), JSON.writeValueAsBytes(plan),
          Map.of("sf-kind", "deletion-plan")).thenApply(info -> plan);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The recordings a request covers, read from the ownership index (uploads in progress are in it
   * from their creation): a recording through its owner pointer (two reads, no listing), a consent,
   * client or therapist through one listing of the practice's index keys (no object read). Client
   * and therapist requests also read the practice's consent records, a few at a time; one that
   * cannot be read is reported, counted and skipped, never failing the request.
   */
  private CompletableFuture<Plan> resolve(DeletionRequestedEvent request) {
    String practice = request.practiceId();
    String subject = request.subjectId();
    CompletableFuture<Long> chainSize = chain.size();
    CompletableFuture<Map<String, List<String>>> recordings;
    CompletableFuture<List<Owner>> consentRecords;
    switch (request.scope()) {
      case RECORDING -> {
        consentRecords = CompletableFuture.completedFuture(List.of());
        recordings = Ids.isValid(subject) ? recording(practice, subject)
            : CompletableFuture.completedFuture(Map.of());
      }
      case CONSENT -> {
        // The consent id is the subject: its record need not be read (a revoked consent stays).
        consentRecords = CompletableFuture.completedFuture(List.of());
        recordings = Ids.isValid(subject) ? covered(practice, matcher(request, Set.of()))
            : CompletableFuture.completedFuture(Map.of());
      }
      default -> {
        consentRecords = consents(practice, true)
            .thenApply(all -> all.stream().filter(c -> covers(request, c)).toList());
        recordings = consentRecords.thenCompose(records -> covered(practice,
            matcher(request, Set.copyOf(records.stream().map(Owner::id).toList()))));
      }
    }
    return CompletableFuture.allOf(recordings, consentRecords, chainSize).thenApply(ignored -> {
      // A revoked consent stays (it proves the revocation); a deleted client's or therapist's consents go.
      List<String> consentKeys = consentRecords.join().stream().map(Owner::key).toList();
      return new Plan(request, recordings.join(), consentKeys, chainSize.join());
    });
  }

  /**
   * The consent records a client or therapist request removes: a therapist's consents, or a
   * client's; a therapist's request for a client ({@code capturedBy}) only the consents that
   * therapist captured, so a colleague's consents of the same pseudonym and what was recorded
   * under them are never touched.
   */
  private static boolean covers(DeletionRequestedEvent request, Owner consent) {
    if (request.scope() == Scope.THERAPIST) {
      return request.subjectId().equals(consent.therapistId());
    }
    return request.subjectId().equals(consent.clientRef())
        && (request.capturedBy() == null || request.capturedBy().equals(consent.therapistId()));
  }

  /** One recording: its index entry through its owner pointer, else (indexed before pointers) a listing. */
  private CompletableFuture<Map<String, List<String>>> recording(String practice, String recordingId) {
    return index.owners(recordingId).thenCompose(owners -> {
      if (owners.isPresent()) {
        Map<String, List<String>> found = new LinkedHashMap<>();
        if (owners.get().practiceId().equals(practice)) {
          found.put(recordingId, owners.get().keys());
        } else {
          found.put(recordingId, List.of()); // another practice's index is not this request's to touch
        }
        return CompletableFuture.completedFuture(found);
      }
      return covered(practice, entry -> entry.recordingId().equals(recordingId)).thenApply(found -> {
        Map<String, List<String>> all = new LinkedHashMap<>(found);
        all.computeIfAbsent(recordingId, id -> List.of());
        return all;
      });
    });
  }

  /** The practice's index entries that match, by recording, with every key recording them. */
  private CompletableFuture<Map<String, List<String>>> covered(String practice,
      java.util.function.Predicate<RecordingIndex.Entry> matches) {
    return index.practice(practice).thenApply(entries -> {
      Map<String, List<String>> recordings = new LinkedHashMap<>();
      for (RecordingIndex.Entry entry : entries) {
        if (matches.test(entry)) {
          recordings.computeIfAbsent(entry.recordingId(), id -> new ArrayList<>()).addAll(entry.keys());
        }
      }
      recordings.replaceAll((id, keys) -> keys.stream().distinct().toList());
      return recordings;
    });
  }

  /** Ids read from a consent record: who owns what, never more. */
  private record Owner(String key, String id, String therapistId, String clientRef) {
  }

  /** Reads at most this many consent records at once. */
  private static final int READ_CONCURRENCY = 8;

  private CompletableFuture<List<Owner>> consents(String practiceId, boolean countUnreadable) {
    String prefix = "consents/" + practiceId + "/";
    return store.listKeys(bucket, prefix).thenCompose(keys -> {
      List<String> wanted = keys.stream().filter(key -> key.endsWith(".json")).toList();
      List<Owner> owners = java.util.Collections.synchronizedList(new ArrayList<>());
      List<CompletableFuture<Void>> lanes = new ArrayList<>();
      for (int lane = 0; lane < READ_CONCURRENCY; lane++) {
        CompletableFuture<Void> chainOfReads = CompletableFuture.completedFuture(null);
        for (int i = lane; i < wanted.size(); i += READ_CONCURRENCY) {
          String key = wanted.get(i);
          chainOfReads = chainOfReads.thenCompose(ignored -> readConsent(key, countUnreadable))
              .thenAccept(found -> found.ifPresent(owners::add));
        }
        lanes.add(chainOfReads);
      }
      return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).thenApply(ignored -> List.copyOf(owners));
    });
  }

  private CompletableFuture<Optional<Owner>> readConsent(String key, boolean countUnreadable) {
    return store.get(bucket, key).thenApply(bytes -> {
      try {
        JsonNode json = JSON.readTree(bytes);
        if (!json.isObject() || !Ids.isValid(json.path("id").asText(""))) {
          throw new IOException("no consent id");
        }
        return Optional.of(new Owner(key, json.path("id").asText(), json.path("therapistId").asText(null),
            json.path("clientRef").asText(null)));
      } catch (IOException e) {
        LOG.warn("deletion request: consent record {} is unreadable ({}); skipped", key,
            e.getClass().getSimpleName());
        if (metrics != null && countUnreadable) {
          metrics.unreadable("consent");
        }
        return Optional.<Owner>empty();
      }
    }).exceptionallyCompose(error -> RecordingPurge.notFound(error)
        ? CompletableFuture.completedFuture(Optional.<Owner>empty())
        : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private CompletableFuture<Boolean> exists(String key) {
    return io.sessionflow.common.storage.Tombstones.exists(store, bucket, key);
  }
}
