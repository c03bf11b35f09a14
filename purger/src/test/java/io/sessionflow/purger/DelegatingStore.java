package io.sessionflow.purger;

import io.sessionflow.common.storage.CompletedPart;
import io.sessionflow.common.storage.MultipartUploadInfo;
import io.sessionflow.common.storage.ObjectInfo;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Passes every call on; a test overrides the one it wants to misbehave. */
class DelegatingStore implements ObjectStore {
  private final ObjectStore target;

  DelegatingStore(ObjectStore target) {
    this.target = target;
  }

  @Override
  public CompletableFuture<Void> ensureBucket(String bucket) {
    return target.ensureBucket(bucket);
  }

  @Override
  public CompletableFuture<Boolean> isReachable(String bucket) {
    return target.isReachable(bucket);
  }

  @Override
  public CompletableFuture<ObjectInfo> put(String bucket, String key, byte[] body, Map<String, String> metadata) {
    return target.put(bucket, key, body, metadata);
  }

  @Override
  public CompletableFuture<ObjectInfo> putIfAbsent(String bucket, String key, byte[] body,
      Map<String, String> metadata) {
    return target.putIfAbsent(bucket, key, body, metadata);
  }

  @Override
  public CompletableFuture<Boolean> supportsConditionalWrites(String bucket) {
    return target.supportsConditionalWrites(bucket);
  }

  @Override
  public CompletableFuture<byte[]> get(String bucket, String key) {
    return target.get(bucket, key);
  }

  @Override
  public CompletableFuture<byte[]> getRange(String bucket, String key, long offset, long length) {
    return target.getRange(bucket, key, offset, length);
  }

  @Override
  public CompletableFuture<byte[]> getVersionRange(String bucket, String key, String versionId, long offset,
      long length) {
    return target.getVersionRange(bucket, key, versionId, offset, length);
  }

  @Override
  public CompletableFuture<ObjectInfo> head(String bucket, String key) {
    return target.head(bucket, key);
  }

  @Override
  public CompletableFuture<List<String>> listKeys(String bucket, String prefix) {
    return target.listKeys(bucket, prefix);
  }

  @Override
  public CompletableFuture<List<ObjectVersion>> listVersions(String bucket, String prefix) {
    return target.listVersions(bucket, prefix);
  }

  @Override
  public CompletableFuture<Void> delete(String bucket, String key) {
    return target.delete(bucket, key);
  }

  @Override
  public CompletableFuture<Void> deleteVersion(String bucket, String key, String versionId) {
    return target.deleteVersion(bucket, key, versionId);
  }

  @Override
  public CompletableFuture<String> createMultipartUpload(String bucket, String key, Map<String, String> metadata) {
    return target.createMultipartUpload(bucket, key, metadata);
  }

  @Override
  public CompletableFuture<CompletedPart> uploadPart(String bucket, String key, String uploadId, int partNumber,
      byte[] body) {
    return target.uploadPart(bucket, key, uploadId, partNumber, body);
  }

  @Override
  public CompletableFuture<ObjectInfo> completeMultipartUpload(String bucket, String key, String uploadId,
      List<CompletedPart> parts) {
    return target.completeMultipartUpload(bucket, key, uploadId, parts);
  }

  @Override
  public CompletableFuture<Void> abortMultipartUpload(String bucket, String key, String uploadId) {
    return target.abortMultipartUpload(bucket, key, uploadId);
  }

  @Override
  public CompletableFuture<List<MultipartUploadInfo>> listMultipartUploads(String bucket, String prefix) {
    return target.listMultipartUploads(bucket, prefix);
  }

  @Override
  public void close() {
    target.close();
  }
}
