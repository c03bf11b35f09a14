package io.sessionflow.ingest.upload;

import java.nio.charset.StandardCharsets;

/** Tells audio containers apart by their first bytes, not by what a file name or a client claims. */
public final class AudioSniffer {
  public static final String UNKNOWN = "application/octet-stream";
  /** Bytes needed to decide. */
  public static final int HEAD_BYTES = 16;

  private AudioSniffer() {
  }

  public static String sniff(byte[] head) {
    if (startsWith(head, 0, "RIFF") && startsWith(head, 8, "WAVE")) {
      return "audio/wav";
    }
    if (startsWith(head, 0, "fLaC")) {
      return "audio/flac";
    }
    if (startsWith(head, 0, "OggS")) {
      return "audio/ogg";
    }
    if (startsWith(head, 0, "#!AMR")) {
      return "audio/amr";
    }
    if (startsWith(head, 4, "ftyp")) {
      return "audio/mp4";
    }
    if (head.length >= 4 && (head[0] & 0xFF) == 0x1A && (head[1] & 0xFF) == 0x45 && (head[2] & 0xFF) == 0xDF
        && (head[3] & 0xFF) == 0xA3) {
      return "audio/webm";
    }
    if (startsWith(head, 0, "ID3")) {
      return "audio/mpeg";
    }
    if (head.length >= 2 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xE0) == 0xE0) {
      // MPEG audio frame sync; layer bits 00 with this sync mean AAC in ADTS.
      return (head[1] & 0x06) == 0 ? "audio/aac" : "audio/mpeg";
    }
    if (startsWith(head, 0, "FORM") && startsWith(head, 8, "AIF")) {
      return "audio/aiff";
    }
    if (startsWith(head, 0, "caff")) {
      return "audio/x-caf";
    }
    return UNKNOWN;
  }

  public static boolean isAudio(String mediaType) {
    return mediaType.startsWith("audio/");
  }

  private static boolean startsWith(byte[] data, int offset, String ascii) {
    byte[] expected = ascii.getBytes(StandardCharsets.US_ASCII);
    if (data.length < offset + expected.length) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      if (data[offset + i] != expected[i]) {
        return false;
      }
    }
    return true;
  }
}
