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
      + "never mind|no matter|nothing (?:helps|works|matters)|no one would (?:care|notice|miss)|"
      + "nobody would (?:care|notice|miss)|not anymore|no more)\\b");
  private static final Pattern NEGATION_AFTER = Pattern.compile("^[^.?!]{0,25}\\b(?:isn't|is not|wasn't|was not|"
      + "are not|aren't|not something|never|not an option|not on the table|no way|no)\\b(?! (?:longer|more|point|"
      + "reason|one))");
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
  private static final Pattern OTHER_SUBJECT = Pattern.compile("\\b(?:he|she|they|him|her|them|his|their|"
      + "himself|herself|themselves|my (?:friend|sister|brother|mum|mom|mother|dad|father|son|daughter|husband|"
      + "wife|partner|boyfriend|girlfriend|cousin|aunt|uncle|flatmate|roommate|colleague|coworker|neighbou?r|mate|"
      + "ex|niece|nephew|grandson|granddaughter|nan|gran)|a friend|someone|somebody|people|a lot of people|"
      + "a client|kids at school|\\[person_\\d+\\])\\b");
  private static final Pattern FIRST_PERSON = Pattern.compile("\\b(?:i|i'm|i've|i'd|i'll|im|ive|me|my|myself|mine)\\b");
  private static final Pattern REPORTING = Pattern.compile("\\b(?:said|says|told|tells|texted|posted|mentioned|"
      + "admitted|thinks|thought|feels|felt|wants|wanted|has been|had been|keeps|is|was|tried|tries|talks|talked|"
      + "used to|drinks|drank|uses|takes|took|cuts|cut)\\b");

  private Speech() {
  }

  /** The clause's words before the phrase negate it (and the phrase does not carry its own negation). */
  static boolean negated(String before, String after) {
    String window = lastWords(before, 6);
    String cleaned = NOT_A_NEGATION.matcher(window).replaceAll(" ");
    return NEGATION.matcher(cleaned).find() || NEGATION_AFTER.matcher(after).find();
  }

  static boolean hypothetical(String before) {
    return HYPOTHETICAL.matcher(before).find();
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
    int other = lastIndex(OTHER_SUBJECT, before);
    int self = lastIndex(FIRST_PERSON, before);
    if (other < 0) {
      return false;
    }
    if (other > self) {
      return true;
    }
    // "my friend said she…": a reporting verb after the third person, the speaker only as the listener.
    return self >= 0 && before.substring(other).matches("(?s).*\\b(?:said|told me|says|texted me)\\b.*")
        && !before.substring(self).matches("(?s)^(?:i|i'm|i've|i'd|i'll)\\b.*");
  }

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

  static boolean reportedVerbPresent(String before) {
    return REPORTING.matcher(before).find();
  }
}
