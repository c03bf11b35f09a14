package io.sessionflow.language;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The features every utterance-level head reads: the utterance's sentence embedding, the embedding
 * of the turn before it (zeros when there is none), and a few surface cues an embedding of
 * lowercased word pieces does not keep (a question mark, how the turn opens, its length).
 */
public final class Features {
  /** Surface cues after the two embeddings. */
  public static final int SURFACE = 7;
  /** Width of {@link #utterance}. */
  public static final int WIDTH = 2 * SentenceEncoder.DIMENSIONS + SURFACE;
  private static final Set<String> WH = Set.of("what", "how", "why", "when", "where", "who", "which", "tell",
      "describe", "whats", "hows");
  private static final Set<String> AUXILIARY = Set.of("do", "did", "does", "are", "is", "have", "has", "can",
      "could", "would", "will", "was", "were", "should", "shall", "may", "am", "had", "any", "anything");
  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");

  private Features() {
  }

  /**
   * @param own the utterance's embedding
   * @param previous the previous turn's embedding, or null
   * @param previousByOther whether the previous turn was another speaker's
   * @param text the utterance
   */
  public static float[] utterance(float[] own, float[] previous, boolean previousByOther, String text) {
    float[] x = new float[WIDTH];
    System.arraycopy(own, 0, x, 0, SentenceEncoder.DIMENSIONS);
    if (previous != null) {
      System.arraycopy(previous, 0, x, SentenceEncoder.DIMENSIONS, SentenceEncoder.DIMENSIONS);
    }
    int at = 2 * SentenceEncoder.DIMENSIONS;
    String lower = text.toLowerCase(Locale.ROOT);
    var words = WORD.matcher(lower).results().map(m -> m.group().replace("'", "")).toList();
    String first = words.isEmpty() ? "" : words.get(0);
    x[at] = lower.contains("?") ? 1 : 0;
    x[at + 1] = WH.contains(first) ? 1 : 0;
    x[at + 2] = AUXILIARY.contains(first) ? 1 : 0;
    x[at + 3] = (float) (Math.log1p(words.size()) / 4);
    x[at + 4] = previous == null ? 0 : 1;
    x[at + 5] = previous != null && previousByOther ? 1 : 0;
    x[at + 6] = words.contains("you") || words.contains("youre") || words.contains("your") ? 1 : 0;
    return x;
  }

  /** {@code x} followed by a one-hot of {@code index} among {@code count}. */
  public static float[] withOneHot(float[] x, int index, int count) {
    float[] out = java.util.Arrays.copyOf(x, x.length + count);
    out[x.length + index] = 1;
    return out;
  }
}
