package io.sessionflow.transcriber.whisper;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Window edges neither drop nor double audio, and window offsets map to recording time exactly. */
class WindowerTest {
  private static final int RATE = 16_000;

  @Test
  void aKnownBurstPatternIsFoundAtTheSameInstantsAcrossWindows() {
    // 65 s of silence with 50 ms bursts at known instants, some straddling the 30 s edges.
    double[] bursts = {0.5, 12.25, 29.98, 30.0, 44.4, 59.99, 60.01, 64.9};
    int total = 65 * RATE;
    float[] audio = new float[total];
    for (double t : bursts) {
      int startFrame = (int) Math.round(t * RATE);
      for (int i = startFrame; i < Math.min(total, startFrame + RATE / 100); i++) {
        audio[i] = 0.5f;
      }
    }
    List<Windower.Window> windows = new ArrayList<>();
    List<Long> onsets = new ArrayList<>();
    Windower windower = new Windower(Windower.WINDOW_FRAMES, window -> {
      windows.add(new Windower.Window(window.startFrame(), window.frames(), null, null, null));
      boolean inBurst = window.startFrame() > 0 && audio[(int) window.startFrame() - 1] != 0;
      for (int i = 0; i < window.frames(); i++) {
        boolean loud = window.mono()[i] != 0;
        if (loud && !inBurst) {
          onsets.add(window.startFrame() + i);
        }
        inBurst = loud;
      }
    });
    // Feed in odd-sized chunks, as a decoder would.
    for (int offset = 0; offset < total; offset += 1153) {
      int n = Math.min(1153, total - offset);
      windower.accept(java.util.Arrays.copyOfRange(audio, offset, offset + n), n, 1);
    }
    windower.finish();
    assertThat(windows).extracting(Windower.Window::frames).containsExactly(30 * RATE, 30 * RATE, 5 * RATE);
    assertThat(windows).extracting(Windower.Window::startFrame).containsExactly(0L, 30L * RATE, 60L * RATE);
    assertThat(windower.frames()).isEqualTo(total);
    List<Long> expected = new ArrayList<>();
    long previousEnd = -1;
    for (double t : bursts) {
      long onset = Math.round(t * RATE);
      if (onset > previousEnd) {
        expected.add(onset);
      }
      previousEnd = onset + RATE / 100;
    }
    assertThat(onsets).containsExactlyElementsOf(expected);
  }

  @Test
  void stereoKeepsBothChannelsAndMixesToMono() {
    List<Windower.Window> windows = new ArrayList<>();
    Windower windower = new Windower(4, w -> windows.add(new Windower.Window(w.startFrame(), w.frames(),
        w.mono().clone(), w.left().clone(), w.right().clone())));
    windower.accept(new float[] {1, 0, 0.5f, 0.5f, 0, 1, 0.2f, 0.6f, 1, 1}, 5, 2);
    windower.finish();
    assertThat(windows.get(0).mono()).containsExactly(0.5f, 0.5f, 0.5f, 0.4f);
    assertThat(windows.get(0).left()).containsExactly(1f, 0.5f, 0f, 0.2f);
    assertThat(windows.get(1).frames()).isEqualTo(1);
    assertThat(windows.get(1).startFrame()).isEqualTo(4);
  }
}
