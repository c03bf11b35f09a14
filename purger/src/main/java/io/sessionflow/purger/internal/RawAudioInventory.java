package io.sessionflow.purger.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.config.ByteSize;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.MultipartUploadInfo;
import io.sessionflow.common.storage.ObjectInfo;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Everything that is or holds raw audio — every version and delete marker under {@code raw/},
 * every unfinished multipart upload, every upload leftover, every audio key and every data key —
 * grouped by recording, each with the reason it may still exist or the purge it is due. The
 * retention sweep purges what has no reason; {@code verify-purge} reports the same findings, so
 * the auditor's check and the purger's own rule are one piece of code.
 */
public final class RawAudioInventory {
  /** How long a key or multipart upload may exist before its upload state does (an upload being created). */
  public static final Duration CREATION_GRACE = Duration.ofMinutes(15);
  /**
   * How long an archive entry stored before its archive's manifest ({@code source=import}, no
   * consent yet) may wait for it: the ingest's import only announces entries that waited less
   * than half of it (ImportLimits.PENDING_GRACE, the same value), so past it nothing can give the
   * entry a consent any more — its import died with its process, or the manifest never came.
   */
  public static final Duration IMPORT_CONSENT_GRACE = Duration.ofHours(6);
  private static final ObjectMapper JSON = EventCodec.mapper();
  private static final String RAW = "raw/";
  private static final String UPLOADS = "uploads/";

  private final ObjectStore store;
  private final String bucket;
  private final String keyBucket;
  private final Duration maxRetention;
  private final Duration purgeGrace;
  private final Duration creationGrace;

  /**
   * @param purgeGrace    how long after the transcript is durable audio may still be there (the purge SLO)
   * @param creationGrace how long a key or multipart upload may exist before its upload state does
   */
  public RawAudioInventory(ObjectStore store, String bucket, String keyBucket, Duration maxRetention,
      Duration purgeGrace, Duration creationGrace) {
    this.store = store;
    this.bucket = bucket;
    this.keyBucket = keyBucket;
    this.maxRetention = maxRetention;
    this.purgeGrace = purgeGrace;
    this.creationGrace = creationGrace;
  }

  /** A recording's findings: allowed with a reason, or due a purge. */
  public record Finding(String recordingId, String holds, long bytes, Instant oldest, String reason,
      Optional<PurgeOrder> purge, Optional<Duration> awaitingConsent) {
    public Finding(String recordingId, String holds, long bytes, Instant oldest, String reason,
        Optional<PurgeOrder> purge) {
      this(recordingId, holds, bytes, oldest, reason, purge, Optional.empty());
    }

    public boolean allowed() {
      return purge.isEmpty();
    }
  }

  /** One walk of the whole raw area and key store. */
  public record Scan(Instant at, List<Finding> findings, int rawVersions, int multipartUploads, int leftovers,
      int audioKeys, int dataKeys, long bytes, Instant oldest) {
    public List<Finding> violations() {
      return findings.stream().filter(f -> !f.allowed()).toList();
    }

    /** Archive entries stored without a consent (waiting for their manifest, or past the grace). */
    public List<Finding> consentlessImports() {
      return findings.stream().filter(f -> f.awaitingConsent().isPresent()).toList();
    }
  }

  /** What one recording has at rest. */
  private static final class Holdings {
    final List<ObjectVersion> raw = new ArrayList<>();
    final List<MultipartUploadInfo> multipart = new ArrayList<>();
    final List<ObjectVersion> leftovers = new ArrayList<>();
    final List<ObjectVersion> audioKeys = new ArrayList<>();
    final List<ObjectVersion> dataKeys = new ArrayList<>();
    boolean intent;

    boolean holdsAudio() {
      return !raw.isEmpty() || !multipart.isEmpty() || !leftovers.isEmpty() || !audioKeys.isEmpty() || intent;
    }

    long bytes() {
      return Stream.concat(raw.stream(), leftovers.stream()).mapToLong(ObjectVersion::size).sum();
    }

    Instant oldest() {
      return Stream.of(raw.stream().map(ObjectVersion::lastModified),
          multipart.stream().map(MultipartUploadInfo::initiated),
          leftovers.stream().map(ObjectVersion::lastModified),
          audioKeys.stream().map(ObjectVersion::lastModified),
          dataKeys.stream().map(ObjectVersion::lastModified))
          .flatMap(s -> s).filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(null);
    }

    String describe() {
      List<String> parts = new ArrayList<>();
      if (!raw.isEmpty()) {
        long markers = raw.stream().filter(ObjectVersion::deleteMarker).count();
        parts.add((raw.size() - markers) + " raw version(s)" + (markers > 0 ? " + " + markers + " delete marker(s)"
            : ""));
      }
      if (!multipart.isEmpty()) {
        parts.add(multipart.size() + " unfinished multipart upload(s)");
      }
      if (!leftovers.isEmpty()) {
        parts.add(leftovers.size() + " upload leftover(s)");
      }
      if (!audioKeys.isEmpty()) {
        parts.add("audio key");
      }
      if (!dataKeys.isEmpty()) {
        parts.add("data key");
      }
      if (intent) {
        parts.add("unfinished purge");
      }
      return String.join(", ", parts) + " (" + ByteSize.format(bytes()) + ")";
    }
  }

  /**
   * Walks the raw area once. With {@code dataKeys} false (the periodic sweep) the key store is not
   * listed: it holds a key for every recording ever kept (a million recordings, a thousand list
   * pages), while everything else walked here — raw audio, multipart uploads, upload state, purge
   * intents — exists only while audio does. A key left without audio (an upload that died between
   * creating its key and its state) waits for the next full walk ({@code PURGE_RECONCILE_INTERVAL},
   * and every {@code verify-purge}), which also checks lone data keys.
   */
  public CompletableFuture<Scan> scan(Instant now, boolean dataKeys) {
    Map<String, Holdings> byId = new TreeMap<>();
    CompletableFuture<List<ObjectVersion>> raw = store.listVersions(bucket, RAW);
    CompletableFuture<List<MultipartUploadInfo>> multipart = store.listMultipartUploads(bucket, RAW);
    CompletableFuture<List<ObjectVersion>> leftovers = store.listVersions(bucket, UPLOADS);
    // keys/ holds a key for every recording ever kept: listed only on a full walk (see above).
    CompletableFuture<List<ObjectVersion>> keys = dataKeys ? store.listVersions(keyBucket, RecordingKeys.PREFIX)
        : CompletableFuture.completedFuture(List.of());
    CompletableFuture<List<String>> intents = store.listKeys(bucket, RecordingPurge.INTENT_PREFIX);
    return CompletableFuture.allOf(raw, multipart, leftovers, keys, intents).thenCompose(ignored -> {
      raw.join().forEach(v -> idAfter(RAW, v.key()).ifPresent(id -> holdings(byId, id).raw.add(v)));
      multipart.join().forEach(u -> idAfter(RAW, u.key()).ifPresent(id -> holdings(byId, id).multipart.add(u)));
      leftovers.join().forEach(v -> idAfter(UPLOADS, v.key()).ifPresent(id -> holdings(byId, id).leftovers.add(v)));
      for (ObjectVersion key : keys.join()) {
        keyOwner(key.key(), ".audio.dek").ifPresent(id -> holdings(byId, id).audioKeys.add(key));
        keyOwner(key.key(), ".data.dek").ifPresent(id -> holdings(byId, id).dataKeys.add(key));
      }
      // Only purges/ID.json: deletion plans live under purges/requests/ and are not recordings.
      intents.join().stream().filter(k -> k.matches(java.util.regex.Pattern.quote(RecordingPurge.INTENT_PREFIX)
          + "[^/]+\\.json")).map(k -> idAfter(RecordingPurge.INTENT_PREFIX, k.substring(0,
              k.length() - ".json".length()))).flatMap(Optional::stream)
          .forEach(id -> holdings(byId, id).intent = true);
      if (!dataKeys) {
        byId.values().removeIf(h -> !h.holdsAudio());
      }
      return classifyAll(byId, now).thenApply(findings -> new Scan(now, findings, raw.join().size(),
          multipart.join().size(), leftovers.join().size(), count(byId, h -> h.audioKeys.size()),
          count(byId, h -> h.dataKeys.size()), byId.values().stream().mapToLong(Holdings::bytes).sum(),
          byId.values().stream().filter(Holdings::holdsAudio).map(Holdings::oldest).filter(Objects::nonNull)
              .min(Comparator.naturalOrder()).orElse(null)));
    });
  }

  private static int count(Map<String, Holdings> byId, java.util.function.ToIntFunction<Holdings> what) {
    return byId.values().stream().mapToInt(what).sum();
  }

  private static Holdings holdings(Map<String, Holdings> byId, String id) {
    return byId.computeIfAbsent(id, ignored -> new Holdings());
  }

  /** The recording id right after a prefix ({@code raw/ID}, {@code uploads/ID/state.json}). */
  private static Optional<String> idAfter(String prefix, String key) {
    if (!key.startsWith(prefix)) {
      return Optional.empty();
    }
    String rest = key.substring(prefix.length());
    int slash = rest.indexOf('/');
    String id = slash < 0 ? rest : rest.substring(0, slash);
    return Ids.isValid(id) ? Optional.of(id) : Optional.empty();
  }

  private static Optional<String> keyOwner(String key, String suffix) {
    if (!key.startsWith(RecordingKeys.PREFIX) || !key.endsWith(suffix)) {
      return Optional.empty();
    }
    String id = key.substring(RecordingKeys.PREFIX.length(), key.length() - suffix.length());
    return Ids.isValid(id) ? Optional.of(id) : Optional.empty();
  }

  private CompletableFuture<List<Finding>> classifyAll(Map<String, Holdings> byId, Instant now) {
    CompletableFuture<List<Finding>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (Map.Entry<String, Holdings> entry : byId.entrySet()) {
      all = all.thenCompose(findings -> classify(entry.getKey(), entry.getValue(), now).thenApply(finding -> {
        findings.add(finding);
        return findings;
      }));
    }
    return all;
  }

  private CompletableFuture<Finding> classify(String id, Holdings held, Instant now) {
    CompletableFuture<Optional<ObjectInfo>> transcript = head(bucket, ObjectKeys.transcript(id));
    CompletableFuture<Optional<ObjectInfo>> analysis = head(bucket, ObjectKeys.analysis(id));
    CompletableFuture<Optional<ObjectInfo>> tombstone = head(bucket, ObjectKeys.tombstone(id));
    CompletableFuture<Optional<JsonNode>> state = held.leftovers.stream()
        .anyMatch(v -> v.key().endsWith("/state.json") && !v.deleteMarker() && v.latest())
        ? json(bucket, ObjectKeys.uploadPrefix(id) + "state.json")
        : CompletableFuture.completedFuture(Optional.empty());
    CompletableFuture<Optional<JsonNode>> intent = held.intent ? json(bucket, RecordingPurge.intentKey(id))
        : CompletableFuture.completedFuture(Optional.empty());
    return CompletableFuture.allOf(transcript, analysis, tombstone, state, intent).thenApply(ignored -> decide(id,
        held, now, transcript.join(), analysis.join().isPresent(), tombstone.join().isPresent(), state.join(),
        intent.join()));
  }

  private Finding decide(String id, Holdings held, Instant now, Optional<ObjectInfo> transcript, boolean analysis,
      boolean tombstone, Optional<JsonNode> state, Optional<JsonNode> intent) {
    String holds = held.describe();
    Instant oldest = held.oldest();
    if (intent.isPresent()) {
      PurgeOrder order = JSON.convertValue(intent.get().path("order"), PurgeOrder.class);
      return purge(id, held, "a purge (" + order.reason() + ") was interrupted; resuming it", order);
    }
    if (tombstone) {
      return purge(id, held, "deleted on request, yet something is left",
          new PurgeOrder(id, PurgeOrder.DELETION_REQUEST, null, null, null, true, List.of()));
    }
    if (!held.holdsAudio()) {
      // Only a data key: fine beside a transcript or analysis, an orphan otherwise.
      if (transcript.isPresent() || analysis) {
        return allowed(id, holds, oldest, "data key of a stored transcript or analysis");
      }
      return old(oldest, now, creationGrace) ? purge(id, held, "data key with nothing it encrypts",
          new PurgeOrder(id, PurgeOrder.ORPHAN, null, null, null, true, List.of()))
          : allowed(id, holds, oldest, "key of a recording being created");
    }
    if (transcript.isPresent()) {
      Instant durable = transcript.get().lastModified();
      if (durable != null && !old(durable, now, purgeGrace)) {
        return allowed(id, holds, oldest, "purge pending: transcript durable since " + durable
            + ", within the purge SLO of " + human(purgeGrace));
      }
      return purge(id, held, "no live reason: transcript durable since " + durable,
          PurgeOrder.audioOnly(id, PurgeOrder.TRANSCRIBED, durable));
    }
    if (state.isPresent()) {
      return byUploadState(id, held, now, state.get());
    }
    if (!held.raw.isEmpty()) {
      return old(oldest, now, maxRetention) ? purge(id, held, "stored at " + oldest + ", never transcribed within "
          + "the maximum retention of " + human(maxRetention), PurgeOrder.neverTranscribed(id, PurgeOrder.RETENTION))
          : allowed(id, holds, oldest, "awaiting transcription; purged by " + oldest.plus(maxRetention)
              + " at the latest");
    }
    return old(oldest, now, creationGrace) ? purge(id, held, "orphan: no upload and no recording owns it",
        PurgeOrder.neverTranscribed(id, PurgeOrder.ORPHAN))
        : allowed(id, holds, oldest, "upload being created");
  }

  private Finding byUploadState(String id, Holdings held, Instant now, JsonNode state) {
    Instant created = instant(state.path("createdAt")).orElse(held.oldest());
    Instant deadline = created.plus(maxRetention);
    if (isConsentlessImport(state)) {
      return consentlessImport(id, held, now, created == null ? now : created);
    }
    if (state.path("duplicateOf").isTextual()) {
      // A re-upload the ingest recognised: its bytes and keys went at once; its state answers the client's
      // upload URL until the upload's expiry, and goes then (its index entry with it).
      Optional<Instant> until = instant(state.path("expiresAt"));
      String original = state.path("duplicateOf").asText();
      boolean bytesLeft = held.raw.stream().anyMatch(v -> !v.deleteMarker() && v.latest())
          || held.audioKeys.stream().anyMatch(v -> !v.deleteMarker())
          || !held.multipart.isEmpty();
      if (until.isEmpty() || now.isAfter(until.get()) || bytesLeft) {
        // Past its time, or its bytes were not all deleted when it was recognised (the ingest failed half-way).
        return purge(id, held, "re-upload of recording " + original + (bytesLeft ? " still holding its bytes"
            : " past its expiry"), new PurgeOrder(id, PurgeOrder.EXPIRED_UPLOAD, null, null, null, true,
            uploadIndexKeys(id, state)));
      }
      return allowed(id, held.describe(), held.oldest(), "re-upload of recording " + original
          + ": its bytes were not kept; its upload URL answers until " + until.get());
    }
    if ("RECEIVING".equals(state.path("status").asText())) {
      Optional<Instant> expires = instant(state.path("expiresAt"));
      if (expires.isPresent() && now.isAfter(expires.get())) {
        // Never a recording: its index entry (written when the upload was created) goes with it.
        return purge(id, held, "upload abandoned: expired at " + expires.get(), new PurgeOrder(id,
            PurgeOrder.EXPIRED_UPLOAD, null, null, null, true, uploadIndexKeys(id, state)));
      }
      if (now.isAfter(deadline)) {
        return purge(id, held, "upload started " + created + " is older than the maximum retention of "
            + human(maxRetention), PurgeOrder.neverTranscribed(id, PurgeOrder.RETENTION));
      }
      String length = state.path("length").isNumber() ? ByteSize.format(state.path("length").asLong()) : "?";
      return allowed(id, held.describe(), held.oldest(), "upload in progress: " + ByteSize.format(
          state.path("offset").asLong()) + " of " + length + " received, expires " + expires.map(Instant::toString)
          .orElse("?"));
    }
    if (now.isAfter(deadline)) {
      return purge(id, held, "stored at " + created + ", not transcribed within the maximum retention of "
          + human(maxRetention) + " (failed or stuck)", PurgeOrder.neverTranscribed(id, PurgeOrder.RETENTION));
    }
    return allowed(id, held.describe(), held.oldest(), "awaiting transcription: stored " + created
        + ", purged by " + deadline + " at the latest");
  }

  /** An archive entry stored before its manifest: source import, no consent id. */
  private static boolean isConsentlessImport(JsonNode state) {
    JsonNode consent = state.path("consentId");
    return "import".equals(state.path("source").asText(null))
        && (!consent.isTextual() || consent.asText().isBlank());
  }

  /**
   * An archive entry with no consent: fine while its import may still read the manifest, a purge
   * once {@link #IMPORT_CONSENT_GRACE} has passed. It was never indexed nor announced (the ingest
   * announces only under a valid consent), so its audio, keys and state are all that exist.
   */
  private Finding consentlessImport(String id, Holdings held, Instant now, Instant created) {
    Duration age = Duration.between(created, now);
    String status = "import entry without a consent, stored " + created + " (age " + human(age.withNanos(0)) + ")";
    if (age.compareTo(IMPORT_CONSENT_GRACE) > 0) {
      Finding finding = purge(id, held, status + ": its manifest never gave it one within the grace of "
          + human(IMPORT_CONSENT_GRACE), PurgeOrder.neverTranscribed(id, PurgeOrder.UNCONSENTED_IMPORT));
      return withAge(finding, age);
    }
    return withAge(allowed(id, held.describe(), held.oldest(), status + ", awaiting its manifest; purged after "
        + created.plus(IMPORT_CONSENT_GRACE) + " unless the import gives it a consent first"), age);
  }

  private static Finding withAge(Finding f, Duration age) {
    return new Finding(f.recordingId(), f.holds(), f.bytes(), f.oldest(), f.reason(), f.purge(), Optional.of(age));
  }

  private static List<String> uploadIndexKeys(String id, JsonNode state) {
    try {
      return io.sessionflow.common.storage.RecordingIndex.Entry.of(state.path("practiceId").asText(),
          state.path("therapistId").asText(), state.path("consentId").asText(null), id).keys();
    } catch (IllegalArgumentException e) {
      return List.of(); // a state without valid owner ids has no index entry to remove
    }
  }

  private static boolean old(Instant since, Instant now, Duration limit) {
    return since == null || now.isAfter(since.plus(limit));
  }

  private static Finding allowed(String id, String holds, Instant oldest, String reason) {
    return new Finding(id, holds, 0, oldest, reason, Optional.empty());
  }

  private static Finding purge(String id, Holdings held, String reason, PurgeOrder order) {
    return new Finding(id, held.describe(), held.bytes(), held.oldest(), reason, Optional.of(order));
  }

  private static Optional<Instant> instant(JsonNode node) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return Optional.empty();
    }
    return Optional.of(JSON.convertValue(node, Instant.class));
  }

  private CompletableFuture<Optional<ObjectInfo>> head(String inBucket, String key) {
    return store.head(inBucket, key).thenApply(Optional::of).exceptionallyCompose(error ->
        RecordingPurge.notFound(error) ? CompletableFuture.completedFuture(Optional.empty())
            : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  private CompletableFuture<Optional<JsonNode>> json(String inBucket, String key) {
    return store.get(inBucket, key).thenApply(bytes -> {
      try {
        return Optional.of(JSON.readTree(bytes));
      } catch (IOException e) {
        return Optional.<JsonNode>empty();
      }
    }).exceptionallyCompose(error -> RecordingPurge.notFound(error)
        ? CompletableFuture.completedFuture(Optional.empty()) : CompletableFuture.failedFuture(Failures.unwrap(error)));
  }

  /** {@code 72h}, {@code 5m}: durations as people write them. */
  public static String human(Duration duration) {
    return duration.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }
}
