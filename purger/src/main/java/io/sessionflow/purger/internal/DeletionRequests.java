package io.sessionflow.purger.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent.Scope;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.RecordingIndex;
import io.sessionflow.purger.AuditChain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

  private final ObjectStore store;
  private final String bucket;
  private final RecordingIndex index;
  private final RecordingPurge purge;
  private final AuditChain chain;
  private final Clock clock;
  private final String component;

  public DeletionRequests(ObjectStore store, String bucket, RecordingPurge purge, AuditChain chain, Clock clock,
      String component) {
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
        ? store.delete(bucket, planKey(request.requestId())) // a crash may have left the plan behind
        : loadOrResolve(request).thenCompose(this::execute));
  }

  private CompletableFuture<Void> execute(Plan plan) {
    List<Covered> covered = new ArrayList<>();
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (Map.Entry<String, List<String>> recording : plan.recordings().entrySet()) {
      String id = recording.getKey();
      PurgeOrder order = new PurgeOrder(id, PurgeOrder.DELETION_REQUEST, plan.request().requestId(),
          plan.request().scope().name(), null, true, recording.getValue());
      all = all.thenCompose(ignored -> tombstone(id, plan.request()))
          .thenCompose(ignored -> purge.purge(order))
          .thenAccept(entry -> covered.add(new Covered(id, entry.sequence())));
    }
    for (String consentKey : plan.consentKeys()) {
      all = all.thenCompose(ignored -> deleteAllVersions(consentKey));
    }
    return all.thenCompose(ignored -> appendReceipt(plan, covered));
  }

  /** Marks the recording deleted before deleting it, so a transcript finished meanwhile is deleted too. */
  private CompletableFuture<Void> tombstone(String recordingId, DeletionRequestedEvent request) {
    byte[] body = ("{\"requestId\":\"" + request.requestId() + "\",\"at\":\"" + clock.instant() + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    return store.put(bucket, ObjectKeys.tombstone(recordingId), body, Map.of("sf-kind", "tombstone"))
        .thenApply(info -> null);
  }

  private CompletableFuture<Void> deleteAllVersions(String key) {
    return store.listVersions(bucket, key).thenCompose(versions -> {
      CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
      for (var version : versions.stream().filter(v -> v.key().equals(key)).toList()) {
        all = all.thenCompose(ignored -> version.versionId() == null ? store.delete(bucket, key)
            : store.deleteVersion(bucket, key, version.versionId()));
      }
      return all;
    });
  }

  private CompletableFuture<Void> appendReceipt(Plan plan, List<Covered> covered) {
    DeletionRequestedEvent request = plan.request();
    RequestReceipt receipt = new RequestReceipt(request.requestId(), request.scope().name(),
        request.scope() == Scope.CLIENT ? null : request.subjectId(), request.practiceId(), request.requestedBy(),
        request.occurredAt(), covered, plan.consentKeys().size(), clock.instant(), component);
    return chain.append("deletion-request-receipt", null, request.requestId(), receipt, plan.chainSearchFrom())
        .thenCompose(entry -> store.put(bucket, receiptKey(request.requestId()), entry.bytes(),
            Map.of("sf-kind", "receipt")))
        .thenCompose(info -> store.delete(bucket, planKey(request.requestId())));
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

  private CompletableFuture<Plan> resolve(DeletionRequestedEvent request) {
    String practice = request.practiceId();
    CompletableFuture<List<RecordingIndex.Entry>> indexed = index.practice(practice);
    CompletableFuture<List<Owner>> consents = consents(practice);
    CompletableFuture<List<Owner>> uploads = uploadOwners(practice);
    CompletableFuture<Long> chainSize = chain.size();
    return CompletableFuture.allOf(indexed, consents, uploads, chainSize).thenApply(ignored -> {
      String subject = request.subjectId();
      List<Owner> consentRecords = switch (request.scope()) {
        case CLIENT -> consents.join().stream().filter(c -> subject.equals(c.clientRef())).toList();
        case THERAPIST -> consents.join().stream().filter(c -> subject.equals(c.therapistId())).toList();
        case CONSENT -> consents.join().stream().filter(c -> subject.equals(c.id())).toList();
        case RECORDING -> List.of();
      };
      Set<String> consentIds = Set.copyOf(consentRecords.stream().map(Owner::id).toList());
      Map<String, List<String>> recordings = new LinkedHashMap<>();
      for (RecordingIndex.Entry entry : indexed.join()) {
        if (covers(request, consentIds, entry.recordingId(), entry.therapistId(), entry.consentId())) {
          recordings.computeIfAbsent(entry.recordingId(), id -> new ArrayList<>()).add(entry.key());
        }
      }
      for (Owner upload : uploads.join()) {
        if (covers(request, consentIds, upload.id(), upload.therapistId(), upload.consentId())) {
          recordings.computeIfAbsent(upload.id(), id -> new ArrayList<>());
        }
      }
      if (request.scope() == Scope.RECORDING && Ids.isValid(subject)) {
        recordings.computeIfAbsent(subject, id -> new ArrayList<>());
      }
      // A revoked consent stays (it proves the revocation); a deleted client's or therapist's consents go.
      List<String> consentKeys = request.scope() == Scope.CONSENT ? List.of()
          : consentRecords.stream().map(Owner::key).toList();
      return new Plan(request, recordings, consentKeys, chainSize.join());
    });
  }

  private static boolean covers(DeletionRequestedEvent request, Set<String> consentIds, String recordingId,
      String therapistId, String consentId) {
    return switch (request.scope()) {
      case RECORDING -> request.subjectId().equals(recordingId);
      case CONSENT, CLIENT -> consentId != null && consentIds.contains(consentId);
      case THERAPIST -> request.subjectId().equals(therapistId) || (consentId != null
          && consentIds.contains(consentId));
    };
  }

  /** Ids read from a consent record or an upload state: who owns what, never more. */
  private record Owner(String key, String id, String therapistId, String consentId, String clientRef) {
  }

  private CompletableFuture<List<Owner>> consents(String practiceId) {
    String prefix = "consents/" + practiceId + "/";
    return readAll(prefix, key -> key.endsWith(".json"), (key, json) -> new Owner(key,
        json.path("id").asText(), json.path("therapistId").asText(null), null, json.path("clientRef").asText(null)));
  }

  private CompletableFuture<List<Owner>> uploadOwners(String practiceId) {
    return readAll("uploads/", key -> key.endsWith("/state.json"), (key, json) ->
        practiceId.equals(json.path("practiceId").asText()) ? new Owner(key, json.path("id").asText(),
            json.path("therapistId").asText(null), json.path("consentId").asText(null), null) : null);
  }

  private CompletableFuture<List<Owner>> readAll(String prefix, java.util.function.Predicate<String> wanted,
      java.util.function.BiFunction<String, JsonNode, Owner> read) {
    return store.listKeys(bucket, prefix).thenCompose(keys -> {
      List<CompletableFuture<Optional<Owner>>> reads = keys.stream().filter(wanted).map(key -> store.get(bucket, key)
          .thenApply(bytes -> {
            try {
              return Optional.ofNullable(read.apply(key, JSON.readTree(bytes)));
            } catch (IOException e) {
              throw new PurgeException("object " + key + " is not valid JSON", false, e);
            }
          }).exceptionallyCompose(error -> RecordingPurge.notFound(error)
              ? CompletableFuture.completedFuture(Optional.<Owner>empty())
              : CompletableFuture.failedFuture(Failures.unwrap(error)))).toList();
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
          .thenApply(ignored -> reads.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList());
    });
  }

  private CompletableFuture<Boolean> exists(String key) {
    return store.head(bucket, key).thenApply(info -> true).exceptionallyCompose(error ->
        RecordingPurge.notFound(error) ? CompletableFuture.completedFuture(false)
            : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }
}
