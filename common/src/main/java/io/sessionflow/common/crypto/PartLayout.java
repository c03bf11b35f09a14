package io.sessionflow.common.crypto;

/**
 * Sizes of encrypted objects. Every part of an object is its own AES256_GCM_HKDF_1MB stream
 * (Tink): a 40-byte header, then 1 MiB ciphertext segments each ending in a 16-byte tag (the
 * first segment also holds the header). All parts but the last hold exactly {@code partSize}
 * plaintext bytes, so the ciphertext offset of any part follows from its number alone and a
 * reader can fetch and decrypt parts one by one, from any point.
 */
public final class PartLayout {
  static final int HEADER_BYTES = 1 + 32 + 7;
  static final int TAG_BYTES = 16;
  static final int SEGMENT_BYTES = 1 << 20;
  private static final long FIRST_SEGMENT_PLAINTEXT = SEGMENT_BYTES - HEADER_BYTES - TAG_BYTES;
  private static final long SEGMENT_PLAINTEXT = SEGMENT_BYTES - TAG_BYTES;

  private final long partSize;

  public PartLayout(long partSize) {
    if (partSize < 1) {
      throw new IllegalArgumentException("partSize must be positive");
    }
    this.partSize = partSize;
  }

  public long partSize() {
    return partSize;
  }

  /** Ciphertext bytes of one part holding {@code plaintextBytes}. */
  public static long ciphertextSize(long plaintextBytes) {
    long segments = 1;
    if (plaintextBytes > FIRST_SEGMENT_PLAINTEXT) {
      segments += (plaintextBytes - FIRST_SEGMENT_PLAINTEXT + SEGMENT_PLAINTEXT - 1) / SEGMENT_PLAINTEXT;
    }
    return HEADER_BYTES + plaintextBytes + segments * TAG_BYTES;
  }

  /** Parts of an object of {@code plaintextBytes}; an empty object still has one (empty, last) part. */
  public long partCount(long plaintextBytes) {
    return Math.max(1, (plaintextBytes + partSize - 1) / partSize);
  }

  public long fullPartCiphertextSize() {
    return ciphertextSize(partSize);
  }

  /** Ciphertext size of a whole object. */
  public long objectCiphertextSize(long plaintextBytes) {
    long parts = partCount(plaintextBytes);
    long lastPlaintext = plaintextBytes - (parts - 1) * partSize;
    return (parts - 1) * fullPartCiphertextSize() + ciphertextSize(lastPlaintext);
  }

  /** Plaintext size of an object from its ciphertext size; fails if no plaintext size fits. */
  public long plaintextSize(long ciphertextBytes) {
    long full = fullPartCiphertextSize();
    long fullParts = ciphertextBytes / full;
    long rest = ciphertextBytes - fullParts * full;
    if (rest == 0 && fullParts > 0) {
      return fullParts * partSize;
    }
    long lastPlaintext = lastPartPlaintext(rest);
    if (lastPlaintext < 0) {
      throw new CryptoException("object size " + ciphertextBytes + " is not a valid encrypted size", false, null);
    }
    return fullParts * partSize + lastPlaintext;
  }

  private static long lastPartPlaintext(long ciphertextBytes) {
    long guess = ciphertextBytes - HEADER_BYTES - TAG_BYTES;
    for (long candidate = Math.max(0, guess - (guess / SEGMENT_PLAINTEXT + 2) * TAG_BYTES); candidate <= guess;
        candidate++) {
      if (ciphertextSize(candidate) == ciphertextBytes) {
        return candidate;
      }
    }
    return -1;
  }
}
