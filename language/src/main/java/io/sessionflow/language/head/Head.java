package io.sessionflow.language.head;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A small classifier head over fixed features: one hidden layer (ReLU) and an output layer, read as a
 * softmax over its labels ({@link Output#SOFTMAX}) or as one sigmoid per label ({@link Output#SIGMOID},
 * several labels may hold at once). Immutable once trained; {@link #scores} is thread-safe.
 */
public final class Head {
  /** How the outputs are read. */
  public enum Output {
    SOFTMAX, SIGMOID
  }

  private final String name;
  private final Output output;
  private final List<String> labels;
  private final int inputs;
  private final int hidden;
  final float[] w1;
  final float[] b1;
  final float[] w2;
  final float[] b2;

  Head(String name, Output output, List<String> labels, int inputs, int hidden, float[] w1, float[] b1, float[] w2,
      float[] b2) {
    this.name = name;
    this.output = output;
    this.labels = List.copyOf(labels);
    this.inputs = inputs;
    this.hidden = hidden;
    this.w1 = w1;
    this.b1 = b1;
    this.w2 = w2;
    this.b2 = b2;
  }

  public String name() {
    return name;
  }

  public List<String> labels() {
    return labels;
  }

  public int inputs() {
    return inputs;
  }

  public Output output() {
    return output;
  }

  int hidden() {
    return hidden;
  }

  /** The probability of each label (same order as {@link #labels}) for one feature vector. */
  public double[] scores(float[] x) {
    if (x.length != inputs) {
      throw new IllegalArgumentException("head " + name + " takes " + inputs + " features, got " + x.length);
    }
    double[] h = new double[hidden];
    forwardHidden(x, h);
    double[] z = new double[labels.size()];
    forwardOutput(h, z);
    return probabilities(z);
  }

  void forwardHidden(float[] x, double[] h) {
    for (int j = 0; j < hidden; j++) {
      double sum = b1[j];
      int row = j * inputs;
      for (int i = 0; i < inputs; i++) {
        sum += w1[row + i] * x[i];
      }
      h[j] = Math.max(0, sum);
    }
  }

  void forwardOutput(double[] h, double[] z) {
    for (int k = 0; k < z.length; k++) {
      double sum = b2[k];
      int row = k * hidden;
      for (int j = 0; j < hidden; j++) {
        sum += w2[row + j] * h[j];
      }
      z[k] = sum;
    }
  }

  double[] probabilities(double[] z) {
    double[] p = new double[z.length];
    if (output == Output.SIGMOID) {
      for (int k = 0; k < z.length; k++) {
        p[k] = 1 / (1 + Math.exp(-z[k]));
      }
      return p;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (int k = 0; k < z.length; k++) {
      p[k] = Math.exp(z[k] - max);
      sum += p[k];
    }
    for (int k = 0; k < z.length; k++) {
      p[k] /= sum;
    }
    return p;
  }

  /** The label with the highest score. */
  public String best(double[] scores) {
    int best = 0;
    for (int k = 1; k < scores.length; k++) {
      if (scores[k] > scores[best]) {
        best = k;
      }
    }
    return labels.get(best);
  }

  void write(DataOutputStream out) throws IOException {
    out.writeUTF(name);
    out.writeUTF(output.name());
    out.writeInt(labels.size());
    for (String label : labels) {
      out.writeUTF(label);
    }
    out.writeInt(inputs);
    out.writeInt(hidden);
    for (float[] block : new float[][] {w1, b1, w2, b2}) {
      for (float v : block) {
        out.writeShort(Half.fromFloat(v));
      }
    }
  }

  static Head read(DataInputStream in) throws IOException {
    String name = in.readUTF();
    Output output = Output.valueOf(in.readUTF());
    int count = in.readInt();
    String[] labels = new String[count];
    for (int k = 0; k < count; k++) {
      labels[k] = in.readUTF();
    }
    int inputs = in.readInt();
    int hidden = in.readInt();
    if (inputs <= 0 || hidden <= 0 || count <= 0 || (long) inputs * hidden > 10_000_000) {
      throw new IOException("head " + name + " has an impossible shape");
    }
    float[] w1 = floats(in, inputs * hidden);
    float[] b1 = floats(in, hidden);
    float[] w2 = floats(in, hidden * count);
    float[] b2 = floats(in, count);
    return new Head(name, output, List.of(labels), inputs, hidden, w1, b1, w2, b2);
  }

  private static float[] floats(DataInputStream in, int n) throws IOException {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = Half.toFloat(in.readShort());
    }
    return v;
  }
}
