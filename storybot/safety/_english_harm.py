"""English acts of the third round, read by what makes them harm rather than by their words.

- Violence by its outcome or its means: a blow that ends in blood, a faint or death; a person
  or an animal beaten with a bat, a pipe or a chain (not a ball hit with a bat); a living thing
  set on fire or drowned; a head held under water; a beheading, a body in blood; a child locked
  up or starved.
- Weapons by their names (a 9mm, a Glock, a switchblade) and a blade used to threaten.
- Self-harm by its method said indirectly: over a bridge's rail to let go, cuts hidden on one's
  own thighs, an engine in a shut garage, a whole bottle of anyone's pills, "to end the pain".
- Drugs: a drink spiked, a child or an animal drinking anyone's beer, "totally smashed" on
  berries or booze, street names.
- Sexual: a "steamy" night, an adult who touches children and makes it a secret, showing one's
  private parts to children, sneaking into a grown-up's bed.
- Hate: a people said to control the world, a child of a colour called an animal.

Each pattern names what keeps its look-alikes out: a baseball hit with a bat, a birthday
surprise kept secret, a puppy sneaking into the kids' bed, a body-safety book that says private
parts belong to you, a smashed vase, a fire fighter.
"""

from __future__ import annotations

import re

from storybot.safety._categories import DRUGS, HATE, SELF_HARM, SEXUAL, VIOLENCE, WEAPONS, Hit
from storybot.safety._english_more import (
    ALCOHOL,
    ANIMALS,
    DEGRADING,
    KIDS,
    KINDS,
    NATIONS,
    PEOPLE,
)

_OWNER = r"(?:(?:a|an|the|his|her|their|my|your|its|some|this|that|\w+'s) )?"
_LIVING = rf"(?:{PEOPLE}|{ANIMALS}|him|her|them|everyone|somebody|someone)"
_BLOWS = (
    r"(?:beat\w*|hit|hits|hitting|punch\w*|kick\w*|slap\w*|smash\w*|bash\w*|whack\w*"
    r"|batter\w*|club(?:s|bed|bing)|pummel\w*|stab\w*|strangl\w*|chok(?:e|es|ed|ing)|whip\w*"
    r"|hurt\w*|attack\w*|stomp\w*|bully|bullies|bullied|shov\w*|push\w*|throw\w*|threw)"
)
_INSTRUMENTS = (
    r"(?:(?:baseball |cricket )?bats?|clubs?|pipes?|crowbars?|hammers?|bricks?|chains?|sticks?"
    r"|belts?|rocks?|stones?|planks?|wrenches?|shovels?|golf clubs?|tire irons?)"
)
# Who is beaten in a request beside the people and animals of `_english_more`.
_VICTIMS = (
    rf"(?:{_LIVING}|prisoners?|victims?|slaves?|servants?|workers?|beggars?|captives?|hostages?"
    r"|peasants?|villagers?|players?|refugees?|elders?|grannies|homeless (?:m[ae]n|people)"
    r"|drunks?|enemies|enemy|opponents?|rivals?|nerds?|losers?)"
)
_OUTCOMES = (
    r"(?:bleed\w*|bled|blood\w*|blud|pass(?:es|ed)? out|passing out|faint\w*|dies|died|dead"
    r"|turns? (?:purple|blue)|can'?t breathe|stops? moving"
    r"|stops? breathing|stopped breathing|unconscious|black (?:and|n) blue|knocked out"
    r"|(?:breaks?|broke|broken|crack\w*|snap\w*) (?:\w+ ){0,2}(?:bones?|arms?|legs?|nose|ribs"
    r"|neck|skull|teeth|jaw))"
)
# Names of weapons; a pistol shrimp and a bullet train are blanked first (`_english.HARMLESS`).
_WEAPON_NAMES = (
    r"\b(?:9 ?mm|\.?(?:22|38|45) ?(?:cal\w*|pistols?|revolvers?)|glocks?|ak ?47s?|ar ?15s?"
    r"|uzis?|m ?16s?|switchblades?|butterfly knives|butterfly knife|brass knuckles"
    r"|knuckle ?dusters?|shivs?|molotov\w*|pipe ?bombs?|grenades?|sawn off|sawed off"
    r"|loaded (?:guns?|pistols?|weapons?|rifles?)|zip ?guns?|tasers?|tazers?|stun guns?|ammo"
    r"|knux|3d printed guns?"
    r"|ammunition|bullets?|gunfire|gunshots?|gunn|open(?:s|ed|ing) fire(?! hydrants?))\b"
    r"|\bchong\b[^.!?]*\bsso\w*|\bsso(?:neun|da|go|a|wa)\b"
)
_BLADES = r"(?:knife|knives|blades?|switchblades?|razors?|box ?cutters?|machetes?|daggers?)"
_PILLS = r"(?:pills|tablets|capsules|meds|medicine|painkillers|sleeping pills|aspirin|tylenol)"
_DRUNK = (
    r"(?:smashed|wasted|hammered|plastered|trashed|sloshed|blitzed|tanked|blotto|sozzled"
    r"|shit ?faced|blackout drunk|drunk|tipsy)"
)
_AGES = (
    r"(?:[1-9]|1[0-7]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen)[ -]?(?:year|yr)s?[ -]?olds?"
)
_DRINKERS = rf"(?:{KIDS}|{ANIMALS}|he|she|they|it)"

HARM: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        (
            SELF_HARM,
            r"\bkill ?(?:my|him|her|your|them|our)sel(?:f|ves)\b|\bkms\b"
            r"|\bcut(?:s|ting)? (?:my|him|her|them|your)sel(?:f|ves)(?= ?(?:[.,!?]|$|on purpose"
            r"|again|in secret|with (?:a |the )?(?:razor|blade)|because|to feel"
            r"|when (?:sad|angry)))"
            r"|\bself ?harm\w*|\b(?:razor|blade) (?:cuts|marks|scars|wounds)\b"
            r"|\b(?:cuts|slashes) (?:on|into|across|up) (?:her|his|their|my|your)"
            r" (?:own )?thighs?\b"
            r"|\b(?:climb\w*|step\w*|lean\w*|go(?:es)?|went|gets?) (?:over|onto|past)"
            r" (?:the |a )?(?:\w+ )?(?:rail|railing|ledge|parapet|barrier)s?\b[^.!?]*"
            r"\b(?:let go|end it|never come back|say goodbye|die)\b"
            r"|\b(?:run\w*|ran|leav\w*|left|start\w*|turn\w* on|kept|keeps) (?:the |his |her |a )?"
            r"(?:car |car's )?(?:engine|motor)\b[^.!?]*\b(?:closed|shut|sealed|locked) garage\b"
            r"|\bto end (?:his|her|their|my|your) (?:own )?(?:pain|suffering|misery)\b"
            r"|\bend (?:it all|my life|his life|her life|their lives)\b|\bjust end it\b"
            r"|\b(?:blackout|choking|pass ?out) (?:challenge|game)s?\b"
            r"|\b(?:chok|strangl|suffocat)\w* (?:my|him|her|them|your)sel(?:f|ves)\b"
            r"|\bengine(?: still)? running\b[^.!?]*\bgarage(?: door)? (?:shut|closed|locked)\b"
            r"|\b(?:garage|engine)\b[^.!?]*\b(?:falls? asleep|sleep\w*) forever\b"
            r"|\b(?:swallow\w*|took|takes|take|taking|ate|eats?|eating|gulp\w*|down(?:s|ed|ing)?"
            r"|pop(?:s|ped|ping)?) (?:(?:a|an|the) )?(?:(?:whole|entire|full) (?:bottle|box|jar"
            r"|pack|packet|tube|strip|container|pot)|handful|fistful)s? of"
            rf" (?:[\w']+ ){{0,2}}{_PILLS}\b"
            r"|\b(?:overdos\w*|od'?d)\b|\bsuicid\w*|\bhang (?:my|him|her|them)sel(?:f|ves)"
            r"|\bnot (?:want|wanting|wants) to (?:be alive|live|wake up)\b|\bunalive\w*|\bjasal\b"
            r"|\b(?:open|cut|slic|carv|slash)\w* (?:open )?(?:her|his|their|my"
            r"|your) (?:own )?skin\b"
            r"|\b(?:happier|better off) (?:if|without) (?:he|she|i|they|me|him|her|them"
            r"|(?:the |a |my )?(?:\w+ )?\w+)\b[^.!?]*"
            r"\b(?:jump\w*|gone|dead|never came back|disappear\w*|was ?n'?t (?:here|around)"
            r"|were ?n'?t (?:here|around)|never existed)"
            r"|\bk\W?[i1!*]\W?ll (?:my|him|her|your|them)sel(?:f|ves)\b"
            r"|\b(?:rope|noose|cord|belt|scarf)\b[^.!?]*\b(?:branch|beam|ceiling|doorknob|door knob"
            r"|rafters?|hook)\b[^.!?]*\b(?:heaven|never come back|see (?:grandma|grandpa|mom|mommy"
            r"|dad|daddy) again|to die|end it|be with (?:grandma|grandpa|mom|mommy|dad|daddy))"
            r"|\bcut\w* (?:his|her|their|my) (?:own )?(?:wirsts?|wrsits?|rists?)\b"
            r"|\bjump\w* off (?:the |a )?(?:roof|rooftop|bridge|cliff|building|balcony|tower)\b"
            r"[^.!?]*\b(?:together|never apart|never come back|to die|forever|heaven)\b"
            r"|\b(?:throw\w* up|threw up|vomit\w*|purg\w*|starv\w* (?:her|him|them)sel(?:f|ves)"
            r"|skip\w* (?:all )?(?:her |his )?meals)"
            r"\b[^.!?]*\b(?:skinny|thin|thinner|lose weight|losing weight|not (?:be|get) fat)\b"
            r"|\b(?:swallow\w*|drink\w*|drank|gulp\w*) (?:some |the |a bottle of |a cup of )?"
            r"(?:bleach"
            r"|rat poison|antifreeze|drain cleaner|poison)\b",
        ),
        (
            VIOLENCE,
            rf"\b{_BLOWS} (?:up )?{_OWNER}(?:\w+ )?{_LIVING}\b(?!')[^.!?]*\b(?:until|till|so hard"
            rf"|and|that|with|then) (?:\w+ ){{0,3}}{_OUTCOMES}"
            rf"|\b{_BLOWS} (?:up )?{_OWNER}(?:\w+ ){{0,2}}{_VICTIMS}(?: \w+){{0,3}} with"
            rf" (?:a |an |the |their |his |her |some )?(?:\w+ )?{_INSTRUMENTS}\b"
            rf"|\bset(?:s|ting)? {_OWNER}(?:\w+ )?(?:{_LIVING}|tails?|fur|hair|feathers?)"
            r"(?:'s \w+)? (?:on fire|alight|ablaze|aflame)\b"
            rf"|\bset(?:s|ting)? fire to {_OWNER}(?:\w+ )?(?:{_LIVING}|tails?|fur)\b(?!')"
            rf"|\b(?:burn\w*|drown\w*) {_OWNER}(?:little |baby |poor )?(?:{_LIVING})\b(?!'| in"
            r" (?:love|kisses|hugs)| with (?:love|kisses|hugs))"
            r"|\bhold\w* (?:(?:a|the|his|her|their|\w+'s) )?(?:\w+'s )?heads? (?:down )?(?:in|under"
            r"|into) (?:the |a )?(?:toilet|water|bucket|tub|river|pool|sink|mud)"
            r"|\bhold\w* (?:(?:a|the|his|her|their|\w+'s) )?(?:\w+'s )?heads? underwater\b"
            r"|\bcut\w* off (?:(?:a|the|his|her|its|their|\w+'s) )?(?:\w+'s )?heads?\b"
            r"|\b(?:pool|puddle|bath|river|sea|buckets?|lake) of blood\b"
            r"|\bbath\w* in (?:\w+ )?blood"
            r"|\b(?:soaked|covered|drenched|dripping) (?:in|with) blood\b|\bblood ?(?:soaked|bath)"
            r"|\bblood (?:everywhere|spurt\w*|gush\w*|splatter\w*|pour\w*|spray\w*)|\bgory\b"
            r"|\bslit\w* (?:(?:a|the|his|her|its|their|\w+'s) )?(?:\w+'s )?throats?\b"
            r"|\b(?:rip\w*|tear\w*|tore|pull\w*|bit(?:e|es|ing)?|chew\w*|hack\w*|saw\w*)"
            r" (?:(?:the|his|her|their|its|\w+'s) )?(?:\w+'s )?(?:arms?|legs?|heads?|limbs?|ears?"
            r"|eyes?|fingers?|tails?|wings?) off\b(?![^.!?]*\b(?:teddy|doll|toy|robot|lego|puppet))"
            r"|\bstomp\w* on (?:[\w']+ ){0,2}(?:heads?|faces?|skulls?)\b|\bwhile (?:it|he|she|they)"
            r"(?:'s| is| are| was| were) still alive\b|\bfight\w* to the death\b"
            r"|\bskulls? (?:crack|split|smash|cave)\w*|\b(?:crack|split|smash|cave)\w*"
            r" (?:(?:his|her|their|\w+'s) )?skulls?\b"
            r"|\bguts (?:pop|burst|explod|squirt|spill|come|came)\w*"
            rf"|\bhold\w* {_OWNER}(?:\w+ )?{_VICTIMS} (?:under ?water|under the water"
            r"|down in the water)"
            r"|\bm[ou]rd[ae]r\w*|\bhid\w* (?:the |his |her |a )?(?:dead )?bod(?:y|ies)\b"
            r"|\beyes? (?:\w+ )?gouged\b|\bbeets? up\b"
            rf"|\bthrow\w* (?:rocks|stones|bricks|bottles) at {_OWNER}(?:\w+ )?{_VICTIMS}[^.!?]*"
            rf"\b(?:until|till|and) (?:\w+ ){{0,3}}{_OUTCOMES}"
            r"|\bju?gi(?:neun|da|go|ge|l|n|eo)\b|\bjug(?:yeo|yeot)\w*|\bttaer(?:i|yeo)\w*"
            r"|\bshak(?:e|es|ing|en) (?:the |a |her |his |their )?bab(?:y|ies)\b"
            r"(?! (?:rattles?|toys?|bottles?|dolls?|monitors?|food|shakers?))[^.!?]*"
            r"\b(?:hard|violently|until|quiet|stops? crying)\b"
            rf"|\block\w* {_OWNER}(?:\w+ )?(?:{KIDS}|{ANIMALS}) (?:up )?in (?:the |a |his |her )?"
            r"(?:closet|basement|cage|box|cupboard|attic|shed|trunk|cellar|dark)[^.!?]*"
            r"\b(?:days|weeks|without food|no food|without water|starv\w*)\b"
            rf"|\bstarv(?:e|es|ed|ing) {_OWNER}(?:\w+ )?(?:{KIDS}|{ANIMALS})\b"
            r"|\b(?:for days|for a week|for weeks) without (?:any )?(?:food|water|eating)\b"
            r"|\bbeat(?:s|ing)? (?:him|her|them|\w+) (?:to death|senseless|bloody|half to death)"
            rf"|\bbeat(?:s|ing)? up {_OWNER}(?:\w+ )?{_LIVING}\b|\bju[gk]yeo\w*\b"
            r"|\b(?:beat(?:en|s|ing)?|stab\w*|maul\w*|kick\w*|stomp\w*|burn\w*|torture\w*|whip\w*"
            r"|bit(?:e|es|ten|ing)?|crush\w*|strangl\w*|chok\w*|drown\w*|club\w*|hack\w*|shot"
            r"|shoot\w*|batter\w*|punch\w*) (?:\w+ ){0,3}to death\b"
            r"|\bgoug\w* (?:out )?(?:\w+ )?eyes?\b|\bskin\w* (?:\w+ ){0,2}alive\b|\bwaterboard\w*"
            r"|\b(?:bull(?:y|ies)|gangs?|thugs?|gangsters?|robbers?|mobs?)\b[^.!?]*"
            r"\b(?:break\w*|broke"
            r"|snap\w*) (?:a |the )?(?:his|her|their|\w+'s) (?:\w+ )?(?:legs?|arms?|bones|neck"
            r"|nose|ribs|jaw"
            r"|fingers|teeth)\b",
        ),
        (
            WEAPONS,
            _WEAPON_NAMES
            + rf"|\b(?:threaten\w*|wav\w*|point\w*|pull\w*|flash\w*|brandish\w*|swing\w*)"
            rf" (?:\w+ ){{0,3}}{_BLADES}\b[^.!?]*\b(?:at (?:the |a |his |her |some )?(?:\w+ )?"
            rf"{PEOPLE}|threat\w*|scar(?:e|es|ed|ing) (?:the |a |some )?(?:\w+ )?{PEOPLE})\b"
            rf"|\bthreaten\w* (?:\w+ ){{0,3}}with (?:a |an |his |her |the )?(?:\w+ )?{_BLADES}"
            rf"|\b{_BLADES}\b[^.!?]*\bhack\w* at (?:the |some |a )?(?:\w+ )?{PEOPLE}\b"
            rf"|\bhack\w* at (?:the |some |a )?(?:\w+ )?{PEOPLE}\b[^.!?]*\b{_BLADES}\b",
        ),
        (
            DRUGS,
            r"\b(?:slip\w*|put\w*|spik\w*|drop\w*|mix\w*|pour\w*|sneak\w*|snuck)\b[^.!?]{0,40}"
            r"\b(?:pills?|drugs?|powder|something|sleeping pills?)\b[^.!?]{0,20}\b(?:into|in)"
            r" (?:(?:her|his|their|a|an|the|someone'?s) )?(?:[\w']+ )?"
            r"(?:drinks?|juice|soda|glass|cup)"
            r"|\bspik(?:e|es|ed|ing) (?:her|his|their|a|the|someone'?s) (?:\w+ )?drinks?\b"
            r"|\broof(?:ie|ies|ied|y)\b|\bdate rape\b"
            rf"|\b(?:{KIDS}|{ANIMALS})\b[^.!?]*\b{ALCOHOL}\b[^.!?]*\b(?:drinks?|drank|drinking"
            r"|chugs?|chugged|gulps?|gulped|finishes|finished|downs|downed) (?:it|them|the lot"
            r"|every drop|the whole|all of it)"
            rf"|\b(?:{KIDS}|{ANIMALS})\b[^.!?]*\b(?:until|till) {_DRINKERS} (?:is|was|are|were"
            rf"|gets?|got) (?:totally |completely |really |so |super )?{_DRUNK}\b"
            rf"|\b(?:{KIDS}|{ANIMALS}) (?:who |that )?(?:is|was|are|were|gets?|got|getting)"
            rf" (?:totally |completely |really |so |super )?{_DRUNK}\b(?! (?:vase|plates?|with))"
            r"|\b(?:fermented|rotten|rotting|boozy) (?:\w+ )?(?:berries|fruit|apples|plums|grapes)"
            rf"\b[^.!?]*\b{_DRUNK}\b"
            r"|\b(?:molly|ecstasy|mdma|lsd|ketamine|fentanyl|xanax|oxycontin|oxycodone|percocets?"
            r"|codeine|c0ke|crystal meth|meth|sizzurp|purple drank|reefer|ganja|kush|stoned"
            r"|high as a kite|gets high|got high|getting high|snort\w*|vape pens?|juul\w*"
            r"|adderall|lines of (?:coke|cocaine|powder)|doing coke|on acid|drop\w* acid|blaze it"
            r"|huff\w* (?:glue|paint|gas|spray)|sniff\w* (?:glue|paint|gas)|pot brownies"
            r"|smok\w* (?:pot|crack|meth|dope)|mayak(?! ?(?:gimbap|kimbap|eggs?|gyeran))"
            r"|smok\w* (?:a |the |some )?(?:fat |big )?(?:bl[u*]nts?|joints?|spliffs?|bowls?)"
            r"|cook\w* (?:up )?(?:crystal|meth|crack|drugs)|oxy pills|hiroppon|philopon|daemacho"
            r"|mariwana)\b"
            rf"|\b(?:{KIDS}|{_AGES})\b[^.!?]*\b(?:do|does|doing|did|take|takes"
            r"|took) (?:\w+ )?shots\b"
            rf"|\bshots of {ALCOHOL}\b[^.!?]*\b(?:{KIDS}|{_AGES})\b"
            rf"|\b(?:giv\w*|gave|feed\w*|fed|slip\w*) (?:the |a |her |his )?(?:{KIDS})\b[^.!?]*"
            r"\b(?:pills|tablets|gummies)\b[^.!?]*\b(?:sleep|quiet|floaty|high|knock\w* out)\b",
        ),
        (
            SEXUAL,
            r"\bsteamy (?:night|nights|scene|scenes|romance|affair|encounter|kiss\w*|moments?)\b"
            r"|\bpassionate (?:night|nights|evening)\b"
            r"|\b(?:make|makes|made|making) love\b(?! (?:hearts?|letters?|notes?|songs?|cards?))"
            r"|\blove ?making\b|\bnetflix and chill\b|\bhanky ?panky\b|\bpole ?dancers?\b"
            r"|\bstrip ?clubs?\b|\bbrothels?\b|\bwhorehouses?\b|\bred light district\b|\bthicc\b"
            r"|\bsek+seu\b|\bot beotgi\w*|\bmom (?:eul )?manji\w*"
            r"|\bdo(?:es|ing)? the nasty\b|\bgets? (?:railed|laid)\b|\bgetting (?:railed|laid)\b"
            r"|\bstep ?(?:bro|sis)\w*\b[^.!?]*\b(?:stuck|stuk)\b"
            r"|\b(?:his|her) (?:little |big )?(?:stick|thing|banana|pickle|snake|sausage|wiener)"
            r" (?:gets|got|is getting|grows?|grew) (?:bigger|hard|harder|stiff)"
            r"|\btouch\w* (?:her|him|them|the \w+) where (?:her|his|their) (?:swimsuit|underwear"
            r"|bathing suit|pants|clothes|undies) (?:covers?|goes|would be)"
            r"|\b(?:tak(?:e|es|ing)|took) (?:all |off )?(?:their|his|her) clothes off\b[^.!?]*"
            r"\b(?:game|secret|grown ?up|adult|stranger|babysitter|coach|uncle)\b"
            r"|\b(?:game|secret|grown ?up|babysitter|coach|uncle|stranger)\b[^.!?]*\b(?:take|takes"
            r"|took|taking) (?:all |off )?(?:their|his|her) clothes off\b"
            rf"|\b{_AGES}\b[^.!?]*\b(?:bride|wife|wedding night"
            r"|in bed|marr\w*|girlfriend|boyfriend)\b|\bwedding night\b[^.!?]*\b(?:bed|together)\b"
            r"|\b(?:send\w*|sent|take\w*|took|ask\w*|beg\w*)\b[^.!?]*\b(?:pics?|pictures?|photos?"
            r"|selfies?|videos?)\b[^.!?]*\b(?:underwear|naked|nude|undies|panties|bra|bikini"
            r"|topless"
            r"|shirtless|no shirt|no clothes|no pants"
            r"|without (?:clothes|a shirt|pants))\b|\bnudes\b"
            r"|\bpa(?:y|ys|id|ying) (?:a |the )?(?:young |little )?(?:girl|boy|kid|child|teen)s?\b"
            r"[^.!?]*\b(?:night|hotel|room|bed)\b"
            r"|\b(?:lifeguard|coach|teacher|neighbou?r|uncle|stranger|man|men|babysitter|nanny"
            r"|priest|doctor|photographer|driver|janitor|boss|grown ?up|adult|tutor)s?\b[^.!?]*"
            r"\b(?:touch\w*|rub\w*|tickl\w*|massag\w*|undress\w*|photograph\w*|pictures? of"
            r"|sit\w* on (?:his|her) lap|under (?:his|her|their) (?:pajamas|pyjamas|clothes|shirt"
            r"|swimsuit|underwear|nightie)"
            r"|strok\w*|bath(?:e|es|ed|ing))\b[^.!?]*\b(?:(?:keep|keeps|kept|keeping)"
            r" (?:it |this |that )?(?:a |our |their |his |her |the )?(?:little |special )?secret"
            r"|secrets? (?:make|makes|are|between)|special (?:love|friends?|game)"
            r"|(?:do not|don'?t|never|not to) tell|just between (?:us|you and me))"
            r"|\b(?:coach|teacher|neighbou?r|uncle|stranger|man|babysitter|nanny|grown ?up|adult"
            r"|tutor)s?\b[^.!?]*\b(?:secrets? (?:make|makes|are|between)|special (?:love|friends?"
            r"|game)|(?:keep|keeps|kept) (?:it |this )?(?:a |our )?secret)\b[^.!?]*"
            r"\b(?:touch\w*|rub\w*|tickl\w*|massag\w*|undress\w*|strok\w*|kiss\w*)"
            rf" (?:the |a |his |her )?(?:little )?{KIDS}\b"
            r"|\b(?:show\w*|flash\w*|expos\w*|took out|takes out|take out) (?:(?:\w+ ){0,3})?"
            r"(?:his|her|their|my) (?:private parts|privates|genitals|penis|willy|crotch|junk)\b"
            r"|\b(?:king|man|prince|neighbou?r|uncle|teacher|stranger|boss|master|lord|husband"
            r"|stepdad|stepfather|step dad|mom's boyfriend|coach"
            r"|dad's friend)s?\b[^.!?]*\b(?:at night|her room|his room)\b[^.!?]*"
            r"\b(?:climb\w*|crawl\w*|get\w*|sneak\w*|slip\w*) (?:in|into|under)"
            r" (?:(?:the|her|his) )?(?:bed|covers|sheets)\b(?![^.!?]*\b(?:nightmare|storm|thunder"
            r"|story|stories|scared|sick|fever)\b)"
            r"|\b(?:king|man|prince|neighbou?r|uncle|teacher|stranger|boss|master|lord|husband"
            r"|stepdad|stepfather|step dad|mom's boyfriend|coach"
            r"|duke|knight|soldier|landlord|priest)s?\b(?: \w+){0,3} (?:sneak\w*|snuck|creep\w*"
            r"|crept|slip\w*|climb\w*) (?:in|into|under) (?:(?:the|a|her|his|\w+'s) )?(?:\w+'s )?"
            r"(?:bed|covers|sheets|blankets?)\b(?![^.!?]*\b(?:puppy|kitten|monster"
            r"|nightmare|storm|thunder|cold|teddy)\b)",
        ),
        (
            HATE,
            rf"\b{NATIONS} (?:secretly |really )?(?:control|run|own|rule|rig|poison)s?"
            r" (?:the |all the |our )?(?:world|media|banks|money|government|country|news|water)\b"
            rf"|\b{NATIONS} (?:people )?should (?:all )?be (?:deported|killed|gassed|banned"
            r"|exterminated|locked up|shot|kicked out|wiped out|burned)\b"
            r"|\bwhite power\b|\b(?:heil|sieg heil)\b|\bkkk\b|\b1488\b|\bn[ -]?word\b"
            rf"|\b{KINDS} (?:kid|boy|girl|man|woman|child|person|guy|lady|neighbou?r|classmate)s?"
            r" (?:is|are) (?:a |an |just |such |like |all |so )*(?:monkeys?|apes?|gorillas?"
            r"|animals?"
            r"|dirt|trash|garbage|savages?|slaves?|freaks?|sick|mentally ill|perverts?"
            rf"|{DEGRADING})\b"
            rf"|\b(?:{NATIONS}|{KINDS} (?:people|kids|folks))\b[^.!?]*\b(?:steal\w* our jobs"
            r"|spread\w* (?:disease|germs)|are (?:all )?like (?:rats|cockroaches|vermin|animals"
            r"|a disease)"
            r"|that'?s what they (?:do|are))"
            r"|\b(?:two dads|two moms|two mums|gay (?:people|parents|couples?|dads|moms)"
            r"|same[- ]sex"
            r" \w+)\b[^.!?]*\b(?:disgusting|against nature|unnatural|a sin|gross|abomination"
            r"|needs? (?:to be )?fix\w*)\b"
            rf"|\bcall\w* (?:the |a |that |this |every |all )?{KINDS}"
            r" (?:kids?|boys?|girls?|m[ae]n|wom[ae]n|child|children|people|classmates?"
            r"|neighbou?rs?)"
            r" (?:a |an )?(?:monkeys?|apes?|gorillas?|chimps?|animals?|slaves?|terrorists?"
            r"|cockroaches|rats?|dogs?|pigs?|savages?|bugs?)\b",
        ),
    )
)
# "Nobody may show you their private parts", "learns never to hit": a lesson, not the act.
AGAINST = re.compile(
    r"\b(?:not|never|stop|stops|stopped|no|nobody|no one|don'?t|doesn'?t|won'?t|shouldn'?t"
    r"|should|must)\b"
)
# Care that ends pain or a cut that heals: a doctor's story, not self-harm.
CARE = re.compile(r"\b(?:doctor|nurse|vet|medicine|hospital|bandage|heal\w*|accident\w*)\b")


def find_harm(text: str) -> Hit | None:
    """The first act of this module in prepared English `text` (see `_english.prepare`)."""
    for category, pattern in HARM:
        for match in pattern.finditer(text):
            start = max(text.rfind(".", 0, match.start()), text.rfind(",", 0, match.start()))
            before = text[max(0, start + 1, match.start() - 40) : match.start()]
            if category in (VIOLENCE, SEXUAL, WEAPONS, HATE) and AGAINST.search(before):
                continue
            sentence = text[start + 1 : text.find(".", match.end()) % (len(text) + 1)]
            if category == SELF_HARM and CARE.search(sentence):
                continue
            return Hit(category, match.group())
    return None


# Fruit and vegetables that stand for bodies when they come with a splash or each other.
EMOJI = re.compile(
    "(?:\U0001f346|\U0001f351|\U0001f348\U0001f348)\\s*\U0001f4a6"
    "|\U0001f346\\s*\U0001f351|\U0001f351\\s*\U0001f346"
)


def find_emoji(text: str) -> Hit | None:
    """🍆💦, 🍑🍆, 🍈🍈💦 in the raw text (the views drop emoji)."""
    match = EMOJI.search(text)
    return Hit(SEXUAL, match.group()) if match else None
