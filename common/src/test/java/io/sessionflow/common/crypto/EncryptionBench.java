package io.sessionflow.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Streaming encryption of upload parts on one thread (one core), the work each upload does per
 * part, in MB/s; decryption too. Run by {@code bench/encryption-bench.sh}, which sets it beside
 * {@code openssl speed -evp aes-256-gcm} (the machine's ceiling for the cipher). Not a test:
 * excluded from the suite by its tag.
 */
@Tag("bench")
class EncryptionBench {
  private static final int PART = 8 << 20;

  @Test
  void encryptAndDecryptPartsOnOneCore() throws Exception {
    DataKey key = DataKeyTest.newKey("0123456789abcdef0123456789abcdef");
    byte[] part = new byte[PART];
    new SplittableRandom(7).nextBytes(part);
    PartBinding binding = new PartBinding(key.recordingId(), "raw", 1, false);
    double seconds = Double.parseDouble(System.getProperty("bench.seconds", "10"));
    // Warm up until the JIT has compiled the AES-GCM intrinsics: a cold run is ten times slower.
    run(key, binding, part, Double.parseDouble(System.getProperty("bench.warmup.seconds", "10")));
    double[] rates = run(key, binding, part, seconds);
    System.out.printf("encrypt_mb_per_s=%.1f%n", rates[0]);
    System.out.printf("decrypt_mb_per_s=%.1f%n", rates[1]);
    // What an upload's first body does to each part: the recording's SHA-256 and encryption, in one
    // pass (each segment hashed just before it is encrypted) and, for comparison, in two.
    java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
    hashed(key, binding, part, sha256, true, seconds);
    System.out.printf("hash_and_encrypt_one_pass_mb_per_s=%.1f%n", hashed(key, binding, part, sha256, true, seconds));
    System.out.printf("hash_and_encrypt_two_passes_mb_per_s=%.1f%n",
        hashed(key, binding, part, sha256, false, seconds));
  }

  private static double hashed(DataKey key, PartBinding binding, byte[] part, java.security.MessageDigest sha256,
      boolean onePass, double seconds) {
    long bytes = 0;
    long started = System.nanoTime();
    while (System.nanoTime() - started < seconds * 1e9) {
      if (onePass) {
        key.encryptPart(binding, part, 0, part.length, sha256);
      } else {
        sha256.update(part);
        key.encryptPart(binding, part);
      }
      bytes += part.length;
    }
    return bytes / 1e6 / ((System.nanoTime() - started) / 1e9);
  }

  private static double[] run(DataKey key, PartBinding binding, byte[] part, double seconds) {
    long bytes = 0;
    byte[] ciphertext = null;
    long started = System.nanoTime();
    while (System.nanoTime() - started < seconds * 1e9) {
      ciphertext = key.encryptPart(binding, part);
      bytes += part.length;
    }
    double encrypt = bytes / 1e6 / ((System.nanoTime() - started) / 1e9);
    bytes = 0;
    started = System.nanoTime();
    byte[] plaintext = null;
    while (System.nanoTime() - started < seconds * 1e9) {
      plaintext = key.decryptPart(binding, ciphertext);
      bytes += plaintext.length;
    }
    double decrypt = bytes / 1e6 / ((System.nanoTime() - started) / 1e9);
    assertThat(Arrays.equals(plaintext, part)).isTrue();
    return new double[] {encrypt, decrypt};
  }
}
