package io.sessionflow.purger;

import io.sessionflow.common.storage.CompletedPart;
import io.sessionflow.common.storage.MultipartUploadInfo;
import io.sessionflow.common.storage.ObjectInfo;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import io.sessionflow.common.storage.StorageException;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * An S3 bucket in memory with the parts S3Proxy's filesystem store lacks: versioning (every put a
 * new version, a delete a delete marker), and failures on demand ({@link #failWhen}) to play a
 * storage outage in the middle of a purge. Operations are named like {@code delete-version raw/ID}.
 */
final class VersionedObjectStore implements ObjectStore {
  private final boolean versioned;
  private final Clock clock;
  private final AtomicLong ids = new AtomicLong();
  private final Map<String, List<Stored>> objects = new TreeMap<>();
  private final Map<String, Upload> uploads = new LinkedHashMap<>();
  private volatile Predicate<String> failing = op -> false;

  private record Stored(String versionId, byte[] body, java.time.Instant at, boolean marker) {
  }

  private record Upload(String bucket, String key, java.time.Instant initiated, Map<Integer, byte[]> parts) {
  }

  VersionedObjectStore(boolean versioned, Clock clock) {
    this.versioned = versioned;
    this.clock = clock;
  }

  /** Fails every operation the predicate accepts with a retryable 503 until it is replaced. */
  void failWhen(Predicate<String> operations) {
    this.failing = operations;
  }

  void heal() {
    this.failing = op -> false;
  }

  synchronized int versionCount(String bucket, String prefix) {
    return objects.entrySet().stream().filter(e -> e.getKey().startsWith(bucket + "/" + prefix))
        .mapToInt(e -> e.getValue().size()).sum();
  }

  synchronized List<String> allKeys() {
    return new ArrayList<>(objects.keySet());
  }

  private <T> CompletableFuture<T> guard(String op, java.util.function.Supplier<T> body) {
    if (failing.test(op)) {
      return CompletableFuture.failedFuture(new StorageException(op + ": 503 Slow Down", 503, true, null));
    }
    synchronized (this) {
      try {
        return CompletableFuture.completedFuture(body.get());
      } catch (StorageException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  private static StorageException notFound(String what) {
    return new StorageException(what + ": 404", 404, false, null);
  }

  private Stored current(String bucket, String key) {
    List<Stored> versions = objects.get(bucket + "/" + key);
    if (versions == null || versions.isEmpty() || versions.get(versions.size() - 1).marker()) {
      return null;
    }
    return versions.get(versions.size() - 1);
  }

  private ObjectInfo store(String bucket, String key, byte[] body) {
    String versionId = versioned ? "v" + ids.incrementAndGet() : null;
    List<Stored> versions = objects.computeIfAbsent(bucket + "/" + key, k -> new ArrayList<>());
    if (!versioned) {
      versions.clear();
    }
    versions.add(new Stored(versionId, body.clone(), clock.instant(), false));
    return new ObjectInfo(key, body.length, "etag", versionId, clock.instant(), Map.of());
  }

  @Override
  public CompletableFuture<Void> ensureBucket(String bucket) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Boolean> isReachable(String bucket) {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public CompletableFuture<ObjectInfo> put(String bucket, String key, byte[] body, Map<String, String> metadata) {
    return guard("put " + key, () -> store(bucket, key, body));
  }

  @Override
  public CompletableFuture<ObjectInfo> putIfAbsent(String bucket, String key, byte[] body,
      Map<String, String> metadata) {
    return guard("put " + key, () -> {
      if (current(bucket, key) != null) {
        throw new StorageException("put " + key + ": 412", 412, false, null);
      }
      return store(bucket, key, body);
    });
  }

  @Override
  public CompletableFuture<Boolean> supportsConditionalWrites(String bucket) {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public CompletableFuture<byte[]> get(String bucket, String key) {
    return getVersionRange(bucket, key, null, 0, Long.MAX_VALUE);
  }

  @Override
  public CompletableFuture<byte[]> getRange(String bucket, String key, long offset, long length) {
    return getVersionRange(bucket, key, null, offset, length);
  }

  @Override
  public CompletableFuture<byte[]> getVersionRange(String bucket, String key, String versionId, long offset,
      long length) {
    return guard("get " + key, () -> {
      Stored stored = versionId == null ? current(bucket, key) : objects.getOrDefault(bucket + "/" + key, List.of())
          .stream().filter(v -> versionId.equals(v.versionId()) && !v.marker()).findFirst().orElse(null);
      if (stored == null) {
        throw notFound("get " + key);
      }
      int from = (int) Math.min(offset, stored.body().length);
      int to = (int) Math.min(stored.body().length, offset + Math.min(length, Integer.MAX_VALUE));
      return Arrays.copyOfRange(stored.body(), from, to);
    });
  }

  @Override
  public CompletableFuture<ObjectInfo> head(String bucket, String key) {
    return guard("head " + key, () -> {
      Stored stored = current(bucket, key);
      if (stored == null) {
        throw notFound("head " + key);
      }
      return new ObjectInfo(key, stored.body().length, "etag", stored.versionId(), stored.at(), Map.of());
    });
  }

  @Override
  public CompletableFuture<List<String>> listKeys(String bucket, String prefix) {
    return guard("list " + prefix, () -> objects.keySet().stream().filter(k -> k.startsWith(bucket + "/" + prefix))
        .map(k -> k.substring(bucket.length() + 1)).filter(k -> current(bucket, k) != null).toList());
  }

  @Override
  public CompletableFuture<List<ObjectVersion>> listVersions(String bucket, String prefix) {
    return guard("list-versions " + prefix, () -> {
      List<ObjectVersion> all = new ArrayList<>();
      objects.forEach((k, versions) -> {
        if (k.startsWith(bucket + "/" + prefix)) {
          for (int i = 0; i < versions.size(); i++) {
            Stored v = versions.get(i);
            all.add(new ObjectVersion(k.substring(bucket.length() + 1), v.versionId(), v.body().length, v.at(),
                v.marker(), i == versions.size() - 1));
          }
        }
      });
      return all;
    });
  }

  @Override
  public CompletableFuture<Void> delete(String bucket, String key) {
    return guard("delete " + key, () -> {
      if (versioned) {
        objects.computeIfAbsent(bucket + "/" + key, k -> new ArrayList<>())
            .add(new Stored("v" + ids.incrementAndGet(), new byte[0], clock.instant(), true));
      } else {
        objects.remove(bucket + "/" + key);
      }
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> deleteVersion(String bucket, String key, String versionId) {
    return guard("delete-version " + key, () -> {
      List<Stored> versions = objects.get(bucket + "/" + key);
      if (versions != null) {
        versions.removeIf(v -> versionId.equals(v.versionId()));
        if (versions.isEmpty()) {
          objects.remove(bucket + "/" + key);
        }
      }
      return null;
    });
  }

  @Override
  public CompletableFuture<String> createMultipartUpload(String bucket, String key, Map<String, String> metadata) {
    return guard("create-multipart " + key, () -> {
      String id = "upload-" + ids.incrementAndGet();
      uploads.put(id, new Upload(bucket, key, clock.instant(), new TreeMap<>()));
      return id;
    });
  }

  @Override
  public CompletableFuture<CompletedPart> uploadPart(String bucket, String key, String uploadId, int partNumber,
      byte[] body) {
    return guard("upload-part " + key, () -> {
      Upload upload = uploads.get(uploadId);
      if (upload == null) {
        throw notFound("upload part " + key);
      }
      upload.parts().put(partNumber, body.clone());
      return new CompletedPart(partNumber, "etag-" + partNumber, body.length);
    });
  }

  @Override
  public CompletableFuture<ObjectInfo> completeMultipartUpload(String bucket, String key, String uploadId,
      List<CompletedPart> parts) {
    return guard("complete-multipart " + key, () -> {
      Upload upload = uploads.remove(uploadId);
      if (upload == null) {
        throw notFound("complete " + key);
      }
      ByteArrayOutputStream joined = new ByteArrayOutputStream();
      upload.parts().values().forEach(joined::writeBytes);
      return store(bucket, key, joined.toByteArray());
    });
  }

  @Override
  public CompletableFuture<Void> abortMultipartUpload(String bucket, String key, String uploadId) {
    return guard("abort-multipart " + key, () -> {
      if (uploads.remove(uploadId) == null) {
        throw notFound("abort " + key);
      }
      return null;
    });
  }

  @Override
  public CompletableFuture<List<MultipartUploadInfo>> listMultipartUploads(String bucket, String prefix) {
    return guard("list-multipart " + prefix, () -> uploads.entrySet().stream()
        .filter(e -> e.getValue().bucket().equals(bucket) && e.getValue().key().startsWith(prefix))
        .map(e -> new MultipartUploadInfo(e.getValue().key(), e.getKey(), e.getValue().initiated())).toList());
  }

  @Override
  public void close() {
  }
}
