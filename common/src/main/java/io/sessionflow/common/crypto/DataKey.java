package io.sessionflow.common.crypto;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;

/**
 * One recording's data key (DEK), unwrapped, in memory only. Encrypts and decrypts whole parts;
 * every part is bound to its {@link PartBinding}.
 */
public final class DataKey {
  private final String recordingId;
  private final StreamingAead aead;

  DataKey(String recordingId, KeysetHandle keyset) {
    this.recordingId = recordingId;
    try {
      this.aead = keyset.getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
    } catch (GeneralSecurityException e) {
      throw new CryptoException("data key of recording " + recordingId + " is unusable", false, e);
    }
  }

  public String recordingId() {
    return recordingId;
  }

  public byte[] encryptPart(PartBinding binding, byte[] plaintext) {
    return encryptPart(binding, plaintext, 0, plaintext.length);
  }

  public byte[] encryptPart(PartBinding binding, byte[] plaintext, int offset, int length) {
    checkBinding(binding);
    // Written straight into an array of the exact ciphertext size: one copy of the part, not three.
    ExactArrayOutputStream out = new ExactArrayOutputStream((int) PartLayout.ciphertextSize(length));
    try (OutputStream encrypting = aead.newEncryptingStream(out, binding.associatedData())) {
      encrypting.write(plaintext, offset, length);
    } catch (GeneralSecurityException | IOException e) {
      throw new CryptoException("cannot encrypt part " + binding.partNumber() + " of " + binding.objectName()
          + " for recording " + recordingId, false, e);
    }
    return out.array();
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

    ExactArrayOutputStream(int size) {
      this.array = new byte[size];
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
    try (InputStream decrypting = aead.newDecryptingStream(new ByteArrayInputStream(ciphertext),
        binding.associatedData())) {
      return decrypting.readAllBytes();
    } catch (GeneralSecurityException | IOException e) {
      throw new CryptoException("part " + binding.partNumber() + " of " + binding.objectName() + " for recording "
          + recordingId + " failed authentication", false, e);
    }
  }

  private void checkBinding(PartBinding binding) {
    if (!binding.recordingId().equals(recordingId)) {
      throw new CryptoException("data key of recording " + recordingId + " used for recording "
          + binding.recordingId(), false, null);
    }
  }
}
