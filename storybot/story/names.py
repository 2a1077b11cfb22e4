"""The story's character names, and what to say instead of them in an image prompt.

A picture model does not know who "Mia" or "Horangi" is, so an image prompt must describe a
character, not name it. Names come from what the story declares, never from capitalisation:
the request's characters field (English names as written, Korean ones romanised), the labels
of the character sheet ("Horangi: a big orange tiger ..."), and names the English text gives
("a duck called Pip", "Leo the lion"). Places, cultures and festivals (Joseon, Korean,
Gyeongbokgung, Christmas Eve) are not names, however they are capitalised.

Each name carries its description from the character sheet (or a plain noun), which
`storybot.story.repair` writes in its place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from storybot.models import StoryRequest


# Revised Romanization of Korean, syllable by syllable (linking a final consonant to a
# following silent ㅇ); enough to recognise a romanised name, not a full transliterator.
def _table(letters: str) -> tuple[str, ...]:
    return tuple(letters.split(" "))


_INITIALS = _table("g kk n d tt r m b pp s ss - j jj ch k t p h")
_VOWELS = _table("a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i")
_FINALS = _table(" k k k n n n t l k m l l l p l m p p t t ng t t k t p t")
_LINKED = _table(" g kk ks n nj nh d r lg lm lb ls lt lp lh m b bs s ss ng j ch k t p h")
_FUZZY = [("eo", "o"), ("eu", ""), ("ae", "e"), ("oo", "o"), ("ee", "i"), ("ph", "p"),
          ("ch", "j"), ("sh", "s"), ("ck", "k"), ("x", "ks")]  # fmt: skip
_FUZZY_LETTERS = str.maketrans("cqgdblfvzuwy", "kkktprppjo  ")

# Korean nouns a child asks for, with the English word a character sheet uses for them.
KO_NOUNS = {
    "호랑이": "tiger", "토끼": "rabbit", "거북이": "turtle", "곰": "bear", "여우": "fox",
    "강아지": "puppy", "개": "dog", "고양이": "cat", "용": "dragon", "공주": "princess",
    "왕자": "prince", "왕": "king", "여왕": "queen", "할머니": "grandmother",
    "할아버지": "grandfather", "엄마": "mother", "아빠": "father", "친구": "friend",
    "소녀": "girl", "소년": "boy", "아이": "child", "새": "bird", "돼지": "pig",
    "원숭이": "monkey", "코끼리": "elephant", "사자": "lion", "다람쥐": "squirrel",
    "까치": "magpie", "개구리": "frog", "오리": "duck", "닭": "chicken", "병아리": "chick",
    "물고기": "fish", "나비": "butterfly", "도깨비": "goblin", "선녀": "fairy",
    "해님": "sun", "달님": "moon", "로봇": "robot", "공룡": "dinosaur", "펭귄": "penguin",
    "부엉이": "owl", "사슴": "deer", "말": "horse", "소": "cow", "양": "sheep",
}  # fmt: skip

# Capitalised words that are never a character's name: places, cultures, festivals, titles.
NOT_NAMES = frozenset(
    re.split(
        r"\s+",
        """A An The I Mr Mrs Ms Dr Mom Dad Mommy Daddy Grandma Grandpa Little Old Young Big Small
    Korean Korea Joseon Goryeo Silla Baekje Gojoseon Hanbok Hanok Seoul Busan Jeju Gyeongbokgung
    Changdeokgung Deoksugung Namsan Hangang Han Jirisan Seoraksan Hallasan Chuseok Seollal Dano
    Christmas Easter Halloween Thanksgiving Eve New Year Day Night Morning Lunar Moon Sun
    English American British Chinese Japanese European African Asian Indian French Spanish
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Spring Summer Autumn Fall Winter
    Once One Then Today Tomorrow Yesterday Everyone Everybody
    I He She It We You They Him Her His Its Our Your Their Them Us Me My Mine Hers Theirs
    This That These Those There Here Who What When Where Why How And But Or So Yes No Oh Wow
    Hello Hi Please Thank Thanks Someone Somebody Nobody Nothing Everything Something""",
    )
)
ARTICLES = frozenset({"a", "an", "the"})
NEUTRAL = "a friendly character"

_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*\b")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]{2,}\b")
_HANGUL_WORD = re.compile(r"[가-힣]+")
_CALLED = re.compile(
    r"\b(?:an?|the)\s+(?:[a-z]+\s+){0,3}?([a-z]+),?\s+(?:called|named)\s+([A-Z][a-z]+)"
)
_CALLED_BARE = re.compile(r"\b(?:called|named)\s+([A-Z][a-z]+)")
_THE_NOUN = re.compile(r"\b([A-Z][a-z]+) the ([a-z]+)\b")
_LABEL_SPLIT = re.compile(r"^(.{1,40}?)\s*(?::|\s[-–—]\s)\s*(.+)$")
_LABEL_IS = re.compile(r"^([A-Z][a-z]+(?: [A-Z][a-z]+){0,2})(?:,| is)\s+((?:an?|the)\s.+)$")
_PARENTHETICAL = re.compile(r"\s*\(([^)]*)\)")
_SURNAME = re.compile(r" ([A-Z][a-z]+)\b(?!')")


def romanise(word: str) -> str:
    """`word`'s Hangul syllables in Revised Romanization (other characters are dropped)."""
    codes = [ord(c) - 0xAC00 for c in word if "가" <= c <= "힣"]
    out = []
    for i, code in enumerate(codes):
        initial, vowel, final = code // 588, code % 588 // 28, code % 28
        if initial != 11:  # ㅇ is silent as an initial
            out.append(_INITIALS[initial])
        out.append(_VOWELS[vowel])
        linked = i + 1 < len(codes) and codes[i + 1] // 588 == 11
        out.append(_LINKED[final] if linked and final != 21 else _FINALS[final])
    return "".join(out)


def name_key(word: str) -> str:
    """A spelling-blind key: "Pororo" and "Pporoeo", "Chulsoo" and "Cheolsu" agree."""
    key = re.sub(r"[^a-z]", "", word.lower())
    for old, new in _FUZZY:
        key = key.replace(old, new)
    key = key.translate(_FUZZY_LETTERS).replace(" ", "")
    return re.sub(r"(.)\1+", r"\1", key)


@dataclass
class Character:
    """A name, how to spot it in a prompt, and what to write instead."""

    name: str
    key: str | None = None  # a romanised Korean name matches by key, in any spelling
    noun: str | None = None  # a plain noun for the character: "tiger", "girl"
    description: str = NEUTRAL

    @property
    def head(self) -> str:
        """The description's noun with "the": for a second mention or a possessive."""
        core = re.split(r",| with | wearing | in | who | that | from ", self.description)[0]
        words = [w for w in re.findall(r"[A-Za-z-]+", core) if w.lower() not in ARTICLES]
        return f"the {words[-1].lower()}" if words else "the character"


@dataclass
class SheetEntry:
    label: str | None
    description: str


@dataclass
class NameBook:
    """Every name the story declares; `find` spots them in a text."""

    characters: list[Character] = field(default_factory=list)
    korean: dict[str, Character] = field(default_factory=dict)  # Hangul word -> character

    @classmethod
    def build(cls, request: StoryRequest, sheet: str = "", texts: Iterable[str] = ()) -> NameBook:
        """The names of `request`'s characters field, the sheet's labels and the texts."""
        entries = sheet_entries(sheet)
        found: dict[str, Character] = {}

        def add(character: Character) -> None:
            known = found.get(character.name.lower())
            if known is None:
                found[character.name.lower()] = character
            elif known.noun is None:
                known.noun = character.noun

        book = cls()
        for part in re.split(r"[,/&·+]|\band\b|\bwith\b", request.characters):
            for name in _english_names(part):
                noun = _noun_after_the(part, name)
                add(Character(name, noun=noun))
            for word in _HANGUL_WORD.findall(part):
                base = _strip_particle(word)
                noun = KO_NOUNS.get(base)
                if len(base) >= 2:
                    roman = romanise(base)
                    character = Character(roman.capitalize(), key=name_key(roman), noun=noun)
                    add(character)
                    book.korean[base] = found[character.name.lower()]
                elif noun:
                    book.korean[base] = Character(base, noun=noun)
        for entry in entries:
            if entry.label:
                for name in _english_names(_PARENTHETICAL.sub("", entry.label)):
                    add(Character(name))
        for text in texts:
            for match in _CALLED.finditer(text):
                add(Character(match.group(2), noun=match.group(1)))
            for match in _CALLED_BARE.finditer(text):
                add(Character(match.group(1)))
            for match in _THE_NOUN.finditer(text):
                if match.group(1) not in NOT_NAMES:
                    add(Character(match.group(1), noun=match.group(2)))
        book.characters = list(found.values())
        claimed: set[int] = set()
        for character in [*book.characters, *book.korean.values()]:
            character.description, entry = _describe(character, entries, len(book.characters))
            if entry is not None:
                claimed.add(entry)
        # One undescribed character and one unclaimed sheet entry: they are each other's.
        vague = [c for c in book.characters if c.description == NEUTRAL]
        free = [e for i, e in enumerate(entries) if i not in claimed]
        if len(vague) == 1 and len(free) == 1:
            vague[0].description = _short(free[0].description)
        # A description must not name anyone itself ("Minjun's grandmother").
        for character in [*book.characters, *book.korean.values()]:
            for start, end, other in reversed(book.find(character.description)):
                text = character.description
                character.description = text[:start] + other.head + text[end:]
        return book

    @property
    def names(self) -> set[str]:
        return {character.name for character in self.characters}

    def find(self, text: str) -> list[tuple[int, int, Character]]:
        """Where names occur in `text`: (start, end, character), in order, not overlapping."""
        spans: list[tuple[int, int, Character]] = []
        for character in sorted(self.characters, key=lambda c: -len(c.name)):
            pattern = rf"(?<![A-Za-z]){re.escape(character.name)}(?![a-z])"
            spans += [(m.start(), m.end(), character) for m in re.finditer(pattern, text)]
            if character.key and len(character.key) >= 3:
                for match in _CAPITALISED.finditer(text):
                    word = match.group(0)
                    if word not in NOT_NAMES and name_key(word) == character.key:
                        spans.append((match.start(), match.end(), character))
        chosen: list[tuple[int, int, Character]] = []
        for start, end, character in sorted(spans, key=lambda s: (s[0], -s[1])):
            if not chosen or start >= chosen[-1][1]:
                # A capitalised word right after a name belongs to it ("Santa Claus").
                while (more := _SURNAME.match(text, end)) and more.group(1) not in NOT_NAMES:
                    end = more.end()
                chosen.append((start, end, character))
        return chosen


def sheet_entries(sheet: str) -> list[SheetEntry]:
    """The sheet's entries: "Label: description" lines, or bare descriptions."""
    entries = []
    for part in re.split(r"[;\n]+|(?<=[.!?])\s+(?=[A-Z])", sheet):
        part = part.strip(" \t.-*•")
        if not part:
            continue
        match = _LABEL_SPLIT.match(part) or _LABEL_IS.match(part)
        if match and len(match.group(1).split()) <= 5:
            entries.append(SheetEntry(match.group(1).strip(" *"), match.group(2).strip()))
        else:
            entries.append(SheetEntry(None, part))
    return entries


def _english_names(text: str) -> list[str]:
    """Capitalised runs in `text` that are not places, cultures or festivals."""
    names = []
    for match in _CAPITALISED_RUN.finditer(text):
        words = match.group(0).split(" ")
        while words and words[0].lower() in ARTICLES:
            words.pop(0)
        if any(word not in NOT_NAMES for part in words for word in part.split("-")):
            names.append(" ".join(words))
    return names


def _noun_after_the(part: str, name: str) -> str | None:
    match = re.search(rf"{re.escape(name)},?\s+(?:the|a|an)\s+(?:[a-z]+\s+)*?([a-z]+)\s*$", part)
    return match.group(1) if match else None


def _strip_particle(word: str) -> str:
    for particle in ("이랑", "하고", "이요", "랑", "와", "과"):
        if word.endswith(particle) and word[: -len(particle)] and word not in KO_NOUNS:
            return word[: -len(particle)]
    return word


def _describe(
    character: Character, entries: list[SheetEntry], names: int
) -> tuple[str, int | None]:
    """The sheet's description of `character` (and the entry's index), or a plain noun."""
    for index, entry in enumerate(entries):
        label = entry.label or ""
        words = re.findall(r"[A-Za-z]+", _PARENTHETICAL.sub("", label))
        named = re.search(rf"\b{re.escape(character.name)}\b", label, re.IGNORECASE)
        if named or (character.key and any(name_key(w) == character.key for w in words)):
            return _short(entry.description), index
    if character.noun:
        noun = re.compile(rf"\b{re.escape(character.noun)}s?\b", re.IGNORECASE)
        for index, entry in enumerate(entries):
            if noun.search(entry.label or "") or noun.search(entry.description):
                return _short(entry.description), index
        return _with_article(character.noun), None
    if names == 1 and len(entries) == 1:
        return _short(entries[0].description), 0
    return NEUTRAL, None


def _short(description: str) -> str:
    """The description up to its first comma (when that leaves enough), with an article."""
    text = description.strip().rstrip(".")
    head = text.split(",")[0]
    if len(head.split()) >= 3:
        text = head
    if len(text) > 120:
        text = text[:120].rsplit(" ", 1)[0]
    return _with_article(text)


def _with_article(text: str) -> str:
    first = text.split(" ", 1)[0].lower()
    if first in ARTICLES or first.isdigit() or first in {"one", "two", "three", "some"}:
        return text
    return f"{'an' if first[:1] in 'aeiou' else 'a'} {text}"
