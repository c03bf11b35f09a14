package io.sessionflow.analyzer.technique;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Codes one clinician utterance: permission-seeking advice, advice, summary, question (open or
 * closed), affirmation, reflection (simple or complex), or other. Word and shape cues only, in
 * that order of precedence; the evaluation set says how far that gets.
 */
public final class TechniqueCoder {
  private static final Pattern PERMISSION = Pattern.compile("\\b(?:would it be (?:ok|okay|alright|all right|"
      + "helpful)|is it (?:ok|okay|alright|all right) (?:if|with you)|can i (?:share|offer|suggest|tell you|give you|"
      + "make a suggestion|run)|may i (?:share|offer|suggest|tell|make)|could i (?:share|offer|suggest|tell)|do you "
      + "mind if i|would you like (?:some|a|to hear|me to|my)|if (?:it's|that's) (?:ok|okay|alright) with you|"
      + "would you be (?:open|interested)|are you open to|you asked (?:me|what|about|for)|you wanted to know|"
      + "since you(?:'ve)? asked|with your permission|if you(?:'d| would) like|if you want,? i|is it (?:ok|okay|"
      + "alright|all right) if|can i (?:offer|mention)|do you want to hear|would it help if i|would you like to hear|"
      + "would it be (?:ok|okay|alright|all right) if (?:i|we)|you (?:mentioned|said) you(?:'d)? (?:wanted|like|"
      + "want)|you were asking|you've asked (?:me )?(?:for|what|how)|would you want (?:me|some|to hear))");
  private static final Pattern ADVICE = Pattern.compile("\\b(?:you should|you shouldn't|you need to|you have to|"
      + "you've got to|you must|you ought to|you'd better|why don't you|why not (?:try|just)|i (?:would |'d )?"
      + "(?:suggest|recommend|advise)|my advice|the best thing (?:is|would be|to do)|what you (?:need|want|have) "
      + "to do is|make sure (?:you|that you)|i want you to|it (?:would|might|could) (?:help|be good|be worth) "
      + "(?:to|if you)|some people find it helps to|one thing that (?:helps|works|might help) is|try (?:to|and)\\b|"
      + "you could try|you might (?:try|want to|consider)|have you (?:thought about|considered) (?:trying|"
      + "calling|going|talking|writing|setting)|consider (?:\\w+ing)|don't (?:let|be|worry|forget|wait))|"
      + "^(?:try|go|call|take|write|start|stop|avoid|put|set|get|tell|ask|make|keep|give|cut|speak|book|ring|"
      + "text|join|download|practi[cs]e|remember|just|delete|stay|ride|leave|have a|don't|do not|switch|swap|turn|"
      + "limit|block|unfollow|consider|drink|eat|walk|sleep)\\b|^(?:next time|when|if|whenever)\\b[^,?]*,?\\s*"
      + "(?:just )?(?:leave|walk|go|call|ring|text|say|tell|take|ride|breathe|count|stop|wait)\\b");
  private static final Pattern SUMMARY = Pattern.compile("\\b(?:let me (?:see if i(?:'ve| have)? (?:got|get|"
      + "understand)|summari[sz]e|pull (?:this|that|it|some of this|a few things) together|recap|check i|make sure "
      + "i)|to (?:sum (?:up|that up)|recap|summari[sz]e)|in summary|so far (?:you've|you have|we've|today)|"
      + "(?:so )?(?:what i've heard|what i'm hearing overall|putting (?:it|this|that) (?:all )?together|"
      + "pulling (?:it|this) (?:all )?together|if i put (?:it|this) together)|you've (?:told me|mentioned|"
      + "talked about|said) (?:a (?:few|couple of|number of) things|several things|about)|(?:a few|several|"
      + "some) things (?:you've|you have) (?:said|told me|mentioned)|let's (?:recap|take stock|look back at what)|"
      + "(?:bring|pull|put|draw|tie) (?:it |this |that |a few things |some things |it all |everything )?"
      + "(?:all )?together|sum(?:ming)? (?:it |this |that )?up|in a nutshell|here's what i'm hearing|if i've got "
      + "(?:it|that|this) right|from what you've (?:said|told me|shared)|looking back over|a few things going on|"
      + "on the list|we've talked about a lot|we've covered|what we've covered)");
  private static final Pattern OPEN_START = Pattern.compile("^(?:(?:and|so|okay|ok|well|now|um|uh|hmm|right|"
      + "yeah|alright)[,]?\\s+)*(?:what(?!(?:'s| is) (?:your|the) (?:date|time|name|dose|number)| time| day| dose)"
      + "|how(?! (?:many|much|long|old|often|far|important|confident|likely|sure|strong))|why|tell me|describe|"
      + "help me understand|walk me through|say "
      + "more|talk (?:to me |a bit |more )?about|in what ways?|(?:could|can|would|will) you (?:tell|describe"
      + "|talk|walk|explain|help me|share|paint|give me a sense)|where (?:would|do) you (?:like|want) to|"
      + "i(?:'m| am) (?:curious|wondering) (?:about|what|"
      + "how|why)|i wonder (?:what|how|why)|what's (?:that|it|been|going|coming|happening|different|"
      + "important|the hardest|the best|the worst)|where do you (?:think|see|want|feel)|who (?:else )?(?:do you "
      + "think|might|could|would))");
  private static final Pattern CLOSED_START = Pattern.compile("^(?:(?:and|so|okay|ok|well|now|um|uh|hmm|right|"
      + "yeah|alright)[,]?\\s+)*(?:do|does|did|is|isn't|are|aren't|was|wasn't|were|have|haven't|has|had|can|can't|"
      + "could|would|will|won't|should|shall|may|any|anything|who|whom|whose|where|when|which|how (?:many|much|"
      + "long|old|often|far)|what (?:time|day|dose)|what(?:'s| is) (?:your|the) (?:date|time|name|dose|number)|"
      + "is that|are you|right|true|you (?:do|did|are|were|have|had|can|will|would|don't|didn't|aren't|weren't)"
      + ")\\b");
  private static final Pattern AFFIRMATION = Pattern.compile("\\b(?:you(?:'ve| have) (?:worked|done|been "
      + "(?:really |so |very )?(?:brave|honest|persistent|committed|working)|made (?:real|a lot of|some|great|"
      + "huge|good|such)|shown|taken (?:a|some|real|big)|managed|stuck with|kept (?:going|at it|showing up)|"
      + "come (?:a long way|so far)|put (?:in|a lot))|that (?:took|takes) (?:a lot of |real |some )?(?:courage|"
      + "guts|strength|bravery|honesty|effort)|i (?:really )?(?:appreciate|admire|respect|value) (?:your|you|how|"
      + "that you|the way)|good for you|well done|nicely done|great job|that's (?:a )?(?:big|real|huge|important|"
      + "great|impressive|brave|significant) (?:step|achievement|change|thing|accomplishment|effort|insight)|you "
      + "should be proud|that shows (?:a lot of |real |how much |your )?|your (?:commitment|determination|"
      + "courage|honesty|strength|persistence|resilience|effort|care|creativity|insight) |impressive|it's clear "
      + "(?:that )?you (?:care|love|want|value|are)|you(?:'re| are) (?:a |someone |clearly |really )?(?:someone "
      + "who|very |so |really )?(?:resourceful|resilient|determined|caring|strong|brave|thoughtful|committed|"
      + "persistent|creative|insightful|a good (?:dad|mum|mom|father|mother|friend))|you did (?:it|that|"
      + "really well|a great))|\\b(?:really well|so well|amazing job|great job|good job|brave|bravery|courage|"
      + "courageous|strengths?|determination|commitment|resourceful|consistent|a (?:real )?gift|great advocate|"
      + "real achievement|big step|good call|good on you|generous|loyalty|sense of humou?r|(?:doesn't|don't|never) "
      + "give up|takes responsibility|hard work|kept your cool|comfort zone|trusted your gut|keep showing up|really "
      + "care about|matter(?:s)? to you|put your health first|a lot of thought)\\b");
  /** Greetings, scheduling, information, housekeeping and self-disclosure: MITI's "other". */
  private static final Pattern OTHER = Pattern.compile("^(?:hi|hello|hey|welcome|good (?:morning|afternoon|"
      + "evening)|thanks|thank you|take care|see you|bye|goodbye|mm+-?hm+|uh-huh|okay|ok|right|sure|i see|yes|yeah|"
      + "no|great|good|alright|all right)\\b[^,]{0,12}[.!]?$|\\b(?:see you (?:on|next|then|in)|next (?:session|week's "
      + "session|appointment)|appointment|reschedul\\w*|calendar|o'clock|\\d{1,2}(?::\\d\\d)? ?(?:am|pm)|"
      + "usually|typically|research (?:shows|says|suggests)|studies|tends? to|will get a copy|confidential\\w*|"
      + "policy|the form|letter|there's (?:water|tissues|a bathroom)|tissues|bathroom|invoice|the fee|parking|"
      + "minutes left|time is up|let's (?:start|stop|begin|finish)|just so you know|for your information|i'll send|"
      + "i'll email|i'll call|i'll write|i'll be away|i'm away|i'm on leave|my own|when i was|i (?:also|too) "
      + "(?:have|had|felt|struggle)|i remember when)\\b");

  /** Imperatives that invite the client to say more: open questions in MITI's sense. */
  private static final Pattern INVITATION = Pattern.compile("^(?:(?:and|so|okay|ok|well|now|um)[,]?\\s+)*"
      + "(?:tell me|describe|walk me through|help me understand|i'd love to hear|i'm curious (?:how|what|why|about)|"
      + "i wonder (?:how|what|why)|say (?:a bit |a little )?more|talk (?:to me |a bit |"
      + "more |me through )?(?:about|through)|paint me a picture|give me (?:a sense|an example)|go on|keep going)\\b");
  private static final Pattern REFLECTION = Pattern.compile("^(?:(?:and|so|okay|ok|well|now|um|yeah|right|"
      + "mm|mhm|hmm)[,]?\\s+)*(?:you|you're|you've|you'd|you'll|your|it sounds|sounds like|it seems|seems like|"
      + "it feels|feels like|it's like|it's been|that's|there's|part of you|on (?:the )?one hand|i'm hearing|"
      + "what i(?:'m)? hear|i hear|i get the sense|i'm getting|this is|that must|it must|a lot of|for you|so "
      + "it's|so there's|somehow|even though|almost like|like you|not|no wonder|nothing|everything|"
      + "(?:\\w+ )?(?:feels|seems|sounds))");
  private static final Pattern COMPLEX = Pattern.compile("\\b(?:part of you|on (?:the )?one hand|on the other "
      + "(?:hand)?|and yet|and at the same time|at the same time|even though|almost (?:like|as if)|as if|as though"
      + "|like you(?:'re| are| were)|underneath|deep down|wondering (?:whether|if)|what (?:really )?matters|really "
      + "(?:important|matters) to you|you value|you care (?:about|so)|because you|scared "
      + "(?:that|of)|afraid (?:that|of)|worried that|you're not sure|you're torn|torn between|what you want is|"
      + "what you're (?:really )?saying|you're wanting|you want (?:to be|more|something)|for you it's|it's not "
      + "(?:just|so much|really) about|more (?:about|than)|no wonder|makes sense (?:that|given)|the (?:hardest|"
      + "worst|real) (?:part|thing)|you've had enough|carrying|weight|a bit of both|not just|but also|what you're "
      + "really|really after|sitting on top of|along the way|running on empty|lifeline|the kind of|the one you had|"
      + "more ready|wonder whether|starting to wonder|feels like|like betraying|proof that|knocked|fills you)\\b");

  /** The code of one utterance (one sentence or a short turn). */
  public TechniqueCode code(String utterance) {
    String s = utterance.toLowerCase(Locale.ROOT).replace('’', '\'').strip();
    boolean question = s.endsWith("?");
    boolean permission = PERMISSION.matcher(s).find();
    boolean advice = ADVICE.matcher(s).find();
    if (permission && (advice || s.contains("suggest") || s.contains("idea") || s.contains("share")
        || s.contains("recommend") || s.contains("thought"))) {
      return TechniqueCode.ADVICE_WITH_PERMISSION;
    }
    if (INVITATION.matcher(s).find()) {
      return TechniqueCode.OPEN_QUESTION;
    }
    if (permission && words(s) >= 12) {
      return TechniqueCode.ADVICE_WITH_PERMISSION;
    }
    if (SUMMARY.matcher(s).find() || (words(s) >= 20 && !question && (s.contains(":") || count(s, ",") >= 2)
        && count(s, " and ") >= 1 && s.matches(".*\\b(?:you|your|you've|you're)\\b.*"))) {
      return TechniqueCode.SUMMARY;
    }
    if (advice && !question && !AFFIRMATION.matcher(s).find()) {
      return TechniqueCode.ADVICE_WITHOUT_PERMISSION;
    }
    if (question || OPEN_START.matcher(s).find() && (s.startsWith("tell me") || s.startsWith("describe")
        || s.contains("say more") || s.startsWith("walk me") || s.startsWith("help me understand")
        || s.startsWith("talk"))) {
      if (advice && question && s.matches("^(?:why don't you|why not|have you (?:thought about|considered)).*")) {
        return TechniqueCode.ADVICE_WITHOUT_PERMISSION;
      }
      if (s.contains("on a scale") || s.matches(".*(?:is that right|right|isn't it|aren't you|don't you)\\?$")) {
        return TechniqueCode.CLOSED_QUESTION;
      }
      if (!OPEN_START.matcher(s).find() && s.matches("^[^?]*,\\s*(?:what|how|why)\\b.*")) {
        return TechniqueCode.OPEN_QUESTION;
      }
      return OPEN_START.matcher(s).find() ? TechniqueCode.OPEN_QUESTION
          : CLOSED_START.matcher(s).find() ? TechniqueCode.CLOSED_QUESTION
          : words(s) <= 6 ? TechniqueCode.CLOSED_QUESTION : TechniqueCode.OPEN_QUESTION;
    }
    if (AFFIRMATION.matcher(s).find()) {
      return TechniqueCode.AFFIRMATION;
    }
    if (OTHER.matcher(s).find()) {
      return TechniqueCode.OTHER;
    }
    // A statement back to the client about their experience is a reflection (MITI), whatever its opening.
    return COMPLEX.matcher(s).find() || words(s) >= 13 ? TechniqueCode.COMPLEX_REFLECTION
        : TechniqueCode.SIMPLE_REFLECTION;
  }

  private static int words(String s) {
    return s.isBlank() ? 0 : s.split("\\s+").length;
  }

  private static int count(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
