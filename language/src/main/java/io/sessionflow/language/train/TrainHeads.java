package io.sessionflow.language.train;

import io.sessionflow.language.Features;
import io.sessionflow.language.SentenceEncoder;
import io.sessionflow.language.data.Label;
import io.sessionflow.language.data.LabelledSets;
import io.sessionflow.language.data.LabelledSets.Utterance;
import io.sessionflow.language.data.Rendering;
import io.sessionflow.language.head.Head;
import io.sessionflow.language.head.HeadSet;
import io.sessionflow.language.head.Trainer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Trains the analyzer's heads from the labelled training data ({@code language/data/train}):
 * {@code risk} (one sigmoid per category), {@code severity} and {@code temporality} (of a flag, given
 * its category), {@code technique} (MITI code of a clinician turn) and {@code role} (clinician or
 * client) and {@code identifier} (per word: {@code O} or an identifier kind, see
 * {@link IdentifierTraining}). Every utterance is seen as the analyzer sees it — identifiers already placeholders — and
 * once more in speech-recogniser style (lowercase, no punctuation). A fixed 15 % of the utterances
 * (by a hash of their text) is held back to choose the risk thresholds and to print validation
 * figures; the heads are trained on the rest. Deterministic: same data, same weights.
 * Usage: {@code TrainHeads DATA_DIR OUT_FILE}. For experiments on the validation split, system
 * properties override the settings ({@code train.hidden}, {@code train.epochs}, {@code train.rate},
 * {@code train.decay}, {@code train.dropout}, {@code train.contextDropout}), {@code train.riskOnly}
 * stops after the risk head, {@code train.fit} also prints its fit on the training part, and
 * {@code train.debug=CATEGORY} prints that category's validation errors. Embeddings of the (synthetic)
 * training texts are cached in {@code train.cache} (under {@code language/target}).
 */
public final class TrainHeads {
  static final int VALIDATION_PERCENT = 15;
  private final Map<String, float[]> embeddings = new LinkedHashMap<>();

  /** One utterance as a training item. */
  record Item(Utterance utterance, String text, String previous, boolean previousByOther, boolean validation) {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: TrainHeads DATA_DIR OUT_FILE");
      System.exit(2);
    }
    long started = System.nanoTime();
    HeadSet heads = new TrainHeads().train(Path.of(args[0]), System.out);
    Path out = Path.of(args[1]);
    Files.createDirectories(out.toAbsolutePath().getParent());
    try (OutputStream file = Files.newOutputStream(out)) {
      heads.write(file);
    }
    System.out.printf(Locale.ROOT, "heads written to %s (%d bytes, sha256 %s) in %.1f s%n", out, Files.size(out),
        sha256(Files.readAllBytes(out)), (System.nanoTime() - started) / 1e9);
  }

  HeadSet train(Path dataDir, java.io.PrintStream log) throws IOException {
    List<Utterance> utterances = load(dataDir);
    List<Item> items = new ArrayList<>();
    for (Utterance u : utterances) {
      boolean validation = Math.floorMod(u.text().text().hashCode(), 100) < VALIDATION_PERCENT;
      for (boolean asr : new boolean[] {false, true}) {
        String text = Rendering.pseudonymised(u.text(), asr);
        if (asr && text.equals(Rendering.pseudonymised(u.text(), false))) {
          continue;
        }
        String previous = u.previous() == null ? null : Rendering.pseudonymised(u.previous(), asr);
        boolean byOther = u.previousSpeaker() != null && !u.previousSpeaker().equals(u.speaker());
        items.add(new Item(u, text, previous, byOther, validation));
      }
    }
    log.printf(Locale.ROOT, "%d labelled utterances, %d items with the recogniser-style copies%n",
        utterances.size(), items.size());
    encodeAll(items, log);

    Trainer.Settings d = Trainer.Settings.defaults();
    Trainer.Settings settings = new Trainer.Settings(Integer.getInteger("train.hidden", d.hidden()),
        Integer.getInteger("train.epochs", d.epochs()), Double.parseDouble(System.getProperty("train.rate",
        String.valueOf(d.learningRate()))), Double.parseDouble(System.getProperty("train.decay",
        String.valueOf(d.weightDecay()))), Double.parseDouble(System.getProperty("train.dropout",
        String.valueOf(d.inputDropout()))), d.batch(), d.seed(), 0, 0, 0)
        .withContext(Features.CONTEXT_FROM, Features.CONTEXT_TO,
            Double.parseDouble(System.getProperty("train.contextDropout", "0.5")));
    log.println(settings);
    Map<String, Head> heads = new LinkedHashMap<>();
    Map<String, Double> thresholds = new LinkedHashMap<>();

    List<Item> train = items.stream().filter(i -> !i.validation()).toList();
    List<Item> check = items.stream().filter(Item::validation).toList();

    Head risk = Trainer.train("risk", Head.Output.SIGMOID, Label.CATEGORIES, riskExamples(train), settings);
    heads.put("risk", risk);
    log.println("\nrisk (validation split, per category; threshold chosen for F1 there):");
    if (Boolean.getBoolean("train.fit")) {
      log.println("  (fit on the training split itself)");
      for (int c = 0; c < Label.CATEGORIES.size(); c++) {
        chooseThreshold(risk, train, c, log);
      }
    }
    for (int c = 0; c < Label.CATEGORIES.size(); c++) {
      double best = chooseThreshold(risk, check, c, log);
      thresholds.put("risk/" + Label.CATEGORIES.get(c), best);
    }

    if (Boolean.getBoolean("train.riskOnly")) {
      return new HeadSet("experiment", heads, thresholds);
    }
    Head severity = Trainer.train("severity", Head.Output.SOFTMAX, Label.SEVERITIES,
        flagExamples(train, f -> Label.SEVERITIES.indexOf(f.severity()), Label.SEVERITIES.size()), settings);
    Head temporality = Trainer.train("temporality", Head.Output.SOFTMAX, Label.TEMPORALITIES,
        flagExamples(train, f -> Label.TEMPORALITIES.indexOf(f.temporality()), Label.TEMPORALITIES.size()),
        settings);
    heads.put("severity", severity);
    heads.put("temporality", temporality);
    log.printf(Locale.ROOT, "severity accuracy (validation, true flags): %.3f%n", flagAccuracy(severity, check,
        f -> f.severity()));
    log.printf(Locale.ROOT, "temporality accuracy (validation, true flags): %.3f%n", flagAccuracy(temporality,
        check, f -> f.temporality()));

    List<Trainer.Example> techniqueTrain = new ArrayList<>();
    for (Item i : train) {
      if (i.utterance().label().isCode()) {
        techniqueTrain.add(new Trainer.Example(features(i), oneHot(Label.CODES.indexOf(i.utterance().label()
            .code()), Label.CODES.size()), 1f));
      }
    }
    Head technique = Trainer.train("technique", Head.Output.SOFTMAX, Label.CODES, techniqueTrain, settings);
    heads.put("technique", technique);
    long right = 0;
    long all = 0;
    for (Item i : check) {
      if (i.utterance().label().isCode()) {
        all++;
        right += technique.best(technique.scores(features(i))).equals(i.utterance().label().code()) ? 1 : 0;
      }
    }
    log.printf(Locale.ROOT, "technique accuracy (validation): %.3f of %d%n", all == 0 ? 0 : (double) right / all, all);

    List<Trainer.Example> roleTrain = new ArrayList<>();
    for (Item i : train) {
      roleTrain.add(new Trainer.Example(features(i), oneHot(i.utterance().clinician() ? 0 : 1, 2), 1f));
    }
    Head role = Trainer.train("role", Head.Output.SOFTMAX, List.of("clinician", "client"), roleTrain, settings);
    heads.put("role", role);
    right = 0;
    for (Item i : check) {
      right += role.best(role.scores(features(i))).equals(i.utterance().clinician() ? "clinician" : "client") ? 1 : 0;
    }
    log.printf(Locale.ROOT, "role accuracy per utterance (validation): %.3f of %d%n", (double) right / check.size(),
        check.size());

    Trainer.Settings wordSettings = new Trainer.Settings(settings.hidden(), Integer.getInteger("train.wordEpochs", 8),
        settings.learningRate(), settings.weightDecay(), settings.inputDropout(), settings.batch(), settings.seed(),
        0, 0, 0);
    heads.put("plan", plan(train, check, settings, thresholds, log));
    Map.Entry<Head, Double> identifier = IdentifierTraining.train(utterances, wordSettings, log);
    heads.put("identifier", identifier.getKey());
    thresholds.put("identifier/any", identifier.getValue());

    String description = String.format(Locale.ROOT, "all-MiniLM-L6-v2-q features; %d utterances (%d items) "
        + "from %s; data sha256 %s; %s", utterances.size(), items.size(), dataDir.getFileName(), dataHash(dataDir),
        settings);
    return new HeadSet(description, heads, thresholds);
  }

  /** What was agreed in a session, per utterance of the sessions (by identity): the plan kinds it says. */
  private final Map<Utterance, java.util.Set<String>> planned = new java.util.IdentityHashMap<>();

  List<Utterance> load(Path dataDir) throws IOException {
    List<Utterance> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(dataDir)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        if (name.endsWith(".tsv")) {
          all.addAll(LabelledSets.bulk(file));
        } else if (name.endsWith(".txt")) {
          for (LabelledSets.Session session : LabelledSets.sessions(file)) {
            all.addAll(session.utterances());
            for (int n = 0; n < session.utterances().size(); n++) {
              java.util.Set<String> kinds = new java.util.TreeSet<>();
              for (Map.Entry<String, List<Integer>> plan : session.plan().entrySet()) {
                if (plan.getValue().contains(n + 1)) {
                  kinds.add(plan.getKey());
                }
              }
              planned.put(session.utterances().get(n), kinds);
            }
          }
        }
      }
    }
    return all;
  }

  /** The {@code plan} head: per session utterance, which agreed plan kinds it says (one sigmoid each). */
  private Head plan(List<Item> train, List<Item> check, Trainer.Settings settings, Map<String, Double> thresholds,
      java.io.PrintStream log) {
    List<Trainer.Example> examples = new ArrayList<>();
    for (Item i : train) {
      java.util.Set<String> kinds = planned.get(i.utterance());
      if (kinds != null) {
        float[] y = new float[Label.PLANS.size()];
        kinds.forEach(k -> y[Label.PLANS.indexOf(k)] = 1);
        examples.add(new Trainer.Example(features(i), y, 1f));
      }
    }
    Head plan = Trainer.train("plan", Head.Output.SIGMOID, Label.PLANS, examples, settings);
    log.printf(Locale.ROOT, "%nplan (validation split of the sessions; threshold per kind chosen there for F2: a "
        + "plan item missing from the note costs more than an extra quote):%n");
    for (int k = 0; k < Label.PLANS.size(); k++) {
      double best = 0.5;
      double bestF = -1;
      int[] bestCounts = new int[3];
      for (int step = 10; step <= 90; step += 5) {
        double threshold = step / 100.0;
        int[] c = new int[3];
        for (Item i : check) {
          java.util.Set<String> kinds = planned.get(i.utterance());
          if (kinds != null) {
            boolean said = plan.scores(features(i))[k] >= threshold;
            boolean real = kinds.contains(Label.PLANS.get(k));
            c[0] += said && real ? 1 : 0;
            c[1] += said && !real ? 1 : 0;
            c[2] += !said && real ? 1 : 0;
          }
        }
        double f2 = c[0] == 0 ? 0 : 5.0 * c[0] / (5.0 * c[0] + 4.0 * c[2] + c[1]);
        if (f2 > bestF + 1e-9) {
          bestF = f2;
          best = threshold;
          bestCounts = c;
        }
      }
      thresholds.put("plan/" + Label.PLANS.get(k), best);
      log.printf(Locale.ROOT, "  %-18s threshold %.2f  tp %d fp %d fn %d%n", Label.PLANS.get(k), best,
          bestCounts[0], bestCounts[1], bestCounts[2]);
    }
    return plan;
  }

  private void encodeAll(List<Item> items, java.io.PrintStream log) throws IOException {
    Path cache = Path.of(System.getProperty("train.cache", "language/target/train-embeddings-v2.bin"));
    Map<String, float[]> cached = readCache(cache);
    List<String> texts = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Item i : items) {
      for (String t : new String[] {i.text(), i.previous()}) {
        if (t != null && seen.add(t)) {
          if (cached.containsKey(t)) {
            embeddings.put(t, cached.get(t));
          } else {
            texts.add(t);
          }
        }
      }
    }
    log.printf(Locale.ROOT, "%d texts from the embedding cache %s, %d to encode%n", seen.size() - texts.size(), cache,
        texts.size());
    long started = System.nanoTime();
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    List<SentenceEncoder.Encoded> encoded = inParallel(texts, SentenceEncoder::encode);
    int at = 0;
    for (SentenceEncoder.Encoded e : encoded) {
      float[] both = java.util.Arrays.copyOf(e.embedding(), 2 * SentenceEncoder.DIMENSIONS);
      System.arraycopy(e.maxPooled(), 0, both, SentenceEncoder.DIMENSIONS, SentenceEncoder.DIMENSIONS);
      embeddings.put(texts.get(at++), both);
    }
    log.printf(Locale.ROOT, "%d distinct texts encoded in %.1f s on %d threads%n", texts.size(),
        (System.nanoTime() - started) / 1e9, threads);
    if (!texts.isEmpty()) {
      writeCache(cache, embeddings);
    }
  }

  /**
   * {@code work} on every item, the items split over one encoder per core; the results in the
   * items' order. Fails if any thread failed.
   */
  static <T, R> List<R> inParallel(List<T> items, java.util.function.BiFunction<SentenceEncoder, T, R> work) {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    List<List<R>> parts = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    int per = (items.size() + threads - 1) / threads;
    for (int t = 0; t < threads; t++) {
      List<T> slice = items.subList(Math.min(items.size(), t * per), Math.min(items.size(), (t + 1) * per));
      List<R> result = new ArrayList<>();
      parts.add(result);
      Thread worker = new Thread(() -> {
        try (SentenceEncoder encoder = SentenceEncoder.load(1)) {
          slice.forEach(item -> result.add(work.apply(encoder, item)));
        }
      });
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      try {
        worker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    List<R> all = new ArrayList<>();
    parts.forEach(all::addAll);
    if (all.size() != items.size()) {
      throw new IllegalStateException("an encoder thread failed: " + all.size() + " of " + items.size() + " done");
    }
    return all;
  }

  /** Embeddings of training texts (synthetic, no one's data) kept between runs: text to vector. */
  private static Map<String, float[]> readCache(Path cache) throws IOException {
    Map<String, float[]> out = new java.util.HashMap<>();
    if (!Files.exists(cache)) {
      return out;
    }
    try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
        Files.newInputStream(cache)))) {
      int n = in.readInt();
      for (int k = 0; k < n; k++) {
        int length = in.readInt();
        String text = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        float[] v = new float[2 * SentenceEncoder.DIMENSIONS];
        for (int d = 0; d < v.length; d++) {
          v[d] = in.readFloat();
        }
        out.put(text, v);
      }
    }
    return out;
  }

  private static void writeCache(Path cache, Map<String, float[]> embeddings) throws IOException {
    Files.createDirectories(cache.toAbsolutePath().getParent());
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
        Files.newOutputStream(cache)))) {
      out.writeInt(embeddings.size());
      for (Map.Entry<String, float[]> e : embeddings.entrySet()) {
        byte[] text = e.getKey().getBytes(StandardCharsets.UTF_8);
        out.writeInt(text.length);
        out.write(text);
        for (float v : e.getValue()) {
          out.writeFloat(v);
        }
      }
    }
  }

  float[] features(Item i) {
    float[] own = embeddings.get(i.text());
    float[] previous = i.previous() == null ? null : embeddings.get(i.previous());
    return Features.utterance(java.util.Arrays.copyOf(own, SentenceEncoder.DIMENSIONS), java.util.Arrays
        .copyOfRange(own, SentenceEncoder.DIMENSIONS, 2 * SentenceEncoder.DIMENSIONS), previous == null ? null
        : java.util.Arrays.copyOf(previous, SentenceEncoder.DIMENSIONS), i.previousByOther(), i.text());
  }

  private List<Trainer.Example> riskExamples(List<Item> items) {
    List<Trainer.Example> out = new ArrayList<>();
    for (Item i : items) {
      float[] y = new float[Label.CATEGORIES.size()];
      for (Label.Flag f : i.utterance().label().flags()) {
        y[Label.CATEGORIES.indexOf(f.category())] = 1;
      }
      out.add(new Trainer.Example(features(i), y, 1f));
    }
    return out;
  }

  private List<Trainer.Example> flagExamples(List<Item> items, java.util.function.ToIntFunction<Label.Flag> target,
      int classes) {
    List<Trainer.Example> out = new ArrayList<>();
    for (Item i : items) {
      for (Label.Flag f : i.utterance().label().flags()) {
        out.add(new Trainer.Example(flagFeatures(i, f.category()), oneHot(target.applyAsInt(f), classes), 1f));
      }
    }
    return out;
  }

  float[] flagFeatures(Item i, String category) {
    return Features.withOneHot(features(i), Label.CATEGORIES.indexOf(category), Label.CATEGORIES.size());
  }

  private double flagAccuracy(Head head, List<Item> items, java.util.function.Function<Label.Flag, String> truth) {
    long right = 0;
    long all = 0;
    for (Item i : items) {
      for (Label.Flag f : i.utterance().label().flags()) {
        all++;
        right += head.best(head.scores(flagFeatures(i, f.category()))).equals(truth.apply(f)) ? 1 : 0;
      }
    }
    return all == 0 ? 0 : (double) right / all;
  }

  private double chooseThreshold(Head risk, List<Item> check, int c, java.io.PrintStream log) {
    double[] scores = new double[check.size()];
    boolean[] truth = new boolean[check.size()];
    String category = Label.CATEGORIES.get(c);
    for (int n = 0; n < check.size(); n++) {
      scores[n] = risk.scores(features(check.get(n)))[c];
      truth[n] = check.get(n).utterance().label().flags().stream().anyMatch(f -> f.category().equals(category));
    }
    double best = 0.5;
    double bestF1 = -1;
    for (int step = 10; step <= 90; step += 5) {
      double t = step / 100.0;
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (int n = 0; n < scores.length; n++) {
        boolean flagged = scores[n] >= t;
        tp += flagged && truth[n] ? 1 : 0;
        fp += flagged && !truth[n] ? 1 : 0;
        fn += !flagged && truth[n] ? 1 : 0;
      }
      double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
      if (f1 > bestF1 + 1e-9) {
        bestF1 = f1;
        best = t;
      }
    }
    int tp = 0;
    int fp = 0;
    int fn = 0;
    for (int n = 0; n < scores.length; n++) {
      boolean flagged = scores[n] >= best;
      tp += flagged && truth[n] ? 1 : 0;
      fp += flagged && !truth[n] ? 1 : 0;
      fn += !flagged && truth[n] ? 1 : 0;
    }
    if (category.equals(System.getProperty("train.debug"))) {
      for (int n = 0; n < scores.length; n++) {
        boolean flagged = scores[n] >= best;
        if (flagged != truth[n]) {
          log.printf(Locale.ROOT, "    %s %.2f %s | %s%n", flagged ? "FP" : "FN", scores[n],
              check.get(n).utterance().label().flags().isEmpty() ? String.valueOf(check.get(n).utterance().label()
              .decoy()) : check.get(n).utterance().label().flags().toString(), check.get(n).text());
        }
      }
    }
    Map<String, Integer> falseFrom = new java.util.TreeMap<>();
    for (int n = 0; n < scores.length; n++) {
      if (scores[n] >= best && !truth[n]) {
        Label label = check.get(n).utterance().label();
        String from = label.isCode() ? "clinician" : label.isRisk() ? label.flags().get(0).category()
            : "none:" + label.decoy();
        falseFrom.merge(from, 1, Integer::sum);
      }
    }
    log.printf(Locale.ROOT, "  %-20s threshold %.2f  precision %.3f  recall %.3f  (tp %d fp %d fn %d) fp from %s%n",
        category,
        best, tp + fp == 0 ? 1 : (double) tp / (tp + fp), tp + fn == 0 ? 1 : (double) tp / (tp + fn), tp, fp, fn,
        falseFrom);
    return best;
  }

  static float[] oneHot(int index, int count) {
    float[] y = new float[count];
    y[index] = 1;
    return y;
  }

  private static String dataHash(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.list(dataDir)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path file : files.sorted().toList()) {
        digest.update(file.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        digest.update(Files.readAllBytes(file));
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
