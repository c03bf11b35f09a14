package io.sessionflow.common.crypto;

import static io.sessionflow.common.crypto.RecordingKeys.Purpose.AUDIO;
import static io.sessionflow.common.crypto.RecordingKeys.Purpose.DATA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import io.sessionflow.common.config.CryptoConfig;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.embedded.EmbeddedS3Server;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.CompletedPart;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectStores;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.common.testing.EmbeddedInfra;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Envelope encryption through real S3Proxy: multipart writes, ranged reads, tampering, key destruction. */
class EncryptedStorageIT {
  private static final String BUCKET = "sessionflow-it";
  private static final byte[] MARKER = "PLAINTEXT-AUDIO-MARKER-7f3a".getBytes(StandardCharsets.US_ASCII);
  private static Path s3Dir;
  private static EmbeddedS3Server server;
  private static ObjectStore store;
  private static RecordingKeys keys;
  private static EncryptedObjects objects;
  private static ExecutorService blocking;
  private static final long PART = StorageConfig.MIN_PART_SIZE;

  @BeforeAll
  static void start() {
    s3Dir = EmbeddedInfra.tempDir("s3-it");
    server = EmbeddedInfra.s3(s3Dir);
    store = ObjectStores.s3(EmbeddedInfra.storageConfig(server, BUCKET));
    store.ensureBucket(BUCKET).join();
    Path kekFile = KeyEncryptionKeys.createLocalIfMissing(EmbeddedInfra.tempDir("kek").resolve("kek.json"));
    Aead kek = KeyEncryptionKeys.load(new CryptoConfig(kekFile.toString()));
    blocking = Executors.newFixedThreadPool(2);
    keys = new RecordingKeys(store, BUCKET, kek, blocking);
    objects = new EncryptedObjects(store, BUCKET);
  }

  @AfterAll
  static void stop() {
    store.close();
    server.close();
    blocking.shutdown();
  }

  /** Audio-like bytes with a recognisable marker every 4 KiB, so a byte search of the disk can find leaks. */
  static byte[] markedAudio(int size, int seed) {
    byte[] data = new byte[size];
    new java.util.Random(seed).nextBytes(data);
    for (int offset = 0; offset + MARKER.length <= size; offset += 4096) {
      System.arraycopy(MARKER, 0, data, offset, MARKER.length);
    }
    return data;
  }

  private static void writeMultipart(DataKey key, String objectKey, byte[] plaintext) {
    EncryptedObjects.EncryptedUpload upload = objects.begin(key, objectKey, "raw", PART).join();
    int offset = 0;
    do {
      int length = (int) Math.min(PART, plaintext.length - offset);
      boolean last = offset + length == plaintext.length;
      upload.writePart(Arrays.copyOfRange(plaintext, offset, offset + length), length, last).join();
      offset += length;
    } while (offset < plaintext.length);
    upload.complete().join();
  }

  @Test
  void multipartObjectReadsBackWholeAndByRangesAndNothingPlainReachesTheDisk() throws Exception {
    byte[] audio = markedAudio((int) (3 * PART + 123_457), 1);
    DataKey key = keys.create("rec-multipart", AUDIO).join();
    writeMultipart(key, "raw/rec-multipart", audio);

    DataKey reloaded = keys.load("rec-multipart", AUDIO).join();
    EncryptedObjects.EncryptedObjectReader reader = objects.open(reloaded, "raw/rec-multipart", "raw").join();
    assertThat(reader.plaintextSize()).isEqualTo(audio.length);
    assertThat(reader.partCount()).isEqualTo(4);
    assertThat(reader.read(0, audio.length).join()).isEqualTo(audio);
    long[][] ranges = {{0, 1}, {PART - 10, 20}, {2 * PART + 5, PART}, {audio.length - 7, 7}, {17, 0}};
    for (long[] range : ranges) {
      assertThat(reader.read(range[0], range[1]).join())
          .isEqualTo(Arrays.copyOfRange(audio, (int) range[0], (int) (range[0] + range[1])));
    }
    assertThat(reader.readPart(3).join()).hasSize(123_457);
    assertThat(filesContaining(s3Dir, MARKER)).isEmpty();
  }

  @Test
  void theSeekableStreamReadsSkipsAndResetsAcrossParts() throws Exception {
    byte[] audio = markedAudio((int) (2 * PART + 5000), 9);
    DataKey key = keys.create("rec-seek", AUDIO).join();
    writeMultipart(key, "raw/rec-seek", audio);
    EncryptedObjects.EncryptedObjectReader reader = objects.open(key, "raw/rec-seek", "raw").join();
    try (InputStream in = reader.openStream()) {
      assertThat(in.markSupported()).isTrue();
      in.mark(Integer.MAX_VALUE);
      assertThat(in.readNBytes(10)).isEqualTo(Arrays.copyOf(audio, 10));
      assertThat(in.skip(PART + 7)).isEqualTo(PART + 7);
      assertThat(in.readNBytes(100)).isEqualTo(Arrays.copyOfRange(audio, (int) PART + 17, (int) PART + 117));
      assertThat(in.skip(Long.MAX_VALUE)).isEqualTo(audio.length - PART - 117);
      assertThat(in.read()).isEqualTo(-1);
      in.reset();
      assertThat(in.readAllBytes()).isEqualTo(audio);
    }
  }

  @Test
  void smallObjectsAndEmptyObjectsRoundTrip() {
    DataKey key = keys.create("rec-small", DATA).join();
    byte[] transcript = "{\"segments\":[]}".getBytes(StandardCharsets.UTF_8);
    objects.put(key, "transcripts/rec-small.json", "transcript", transcript).join();
    assertThat(objects.readAll(key, "transcripts/rec-small.json", "transcript").join()).isEqualTo(transcript);
    objects.put(key, "transcripts/rec-empty.json", "transcript", new byte[0]).join();
    assertThat(objects.readAll(key, "transcripts/rec-empty.json", "transcript").join()).isEmpty();
    // The same ciphertext read as another logical object fails authentication.
    assertThatThrownBy(() -> objects.readAll(key, "transcripts/rec-small.json", "analysis").join())
        .hasCauseInstanceOf(CryptoException.class);
  }

  @Test
  void anObjectMissingItsTrailingPartsFailsAuthentication() {
    byte[] audio = markedAudio((int) (2 * PART + 10), 2);
    DataKey key = keys.create("rec-trunc", AUDIO).join();
    // Write all three parts, but complete the object with only the first two: a truncated recording.
    EncryptedObjects.EncryptedUpload upload = objects.begin(key, "raw/rec-trunc", "raw", PART).join();
    List<CompletedPart> parts = new ArrayList<>();
    parts.add(upload.writePart(Arrays.copyOfRange(audio, 0, (int) PART), (int) PART, false).join());
    parts.add(upload.writePart(Arrays.copyOfRange(audio, (int) PART, (int) (2 * PART)), (int) PART, false).join());
    store.completeMultipartUpload(BUCKET, "raw/rec-trunc", upload.uploadId(), parts).join();
    EncryptedObjects.EncryptedObjectReader reader = objects.open(key, "raw/rec-trunc", "raw").join();
    assertThat(reader.readPart(0).join()).hasSize((int) PART);
    assertThatThrownBy(() -> reader.readPart(1).join()).hasCauseInstanceOf(CryptoException.class);
  }

  @Test
  void reorderedPartsAndPartsSplicedFromAnotherRecordingFailAuthentication() {
    byte[] audio = markedAudio((int) (PART + 10), 3);
    DataKey key = keys.create("rec-order", AUDIO).join();
    EncryptedObjects.EncryptedUpload upload = objects.begin(key, "raw/rec-order", "raw", PART).join();
    CompletedPart first = upload.writePart(Arrays.copyOfRange(audio, 0, (int) PART), (int) PART, false).join();
    upload.writePart(Arrays.copyOfRange(audio, (int) PART, audio.length), 10, true).join();
    upload.complete().join();
    assertThat(first.partNumber()).isEqualTo(1);
    byte[] stored = store.get(BUCKET, "raw/rec-order").join();

    DataKey other = keys.create("rec-victim", AUDIO).join();
    // The attacker's copy: recording rec-order's ciphertext placed under rec-victim's key.
    store.put(BUCKET, "raw/rec-victim", stored, Map.of(EncryptedObjects.PART_SIZE_METADATA, Long.toString(PART)))
        .join();
    assertThatThrownBy(() -> objects.readAll(other, "raw/rec-victim", "raw").join())
        .hasCauseInstanceOf(CryptoException.class);

    // Swap the two parts' positions inside rec-order's own object.
    long full = PartLayout.ciphertextSize(PART);
    byte[] swapped = new byte[stored.length];
    int tail = (int) (stored.length - full);
    System.arraycopy(stored, (int) full, swapped, 0, tail);
    System.arraycopy(stored, 0, swapped, tail, (int) full);
    store.put(BUCKET, "raw/rec-order", swapped, Map.of(EncryptedObjects.PART_SIZE_METADATA, Long.toString(PART)))
        .join();
    assertThatThrownBy(() -> objects.readAll(key, "raw/rec-order", "raw").join())
        .isInstanceOf(CompletionException.class);
  }

  @Test
  void destroyingTheDataKeyMakesTheRecordingUnreadable() {
    DataKey key = keys.create("rec-shred", DATA).join();
    objects.put(key, "transcripts/rec-shred.json", "transcript", "secret words".getBytes(StandardCharsets.UTF_8))
        .join();
    assertThat(keys.destroy("rec-shred", DATA).join()).hasSize(1);
    assertThatThrownBy(() -> keys.load("rec-shred", DATA).join())
        .satisfies(e -> assertThat(((StorageException) Failures.unwrap(e)).isNotFound()).isTrue());
    assertThat(keys.destroy("rec-shred", DATA).join()).isEmpty();
  }

  @Test
  void theWrappedKeyIsBoundToItsRecording() {
    keys.create("rec-a", AUDIO).join();
    byte[] wrappedA = store.get(BUCKET, RecordingKeys.objectKey("rec-a", AUDIO)).join();
    store.put(BUCKET, RecordingKeys.objectKey("rec-b", AUDIO), wrappedA, Map.of()).join();
    assertThatThrownBy(() -> keys.load("rec-b", AUDIO).join()).hasCauseInstanceOf(CryptoException.class);
    // Nor can an audio key pass for the data key of the same recording.
    store.put(BUCKET, RecordingKeys.objectKey("rec-a", DATA), wrappedA, Map.of()).join();
    assertThatThrownBy(() -> keys.load("rec-a", DATA).join()).hasCauseInstanceOf(CryptoException.class);
  }

  @Test
  void multipartUploadsCanBeListedAndAborted() {
    String uploadId = store.createMultipartUpload(BUCKET, "raw/rec-abandoned", Map.of()).join();
    store.uploadPart(BUCKET, "raw/rec-abandoned", uploadId, 1, new byte[1024]).join();
    assertThat(store.listMultipartUploads(BUCKET, "raw/rec-abandoned").join())
        .anySatisfy(u -> assertThat(u.uploadId()).isEqualTo(uploadId));
    store.abortMultipartUpload(BUCKET, "raw/rec-abandoned", uploadId).join();
    assertThat(store.listMultipartUploads(BUCKET, "raw/rec-abandoned").join()).isEmpty();
  }

  @Test
  void versionsAreListedEvenWhereTheBackendHasNoVersioning() {
    store.put(BUCKET, "raw/versions/one", new byte[] {1}, Map.of()).join();
    assertThat(store.listVersions(BUCKET, "raw/versions/").join())
        .singleElement().satisfies(v -> assertThat(v.key()).isEqualTo("raw/versions/one"));
  }

  @Test
  void conditionalWritesRefuseToOverwriteWhereSupported() {
    // S3Proxy, like AWS S3 and MinIO, honours If-None-Match on PUT.
    assertThat(store.supportsConditionalWrites(BUCKET).join()).isTrue();
    store.putIfAbsent(BUCKET, "state/once", new byte[] {1}, Map.of()).join();
    assertThatThrownBy(() -> store.putIfAbsent(BUCKET, "state/once", new byte[] {2}, Map.of()).join())
        .satisfies(e -> assertThat(((StorageException) Failures.unwrap(e)).isPreconditionFailed()).isTrue());
    assertThat(store.get(BUCKET, "state/once").join()).containsExactly(1);
  }

  @Test
  void missingObjectsAndUnreachableStoresFailWithClearErrors() {
    assertThatThrownBy(() -> store.get(BUCKET, "raw/none").join())
        .satisfies(e -> {
          StorageException se = (StorageException) Failures.unwrap(e);
          assertThat(se.isNotFound()).isTrue();
          assertThat(se.retryable()).isFalse();
          assertThat(se).hasMessageContaining("get sessionflow-it/raw/none failed: HTTP 404");
        });
    StorageConfig nowhere = new StorageConfig(java.util.Optional.of(java.net.URI.create("http://127.0.0.1:1")),
        "us-east-1", BUCKET, BUCKET, "a", "b", true, PART);
    try (ObjectStore dead = ObjectStores.s3(nowhere)) {
      assertThat(dead.isReachable(BUCKET).join()).isFalse();
      assertThatThrownBy(() -> dead.get(BUCKET, "x").join())
          .satisfies(e -> assertThat(((StorageException) Failures.unwrap(e)).retryable()).isTrue());
    }
  }

  static List<Path> filesContaining(Path root, byte[] needle) throws IOException {
    List<Path> hits = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (contains(file, needle)) {
          hits.add(file);
        }
      }
    }
    return hits;
  }

  private static boolean contains(Path file, byte[] needle) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] data = in.readAllBytes();
      outer:
      for (int i = 0; i + needle.length <= data.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (data[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
    }
    return false;
  }
}
