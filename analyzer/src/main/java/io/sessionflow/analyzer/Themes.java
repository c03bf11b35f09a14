package io.sessionflow.analyzer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sessionflow.analyzer.text.Sentences;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Domain topics by word families, and the key phrases a session keeps coming back to. */
final class Themes {
  static final Map<String, Pattern> TOPICS = new LinkedHashMap<>();

  static {
    topic("sleep", "sleep\\w*|insomnia|nightmares?|tired|exhausted|awake|bed ?time|nap\\w*|rest(?:less)?|woke|"
        + "waking");
    topic("mood", "depress\\w*|sad\\w*|low|down|hopeless\\w*|empty|numb|crying|cried|tears|miserable|flat|"
        + "mood|happy|happier|joy");
    topic("anxiety", "anxi\\w*|worr\\w*|panic\\w*|nervous|on edge|stress\\w*|overwhelm\\w*|scared|fear\\w*|"
        + "dread|racing thoughts|tense|afraid");
    topic("anger", "ang(?:er|ry)|furious|rage|irritab\\w*|snapp\\w*|resent\\w*|frustrat\\w*|temper");
    topic("work", "work\\w*|job|boss|manager|colleagues?|office|career|shift|deadline|promotion|fired|redundan\\w*|"
        + "unemploy\\w*|interview");
    topic("study", "school|uni|university|college|exams?|studying|study|course|assignment|teacher|grades");
    topic("relationships", "partner|boyfriend|girlfriend|husband|wife|relationship|dating|marriage|married|"
        + "divorce\\w*|separat\\w*|break ?up|broke up|ex|argu\\w*|fight\\w*|lonely|loneliness|friends?");
    topic("family", "family|mum|mom|mother|dad|father|parents?|sister|brother|siblings?|son|daughter|kids?|"
        + "children|child|nan|gran|grandma|grandad|grandparents?|in-laws?|stepdad|stepmum|stepmom");
    topic("substance use", "drink\\w*|drank|drunk|alcohol|booze|wine|beer|vodka|weed|cannabis|coke|cocaine|"
        + "drugs?|using|high|sober|sobriety|relaps\\w*|craving\\w*");
    topic("health", "pain|ill|illness|sick|doctor|gp|hospital|diagnos\\w*|medication|meds|pills|symptoms?|"
        + "headaches?|health|surgery|cancer|chronic");
    topic("eating", "eat\\w*|food|appetite|weight|binge\\w*|purg\\w*|diet\\w*|meals?|hungry|starv\\w*");
    topic("grief and loss", "grie\\w*|died|death|dead|funeral|loss|lost|passed away|passed|miss(?:ing)? (?:him|"
        + "her|them)|mourn\\w*|anniversary");
    topic("trauma", "trauma\\w*|flashbacks?|abuse\\w*|assault\\w*|attack\\w*|accident|nightmares?|triggered|ptsd");
    topic("self-esteem", "worthless|useless|failure|stupid|ugly|hate myself|not good enough|confiden\\w*|"
        + "self[- ]esteem|ashamed|shame|embarrass\\w*|guilt\\w*");
    topic("money", "money|debt|bills?|rent|mortgage|afford|broke|loan|benefits|pay ?day|finances?|financial");
    topic("housing", "housing|evict\\w*|landlord|homeless\\w*|flat|apartment|moving|move out|house");
  }

  private static final Set<String> STOP = Set.of("the", "a", "an", "and", "or", "but", "so", "i", "i'm", "i've",
      "you", "you're", "it", "it's", "that", "that's", "this", "to", "of", "in", "on", "for", "with", "at", "was",
      "is", "are", "be", "been", "have", "has", "had", "do", "did", "does", "not", "no", "yeah", "um", "uh", "like",
      "just", "really", "know", "mean", "me", "my", "we", "they", "he", "she", "him", "her", "them", "what", "how",
      "about", "there", "then", "when", "if", "can", "could", "would", "will", "don't", "didn't", "think",
      "kind", "sort", "lot", "bit", "get", "got", "go", "going", "some", "all", "very", "much", "more", "one",
      "okay", "ok", "right", "well", "also", "because", "as", "from", "up", "out", "by", "its", "your", "our",
      "person", "phone", "email", "date", "address", "url", "id", "age", "mm", "hmm", "oh", "say", "said");

  private Themes() {
  }

  private static void topic(String name, String words) {
    TOPICS.put(name, Pattern.compile("\\b(?:" + words + ")\\b", Pattern.CASE_INSENSITIVE));
  }

  /** Topics with the segments that mention them, most mentioned first. */
  static Map<String, List<Integer>> topics(Transcript transcript) {
    Map<String, List<Integer>> found = new LinkedHashMap<>();
    for (Map.Entry<String, Pattern> topic : TOPICS.entrySet()) {
      List<Integer> ids = new ArrayList<>();
      for (Transcript.Segment segment : transcript.segments()) {
        if (topic.getValue().matcher(segment.text()).find()) {
          ids.add(segment.id());
        }
      }
      if (!ids.isEmpty()) {
        found.put(topic.getKey(), ids);
      }
    }
    List<Map.Entry<String, List<Integer>>> sorted = new ArrayList<>(found.entrySet());
    sorted.sort((a, b) -> Integer.compare(b.getValue().size(), a.getValue().size()));
    Map<String, List<Integer>> ordered = new LinkedHashMap<>();
    sorted.forEach(e -> ordered.put(e.getKey(), e.getValue()));
    return ordered;
  }

  static ArrayNode json(Transcript transcript) {
    ArrayNode themes = JsonNodeFactory.instance.arrayNode();
    topics(transcript).forEach((topic, ids) -> {
      ObjectNode theme = themes.addObject().put("kind", "topic").put("name", topic).put("mentions", ids.size());
      ids.forEach(theme.putArray("segmentIds")::add);
    });
    keyPhrases(transcript).forEach((phrase, ids) -> {
      ObjectNode theme = themes.addObject().put("kind", "key-phrase").put("name", phrase).put("mentions",
          ids.size());
      ids.forEach(theme.putArray("segmentIds")::add);
    });
    return themes;
  }

  /** Two-word phrases (no stop words, no placeholders) said in at least two segments; at most eight. */
  static Map<String, Set<Integer>> keyPhrases(Transcript transcript) {
    Map<String, Set<Integer>> phrases = new LinkedHashMap<>();
    for (Transcript.Segment segment : transcript.segments()) {
      List<String> words = Sentences.words(segment.text().replaceAll("\\[[A-Z]+_\\d+\\]", " "));
      for (int i = 0; i + 1 < words.size(); i++) {
        String a = words.get(i);
        String b = words.get(i + 1);
        if (!STOP.contains(a) && !STOP.contains(b) && a.length() > 2 && b.length() > 2
            && !a.matches("\\d+") && !b.matches("\\d+")) {
          phrases.computeIfAbsent(a + " " + b, k -> new TreeSet<>()).add(segment.id());
        }
      }
    }
    Map<String, Set<Integer>> top = new LinkedHashMap<>();
    phrases.entrySet().stream().filter(e -> e.getValue().size() >= 2)
        .sorted((x, y) -> Integer.compare(y.getValue().size(), x.getValue().size())).limit(8)
        .forEach(e -> top.put(e.getKey(), e.getValue()));
    return top;
  }
}
