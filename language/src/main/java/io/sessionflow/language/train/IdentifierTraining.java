package io.sessionflow.language.train;

import io.sessionflow.language.IdentifierTagger;
import io.sessionflow.language.SentenceEncoder;
import io.sessionflow.language.data.LabelledSets.Utterance;
import io.sessionflow.language.data.LabelledText;
import io.sessionflow.language.data.Rendering;
import io.sessionflow.language.head.Head;
import io.sessionflow.language.head.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains the {@code identifier} head: one label per word ({@code O} or an identifier kind) from the
 * labelling guide's marks, on every text that holds an identifier (as written and in speech-recogniser
 * style, identifiers left in) and a quarter of those that hold none. The same validation share as the
 * other heads chooses the threshold on "any identifier" for F2 (a missed name costs more than an
 * over-replaced word) and prints word- and identifier-level figures.
 */
final class IdentifierTraining {
  static final List<String> LABELS = List.of("O", "PERSON", "PHONE", "EMAIL", "ADDRESS", "DATE", "AGE", "ID", "URL");

  /** The words of one text, their features and labels. */
  private record Text(LabelledText text, boolean validation, List<float[]> features, List<Integer> labels,
      List<IdentifierTagger.Word> words) {
  }

  private IdentifierTraining() {
  }

  static Map.Entry<Head, Double> train(List<Utterance> utterances, Trainer.Settings settings, PrintStream log) {
    List<LabelledText> texts = new ArrayList<>();
    List<Boolean> validation = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Utterance u : utterances) {
      boolean check = Math.floorMod(u.text().text().hashCode(), 100) < TrainHeads.VALIDATION_PERCENT;
      boolean any = !u.text().identifiers().isEmpty();
      if (!any && Math.floorMod(u.text().text().hashCode() * 31 + 7, 100) >= 25) {
        continue;
      }
      for (boolean asr : new boolean[] {false, true}) {
        LabelledText styled = Rendering.styled(u.text(), asr);
        if (seen.add(styled.text())) {
          texts.add(styled);
          validation.add(check);
        }
      }
    }
    long started = System.nanoTime();
    List<Text> encoded = encode(texts, validation);
    log.printf(Locale.ROOT, "%nidentifier: %d texts encoded word by word in %.1f s%n", encoded.size(),
        (System.nanoTime() - started) / 1e9);
    List<Trainer.Example> train = new ArrayList<>();
    for (Text t : encoded) {
      if (!t.validation()) {
        for (int w = 0; w < t.features().size(); w++) {
          train.add(new Trainer.Example(t.features().get(w), TrainHeads.oneHot(t.labels().get(w), LABELS.size()),
              1f));
        }
      }
    }
    log.printf(Locale.ROOT, "identifier: %d training words%n", train.size());
    Head head = Trainer.train("identifier", Head.Output.SOFTMAX, LABELS, train, settings);
    double threshold = chooseThreshold(head, encoded, log);
    return Map.entry(head, threshold);
  }

  private static List<Text> encode(List<LabelledText> texts, List<Boolean> validation) {
    List<Integer> indices = java.util.stream.IntStream.range(0, texts.size()).boxed().toList();
    return TrainHeads.inParallel(indices, (encoder, i) -> words(encoder, texts.get(i), validation.get(i)));
  }

  private static Text words(SentenceEncoder encoder, LabelledText text, boolean validation) {
    SentenceEncoder.Encoded encoded = encoder.encode(text.text());
    List<IdentifierTagger.Word> words = IdentifierTagger.words(encoded.tokens());
    List<float[]> features = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int w = 0; w < words.size(); w++) {
      IdentifierTagger.Word word = words.get(w);
      features.add(IdentifierTagger.features(text.text(), encoded, words, w));
      int label = 0;
      for (LabelledText.Span span : text.identifiers()) {
        if (word.start() < span.end() && span.start() < word.end()) {
          label = LABELS.indexOf(span.kind());
        }
      }
      labels.add(label);
    }
    return new Text(text, validation, features, labels, words);
  }

  private static double chooseThreshold(Head head, List<Text> texts, PrintStream log) {
    List<double[]> scores = new ArrayList<>();
    List<Integer> truth = new ArrayList<>();
    for (Text t : texts) {
      if (t.validation()) {
        for (int w = 0; w < t.features().size(); w++) {
          scores.add(head.scores(t.features().get(w)));
          truth.add(t.labels().get(w));
        }
      }
    }
    double best = 0.5;
    double bestF = -1;
    for (int step = 10; step <= 90; step += 5) {
      double threshold = step / 100.0;
      int[] c = counts(scores, truth, threshold);
      double f2 = c[0] == 0 ? 0 : 5.0 * c[0] / (5.0 * c[0] + 4.0 * c[2] + c[1]);
      if (f2 > bestF + 1e-9) {
        bestF = f2;
        best = threshold;
      }
    }
    int[] c = counts(scores, truth, best);
    log.printf(Locale.ROOT, "identifier (validation words): threshold %.2f, precision %.3f, recall %.3f "
        + "(tp %d fp %d fn %d); kind right on %.3f of the words found%n", best, c[0] + c[1] == 0 ? 1
        : (double) c[0] / (c[0] + c[1]), c[0] + c[2] == 0 ? 1 : (double) c[0] / (c[0] + c[2]), c[0], c[1], c[2],
        c[0] == 0 ? 0 : (double) c[3] / c[0]);
    int spans = 0;
    int covered = 0;
    for (Text t : texts) {
      if (t.validation()) {
        for (LabelledText.Span span : t.text().identifiers()) {
          spans++;
          boolean all = true;
          for (int w = 0; w < t.words().size(); w++) {
            IdentifierTagger.Word word = t.words().get(w);
            if (word.start() < span.end() && span.start() < word.end()
                && 1 - head.scores(t.features().get(w))[0] < best) {
              all = false;
            }
          }
          covered += all ? 1 : 0;
        }
      }
    }
    log.printf(Locale.ROOT, "identifier (validation): %d of %d identifiers wholly found by the model alone (%.3f)%n",
        covered, spans, spans == 0 ? 0 : (double) covered / spans);
    return best;
  }

  /** tp, fp, fn of "an identifier" against O, and how many true positives got the right kind. */
  private static int[] counts(List<double[]> scores, List<Integer> truth, double threshold) {
    int[] c = new int[4];
    for (int i = 0; i < scores.size(); i++) {
      double[] p = scores.get(i);
      boolean said = 1 - p[0] >= threshold;
      boolean real = truth.get(i) != 0;
      if (said && real) {
        c[0]++;
        int kind = 1;
        for (int k = 2; k < p.length; k++) {
          if (p[k] > p[kind]) {
            kind = k;
          }
        }
        c[3] += kind == truth.get(i) ? 1 : 0;
      } else if (said) {
        c[1]++;
      } else if (real) {
        c[2]++;
      }
    }
    return c;
  }
}
