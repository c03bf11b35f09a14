package io.sessionflow.language.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HeadSetTest {

  @Test
  void halfPrecisionRoundTripsWithinItsResolutionAndKeepsTheSpecialValues() {
    Random random = new Random(7);
    for (int i = 0; i < 100_000; i++) {
      float v = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 6));
      float back = Half.toFloat(Half.fromFloat(v));
      float tolerance = Math.max(Math.abs(v) * 0x1p-11f, 0x1p-25f);
      assertThat(Math.abs(back - v)).as("%s came back as %s", v, back).isLessThanOrEqualTo(tolerance);
    }
    assertThat(Half.toFloat(Half.fromFloat(1f))).isEqualTo(1f);
    assertThat(Half.toFloat(Half.fromFloat(-2.5f))).isEqualTo(-2.5f);
    assertThat(Half.toFloat(Half.fromFloat(65504f))).isEqualTo(65504f);
    assertThat(Half.toFloat(Half.fromFloat(1e6f))).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Half.toFloat(Half.fromFloat(Float.NaN))).isNaN();
    assertThat(Half.toFloat(Half.fromFloat(0x1p-24f))).isEqualTo(0x1p-24f);
    assertThat(Half.toFloat(Half.fromFloat(1e-9f))).isZero();
  }

  @Test
  void aWrittenHeadSetReadsBackScoringTheSameAtHalfTheSizeOfFloats() {
    Random random = new Random(11);
    List<Trainer.Example> examples = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      float[] x = new float[16];
      for (int k = 0; k < x.length; k++) {
        x[k] = (float) random.nextGaussian();
      }
      examples.add(new Trainer.Example(x, x[0] + x[1] > 0 ? new float[] {1, 0} : new float[] {0, 1}, 1f));
    }
    Trainer.Settings d = Trainer.Settings.defaults();
    Trainer.Settings settings = new Trainer.Settings(8, 20, d.learningRate(), d.weightDecay(), 0, d.batch(),
        d.seed(), 0, 0, 0);
    Head head = Trainer.train("toy", Head.Output.SOFTMAX, List.of("yes", "no"), examples, settings);
    HeadSet set = new HeadSet("toy heads", Map.of("toy", head), Map.of("toy/yes", 0.4));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    set.write(bytes);
    assertThat(bytes.size()).as("two bytes a weight").isLessThan(4 * (16 * 8 + 8 + 8 * 2 + 2));

    HeadSet back = HeadSet.read(new ByteArrayInputStream(bytes.toByteArray()));
    assertThat(back.description()).isEqualTo("toy heads");
    assertThat(back.threshold("toy/yes", 0.5)).isEqualTo(0.4);
    int agree = 0;
    for (Trainer.Example e : examples) {
      double[] before = head.scores(e.x());
      double[] after = back.head("toy").scores(e.x());
      assertThat(after[0]).isCloseTo(before[0], org.assertj.core.data.Offset.offset(0.01));
      agree += head.best(before).equals(back.head("toy").best(after)) ? 1 : 0;
    }
    assertThat(agree).isGreaterThanOrEqualTo(396);

    byte[] corrupt = bytes.toByteArray().clone();
    corrupt[9] = 1; // the version
    assertThatThrownBy(() -> HeadSet.read(new ByteArrayInputStream(corrupt))).isInstanceOf(
        UncheckedIOException.class).hasMessageContaining("heads file");
  }
}
