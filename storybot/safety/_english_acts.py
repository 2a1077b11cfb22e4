"""English acts that need more than one word: self-harm by a fall, pills or a rope; smoking and
drinking till one drops; sexual acts in everyday words.

Every pattern keeps its innocent neighbours out: a frog jumping off a lily pad or into a pond, a
teacher passing out cookies, a city blackout, smoked salmon and smoke signals, a child asking
grandpa to quit smoking, making love-heart cookies, sleeping with a teddy bear, body-safety
books ("no one may touch your private parts").
"""

from __future__ import annotations

import re

from storybot.safety._categories import DRUGS, SELF_HARM, SEXUAL, VIOLENCE, Hit
from storybot.safety._english_harm import find_harm
from storybot.safety._english_more import find_more

_SELVES = r"(?:myself|himself|herself|themselves|yourself|ourselves|itself)"
_POSSESSIVE = r"(?:my|his|her|their|your|its)"
_HEIGHT = r"(?:bridges?|roofs?|rooftops?|buildings?|skyscrapers?|balcon(?:y|ies)|cliffs?|towers?)"
_JUMP = r"(?:jump|jumps|jumped|jumping|leap|leaps|leapt|leaped|leaping|dive|dives|dived)"
_THROW = r"(?:throw(?:s|ing|n)?|threw|hurl\w*|fling\w*|flung)"
_DIE = (
    rf"to (?:die|{_POSSESSIVE} deaths?)|and (?:die|dies|died)|to end (?:it|{_POSSESSIVE} "
    r"(?:own )?(?:life|lives|pain))|never (?:to )?wake up"
)
# Who may smoke in a picture book: nobody, but these words make "smoking" a smoker's.
_SMOKERS = (
    r"(?:kids?|children|child|babies|baby|toddlers?|boys?|girls?|teens?|teenagers?|students?"
    r"|mom|dad|mother|father|grandpa|grandma|grandfather|grandmother|uncle|aunt|teacher"
    r"|puppies|puppy|dogs?|cats?|kittens?|bunn(?:y|ies)|rabbits?|bears?|foxe?s?|monkeys?|pigs?"
    r"|frogs?|mice|mouse|rats?|raccoons?|owls?|parrots?|birds?|ducks?|penguins?|lions?|tigers?"
    r"|elephants?|giraffes?|cows?|horses?|goats?|sheep|wolf|wolves|hamsters?|squirrels?|animals?)"
)
_MINORS = (
    r"(?:kids?|children|child|babies|baby|toddlers?|boys?|girls?|teens?|teenagers?|students?"
    r"|schoolkids?)"
)
_ALCOHOL = (
    r"(?:wine|beer|beers|vodka|whiske?y|rum|tequila|gin|booze|alcohol|liquor|champagne|sake"
    r"|soju|shots of \w+|cocktails|brandy)"
)
_COLLAPSE = (
    r"(?:pass(?:es|ed|ing)? out|black(?:s|ed|ing)? out|faint\w*|collaps\w*|throw(?:s|ing)? up"
    r"|threw up|puk(?:e|es|ed|ing)|vomit\w*|(?:falls?|fell|falling) (?:over|down)|wasted"
    r"|can'?t (?:stand|walk))"
)

ACTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        (
            SELF_HARM,
            rf"\b(?:{_JUMP}|{_THROW})\b(?: [\w']+){{0,6}}? (?:{_DIE})\b"
            rf"|\b{_THROW} {_SELVES} (?:off|from|in front of|into|under|out of)\b"
            rf"|\b(?:want|wants|wanted|wanting|ready|going|trying|tries|tried|plans?|planning|"
            rf"about) to {_JUMP} (?:off|from) (?:\w+ )?{_HEIGHT}\b"
            rf"|\b{_JUMP} (?:off|from) (?:a|the) (?:bridge|skyscraper|building|balcony|rooftop)"
            r"\b(?! into)"
            rf"|\b(?:drown|starv|stab|shoot|poison|harm|hang|kill|smother|strangl)\w* {_SELVES}\b"
            rf"|\b(?:burn|cut|hurt|injur|scratch|hit|bit)\w* {_SELVES} (?:\w+ )?(?:on purpose"
            r"|deliberately|with a (?:lighter|razor|blade|knife|cigarette))"
            r"|\bself ?injur\w*|\bnooses?\b|\bend(?:s|ed|ing)? it all\b"
            rf"|\bend(?:s|ed|ing)? {_POSSESSIVE} (?:own )?life\b"
            r"|\b(?:stop living|no reason to live|(?:not|n't) (?:want|wanting) to live)\b"
            rf"|\b(?:cut|cuts|cutting|slash\w*|slic\w*) {_POSSESSIVE} (?:own )?(?:arms?|wrists?"
            r"|legs?|skin|thighs?) (?:with a (?:razor|blade|knife)|on purpose)"
            r"|\brazor blades? (?:on|into|across) (?:my|his|her|their) (?:arms?|wrists?|skin)"
            r"|\b(?:took|takes|take|taking|swallow\w*|ate|eats?|eating) (?:a |the )?(?:whole |"
            r"entire |full )?(?:bottle|box|handful|pack|packet|jar)s? of (?:\w+ )?(?:pills|"
            r"tablets|medicine|painkillers)"
            r"|\b(?:took|takes|take|taking|swallow\w*) too many (?:\w+ )?(?:pills|tablets)\b",
        ),
        (
            DRUGS,
            rf"\b{_ALCOHOL}\b[^.!?]*\b{_COLLAPSE}|\b{_COLLAPSE}\b[^.!?]*\b{_ALCOHOL}\b"
            rf"|\b(?:drink\w*|drank|chug\w*|guzzl\w*) (?:\w+ ){{0,3}}(?:until|till|til) (?:\w+ )?"
            rf"{_COLLAPSE}"
            r"|\b(?:get|gets|getting|got) (?:hammered|plastered|sloshed|smashed|trashed|tipsy"
            r"|tanked|blitzed|loaded)\b"
            r"|\b(?:sniff|huff)\w* (?:glue|paint|gas|petrol|gasoline|markers?|solvents?)\b"
            r"|\bsnort\w* (?:\w+ ){0,2}(?:powder|coke|lines?|cocaine|crack|meth|pills?)\b"
            r"|\bpopp\w* pills|\bpill ?popp\w*|\bpot brownies?|\bspace cakes?"
            rf"|\b{_MINORS}\b(?: \w+){{0,2}}? (?:drink\w*|drank|sip\w*|chug\w*|doing|taking"
            rf"|having|had|serv\w*|get|gets|got|given|buy\w*|bought)(?: \w+){{0,2}} {_ALCOHOL}\b"
            rf"|\b(?:giv\w*|gave|serv\w*|pour\w*|offer\w*|hand\w*|sell\w*|sold) (?:the |his |her "
            rf"|their |a )?{_MINORS} (?:some |a |the )?{_ALCOHOL}\b"
            rf"|\b{_ALCOHOL} (?:to|for) (?:the |his |her |their )?{_MINORS}\b",
        ),
        (
            SEXUAL,
            r"\b(?:make|makes|made|making) love\b(?! (?:hearts?|letters?|notes?|cards?|songs?))"
            r"|\bintercourse\b|\bthreesomes?\b|\borg(?:y|ies)\b|\bfondl(?:e|es|ed|ing)\b"
            r"|\berections?\b|\bboners?\b|\bcam ?(?:girls?|boys?)\b|\bsugar ?dadd(?:y|ies)\b"
            r"|\b(?:get|gets|getting|got) laid\b|\bhumping\b|\bescort (?:girls?|service)"
            r"|\bsl(?:eep|eeps|ept|eeping) with (?:(?:the|his|her|my|a|their|your) )?(?:\w+'s )?"
            r"(?:wife|husband|girlfriend|boyfriend|lover|mistress|secretary|neighbou?r|boss"
            r"|stranger|prostitute)s?\b"
            r"|\bundress(?:es|ed|ing)? (?:each other|one another)\b"
            r"|\bhook(?:s|ed|ing)? up (?:with (?:a |some )?(?:stranger|girl|guy|man|woman|lady)"
            r"|at (?:a |the )?(?:motel|hotel|bar|club|party))"
            r"|\bstripp(?:ing|ed|er|ers) (?:for|at|in) (?:money|cash|tips|men|(?:a|the) (?:club"
            r"|bar))|\blap ?danc\w*|\btopless\b|\bs[*#]xy?\b"
            r"|\b(?:ask\w*|tell\w*|told|mak\w*|made|forc\w*|want\w*|get\w*|got)"
            r" (?:the |a |his |her )?(?:kids?|children|child|girls?|boys?|students?)"
            r" to (?:undress|strip|get naked"
            r"|take (?:off )?(?:their|her|his) (?:clothes|pants|underwear)(?: off)?)\b",
        ),
        (
            VIOLENCE,
            r"\b(?:beat|beats|beating|punch\w*|kick\w*|hit|hits|hitting|whip\w*|slap\w*)"
            r"(?: \w+){1,3} (?:until|till|til) (?:\w+ )?(?:bleeds?|bled|bleeding|dies|died|is dead"
            r"|passes out|passed out)\b"
            rf"|\b(?:chop\w*|cut\w*|rip\w*|tear\w*|tore|slic\w*|hack\w*) off {_POSSESSIVE}"
            r" (?:\w+ )?(?:heads?|arms?|legs?|fingers?|hands?|ears?)\b"
            r"|\bblood everywhere\b|\bblood all over\b|\bguts out\b|\bspill\w* (?:\w+ )?guts\b"
            r"|\brip\w* (?:\w+ ){0,3}guts\b|\bentrails\b|\bdisembowel\w*"
            r"|\bkidnap\w*(?: \w+){0,2} (?:and|then) (?:beat\w*|hurt\w*|hit|hits|tie\w* up"
            r"|tortur\w*)"
            r"|\b(?:stomp\w*|kick\w*|beat\w*|punch\w*|hack\w*|club\w*|crush\w*|whip\w*|bludgeon\w*"
            r"|stab\w*|chok\w*|starv\w*|burn\w*|freez\w*|tortur\w*|drown\w*|strangl\w*|batter\w*)"
            r"(?: \w+){0,3} to death\b"
            r"|\b(?:skin\w*|boil\w*|bur(?:y|ies|ied|ying)|roast\w*|flay\w*)(?: \w+){1,2} alive\b"
            r"|\b(?:tear|tears|tearing|tore|torn|rip|rips|ripped|ripping) (?:the |a |his |her )?"
            r"(?:people|person|man|woman|girl|boy|child|kid|baby|children|kids) apart\b",
        ),
    )
)

# What is smoked in a kitchen or a hive, not in a mouth ("grandma smokes fish").
_SMOKED_FOOD = (
    r"(?:fish|salmon|meat|ham|bacon|sausages?|cheese|turkey|ribs|brisket|chicken|bees|hives?)"
)
# Smoking: a smoker word near a smoking verb, or anything smoked; not smoke signals or salmon,
# and not a text that speaks against smoking.
SMOKED = re.compile(
    r"\b(?:cigarettes?|cigars?|cigs|e ?cigarettes?|vap(?:e|es|ed|ing|er|ers)|tobacco|hookahs?"
    r"|bongs?|blunts?|spliffs?)\b"
    rf"|\b{_SMOKERS} (?:(?:who|that|which|and|is|was|are|were|also|always|often|still) )?"
    rf"(?:smok(?:es|ed|ing)|puff(?:s|ed|ing)? on)\b(?! (?:the |some |a )?{_SMOKED_FOOD})"
    r"|\b(?:likes?|loves?|starts?|started|learns?|learned|wants?|wanted|tries|tried) to smoke\b"
    rf"|\bsmoking (?:a |an |the )?(?:little |baby |big |old )?{_SMOKERS}\b"
    r"|\bsmok\w* (?:a |the |some |his |her )?(?:\w+ )?(?:joints?|weed|pot|pipes?)\b"
)
AGAINST_SMOKING = re.compile(
    r"\b(?:quit|quits|quitting|stop|stops|stopped|stopping|give up|gives up|no|never|don'?t"
    r"|bad|dangers?|harmful|against)\b(?: \w+){0,3} (?:smok\w*|cigarettes?|vap\w*)"
)
# Body-safety books speak of private parts to keep children safe.
PRIVATE = re.compile(r"\btouch\w*(?: [\w']+){0,2} (?:private parts|privates|crotch)")
SAFETY = re.compile(r"\b(?:no one|nobody|never|not|don'?t|safe|safety|say no|tell)\b")


def find_act(text: str) -> Hit | None:
    """The first refused act in prepared English `text` (see `_english.prepare`)."""
    for category, pattern in ACTS:
        match = pattern.search(text)
        if match:
            return Hit(category, match.group())
    smoked = SMOKED.search(text)
    if smoked and not AGAINST_SMOKING.search(text):
        return Hit(DRUGS, smoked.group())
    touched = PRIVATE.search(text)
    if touched and not SAFETY.search(text):
        return Hit(SEXUAL, touched.group())
    return find_more(text) or find_harm(text)
