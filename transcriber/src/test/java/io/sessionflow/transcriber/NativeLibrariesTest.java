package io.sessionflow.transcriber;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.transcriber.whisper.WhisperNative;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/** The native pieces the transcriber stands on load on this platform from the jars the build ships. */
class NativeLibrariesTest {
  @Test
  void ffmpegLoadsFromTheLinuxNativesJar() {
    Loader.load(avutil.class);
    assertThat(avutil.av_version_info().getString()).startsWith("7.");
    // Decoders for the formats therapists' phones and clinic archives produce are compiled in.
    for (int codec : new int[] {avcodec.AV_CODEC_ID_MP3, avcodec.AV_CODEC_ID_AAC, avcodec.AV_CODEC_ID_OPUS,
        avcodec.AV_CODEC_ID_FLAC, avcodec.AV_CODEC_ID_AMR_NB, avcodec.AV_CODEC_ID_PCM_S16LE}) {
      assertThat(avcodec.avcodec_find_decoder(codec)).as("decoder %d", codec).isNotNull();
    }
  }

  @Test
  void whisperCppLoadsTheBuildThisModuleMadeFromItsPinnedSource() throws Exception {
    java.nio.file.Path dir = WhisperNative.load();
    // Unpacked once per build into a directory closed to other users, which a restart reuses.
    assertThat(dir.getFileName().toString()).matches("sessionflow-whisper-[0-9a-f]{16}");
    assertThat(java.nio.file.Files.getPosixFilePermissions(dir))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(WhisperNative.version()).isEqualTo("1.9.1");
    // ggml chose the best of its CPU backends for this machine at run time.
    assertThat(WhisperNative.systemInfo()).contains("CPU").contains("WHISPER");
  }
}
