package io.sessionflow.language.pseudonym;

import io.sessionflow.language.IdentifierTagger;
import io.sessionflow.language.LanguageModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds personal identifiers in transcript text and replaces them with consistent placeholders
 * ({@code [PERSON_1]}, {@code [PHONE_1]}, …). Two readers, nothing sent anywhere: rules for what has
 * a shape (phones, e-mails, URLs, dates, addresses, ID numbers, ages over 89) and, for names, a list
 * of given names plus the cues speech gives ("my sister …", "Dr. …", "… said"); and the trained
 * identifier tagger ({@link IdentifierTagger}), which reads each word in context, so lowercase
 * recogniser text ("my sister grace"), names on no list and two-word names are found. Where both
 * find something the longer span wins. Tuned for recall: a place taken for a name costs a little
 * readability; a name left in costs privacy. No mapping back is kept.
 */
public final class Pseudonymizer {
  private static final String MONTH = "(?:January|February|March|April|May|June|July|August|September|October|"
      + "November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\\.?";
  private static final String ORDINAL_WORD = "(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
      + "eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
      + "twenty[- ](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|thirty[- ]first)";
  private static final String DAY = "(?:\\d{1,2}(?:st|nd|rd|th)?|" + ORDINAL_WORD + ")";
  private static final String YEAR = "(?:1[89]\\d\\d|20\\d\\d|'\\d\\d)";
  private static final String DIGIT_WORD = "(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine|double "
      + "(?:zero|oh|one|two|three|four|five|six|seven|eight|nine))";
  private static final String AGE_WORDS = "(?:ninety(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
      + "(?:a |one )?hundred(?: and (?:one|two|three|four|five|six|seven|eight|nine|ten))?)";
  private static final String STREET = "(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|"
      + "Way|Place|Pl|Crescent|Cres|Close|Terrace|Tce|Parade|Highway|Hwy|Square|Sq|Grove|Gardens|Row|Circle|Cir|"
      + "Trail|Parkway|Pkwy|Mews|Walk|Hill|View|Rise)";
  private static final String NAME = "\\p{Lu}[\\p{L}'’-]+";
  private static final String TITLE = "(?:Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Father|Sister|Pastor|Rabbi|"
      + "Imam|Nurse|Officer|Detective|Judge|Coach|Auntie|Aunty|Aunt|Uncle|Nana|Nan|Grandma|Grandpa|Granny|Cousin)"
      + "\\.?";
  private static final String RELATION = "(?:sister|brother|mum|mom|mother|dad|father|son|daughter|husband|wife|"
      + "partner|boyfriend|girlfriend|fiancée?|ex|friend|mate|cousin|aunt|auntie|uncle|niece|nephew|grandson|"
      + "granddaughter|neighbou?r|boss|manager|colleague|coworker|co-worker|flatmate|roommate|housemate|teacher|"
      + "stepdad|stepmum|stepmom|stepfather|stepmother|stepson|stepdaughter|carer|caregiver|counsellor|counselor|"
      + "therapist|doctor|psychiatrist|sponsor|landlord|child|kid|baby|grandmother|grandfather|nan|gran|"
      + "best friend|old friend|named|called|name is|name's|called me|meet|met|with|and|told|tell|asked|texted|"
      + "rang|called|saw|see|love|miss|hate|like|for|to|from|about|of)";
  private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
  private static final Pattern SPOKEN_EMAIL = Pattern.compile("(?<![.@\\w])(?:[a-z0-9-]+\\s+){1,7}?at\\s+[a-z0-9]+"
      + "(?:\\s+dot\\s+[a-z]{2,4}){1,2}\\b", Pattern.CASE_INSENSITIVE);
  private static final java.util.Set<String> NOT_IN_EMAIL = java.util.Set.of("it's", "its", "on", "email",
      "e-mail", "mail", "address", "my", "me", "to", "at", "it", "the", "and", "or", "just", "send", "write",
      "drop", "a", "line", "her", "his", "their", "was", "yeah", "so", "um", "uh", "like", "you", "can", "reach",
      "contact", "message", "that's", "thats", "from", "use", "try", "is", "address's");
  private static final Pattern URL = Pattern.compile("\\b(?:https?://|www\\.)[^\\s,;)]+|\\b[a-z0-9-]+(?:\\.[a-z0-9-]+)*"
      + "\\.(?:co\\.uk|org\\.uk|com\\.au|net\\.au|com|org|net|io|me|info|biz|edu|gov|ly|co|app)\\b(?:/[^\\s,;)]*)?",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern SPOKEN_URL = Pattern.compile("\\b(?:www dot )?[a-z0-9]+(?: dot [a-z0-9]+)*"
      + " dot (?:com|org|net|co dot uk|com dot au)(?: slash [a-z0-9]+(?: dot [a-z0-9]+)*)*\\b",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern PHONE = Pattern.compile("(?<![\\w/])(?:\\+\\d{1,3}[\\s.-]?|1[\\s.-])?"
      + "(?:\\(\\d{2,5}\\)[\\s.-]?)?\\d{2,6}(?:[\\s.-]\\d{2,6}){0,4}(?![\\w/])");
  private static final Pattern SPOKEN_DIGITS = Pattern.compile("\\b" + DIGIT_WORD + "(?:[\\s,-]+" + DIGIT_WORD
      + "){6,}\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern ID_CUE = Pattern.compile("(?:social security|SSN|NHS|national insurance|NI number|"
      + "passport|licen[cs]e|medical record|MRN|record number|patient (?:number|ID)|member(?:ship)? (?:number|ID)|"
      + "policy|account|acct|case number|reference|ref|ID|identification|Medicare|Medicaid|insurance|claim|"
      + "employee number|staff number|student number|tax file|TFN|PPS|SIN|routing|sort code|card number|"
      + "registration|plate|(?<!phone |mobile |cell |home |work |contact |landline |fax |house |flat |room |"
      + "lucky |a |the same )number|no\\.)\\b[^.?!\\d]{0,25}$", Pattern.CASE_INSENSITIVE);
  private static final Pattern ID_TOKEN = Pattern.compile("(?<![\\w-])(?=[A-Z0-9-]*\\d)[A-Z]{0,3}[- ]?\\d[\\dA-Z -]{3,}"
      + "\\d(?![\\w-])|(?<![\\w-])[A-Z]{1,3}\\d{5,}[A-Z]?(?![\\w-])|\\b\\d{3}-\\d{2}-\\d{4}\\b");
  private static final Pattern ADDRESS = Pattern.compile("(?:(?:Flat|Apt\\.?|Apartment|Unit|Suite|Apartamento)\\s+"
      + "\\w{1,4},?\\s+)?(?:" + NAME + " (?:House|Court|Building|Tower|Mansions|Lodge|Heights|Apartments),?\\s+)?"
      + "\\b\\d{1,5}[A-Za-z]?,?\\s+(?:" + NAME + "\\s+){1,3}" + STREET + "\\b\\.?(?:,?\\s+(?:Apartment|Apt\\.?|"
      + "Unit|Suite|Flat|Floor)\\s+\\w{1,5})?"
      + "|\\b(?:PO|P\\.O\\.) Box \\d+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern DATE = Pattern.compile(String.join("|",
      "\\b\\d{1,2}[/.-]\\d{1,2}[/.-](?:\\d{4}|\\d{2})\\b",
      "\\b\\d{4}-\\d{2}-\\d{2}\\b",
      "\\b(?:the\\s+)?" + DAY + "\\s+(?:of\\s+)?" + MONTH + "(?:,?\\s+" + YEAR + ")?\\b",
      "\\b" + MONTH + "\\s+(?:the\\s+)?" + DAY + "(?:,?\\s+" + YEAR + ")?\\b",
      "\\b" + MONTH + ",?\\s+" + YEAR + "\\b",
      "\\b(?<=born (?:in|on) )" + YEAR + "\\b"), Pattern.CASE_INSENSITIVE);
  private static final Pattern BORN_YEAR = Pattern.compile("\\bborn(?: back)? in (" + YEAR + ")\\b",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern AGE = Pattern.compile(String.join("|",
      "\\b(?:9\\d|1[01]\\d)(?=(?:\\s*|-)(?:years?|yrs?|-year)(?:[\\s-]*old)?)",
      "(?<=\\b(?:aged?|turned|turning|turns|is|she's|he's|who's|I'm|am|was|they're|be|reached|nearly|almost|over|"
          + "lived to|made it to|['’]s) )"
          + "(?:9\\d|1[01]\\d)\\b(?![.,]\\d)(?! (?:percent|per cent|%|minutes|pounds|dollars|kilos|times))",
      "\\b" + AGE_WORDS + "(?=(?:\\s*|-)(?:years?|yrs?|-year)(?:[\\s-]*old)?)",
      "(?<=\\b(?:aged?|turned|turning|turns|she's|he's|who's|I'm|is|lived to|made it to|reached|['’]s) )"
          + AGE_WORDS + "\\b"), Pattern.CASE_INSENSITIVE);
  private static final Pattern TITLED = Pattern.compile("\\b" + TITLE + "\\s+(" + NAME + "(?:\\s+" + NAME + ")?)");
  private static final Pattern CUED = Pattern.compile("\\b(?:my name is|name's|I'm called|call me|named|called|"
      + "this is|it's|it was|I am)\\s+(" + NAME + "(?:\\s+" + NAME + ")?)");
  private static final Pattern CAPITALISED = Pattern.compile("(?<![\\p{L}'’])(" + NAME + ")",
      Pattern.UNICODE_CHARACTER_CLASS);

  private final Set<String> givenNames;
  private final Set<String> ambiguous;
  private final Set<String> notNames;
  private final IdentifierTagger tagger;
  /** What a transcript's {@code pseudonymisedBy} says when the rules and the trained tagger both read it. */
  public static final String RULES_AND_TAGGER = "rules+tagger/1";
  /** The tagger's probability an identifier other than a name needs (the rules find those by their shape). */
  static final double SHAPED_TAG_PROBABILITY = 0.5;

  /** The rules and the process's shared trained tagger ({@link LanguageModel#shared}). */
  public Pseudonymizer() {
    this(LanguageModel.shared().identifiers());
  }

  /** The rules, and the tagger unless it is null (the rules alone). */
  public Pseudonymizer(IdentifierTagger tagger) {
    this.givenNames = words("first-names.txt");
    this.ambiguous = words("ambiguous-names.txt");
    this.notNames = words("not-names.txt");
    this.tagger = tagger;
  }

  private static Set<String> words(String resource) {
    Set<String> words = new HashSet<>();
    try (InputStream in = Pseudonymizer.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing word list " + resource);
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.startsWith("#")) {
          words.addAll(List.of(line.trim().split("\\s+")));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read word list " + resource, e);
    }
    words.remove("");
    return words;
  }

  /** What read the text: {@link #RULES_AND_TAGGER}, or {@code rules/1} without the tagger. */
  public String readers() {
    return tagger == null ? "rules/1" : RULES_AND_TAGGER;
  }

  /** A run over one transcript: the same identifier gets the same placeholder in every segment. */
  public Session session() {
    return new Session();
  }

  /** Every identifier in the text, without overlaps, in order. */
  public List<IdentifierSpan> detect(String text) {
    return detect(text, Set.of());
  }

  List<IdentifierSpan> detect(String text, Set<String> knownNames) {
    return detect(text, knownNames, tagger == null ? List.of() : tagger.tag(text));
  }

  private List<IdentifierSpan> detect(String text, Set<String> knownNames, List<IdentifierTagger.Span> tags) {
    List<IdentifierSpan> found = new ArrayList<>();
    add(found, text, EMAIL, IdentifierKind.EMAIL);
    spokenEmails(found, text);
    add(found, text, URL, IdentifierKind.URL);
    add(found, text, SPOKEN_URL, IdentifierKind.URL);
    numbers(found, text);
    add(found, text, SPOKEN_DIGITS, IdentifierKind.PHONE);
    add(found, text, ADDRESS, IdentifierKind.ADDRESS);
    add(found, text, DATE, IdentifierKind.DATE);
    addGroup(found, text, BORN_YEAR, IdentifierKind.DATE);
    add(found, text, AGE, IdentifierKind.AGE);
    names(found, text, knownNames);
    tagged(found, text, tags);
    return resolve(found);
  }

  /** The tagger's spans, except over placeholders already in the text (a second pass). */
  private static void tagged(List<IdentifierSpan> found, String text, List<IdentifierTagger.Span> tags) {
    List<int[]> placeholders = new ArrayList<>();
    Matcher existing = EXISTING.matcher(text);
    while (existing.find()) {
      placeholders.add(new int[] {existing.start(), existing.end()});
    }
    for (IdentifierTagger.Span span : tags) {
      if (placeholders.stream().anyMatch(p -> p[0] < span.end() && span.start() < p[1])) {
        continue;
      }
      IdentifierKind kind = IdentifierKind.valueOf(span.kind());
      // The rules read what has a shape well; the tagger adds those only when it is sure.
      if (kind != IdentifierKind.PERSON && span.probability() < SHAPED_TAG_PROBABILITY) {
        continue;
      }
      int start = span.start();
      int end = span.end();
      while (start < end && !Character.isLetterOrDigit(text.charAt(start)) && "+(".indexOf(text.charAt(start)) < 0) {
        start++;
      }
      while (end > start && !Character.isLetterOrDigit(text.charAt(end - 1)) && text.charAt(end - 1) != ')') {
        end--;
      }
      String covered = text.substring(start, end);
      if (kind == IdentifierKind.PERSON) {
        covered = stripPossessive(covered);
      }
      if (!covered.isBlank()) {
        found.add(new IdentifierSpan(kind, start, start + covered.length(), covered));
      }
    }
  }

  /** "jay dot smith eighty-eight at gmail dot com": from the first word that is not ordinary speech. */
  private static void spokenEmails(List<IdentifierSpan> found, String text) {
    Matcher m = SPOKEN_EMAIL.matcher(text);
    while (m.find()) {
      int start = m.start();
      Matcher word = EMAIL_WORD.matcher(text);
      while (word.region(start, text.length()).lookingAt() && NOT_IN_EMAIL.contains(word.group(1).toLowerCase(
          Locale.ROOT)) && word.end() < m.end()) {
        start = word.end();
      }
      if (start < m.end() && text.substring(start, m.end()).contains(" at ")) {
        found.add(new IdentifierSpan(IdentifierKind.EMAIL, start, m.end(), text.substring(start, m.end())));
      }
    }
  }

  /** Digit runs: an ID when an ID word comes before it or it has an ID's shape; a phone otherwise. */
  private static void numbers(List<IdentifierSpan> found, String text) {
    Matcher id = ID_TOKEN.matcher(text);
    while (id.find()) {
      String before = text.substring(Math.max(0, id.start() - 40), id.start());
      boolean cued = ID_CUE.matcher(before).find();
      String match = id.group().strip();
      if (cued || match.matches("\\d{3}-\\d{2}-\\d{4}") || match.matches("[A-Z]{1,3}[- ]?\\d{5,}[A-Z]?")) {
        found.add(new IdentifierSpan(IdentifierKind.ID, id.start(), id.start() + id.group().stripTrailing().length(),
            match));
      }
    }
    Matcher phone = PHONE.matcher(text);
    while (phone.find()) {
      String match = phone.group();
      long digits = match.chars().filter(Character::isDigit).count();
      if (digits >= 7 && digits <= 15 && !match.matches("(?:1[89]|20)\\d\\d")) {
        String before = text.substring(Math.max(0, phone.start() - 40), phone.start());
        IdentifierKind kind = ID_CUE.matcher(before).find() ? IdentifierKind.ID : IdentifierKind.PHONE;
        found.add(new IdentifierSpan(kind, phone.start(), phone.end(), match));
      }
    }
  }

  private void names(List<IdentifierSpan> found, String text, Set<String> knownNames) {
    addGroup(found, text, TITLED, IdentifierKind.PERSON);
    Matcher cued = CUED.matcher(text);
    while (cued.find()) {
      String name = cued.group(1);
      String first = name.split("\\s+")[0];
      if (!notNames.contains(first) && (givenNames.contains(first) || ambiguous.contains(first)
          || !isSentenceStartWord(first))) {
        found.add(new IdentifierSpan(IdentifierKind.PERSON, cued.start(1), cued.end(1), name));
      }
    }
    Matcher word = CAPITALISED.matcher(text);
    while (word.find()) {
      String token = stripPossessive(word.group(1));
      int start = word.start(1);
      int end = start + token.length();
      if (notNames.contains(token) || token.length() < 2 || token.equals(token.toUpperCase(Locale.ROOT))) {
        continue; // acronyms (SSN, NHS, GP) are not names
      }
      boolean sentenceStart = sentenceStart(text, start);
      // Recall first: mid-sentence, a capitalised word that is not a known place, organisation or
      // calendar word, and not after a place preposition, is taken for a name.
      boolean name = knownNames.contains(token)
          || (givenNames.contains(token) && !ambiguous.contains(token))
          || (ambiguous.contains(token) && (!sentenceStart || followedByName(text, end) || reports(text, end)))
          || (!sentenceStart && !isPlace(text, start));
      if (name) {
        int stop = extendSurname(text, end);
        found.add(new IdentifierSpan(IdentifierKind.PERSON, start, stop, text.substring(start, stop)));
      }
    }
  }

  /** A capitalised word right after a name is its surname ("Rachel Moore"). */
  private int extendSurname(String text, int end) {
    Matcher next = NEXT_NAME.matcher(text).region(end, text.length());
    if (next.lookingAt()) {
      String surname = stripPossessive(next.group(1));
      if (!notNames.contains(surname) && !surname.equals("I")) {
        return next.start(1) + surname.length();
      }
    }
    return end;
  }

  private static boolean reports(String text, int end) {
    return REPORTS.matcher(text).region(end, text.length()).lookingAt();
  }

  private boolean followedByName(String text, int end) {
    Matcher next = NEXT_NAME.matcher(text).region(end, text.length());
    return next.lookingAt() && !notNames.contains(next.group(1));
  }

  private static final Pattern CUE_BEFORE = Pattern.compile("\\b" + RELATION + "\\s*,?\\s*$",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern PLACE_BEFORE = Pattern.compile("\\b(?:in|at|to|from|near|into|around|across|via|"
      + "San|Los|Las|Santa|New|St\\.?|Saint|Fort|Port|Mount|Lake|North|South|East|West|visit|visited|moved|the|The|"
      + "on|watch|watched|watching|play|played|playing|listen to|read|use|using|called|at the)\\s+$");

  // Used with region(...).lookingAt(): anchored where a word ends, never a scan of the rest.
  private static final Pattern EMAIL_WORD = Pattern.compile("([a-z0-9'-]+)\\s+", Pattern.CASE_INSENSITIVE);
  private static final Pattern NEXT_NAME = Pattern.compile("\\s+(" + NAME + ")");
  private static final Pattern REPORTS = Pattern.compile("\\s+(?:says|said|told|thinks|reckons|wants|was|is|has|"
      + "had|keeps)\\b");
  private static final Pattern CUE_AFTER = Pattern.compile("(?:['’]s\\b|\\s+(?:said|says|told|tells|asked|"
      + "texted|called|rang|and I|and me|was|is|has|had|who|wants|wanted|came|left|died|passed|got|gets|thinks|"
      + "thought|keeps|kept|never|always|used|does|did|doesn't|didn't|won't|can't)\\b)");

  private static boolean cued(String text, int start, int end) {
    return CUE_BEFORE.matcher(text.substring(Math.max(0, start - 30), start)).find()
        || CUE_AFTER.matcher(text).region(end, text.length()).lookingAt();
  }

  private static boolean isPlace(String text, int start) {
    return PLACE_BEFORE.matcher(text.substring(Math.max(0, start - 12), start)).find();
  }

  private static boolean sentenceStart(String text, int start) {
    int at = start - 1;
    while (at >= 0 && Character.isWhitespace(text.charAt(at))) {
      at--;
    }
    return at < 0 || ".!?\":".indexOf(text.charAt(at)) >= 0;
  }

  private boolean isSentenceStartWord(String word) {
    return Set.of("Well", "So", "Just", "Really", "Honestly", "Actually", "Yeah", "No", "Not", "Sorry", "Fine",
        "Okay", "Good", "Tired", "Here", "There", "Sure", "Done", "Happy", "Sad", "Angry", "Scared").contains(word);
  }

  private static String stripPossessive(String token) {
    return token.replaceAll("['’]s$", "").replaceAll("['’]$", "");
  }

  private static void add(List<IdentifierSpan> found, String text, Pattern pattern, IdentifierKind kind) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      String match = m.group().replaceAll("[.,]+$", "");
      if (!match.isBlank()) {
        found.add(new IdentifierSpan(kind, m.start(), m.start() + match.length(), match));
      }
    }
  }

  private static void addGroup(List<IdentifierSpan> found, String text, Pattern pattern, IdentifierKind kind) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      // "Dr. Patel's" is Patel: the possessive stays outside the placeholder, as it does elsewhere.
      String match = kind == IdentifierKind.PERSON ? stripPossessive(m.group(1)) : m.group(1);
      found.add(new IdentifierSpan(kind, m.start(1), m.start(1) + match.length(), match));
    }
  }

  /** Overlaps go to the longer span; on a tie, to the kind listed first. */
  private static List<IdentifierSpan> resolve(List<IdentifierSpan> found) {
    List<IdentifierSpan> byPreference = new ArrayList<>(found);
    byPreference.sort(Comparator.comparingInt(IdentifierSpan::length).reversed()
        .thenComparing(s -> s.kind().ordinal() == IdentifierKind.PERSON.ordinal() ? 1 : 0));
    // Kept spans never overlap one another, so only the neighbours by start can overlap a candidate.
    java.util.TreeMap<Integer, IdentifierSpan> kept = new java.util.TreeMap<>();
    for (IdentifierSpan span : byPreference) {
      Map.Entry<Integer, IdentifierSpan> before = kept.floorEntry(span.start());
      Map.Entry<Integer, IdentifierSpan> after = kept.ceilingEntry(span.start());
      if ((before == null || !before.getValue().overlaps(span))
          && (after == null || !after.getValue().overlaps(span))) {
        kept.put(span.start(), span);
      }
    }
    return new ArrayList<>(kept.values());
  }

  private static final Pattern EXISTING = Pattern.compile("\\[(PERSON|PHONE|EMAIL|ADDRESS|DATE|AGE|ID|URL)_(\\d+)]");

  private static String normalise(String text) {
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}@]+", " ").strip();
  }

  /** Placeholders for one transcript. */
  public final class Session {
    private final Map<String, String> placeholders = new HashMap<>();
    private final Map<IdentifierKind, Integer> counters = new HashMap<>();
    private final Set<String> knownNames = new HashSet<>();
    /** The tagger's reading of each text, so learning and applying read a text once. */
    private final Map<String, List<IdentifierTagger.Span>> tagged = new HashMap<>();

    /**
     * Learns the names of a whole transcript first, so a name is replaced even where no cue
     * points at it; placeholders already in the text (a transcript pseudonymised before) are
     * counted, so new ones never reuse their numbers.
     */
    public Session learn(List<String> texts) {
      for (String text : texts) {
        Matcher existing = EXISTING.matcher(text);
        while (existing.find()) {
          counters.merge(IdentifierKind.valueOf(existing.group(1)), Integer.parseInt(existing.group(2)), Math::max);
        }
        for (IdentifierSpan span : Pseudonymizer.this.detect(text, knownNames, tags(text))) {
          if (span.kind() == IdentifierKind.PERSON) {
            for (String part : span.text().split("\\s+")) {
              if (!notNames.contains(part) && part.length() > 1) {
                knownNames.add(stripPossessive(part));
              }
            }
          }
        }
      }
      return this;
    }

    public List<IdentifierSpan> detect(String text) {
      return Pseudonymizer.this.detect(text, knownNames, tags(text));
    }

    private List<IdentifierTagger.Span> tags(String text) {
      return tagger == null ? List.of() : tagged.computeIfAbsent(text, tagger::tag);
    }

    public String apply(String text) {
      StringBuilder out = new StringBuilder();
      int at = 0;
      for (IdentifierSpan span : detect(text)) {
        out.append(text, at, span.start()).append(placeholder(span));
        at = span.end();
      }
      return out.append(text.substring(at)).toString();
    }

    private String placeholder(IdentifierSpan span) {
      String normal = span.kind() + ":" + normalise(span.text());
      String existing = placeholders.get(normal);
      if (existing != null) {
        return existing;
      }
      if (span.kind() == IdentifierKind.PERSON) {
        // "Rachel" after "Rachel Moore" is the same person.
        String first = span.kind() + ":" + normalise(span.text().split("\\s+")[0]);
        for (Map.Entry<String, String> known : placeholders.entrySet()) {
          if (known.getKey().startsWith(first + " ") || (span.text().contains(" ")
              && known.getKey().equals(first))) {
            placeholders.put(normal, known.getValue());
            return known.getValue();
          }
        }
      }
      int n = counters.merge(span.kind(), 1, Integer::sum);
      String placeholder = "[" + span.kind() + "_" + n + "]";
      placeholders.put(normal, placeholder);
      return placeholder;
    }
  }
}
