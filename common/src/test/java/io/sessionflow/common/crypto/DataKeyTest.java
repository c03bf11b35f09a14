package io.sessionflow.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DataKeyTest {
  static {
    KeyEncryptionKeys.init();
  }

  static DataKey newKey(String recordingId) throws Exception {
    return new DataKey(recordingId, KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB));
  }

  static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1000, 1_048_519, 1_048_520, 1_048_521, 2_097_080, 2_097_081, 5 << 20, (5 << 20) + 17})
  void ciphertextSizeFormulaMatchesTink(int size) throws Exception {
    DataKey key = newKey("rec1");
    byte[] ciphertext = key.encryptPart(new PartBinding("rec1", "raw", 1, true), random(size, size));
    assertThat((long) ciphertext.length).isEqualTo(PartLayout.ciphertextSize(size));
  }

  /**
   * Parts are encrypted and decrypted segment by segment straight between arrays; the bytes must
   * be exactly Tink's streaming AEAD, both ways, at every segment boundary, and the plaintext hash
   * taken in the same pass must be its SHA-256.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1_048_519, 1_048_520, 1_048_521, 2_097_080, 2_097_081, 2_097_082, 8 << 20, (8 << 20) + 3})
  void segmentByteCiphertextIsTinksStreamBothWays(int size) throws Exception {
    KeysetHandle keyset = KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB);
    DataKey key = new DataKey("rec1", keyset);
    assertThat(key.bySegments()).as("the segment path, not Tink's streams").isTrue();
    com.google.crypto.tink.StreamingAead tink = keyset.getPrimitive(
        com.google.crypto.tink.RegistryConfiguration.get(), com.google.crypto.tink.StreamingAead.class);
    PartBinding binding = new PartBinding("rec1", "raw", 3, size % 2 == 0);
    byte[] plaintext = random(size + 5, size);
    java.security.MessageDigest hash = java.security.MessageDigest.getInstance("SHA-256");

    byte[] ours = key.encryptPart(binding, plaintext, 5, size, hash);
    assertThat(hash.digest()).isEqualTo(java.security.MessageDigest.getInstance("SHA-256")
        .digest(Arrays.copyOfRange(plaintext, 5, size + 5)));
    try (java.io.InputStream in = tink.newDecryptingStream(new java.io.ByteArrayInputStream(ours),
        binding.associatedData())) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(plaintext, 5, size + 5));
    }
    java.io.ByteArrayOutputStream theirs = new java.io.ByteArrayOutputStream();
    try (java.io.OutputStream out = tink.newEncryptingStream(theirs, binding.associatedData())) {
      out.write(plaintext, 5, size);
    }
    assertThat(theirs.size()).isEqualTo(ours.length);
    assertThat(key.decryptPart(binding, theirs.toByteArray())).isEqualTo(Arrays.copyOfRange(plaintext, 5, size + 5));
    assertThat(key.decryptPart(binding, ours)).isEqualTo(Arrays.copyOfRange(plaintext, 5, size + 5));
  }

  @Test
  void aCiphertextCutAtASegmentBoundaryOrTooShortFailsAuthentication() throws Exception {
    DataKey key = newKey("rec1");
    PartBinding binding = new PartBinding("rec1", "raw", 1, true);
    byte[] ciphertext = key.encryptPart(binding, random(3 << 20, 9));
    for (int cut : new int[] {PartLayout.SEGMENT_BYTES, 2 * PartLayout.SEGMENT_BYTES, 10, 0,
        PartLayout.SEGMENT_BYTES + 5}) {
      assertThatThrownBy(() -> key.decryptPart(binding, Arrays.copyOf(ciphertext, cut)))
          .isInstanceOf(CryptoException.class).hasMessageContaining("failed authentication");
    }
  }

  @Test
  void layoutInvertsObjectSizes() {
    PartLayout layout = new PartLayout(5L << 20);
    for (long size : new long[] {0, 1, 5L << 20, (5L << 20) + 1, 3 * (5L << 20), 3 * (5L << 20) + 999_999}) {
      assertThat(layout.plaintextSize(layout.objectCiphertextSize(size))).isEqualTo(size);
    }
    assertThat(layout.partCount(0)).isEqualTo(1);
    assertThat(layout.partCount(10L << 20)).isEqualTo(2);
    assertThatThrownBy(() -> layout.plaintextSize(10)).isInstanceOf(CryptoException.class);
  }

  @Test
  void roundTripsAndHidesThePlaintext() throws Exception {
    DataKey key = newKey("rec1");
    byte[] plaintext = "RIFF....WAVEfmt sessionflow-plaintext-marker".repeat(1000).getBytes();
    PartBinding binding = new PartBinding("rec1", "raw", 1, true);
    byte[] ciphertext = key.encryptPart(binding, plaintext);
    assertThat(new String(ciphertext, java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain("sessionflow-plaintext-marker");
    assertThat(key.decryptPart(binding, ciphertext)).isEqualTo(plaintext);
  }

  @Test
  void reorderedPartsFailAuthentication() throws Exception {
    DataKey key = newKey("rec1");
    byte[] part1 = key.encryptPart(new PartBinding("rec1", "raw", 1, false), random(1000, 1));
    assertThatThrownBy(() -> key.decryptPart(new PartBinding("rec1", "raw", 2, false), part1))
        .isInstanceOf(CryptoException.class).hasMessageContaining("failed authentication");
  }

  @Test
  void droppingTrailingPartsFailsAuthentication() throws Exception {
    DataKey key = newKey("rec1");
    byte[] notLast = key.encryptPart(new PartBinding("rec1", "raw", 2, false), random(1000, 2));
    // A truncated object makes part 2 the last one: it was not written as last, so it must not pass as last.
    assertThatThrownBy(() -> key.decryptPart(new PartBinding("rec1", "raw", 2, true), notLast))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void truncatedOrAlteredPartFailsAuthentication() throws Exception {
    DataKey key = newKey("rec1");
    PartBinding binding = new PartBinding("rec1", "raw", 1, true);
    byte[] ciphertext = key.encryptPart(binding, random(3 << 20, 3));
    byte[] truncated = Arrays.copyOf(ciphertext, ciphertext.length - (1 << 20));
    assertThatThrownBy(() -> key.decryptPart(binding, truncated)).isInstanceOf(CryptoException.class);
    byte[] flipped = ciphertext.clone();
    flipped[flipped.length / 2] ^= 1;
    assertThatThrownBy(() -> key.decryptPart(binding, flipped)).isInstanceOf(CryptoException.class);
  }

  @Test
  void partsCannotBeSplicedBetweenRecordingsOrObjects() throws Exception {
    DataKey key = newKey("rec1");
    byte[] ciphertext = key.encryptPart(new PartBinding("rec1", "raw", 1, true), random(1000, 4));
    assertThatThrownBy(() -> key.decryptPart(new PartBinding("rec1", "transcript", 1, true), ciphertext))
        .isInstanceOf(CryptoException.class);
    DataKey otherRecording = newKey("rec2");
    assertThatThrownBy(() -> otherRecording.decryptPart(new PartBinding("rec2", "raw", 1, true), ciphertext))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> key.decryptPart(new PartBinding("rec2", "raw", 1, true), ciphertext))
        .isInstanceOf(CryptoException.class).hasMessageContaining("used for recording rec2");
  }

  @Test
  void idsAreRestrictedToASafeAlphabet() {
    assertThatThrownBy(() -> new PartBinding("../keys/x", "raw", 1, true)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Ids.isValid(Ids.newId())).isTrue();
    assertThat(Ids.isValid("a/b")).isFalse();
  }
}
