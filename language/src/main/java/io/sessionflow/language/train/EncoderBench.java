package io.sessionflow.language.train;

import io.sessionflow.language.SentenceEncoder;
import io.sessionflow.language.data.LabelledSets;
import io.sessionflow.language.data.Rendering;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The encoder's speed on one session's worth of utterances: model load (tokenizer and ONNX
 * session, in this fresh JVM) and the time to encode 900 utterances one after another on one
 * intra-op thread, after a warm-up, with per-utterance percentiles and the heap in use. The texts
 * are the training sessions' utterances, pseudonymised as the analyzer sees them (what is timed is
 * their length, not their labels). Usage: {@code EncoderBench SESSIONS_FILE [UTTERANCES]}; run by
 * {@code bench/language-bench.sh}, pinned to one core.
 */
public final class EncoderBench {
  private EncoderBench() {
  }

  public static void main(String[] args) {
    Path file = Path.of(args.length > 0 ? args[0] : "language/data/train/sessions.txt");
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 900;
    List<String> texts = new ArrayList<>();
    for (LabelledSets.Session session : LabelledSets.sessions(file)) {
      for (LabelledSets.Utterance utterance : session.utterances()) {
        texts.add(Rendering.pseudonymised(utterance.text(), false));
      }
    }
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("no utterances in " + file);
    }
    long loadStart = System.nanoTime();
    try (SentenceEncoder encoder = SentenceEncoder.load(1)) {
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
      for (int i = 0; i < 50; i++) {
        encoder.encode(texts.get(i % texts.size()));
      }
      long[] each = new long[count];
      long words = 0;
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        String text = texts.get(i % texts.size());
        words += text.split("\\s+").length;
        long t = System.nanoTime();
        encoder.encode(text);
        each[i] = System.nanoTime() - t;
      }
      double total = (System.nanoTime() - start) / 1e9;
      Arrays.sort(each);
      Runtime rt = Runtime.getRuntime();
      System.out.printf("encoder load: %.2f s%n", loadSeconds);
      System.out.printf("%d utterances (%.1f words on average): %.2f s on one thread; per utterance p50 %.1f ms, "
          + "p95 %.1f ms, max %.1f ms%n", count, (double) words / count, total, each[count / 2] / 1e6,
          each[(int) (count * 0.95)] / 1e6, each[count - 1] / 1e6);
      System.out.printf("heap in use after: %d MiB (max %d MiB)%n", (rt.totalMemory() - rt.freeMemory()) >> 20,
          rt.maxMemory() >> 20);
    }
  }
}
