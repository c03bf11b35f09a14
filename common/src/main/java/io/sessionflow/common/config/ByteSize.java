package io.sessionflow.common.config;

import java.util.Locale;

/** Sizes written the way operators write them: {@code 8MiB}, {@code 512k}, {@code 2GB}, {@code 1048576}. */
public final class ByteSize {
  private ByteSize() {
  }

  public static long parse(String raw) {
    String text = raw.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
    long multiplier = 1;
    if (!text.isEmpty()) {
      switch (text.charAt(text.length() - 1)) {
        case 'k':
          multiplier = 1L << 10;
          break;
        case 'm':
          multiplier = 1L << 20;
          break;
        case 'g':
          multiplier = 1L << 30;
          break;
        case 't':
          multiplier = 1L << 40;
          break;
        default:
          break;
      }
    }
    String digits = multiplier == 1 ? text : text.substring(0, text.length() - 1);
    try {
      return Math.multiplyExact(Long.parseLong(digits.trim()), multiplier);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("expected a size such as 8MiB, 512KiB or 1048576", e);
    }
  }

  public static String format(long bytes) {
    if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + "GiB";
    }
    if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) {
      return (bytes >> 20) + "MiB";
    }
    if (bytes >= 1L << 10 && bytes % (1L << 10) == 0) {
      return (bytes >> 10) + "KiB";
    }
    return bytes + "B";
  }
}
