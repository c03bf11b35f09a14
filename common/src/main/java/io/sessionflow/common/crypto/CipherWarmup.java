package io.sessionflow.common.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the JIT to compile AES-GCM down to its CPU intrinsics (AES-NI, carry-less multiply) before
 * recordings need it. HotSpot uses those intrinsics only in code compiled after enough calls, and
 * a part is only a few calls however large it is: a fresh process encrypted uploads with the
 * cipher's plain-Java fallback, several times slower, until about a gigabyte had gone through it.
 * Many small messages under a throwaway key reach the thresholds in well under a second (0.4 s on
 * one core here; the first 64 MiB then encrypt at about 800 MB/s instead of 80).
 */
public final class CipherWarmup {
  private static final Logger LOG = LoggerFactory.getLogger(CipherWarmup.class);
  private static final AtomicBoolean STARTED = new AtomicBoolean();
  /** Enough calls for tiered compilation's last tier (a few thousand), on parts of a few KiB. */
  static final int ROUNDS = 20_000;
  private static final int MESSAGE = 4096;

  private CipherWarmup() {
  }

  /** Runs the warm-up on a background thread of its own, once per process; returns at once. */
  public static void startInBackground() {
    if (!STARTED.compareAndSet(false, true)) {
      return;
    }
    Thread thread = new Thread(CipherWarmup::run, "sessionflow-cipher-warmup");
    thread.setDaemon(true);
    thread.setPriority(Thread.MIN_PRIORITY);
    thread.start();
  }

  /**
   * Encrypts and decrypts {@link #ROUNDS} small messages with AES-256-GCM through the same
   * {@code ByteBuffer} calls Tink makes for each segment; true when all of them round-tripped.
   */
  public static boolean run() {
    long started = System.nanoTime();
    try {
      SecretKeySpec key = new SecretKeySpec(random(32, 1), "AES");
      ByteBuffer plaintext = ByteBuffer.wrap(random(MESSAGE, 2));
      ByteBuffer ciphertext = ByteBuffer.allocate(MESSAGE + 16);
      ByteBuffer decrypted = ByteBuffer.allocate(MESSAGE);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      byte[] nonce = new byte[12];
      for (int i = 0; i < ROUNDS; i++) {
        nonce[0] = (byte) i;
        nonce[1] = (byte) (i >>> 8);
        GCMParameterSpec spec = new GCMParameterSpec(128, nonce);
        cipher.init(Cipher.ENCRYPT_MODE, key, spec);
        cipher.updateAAD(nonce);
        plaintext.rewind();
        ciphertext.clear();
        cipher.doFinal(plaintext, ciphertext);
        cipher.init(Cipher.DECRYPT_MODE, key, spec);
        cipher.updateAAD(nonce);
        ciphertext.flip();
        decrypted.clear();
        cipher.doFinal(ciphertext, decrypted);
      }
      if (!decrypted.flip().equals(plaintext.rewind())) {
        throw new IllegalStateException("the cipher does not round-trip");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      // Only speed is at stake: recordings are encrypted the same way, warm or not.
      LOG.warn("cipher warm-up stopped early: {}", e.toString());
      return false;
    }
    LOG.debug("cipher warm-up took {} ms", (System.nanoTime() - started) / 1_000_000);
    return true;
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }
}
