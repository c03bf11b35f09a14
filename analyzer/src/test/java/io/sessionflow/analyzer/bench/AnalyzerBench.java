package io.sessionflow.analyzer.bench;

import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.analyzer.Transcript;
import io.sessionflow.analyzer.TranscriptAnalyzer;
import io.sessionflow.language.LanguageModel;
import io.sessionflow.language.data.LabelledSets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The whole analyzer on a 60-minute session: the training sessions' utterances (identifiers in,
 * as a recogniser prints them) laid end to end into {@code SEGMENTS} segments on two channels, then
 * {@link TranscriptAnalyzer#analyze} (pseudonymise with the rules and the tagger, read every turn,
 * flags, techniques, notes) timed after a warm-up. {@code bench/analyzer-bench.sh} runs it pinned to
 * one core, as the pipeline runs it (a transcript the transcriber pseudonymised) and on a raw file.
 * Usage: {@code AnalyzerBench SESSIONS_FILE [SEGMENTS]}.
 */
public final class AnalyzerBench {
  private AnalyzerBench() {
  }

  public static void main(String[] args) {
    Path file = Path.of(args.length > 0 ? args[0] : "language/data/train/sessions.txt");
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 900;
    List<LabelledSets.Utterance> utterances = new ArrayList<>();
    LabelledSets.sessions(file).forEach(s -> utterances.addAll(s.utterances()));
    List<Transcript.Segment> segments = new ArrayList<>();
    double at = 0;
    long words = 0;
    for (int i = 0; i < count; i++) {
      LabelledSets.Utterance u = utterances.get(i % utterances.size());
      String text = u.text().text();
      words += text.split("\\s+").length;
      double seconds = 3600.0 / count;
      segments.add(new Transcript.Segment(i, at, at + seconds * 0.9, text, u.clinician() ? "A" : "B"));
      at += seconds;
    }
    Transcript transcript = new Transcript(segments, "en", "bench", 3600);
    long loadStart = System.nanoTime();
    LanguageModel.shared();
    double load = (System.nanoTime() - loadStart) / 1e9;
    TranscriptAnalyzer analyzer = new TranscriptAnalyzer();
    Transcript warmUp = new Transcript(segments.subList(0, Math.min(60, segments.size())), "en", "bench", 240);
    analyzer.analyze(warmUp, NoteFormat.SOAP);
    long start = System.nanoTime();
    var analysis = analyzer.analyze(transcript, NoteFormat.SOAP);
    double raw = (System.nanoTime() - start) / 1e9;
    // The pipeline's path: the transcriber pseudonymised the text before storing it (not timed here).
    Transcript stored = analyzer.pseudonymise(transcript);
    stored = new Transcript(stored.segments(), "en", "bench", 3600,
        io.sessionflow.language.pseudonym.Pseudonymizer.RULES_AND_TAGGER);
    start = System.nanoTime();
    analyzer.analyze(stored, NoteFormat.SOAP);
    double pipeline = (System.nanoTime() - start) / 1e9;
    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "model load: %.2f s%n", load);
    System.out.printf(Locale.ROOT, "a 60-minute session, %d segments (%.1f words on average), one core:%n", count,
        (double) words / count);
    System.out.printf(Locale.ROOT, "  as stored by the transcriber (pseudonymised; the analyzer's rules pass, the "
        + "model's reading, flags, techniques, notes): %.2f s (%.1f ms a segment)%n", pipeline,
        1000 * pipeline / count);
    System.out.printf(Locale.ROOT, "  a raw transcript (analyze --transcript on a file: the tagger reads every "
        + "segment too): %.2f s (%.1f ms a segment); %d flag(s)%n", raw, 1000 * raw / count,
        analysis.path("flags").size());
    System.out.printf(Locale.ROOT, "heap in use after: %d MiB (max %d MiB)%n", (rt.totalMemory() - rt.freeMemory())
        >> 20, rt.maxMemory() >> 20);
  }
}
