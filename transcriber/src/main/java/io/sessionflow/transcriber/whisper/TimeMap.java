package io.sessionflow.transcriber.whisper;

import java.util.Arrays;

/**
 * Where a window's audio lies in the recording: the window is a run of stretches of the recording
 * put end to end (silence between them left out), stretch {@code i} starting at window sample
 * {@code offsets[i]} and recording sample {@code starts[i]}. Offsets ascend from 0.
 */
public record TimeMap(int[] offsets, long[] starts) {
  public TimeMap {
    if (offsets.length == 0 || offsets.length != starts.length || offsets[0] != 0) {
      throw new IllegalArgumentException("a time map needs matching offsets and starts, the first offset 0");
    }
  }

  /** One stretch: the window is the recording from {@code start} on, uncut. */
  public static TimeMap contiguous(long start) {
    return new TimeMap(new int[] {0}, new long[] {start});
  }

  /**
   * The recording sample of window sample {@code offset}. Where two stretches meet, the start of
   * a segment belongs to the later one and its end ({@code end} true) to the earlier one.
   */
  public long recordingSample(int offset, boolean end) {
    int i = Arrays.binarySearch(offsets, offset);
    if (i < 0) {
      i = -i - 2;
    } else if (end && i > 0) {
      i--;
    }
    return starts[i] + (offset - offsets[i]);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TimeMap map && Arrays.equals(offsets, map.offsets) && Arrays.equals(starts, map.starts);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(starts);
  }

  @Override
  public String toString() {
    return "TimeMap" + Arrays.toString(offsets) + "->" + Arrays.toString(starts);
  }
}
