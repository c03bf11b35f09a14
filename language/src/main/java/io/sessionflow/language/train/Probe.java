package io.sessionflow.language.train;

import io.sessionflow.language.LanguageModel;
import io.sessionflow.language.SentenceEncoder;
import io.sessionflow.language.data.Label;
import io.sessionflow.language.head.HeadSet;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the risk scores a heads file gives a few hand-written turns: a sanity look while
 * training, never a quality figure. Each line of the probe file is {@code clinician turn TAB client
 * turn}; the client turn is scored with the clinician's as its previous turn. Categories scoring
 * at or above their threshold are marked {@code *}. Usage: {@code Probe HEADS_FILE PROBE_FILE}.
 */
public final class Probe {
  private Probe() {
  }

  public static void main(String[] args) throws IOException {
    HeadSet heads;
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      heads = HeadSet.read(in);
    }
    try (LanguageModel model = new LanguageModel(SentenceEncoder.load(1), heads)) {
      for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] turns = line.split("\t", 2);
        List<LanguageModel.Turn> session = new ArrayList<>();
        if (turns.length == 2 && !turns[0].isBlank()) {
          session.add(new LanguageModel.Turn("T", turns[0].trim()));
        }
        String client = turns[turns.length - 1].trim();
        session.add(new LanguageModel.Turn("C", client));
        LanguageModel.Reading reading = model.read(session).get(session.size() - 1);
        StringBuilder scores = new StringBuilder();
        for (int c = 0; c < Label.CATEGORIES.size(); c++) {
          String category = Label.CATEGORIES.get(c);
          if (reading.risk()[c] >= 0.05) {
            scores.append(String.format(" %s%s=%.2f", reading.risk()[c] >= model.threshold(category) ? "*" : "",
                category, reading.risk()[c]));
          }
        }
        System.out.printf("%-70s |%s%n", client.length() > 70 ? client.substring(0, 67) + "..." : client, scores);
      }
    }
  }
}
