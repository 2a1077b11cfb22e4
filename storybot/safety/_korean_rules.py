"""Korean acts that only a whole sentence shows: self-harm by a fall or an overdose, smoking,
drinking till one drops, sexual acts said in everyday words.

Each rule names the act and the context that makes it innocent: a frog jumping from a rock into
a pond, a cat landing softly, a parachute; 꽃향기에 취한 나비 (drunk on a scent); a film that
breaks in a cinema; 호랑이 담배 피우던 시절 (once upon a time) and a child asking dad to stop
smoking; 잠자리 the dragonfly and going to bed; pounding rice cakes (떡메치기).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import storybot.safety._korean_words as words
from storybot.safety._categories import DRUGS, SELF_HARM, SEXUAL, VIOLENCE, Hit
from storybot.safety._korean_acts import acts
from storybot.safety._korean_harm import harms


class Morpheme(Protocol):
    """What the rules read of a Kiwi token (`_korean.Token`)."""

    form: str
    tag: str
    start: int
    end: int


def sentence_rules(sentence: Sequence[Morpheme]) -> Iterator[tuple[Hit, int]]:
    """Every act one sentence shows, with the index of the token it is reported at."""
    forms = [t.form for t in sentence]
    present = set(forms)
    yield from _self_harm(sentence, forms, present)
    yield from _drugs(sentence, forms, present)
    yield from _sexual(sentence, forms, present)
    yield from acts(sentence)
    yield from harms(sentence)
    if "납치" in present and present & words.HITS:
        yield Hit(VIOLENCE, "납치+폭력"), forms.index("납치")
    if "피" in present and "도록" in present and present & words.HITS:
        yield Hit(VIOLENCE, "피가 나도록"), forms.index("피")  # 피가 나도록 때리다
    for i in range(2, len(forms) - 1):
        if forms[i - 2 : i + 2] == ["살", "ᆫ", "채", "로"] and present & words.ALIVE:
            yield Hit(VIOLENCE, "산 채로"), i


def _wishes_to_die(sentence: Sequence[Morpheme], forms: list[str]) -> bool:
    """죽으려고, 죽으려는, 죽고 싶다, 살기 싫다, 목숨을 끊다, 자살: someone means to die (not
    목숨을 걸다, risking one's life)."""
    for i, form in enumerate(forms):
        after = forms[i + 1] if i + 1 < len(forms) else ""
        dies = form == "죽" and sentence[i].tag.startswith("VV")
        if dies and (after.startswith(("으려", "려")) or forms[i + 1 : i + 3] == ["고", "싶"]):
            return True
        if form == "살" and forms[i + 1 : i + 3] == ["기", "싫"]:
            return True  # 살기 싫다: not wanting to live
        if form == "목숨" and {"끊", "버리"} & set(forms[i + 1 : i + 4]):
            return True
    return "자살" in forms


def _has(sentence: Sequence[Morpheme], tagged: frozenset[str]) -> bool:
    """Whether a token is one of `tagged` ("form/TAG", the tag a prefix)."""
    pairs = [item.split("/") for item in tagged]
    return any(t.form == f and t.tag.startswith(tag) for t in sentence for f, tag in pairs)


def _self(sentence: Sequence[Morpheme]) -> bool:
    """일부러, 스스로, 자기 (as a word, not 자- + -기): someone does it to themself."""
    return any(t.form in words.SELF and t.tag in ("MAG", "NP") for t in sentence)


def _from_height(forms: list[str]) -> bool:
    """옥상에서, 한강 다리에서, 다리 위에서, 빌딩 꼭대기에서: a place high up, as a place."""
    return any(
        form in words.HEIGHTS and set(forms[i + 1 : i + 3]) & words.ON_TOP
        for i, form in enumerate(forms)
    )


def _self_harm(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    wish = _wishes_to_die(sentence, forms)
    safe = bool(present & words.SAFE_JUMPS)
    height = _from_height(forms)
    for i, form in enumerate(forms):
        thrown = form == "던지" and "몸" in forms[max(0, i - 3) : i]
        if form in words.JUMPS and height and not safe:
            yield Hit(SELF_HARM, form), i
        elif thrown and (height or present & words.PLUNGES) and not safe:
            yield Hit(SELF_HARM, "몸을 던지"), i
        elif wish and (form in words.FALLS or form in words.PILLS or thrown):
            yield Hit(SELF_HARM, form), i
        elif form in words.SWALLOWS and present & words.PILLS and present & words.HANDFULS:
            yield Hit(SELF_HARM, "약+" + form), i
        elif form in words.CUTS and present & words.WRISTS and present & words.BLADES:
            yield Hit(SELF_HARM, "손목+" + form), i
        elif form == "피우" and present & words.FUMES and (present & words.SHUT_IN or wish):
            yield Hit(SELF_HARM, "번개탄"), i
        elif form == "유서" and "쓰" in forms[i + 1 : i + 4]:
            yield Hit(SELF_HARM, form), i
        elif form == "버리" and "목숨" in forms[max(0, i - 3) : i] and "위하" not in present:
            yield Hit(SELF_HARM, "목숨을 버리"), i
        elif form == "마감" and "생" in forms[max(0, i - 3) : i] and "스스로" in present:
            yield Hit(SELF_HARM, "생을 마감"), i
        elif form in ("내", "긋", "만들") and present & words.WOUND_MARKS and _self(sentence):
            yield Hit(SELF_HARM, "자해"), i


def _drunk(sentence: Sequence[Morpheme], forms: list[str], i: int) -> bool:
    """취하다 from drink, not from sleep or a scent (잠에 취해, 꽃향기에 취한)."""
    if i >= 2 and forms[i - 1] in ("에", "에게"):
        return forms[i - 2] in words.ALCOHOL
    return True


def _poured(sentence: Sequence[Morpheme]) -> bool:
    """A verb of giving drink: 주다 on its own (술을 주다) or after pouring (따라 주다), not the
    helper of 보여 주다."""
    for k, token in enumerate(sentence):
        if token.form in words.POURS and token.tag.startswith("VV"):
            return True
        if token.form == "주" and k > 1 and sentence[k - 2].form in ("따르", "붓", "타", "권하"):
            return True
    return False


def _drugs(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    drink = bool(present & words.ALCOHOL) or any(
        f == "취하" and _drunk(sentence, forms, i) for i, f in enumerate(forms)
    )
    idiom = "호랑이" in present and present & words.ERAS  # 호랑이 담배 피우던 시절
    against = present & words.NO_SMOKING or _has(sentence, words.NOT)
    smoked = bool(present & words.PUFFS) or any(
        t.form in words.SMOKE_VERBS and t.tag.startswith("VV") for t in sentence
    )
    tobacco = {f for f in present if f in words.SMOKES or words.TOBACCO.search(f)}
    for i, form in enumerate(forms):
        if ((form in tobacco and smoked) or form in words.SMOKING) and not idiom and not against:
            yield Hit(DRUGS, form), i
        elif drink and form in words.COLLAPSES:
            yield Hit(DRUGS, "술+" + form), i
        elif form == "필름" and "끊기" in forms[i + 1 : i + 3]:
            if not present & words.FILM:
                yield Hit(DRUGS, "필름이 끊기"), i
        elif form in words.INHALANTS and present & words.SNIFFS:
            yield Hit(DRUGS, form), i
        elif form in words.ALCOHOL - {"회식", "만취"} and present & words.MINORS and not against:
            # 주다 as a verb of its own (술을 주다), not the helper of 보여 주다.
            if _poured(sentence):
                yield Hit(DRUGS, form), i
        elif drink and form == "떡" and forms[i + 1 : i + 3] == ["이", "되"]:
            yield Hit(DRUGS, "술에 떡이 되"), i


def _undresses(sentence: Sequence[Morpheme], forms: list[str], present: set[str], i: int) -> bool:
    """A stranger undressing someone (옷을 벗기다), telling a child to undress (벗으라고), or
    taking off underwear before a child; not a man taking off his coat to cover a child."""
    if not present & words.CLOTHES:
        return False
    if forms[i] == "벗기":
        return True
    told = i + 1 < len(forms) and forms[i + 1].startswith(("으라", "라", "어라", "어 보"))
    underwear = bool(present & words.UNDERWEAR)
    return bool(present & words.MINORS) and (told or underwear)


def _sexual(
    sentence: Sequence[Morpheme], forms: list[str], present: set[str]
) -> Iterator[tuple[Hit, int]]:
    for i, form in enumerate(forms):
        after = forms[i + 1 : i + 4]
        if form == "잠자리" and after[:1] in (["를"], ["을"]) and set(after[1:]) & words.BED:
            yield Hit(SEXUAL, "잠자리를 가지"), i
        elif form == "관계" and after[:1] in (["를"], ["을"]) and set(after[1:2]) & {"가지", "갖"}:
            if i == 0 or not sentence[i - 1].tag.startswith(("ETM", "JKG", "MM", "VA")):
                yield Hit(SEXUAL, "관계를 가지"), i
        elif form == "떡" and after[:1] == ["치"] and sentence[i].end == sentence[i + 1].start:
            if not present & words.RICE_CAKE:
                yield Hit(SEXUAL, "떡치"), i
        elif form in ("벗", "벗기") and present & words.STRANGERS and not present & words.BATH:
            if _undresses(sentence, forms, present, i):
                yield Hit(SEXUAL, form), i
        elif form in ("벗", "벗기") and "키스" in present:
            yield Hit(SEXUAL, "키스+" + form), i
