package io.sessionflow.ingest.upload;

import io.sessionflow.common.storage.CompletedPart;
import io.sessionflow.common.storage.MultipartUploadInfo;
import io.sessionflow.common.storage.ObjectInfo;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import io.sessionflow.common.storage.StorageException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/** Plain objects in a map, for unit tests of code that only puts, gets, lists and deletes. */
public final class InMemoryObjectStore implements ObjectStore {
  final Map<String, byte[]> objects = new ConcurrentSkipListMap<>();
  /** Puts of keys under this prefix fail as if the store were unreachable; null fails none. */
  volatile String unreachablePrefix;

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
    String failing = unreachablePrefix;
    if (failing != null && key.startsWith(failing)) {
      return CompletableFuture.failedFuture(new StorageException("put " + key, 0, true, null));
    }
    objects.put(bucket + "/" + key, body.clone());
    return CompletableFuture.completedFuture(new ObjectInfo(key, body.length, "etag", null, null, metadata));
  }

  @Override
  public CompletableFuture<ObjectInfo> putIfAbsent(String bucket, String key, byte[] body,
      Map<String, String> metadata) {
    if (objects.containsKey(bucket + "/" + key)) {
      return CompletableFuture.failedFuture(new StorageException("exists", 412, false, null));
    }
    return put(bucket, key, body, metadata);
  }

  @Override
  public CompletableFuture<Boolean> supportsConditionalWrites(String bucket) {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public CompletableFuture<byte[]> get(String bucket, String key) {
    byte[] body = objects.get(bucket + "/" + key);
    return body == null ? CompletableFuture.failedFuture(new StorageException("get " + key, 404, false, null))
        : CompletableFuture.completedFuture(body.clone());
  }

  @Override
  public CompletableFuture<List<String>> listKeys(String bucket, String prefix) {
    return CompletableFuture.completedFuture(objects.keySet().stream().filter(k -> k.startsWith(bucket + "/" + prefix))
        .map(k -> k.substring(bucket.length() + 1)).toList());
  }

  @Override
  public CompletableFuture<Void> delete(String bucket, String key) {
    objects.remove(bucket + "/" + key);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<byte[]> getRange(String bucket, String key, long offset, long length) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<byte[]> getVersionRange(String bucket, String key, String versionId, long offset,
      long length) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<ObjectInfo> head(String bucket, String key) {
    byte[] body = objects.get(bucket + "/" + key);
    return body == null ? CompletableFuture.failedFuture(new StorageException("head " + key, 404, false, null))
        : CompletableFuture.completedFuture(new ObjectInfo(key, body.length, "etag", null, null, Map.of()));
  }

  @Override
  public CompletableFuture<List<ObjectVersion>> listVersions(String bucket, String prefix) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<Void> deleteVersion(String bucket, String key, String versionId) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<String> createMultipartUpload(String bucket, String key, Map<String, String> metadata) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<CompletedPart> uploadPart(String bucket, String key, String uploadId, int partNumber,
      byte[] body) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<ObjectInfo> completeMultipartUpload(String bucket, String key, String uploadId,
      List<CompletedPart> parts) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<Void> abortMultipartUpload(String bucket, String key, String uploadId) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletableFuture<List<MultipartUploadInfo>> listMultipartUploads(String bucket, String prefix) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() {
  }
}
