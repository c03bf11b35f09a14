package io.sessionflow.transcriber.whisper;

import io.sessionflow.transcriber.decode.AudioDecoder;
import io.sessionflow.transcriber.decode.DecodeException;
import io.sessionflow.transcriber.decode.PcmSink;
import io.sessionflow.transcriber.vad.SpeechSummary;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * decode → windows (cut from speech by the voice-activity model, or every 30 s) → Whisper per
 * window → one timeline of segments (the next window decodes while the current one is
 * transcribed). Segments are put
 * on recording time, clamped to their window and to the audio, stripped of empty text and of
 * verbatim repeats (Whisper's typical hallucination loop), and attributed to a speaker when one
 * stereo channel clearly dominates. Blocking; one transcription per {@link WhisperEngine.Slot}.
 */
public final class WindowedTranscriber {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WindowedTranscriber.class);
  /** Below this RMS (about -70 dBFS) a recording counts as silent throughout. */
  static final double SILENCE_RMS = 3e-4;
  /** A channel "clearly dominates" with four times the other's energy (6 dB). */
  static final double DOMINANCE = 4.0;

  private final AudioDecoder decoder;
  private final Segmentation segmentation;
  private final java.util.function.BooleanSupplier stopping;

  /** How a recording becomes windows: one {@link WindowSource} per recording. */
  @FunctionalInterface
  public interface Segmentation {
    WindowSource open(java.util.function.Consumer<Windower.Window> onWindow);

    /** Consecutive windows of {@code frames} samples, without a voice-activity model. */
    static Segmentation fixed(int frames) {
      return onWindow -> new Windower(frames, onWindow);
    }
  }

  public WindowedTranscriber(AudioDecoder decoder, int windowFrames) {
    this(decoder, windowFrames, () -> false);
  }

  /**
   * @param stopping checked before each window: when it says so, the transcription stops with a
   *                 {@link CancellationException} after the window in progress (graceful shutdown)
   */
  public WindowedTranscriber(AudioDecoder decoder, int windowFrames, java.util.function.BooleanSupplier stopping) {
    this(decoder, Segmentation.fixed(windowFrames), stopping);
  }

  /** Windows as {@code segmentation} cuts them (from speech, with a voice-activity model). */
  public WindowedTranscriber(AudioDecoder decoder, Segmentation segmentation,
      java.util.function.BooleanSupplier stopping) {
    this.decoder = decoder;
    this.segmentation = segmentation;
    this.stopping = stopping;
  }

  /**
   * The result, before it becomes the transcript JSON.
   *
   * @param language      the language whisper.cpp found (or was given) on most windows
   * @param decodeSeconds CPU time spent decoding and resampling (on the decode thread), the
   *                      voice-activity model's included
   * @param speech        what the voice-activity model found; null with fixed windows
   * @param windows       windows sent to Whisper
   */
  public record Result(List<Segment> segments, String language, double audioSeconds, int channels, String codec,
      double decodeSeconds, SpeechSummary speech, int windows) {
    /** Fixed windows, no voice-activity model. */
    public Result(List<Segment> segments, String language, double audioSeconds, int channels, String codec,
        double decodeSeconds) {
      this(segments, language, audioSeconds, channels, codec, decodeSeconds, null, 0);
    }
  }

  /**
   * Segments on recording time, the language of most windows, the speech found, the windows sent
   * and the CPU seconds of the decode thread (decoding, resampling, the voice-activity model).
   */
  public record Timeline(List<Segment> segments, String language, SpeechSummary speech, int windows,
      double decodeSeconds) {
  }

  public Result transcribe(InputStream audio, WhisperEngine.Slot slot) {
    return transcribe(audio, () -> slot);
  }

  /**
   * Same, asking for the slot only once the first window is decoded: a job waiting for a free
   * slot decodes its first windows meanwhile, overlapping the running job's inference.
   */
  public Result transcribe(InputStream audio, java.util.function.Supplier<WhisperEngine.Slot> slot) {
    AudioDecoder.Decoded[] decoded = new AudioDecoder.Decoded[1];
    Timeline timeline = transcribe(sink -> decoded[0] = decoder.decode(audio, sink), slot);
    return new Result(timeline.segments(), timeline.language(), decoded[0].seconds(), decoded[0].channels(),
        decoded[0].codec(), timeline.decodeSeconds(), timeline.speech(), timeline.windows());
  }

  /**
   * The same pipeline from any source of 16 kHz PCM (also used to check our decode path against
   * a reference decoder). Decoding runs on a thread of its own, at most two windows ahead, so the
   * next window is decoded while Whisper works on the current one; memory stays bounded.
   */
  public Timeline transcribe(java.util.function.Consumer<PcmSink> source, WhisperEngine.Slot slot) {
    return transcribe(source, () -> slot);
  }

  private Timeline transcribe(java.util.function.Consumer<PcmSink> source,
      java.util.function.Supplier<WhisperEngine.Slot> slots) {
    BlockingQueue<Windower.Window> ready = new ArrayBlockingQueue<>(2);
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicReference<RuntimeException> decodeFailure = new AtomicReference<>();
    WindowSource windower = segmentation.open(window -> hand(ready, copy(window), cancelled));
    // Once inference has given up, the decode thread stops at its next chunk: long silence hands
    // over no window, so it would otherwise go on decoding and running the model to the end.
    PcmSink guarded = (pcm, count, channels) -> {
      if (cancelled.get()) {
        throw new CancellationException("transcription stopped");
      }
      windower.accept(pcm, count, channels);
    };
    java.util.concurrent.atomic.AtomicLong decodeCpu = new java.util.concurrent.atomic.AtomicLong();
    Thread decoding = new Thread(() -> {
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      long start = threads.getCurrentThreadCpuTime();
      try {
        source.accept(guarded);
        if (!cancelled.get()) {
          windower.finish();
        }
      } catch (RuntimeException e) {
        decodeFailure.set(e);
      } catch (Error e) {
        // Still hand over the end below, or inference would wait for a window forever.
        decodeFailure.set(new IllegalStateException("decoding failed: " + e.getClass().getSimpleName(), e));
      } finally {
        decodeCpu.set(threads.getCurrentThreadCpuTime() - start);
      }
      try {
        hand(ready, END, cancelled);
      } catch (CancellationException stopped) {
        // Inference already gave up; nobody is waiting for the end marker.
      }
    }, "sessionflow-decode");
    decoding.setDaemon(true);
    decoding.start();
    List<Segment> segments = new ArrayList<>();
    java.util.Map<String, Integer> languages = new java.util.LinkedHashMap<>();
    WhisperEngine.Slot slot = null;
    int windows = 0;
    try {
      for (Windower.Window window = take(ready); window != END; window = take(ready)) {
        if (slot == null) {
          slot = slots.get();
        }
        if (stopping.getAsBoolean()) {
          throw new CancellationException("shutting down: the recording goes back to the queue");
        }
        WhisperEngine.Decoded decoded = slot.decode(window.mono(), window.frames(), WhisperEngine.Decoding.NORMAL);
        windows++;
        languages.merge(decoded.language(), 1, Integer::sum);
        segments.addAll(place(window, decoded.segments(), segments));
      }
    } finally {
      cancelled.set(true);
      ready.clear();
      // Joined on every path, so no decode thread runs the shared model after its job has ended.
      join(decoding);
    }
    if (decodeFailure.get() != null) {
      throw decodeFailure.get();
    }
    if (windower.rms() < SILENCE_RMS) {
      throw new DecodeException("the recording is silent throughout", null);
    }
    SpeechSummary speech = windower.speech();
    // No speech: nothing went to Whisper. A recording whose frames were sent for scoring near the
    // threshold but formed no region keeps its transcript (its regions are empty).
    if (speech != null && windows == 0) {
      throw new DecodeException("no speech: the voice-activity model found none in the recording", null);
    }
    String language = languages.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
        .map(java.util.Map.Entry::getKey).orElse("auto");
    return new Timeline(List.copyOf(segments), language, speech, windows, decodeCpu.get() / 1e9);
  }

  private static final Windower.Window END = new Windower.Window(-1, 0, new float[0], null, null,
      TimeMap.contiguous(-1));

  /** The windower reuses its buffers, so a window handed to another thread is a copy. */
  private static Windower.Window copy(Windower.Window w) {
    return new Windower.Window(w.startFrame(), w.frames(), java.util.Arrays.copyOf(w.mono(), w.frames()),
        w.left() == null ? null : java.util.Arrays.copyOf(w.left(), w.frames()),
        w.right() == null ? null : java.util.Arrays.copyOf(w.right(), w.frames()), w.map());
  }

  private static void hand(BlockingQueue<Windower.Window> ready, Windower.Window window, AtomicBoolean cancelled) {
    try {
      while (!ready.offer(window, 100, TimeUnit.MILLISECONDS)) {
        if (cancelled.get()) {
          throw new CancellationException("transcription stopped");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted");
    }
  }

  private static Windower.Window take(BlockingQueue<Windower.Window> ready) {
    try {
      return ready.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted");
    }
  }

  /** The decode thread stops at its next chunk once cancelled; a read that hangs is left behind after a minute. */
  private static void join(Thread thread) {
    try {
      thread.join(60_000);
      if (thread.isAlive()) {
        LOG.warn("a decode thread did not stop within 60 s of its transcription ending (a storage read hanging?)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Window-relative segments onto recording time (through the window's {@link TimeMap}), cleaned
   * and attributed. A segment Whisper places in the padding after the window's audio is dropped.
   */
  public static List<Segment> place(Windower.Window window, List<Segment> found, List<Segment> before) {
    List<Segment> placed = new ArrayList<>();
    double windowSeconds = window.frames() / (double) AudioDecoder.SAMPLE_RATE;
    String previous = before.isEmpty() ? null : before.get(before.size() - 1).text();
    for (Segment segment : found) {
      String text = segment.text() == null ? "" : segment.text().strip();
      if (text.isEmpty() || text.equals(previous) || segment.start() >= windowSeconds) {
        continue;
      }
      double from = clamp(segment.start(), 0, windowSeconds);
      double to = clamp(segment.end(), from, windowSeconds);
      double start = recordingSeconds(window, from, false);
      double end = Math.max(start, recordingSeconds(window, to, true));
      int id = before.size() + placed.size();
      placed.add(new Segment(id, round(start), round(end), text, speaker(window, from, to), segment.noSpeech()));
      previous = text;
    }
    return placed;
  }

  private static double recordingSeconds(Windower.Window window, double seconds, boolean end) {
    int offset = (int) Math.min(window.frames(), Math.round(seconds * AudioDecoder.SAMPLE_RATE));
    return window.map().recordingSample(offset, end) / (double) AudioDecoder.SAMPLE_RATE;
  }

  public static String speaker(Windower.Window window, double from, double to) {
    if (window.left() == null) {
      return null;
    }
    int a = (int) Math.max(0, Math.floor(from * AudioDecoder.SAMPLE_RATE));
    int b = (int) Math.min(window.frames(), Math.ceil(to * AudioDecoder.SAMPLE_RATE));
    double left = 0;
    double right = 0;
    for (int i = a; i < b; i++) {
      left += window.left()[i] * window.left()[i];
      right += window.right()[i] * window.right()[i];
    }
    if (left > DOMINANCE * right && left > 0) {
      return "A";
    }
    if (right > DOMINANCE * left && right > 0) {
      return "B";
    }
    return null;
  }

  private static double clamp(double value, double min, double max) {
    return Math.max(min, Math.min(max, value));
  }

  private static double round(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }
}
