package io.sessionflow.transcriber.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * Writes a whisper.cpp model file (ggml format, f32) with random weights. No trained weights can
 * be downloaded where Sessionflow is built and tested, so tests (and standalone, with a loud
 * notice) run the real whisper.cpp inference path on a model of the right shape that knows no
 * language. Layout: magic, 11 hyper-parameters, the mel filterbank (n_mel x n_fft 201), the
 * vocabulary (ASCII entries), then every named tensor: dims, name, type, sizes, data.
 */
public final class GgmlModelWriter {
  private static final int MAGIC = 0x67676d6c;
  private static final int N_FFT = 201;
  private static final int BASE_VOCAB = 51864;
  private static final int F32 = 0;
  private static final int F16 = 1;
  /** ggml's "mostly f16": weight matrices and conv kernels in f16, the rest in f32 (what whisper.cpp's conv needs). */
  private static final int FTYPE_MOSTLY_F16 = 1;
  /** Token ids 95..98: "é" (C3 A9) and "😀" (F0 9F 98 80), each cut in two. */
  private static final byte[][] SPLIT_CHARACTERS = {{(byte) 0xc3}, {(byte) 0xa9}, {(byte) 0xf0, (byte) 0x9f},
      {(byte) 0x98, (byte) 0x80}};
  /** With split characters: the first of their ids ({@code é} = this, this + 1; {@code 😀} = + 2, + 3). */
  public static final int SPLIT_TOKENS = 95;

  private GgmlModelWriter() {
  }

  /** Writes the model to {@code file} (atomically) and returns it. */
  public static Path write(Path file, ModelShape shape, long seed) throws IOException {
    return write(file, shape, seed, false);
  }

  /**
   * The same; with {@code splitCharacters} token ids {@link #SPLIT_TOKENS}.. are the halves of two
   * multi-byte UTF-8 characters instead of ASCII words (tests of text that spans tokens).
   */
  public static Path write(Path file, ModelShape shape, long seed, boolean splitCharacters) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        Writer writer = new Writer(out, new SplittableRandom(seed), splitCharacters);
        writer.header(shape);
        writer.melFilters(shape.mels());
        writer.vocabulary();
        writer.tensors(shape);
        writer.flush();
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return file;
    } catch (IOException e) {
      // A disk that filled up must not be left fuller by half a model.
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  private static final class Writer {
    private final FileChannel out;
    private final SplittableRandom random;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final boolean splitCharacters;

    Writer(FileChannel out, SplittableRandom random, boolean splitCharacters) {
      this.out = out;
      this.random = random;
      this.splitCharacters = splitCharacters;
    }

    void header(ModelShape s) throws IOException {
      int32(MAGIC);
      for (int value : new int[] {s.vocab(), s.audioCtx(), s.audioState(), s.audioHeads(), s.audioLayers(),
          s.textCtx(), s.textState(), s.textHeads(), s.textLayers(), s.mels(), FTYPE_MOSTLY_F16}) {
        int32(value);
      }
    }

    /** Triangular filters on a mel scale over the 201 FFT bins of 16 kHz audio. */
    void melFilters(int mels) throws IOException {
      int32(mels);
      int32(N_FFT);
      double maxMel = hzToMel(8000);
      double[] edges = new double[mels + 2];
      for (int i = 0; i < edges.length; i++) {
        edges[i] = melToHz(maxMel * i / (mels + 1));
      }
      for (int m = 0; m < mels; m++) {
        for (int bin = 0; bin < N_FFT; bin++) {
          double hz = bin * 8000.0 / (N_FFT - 1);
          double up = (hz - edges[m]) / (edges[m + 1] - edges[m]);
          double down = (edges[m + 2] - hz) / (edges[m + 2] - edges[m + 1]);
          float32((float) Math.max(0, Math.min(up, down)));
        }
      }
    }

    /**
     * Printable ASCII entries: single bytes first, then short made-up words; optionally the halves
     * of two multi-byte characters after the single bytes (as a byte-level BPE vocabulary has them:
     * a character can span tokens).
     */
    void vocabulary() throws IOException {
      int32(BASE_VOCAB);
      for (int id = 0; id < BASE_VOCAB; id++) {
        byte[] word = id < 95 ? new byte[] {(byte) (32 + id)}
            : splitCharacters && id < 95 + SPLIT_CHARACTERS.length ? SPLIT_CHARACTERS[id - 95]
            : (" w" + Integer.toString(id, 36)).getBytes(StandardCharsets.US_ASCII);
        int32(word.length);
        bytes(word);
      }
    }

    void tensors(ModelShape s) throws IOException {
      int a = s.audioState();
      tensor("encoder.positional_embedding", Fill.RANDOM, a, s.audioCtx());
      matrix("encoder.conv1.weight", 3, s.mels(), a);
      tensor("encoder.conv1.bias", Fill.ZERO, 1, a);
      matrix("encoder.conv2.weight", 3, a, a);
      tensor("encoder.conv2.bias", Fill.ZERO, 1, a);
      tensor("encoder.ln_post.weight", Fill.ONE, a);
      tensor("encoder.ln_post.bias", Fill.ZERO, a);
      for (int i = 0; i < s.audioLayers(); i++) {
        block("encoder.blocks." + i + ".", a, false);
      }
      int t = s.textState();
      tensor("decoder.positional_embedding", Fill.RANDOM, t, s.textCtx());
      matrix("decoder.token_embedding.weight", t, s.vocab());
      tensor("decoder.ln.weight", Fill.ONE, t);
      tensor("decoder.ln.bias", Fill.ZERO, t);
      for (int i = 0; i < s.textLayers(); i++) {
        block("decoder.blocks." + i + ".", t, true);
      }
    }

    private void block(String prefix, int n, boolean cross) throws IOException {
      tensor(prefix + "mlp_ln.weight", Fill.ONE, n);
      tensor(prefix + "mlp_ln.bias", Fill.ZERO, n);
      matrix(prefix + "mlp.0.weight", n, 4 * n);
      tensor(prefix + "mlp.0.bias", Fill.ZERO, 4 * n);
      matrix(prefix + "mlp.2.weight", 4 * n, n);
      tensor(prefix + "mlp.2.bias", Fill.ZERO, n);
      attention(prefix + "attn", n);
      if (cross) {
        attention(prefix + "cross_attn", n);
      }
    }

    private void attention(String prefix, int n) throws IOException {
      tensor(prefix + "_ln.weight", Fill.ONE, n);
      tensor(prefix + "_ln.bias", Fill.ZERO, n);
      matrix(prefix + ".query.weight", n, n);
      tensor(prefix + ".query.bias", Fill.ZERO, n);
      matrix(prefix + ".key.weight", n, n);
      matrix(prefix + ".value.weight", n, n);
      tensor(prefix + ".value.bias", Fill.ZERO, n);
      matrix(prefix + ".out.weight", n, n);
      tensor(prefix + ".out.bias", Fill.ZERO, n);
    }

    private enum Fill {
      ZERO, ONE, RANDOM
    }

    /** A weight matrix or conv kernel: random, stored as f16. */
    private void matrix(String name, int... dims) throws IOException {
      long elements = head(name, F16, dims);
      for (long i = 0; i < elements; i++) {
        int16(toHalf((float) ((random.nextDouble() * 2 - 1) * 0.05)));
      }
    }

    private long head(String name, int type, int... dims) throws IOException {
      byte[] encodedName = name.getBytes(StandardCharsets.US_ASCII);
      int32(dims.length);
      int32(encodedName.length);
      int32(type);
      long elements = 1;
      for (int dim : dims) {
        int32(dim);
        elements *= dim;
      }
      bytes(encodedName);
      return elements;
    }

    private void tensor(String name, Fill fill, int... dims) throws IOException {
      long elements = head(name, F32, dims);
      for (long i = 0; i < elements; i++) {
        float32(switch (fill) {
          case ZERO -> 0f;
          case ONE -> 1f;
          case RANDOM -> (float) ((random.nextDouble() * 2 - 1) * 0.05);
        });
      }
    }

    private void int32(int value) throws IOException {
      room(4);
      buffer.putInt(value);
    }

    private void int16(short value) throws IOException {
      room(2);
      buffer.putShort(value);
    }

    /** IEEE 754 half precision, round to nearest (the values here are small and normal or zero). */
    static short toHalf(float value) {
      int bits = Float.floatToIntBits(value);
      int sign = (bits >>> 16) & 0x8000;
      int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
      int mantissa = bits & 0x7FFFFF;
      if (exponent <= 0) {
        return (short) sign;
      }
      if (exponent >= 31) {
        return (short) (sign | 0x7C00);
      }
      int half = sign | (exponent << 10) | (mantissa >> 13);
      if ((mantissa & 0x1000) != 0) {
        half++;
      }
      return (short) half;
    }

    private void float32(float value) throws IOException {
      room(4);
      buffer.putFloat(value);
    }

    private void bytes(byte[] value) throws IOException {
      room(value.length);
      buffer.put(value);
    }

    private void room(int bytes) throws IOException {
      if (buffer.remaining() < bytes) {
        flush();
      }
    }

    void flush() throws IOException {
      buffer.flip();
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      buffer.clear();
    }

    private static double hzToMel(double hz) {
      return 2595 * Math.log10(1 + hz / 700);
    }

    private static double melToHz(double mel) {
      return 700 * (Math.pow(10, mel / 2595) - 1);
    }
  }
}
