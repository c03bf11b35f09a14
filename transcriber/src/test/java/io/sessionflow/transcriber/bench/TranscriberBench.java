package io.sessionflow.transcriber.bench;

import io.sessionflow.transcriber.decode.AudioDecoder;
import io.sessionflow.transcriber.decode.AudioFixtures;
import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import io.sessionflow.transcriber.whisper.WhisperEngine;
import io.sessionflow.transcriber.whisper.WhisperSettings;
import io.sessionflow.transcriber.whisper.WindowedTranscriber;
import io.sessionflow.transcriber.whisper.Windower;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Transcription figures for a 10-minute recording (run with bench/transcriber-bench.sh; never in
 * the normal suite): decode+resample time, inference time, whole-job time through our pipeline
 * versus the binding called directly on the same PCM, and throughput with 1 and 2 slots. Uses a
 * generated tiny-shaped model (same compute as OpenAI's tiny, random weights) unless
 * WHISPER_MODEL names a real one. Set WHISPER_GPU=true with the CUDA libraries to measure a GPU.
 */
@Tag("bench")
class TranscriberBench {
  private static final int MINUTES = Integer.getInteger("bench.minutes", 10);

  @Test
  void tenMinuteRecording() throws Exception {
    Path dir = Files.createTempDirectory("transcriber-bench");
    String configured = System.getenv().getOrDefault("WHISPER_MODEL", "");
    Path model = configured.isEmpty() ? GgmlModelWriter.write(dir.resolve("tiny.bin"), ModelShape.TINY, 1)
        : Path.of(configured);
    boolean gpu = "true".equals(System.getenv("WHISPER_GPU"));
    int threads = Runtime.getRuntime().availableProcessors();
    WhisperSettings settings = new WhisperSettings("", "en", threads, 1, gpu);
    byte[] recording = AudioFixtures.tone(AudioFixtures.FORMATS.get("mp3"), 44_100, 1, MINUTES * 60.0, 1.0);
    System.out.printf("recording: %d min MP3, %.1f MB; model %s; %s; %d threads%n", MINUTES,
        recording.length / 1e6, model.getFileName(), gpu ? "GPU" : "CPU", threads);

    // 1. Decode + resample alone.
    long t0 = System.nanoTime();
    float[] pcm = decode(recording);
    double decodeSeconds = seconds(t0);

    try (WhisperEngine engine = WhisperEngine.load(model, settings)) {
      // 2. The binding directly on the decoded PCM, window by window.
      double direct;
      long tokens = 0;
      try (WhisperEngine.Slot slot = engine.newSlot()) {
        long t1 = System.nanoTime();
        for (int start = 0; start < pcm.length; start += Windower.WINDOW_FRAMES) {
          int n = Math.min(Windower.WINDOW_FRAMES, pcm.length - start);
          float[] window = java.util.Arrays.copyOfRange(pcm, start, start + n);
          tokens += slot.decode(window, n, WhisperEngine.Decoding.NORMAL).tokens();
        }
        direct = seconds(t1);
      }
      // The same windows with exactly 100 text tokens each: decoding work that does not depend on
      // what random weights happen to say, comparable across engines and versions.
      double fixed;
      try (WhisperEngine.Slot slot = engine.newSlot()) {
        long t1 = System.nanoTime();
        for (int start = 0; start < pcm.length; start += Windower.WINDOW_FRAMES) {
          int n = Math.min(Windower.WINDOW_FRAMES, pcm.length - start);
          slot.decode(java.util.Arrays.copyOfRange(pcm, start, start + n), n, WhisperEngine.Decoding.fixed(100));
        }
        fixed = seconds(t1);
      }
      // 3. The whole job through our pipeline: decode → windows → whisper → segments.
      double pipeline;
      try (WhisperEngine.Slot slot = engine.newSlot()) {
        long t2 = System.nanoTime();
        new WindowedTranscriber(new AudioDecoder(), Windower.WINDOW_FRAMES)
            .transcribe(new ByteArrayInputStream(recording), slot);
        pipeline = seconds(t2);
      }
      double audio = pcm.length / 16_000.0;
      System.out.printf("decode+resample: %.2f s | inference (direct binding): %.2f s | whole job through the "
          + "pipeline: %.2f s | pipeline overhead: %.2fx | real-time factor: %.3f%n", decodeSeconds, direct,
          pipeline, pipeline / direct, pipeline / audio);
      System.out.printf("engine: %s | tokens decoded: %d | direct audio s per s: %.1f | fixed 100 tokens per "
          + "window: %.2f s = %.1f audio s per s%n", engine.engine(), tokens, audio / direct, fixed, audio / fixed);
      // 4. Throughput: two recordings with 1 slot, then with 2 slots (threads split between slots).
      for (int slots = 1; slots <= 2; slots++) {
        WhisperSettings perSlot = new WhisperSettings("", "en", Math.max(1, threads / slots), 1, gpu);
        try (WhisperEngine shared = WhisperEngine.load(model, perSlot)) {
          ExecutorService pool = Executors.newFixedThreadPool(slots);
          List<WhisperEngine.Slot> states = new ArrayList<>();
          for (int i = 0; i < slots; i++) {
            states.add(shared.newSlot());
          }
          long t3 = System.nanoTime();
          List<CompletableFuture<?>> jobs = new ArrayList<>();
          for (int job = 0; job < 2; job++) {
            WhisperEngine.Slot slot = states.get(job % slots);
            jobs.add(CompletableFuture.runAsync(() -> {
              synchronized (slot) {
                new WindowedTranscriber(new AudioDecoder(), Windower.WINDOW_FRAMES)
                    .transcribe(new ByteArrayInputStream(recording), slot);
              }
            }, pool));
          }
          CompletableFuture.allOf(jobs.toArray(CompletableFuture[]::new)).join();
          double elapsed = seconds(t3);
          System.out.printf("throughput with %d slot(s): 2 recordings in %.2f s = %.1f audio-minutes per minute%n",
              slots, elapsed, 2 * audio / elapsed);
          pool.shutdown();
          states.forEach(WhisperEngine.Slot::close);
        }
      }
    }
  }

  private static float[] decode(byte[] recording) {
    List<float[]> chunks = new ArrayList<>();
    int[] total = new int[1];
    new AudioDecoder().decode(new ByteArrayInputStream(recording), (pcm, frames, channels) -> {
      chunks.add(java.util.Arrays.copyOf(pcm, frames));
      total[0] += frames;
    });
    float[] all = new float[total[0]];
    int offset = 0;
    for (float[] chunk : chunks) {
      System.arraycopy(chunk, 0, all, offset, chunk.length);
      offset += chunk.length;
    }
    return all;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
