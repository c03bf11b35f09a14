package io.sessionflow.common.crypto;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) PartLayout.ciphertextSize(length));
    try (OutputStream encrypting = aead.newEncryptingStream(out, binding.associatedData())) {
      encrypting.write(plaintext, offset, length);
    } catch (GeneralSecurityException | IOException e) {
      throw new CryptoException("cannot encrypt part " + binding.partNumber() + " of " + binding.objectName()
          + " for recording " + recordingId, false, e);
    }
    return out.toByteArray();
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
