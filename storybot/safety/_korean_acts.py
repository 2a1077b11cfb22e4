"""Korean acts of the second round: what `_korean_rules` did not read, by kind, not by phrase.

- Sexual acts in everyday words: 자다, 잠자리, 하룻밤, 동침 with an adult partner (모르는
  아저씨랑, 하녀와), not with family (엄마랑 자는 아기, 일찍 자는 토끼); a wedding night or a
  "hot night" of a couple (첫날밤, 뜨거운 밤, 부부의 밤일); groping (몸을 더듬다, not 말을 더듬다,
  stuttering); baring breasts or genitals; peeping at someone bathing; touching a child in
  secret; an affair (불륜, 바람을 피우다); animals mating as an act (교미하다, 짝짓기하는 모습),
  while a mating season and the 짝짓기 game are allowed.
- Self-harm methods: ending one's life (생을 끝내다, 삶을 포기하다), lying on the tracks or
  leaping before a train (not a house by the railway), a rope round one's neck (not a dog's
  leash or belling the cat), swallowing a whole box of pills (not 약상자 정리), drinking
  pesticide (not spraying it), cutting wounds into one's own arm (not a woodpecker's tree).
- Drink by children and animals (술 취한 원숭이, 맥주를 몰래 마신 소녀) and drink poured for a
  baby (젖병에 소주); a medieval cook's wine in a stew and a king's goblet stay allowed.
- Violence done to someone: stamping or kicking a person or an animal (밟다 on grass or leaves is
  fine), chopping an animal (not a fish or a chicken for dinner), boiling or frying a person,
  arson (불을 지르다, not a dragon's fire nor 소리를 지르다), acid thrown, a blade taken to
  school (not a cooking class).
- Hate as a statement about a people: a nationality or ethnicity, a particle, a slight
  (멕시코 사람들은 더러워), not "멕시코 사람들은 타코를 좋아해".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Protocol

import storybot.safety._korean_lexicon as lex
import storybot.safety._korean_words as words
from storybot.safety._categories import DRUGS, HATE, SELF_HARM, SEXUAL, VIOLENCE, WEAPONS, Hit


class Morpheme(Protocol):
    form: str
    tag: str
    start: int
    end: int


def acts(sentence: Sequence[Morpheme]) -> Iterator[tuple[Hit, int]]:
    """Every act of this module in one sentence, with the index of its token."""
    forms = [t.form for t in sentence]
    present = set(forms)
    # Each kind is read only when one of its words is there: a page screen stays cheap.
    if present & lex.SEXUAL_CUES:
        yield from _sexual(sentence, forms, present)
    if present & lex.SELF_HARM_CUES:
        yield from _self_harm(sentence, forms, present)
    yield from _drugs(sentence, forms, present)
    if present & lex.VIOLENCE_CUES:
        yield from _violence(sentence, forms, present)
    if present & lex.SLIGHTS:
        yield from _hate(sentence, forms)


def _stop(token: Morpheme) -> bool:
    """A comma between answers, a sentence end or a final ending ends a clause."""
    return token.tag in ("SF", "SP", "EF") or token.form == ","


def _noun_before(sentence: Sequence[Morpheme], j: int) -> str:
    """The noun a particle at `j` is attached to (아이/들/을 → 아이)."""
    j -= 1
    while j > 0 and sentence[j].tag.startswith("XSN"):
        j -= 1
    return sentence[j].form if j >= 0 else ""


def _object(sentence: Sequence[Morpheme], i: int) -> str:
    """What the verb at `i` is done to: the nearest noun before it marked with 을/를, across
    -고 and -어 clauses but not past a comma; or the bare noun right before it."""
    if i > 0 and sentence[i - 1].tag.startswith("NN"):
        return sentence[i - 1].form
    for j in range(i - 1, max(-1, i - 10), -1):
        if _stop(sentence[j]):
            return ""
        if sentence[j].tag == "JKO" and j > 0:
            return _noun_before(sentence, j)
    return ""


def _doers(sentence: Sequence[Morpheme], i: int) -> set[str]:
    """Who does the verb at `i`: the noun it, or the clause it begins, modifies (마시는 곰,
    따라 주는 아빠, 취해 길에서 자는 곰) or a noun marked with 이/가/은/는 before it in its
    clause (곰이 맥주를 마셔요)."""
    found: set[str] = set()
    for j in range(i + 1, min(len(sentence) - 1, i + 9)):
        if _stop(sentence[j]):
            break
        if sentence[j].tag == "ETM":  # 마시는 곰, 취해 길에서 자는 곰
            found.add(sentence[j + 1].form)
            break
    for j in range(i - 1, max(-1, i - 10), -1):
        if _stop(sentence[j]):
            break
        if sentence[j].tag in ("JKS", "JX") and j > 0:
            found.add(_noun_before(sentence, j))
    return found


def _negated(sentence: Sequence[Morpheme], i: int) -> bool:
    """밟지 마, 밟지 않는, 안 밟는: the act is said not to happen."""
    after = [t.form for t in sentence[i + 1 : i + 4]]
    return bool(lex.NEGATIONS & set(after)) or (i > 0 and sentence[i - 1].form in ("안", "못"))


def _partner(sentence: Sequence[Morpheme], i: int) -> bool:
    """An adult partner with 와/랑/하고 near the word at `i`, in its clause."""
    lo, hi = max(0, i - 7), min(len(sentence), i + 5)
    for j in range(lo, hi):
        if j == i or sentence[j].form not in lex.WITH or not sentence[j].tag.startswith("J"):
            continue
        if any(_stop(t) for t in sentence[min(i, j) : max(i, j)]):
            continue
        noun = _noun_before(sentence, j)
        strange = {t.form for t in sentence[max(0, j - 4) : j]} & lex.STRANGE
        if noun in lex.PARTNERS or (noun in ("사람", "분") and strange):
            # 경비 아저씨랑 잠든 고양이: an animal sleeping by a man is no couple.
            return strange or noun in lex.LOVERS or not _doers(sentence, i) & lex.ANIMALS
    return False


def _sexual(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    for i, token in enumerate(sentence):
        form, after = token.form, forms[i + 1 : i + 4]
        sleeps = form in lex.SLEEPS and (form != "자" or token.tag.startswith("VV"))
        if sleeps and not (form == "잠자리" and present & lex.DRAGONFLY) and _partner(sentence, i):
            yield Hit(SEXUAL, f"{form}+상대"), i
        elif form == "밤" and after[:1] == ["을"] and "보내" in after and _partner(sentence, i):
            yield Hit(SEXUAL, "밤을 보내"), i
        elif form in lex.FIRST and _wedding_night(sentence, i) and not present & lex.TRIPS:
            yield Hit(SEXUAL, "첫날밤"), i
        elif form == "밤" and after[:1] == ["일"] and token.end == sentence[i + 1].start:
            if present & lex.COUPLES or "뜨겁" in present:
                yield Hit(SEXUAL, "밤일"), i
        elif form == "뜨겁" and after[1:2] == ["밤"] and present & (lex.COUPLES | lex.PARTNERS):
            yield Hit(SEXUAL, "뜨거운 밤"), i
        elif form in lex.AFFAIRS or (form == "바람" and "피우" in after[:2]):
            if not _innocent_affair(sentence, forms, present, i):
                yield Hit(SEXUAL, form), i
        elif token.tag.startswith(("VV", "NN")):
            yield from _touched(sentence, present, i)


def _wedding_night(sentence: Sequence[Morpheme], i: int) -> bool:
    """첫날밤 as one word, however Kiwi cuts it (첫/날/밤, 첫날/밤)."""
    if sentence[i].form == "첫날밤":
        return True
    for pieces in (("첫", "날", "밤"), ("첫날", "밤")):
        run = sentence[i : i + len(pieces)]
        joined = all(a.end == b.start for a, b in pairwise(run))
        if tuple(t.form for t in run) == pieces and joined:
            return True
    return False


def _innocent_affair(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str], i: int
) -> bool:
    """정사 in a history book, 교미 as a season, 동침 with no adult partner."""
    form, after = forms[i], forms[i + 1 : i + 2]
    if form == "정사":
        return bool(present & lex.HISTORY)
    if form == "교미":
        return bool(after and after[0] in lex.SEASONS)
    if form == "동침":
        return not _partner(sentence, i) and "남녀" not in present
    return False


def _touched(sentence: Sequence[Morpheme], present: set[str], i: int) -> Iterator[tuple[Hit, int]]:
    """Groping, baring, peeping, touching a child in secret, mating shown as an act."""
    form, done_to = sentence[i].form, _object(sentence, i)
    strangers = present & words.STRANGERS and not present & words.BATH
    if form == "더듬" and (done_to in lex.BODY or done_to in words.PEOPLE):
        yield Hit(SEXUAL, "더듬"), i
    elif form == "만지" and strangers and done_to in lex.BODY - {"가슴", "엉덩이"}:
        yield Hit(SEXUAL, f"{done_to}+만지"), i
    elif (
        form == "만지" and present & lex.SECRETLY and done_to in lex.KIDS | words.PEOPLE | lex.BODY
    ):
        yield Hit(SEXUAL, "몰래+만지"), i
    elif form in lex.BARES and done_to in lex.BARED:
        yield Hit(SEXUAL, f"{done_to}+{form}"), i
    elif form in ("내리", "까") and done_to in lex.PANTS and strangers:
        if present & words.MINORS:
            yield Hit(SEXUAL, "바지+" + form), i
    elif form in lex.PEEPS and (present & lex.PEEPED or done_to in lex.PEEPED):
        yield Hit(SEXUAL, form), i
    elif form == "들추" and done_to == "치마":
        yield Hit(SEXUAL, "치마+들추"), i
    elif form == "짝짓기" and _mating_shown(sentence, present, i):
        yield Hit(SEXUAL, form), i


def _mating_shown(sentence: Sequence[Morpheme], present: set[str], i: int) -> bool:
    """짝짓기하는 모습: mating as an act shown; not 짝짓기 철 (a season) or 짝짓기 게임."""
    after = {t.form for t in sentence[i + 1 : i + 3]}
    return bool(after & lex.MATING_SEEN) and not present & lex.SEASONS


def _purpose_to_die(sentence: Sequence[Morpheme], forms: list[str]) -> bool:
    """죽으려고 (to die) or 죽고 싶어, but not 죽으려는 물고기를 (a dying fish that is saved)."""
    for i, form in enumerate(forms):
        if form != "죽" or not sentence[i].tag.startswith("VV"):
            continue
        if forms[i + 1 : i + 3] == ["고", "싶"]:
            return True
        if i + 1 < len(forms) and forms[i + 1] in ("으려고", "려고"):
            rest = sentence[i + 2 : i + 6]
            modifies = [t.tag for t in rest[:2]] == ["VX", "ETM"]
            if not (modifies and any(t.tag == "JKO" for t in rest[2:])):
                return True
    return False


def _self_harm(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    purpose = "죽" in present and _purpose_to_die(sentence, forms)
    for i, token in enumerate(sentence):
        form, after = token.form, forms[i + 1 : i + 5]
        if form in lex.LIVES and token.tag.startswith("NN") and after[:1] in (["을"], ["를"]):
            ends = [f for f in after[1:3] if f in lex.ENDS]
            selfless = "위하" in present and ends and ends[0] in ("버리", "포기")
            if ends and not selfless and not _negated(sentence, i + 1 + after.index(ends[0])):
                yield Hit(SELF_HARM, f"{form}을 {ends[0]}"), i
        elif form == "끝내" and ("싶" in after[:3] or (after and after[0].startswith("려"))):
            if {"모든", "전부"} & set(forms[max(0, i - 4) : i]):
                yield Hit(SELF_HARM, "모든 걸 끝내"), i
        elif form == "살" and after[:4] == ["고", "싶", "지", "않"]:
            yield Hit(SELF_HARM, "살고 싶지 않"), i
        elif purpose and form in lex.METHODS:
            yield Hit(SELF_HARM, "죽으려고+" + form), i
        elif form in lex.RAILS and after[:1] and after[0] in ("에", "에서", "위", "로", "으로"):
            if set(after[1:4]) & lex.LIES:
                yield Hit(SELF_HARM, form + "에 눕"), i
        elif form in lex.TRAINS and after[:1] == ["에"] and "뛰어들" in after[1:3]:
            yield Hit(SELF_HARM, form + "에 뛰어들"), i
        elif (
            form == "목" and present & lex.ROPES and present & lex.ROPED and _own_neck(sentence, i)
        ):
            yield Hit(SELF_HARM, "줄+목"), i
        elif form in lex.SWALLOWED and present & words.PILLS and _whole_box(present):
            yield Hit(SELF_HARM, "약+" + form), i
        elif form in lex.POISONS and set(after[:3]) & (lex.SWALLOWED | lex.DRINKS):
            yield Hit(SELF_HARM, form), i
        elif form in ("내", "긋") and _own_body(sentence, i):  # not 친구 몸에
            yield Hit(SELF_HARM, "몸에 상처를 내"), i


def _own_neck(sentence: Sequence[Morpheme], i: int) -> bool:
    """A neck with a rope that is no animal's on a leash (강아지 목에 줄, 고양이 목에 방울)."""
    forms = {t.form for t in sentence}
    return not forms & lex.LEASHES and (i == 0 or sentence[i - 1].form not in lex.ANIMALS)


def _own_body(sentence: Sequence[Morpheme], i: int) -> bool:
    """팔에 상처를 내다: a wound cut into a body part nobody else's (not 친구 몸에)."""
    if _object(sentence, i) not in words.WOUND_MARKS:
        return False
    for j in range(max(0, i - 6), i):
        if sentence[j].form in lex.LIMBS and sentence[j + 1].form == "에":
            owner = sentence[j - 1].form if j > 0 else ""
            return owner in ("", "자기", "자신", "나") or owner not in words.PEOPLE | lex.ANIMALS
    return False


def _whole_box(present: set[str]) -> bool:
    """약통의 약을 다: a whole box or bottle of pills."""
    return bool(present & lex.CONTAINERS and present & lex.ALL)


def _drunk(forms: list[str], i: int) -> bool:
    """취하다 from drink, not from sleep or a scent (잠에 취해, 꽃향기에 취한)."""
    if forms[i] != "취하":
        return True
    return not (i >= 2 and forms[i - 1] in ("에", "에게") and forms[i - 2] not in words.ALCOHOL)


def _drinks_alcohol(sentence: Sequence[Morpheme], forms: list[str], i: int) -> bool:
    """취하다 from drink, or a drink verb whose object is drink (맥주를 마시는, 술 마시는)."""
    if forms[i] == "취하":
        return _drunk(forms, i)
    done_to = _object(sentence, i)
    return done_to in words.ALCOHOL or (
        not done_to and bool(set(forms[max(0, i - 3) : i]) & words.ALCOHOL)
    )


def _drugs(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    if "뽕" in present and "맞" in present:
        yield Hit(DRUGS, "뽕"), forms.index("뽕")
    drink = present & words.ALCOHOL
    if not drink and "취하" not in present:
        return
    for i, form in enumerate(forms):
        given = forms[i + 1 : i + 2] in (["에게"], ["한테"], ["의"])
        if form in lex.DRINKS and _drinks_alcohol(sentence, forms, i):
            doers = _doers(sentence, i) & (lex.KIDS | lex.ANIMALS)
            if doers:
                yield Hit(DRUGS, f"{min(doers)}+{form}"), i
        elif form in lex.INTO and drink and present & lex.BABY_THINGS:
            yield Hit(DRUGS, "젖병+술"), i
        elif form in lex.KIDS | lex.ANIMALS and given and drink and _gives(sentence):
            yield Hit(DRUGS, form + "에게 술"), i


def _gives(sentence: Sequence[Morpheme]) -> bool:
    """A verb of pouring or giving (따르다, 주다 on its own or after 따라), not the helper of
    보여 주다 (할머니가 손녀에게 막걸리 빚는 모습을 보여 줘요)."""
    for k, token in enumerate(sentence):
        if token.form in lex.INTO and token.tag.startswith("VV"):
            return True
        if token.form == "주" and k > 1 and sentence[k - 2].form in lex.INTO:
            return True
    return False


def _violence(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    living = words.PEOPLE | lex.ANIMALS
    for i, token in enumerate(sentence):
        form = token.form
        if not token.tag.startswith(("VV", "NN")) or form not in lex.DONE_TO:
            continue
        done_to = _object(sentence, i)
        if not done_to or _negated(sentence, i):
            continue
        kicked = form in lex.STOMPS or (form == "차" and "발" in present)
        thrown = form == "던지" and done_to in lex.ANIMALS and "받" not in present
        if (
            (kicked and done_to in living)
            or (form in lex.CHOPS and done_to in living - lex.FOODS)
            or (form in lex.BOILS and done_to in words.PEOPLE | lex.KIDS)
            or (form == "지르" and done_to == "불" and not _doers(sentence, i) & lex.DRAGONS)
            or (form == "비틀" and done_to == "목")
            or (form == "뿌리" and done_to in lex.ACIDS)
            or thrown
        ):
            yield Hit(VIOLENCE, f"{done_to}+{form}"), i
    carried = present & words.BLADES and present & lex.SCHOOLS and present & lex.CARRIES
    if carried and not present & lex.KITCHEN:
        yield Hit(WEAPONS, "칼+학교"), 0


def _group_end(sentence: Sequence[Morpheme], i: int) -> int:
    """Where a people named at `i` ends (멕시코/사람/들, 흑인, 멕시코인), or -1."""
    form = sentence[i].form
    named = form in words.GROUPS or (
        form.endswith(("인", "족")) and len(form) > 2 and form[:-1] in lex.NATIONS
    )
    j = i + 1
    if not named and form in lex.NATIONS:
        if j >= len(sentence) or sentence[j].form not in lex.PEOPLES:
            return -1
        j += 1
    elif not named:
        return -1
    elif j < len(sentence) and sentence[j].form in lex.PEOPLES:  # 동남아 사람들은
        j += 1
    while j < len(sentence) and sentence[j].tag.startswith("XSN"):
        j += 1
    return j


def _hate(sentence: Sequence[Morpheme], forms: list[str]) -> Iterator[tuple[Hit, int]]:
    for i in range(len(sentence)):
        j = _group_end(sentence, i)
        if j < 0 or j >= len(sentence) or not sentence[j].tag.startswith("J"):
            continue
        rest = [
            k
            for k in range(j + 1, min(j + 6, len(sentence)))
            if not sentence[k].tag.startswith(("MAG", "J"))
        ]
        if rest and forms[rest[0]] in lex.SLIGHTS:
            yield Hit(HATE, forms[i]), rest[0]  # where a slight typed apart (더 러 워) is
