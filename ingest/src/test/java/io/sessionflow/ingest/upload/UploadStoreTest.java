package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.storage.CompletedPart;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class UploadStoreTest {
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final UploadStore store = new UploadStore(objects, "b", new EncryptedObjects(objects, "b"));

  private static UploadState state(int parts, long tail) {
    Instant now = Instant.parse("2026-11-20T10:00:00Z");
    List<CompletedPart> done = java.util.stream.IntStream.rangeClosed(1, parts)
        .mapToObj(n -> new CompletedPart(n, "e" + n, 5L << 20)).toList();
    return new UploadState(1, "up1", "prac", "ther", "cons", 20L << 20, 0, 5L << 20, "mpu", List.of(), 0, now,
        now.plusSeconds(600), UploadState.Concat.NONE, UploadState.Status.RECEIVING, null, null, false, "tus",
        List.of(), null)
        .withProgress(done, tail, now.plusSeconds(600));
  }

  private DataKey key() throws Exception {
    io.sessionflow.common.crypto.KeyEncryptionKeys.init();
    Aead kek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM).getPrimitive(Aead.class);
    return new RecordingKeys(objects, "b", kek, Runnable::run).create("up1", RecordingKeys.Purpose.AUDIO).join();
  }

  @Test
  void aTailWrittenForAStateThatWasNeverSavedDoesNotBreakTheStateInForce() throws Exception {
    DataKey key = key();
    UploadState saved = state(1, 5);
    store.saveTail(key, saved, "hello".getBytes(StandardCharsets.US_ASCII), 5).join();
    store.save(saved).join();

    // A later request writes its tail, then dies before its state is saved.
    UploadState lost = state(1, 12);
    store.saveTail(key, lost, "hello, world".getBytes(StandardCharsets.US_ASCII), 12).join();

    UploadState inForce = store.load("up1").join().orElseThrow();
    assertThat(new String(store.loadTail(key, inForce).join(), StandardCharsets.US_ASCII)).isEqualTo("hello");

    // Once a newer state is saved, the tails it does not point at go.
    store.save(lost).join();
    store.dropStaleTails(lost).join();
    assertThat(objects.listKeys("b", "uploads/up1/tail").join()).containsExactly("uploads/up1/tail."
        + lost.offset());
    store.deleteUploadObjects("up1").join();
    assertThat(objects.listKeys("b", "uploads/up1/").join()).isEmpty();
  }
}
