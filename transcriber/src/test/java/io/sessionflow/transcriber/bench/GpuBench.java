package io.sessionflow.transcriber.bench;

import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import io.sessionflow.transcriber.whisper.WhisperEngine;
import io.sessionflow.transcriber.whisper.WhisperSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine benchmark bench/gpu-bench.sh runs on a jlinked runtime (java.base only) beside the
 * binding: no Maven, no JUnit, no FFmpeg. Two commands, each in a process of its own so that a
 * native crash costs one configuration, not the run:
 *
 * <pre>
 *   model SHAPE FILE                      write a random-weight model of a named shape
 *   run FILE SHAPE STATES on|off TOKENS WINDOWS GPU
 *                                         transcribe WINDOWS 30-s windows on each of STATES states
 *                                         on one context (flash attention on or off), exactly
 *                                         TOKENS text tokens per window; GPU true or false
 * </pre>
 *
 * {@code run} prints one line: {@code result shape=… states=… flash=… audio_s_per_s=… gpu_mib=… rss_mib=…}.
 */
public final class GpuBench {
  /** OpenAI's shapes (vocabulary 51865 or, for large-v3, 51866 with 128 mel bands). */
  static final Map<String, ModelShape> SHAPES = Map.of(
      "tiny", ModelShape.TINY,
      "base", new ModelShape(51865, 1500, 512, 8, 6, 448, 512, 8, 6, 80),
      "large-v3", new ModelShape(51866, 1500, 1280, 20, 32, 448, 1280, 20, 32, 128),
      "large-v3-turbo", new ModelShape(51866, 1500, 1280, 20, 32, 448, 1280, 20, 4, 128));
  private static final int WINDOW = 30 * 16_000;

  private GpuBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("model")) {
      ModelShape shape = SHAPES.get(args[1]);
      if (shape == null) {
        throw new IllegalArgumentException("unknown shape " + args[1] + "; one of " + SHAPES.keySet());
      }
      long started = System.nanoTime();
      GgmlModelWriter.write(Path.of(args[2]), shape, 1);
      System.out.printf("model %s: %.0f MiB in %.1f s%n", args[1], Files.size(Path.of(args[2])) / 1048576.0,
          (System.nanoTime() - started) / 1e9);
    } else if (args.length == 8 && args[0].equals("run")) {
      run(Path.of(args[1]), args[2], Integer.parseInt(args[3]), args[4].equals("on"), Integer.parseInt(args[5]),
          Integer.parseInt(args[6]), Boolean.parseBoolean(args[7]));
    } else {
      System.err.println("usage: model SHAPE FILE | run FILE SHAPE STATES on|off TOKENS WINDOWS GPU");
      System.exit(2);
    }
  }

  private static void run(Path model, String shape, int states, boolean flash, int tokens, int windows,
      boolean gpu) throws Exception {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / states);
    if (gpu) {
      // On a GPU the CPU threads only feed it; more than a few per state just contend.
      threads = Math.min(threads, 4);
    }
    WhisperSettings settings = new WhisperSettings("", "en", threads, 1, gpu, 0, flash);
    List<float[]> audio = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      audio.add(speechLike(i));
    }
    GpuMemory memory = new GpuMemory(gpu);
    memory.start();
    try (WhisperEngine engine = WhisperEngine.load(model, settings)) {
      System.out.println("engine: " + engine.engine());
      List<WhisperEngine.Slot> slots = new ArrayList<>();
      for (int s = 0; s < states; s++) {
        slots.add(engine.newSlot());
      }
      // One warm-up window per state (buffers, kernels, caches), not timed.
      parallel(slots, 1, tokens, audio);
      long started = System.nanoTime();
      long decoded = parallel(slots, windows, tokens, audio);
      double seconds = (System.nanoTime() - started) / 1e9;
      double audioSeconds = (double) states * windows * WINDOW / 16_000;
      memory.stop();
      System.out.printf("result shape=%s states=%d flash=%s threads=%d tokens_per_window=%.1f windows=%d "
              + "wall_s=%.2f audio_s_per_s=%.1f gpu_mib=%d rss_mib=%d%n", shape, states, flash ? "on" : "off",
          threads, decoded / (double) (states * windows), states * windows, seconds, audioSeconds / seconds,
          memory.peakMib(), memory.peakRssMib());
      slots.forEach(WhisperEngine.Slot::close);
    } finally {
      memory.stop();
    }
  }

  /** Each slot transcribes {@code windows} windows at once with the others; returns the tokens decoded. */
  private static long parallel(List<WhisperEngine.Slot> slots, int windows, int tokens, List<float[]> audio)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(slots.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      AtomicLong decoded = new AtomicLong();
      List<Future<?>> runs = new ArrayList<>();
      for (int s = 0; s < slots.size(); s++) {
        WhisperEngine.Slot slot = slots.get(s);
        int first = s;
        runs.add(pool.submit(() -> {
          start.await();
          for (int w = 0; w < windows; w++) {
            float[] window = audio.get((first + w) % audio.size());
            decoded.addAndGet(slot.decode(window, window.length, WhisperEngine.Decoding.fixed(tokens)).tokens());
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> run : runs) {
        run.get(30, TimeUnit.MINUTES);
      }
      return decoded.get();
    } finally {
      pool.shutdownNow();
    }
  }

  /** 30 s of a voice-like signal: a wandering pitch with harmonics, syllable-rate loudness, noise. */
  public static float[] speechLike(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] samples = new float[WINDOW];
    double phase = 0;
    for (int i = 0; i < samples.length; i++) {
      double t = i / 16_000.0;
      double pitch = 140 + 40 * Math.sin(2 * Math.PI * 0.3 * t + seed);
      phase += 2 * Math.PI * pitch / 16_000.0;
      double envelope = Math.max(0, Math.sin(2 * Math.PI * 4 * t));
      double voice = Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase);
      samples[i] = (float) (0.2 * envelope * voice + 0.01 * (random.nextDouble() - 0.5));
    }
    return samples;
  }

  /** This process's GPU memory (nvidia-smi, sampled) and resident memory, at their peaks. */
  private static final class GpuMemory {
    private final boolean gpu;
    private final java.util.concurrent.ScheduledExecutorService sampler =
        Executors.newSingleThreadScheduledExecutor(task -> {
          Thread thread = new Thread(task, "gpu-memory");
          thread.setDaemon(true);
          return thread;
        });
    private volatile long peakMib;
    private volatile long peakRssMib;
    private volatile long baselineMib = -1;

    GpuMemory(boolean gpu) {
      this.gpu = gpu;
    }

    /** The whole device's memory in use (first GPU). */
    private static long deviceUsedMib() throws IOException, InterruptedException {
      Process smi = new ProcessBuilder("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits")
          .redirectErrorStream(true).start();
      String first = new String(smi.getInputStream().readAllBytes()).split("\n")[0].strip();
      smi.waitFor(5, TimeUnit.SECONDS);
      return Long.parseLong(first);
    }

    void start() throws IOException, InterruptedException {
      if (gpu) {
        try {
          baselineMib = deviceUsedMib();
        } catch (IOException | RuntimeException e) {
          baselineMib = -1;
        }
      }
      sampler.scheduleAtFixedRate(this::sample, 0, 250, TimeUnit.MILLISECONDS);
    }

    void stop() throws InterruptedException {
      if (!sampler.isShutdown()) {
        sampler.shutdown();
        sampler.awaitTermination(10, TimeUnit.SECONDS);
        sample();
      }
    }

    long peakMib() {
      return peakMib;
    }

    long peakRssMib() {
      return peakRssMib;
    }

    private void sample() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmRSS:")) {
            peakRssMib = Math.max(peakRssMib, Long.parseLong(line.replaceAll("\\D", "")) / 1024);
          }
        }
        if (gpu) {
          Process smi = new ProcessBuilder("nvidia-smi", "--query-compute-apps=pid,used_memory",
              "--format=csv,noheader,nounits").redirectErrorStream(true).start();
          String pid = Long.toString(ProcessHandle.current().pid());
          boolean found = false;
          for (String line : new String(smi.getInputStream().readAllBytes()).split("\n")) {
            String[] parts = line.split(",");
            if (parts.length == 2 && parts[0].strip().equals(pid)) {
              peakMib = Math.max(peakMib, Long.parseLong(parts[1].strip()));
              found = true;
            }
          }
          smi.waitFor(5, TimeUnit.SECONDS);
          if (!found) {
            // In a container nvidia-smi lists host process ids: the device's use above the start's.
            long used = deviceUsedMib();
            baselineMib = baselineMib < 0 ? used : baselineMib;
            peakMib = Math.max(peakMib, used - baselineMib);
          }
        }
      } catch (IOException | RuntimeException e) {
        // A sample missed is a figure a little low, not a failed benchmark.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
