package io.sessionflow.language.head;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a {@link Head}: mini-batch Adam on cross-entropy (softmax) or per-label binary
 * cross-entropy (sigmoid), with input dropout and weight decay. Deterministic: the same examples,
 * settings and seed give the same weights, bit for bit (one thread, a seeded generator, a fixed order).
 */
public final class Trainer {
  /** Settings of one training run. */
  /**
   * Settings of one training run. {@code contextDropout} zeroes the features {@code [contextFrom,
   * contextTo)} (the turn before) of that share of the examples, so that a head cannot lean on the
   * context alone: a disclosure must be recognised in its own words.
   */
  public record Settings(int hidden, int epochs, double learningRate, double weightDecay, double inputDropout,
      int batch, long seed, int contextFrom, int contextTo, double contextDropout) {
    public static Settings defaults() {
      return new Settings(96, 20, 1e-3, 1e-4, 0.1, 32, 16L, 0, 0, 0);
    }

    public Settings withContext(int from, int to, double rate) {
      return new Settings(hidden, epochs, learningRate, weightDecay, inputDropout, batch, seed, from, to, rate);
    }
  }

  /** One example: its features, its target per label (one-hot for softmax) and its weight. */
  public record Example(float[] x, float[] y, float weight) {
  }

  private Trainer() {
  }

  public static Head train(String name, Head.Output output, List<String> labels, List<Example> examples,
      Settings s) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("no examples to train head " + name + " on");
    }
    int d = examples.get(0).x().length;
    int k = labels.size();
    int h = s.hidden();
    SplittableRandom random = new SplittableRandom(s.seed());
    float[] w1 = new float[h * d];
    float[] b1 = new float[h];
    float[] w2 = new float[k * h];
    float[] b2 = new float[k];
    double scale1 = Math.sqrt(2.0 / d);
    double scale2 = Math.sqrt(1.0 / h);
    for (int i = 0; i < w1.length; i++) {
      w1[i] = (float) (gaussian(random) * scale1);
    }
    for (int i = 0; i < w2.length; i++) {
      w2[i] = (float) (gaussian(random) * scale2);
    }
    Head head = new Head(name, output, labels, d, h, w1, b1, w2, b2);
    Adam adam = new Adam(new float[][] {w1, b1, w2, b2}, s.learningRate());

    int[] order = new int[examples.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    float[][] grads = {new float[w1.length], new float[b1.length], new float[w2.length], new float[b2.length]};
    float[] x = new float[d];
    double[] pre = new double[h];
    double[] hid = new double[h];
    double[] z = new double[k];
    double[] dh = new double[h];
    for (int epoch = 0; epoch < s.epochs(); epoch++) {
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (int from = 0; from < order.length; from += s.batch()) {
        int to = Math.min(order.length, from + s.batch());
        for (float[] g : grads) {
          java.util.Arrays.fill(g, 0f);
        }
        double totalWeight = 0;
        for (int n = from; n < to; n++) {
          Example e = examples.get(order[n]);
          boolean dropContext = s.contextDropout() > 0 && random.nextDouble() < s.contextDropout();
          for (int i = 0; i < d; i++) {
            x[i] = (s.inputDropout() > 0 && random.nextDouble() < s.inputDropout())
                || (dropContext && i >= s.contextFrom() && i < s.contextTo()) ? 0f
                : (float) (e.x()[i] / (1 - s.inputDropout()));
          }
          for (int j = 0; j < h; j++) {
            double sum = b1[j];
            int row = j * d;
            for (int i = 0; i < d; i++) {
              sum += w1[row + i] * x[i];
            }
            pre[j] = sum;
            hid[j] = Math.max(0, sum);
          }
          head.forwardOutput(hid, z);
          double[] p = head.probabilities(z);
          float weight = e.weight();
          totalWeight += weight;
          java.util.Arrays.fill(dh, 0);
          for (int c = 0; c < k; c++) {
            double dz = (p[c] - e.y()[c]) * weight;
            grads[3][c] += (float) dz;
            int row = c * h;
            for (int j = 0; j < h; j++) {
              grads[2][row + j] += (float) (dz * hid[j]);
              dh[j] += dz * w2[row + j];
            }
          }
          for (int j = 0; j < h; j++) {
            if (pre[j] <= 0) {
              continue;
            }
            double g = dh[j];
            grads[1][j] += (float) g;
            int row = j * d;
            for (int i = 0; i < d; i++) {
              grads[0][row + i] += (float) (g * x[i]);
            }
          }
        }
        float norm = (float) Math.max(totalWeight, 1e-9);
        for (float[] g : grads) {
          for (int i = 0; i < g.length; i++) {
            g[i] /= norm;
          }
        }
        adam.step(grads, s.weightDecay());
      }
    }
    return head;
  }

  private static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Adam with decoupled weight decay on the weight matrices (not the biases). */
  private static final class Adam {
    private final float[][] params;
    private final float[][] m;
    private final float[][] v;
    private final double rate;
    private int t;

    Adam(float[][] params, double rate) {
      this.params = params;
      this.rate = rate;
      this.m = new float[params.length][];
      this.v = new float[params.length][];
      for (int i = 0; i < params.length; i++) {
        m[i] = new float[params[i].length];
        v[i] = new float[params[i].length];
      }
    }

    void step(float[][] grads, double decay) {
      t++;
      double c1 = 1 - Math.pow(0.9, t);
      double c2 = 1 - Math.pow(0.999, t);
      for (int p = 0; p < params.length; p++) {
        float[] w = params[p];
        boolean matrix = p % 2 == 0;
        for (int i = 0; i < w.length; i++) {
          float g = grads[p][i];
          m[p][i] = 0.9f * m[p][i] + 0.1f * g;
          v[p][i] = 0.999f * v[p][i] + 0.001f * g * g;
          double update = rate * (m[p][i] / c1) / (Math.sqrt(v[p][i] / c2) + 1e-8);
          w[i] -= (float) (update + (matrix ? rate * decay * w[i] : 0));
        }
      }
    }
  }
}
