package io.sessionflow.language.head;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The trained heads the analyzer loads, in one small binary file ({@code SFHEADS}, version, a
 * free-text description of how they were trained, then each head, weights in half precision), with
 * the decision thresholds chosen on the training data's validation split.
 */
public final class HeadSet {
  private static final String MAGIC = "SFHEADS";
  /** 2: weights in half precision. */
  private static final int VERSION = 2;
  private final String description;
  private final Map<String, Head> heads;
  private final Map<String, Double> thresholds;

  public HeadSet(String description, Map<String, Head> heads, Map<String, Double> thresholds) {
    this.description = description;
    this.heads = Map.copyOf(heads);
    this.thresholds = Map.copyOf(thresholds);
  }

  public String description() {
    return description;
  }

  public Head head(String name) {
    Head head = heads.get(name);
    if (head == null) {
      throw new NoSuchElementException("no head " + name + " in the trained heads");
    }
    return head;
  }

  /** A threshold by name ({@code head/label}), or {@code fallback} when none was chosen. */
  public double threshold(String name, double fallback) {
    return thresholds.getOrDefault(name, fallback);
  }

  public Map<String, Double> thresholds() {
    return thresholds;
  }

  public void write(OutputStream raw) {
    try {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw));
      out.writeUTF(MAGIC);
      out.writeInt(VERSION);
      out.writeUTF(description);
      out.writeInt(heads.size());
      for (String name : new java.util.TreeSet<>(heads.keySet())) {
        heads.get(name).write(out);
      }
      out.writeInt(thresholds.size());
      for (String name : new java.util.TreeSet<>(thresholds.keySet())) {
        out.writeUTF(name);
        out.writeDouble(thresholds.get(name));
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("the heads could not be written", e);
    }
  }

  public static HeadSet read(InputStream raw) {
    try {
      DataInputStream in = new DataInputStream(new BufferedInputStream(raw));
      if (!MAGIC.equals(in.readUTF()) || in.readInt() != VERSION) {
        throw new IOException("not a version-" + VERSION + " heads file");
      }
      String description = in.readUTF();
      int count = in.readInt();
      Map<String, Head> heads = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        Head head = Head.read(in);
        heads.put(head.name(), head);
      }
      int thresholdCount = in.readInt();
      Map<String, Double> thresholds = new LinkedHashMap<>();
      for (int i = 0; i < thresholdCount; i++) {
        thresholds.put(in.readUTF(), in.readDouble());
      }
      return new HeadSet(description, heads, thresholds);
    } catch (IOException e) {
      throw new UncheckedIOException("the heads could not be read: " + e.getMessage(), e);
    }
  }

  /** The heads on the class path at {@code resource}. */
  public static HeadSet load(String resource) {
    try (InputStream in = HeadSet.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the trained heads " + resource + " are not on the class path; "
            + "train them with bench/train-analyzer.sh");
      }
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
