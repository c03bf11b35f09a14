package io.sessionflow.transcriber.speech;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real recorded speech for tests: the utterances of Debian's {@code pocketsphinx-testdata}
 * (LibriVox readings, card names, digits; 16 kHz mono), which {@code .ci/run} installs. Each is
 * trimmed to where its speech starts and ends: the first and last 50 ms whose 10-ms frames are all
 * within 20 dB of the utterance's loudest frame (50 ms, so that a click is not taken for speech;
 * 20 dB, as one reading opens with a quarter second of sound 20 to 30 dB down that is no word of
 * it). Those trimmed ranges are the ground truth the voice-activity tests measure against.
 * Recordings are built from them with pauses of known length, gains, background noise and hum, on
 * one or two channels.
 */
public final class SpeechCorpus {
  public static final int RATE = 16_000;
  /** Where the package puts its data; {@code -Dsessionflow.speech.dir} elsewhere. */
  public static final Path DIR = Path.of(System.getProperty("sessionflow.speech.dir",
      "/usr/share/pocketsphinx/test/data"));
  public static final List<String> FILES = List.of(
      "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
      "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
      "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
      "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
      "librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
      "cards/001.wav", "cards/002.wav", "cards/003.wav", "cards/004.wav", "cards/005.wav",
      "something.raw", "numbers.raw", "goforward.raw", "tidigits/dhd.2934z.raw");
  private static final int SUSTAINED = 5;
  private static final Map<String, float[]> TRIMMED = new ConcurrentHashMap<>();

  private SpeechCorpus() {
  }

  /** The trimmed utterance, samples in [-1, 1]. */
  public static float[] utterance(String file) {
    return TRIMMED.computeIfAbsent(file, SpeechCorpus::readTrimmed).clone();
  }

  private static float[] readTrimmed(String file) {
    Path path = DIR.resolve(file);
    if (!Files.isReadable(path)) {
      throw new IllegalStateException("no recorded speech at " + path + ": install Debian's pocketsphinx-testdata "
          + "(apt-get install pocketsphinx-testdata; .ci/run does) or set -Dsessionflow.speech.dir");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int data = file.endsWith(".wav") ? dataOffset(bytes) : 0;
    int n = (bytes.length - data) / 2;
    ByteBuffer pcm = ByteBuffer.wrap(bytes, data, n * 2).order(ByteOrder.LITTLE_ENDIAN);
    float[] samples = new float[n];
    for (int i = 0; i < n; i++) {
      samples[i] = pcm.getShort() / 32768f;
    }
    int frame = RATE / 100;
    int frames = n / frame;
    double[] rms = new double[frames];
    double peak = 0;
    for (int f = 0; f < frames; f++) {
      double sum = 0;
      for (int i = f * frame; i < (f + 1) * frame; i++) {
        sum += samples[i] * samples[i];
      }
      rms[f] = Math.sqrt(sum / frame);
      peak = Math.max(peak, rms[f]);
    }
    double floor = peak * Math.pow(10, -20 / 20.0);
    int first = -1;
    int last = -1;
    for (int f = 0; f + SUSTAINED <= frames; f++) {
      boolean loud = true;
      for (int k = f; k < f + SUSTAINED; k++) {
        loud &= rms[k] > floor;
      }
      if (loud) {
        if (first < 0) {
          first = f;
        }
        last = f + SUSTAINED;
      }
    }
    return java.util.Arrays.copyOfRange(samples, first * frame, last * frame);
  }

  private static int dataOffset(byte[] wav) {
    ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
    int at = 12;
    while (at + 8 <= wav.length) {
      String id = new String(wav, at, 4, StandardCharsets.US_ASCII);
      int size = b.getInt(at + 4);
      if (id.equals("data")) {
        return at + 8;
      }
      at += 8 + size + (size & 1);
    }
    throw new IllegalStateException("no data chunk");
  }

  /** A recording being put together, left to right. */
  public static Builder recording(int channels) {
    return new Builder(channels);
  }

  /**
   * A recording of about {@code seconds} of speech: utterances chosen by {@code seed}, 0.3–1.2 s
   * apart, cut to exactly that length (for pipeline tests that need any real speech).
   */
  public static Built speech(double seconds, long seed) {
    Random random = new Random(seed);
    Builder builder = recording(1).silence(0.2);
    while (builder.seconds() < seconds) {
      builder.utterance(FILES.get(random.nextInt(FILES.size())), -6 * random.nextDouble(), 0)
          .silence(0.3 + 0.9 * random.nextDouble());
    }
    return builder.build().cut(seconds);
  }

  /**
   * The tuning arrangement the voice-activity tests and bench share: every utterance,
   * {@code rounds} times, gains down to -12 dB and pauses a third short (0.25–0.6 s), a third
   * typical (0.6–2 s), a third long (2.5–10 s), drawn with {@code seed}, over white noise.
   */
  public static Built arranged(int rounds, long seed, double noiseDbfs) {
    Builder builder = recording(1).silence(1.0).noise(noiseDbfs, seed);
    Random random = new Random(seed);
    for (int round = 0; round < rounds; round++) {
      for (String file : FILES) {
        double pause = switch (random.nextInt(3)) {
          case 0 -> 0.25 + 0.35 * random.nextDouble();
          case 1 -> 0.6 + 1.4 * random.nextDouble();
          default -> 2.5 + 7.5 * random.nextDouble();
        };
        builder.utterance(file, -12 * random.nextDouble(), 0).silence(pause);
      }
    }
    return builder.build();
  }

  /** Two speakers on their own channels over 50-Hz hum, every utterance twice, 0.25–2.75 s apart. */
  public static Built twoSpeakers() {
    Builder builder = recording(2).silence(0.8).hum(50, -42);
    Random random = new Random(11);
    for (int round = 0; round < 2; round++) {
      for (String file : FILES) {
        builder.utterance(file, -10 * random.nextDouble(), random.nextInt(2)).silence(0.25 + 2.5 * random.nextDouble());
      }
    }
    return builder.build();
  }

  /** A 16-bit PCM WAV of {@link #speech(double, long)}. */
  public static byte[] speechWav(double seconds, long seed) {
    return speech(seconds, seed).wav();
  }

  /** A built recording: its samples per channel and where each utterance is (seconds, and its channel or -1). */
  public record Built(float[][] channels, List<double[]> utterances) {
    public double seconds() {
      return channels[0].length / (double) RATE;
    }

    public float[] mono() {
      if (channels.length == 1) {
        return channels[0];
      }
      float[] mono = new float[channels[0].length];
      for (int i = 0; i < mono.length; i++) {
        mono[i] = (channels[0][i] + channels[1][i]) / 2;
      }
      return mono;
    }

    /** Interleaved, as a decoder hands PCM over. */
    public float[] interleaved() {
      int n = channels[0].length;
      float[] out = new float[n * channels.length];
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < channels.length; c++) {
          out[i * channels.length + c] = channels[c][i];
        }
      }
      return out;
    }

    /** The first {@code seconds} (utterances past the end are cut or dropped). */
    public Built cut(double seconds) {
      int n = (int) Math.round(seconds * RATE);
      float[][] cut = new float[channels.length][];
      for (int c = 0; c < channels.length; c++) {
        cut[c] = java.util.Arrays.copyOf(channels[c], n);
      }
      List<double[]> kept = new ArrayList<>();
      for (double[] u : utterances) {
        if (u[0] < seconds) {
          kept.add(new double[] {u[0], Math.min(u[1], seconds), u[2]});
        }
      }
      return new Built(cut, List.copyOf(kept));
    }

    public byte[] wav() {
      int n = channels[0].length;
      int ch = channels.length;
      ByteBuffer data = ByteBuffer.allocate(n * ch * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        for (float[] channel : channels) {
          data.putShort((short) Math.max(-32768, Math.min(32767, Math.round(channel[i] * 32768))));
        }
      }
      ByteBuffer header = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
      header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + n * ch * 2)
          .put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) ch)
          .putInt(RATE).putInt(RATE * ch * 2).putShort((short) (ch * 2)).putShort((short) 16)
          .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(n * ch * 2);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(header.array());
      out.writeBytes(data.array());
      return out.toByteArray();
    }
  }

  /** Utterances, silences and tones in order, then a background over everything. */
  public static final class Builder {
    private final int channels;
    private final List<float[][]> parts = new ArrayList<>();
    private final List<double[]> utterances = new ArrayList<>();
    private long length;
    private double noiseDbfs = Double.NaN;
    private long noiseSeed;
    private double humDbfs = Double.NaN;
    private double humHz;

    private Builder(int channels) {
      if (channels != 1 && channels != 2) {
        throw new IllegalArgumentException("1 or 2 channels");
      }
      this.channels = channels;
    }

    public double seconds() {
      return length / (double) RATE;
    }

    public Builder silence(double seconds) {
      add(new float[(int) Math.round(seconds * RATE)], -1);
      return this;
    }

    /** An utterance at {@code gainDb}, on channel 0 (left), 1 (right) or -1 (both; the only one of mono). */
    public Builder utterance(String file, double gainDb, int channel) {
      float[] samples = SpeechCorpus.utterance(file);
      float gain = (float) Math.pow(10, gainDb / 20);
      for (int i = 0; i < samples.length; i++) {
        samples[i] *= gain;
      }
      int on = channels == 1 ? -1 : channel;
      utterances.add(new double[] {seconds(), seconds() + samples.length / (double) RATE, on});
      add(samples, on);
      return this;
    }

    /** Sustained tones (a chord) at {@code dbfs} each, with a 20-ms fade in and out: music-like, not speech. */
    public Builder tones(double[] hz, double seconds, double dbfs) {
      int n = (int) Math.round(seconds * RATE);
      float[] samples = new float[n];
      double amplitude = Math.pow(10, dbfs / 20) * Math.sqrt(2);
      int fade = RATE / 50;
      for (int i = 0; i < n; i++) {
        double envelope = Math.min(1, Math.min(i, n - 1 - i) / (double) fade);
        double value = 0;
        for (double f : hz) {
          value += Math.sin(2 * Math.PI * f * i / RATE);
        }
        samples[i] = (float) (amplitude * envelope * value);
      }
      add(samples, -1);
      return this;
    }

    /** White noise at {@code dbfs} (RMS) under everything, on every channel. */
    public Builder noise(double dbfs, long seed) {
      this.noiseDbfs = dbfs;
      this.noiseSeed = seed;
      return this;
    }

    /** Mains hum: {@code hz} and its odd harmonics, {@code dbfs} in all, under everything. */
    public Builder hum(double hz, double dbfs) {
      this.humHz = hz;
      this.humDbfs = dbfs;
      return this;
    }

    private void add(float[] samples, int channel) {
      float[][] part = new float[channels][];
      for (int c = 0; c < channels; c++) {
        part[c] = channel < 0 || channel == c ? samples : new float[samples.length];
      }
      parts.add(part);
      length += samples.length;
    }

    public Built build() {
      float[][] out = new float[channels][(int) length];
      int at = 0;
      for (float[][] part : parts) {
        for (int c = 0; c < channels; c++) {
          System.arraycopy(part[c], 0, out[c], at, part[c].length);
        }
        at += part[0].length;
      }
      Random random = new Random(noiseSeed);
      double noise = Double.isNaN(noiseDbfs) ? 0 : Math.pow(10, noiseDbfs / 20);
      // The hum's RMS: 1, 0.5 and 0.25 amplitudes give sqrt(1.3125 / 2) = 0.810 per unit.
      double hum = Double.isNaN(humDbfs) ? 0 : Math.pow(10, humDbfs / 20) / 0.810;
      for (int c = 0; c < channels; c++) {
        for (int i = 0; i < length; i++) {
          double value = out[c][i];
          if (noise > 0) {
            value += noise * random.nextGaussian();
          }
          if (hum > 0) {
            double t = 2 * Math.PI * humHz * i / RATE;
            value += hum * (Math.sin(t) + 0.5 * Math.sin(3 * t) + 0.25 * Math.sin(5 * t));
          }
          out[c][i] = (float) value;
        }
      }
      return new Built(out, List.copyOf(utterances));
    }
  }
}
