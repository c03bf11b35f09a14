package io.sessionflow.analyzer.risk;

import java.util.regex.Pattern;

/**
 * How a phrase is said: negated ("I'd never hurt myself"), hypothetical ("if I ever…"), a
 * question put to the other person ("have you had thoughts of…?"), about someone else ("my
 * friend said she wanted to die") or about the past ("last year I thought about it").
 */
final class Speech {
  private static final Pattern NEGATION = Pattern.compile("\\b(?:not|never|no|don't|do not|didn't|did not|won't|"
      + "will not|wouldn't|would not|couldn't|could not|can't|cannot|isn't|is not|wasn't|was not|aren't|haven't|"
      + "have not|hasn't|nor|neither|without|nothing|none|nobody|no one|denies|deny|denied|free of)\\b");
  private static final Pattern NOT_A_NEGATION = Pattern.compile("\\b(?:can't stop|couldn't stop|cannot stop|"
      + "not sure|not only|no doubt|can't help|couldn't help|don't know if i can|not (?:going to|gonna) lie|"
      + "never mind|no matter|nothing (?:helps|works|matters)|no one would (?:care|notice|miss)|can't get through|"
      + "cannot get through|can't function|can't face|don't think they|don't think he|don't think she|"
      + "nobody would (?:care|notice|miss)|not anymore|no more)\\b");
  private static final Pattern NEGATION_AFTER = Pattern.compile("^[^,.?!]{0,15}\\b(?:isn't|is not|wasn't|was not|"
      + "not something|not an option|not on the table)\\b");
  private static final Pattern HYPOTHETICAL = Pattern.compile("\\b(?:if|what if|suppose|supposing|imagine|"
      + "imagining|in case|whether|hypothetically|unless|say someone|let's say|would anyone|should i ever|"
      + "what happens when|what would happen)\\b");
  private static final Pattern ADDRESSED_QUESTION = Pattern.compile("^(?:and |so |now |okay,? |ok,? |um,? |"
      + "just |can i ask,? |i have to ask,? |i need to ask,? )*(?:have|has|do|does|did|are|is|were|was|would|could|"
      + "will|any|how|what|when|where|who|why|anything|ever|in the past)\\b[^?]*\\b(?:you|your|yourself)\\b");
  private static final Pattern PAST = Pattern.compile("\\b(?:last (?:year|month|week|summer|winter|spring|autumn|"
      + "fall|time)|years? ago|months? ago|weeks? ago|a while ago|a while back|back (?:then|when)|when i was|"
      + "used to|in the past|as a (?:kid|child|teenager|teen)|at (?:school|uni|university|college)|growing up|"
      + "in my (?:teens|twenties|thirties)|(?:a few|some|several|two|three|many) (?:years|months) back|"
      + "once before|previously|before i (?:met|started|had)|the last time|back in (?:19|20)\\d\\d|"
      + "in (?:19|20)\\d\\d|after (?:the divorce|my divorce|the breakup|he left|she left|dad died|mum died|mom died)|"
      + "when (?:he|she|they|we) (?:left|died|split)|had thoughts|i tried|i attempted|was using|was drinking)\\b");
  private static final Pattern FIRST_PERSON = Pattern.compile("\\b(?:i|i'm|i've|i'd|i'll|im|ive|me|myself)\\b");
  private static final Pattern ANY_FIRST_PERSON = Pattern.compile("\\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine)\\b");
  private static final Pattern CLIENT_ACTS = Pattern.compile("\\b(?:i|i've|i'd|i'll|i'm going to|i want to|"
      + "wants to|i'm gonna|me wants to|i wanted to|i nearly|i might)\\s+(?:\\w+\\s+){0,2}$");
  private static final Pattern DISCOURSE_IF = Pattern.compile("\\b(?:if i'm (?:being )?(?:honest|real|truthful)|"
      + "if i'm honest|if that makes sense|if you know what i mean|even if|as if|if anything|if i'm being "
      + "straight)\\b");

  /** A sentence that opens with the speaker denying something about themselves ("No, I've never…"). */
  private static final Pattern DENIAL = Pattern.compile("^(?:(?:no|nah|nope|honestly|um|look|oh)[,.!]? )*(?:i|i'm|"
      + "i've|i'd|i'll|im|ive|we)\\s*(?:(?:do|did|have|has|will|would|am|have been)\\s*(?:not|n't)|don't|didn't|"
      + "haven't|won't|wouldn't|'m not|am not|not|'ve never|never|'m never|'ve not|wasn't|was not)\\b");
  /** Denials that are disclosures ("I don't want to be here anymore", "I haven't been taking them"). */
  private static final Pattern DENIAL_THAT_DISCLOSES = Pattern.compile("\\b(?:want to (?:live|be here|be alive|"
      + "wake up|go on|carry on|exist|be around|keep going)|see (?:the|a) point|see a (?:future|way out)|care "
      + "(?:if|whether)|mind if|be (?:around|here) (?:much )?(?:longer|for long)|think i can|been taking|taken|"
      + "take (?:my|them|the)|told|tell|eaten|eat|remember|"
      + "stop|let me|come home|slept|feel safe|know how (?:much|many)|had a choice|know what i'd do)\\b");

  /** Everyday idioms that carry a category's words and none of its risk ("shoot him a text"). */
  private static final java.util.Map<RiskCategory, Pattern> IDIOMS = java.util.Map.of(
      RiskCategory.HARM_TO_OTHERS, Pattern.compile("\\bshoot (?:him|her|them|you|me|us|\\[person_\\d+\\]) (?:a|an|"
          + "over a) (?:quick )?(?:text|message|email|e-mail|line|note|dm|msg)\\b|\\b(?:kill|murder) (?:for )?(?:a|an|"
          + "some) (?:coffee|pizza|curry|burger|pint|drink|holiday|nap|cigarette|beer|takeaway)\\b|\\b(?:he|she|they|"
          + "mum|mom|dad|my \\w+)(?:'ll| will| is going to|'s going to) (?:kill|murder) me\\b|\\bkilling it\\b"),
      RiskCategory.SUBSTANCE_USE, Pattern.compile("\\b(?:a|one|the odd) (?:small )?(?:glass|pint) of (?:wine|beer|red|"
          + "white) (?:with|at|over) (?:dinner|lunch|tea|a meal|the meal|supper)\\b"),
      RiskCategory.SUICIDAL_IDEATION, Pattern.compile("\\b(?:dying (?:to|for) (?:see|try|go|get|know|meet|hear)|nearly "
          + "died (?:laughing|of embarrassment)|dead (?:tired|on my feet)|bored to death|"
          + "kill(?:ing)? (?:some )?time)\\b"),
      RiskCategory.SELF_HARM, Pattern.compile("\\b(?:beat(?:ing)? myself up|kick(?:ing|ed)? myself|cut(?:ting)? myself "
          + "(?:some )?slack)\\b"));

  private Speech() {
  }

  /** The sentence with the category's everyday idioms taken out (the same text when it has none). */
  static String withoutIdioms(RiskCategory category, String sentence) {
    Pattern idiom = IDIOMS.get(category);
    return idiom == null ? sentence : idiom.matcher(sentence).replaceAll(" ");
  }

  /**
   * The sentence opens with the speaker denying something about themselves, and the denial is not
   * itself a disclosure: the rules' reading of a negation, applied to what the model flags alone.
   */
  static boolean denial(String sentence) {
    return DENIAL.matcher(sentence).find() && !DENIAL_THAT_DISCLOSES.matcher(sentence).find()
        && !NOT_A_NEGATION.matcher(sentence).find() && !CONTRAST.matcher(sentence).find();
  }

  /** "No, I'm not suicidal, but I've been saving my pills": what follows the denial may disclose. */
  private static final Pattern CONTRAST = Pattern.compile("\\b(?:but|though|although|except|only that|apart from)\\b");

  /** The clause's words before the phrase negate it (and the phrase does not carry its own negation). */
  static boolean negated(String before, String after) {
    int comma = before.lastIndexOf(',');
    String window = lastWords(comma >= 0 ? before.substring(comma + 1) : before, 10);
    String cleaned = NOT_A_NEGATION.matcher(window).replaceAll(" ");
    return NEGATION.matcher(cleaned).find() || NEGATION_AFTER.matcher(after).find();
  }

  /** A hypothetical cue governs the phrase: no comma between them ("if I ever felt like dying"). */
  static boolean hypothetical(String before) {
    String cleaned = DISCOURSE_IF.matcher(before).replaceAll(" ");
    java.util.regex.Matcher m = HYPOTHETICAL.matcher(cleaned);
    int last = -1;
    while (m.find()) {
      last = m.end();
    }
    String between = last >= 0 ? cleaned.substring(last) : "";
    // "if he touches her again I'm going to…": a condition on a stated intent, not a hypothetical.
    return last >= 0 && !between.contains(",") && !INTENT.matcher(between).find();
  }

  private static final Pattern INTENT = Pattern.compile("\\b(?:i'm going to|i'm gonna|i'll|i will|i'd|i would)\\b");

  /** A question with no first person in it ("scratching until it bleeds?"): an echo or a screen. */
  static boolean echoQuestion(String sentence) {
    return sentence.strip().endsWith("?") && !ANY_FIRST_PERSON.matcher(sentence).find();
  }

  /** The client is the one acting just before the phrase ("I want to hurt the kids"): not abuse of them. */
  static boolean clientActs(String before) {
    return CLIENT_ACTS.matcher(before).find();
  }

  /** A question put to the listener, as a therapist screens: not a disclosure. */
  static boolean addressedQuestion(String sentence) {
    return sentence.strip().endsWith("?") && ADDRESSED_QUESTION.matcher(sentence.strip()).find();
  }

  static boolean past(String clause) {
    return PAST.matcher(clause).find();
  }

  /**
   * Whether the phrase is about someone other than the speaker: the nearest subject before it is
   * a third person, or a third person is reported as saying or doing it.
   */
  static boolean aboutSomeoneElse(String before, String phrase) {
    if (FIRST_PERSON.matcher(phrase).find() && !phrase.matches(".*\\b(?:him|her|them)sel(?:f|ves)\\b.*")) {
      return lastSubjectIsOther(before);
    }
    if (phrase.matches(".*\\b(?:him|her|them)sel(?:f|ves)\\b.*")) {
      return true;
    }
    return lastSubjectIsOther(before);
  }

  private static boolean lastSubjectIsOther(String before) {
    int other = lastIndex(OTHER_AS_SUBJECT, before);
    int self = lastIndex(FIRST_PERSON, before);
    return other >= 0 && other > self;
  }

  /** A third person followed by a verb: the one doing or saying it. */
  private static final Pattern OTHER_AS_SUBJECT = Pattern.compile("\\b(?:he|she|they|my (?:friend|best friend|"
      + "best mate|sister|little sister|brother|big brother|mum|mom|mother|dad|father|son|daughter|husband|wife|"
      + "partner|boyfriend|girlfriend|cousin|aunt|uncle|flatmate|roommate|colleague|coworker|neighbou?r|mate|ex|"
      + "niece|nephew|grandson|granddaughter|nan|gran|mum's friend|dad's friend)|a (?:friend|girl|boy|guy|woman|man"
      + "|kid|mate|client)(?: in my class| at work| at school| i know)?|someone|somebody|people|the main character|"
      + "(?:her|his|my) character|\\[person_\\d+\\])(?:'s|'d|'ll)?\\s+(?:\\w+(?:s|ed)\\b|said|told|thinks|keeps|"
      + "is|was|has|had|can't|won't|doesn't|didn't|never|always|just|got|gets|back|been|wants|would|will|tried|"
      + "talks|drinks|uses|takes|cuts|does|did|goes|went|has been|had been)");

  private static int lastIndex(Pattern pattern, String text) {
    java.util.regex.Matcher m = pattern.matcher(text);
    int last = -1;
    while (m.find()) {
      last = m.start();
    }
    return last;
  }

  static String lastWords(String text, int count) {
    String[] words = text.strip().split("\\s+");
    int from = Math.max(0, words.length - count);
    return String.join(" ", java.util.Arrays.copyOfRange(words, from, words.length));
  }
}
