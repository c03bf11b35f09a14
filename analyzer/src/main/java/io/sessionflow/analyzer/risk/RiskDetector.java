package io.sessionflow.analyzer.risk;

import io.sessionflow.analyzer.Transcript;
import io.sessionflow.analyzer.text.Sentences;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds risk and ethics indicators sentence by sentence: phrase rules per category, then how
 * the phrase is said ({@link Speech}): negated, hypothetical, a screening question put to the
 * client, or about someone else does not flag; the client's own past does, at lower severity.
 * It points a clinician at evidence; it does not assess risk.
 */
public final class RiskDetector {
  private static final String PERSON_OBJECT = "(?:him|her|them|you|my (?:\\w+ )?(?:\\w+)|his \\w+|her \\w+|that "
      + "\\w+|the (?:\\w+ )?(?:guy|man|woman|bloke|kid|boy|girl|teacher|boss|manager|neighbou?r|driver|officer|"
      + "cop|landlord)|someone|somebody|people|everyone|anyone|\\[person_\\d+\\]|whoever)";
  private static final List<Rule> RULES = List.of(
      // suicidal ideation
      rule(RiskCategory.SUICIDAL_IDEATION, true, "(?:kill(?:ing|ed)?|off(?:ing)?|top(?:ping|ped)?) myself"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\bsuicid\\w*"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\bend(?:ing|ed)? (?:it all|my (?:own )?life|my life|things|"
          + "everything|it)\\b(?! (?:with|at|there|off|on|up))"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\btak(?:e|ing|en) my (?:own )?life"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:want(?:ed|s)?|wanting|wish(?:ed)?|wishing|longing|ready|"
          + "praying|hoping) (?:to|i could|i would|i'd)? ?(?:just )?(?:die|be dead|not be (?:here|alive|around)|"
          + "disappear (?:forever|for good)|not exist|stop existing|not wake up|never wake up|go to sleep and "
          + "(?:not|never) wake up)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\bwish(?:ed)? i (?:was|were|had never been) (?:dead|born|gone)"
          + "|\\bwish(?:ed)? i (?:wouldn't|would not|didn't|did not|could just not) (?:wake up|exist|be here)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:don't|do not|didn't|did not|no longer|not) (?:really )?"
          + "(?:want|wanting|wish) to (?:live|be alive|be here|exist|wake up|go on|carry on|keep going|be around)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\bbetter off (?:dead|without me|if i (?:was|were|wasn't|"
          + "weren't) (?:gone|here|around|dead))|\\bbe better off without me"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:no|any|what's the|what is the) (?:point|reason) (?:in |to |"
          + "of )?(?:living|going on|carrying on|being here|being alive|live|life|keep going|anything)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:life|living|my life)(?:'s| is) (?:not|no longer) worth "
          + "(?:living|it)|\\bnot worth living"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:can't|cannot|can not) (?:go on|keep going|do this "
          + "anymore|take (?:it|this) anymore|carry on)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:take|took|taking|swallow(?:ed)?|down(?:ed)?) (?:all|the "
          + "whole|a (?:bunch|load|handful|pile) of|every one of) (?:of )?(?:my|the|those|them|these)? ?(?:pills|"
          + "tablets|meds|medication|packet|bottle)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:hang(?:ing)?|hung|drown(?:ing)?|shoot(?:ing)?|gas(?:sing)?)"
          + " myself|\\bjump(?:ing|ed)? (?:off|from|in front of) (?:a |the |that )?(?:bridge|building|train|roof|"
          + "cliff|car|bus|balcony)|\\bstep(?:ping)? in front of (?:a|the) (?:train|bus|car|truck)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:wrote|writing|write|written|left|leave) (?:a|my|the) "
          + "(?:suicide |goodbye |last )?(?:note|letter)s? (?:for|to) (?:my|the|everyone)|\\bsaying goodbye to "
          + "(?:everyone|people|my)|\\bgiv(?:e|ing|en) (?:away )?(?:all )?my (?:stuff|things) away"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:done|finished) with (?:life|living|everything|it all|this "
          + "world)|\\btired of (?:living|being alive|life|existing)|\\bdon't see a future|\\bno future for me"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:everyone|everybody|they|my family|the kids|people) "
          + "(?:would|'d) be (?:better|happier) (?:off )?(?:without me|if i (?:was|were) gone)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:not|never) wak(?:e|ing) up (?:again|tomorrow|in the "
          + "morning)|\\bfall asleep (?:and|forever)|\\bwouldn't mind (?:if i|dying|not waking)|\\bjust want "
          + "(?:it|everything) to (?:stop|end|be over)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:thought|thinking|think|thoughts) (?:about|of) (?:dying|death"
          + "|ending (?:it|things|my life|everything|myself)|not being here|killing|taking my|jumping|overdos)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:attempt(?:ed)?|tried) (?:to )?(?:kill|end|take|overdose|"
          + "hang|od)|\\b(?:overdosed|od'd|od-ed) on purpose|\\bsuicide attempt"),
      // self-harm
      rule(RiskCategory.SELF_HARM, true, "\\bcut(?:s|ting)? (?:myself|into my|my (?:arms?|legs?|wrists?|thighs?|"
          + "skin|stomach|hips?|forearms?))"),
      rule(RiskCategory.SELF_HARM, true, "\\b(?:burn(?:ed|t|ing)?|scald(?:ed|ing)?) (?:myself|my (?:arms?|skin|"
          + "hands?|wrists?|legs?))"),
      rule(RiskCategory.SELF_HARM, true, "\\bself[- ]?harm\\w*|\\bself[- ]?injur\\w*"),
      rule(RiskCategory.SELF_HARM, true, "\\b(?:hurt|hurting|harm|harming|punish(?:ed|ing)?|injur(?:e|ed|ing)) "
          + "myself"),
      rule(RiskCategory.SELF_HARM, true, "\\b(?:hit|hitting|punch(?:ed|ing)?|bang(?:ed|ing)?|slap(?:ped|ping)?|"
          + "smack(?:ed|ing)?|bash(?:ed|ing)?) (?:myself|my (?:own )?(?:head|face|legs?|arms?)|(?:the |a )?walls?)"
          + "(?! by accident)"),
      rule(RiskCategory.SELF_HARM, true, "\\b(?:scratch(?:ed|es|ing)?|pick(?:ed|ing)?(?: at)?|dig(?:ging)?(?: into)?"
          + "|carv(?:e|ed|ing)(?: into)?) (?:myself|my (?:skin|arms?|legs?|scalp))"),
      rule(RiskCategory.SELF_HARM, true, "\\b(?:until|till|til) (?:it|they|i) (?:bled|bleeds?|bleed|scarred|"
          + "burned|blistered)"),
      rule(RiskCategory.SELF_HARM, true, "\\b(?:razors?|blades?|a compass|lighter) (?:on|to|against|into) "
          + "(?:my|myself)|\\bmy (?:cuts|scars|wounds)\\b|\\bpull(?:ed|ing)? (?:out )?(?:my|clumps of my) hair"
          + "|\\bstarv(?:e|ed|ing) myself|\\bmake myself (?:bleed|sick|throw up)|\\bbruis(?:e|ed|ing) myself"),
      // harm to others
      rule(RiskCategory.HARM_TO_OTHERS, true, "\\b(?:want(?:ed)?|going|gonna|will|'ll|urges?|tempted|fantasi[sz]"
          + "\\w*|imagin\\w*|plan\\w*|thinking about|thought about|think about|could|might|feel like|felt like|"
          + "ready|itching|wish i could|would love|swear i'll|swear i will|so close|about) (?:to )?(?:really )?"
          + "(?:kill|hurt|stab|shoot|strangle|choke|beat|batter|punch|smash|attack|harm|murder|run over|knife|"
          + "poison|do in)(?:ing)? " + PERSON_OBJECT),
      rule(RiskCategory.HARM_TO_OTHERS, true, "\\b(?:i'll|i will|i'm going to|i'm gonna|gonna|going to) make "
          + "(?:him|her|them|\\[person_\\d+\\]) (?:pay|suffer|sorry)|\\b(?:he|she|they)(?:'ll| will) (?:be sorry|"
          + "get what's coming)"),
      rule(RiskCategory.HARM_TO_OTHERS, true, "\\b(?:bought|got|have|keep|carry|carrying|took|taking) (?:a|my|the) "
          + "(?:gun|knife|blade|bat|weapon|machete|crowbar)\\b[^.]{0,60}\\b(?:him|her|them|when|if|for|in case|"
          + "house|work|find)"),
      rule(RiskCategory.HARM_TO_OTHERS, true, "\\b(?:know|found out) where (?:he|she|they) lives?\\b|\\b(?:hurt|kill"
          + "|attack|punch|hit|beat|stab)(?:ing)? (?:him|her|them|someone|somebody|people|my \\w+|\\[person_\\d+\\])"
          + " (?:if|when|before|next time|again|badly|so bad|for)|\\bviolent (?:thoughts|urges|fantasies) "
          + "(?:about|towards|toward)"),
      // abuse and neglect
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\b(?:hits?|hitting|beats?|beat|beating|slaps?|slapped|slapping|"
          + "punch(?:es|ed)?|kicks?|kicked|kicking|chokes?|choked|choking|strangle[sd]?|throws?|threw|shov(?:es|ed)"
          + "|push(?:es|ed)|grab(?:s|bed)|whips?|whipped|belts?|belted|burns?|burned|hurts?|smack(?:s|ed)|batter"
          + "(?:s|ed)|bruised|abus(?:es|ed|ing)) (?:me|us|her|him|them|my (?:son|daughter|kids?|children|brother|"
          + "sister|mum|mom|mother|dad|father|nan|gran|grandma|grandad|wife|husband|partner|baby)|the (?:kids?|"
          + "children|baby|boys|girls)|his (?:kids?|son|daughter|wife)|her (?:kids?|son|daughter|husband)|our "
          + "(?:kids?|son|daughter|baby))"),
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\bsexual(?:ly)? (?:abus\\w*|assault\\w*)|\\bmolest\\w*|\\bgroom"
          + "(?:ed|ing)\\b|\\b(?:touched|touches|touching) me\\b|\\binappropriate(?:ly)? touch\\w*|\\b(?:raped|rape)"
          + "\\b|\\bmade me (?:do|touch|watch) (?:things|stuff|him|her)"),
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\b(?:left|leaves|leaving|leave) (?:the kids?|the children|the "
          + "baby|them|him|her|us|my (?:son|daughter|brother|sister|nan|gran|mum|mom|dad)) (?:alone|on (?:their|"
          + "his|her|our) own|by themselves|home alone|in the car|without food|unfed|locked)"),
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\b(?:no|not enough|never any|without|nothing to|no proper) (?:food|"
          + "eat|dinner|meals?|heating|clean clothes)\\b[^.]{0,40}\\b(?:kids?|children|baby|for days|for weeks|"
          + "at home|in the house)|\\b(?:kids?|children|baby)\\b[^.]{0,40}\\b(?:hungry|starving|filthy|unwashed|"
          + "dirty nappies|not fed|go without)"),
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\bneglect(?:ed|s|ing|ful)?\\b|\\bdomestic (?:violence|abuse)\\b|"
          + "\\b(?:child|elder|emotional|physical|financial|verbal) abuse\\b|\\babusive\\b"),
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\b(?:locks?|locked|locking) (?:me|us|her|him|them|the kids?|the "
          + "children) (?:in|out|up)|\\b(?:takes?|took|taking|steals?|stole|stealing|keeps?|kept|spends?|spent|"
          + "controls?) (?:all )?(?:her|his|their|my (?:nan's|gran's|mum's|mom's|dad's|grandma's)|my|our) "
          + "(?:pension|money|benefits|bank card|savings|wages)\\b"),
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\b(?:soiled|wet|dirty|filthy) (?:sheets|bed|nappies|diapers|"
          + "clothes|pads)\\b|\\b(?:covered in bruises|bruises all over|bruises on (?:her|his|the kids?|my "
          + "(?:son|daughter)))\\b|\\b(?:scared|afraid|terrified|frightened) (?:of him|of her|of them|to go home|"
          + "of my (?:dad|stepdad|mum|mom|husband|partner|"
          + "father|mother|uncle|brother))"),
      // substance use
      rule(RiskCategory.SUBSTANCE_USE, true, "\\b(?:drink|drinking|drank|drunk|booze|boozing|wine|vodka|beers?) "
          + "(?:every (?:night|day|morning|evening)|each night|most nights|all day|all night|a bottle|two bottles|"
          + "heavily|too much|way too much|a lot|to cope|to (?:sleep|forget|numb|get through|calm)|alone|in the "
          + "morning|before work|at work|again|more and more|more than)"),
      rule(RiskCategory.SUBSTANCE_USE, true, "\\b(?:black(?:ed)? out|blackouts?|hungover|hangovers?|the shakes|"
          + "withdrawals?|craving|cravings|crave|detox|dts|relaps\\w+|fell off the wagon|back on the (?:drink|"
          + "booze|gear|pills|coke)|using again|drinking again|can't stop (?:drinking|using)|need a drink)"),
      rule(RiskCategory.SUBSTANCE_USE, true, "\\b(?:using|used|use|snort(?:ed|ing)?|smok(?:e|ed|ing)|inject(?:ed|"
          + "ing)?|shooting up|shot up|did|doing|do|took|taking|take|dropp(?:ed|ing)|popp(?:ed|ing)|buy(?:ing)?|"
          + "bought|score[d]?|scoring|on) (?:some |a (?:bit|lot) of |lines of |a line of |more )?(?:coke|cocaine|"
          + "meth|crystal|ice|crack|heroin|smack|ket|ketamine|weed|pot|cannabis|skunk|mdma|molly|ecstasy|pills|"
          + "speed|gear|fentanyl|oxy\\w*|opioids?|opiates?|benzos?|xanax|valium|spice|acid|lsd|shrooms|drugs)\\b"),
      rule(RiskCategory.SUBSTANCE_USE, true, "\\b(?:alcoholic|alcoholism|dependent on|hooked on)\\b|"
          + "\\b(?:\\d+|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty) (?:drinks|pints|beers|shots|cans|"
          + "glasses|units)\\b|\\bbottles? of (?:wine|vodka|whiskey|whisky|gin|rum|cider)\\b(?! (?:as a|for))"),
      rule(RiskCategory.SUBSTANCE_USE, true, "\\b(?:high|stoned|wasted|smashed|off my (?:face|head)|out of it) "
          + "(?:every|most|all|at work|before|again)|\\b(?:drunk|high|stoned) (?:at work|again|every|most|while)"),
      // medication
      rule(RiskCategory.MEDICATION, true, "\\b(?:stopped|stop|stopping|quit|quitting|came off|come off|coming off|"
          + "skipp(?:ed|ing)|skip|miss(?:ed|ing)|not taking|haven't (?:been )?tak(?:en|ing)|ditched|binned|flushed|"
          + "weaned (?:myself )?off) (?:taking |using |on )?(?:all )?(?:my |the |those |me )?"
          + "(?:meds|medications?|pills|tablets|antidepressants?|antipsychotics?|mood stabili[sz]ers?|lithium|"
          + "sertraline|fluoxetine|citalopram|"
          + "escitalopram|venlafaxine|mirtazapine|quetiapine|olanzapine|aripiprazole|lamotrigine|zoloft|prozac|"
          + "lexapro|seroquel|abilify|effexor|wellbutrin|dose|doses|prescription|injections?|depot)"),
      rule(RiskCategory.MEDICATION, true, "\\b(?:without|didn't|did not|haven't|not) (?:telling|tell|told|asking|"
          + "checking with) (?:my |the )?(?:doctor|gp|psychiatrist|prescriber|nurse|pharmacist|psych)"),
      rule(RiskCategory.MEDICATION, true, "\\b(?:taking|took|take|taken|had) (?:more|extra|double|twice|triple|"
          + "a few extra|two extra|three extra|an extra|way more) (?:than|of|pills|tablets|doses?|my)|\\bdoubl"
          + "(?:e|ed|ing) (?:up )?(?:on )?(?:my|the) (?:dose|pills|tablets|meds)|\\bup(?:ped|ping)? (?:my|the) "
          + "dose (?:myself|on my own)"),
      rule(RiskCategory.MEDICATION, true, "\\b(?:sav(?:e|ed|ing)|stockpil\\w+|hoard\\w*|collect(?:ed|ing)?|"
          + "stash(?:ed|ing)?|keep(?:ing)?|kept) (?:up )?(?:all )?(?:my |the |some |a few |extra )?(?:pills|"
          + "tablets|meds|medication|sleeping pills|painkillers)"),
      rule(RiskCategory.MEDICATION, true, "\\b(?:mix(?:ed|ing)?|tak(?:e|ing)|took|have|had) (?:my |the )?(?:meds|"
          + "pills|tablets|medication|antidepressants?|sleeping pills|painkillers|xanax|valium) (?:with|and) "
          + "(?:alcohol|drink|booze|wine|vodka|beer|weed)|\\b(?:drink|drinking|drank) (?:on|with) (?:my )?"
          + "(?:meds|medication|pills|antidepressants?|tablets)"),
      rule(RiskCategory.MEDICATION, true, "\\bside effects? (?:are|were|is|have been|made me|so bad|too|were so)"
          + "|\\b(?:ran out of|run out of|running out of|can't afford) (?:my )?(?:meds|medication|pills|tablets|"
          + "prescription)|\\b(?:someone else's|my (?:mum's|mom's|friend's|partner's|sister's|brother's|dad's)) "
          + "(?:pills|meds|tablets|medication|prescription)"),
      // boundaries
      rule(RiskCategory.BOUNDARY, false, "\\b(?:be|become|being|stay) friends (?:with you|with me|outside|after)|"
          + "\\b(?:just|more like|like) friends\\b[^.]{0,20}\\b(?:you and me|we|us)"),
      rule(RiskCategory.BOUNDARY, false, "\\b(?:meet|meeting|see|seeing|catch up|grab|get) (?:up )?(?:with "
          + "(?:you|me) )?(?:for )?(?:a |some )?(?:coffee|a drink|drinks|dinner|lunch|a meal|up)? ?(?:outside|"
          + "after|away from) (?:of )?(?:sessions?|therapy|here|work|the clinic|the office|hours)"),
      rule(RiskCategory.BOUNDARY, false, "\\b(?:in love with|crush on|attracted to|fancy|feelings for|fallen for|"
          + "falling for|thinking about|dream about|dreaming about) you\\b|\\byou(?:'re| are) (?:so )?"
          + "(?:beautiful|gorgeous|handsome|sexy|attractive)\\b|\\b(?:date|dating|kiss|kissing|hug|sleep with|"
          + "go out with|take you out) (?:you|me)\\b"),
      rule(RiskCategory.BOUNDARY, false, "\\b(?:a |this |little )?(?:gift|present|necklace|bracelet|watch|tickets?) "
          + "(?:for you|i got you|i bought you)|\\bbought you (?:a|something|this)|\\b(?:got|brought) you "
          + "(?:a|something|this) (?:gift|present|little)"),
      rule(RiskCategory.BOUNDARY, false, "\\b(?:add|follow|friend|message|dm|text|find|found|look(?:ed)? up) "
          + "(?:you|me) (?:on|over) (?:facebook|instagram|insta|social media|linkedin|whatsapp|tiktok|snapchat|"
          + "twitter)|\\byour (?:personal|home|private|mobile|own) (?:number|address|phone|email|instagram|"
          + "facebook)|\\bwhere you live\\b"),
      rule(RiskCategory.BOUNDARY, false, "\\b(?:business|invest\\w*|deal|job|hire|loan|lend|borrow|work for|"
          + "partner|sell|buy)\\w* (?:with|from|to|for) (?:you|me)\\b(?! (?:in here|in session|about))|\\b(?:give|"
          + "lend|pay) you (?:money|a loan|cash|extra)|\\bcome to my (?:party|wedding|house|place|birthday|"
          + "barbecue|bbq|church)|\\bcome (?:round|over) to (?:mine|my place)"),
      // broader phrasings
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:pray|praying|hope|hoping|wish|wishing)\\b[^.]{0,20}\\b"
          + "(?:don't|won't|wouldn't|never|not) wake up|\\bhow many (?:of )?(?:my |the )?(?:pills|tablets)\\b"
          + "|\\b(?:know (?:where|how) and i know (?:where|how)|picked the (?:day|date)|set the date|(?:had|have|got) "
          + "a plan to (?:overdose|die|end|kill|jump|hang|take))|\\bgoodbye (?:letters?|notes?|messages?|texts?)"
          + "|\\bwrote (?:a|the) note\\b|\\bworking up to it\\b|\\bwent through with it\\b|\\b(?:bought|got|have) "
          + "a rope\\b|\\brope\\b[^.]{0,40}\\b(?:garage|loft|shed|tree|beam|attic)"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:i'm|i am|i feel like|i feel) (?:just |such )?a burden\\b"
          + "|\\b(?:relieved|happier|better) if i (?:was|were|wasn't|weren't) (?:gone|here|around|dead|alive)"
          + "|\\bdisappear(?:ed)? (?:for good|forever|permanently)|\\b(?:painless|easiest|quickest|best) ways? to "
          + "(?:go|die|do it|end it)|\\b(?:googl\\w+|research\\w*|looking up|looked up) (?:how to (?:die|kill|end)|"
          + "ways to (?:die|go|end)|painless|lethal|overdose)|\\bnot (?:going to|gonna) be (?:around|here) (?:much |"
          + "for )?(?:longer|long)|\\brather be dead\\b|\\bcheck out (?:permanently|for good)|\\b(?:so |sick of |"
          + "over )being alive|\\bengine running\\b|\\bnot turning the wheel"),
      rule(RiskCategory.SUICIDAL_IDEATION, true, "\\b(?:took|take|swallowed|taken) (?:a |the )?(?:whole |full )?"
          + "(?:packet|box|bottle|strip|blister) of\\b|\\benough to (?:finish it|end it|do it|not wake up)"),
      rule(RiskCategory.SELF_HARM, true, "\\b(?:i|i've|i'd|i was|i've been|used to|started|i still|i) (?:been )?"
          + "cut(?:ting)?\\b(?! (?:my \\w+ in half|the|a|my hair|down|back|out|off|in line|it|up|them|him|her|"
          + "ties|class|school|"
          + "corners|costs|contact|people|myself off|loose|short|across))|\\bcut again\\b|\\b(?:fresh|new|old) "
          + "(?:cuts|scars|wounds|burns)\\b|\\bcarv(?:e|ed|ing) \\w+ into my\\b|\\bpick(?:ed|ing)? (?:the )?scabs"
          + "|\\bsnap(?:ping|ped)? (?:a|my|an) (?:hair tie|elastic|band|rubber band)|\\bbreaks? the skin|\\bwelts?\\b"
          + "|\\bsteri-strips|\\b(?:hot|boiling) (?:spoon|water|iron|knife)\\b[^.]{0,30}\\b(?:my|me)\\b|\\bpour(?:ed)? "
          + "(?:boiling|hot)|\\bdid something to my (?:arm|leg|wrist|body|skin)|\\bblade in my\\b|\\bscratched my "
          + "(?:wrists|arms|legs|skin|face)|\\bon purpose because i hated myself|\\bas a punishment\\b|\\blike a "
          + "punishment\\b"),
      rule(RiskCategory.HARM_TO_OTHERS, true, "\\b(?:kill|stab|shoot|strangle|choke[ds]?|chok(?:ed|ing)|throat|"
          + "batter|glass|torch|smash|punch|hurt|harm|beat|attack|poison|run(?:ning)? (?:\\w+ ){0,2}over|"
          + "shake the baby|in the "
          + "ground|sort (?:him|her|them) out|throw (?:something|things|stuff) at|in hospital|broke (?:his|her|my "
          + "\\w+'s) nose|threaten(?:ed)?|hammer|knife|gun|bat|screwdriver|machete|something in (?:his|her|their|my "
          + "\\w+'s) (?:coffee|drink|food)|do to each of them|make (?:him|her|them) pay|won't like what happens)\\b",
          "\\b(?:i|i'm|i'll|i'd|i've|me)\\b(?![^.]{0,3}\\b(?:myself)\\b)[^.]*\\b(?:him|her|them|his|their|he|she|they|"
          + "bloke|guy|people|everyone|ex|boss|neighbou?r|dad|father|stepdad|wife|husband|partner|brother|flatmate|"
          + "teacher|supervisor|kids|baby|unit|list|\\[person_\\d+\\])\\b(?!self)"),
      rule(RiskCategory.ABUSE_NEGLECT, false, "\\beaten properly in (?:days|weeks)|\\b(?:leaves?|left|"
          + "leaving) (?:me and )?(?:my |our |the |his |her )?"
          + "(?:\\w+ ){0,3}(?:on (?:our|their|his|her|my) own|alone|in the car|home alone)|\\b(?:was|were|got|being) "
          + "left (?:alone|on (?:our|my|their) own)|\\b(?:haven't|hasn't|not) eaten (?:properly|in)|\\bgo(?:ne)? "
          + "without (?:food|heating|eating|meals)|\\bfridge is empty|\\bwon't let (?:me|her|him|them) (?:eat|see|"
          + "leave|out)|\\bcomes? into my room at night|\\bour (?:little )?secret\\b|\\bdirty (?:messages|pictures|"
          + "photos|texts)|\\bbedsores?\\b|\\bkeeps? (?:my |her |him |them )?\\w* ?sedated|\\bsame nappy|\\bnobody "
          + "(?:picks|feeds|changes|treats)|\\btakes? (?:his|her|their) (?:bank card|money|pension)|\\btaking money "
          + "out of|\\bforgets? to (?:pick up|feed)|\\bcalls? me (?:a )?(?:waste of space|worthless|useless|stupid|"
          + "fat|ugly|pathetic)|\\bbeat (?:all of )?us\\b"),
      rule(RiskCategory.SUBSTANCE_USE, true, "\\b(?:doing|did|do) lines\\b|\\ba gram of\\b|\\bon the (?:piss|cans|"
          + "sauce|drink|booze|gear|pills)\\b|\\bbenders?\\b|\\ba slab\\b|\\b(?:couple|few|bunch|load) of (?:vodkas|"
          + "beers|pints|drinks|cans|shots|lines)|\\b(?:thinking about|craving|crave|want|need) a drink|\\bwithout a "
          + "drink\\b|\\bhands shake\\b|\\bhiding (?:bottles|booze|the drink|cans)|\\b(?:eleven|nine|ten|twelve|"
          + "fifteen|\\d+) pints|\\bshoot(?:ing)? up\\b|\\bshot up\\b|\\bto the drink\\b|\\bmate's (?:oxy|pills|"
          + "xanax|valium|meds)|\\bleft over from (?:his|her) surgery|\\b(?:i'm|i am) (?:an addict|an alcoholic|"
          + "addicted to (?:alcohol|drink|drugs|coke|cocaine|heroin|pills|gambling|weed))"),
      rule(RiskCategory.MEDICATION, true, "\\b(?:extra|double|doubling|twice as many|more than (?:prescribed|i'm "
          + "supposed|the gp|the doctor|it says)|more often than|instead of (?:two|one|taking)|at a time|sav(?:e|ed|"
          + "ing) up|stash|hidden|hiding|hoard\\w*|stockpil\\w*|skip(?:ping|ped)?|leave (?:it|them) out|only take|"
          + "when i feel like it|on purpose|in half|ran out|run out|haven't (?:got round|refilled|collected|been)|"
          + "refill|without telling|telling the (?:nurse|doctor|gp) i'm|with (?:a few glasses of )?(?:wine|vodka|beer|"
          + "alcohol|booze|drink)|washing (?:them |it |my \\w+ )?down|knock myself out|different doctors|meant to be "
          + "just|before the morning|on double|flat it made me)\\b",
          "\\b(?:meds|medications?|medicine|pills|tablets|prescriptions?|dose|doses|antidepressants?|antipsychotics?|"
          + "mood stabili[sz]ers?|sleeping (?:pills|tablets)|pain ?(?:killers|meds|pills|relief)|benzos|xanax|"
          + "tramadol|sertraline|quetiapine|seroquel|adderall|effexor|venlafaxine|olanzapine|diazepam|valium|codeine|"
          + "clonazepam|klonopin|ritalin|oxycodone|lithium|zoloft|prozac|lexapro|citalopram|fluoxetine|mirtazapine|"
          + "lamotrigine|aripiprazole|abilify|wellbutrin|zopiclone|pregabalin|gabapentin|insulin|inhaler)\\b"),
      rule(RiskCategory.BOUNDARY, false, "\\b(?:grab|get|go for|have|meet for|fancy|going for)\\b[^.]{0,15}\\b"
          + "(?:coffee|a drink|drinks|dinner|lunch|a bite|a meal|a pint)\\b|\\b(?:as|be|being|great|good|real|proper) "
          + "friends\\b|\\bfriend request|\\b(?:go into|do) business\\b|\\bconsultant\\b|\\bfollowed you|\\bfound "
          + "your\\b|\\blooking at (?:the )?(?:photos|pictures) of your|\\boutside your (?:building|house|office|home)"
          + "|\\bwhich car was yours|\\bcome (?:to|along to) my (?:wedding|party|birthday|house|place|book club|church)"
          + "|\\bas a (?:proper )?guest\\b|\\bfor nothing\\b|\\bas a thank you\\b|\\b(?:my|some|these) (?:concert )?"
          + "tickets\\b|\\bbe together\\b|\\btogether outside\\b|\\byou said (?:last week )?we could\\b|\\bcame "
          + "to my (?:wedding|party|birthday|house)|\\bmoney into your\\b|\\binvestors?\\b|\\bon your street\\b|\\bbe "
          + "neighbou?rs\\b|\\bbecame friends\\b|\\bfriends on (?:facebook|instagram)|\\bhad a thing with (?:my|our) "
          + "(?:old |previous |last )?(?:therapist|psychologist|counsell?or|psychiatrist)|\\bflowers to your\\b|\\b"
          + "(?:therapist|counsell?or|psychologist) used to (?:hire|pay|employ)",
          "\\b(?:you|your|yours|we|us)\\b"),
      rule(RiskCategory.BOUNDARY, false, "\\byou(?:'re| are) (?:more than|not just|like) (?:a|my) (?:therapist|"
          + "counsellor|counselor|friend|mum|mom|dad|family)|\\bspecial (?:relationship|connection|bond) "
          + "(?:with you|between us)|\\b(?:our|this) little secret|\\bdon't tell (?:anyone|your supervisor)"
          + "\\b[^.]{0,30}\\b(?:us|we|meet)"));

  private static final Pattern HIGH = Pattern.compile("\\b(?:plan|planned|planning|tonight|tomorrow|this week|"
      + "going to|gonna|decided|ready|saved up|stockpil\\w*|rope|gun|bridge|note|goodbye|pills saved|method|"
      + "date set|hospital|stitches|deep|every day|every night|daily|overdos\\w*|blackouts?|kids?|children|"
      + "baby|touched|raped|in love|sleep with|kiss)\\b");

  /** A phrase; with {@code requires}, the clause must also hold that (a target, a medicine, the listener). */
  private record Rule(RiskCategory category, boolean selfReported, Pattern pattern, Pattern requires) {
  }

  /**
   * One indicator: where it is, how severe, whether it is about the past, the trained model's score
   * for it (0 where only a rule spoke) and what raised it ({@code model}, {@code model and rule},
   * {@code rule, model-confirmed}, {@code rule}).
   */
  public record Finding(RiskCategory category, String severity, int segmentId, double start, String quote,
      boolean past, double score, String basis) {
  }

  private static Rule rule(RiskCategory category, boolean selfReported, String regex) {
    return new Rule(category, selfReported, Pattern.compile(regex), null);
  }

  private static Rule rule(RiskCategory category, boolean selfReported, String regex, String requires) {
    return new Rule(category, selfReported, Pattern.compile(regex), Pattern.compile(requires));
  }

  /**
   * Findings in a transcript, one per category and segment. With {@code clinician} set, that
   * speaker's turns are read for boundary issues only (a clinician's screening questions are not
   * disclosures).
   */
  public List<Finding> detect(Transcript transcript, String clinician) {
    List<Finding> findings = new ArrayList<>();
    for (Transcript.Segment segment : transcript.segments()) {
      boolean clinicianSpeaking = clinician != null && clinician.equals(segment.speaker());
      for (Hit hit : hits(segment.text())) {
        if (clinicianSpeaking && hit.category() != RiskCategory.BOUNDARY) {
          continue;
        }
        boolean duplicate = findings.stream().anyMatch(f -> f.segmentId() == segment.id()
            && f.category() == hit.category());
        if (!duplicate) {
          findings.add(new Finding(hit.category(), hit.severity(), segment.id(), segment.start(),
              quote(hit.sentence()), hit.past(), 0, "rule"));
        }
      }
    }
    return findings;
  }

  /** The categories a piece of text raises (the evaluation's unit). */
  public Set<RiskCategory> categories(String text) {
    Set<RiskCategory> categories = EnumSet.noneOf(RiskCategory.class);
    hits(text).forEach(h -> categories.add(h.category()));
    return categories;
  }

  /**
   * A phrase rule matched in a sentence: a disclosure ({@code veto} null), or a phrase the way it is
   * said rules out ({@code veto}: {@code screening}, {@code negated}, {@code hypothetical},
   * {@code someone else}), which the model's reading is checked against; {@code clause} is the
   * stretch of its clause between commas around the match, lowercased.
   */
  record Hit(RiskCategory category, String severity, String sentence, boolean past, String veto, String clause) {
  }

  /** The disclosures the rules find in a text, one per category and sentence. */
  List<Hit> hits(String text) {
    return overlapResolved(matches(text).stream().filter(h -> h.veto() == null).toList());
  }

  /** Every rule match in a text, vetoed ones included. */
  List<Hit> matches(String text) {
    List<Hit> hits = new ArrayList<>();
    for (Sentences.Piece sentence : Sentences.sentences(text)) {
      String lowerSentence = normalise(sentence.text());
      // A question put to the listener is a screen, not a disclosure, unless it crosses a boundary.
      boolean screening = Speech.addressedQuestion(lowerSentence) || Speech.echoQuestion(lowerSentence);
      for (Sentences.Piece clause : Sentences.clauses(new Sentences.Piece(lowerSentence, 0))) {
        String lower = clause.text();
        for (Rule rule : RULES) {
          Matcher m = rule.pattern().matcher(lower);
          while (m.find()) {
            if (rule.requires() != null && !rule.requires().matcher(lower).find()) {
              continue;
            }
            String veto = veto(rule, screening, lower.substring(0, m.start()), m.group(), lower.substring(m.end()));
            boolean past = Speech.past(lower);
            hits.add(new Hit(rule.category(), severity(rule.category(), lower, past), sentence.text(), past, veto,
                piece(lower, m.start(), m.end())));
            if (veto == null) {
              break;
            }
          }
        }
      }
    }
    return hits;
  }

  /** The stretch of a clause between the commas around {@code [start, end)}. */
  private static String piece(String clause, int start, int end) {
    int from = clause.lastIndexOf(',', start) + 1;
    int comma = clause.indexOf(',', end);
    return clause.substring(from, comma < 0 ? clause.length() : comma).strip();
  }

  private static String veto(Rule rule, boolean screening, String before, String phrase, String after) {
    if (screening && rule.category() != RiskCategory.BOUNDARY) {
      return "screening";
    }
    if (Speech.negated(before, after)) {
      return "negated";
    }
    if (Speech.hypothetical(before)) {
      return "hypothetical";
    }
    if ((rule.selfReported() && Speech.aboutSomeoneElse(before, phrase))
        || (rule.category() == RiskCategory.ABUSE_NEGLECT && Speech.clientActs(before))) {
      return "someone else";
    }
    return null;
  }

  /**
   * One reading per sentence where two categories describe the same thing: pills saved up to die
   * are suicidal ideation, not a medication concern; a prescription mixed with drink is a
   * medication concern, not substance use.
   */
  private static List<Hit> overlapResolved(List<Hit> hits) {
    List<Hit> kept = new ArrayList<>();
    for (Hit hit : hits) {
      boolean same = hits.stream().anyMatch(other -> other.sentence().equals(hit.sentence())
          && ((hit.category() == RiskCategory.MEDICATION && other.category() == RiskCategory.SUICIDAL_IDEATION)
              || (hit.category() == RiskCategory.SUBSTANCE_USE && other.category() == RiskCategory.MEDICATION)));
      if (!same && kept.stream().noneMatch(k -> k.category() == hit.category() && k.sentence()
          .equals(hit.sentence()))) {
        kept.add(hit);
      }
    }
    return kept;
  }

  private static String severity(RiskCategory category, String clause, boolean past) {
    if (past) {
      return category == RiskCategory.ABUSE_NEGLECT ? "moderate" : "low";
    }
    if (HIGH.matcher(clause).find()) {
      return "high";
    }
    return category == RiskCategory.BOUNDARY || category == RiskCategory.MEDICATION ? "low" : "moderate";
  }

  private static String normalise(String text) {
    return text.toLowerCase(Locale.ROOT).replace('’', '\'').replaceAll("\\s+", " ");
  }

  /** A sentence cut to 240 characters for a quote. */
  public static String quote(String sentence) {
    return sentence.length() <= 240 ? sentence : sentence.substring(0, 237) + "...";
  }
}
