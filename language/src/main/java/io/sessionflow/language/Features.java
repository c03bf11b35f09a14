package io.sessionflow.language;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The features every utterance-level head reads: the utterance's sentence embedding and max-pooled
 * token states, the sentence embedding of the turn before it (zeros when there is none), and a few
 * surface cues an embedding of lowercased word pieces does not keep (a question mark, how the turn
 * opens, its length).
 */
public final class Features {
  /** Surface cues after the embeddings. */
  public static final int SURFACE = 14;
  /** Width of {@link #utterance}. */
  public static final int WIDTH = 3 * SentenceEncoder.DIMENSIONS + SURFACE;
  /** Where the turn before starts in {@link #utterance}, and where it ends. */
  public static final int CONTEXT_FROM = 2 * SentenceEncoder.DIMENSIONS;
  public static final int CONTEXT_TO = 3 * SentenceEncoder.DIMENSIONS;
  private static final Set<String> WH = Set.of("what", "how", "why", "when", "where", "who", "which", "tell",
      "describe", "whats", "hows");
  private static final Set<String> AUXILIARY = Set.of("do", "did", "does", "are", "is", "have", "has", "can",
      "could", "would", "will", "was", "were", "should", "shall", "may", "am", "had", "any", "anything");
  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");
  // Cues a mean of word-piece states blurs: "I want to die" and "I don't want to die" embed alike.
  private static final Set<String> NEGATION = Set.of("not", "never", "no", "dont", "didnt", "wont", "cant",
      "isnt", "wasnt", "havent", "hasnt", "wouldnt", "couldnt", "nothing", "nope", "nah", "neither", "nor",
      "aint", "arent", "werent", "doesnt", "shouldnt", "none", "nobody");
  private static final Set<String> HYPOTHETICAL = Set.of("if", "would", "wouldnt", "suppose", "imagine",
      "hypothetically", "might", "could", "whether", "say", "ever");
  private static final Set<String> OTHERS = Set.of("he", "she", "they", "him", "her", "them", "his", "hers",
      "their", "friend", "cousin", "brother", "sister", "mum", "mom", "dad", "neighbour", "neighbor", "colleague",
      "son", "daughter", "husband", "wife", "partner", "uncle", "aunt");
  private static final Set<String> FIRST = Set.of("i", "im", "ive", "id", "ill", "me", "my", "myself", "mine");
  private static final Set<String> MEDIA = Set.of("tv", "film", "movie", "show", "series", "episode", "game",
      "news", "book", "novel", "podcast", "documentary", "netflix", "character", "season", "telly", "youtube");
  private static final Set<String> PAST = Set.of("ago", "years", "was", "were", "used", "back", "when", "teenager",
      "then", "anymore", "since");

  private Features() {
  }

  /**
   * @param own the utterance's embedding
   * @param ownMax the utterance's max-pooled token states
   * @param previous the previous turn's embedding, or null
   * @param previousByOther whether the previous turn was another speaker's
   * @param text the utterance
   */
  public static float[] utterance(float[] own, float[] ownMax, float[] previous, boolean previousByOther,
      String text) {
    float[] x = new float[WIDTH];
    System.arraycopy(own, 0, x, 0, SentenceEncoder.DIMENSIONS);
    System.arraycopy(ownMax, 0, x, SentenceEncoder.DIMENSIONS, SentenceEncoder.DIMENSIONS);
    if (previous != null) {
      System.arraycopy(previous, 0, x, CONTEXT_FROM, SentenceEncoder.DIMENSIONS);
    }
    int at = CONTEXT_TO;
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
    x[at + 7] = share(words, NEGATION);
    x[at + 8] = share(words, HYPOTHETICAL);
    x[at + 9] = share(words, OTHERS);
    x[at + 10] = share(words, FIRST);
    x[at + 11] = share(words, MEDIA);
    x[at + 12] = share(words, PAST);
    x[at + 13] = words.stream().anyMatch(NEGATION::contains) ? 1 : 0;
    return x;
  }

  /** How many of the words are in {@code set}, squashed into [0, 1). */
  private static float share(java.util.List<String> words, Set<String> set) {
    long n = words.stream().filter(set::contains).count();
    return (float) (n / (n + 1.0));
  }

  /** {@code x} followed by a one-hot of {@code index} among {@code count}. */
  public static float[] withOneHot(float[] x, int index, int count) {
    float[] out = java.util.Arrays.copyOf(x, x.length + count);
    out[x.length + index] = 1;
    return out;
  }
}
