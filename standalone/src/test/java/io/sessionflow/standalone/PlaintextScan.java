package io.sessionflow.standalone;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Looks for plaintext (windows of audio, transcript text, names) in every file under a folder. */
final class PlaintextScan {
  private final List<byte[]> needles = new ArrayList<>();

  /** Five 64-byte windows spread over the audio past its header: any of them on disk is a leak. */
  PlaintextScan audio(byte[] wav) {
    for (int offset = 44 + 4096; offset + 64 < wav.length; offset += wav.length / 5) {
      needles.add(Arrays.copyOfRange(wav, offset, offset + 64));
    }
    return this;
  }

  /** Text of at least 8 bytes (shorter would match by chance). */
  PlaintextScan text(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < 8) {
      throw new IllegalArgumentException("a needle needs at least 8 bytes");
    }
    needles.add(bytes);
    return this;
  }

  int needles() {
    return needles.size();
  }

  /**
   * Every file under the root, byte by byte, in one pass each: the first 8 bytes of each needle
   * key a map, a sliding 8-byte window looks them up, and a hit is confirmed on the whole needle.
   */
  List<String> search(Path root) throws IOException {
    Map<Long, List<byte[]>> byPrefix = new HashMap<>();
    for (byte[] needle : needles) {
      byPrefix.computeIfAbsent(ByteBuffer.wrap(needle, 0, 8).getLong(), k -> new ArrayList<>()).add(needle);
    }
    List<String> hits = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] haystack = Files.readAllBytes(file);
        long window = 0;
        for (int i = 0; i < haystack.length; i++) {
          window = (window << 8) | (haystack[i] & 0xff);
          if (i >= 7 && byPrefix.containsKey(window)) {
            int start = i - 7;
            for (byte[] needle : byPrefix.get(window)) {
              if (start + needle.length <= haystack.length
                  && Arrays.equals(haystack, start, start + needle.length, needle, 0, needle.length)) {
                hits.add(root.relativize(file) + " holds " + needle.length + " plaintext bytes at " + start);
              }
            }
          }
        }
      }
    }
    return hits;
  }
}
