"""English acts of the second round, by kind: sexual acts in everyday words, self-harm methods,
drink and smoke by children and animals, violence done to someone, hate as an adjective.

Each pattern names what keeps its look-alikes out: in bed with a cold or a teddy, a mating
season or a mating dance, a naked statue or a bare tree, a frog jumping into a pond, a train on
the tracks, a scarf or a medal around the neck, grandma's medicine box, a chef cooking soup or
cutting carrots into pieces, a donkey kicking the fence, "Mexican people love tacos".
"""

from __future__ import annotations

import re

from storybot.safety._categories import DRUGS, HATE, PROFANITY, SELF_HARM, SEXUAL, VIOLENCE, Hit

_POSSESSIVE = r"(?:my|his|her|their|your|its|the|a|an)"
# Animals a picture book may show; they neither drink nor smoke in it.
ANIMALS = (
    r"(?:puppies|puppy|dogs?|cats?|kittens?|bunn(?:y|ies)|rabbits?|bears?|foxe?s?|monkeys?|pigs?"
    r"|piglets?|frogs?|toads?|mice|mouse|rats?|raccoons?|owls?|parrots?|birds?|ducks?|penguins?"
    r"|lions?|tigers?|elephants?|giraffes?|cows?|horses?|ponies|pony|goats?|sheep|lambs?|wolf"
    r"|wolves|hamsters?|squirrels?|animals?|pigeons?|crows?|ravens?|sparrows?|hippos?|zebras?"
    r"|pandas?|koalas?|kangaroos?|crocodiles?|alligators?|turtles?|tortoises?|snakes?|lizards?"
    r"|dinosaurs?|whales?|sharks?|octopus(?:es)?|chicks?|geese|goose|swans?|camels?|donkeys?"
    r"|otters?|seals?|beavers?|badgers?|hedgehogs?|moles?|bats?|eagles?|gorillas?|chimps?"
    r"|chimpanzees?|leopards?|cheetahs?|hyenas?|skunks?|deer|moose|reindeer|llamas?|sloths?"
    r"|unicorns?)"
)
# Who smokes a pipe or a cigar in a picture book: nobody, but these say it is a person.
SMOKERS = (
    r"(?:man|men|woman|women|lady|guy|pirates?|sailors?|cowboys?|wizards?|witch(?:es)?|kings?"
    r"|queens?|farmers?|detectives?|doctors?|policem[ae]n|soldiers?|captains?|granny|grandad"
    r"|neighbou?rs?|caterpillars?|gnomes?|elf|elves|dwarfs?|santa|snowm[ae]n|fishermen"
    r"|fisherman|uncles?|aunts?|grandpas?|grandmas?|dads?|moms?|teachers?)"
)
KIDS = (
    r"(?:kids?|children|child|babies|baby|toddlers?|boys?|girls?|teens?|teenagers?|students?"
    r"|schoolkids?|son|daughter|grandson|granddaughter|brother|sister|nephew|niece|minors?)"
)
PEOPLE = (
    rf"(?:{KIDS}|people|persons?|humans?|men|man|women|woman|friends?|classmates?|mom|dad"
    r"|mother|father|grandma|grandpa|teachers?|neighbou?rs?|strangers?|guys?|ladies|lady"
    r"|princes?|princess(?:es)?|kings?|queens?|knights?|brothers?|sisters?|family)"
)
ALCOHOL = (
    r"(?:wine|beers?|vodka|whiske?y|rum|tequila|gin|booze|alcohol|liquor|champagne|soju"
    r"|makgeolli|cocktails?|brandy|ale|lager|moonshine|scotch|bourbon|mead)"
)
# Adult partners: "in bed with" one of them is sexual, in bed with a cold or a teddy is not.
PARTNERS = (
    r"(?:wife|husband|girlfriend|boyfriend|lover|mistress|secretary|neighbou?r|boss|stranger"
    r"|prostitute|maid|servant|butler|nanny|babysitter|teacher|coach|intern|colleague|coworker"
    r"|man|woman|men|women|lady|ladies|guy|guys|widow|milkman|gardener|chauffeur|bride|groom)s?"
)
NATIONS = (
    r"(?:mexicans?|americans?|chinese|japanese|koreans?|indians?|africans?|arabs?|jews?|jewish"
    r"|muslims?|gypsies|gypsy|roma|italians?|french|germans?|russians?|irish|poles|polish"
    r"|filipinos?|vietnamese|thai|turks?|turkish|persians?|iranians?|iraqis?|syrians?"
    r"|pakistanis?|nigerians?|brazilians?|puerto ricans?|cubans?|haitians?|immigrants?"
    r"|foreigners?|refugees?|migrants?|latinos?|latinas?|hispanics?|asians?|blacks|whites"
    r"|natives?|aborigines|aboriginals?|somalis?|ethiopians?|kenyans?|ukrainians?|albanians?"
    r"|romanians?|christians?|hindus?|sikhs?|gays?|lesbians?)"
)
# Adjectives that name a people only with a people word after them ("black people").
KINDS = (
    r"(?:black|white|asian|brown|mexican|indian|african|arab|native|muslim|jewish|gay|disabled"
    r"|trans|korean|japanese|chinese|foreign|fat|poor|old|homeless|deaf|blind)"
)
DEGRADING = (
    r"(?:bad|evil|stupid|dirty|ugly|animals|inferior|dumb|lazy|worse|disgusting|criminals"
    r"|gross|filthy|vermin|subhuman|smelly|stinky|thieves|liars|savages?|terrorists|rapists"
    r"|parasites|cockroaches|rats|trash|garbage|scum|monsters|violent|dangerous|sneaky|greedy"
    r"|barbaric|primitive|uncivili[sz]ed|backwards?|idiots|pigs|dogs|apes|monkeys|diseased"
    r"|worthless|useless|cheaters|beneath us|not human|not welcome)"
)

MORE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        (
            SELF_HARM,
            r"\b(?:lie|lies|lay|lays|laid|lying|laying|sleep\w*|slept) (?:down )?(?:on|across)"
            r" (?:the )?(?:train |railway |railroad |subway )?(?:tracks|rails|railway|railroad)\b"
            r"|\b(?:jump\w*|leap\w*|leapt|step\w*|walk\w*|throw\w* \w+self) (?:out )?in front of"
            r" (?:a|an|the) (?:\w+ )?(?:train|subway|tube|express)\b"
            r"|\b(?:falls?|fell|falling) on (?:his|her|their|my|your|its) (?:own )?(?:sword|blade"
            r"|knife|dagger|spear)\b"
            r"|\b(?:slit|slash|slic|carv|gash|open)\w* (?:open )?(?:my|his|her|their|your|its)"
            r" (?:own )?wrists?\b"
            r"|\bcut(?:s|ting)? (?:my|his|her|their|your) (?:own )?wrists\b(?! on\b)"
            r"|\bhang\w*(?: \w+){0,4} by (?:my|his|her|their|its|the) necks?\b"
            r"|\b(?:rope|noose|cable)s?(?: \w+){0,3} (?:around|round)"
            r" (?:my|his|her|their|your) (?:own )?necks?\b"
            r"|\b(?:railing|ledge|parapet|edge of the (?:roof|bridge|cliff|building))\b[^.!?]*"
            r"\b(?:ready"
            r"|about|going|wanting|wants|want|planning|plans|preparing|decid\w*|tries|trying)"
            r" to (?:jump|leap|let go|fall)\b(?! (?:in|into|onto|on|to|across|over|up|for|rope"
            r"|higher|around|back|down into))"
            r"|\b(?:swallow\w*|took|takes|take|taking|ate|eats?|eating|gulp\w*|down(?:s|ed|ing)?)"
            r" (?:all|every one|each one|every single one) (?:of )?(?:the |his |her |their |my"
            r" |\w+'s )?(?:\w+ )?(?:pills|tablets|sleeping pills|painkillers)\b"
            r"|\b(?:walk\w*|wad\w*|swim\w*|swam|ran|run\w*) into the (?:sea|river|lake|ocean"
            r"|waves)\b[^.!?]*\bto (?:die|drown|never come back|end it)\b"
            r"|\b(?:cliff|edge|bridge|roof|rooftop|tracks|railing|ledge|tower|skyscraper"
            r"|balcony)\b[^.!?]*\bto (?:die|end it|end (?:my|his|her|their) (?:own )?life)\b"
            r"|\bwant(?:s|ed|ing)? to die\b|\bwish(?:es|ed)? (?:he|she|they|i) (?:was|were) dead"
            r"|\b(?:no|nothing) (?:left )?to live for\b|\bgoodbye (?:note|letter) before\b"
            r"|\b(?:pills|tablets|medicine|poison)\b[^.!?]*\b(?:to|and|so (?:he|she|they|i)"
            r" (?:would|could|can|will)) (?:die|sleep forever|never wake up)\b"
            r"|\bdr(?:ink|inks|ank|inking) (?:the |some |a bottle of )?(?:bleach|rat poison"
            r"|antifreeze|weed ?killer)"
            r"|\bwish(?:es|ed)? (?:he|she|they|i) (?:had )?(?:was|were|had been) never born\b"
            r"|\b(?:gun|pistol|revolver) to (?:his|her|their|my|your) (?:own )?head\b",
        ),
        (
            SEXUAL,
            r"\b(?:ha(?:ve|s|d|ving)|start\w*|begin\w*|began|carr(?:y|ies|ied|ying) on)"
            r" an? (?:secret |steamy |torrid |illicit |love )?affairs?\b|\baffairs? with\b"
            r"|\bcheat\w* on (?:his|her|their) (?:wife|husband|girlfriend|boyfriend|partner)"
            r"|\badulter\w*|\bone night stands?\b|\bbooty calls?\b|\bfriends with benefits\b"
            rf"|\b(?:in|into|to) bed with (?:(?:a|the|his|her|my|their|your|some) )?(?:\w+'s )?"
            rf"(?:\w+ )?{PARTNERS}\b"
            rf"|\bsl(?:eep|eeps|ept|eeping) with (?:(?:a|the|his|her|my|their|your|some) )?"
            rf"(?:\w+'s )?(?:\w+ )?{PARTNERS}\b"
            r"|\btwerk\w*|\bpole ?danc\w* for\b|\bseduc\w*\b(?! by (?:the )?(?:smell|scent|aroma"
            r"|taste))|\blingerie\b|\bstrip(?:s|ped|ping)? (?:naked|nude|down) for\b"
            r"|\bexpos(?:e|es|ed|ing) (?:himself|herself|themselves|myself|yourself|(?:his|her"
            r"|their) (?:\w+ )?(?:privates|private parts|body|bodies|genitals|penis|bottom|butt"
            r"|bum|breasts|chest|boobs))\b|\bflashers?\b(?! lights?)|\bindecent exposure\b"
            r"|\bflash(?:es|ed|ing) (?:the |a |some )?(?:kids|children|girls|boys|women|people"
            r"|neighbou?rs|students|schoolgirls)\b(?! (?:a|an|his|her|the|their) )"
            r"|\bbare(?:s|d|ing)? (?:her |his |their |all )?(?:breasts|boobs|nipples|privates"
            r"|private parts|genitals|all)\b|\bbar(?:es|ed|ing) (?:her|his|their) (?:bottoms?"
            r"|butts?|bums?)\b|\bbare[ -](?:breasted|assed|naked|bottomed (?:men|women|man|woman))"
            r"|\b(?:do(?:es|ing)?|did) it (?:in (?:the |a |their |his |her )?(?:bed|backseat"
            r"|back seat|car|shower|bedroom|bathroom|hay)|all night|like rabbits)\b"
            r"|\bmak(?:e|es|ing) out (?:with|in (?:the|a) (?:car|bed|back))|\bmade out with\b"
            r"|\b(?:get|gets|getting|got) it on (?:with|in|all)\b"
            rf"|\bmat(?:e|es|ed|ing) with\b|\b{ANIMALS} (?:\w+ )?mating\b(?! (?:season|call"
            r"|calls|dance|dances|song|songs|ritual|rituals|display|displays|time|flight|plumage"
            r"|grounds?|pairs?|habits|behaviou?r|game))"
            r"|\bmating (?:up close|in (?:the|a) )|\bcopulat\w*|\bshag(?:s|ged|ging)?\b"
            r"(?! (?:carpet|rug|pile))|\b(?:teacher|coach|stranger|priest|man|neighbou?r)s?"
            r" (?:who |is )?kiss\w* (?:a |the |his |her )?(?:students?|pupils?|kids?|children|child"
            r"|girls?|boys?)\b"
            r"|\bfrench kiss\w*|\bpeeping toms?\b|\bup (?:her|their"
            r"|the girls'?|a girl'?s) skirts?\b"
            r"|\b(?:adults|grown ?ups|lovers|couple|man and (?:a )?woman) (?:\w+ )?sl(?:eep|eeps"
            r"|ept|eeping) together\b"
            r"|\bundress\w* in front of (?:the |a |some |his |her )?(?:kids|children|girls|boys"
            r"|students|child)\b"
            r"|\b(?:peek|peep|spy|spie|spying|watch)\w* (?:on )?(?:the |a |some )?(?:girls?|women"
            r"|ladies|lady|woman|boys?|kids|children|neighbou?rs?)(?: \w+){0,3} (?:in the shower"
            r"|showering|undress\w*|changing|in the bath\w*|naked|bathing)"
            r"|\b(?:touch\w*|grab\w*|squeez\w*|fondl\w*|pinch\w*) (?:the |a )?(?:\w+'s |her |his )?"
            r"(?:breasts|boobs|crotch|genitals)\b|\b(?:grab\w*|squeez\w*|pinch\w*|touch\w*)"
            r" her (?:bottom|butt|bum)\b"
            r"|\btouch\w* (?:the |a |some |little )?(?:kids|children|child|girls?|boys?)\b[^.!?]*"
            r"\b(?:(?:keep|keeps|kept) (?:it |this )?(?:a )?secret|(?:do not|don'?t|not to) tell)",
        ),
        (
            DRUGS,
            rf"\b{ALCOHOL}\b[^.!?]*\b(?:baby(?:'s)?|toddler(?:'s)?|infant(?:'s)?) (?:milk )?"
            r"(?:bottles?|sippy cups?|formula|food|cups?)\b"
            rf"|\b(?:baby(?:'s)?|toddler(?:'s)?|infant(?:'s)?) (?:milk )?(?:bottles?|sippy cups?"
            rf"|formula)\b[^.!?]*\b{ALCOHOL}\b"
            rf"|\b(?:{KIDS}|{ANIMALS})\b(?: \w+){{0,2}}? (?:who |that |which )?(?:drink\w*"
            r"|drank|sip\w*|chug\w*|guzzl\w*|swig\w*|gulp\w*|sneak\w*|snuck|steal\w*|stole|swip\w*"
            r"|tast\w*|tries|tried|trying|down\w*|finish\w*|open\w*|shar\w*|pour\w*)"
            rf"(?: [\w']+){{0,3}} {ALCOHOL}\b(?! (?:vinegar|cake|sauce|gums?|cellars?|barrels?"
            r"|corks?|colou?r|stains?|bottles? (?:rocket|garden|lamps?|boats?|planters?)))"
            rf"|\b(?:{ANIMALS}|{KIDS}) (?:who |that )?(?:\w+ )?(?:chain ?smok\w*|smok(?:es|ed|ing)"
            r"|vap(?:es|ed|ing)|puff(?:s|ed|ing)? on)\b(?! (?:out|rings?|signals?|fish|salmon"
            r"|meat|ham|bacon|sausages?|cheese|the bees|bees|hives?))"
            r"|\b(?:addict\w*|hooked) (?:to|on) (?:the |his |her )?(?:sleeping )?(?:pills|drugs"
            r"|painkillers|cocaine|meth|heroin|alcohol|booze|beer|wine|vodka|opioids|weed)\b"
            r"|\bchain ?smok\w*|\btipsy\b|\bmagic mushrooms?\b|\bshrooms\b"
            r"|\broll\w* (?:a |up a |the |some )?(?:joints?|blunts?|spliffs?)\b"
            r"|\b(?:giv\w*|gave|serv\w*|pour\w*|offer\w*|feed\w*|fed|sell\w*|sold)"
            rf" (?:the |his |her |their |a |some )?(?:little )?(?:{KIDS}|{ANIMALS})"
            rf" (?:some |a |the |a glass of |a bottle of |a can of |a sip of )?{ALCOHOL}\b"
            rf"|\b(?:{SMOKERS}) (?:who |that )?(?:(?!(?:quit|stop|never|hate|gave|give)\w*\b)\w+ )?"
            r"(?:smok(?:es|ed|ing)|puff(?:s|ed|ing)? on)"
            r" (?:a |his |her |the |some )?(?:\w+ )?(?:pipes?|cigars?|cigarettes?|cigs?)\b",
        ),
        (
            VIOLENCE,
            r"\b(?:stomp(?:s|ed|ing)?|trampl(?:e|es|ed|ing)|kick(?:s|ed|ing)?|curb ?stomp\w*)"
            r" (?:on |at )?(?:(?:a|the|his|her|their|my|your|some|an) )?(?:(?!(?:with|and|for|to"
            rf"|at|along|around|beside|near|behind|like|off)\b)\w+ )?(?:{PEOPLE}|{ANIMALS})\b"
            r"(?!'|’| (?:ball|game|over|out|to|team))"
            rf"|\b(?:chop\w*|cut\w*|hack\w*|slic\w*|saw(?:s|ed|ing)?|tear\w*|tore|rip\w*|dic(?:e|es"
            rf"|ed|ing)) (?:up )?(?:(?:a|the|his|her|their|my|your|an|some|\w+'s) )?(?:little |baby"
            rf" |poor |old |young |cute )?(?:{PEOPLE}|(?!(?:chickens?|fish|turkeys?|salmon|tuna"
            rf"|ducks?|lambs?|pigs?|crabs?|octopus)\b){ANIMALS}) (?:up )?(?:into|to) (?:\w+ )?"
            r"(?:pieces|bits|chunks|shreds|ribbons)\b"
            r"|\b(?:cook\w*|boil\w*|fr(?:y|ies|ied|ying)|bak(?:e|es|ed|ing)|roast\w*|grill\w*"
            r"|steam\w*|stew\w*|microwav\w*) (?:(?:the|a|some|his|her|their|two|three|all) )?"
            rf"(?:\w+ )?(?:{PEOPLE}|{ANIMALS}) alive\b"
            rf"|\b(?:boil\w*|fr(?:y|ies|ied|ying)) (?:the |a |some |his |her )?(?:little )?{KIDS}\b"
            r"|\b(?:beat|beats|beating|hit|hits|hitting|punch\w*|slap\w*|kick\w*) (?:his|her)"
            r" (?:wife|husband|girlfriend|boyfriend|kids|children|son|daughter|baby|mom|mother)\b"
            rf"|\b(?:throw\w*|threw|hurl\w*|fling\w*|flung|swing\w*|swung) (?:the |a |his |her )?"
            rf"(?:little |baby )?(?:cat|kitten|puppy|dog|bunny|rabbit|baby|hamster)s? (?:against"
            r"|at|into|off|out of) (?:the |a )?(?:wall|floor|window|road|rocks?|tree)\b"
            r"|\bset(?:s|ting)? (?:fire to (?:the |a |his |her )?(?:\w+ )?(?:house|school|village"
            r"|barn|building|people|cat|dog|man|woman|kids|children)\b|(?:the |a |his |her )?"
            r"(?:\w+ )?(?:house|school|village|barn|building|cat|dog|man|woman) on fire)"
            r"|\barson\w*|\b(?:throw\w*|threw) acid\b|\bguts (?:spill\w*|pour\w*|hang\w*|came"
            r"|come|fall\w*) out\b|\bbrains? (?:splatter\w*|spill\w*|blown out|bashed in)",
        ),
        (
            HATE,
            rf"\b(?:all )?(?:{NATIONS} (?:people |kids |children |folks |men |women |guys )?"
            rf"|{KINDS} (?:people|kids|children|folks|men|women|guys) )(?:are|is|r)"
            r" (?:all |so |very |really |just |always |too |such )*(?:a |an )?"
            rf"(?:bunch of )?{DEGRADING}\b"
            rf"|\b{NATIONS} (?:people )?(?:smell|stink|steal|lie|cheat)s?\b(?! (?:the |a |of |like"
            r" (?:flowers|roses|cookies)))"
            rf"|\b(?:go back to|get out of) (?:your|their|our) (?:own )?country\b"
            rf"|\b(?:get rid of|kick out|ban|deport) (?:all )?(?:the )?{NATIONS}\b",
        ),
        (
            PROFANITY,
            r"\b(?:ss?h?ib+al\w*|ssibbal|byung ?s(?:h)?in|byeong ?sin|gae ?sae ?kk?i|jon ?na|jiral"
            r"|shibal|shibbal|c ?8 ?nom|jackass\w*|arsehole\w*|douche ?bags?|ching chong)\b",
        ),
    )
)
# "Learns not to kick his friends": a lesson against the act, not the act.
AGAINST = re.compile(r"\b(?:not|never|stop|stops|stopped|no|don'?t|doesn'?t|won'?t|without)\b")


def find_more(text: str) -> Hit | None:
    """The first act of this module in prepared English `text` (see `_english.prepare`)."""
    for category, pattern in MORE:
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 24) : match.start()]
            if category == VIOLENCE and AGAINST.search(before):
                continue
            return Hit(category, match.group())
    return None
