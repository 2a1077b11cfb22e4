"""Korean matching on Kiwi's analysis: nouns by form, verbs by stem in any ending, in context.

A sentence is Kiwi's tokens up to a final punctuation mark. Words are looked up by the form
Kiwi gives (죽였어요 → 죽이/VV), so every ending of a verb matches its stem; a compound Kiwi
cuts in two (성/관계) is looked up whole. The innocent neighbours in `_korean_words` (마약 +
김밥, 장난감 + 총) and the object and instrument rules (베다 a person, not a tree) keep the
innocent readings; `_korean_rules` reads the acts that need a sentence (뛰어내리다 from a
bridge, 술 and 쓰러지다, 담배 and 피우다).

`find_joined` reads Korean words typed apart (`섹 스 하 는`) joined, and counts a hit only when
it crosses a gap, starts where a typed word starts and ends where one ends or only an ending
follows: innocent words that merely meet when joined (`고마 약속`, `엄마 약`) stay innocent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import storybot.safety._korean_words as words
from storybot.korean import kiwi
from storybot.safety._categories import DRUGS, HATE, SEXUAL, VIOLENCE, Hit
from storybot.safety._korean_rules import sentence_rules
from storybot.safety._normalise import KoreanRun

# Tags of particles, endings and suffixes: what may follow a word spelled with spaces.
FUNCTIONAL = ("J", "E", "XS", "VCP", "VCN", "SF", "SP", "SS", "SE", "SO")
NOT_NOUN = ("V", "J", "E", "XS", "XP", "MM", "S")
WORD = re.compile(r"[가-힣0-9]+")


@dataclass(frozen=True)
class Token:
    """One morpheme: form, tag without Kiwi's irregular-verb mark (-I, -R), where it was."""

    form: str
    tag: str
    start: int = 0
    end: int = 0

    @property
    def is_verb(self) -> bool:
        return self.tag.startswith(("VV", "VA", "VX"))

    @property
    def is_noun(self) -> bool:
        return not self.tag.startswith(NOT_NOUN)


def analyse(texts: Sequence[str]) -> list[list[Token]]:
    """Kiwi's tokens for each text, in one call."""
    if not texts:
        return []
    results = kiwi().tokenize(list(texts))
    return [
        [Token(t.form, t.tag.split("-")[0], t.start, t.start + t.len) for t in tokens]
        for tokens in results
    ]


def find(tokens: list[Token]) -> Hit | None:
    """The first refused word or phrase in a text's tokens."""
    for sentence in _sentences(tokens):
        for hit, _, _ in _hits(sentence):
            return hit
    return None


def find_alone(tokens: list[Token]) -> Hit | None:
    """A refused word that is the whole of a spaced-out word, give or take its endings."""
    for hit, first, last in _hits(tokens):
        rest = tokens[:first] + tokens[last + 1 :]
        if all(t.tag.startswith(FUNCTIONAL) for t in rest):
            return hit
    return None


def find_joined(run: KoreanRun, tokens: list[Token]) -> Hit | None:
    """A refused word in Korean words typed apart, joined (see the module's note)."""
    for sentence in _sentences(tokens):
        for hit, first, last in _hits(sentence):
            start, end = sentence[first].start, sentence[last].end
            if _typed_apart(run, tokens, start, end):
                return hit
        # An act read in the sentence (번 개 탄을 피우는) is reported at another of its words:
        # it counts when one of the sentence's words was typed apart.
        spread = [t for t in sentence if t.is_noun or t.is_verb]
        if any(_typed_apart(run, tokens, t.start, t.end) for t in spread):
            for hit, _ in sentence_rules(sentence):
                return hit
    text = _mask_exceptions(run.text)
    for term, category in words.SUBSTRINGS.items():
        start = text.find(term)
        while start >= 0:
            if _typed_apart(run, tokens, start, start + len(term)):
                return Hit(category, term)
            start = text.find(term, start + 1)
    return None


def _typed_apart(run: KoreanRun, tokens: list[Token], start: int, end: int) -> bool:
    """Whether [start, end) of a joined run crosses a gap, starts a typed word, and ends one or
    is followed in its typed word by endings only."""
    if start not in run.starts or not any(start < gap < end for gap in run.gaps):
        return False
    if end in run.ends:
        return True
    word_end = min(e for e in run.ends if e > end)
    rest = [t for t in tokens if t.end > end and t.start < word_end]
    return bool(rest) and rest[0].start >= end and all(t.tag.startswith(FUNCTIONAL) for t in rest)


def _mask_exceptions(text: str) -> str:
    for harmless in words.SUBSTRING_EXCEPTIONS:
        text = text.replace(harmless, "□" * len(harmless))
    return text


def find_substring(text: str, *, alone: bool = False) -> Hit | None:
    """A word no Korean word contains innocently, inside any word of `text`."""
    for word in WORD.findall(text):
        for harmless in words.SUBSTRING_EXCEPTIONS:
            word = word.replace(harmless, " ")
        for term, category in words.SUBSTRINGS.items():
            if (word.startswith(term) and len(word) <= len(term) + 2) if alone else term in word:
                return Hit(category, term)
    return None


def _sentences(tokens: list[Token]) -> Iterator[list[Token]]:
    start = 0
    for i, token in enumerate(tokens):
        if token.tag == "SF":
            yield tokens[start : i + 1]
            start = i + 1
    if start < len(tokens):
        yield tokens[start:]


def _hits(sentence: list[Token]) -> Iterator[tuple[Hit, int, int]]:
    """Every refused word of one sentence with the span of tokens it covers."""
    forms = [t.form for t in sentence]
    play = any(f in words.PLAY_WORDS for f in forms)
    for i, token in enumerate(sentence):
        form = token.form
        if form in words.JAMO:
            yield Hit(words.JAMO[form], form), i, i
        elif token.is_verb:
            category = words.VERBS.get(form)
            if category and not (form == "죽이" and _objects(sentence, i) & words.QUIET):
                yield Hit(category, form), i, i
            yield from _verb_rules(sentence, i, forms, play)
        elif token.tag == "XPN":  # 대/XPN 마/NNG: a prefix Kiwi cut off a refused noun
            yield from _compound(sentence, i)
        elif token.is_noun and not _excepted(sentence, i, play):
            noun = _refused_noun(form)
            if noun:
                yield Hit(words.NOUNS[noun], noun), i, i
            yield from _compound(sentence, i)
        yield from _instrument_rules(sentence, i, forms, play)
        for sequence, category in words.SEQUENCES.items():
            if tuple(forms[i : i + len(sequence)]) == sequence:
                yield Hit(category, "".join(sequence)), i, i + len(sequence) - 1
        yield from _context_rules(sentence, i, forms)
    for hit, i in sentence_rules(sentence):
        yield hit, i, i


def _compound(sentence: list[Token], i: int) -> Iterator[tuple[Hit, int, int]]:
    """A refused noun that Kiwi cut into nouns typed as one word (성/관계 → 성관계)."""
    joined, j = sentence[i].form, i
    while j + 1 < len(sentence) and j - i < 2:
        after = sentence[j + 1]
        if not after.is_noun or after.start != sentence[j].end or after.start == after.end:
            return
        joined, j = joined + after.form, j + 1
        following = sentence[j + 1].form if j + 1 < len(sentence) else ""
        if joined in words.NOUNS and following not in words.NEXT_EXCEPTIONS.get(joined, ()):
            yield Hit(words.NOUNS[joined], joined), i, j
            return


def _refused_noun(form: str) -> str | None:
    """The refused noun `form` is, or starts with before a suffix such as 범 (강간범)."""
    if form in words.NOUNS:
        return form
    for cut in range(2, len(form)):
        if form[:cut] in words.NOUNS and form[cut:] in words.NOUN_SUFFIXES:
            return form[:cut]
    return None


def _excepted(sentence: list[Token], i: int, play: bool) -> bool:
    form = sentence[i].form
    after = sentence[i + 1].form if i + 1 < len(sentence) else ""
    before = sentence[i - 1].form if i > 0 else ""
    if after in words.NEXT_EXCEPTIONS.get(form, ()):
        return True
    if before in words.PREVIOUS_EXCEPTIONS.get(form, ()):
        return True
    return play and form in ("총", "폭탄")  # 총싸움 놀이, 폭탄 게임


def _objects(sentence: list[Token], i: int) -> set[str]:
    """Nouns the verb at `i` is done to: marked with 을/를 (or bare, right before it), in its
    own clause."""
    found: set[str] = set()
    if i > 0 and sentence[i - 1].is_noun:
        found.add(sentence[i - 1].form)  # 목매달다, 활 쏘기
    for j in range(i - 1, max(-1, i - 8), -1):
        token = sentence[j]
        if token.tag.startswith("E"):
            break  # an earlier clause
        if token.tag in ("JKO", "JKB") and j > 0:
            noun = j - 1
            while noun > 0 and sentence[noun].tag.startswith("XS"):
                noun -= 1  # 선생/님/을
            found.add(sentence[noun].form)
    return found


def _verb_rules(
    sentence: list[Token], i: int, forms: list[str], play: bool
) -> Iterator[tuple[Hit, int, int]]:
    stem = forms[i]
    for verb, objects, category in words.OBJECT_RULES:
        if stem == verb and _objects(sentence, i) & objects:
            if verb == "쏘" and (play or words.STINGERS & set(forms)):
                continue  # a bee stings; a water pistol is a game
            yield Hit(category, stem), i, i
    victims = words.PEOPLE | words.ANIMALS
    if stem in words.HITS and _objects(sentence, i) & victims and words.WOUNDS & set(forms):
        yield Hit(VIOLENCE, stem), i, i
    undressed = stem in ("벗", "벌거벗") and i + 2 < len(sentence)
    if undressed and sentence[i + 1].tag == "ETM" and sentence[i + 2].form in words.ADULTS:
        yield Hit(SEXUAL, stem), i, i + 2


def _instrument_rules(
    sentence: list[Token], i: int, forms: list[str], play: bool
) -> Iterator[tuple[Hit, int, int]]:
    for verbs, instruments, category in words.INSTRUMENT_RULES:
        if forms[i] in verbs and not play:
            held = [
                j
                for j, t in enumerate(sentence)
                if t.is_noun and t.form in instruments and not _excepted(sentence, j, False)
            ]
            if held:
                yield Hit(category, f"{sentence[held[0]].form}+{forms[i]}"), i, i


def _context_rules(
    sentence: list[Token], i: int, forms: list[str]
) -> Iterator[tuple[Hit, int, int]]:
    form = forms[i]
    present = set(forms)
    if form in words.DRINK and present & words.BLOWS:
        yield Hit(DRUGS, f"{form}+폭력"), i, i
    against = present & words.NO_SMOKING  # a child asking an uncle to drink less
    used = present & {"마시", "피우"}
    if form in words.SUBSTANCES and present & words.CHILDREN and used and not against:
        yield Hit(DRUGS, form), i, i
    if form in words.GROUPS:
        j = i + 1
        while j < len(sentence) and sentence[j].tag.startswith(("XS", "J")):
            j += 1  # 흑인/들/은
        if j > i + 1 and any(t.form in words.SLIGHTS for t in sentence[j : j + 3]):
            yield Hit(HATE, form), i, j
