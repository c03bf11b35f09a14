package io.sessionflow.transcriber.whisper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binding itself: text, language, parallel states, bad models, closing under load. */
class WhisperEngineTest {
  @TempDir
  static Path dir;
  static Path model;

  @BeforeAll
  static void model() throws IOException {
    model = GgmlModelWriter.write(dir.resolve("small.bin"), ModelShape.SMALL, 11);
  }

  private static WhisperEngine load(String language) {
    return WhisperEngine.load(model, new WhisperSettings("", language, 1, 1, false));
  }

  private static float[] tone(double hz, double seconds, long seed) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    float[] samples = new float[(int) (seconds * 16_000)];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (float) (0.2 * Math.sin(2 * Math.PI * hz * i / 16_000.0) + 0.05 * (random.nextDouble() - 0.5));
    }
    return samples;
  }

  @Test
  void aCharacterSplitAcrossTokensAndAcrossSegmentsComesOutWhole() throws IOException {
    Path split = GgmlModelWriter.write(dir.resolve("split.bin"), ModelShape.SMALL, 11, true);
    try (WhisperEngine engine = WhisperEngine.load(split, new WhisperSettings("", "en", 1, 1, false));
        WhisperEngine.Slot slot = engine.newSlot()) {
      int beg = engine.tokenId("beg");
      int e1 = GgmlModelWriter.SPLIT_TOKENS;
      // <0.00> a [C3 | <1.00><1.00> | A9] b [F0 9F | 98 80] <2.00>: "é" is cut by a segment
      // boundary, "😀" by a token boundary.
      int[] script = {beg, ascii('a'), e1, beg + 50, beg + 50, e1 + 1, ascii('b'), e1 + 2, e1 + 3, beg + 100};
      float[] samples = tone(300, 3, 1);
      WhisperEngine.Decoded decoded = slot.decode(samples, samples.length,
          new WhisperEngine.Decoding(false, 0, script));
      assertThat(decoded.segments()).extracting(Segment::text).containsExactly("a", "éb😀");
      assertThat(decoded.segments()).extracting(Segment::start).containsExactly(0.0, 1.0);
      assertThat(decoded.segments()).extracting(Segment::end).containsExactly(1.0, 2.0);
    }
  }

  private static int ascii(char c) {
    return c - 32;
  }

  @Test
  void utf8CarryKeepsAnUnfinishedCharacterForTheNextPieceAndReplacesOneThatNeverEnds() {
    WhisperEngine.Utf8Carry carry = new WhisperEngine.Utf8Carry();
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
    assertThat(carry.next(new byte[] {'x', euro[0]})).isEqualTo("x");
    assertThat(carry.next(new byte[] {euro[1]})).isEmpty();
    assertThat(carry.next(new byte[] {euro[2], 'y'})).isEqualTo("€y");
    assertThat(carry.next(new byte[] {'z', (byte) 0xf0, (byte) 0x9f})).isEqualTo("z");
    assertThat(carry.rest()).isEqualTo("\ufffd");
    assertThat(carry.next(new byte[] {(byte) 0x80, 'q'})).as("a stray continuation byte").isEqualTo("\ufffdq");
  }

  @Test
  void theEngineLineNamesVersionModelDevicesAndCpuFeatures() {
    assertThat(WhisperEngine.describe("CUDA0 (NVIDIA H200), CPU (Xeon) | WHISPER : COREML = 0 | OPENVINO = 0 | "
        + "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 0 | REPACK = 1 | ")).isEqualTo(
            "CUDA0 (NVIDIA H200), CPU (Xeon) with SSE3 AVX2 REPACK");
    try (WhisperEngine engine = load("en")) {
      assertThat(engine.engine()).startsWith("whisper.cpp 1.9.1 (").contains("CPU (").contains("flash attention on")
          .doesNotContain("|");
    }
  }

  @Test
  void languageDetectionReturnsALanguageCode() throws IOException {
    try (WhisperEngine engine = load("auto"); WhisperEngine.Slot slot = engine.newSlot()) {
      float[] samples = tone(220, 4, 2);
      WhisperEngine.Decoded decoded = slot.decode(samples, samples.length, WhisperEngine.Decoding.fixed(5));
      assertThat(decoded.language()).matches("[a-z]{2,3}|haw|yue").isNotEqualTo("auto");
    }
    try (WhisperEngine engine = load("de"); WhisperEngine.Slot slot = engine.newSlot()) {
      float[] samples = tone(220, 4, 2);
      assertThat(slot.decode(samples, samples.length, WhisperEngine.Decoding.fixed(5)).language())
          .as("a given language is kept").isEqualTo("de");
    }
    ModelShape s = ModelShape.SMALL;
    ModelShape englishOnly = new ModelShape(51864, s.audioCtx(), s.audioState(), s.audioHeads(), s.audioLayers(),
        s.textCtx(), s.textState(), s.textHeads(), s.textLayers(), s.mels());
    Path en = GgmlModelWriter.write(dir.resolve("small.en.bin"), englishOnly, 13);
    try (WhisperEngine engine = WhisperEngine.load(en, new WhisperSettings("", "auto", 1, 1, false));
        WhisperEngine.Slot slot = engine.newSlot()) {
      float[] samples = tone(220, 4, 2);
      assertThat(slot.decode(samples, samples.length, WhisperEngine.Decoding.fixed(5)).language())
          .as("an English-only model transcribes English, whatever auto-detection would guess").isEqualTo("en");
    }
  }

  @Test
  void fixedTokenDecodingDecodesExactlyThatManyTextTokens() {
    try (WhisperEngine engine = load("en"); WhisperEngine.Slot slot = engine.newSlot()) {
      float[] samples = tone(440, 30, 3);
      WhisperEngine.Decoded decoded = slot.decode(samples, samples.length, WhisperEngine.Decoding.fixed(40));
      // The 40 text tokens and the end-of-text token whisper.cpp counts with the last segment.
      assertThat(decoded.tokens()).isBetween(40, 41);
    }
  }

  @Test
  void fourConcurrentStatesOnOneContextGiveTheSameTranscriptsAsOne() throws Exception {
    List<float[]> windows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      windows.add(tone(200 + 150 * i, 12, 10 + i));
    }
    List<List<Segment>> reference = new ArrayList<>();
    try (WhisperEngine engine = load("en"); WhisperEngine.Slot slot = engine.newSlot()) {
      for (float[] window : windows) {
        reference.add(slot.transcribe(window, window.length));
      }
    }
    assertThat(reference).allSatisfy(segments -> assertThat(segments).isNotEmpty());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (WhisperEngine engine = load("en")) {
      List<Future<List<List<Segment>>>> runs = new ArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      for (int s = 0; s < 4; s++) {
        WhisperEngine.Slot slot = engine.newSlot();
        runs.add(pool.submit(() -> {
          start.await();
          List<List<Segment>> mine = new ArrayList<>();
          for (float[] window : windows) {
            mine.add(slot.transcribe(window, window.length));
          }
          slot.close();
          return mine;
        }));
      }
      start.countDown();
      for (Future<List<List<Segment>>> run : runs) {
        assertThat(run.get(10, TimeUnit.MINUTES)).isEqualTo(reference);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCorruptOrTruncatedModelFailsWithAReasonAndNoCrash() throws IOException {
    Path garbage = dir.resolve("garbage.bin");
    Files.write(garbage, "this is not a ggml model, just text".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> WhisperEngine.load(garbage, new WhisperSettings("", "en", 1, 1, false)))
        .isInstanceOf(WhisperEngine.EngineException.class)
        .hasMessageContaining("could not load the model garbage.bin").hasMessageContaining("whisper.cpp:");

    byte[] whole = Files.readAllBytes(model);
    List<Long> loaded = new ArrayList<>();
    long tensors = tensorSection(whole);
    for (long length : new long[] {4, 10, 46, 47, 48, whole.length / 1000, tensors, tensors + 4, tensors + 8,
        whole.length / 3, whole.length - 3_000, whole.length - 1}) {
      Path truncated = dir.resolve("truncated-" + length + ".bin");
      Files.write(truncated, java.util.Arrays.copyOf(whole, (int) length));
      try (WhisperEngine engine = WhisperEngine.load(truncated, new WhisperSettings("", "en", 1, 1, false))) {
        loaded.add(length);
      } catch (WhisperEngine.EngineException expected) {
        assertThat(expected).hasMessageContaining("could not load the model truncated-" + length);
      }
    }
    assertThat(loaded).as("model files cut after this many bytes (of %d) loaded", whole.length).isEmpty();
    assertThatThrownBy(() -> WhisperEngine.load(dir.resolve("absent.bin"), new WhisperSettings("", "en", 1, 1, false)))
        .isInstanceOf(WhisperEngine.EngineException.class).hasMessageContaining("not a readable file");
    // And the engine still works after all that.
    try (WhisperEngine engine = load("en"); WhisperEngine.Slot slot = engine.newSlot()) {
      float[] samples = tone(300, 2, 4);
      assertThat(slot.decode(samples, samples.length, WhisperEngine.Decoding.fixed(3)).tokens()).isPositive();
    }
  }

  /** Where the tensors begin: after the header, the mel filters and the vocabulary. */
  private static long tensorSection(byte[] model) {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(model).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    in.position(4 + 11 * 4);
    int mels = in.getInt();
    int fft = in.getInt();
    in.position(in.position() + mels * fft * 4);
    int vocab = in.getInt();
    for (int i = 0; i < vocab; i++) {
      int length = in.getInt();
      in.position(in.position() + length);
    }
    return in.position();
  }

  @Test
  void askingForAGpuTheBuildDoesNotHaveFailsSayingSo() {
    assertThatThrownBy(() -> WhisperEngine.load(model, new WhisperSettings("", "en", 1, 1, true)))
        .isInstanceOf(WhisperEngine.EngineException.class).hasMessageContaining("offers no GPU")
        .hasMessageContaining("WHISPER_GPU=false");
  }

  @Test
  void aBadCallIsAnExceptionWithAReason() {
    try (WhisperEngine engine = load("en"); WhisperEngine.Slot slot = engine.newSlot()) {
      assertThatThrownBy(() -> slot.transcribe(new float[10], 11))
          .isInstanceOf(WhisperEngine.EngineException.class).hasMessageContaining("sample count out of range");
      // Zero samples would have whisper.cpp decode the previous call's audio again.
      assertThatThrownBy(() -> slot.transcribe(new float[10], 0))
          .isInstanceOf(WhisperEngine.EngineException.class).hasMessageContaining("sample count out of range");
      float[] samples = tone(300, 2, 5);
      assertThat(slot.decode(samples, samples.length, WhisperEngine.Decoding.fixed(2)).tokens())
          .as("the slot still works").isPositive();
    }
  }

  @Test
  void closingTheEngineUnderLoadStopsRunningCallsAndFreesEverythingOnce() throws Exception {
    float[] samples = tone(350, 30, 6);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      WhisperEngine engine = load("en");
      AtomicInteger calls = new AtomicInteger();
      CountDownLatch running = new CountDownLatch(4);
      List<Future<String>> workers = new ArrayList<>();
      for (int s = 0; s < 4; s++) {
        WhisperEngine.Slot slot = engine.newSlot();
        workers.add(pool.submit(() -> {
          running.countDown();
          try {
            while (true) {
              slot.decode(samples, samples.length, WhisperEngine.Decoding.fixed(200));
              calls.incrementAndGet();
            }
          } catch (CancellationException stopped) {
            return stopped.getMessage();
          }
        }));
      }
      assertThat(running.await(1, TimeUnit.MINUTES)).isTrue();
      engine.close();
      List<String> endings = new ArrayList<>();
      for (Future<String> worker : workers) {
        endings.add(worker.get(2, TimeUnit.MINUTES));
      }
      assertThat(endings).allSatisfy(ending -> assertThat(ending).contains("engine"));
      engine.close();
      assertThatThrownBy(engine::newSlot).isInstanceOf(WhisperEngine.EngineException.class)
          .hasMessageContaining("closed");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void loadingAndClosingRepeatedlyHoldsNoNativeMemory() throws Exception {
    Path tiny = GgmlModelWriter.write(dir.resolve("tiny.bin"), ModelShape.TINY, 12);
    WhisperSettings settings = new WhisperSettings("", "en", 1, 1, false);
    float[] samples = tone(300, 1, 7);
    for (int i = 0; i < 3; i++) {
      cycle(tiny, settings, samples);
    }
    long before = residentKib();
    for (int i = 0; i < 12; i++) {
      cycle(tiny, settings, samples);
    }
    long grown = residentKib() - before;
    // One leaked context would be the model (about 75 MiB for the tiny shape in f16) each time: 900 MiB
    // over 12 cycles. Half of that is the bar; malloc's arenas alone once grew 156 MiB (150 MiB failed).
    assertThat(grown).as("resident KiB grown over 12 load/transcribe/close cycles").isLessThan(450_000);
  }

  private static void cycle(Path modelFile, WhisperSettings settings, float[] samples) {
    try (WhisperEngine engine = WhisperEngine.load(modelFile, settings)) {
      WhisperEngine.Slot a = engine.newSlot();
      WhisperEngine.Slot b = engine.newSlot();
      a.decode(samples, samples.length, WhisperEngine.Decoding.fixed(2));
      a.close();
      a.close();
      // b is left for the engine to close.
      assertThat(b).isNotNull();
    }
  }

  private static long residentKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new AssertionError("no VmRSS in /proc/self/status");
  }
}
