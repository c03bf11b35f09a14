package io.sessionflow.common.crypto;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingKey;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.StreamSegmentDecrypter;
import com.google.crypto.tink.subtle.StreamSegmentEncrypter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * One recording's data key (DEK), unwrapped, in memory only. Encrypts and decrypts whole parts;
 * every part is bound to its {@link PartBinding}.
 *
 * <p>A whole part in memory is encrypted and decrypted segment by segment with Tink's own segment
 * encrypter, straight between the caller's array and one of the exact result size: the bytes
 * Tink's streams would write are the same (a part either way is one AES256_GCM_HKDF_1MB stream,
 * see {@link PartLayout}), without the two copies per byte those streams make through their
 * segment buffers. A keyset that is not a single such key (none is written so) goes through the
 * streams.
 */
public final class DataKey {
  private final String recordingId;
  private final StreamingAead aead;
  /** The keyset's one AES-GCM-HKDF key as Tink's segment cipher, or null (then the streams serve). */
  private final AesGcmHkdfStreaming segments;

  DataKey(String recordingId, KeysetHandle keyset) {
    this.recordingId = recordingId;
    try {
      this.aead = keyset.getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
      this.segments = keyset.size() == 1 && keyset.getPrimary().getKey() instanceof AesGcmHkdfStreamingKey key
          && AesGcmHkdfStreaming.create(key) instanceof AesGcmHkdfStreaming cipher
          && cipher.getCiphertextSegmentSize() == PartLayout.SEGMENT_BYTES
          && cipher.getHeaderLength() == PartLayout.HEADER_BYTES && cipher.getFirstSegmentOffset() == 0
          ? cipher : null;
    } catch (GeneralSecurityException e) {
      throw new CryptoException("data key of recording " + recordingId + " is unusable", false, e);
    }
  }

  public String recordingId() {
    return recordingId;
  }

  /** Whether parts go through Tink's segment cipher between arrays (every key Sessionflow writes does). */
  boolean bySegments() {
    return segments != null;
  }

  public byte[] encryptPart(PartBinding binding, byte[] plaintext) {
    return encryptPart(binding, plaintext, 0, plaintext.length);
  }

  public byte[] encryptPart(PartBinding binding, byte[] plaintext, int offset, int length) {
    return encryptPart(binding, plaintext, offset, length, null);
  }

  /**
   * Encrypts a part and, when {@code hash} is given, hashes its plaintext in the same pass: each
   * segment is hashed just before it is encrypted, while it is still in the CPU's cache.
   */
  public byte[] encryptPart(PartBinding binding, byte[] plaintext, int offset, int length, MessageDigest hash) {
    return encryptPart(binding, plaintext, offset, length, hash, new byte[(int) PartLayout.ciphertextSize(length)]);
  }

  /**
   * As {@link #encryptPart(PartBinding, byte[], int, int, MessageDigest)}, into {@code into}: an
   * array of exactly {@link PartLayout#ciphertextSize} bytes (reused by the caller), which it returns.
   */
  public byte[] encryptPart(PartBinding binding, byte[] plaintext, int offset, int length, MessageDigest hash,
      byte[] into) {
    checkBinding(binding);
    if (into.length != PartLayout.ciphertextSize(length)) {
      throw new IllegalArgumentException("a part of " + length + " bytes needs " + PartLayout.ciphertextSize(length)
          + " bytes of ciphertext, not " + into.length);
    }
    if (segments != null) {
      return encryptSegments(binding, plaintext, offset, length, hash, into);
    }
    if (hash != null) {
      hash.update(plaintext, offset, length);
    }
    // Written straight into the array of the exact ciphertext size.
    ExactArrayOutputStream out = new ExactArrayOutputStream(into);
    try (OutputStream encrypting = aead.newEncryptingStream(out, binding.associatedData())) {
      encrypting.write(plaintext, offset, length);
    } catch (GeneralSecurityException | IOException e) {
      throw new CryptoException("cannot encrypt part " + binding.partNumber() + " of " + binding.objectName()
          + " for recording " + recordingId, false, e);
    }
    return out.array();
  }

  private byte[] encryptSegments(PartBinding binding, byte[] plaintext, int offset, int length,
      MessageDigest hash, byte[] ciphertext) {
    try {
      StreamSegmentEncrypter encrypter = segments.newStreamSegmentEncrypter(binding.associatedData());
      ByteBuffer out = ByteBuffer.wrap(ciphertext);
      out.put(encrypter.getHeader());
      int position = offset;
      int end = offset + length;
      int segment = PartLayout.SEGMENT_BYTES - PartLayout.HEADER_BYTES - PartLayout.TAG_BYTES;
      do {
        int take = Math.min(end - position, segment);
        if (hash != null) {
          hash.update(plaintext, position, take);
        }
        encrypter.encryptSegment(ByteBuffer.wrap(plaintext, position, take), position + take == end, out);
        position += take;
        segment = PartLayout.SEGMENT_BYTES - PartLayout.TAG_BYTES;
      } while (position < end);
      if (out.hasRemaining()) {
        throw new IllegalStateException("ciphertext of " + out.position() + " bytes, expected " + ciphertext.length);
      }
    } catch (GeneralSecurityException e) {
      throw new CryptoException("cannot encrypt part " + binding.partNumber() + " of " + binding.objectName()
          + " for recording " + recordingId, false, e);
    }
    return ciphertext;
  }

  /** Decrypts one part as a stream: ciphertext is read, and authenticated, segment by segment. */
  public InputStream decryptingStream(PartBinding binding, InputStream ciphertext) {
    checkBinding(binding);
    try {
      return aead.newDecryptingStream(ciphertext, binding.associatedData());
    } catch (GeneralSecurityException | IOException e) {
      throw new CryptoException("part " + binding.partNumber() + " of " + binding.objectName() + " for recording "
          + recordingId + " cannot be opened", false, e);
    }
  }

  /** An output stream over an array of known size; writing past it is a bug in the size formula. */
  private static final class ExactArrayOutputStream extends OutputStream {
    private final byte[] array;
    private int position;

    ExactArrayOutputStream(byte[] array) {
      this.array = array;
    }

    @Override
    public void write(int b) {
      array[position++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, array, position, len);
      position += len;
    }

    byte[] array() {
      if (position != array.length) {
        throw new IllegalStateException("ciphertext of " + position + " bytes, expected " + array.length);
      }
      return array;
    }
  }

  /** Decrypts one part; fails with a non-retryable {@link CryptoException} unless it authenticates. */
  public byte[] decryptPart(PartBinding binding, byte[] ciphertext) {
    checkBinding(binding);
    if (segments != null) {
      return decryptSegments(binding, ciphertext);
    }
    try (InputStream decrypting = aead.newDecryptingStream(new ByteArrayInputStream(ciphertext),
        binding.associatedData())) {
      return decrypting.readAllBytes();
    } catch (GeneralSecurityException | IOException e) {
      throw new CryptoException("part " + binding.partNumber() + " of " + binding.objectName() + " for recording "
          + recordingId + " failed authentication", false, e);
    }
  }

  /** Segment by segment, from the part's array into one of the plaintext's exact size. */
  private byte[] decryptSegments(PartBinding binding, byte[] ciphertext) {
    int header = PartLayout.HEADER_BYTES;
    int firstSegment = PartLayout.SEGMENT_BYTES - header;
    // Segments: the first holds the header; each holds a tag; only the last may be short.
    int count = ciphertext.length <= PartLayout.SEGMENT_BYTES ? 1
        : 1 + (ciphertext.length - PartLayout.SEGMENT_BYTES + PartLayout.SEGMENT_BYTES - 1) / PartLayout.SEGMENT_BYTES;
    int lastSize = ciphertext.length - header
        - (count == 1 ? 0 : firstSegment + (count - 2) * PartLayout.SEGMENT_BYTES);
    if (ciphertext.length < header + PartLayout.TAG_BYTES || lastSize < PartLayout.TAG_BYTES) {
      throw failedAuthentication(binding, null);
    }
    byte[] plaintext = new byte[ciphertext.length - header - count * PartLayout.TAG_BYTES];
    try {
      StreamSegmentDecrypter decrypter = segments.newStreamSegmentDecrypter();
      decrypter.init(ByteBuffer.wrap(ciphertext, 0, header), binding.associatedData());
      ByteBuffer out = ByteBuffer.wrap(plaintext);
      int position = header;
      for (int i = 0; i < count; i++) {
        int size = i == count - 1 ? lastSize : i == 0 ? firstSegment : PartLayout.SEGMENT_BYTES;
        decrypter.decryptSegment(ByteBuffer.wrap(ciphertext, position, size), i, i == count - 1, out);
        position += size;
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw failedAuthentication(binding, e);
    }
    return plaintext;
  }

  private CryptoException failedAuthentication(PartBinding binding, Exception cause) {
    return new CryptoException("part " + binding.partNumber() + " of " + binding.objectName() + " for recording "
        + recordingId + " failed authentication", false, cause);
  }

  private void checkBinding(PartBinding binding) {
    if (!binding.recordingId().equals(recordingId)) {
      throw new CryptoException("data key of recording " + recordingId + " used for recording "
          + binding.recordingId(), false, null);
    }
  }
}
