"""Field parsers: a raw transcript or typed answer → the clean value of one story field.

"음… 토끼랑 거북이요" → ["토끼", "거북이"]; "조선 시대로 해줘" → "조선시대"; "um, in the
future please" → "future". Korean answers go through Kiwi, the morphological analyzer shared in
storybot.korean: it splits particles (랑, 이요, 에서), the copula (였으면), endings and fillers
(음, 그냥) off the content words, and its dictionary of children's characters keeps names whole
(뽀로로, 콩순이, 타요). Phrases around the answer ("…로 해 주세요", "…에 대한 이야기") are
still matched by the tables in storybot.answers._words, and English answers by tables alone.

Each field's value has one form: era and place a noun phrase (era spaced "조선 시대" is written
"조선시대"); characters a list of names or noun phrases; topic a phrase that still reads as
Korean: a noun phrase (우정, 가족의 사랑), or a verb phrase nominalised with -기 (양치질을 잘 하자
→ 양치질을 잘 하기), never a bare stem. An answer with nothing left is refused with a reason the
user can read (Korean, or English for English input).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

# The word lists and pattern tables live in storybot.answers._words, the Korean path in
# storybot.answers._korean.
from storybot.answers._korean import korean_names, korean_value
from storybot.answers._words import (
    _ARTICLE,
    _EN_FIELD_LEAD,
    _EN_FILLER,
    _EN_LEAD,
    _EN_TAIL,
    _HANGUL,
    _LATIN,
    _PAUSES,
    _QUOTES,
    drop_tokens,
    tidy,
)
from storybot.errors import StorybotError
from storybot.korean import kiwi
from storybot.models import LANGUAGES, FieldType
from storybot.texts import text

MAX_LENGTH = 100
"""StoryRequest keeps each field to 100 characters."""

Value = str | list[str]


class FieldError(StorybotError):
    """An answer that gives no usable value. `key` and `values` name the catalogue's sentence
    for the user, so it can be said in the user's language (`message`); `str()` and `reason`
    say it in the answer's own language."""

    def __init__(
        self,
        field: FieldType | None,
        key: str,
        language: str = "ko",
        **values: object,
    ) -> None:
        self.field = field
        self.key = key
        self.values = values
        self.language = language
        self.reason = self.message(language)
        super().__init__(self.reason)

    def message(self, locale: str) -> str:
        """The sentence for a user who reads `locale`."""
        values = dict(self.values)
        if self.field is not None:
            values.setdefault("object", text(locale, f"answer.object.{self.field.value}"))
            values.setdefault("label", text(locale, f"field.{self.field.value}"))
        return text(locale, self.key, **values)


def field_type(name: str | FieldType) -> FieldType:
    """`"era"` → FieldType.ERA; anything else is refused with the allowed names."""
    try:
        return FieldType(str(name).strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in FieldType)
        raise FieldError(None, "answer.unknown_field", "en", name=name, allowed=allowed) from None


# Text clean-up shared by both languages.


def _clean(text: str) -> str:
    """NFC, no quotes, emoji or pauses, single spaces, no punctuation at the ends."""
    text = unicodedata.normalize("NFC", text)
    # Emoji and symbols become spaces; invisible format characters (zero-width joiners) go.
    text = "".join(
        " " if unicodedata.category(ch) in ("So", "Cs", "Co") else ch
        for ch in text
        if unicodedata.category(ch) != "Cf"
    )
    text = _PAUSES.sub(" ", _QUOTES.sub(" ", text))
    return tidy(text)


def _language(text: str, hint: str | None) -> str:
    if _HANGUL.search(text):
        return "ko"
    if _LATIN.search(text):
        return "en"
    return hint if hint in LANGUAGES else "ko"


# English.


def _english(text: str, field: FieldType) -> str:
    text = drop_tokens(text, _EN_FILLER)
    field_lead = re.compile(rf"^{_EN_FIELD_LEAD[field]}\s+", re.IGNORECASE)
    for _ in range(8):
        before = text
        text = tidy(_EN_LEAD.sub("", text, count=1))
        text = tidy(_EN_TAIL.sub("", text))
        text = tidy(field_lead.sub("", text, count=1))
        if text == before:
            break
    return _ARTICLE.sub("", text)


def _english_names(text: str) -> list[str]:
    parts = re.split(r"\s*(?:,|;|/|&|\+|\band\b|\bplus\b|\bas well as\b)\s*", text, flags=re.I)
    return [_ARTICLE.sub("", tidy(_EN_TAIL.sub("", part))) for part in parts]


# The parsers.


def _refuse(field: FieldType, answer: str, language: str, long: bool = False) -> FieldError:
    shown = answer if len(answer) <= 40 else answer[:39] + "…"
    if long:
        return FieldError(field, "answer.too_long", language, limit=MAX_LENGTH)
    if not answer:
        return FieldError(field, "answer.nothing", language)
    return FieldError(field, "answer.not_found", language, shown=shown)


def _single(field: FieldType) -> Callable[..., str]:
    def parse(text: str, *, language: str | None = None, words: Path | None = None) -> str:
        lang = _language(text, language)
        cleaned = _clean(text)
        if lang == "ko":
            value = tidy(korean_value(cleaned, field, kiwi(words)))
        else:
            value = tidy(_english(cleaned, field))
        if not value:
            raise _refuse(field, cleaned, lang)
        if len(value) > MAX_LENGTH:
            raise _refuse(field, cleaned, lang, long=True)
        return value

    parse.__name__ = f"parse_{field.value}"
    parse.__doc__ = (
        f"The {field.value} from an answer; FieldError if nothing is left. `words` names an "
        "operator's file of extra words for Kiwi (FIELD_WORDS_FILE)."
    )
    return parse


parse_era = _single(FieldType.ERA)
parse_place = _single(FieldType.PLACE)
parse_topic = _single(FieldType.TOPIC)


def parse_characters(
    text: str, *, language: str | None = None, words: Path | None = None
) -> list[str]:
    """The characters' names from an answer ("토끼랑 거북이" → ["토끼", "거북이"])."""
    field = FieldType.CHARACTERS
    lang = _language(text, language)
    cleaned = _clean(text)
    if lang == "ko":
        names = korean_names(cleaned, kiwi(words))
    else:
        names = _english_names(_english(cleaned, field))
    unique: dict[str, str] = {}
    for name in names:
        if name and name.casefold() not in unique:
            unique[name.casefold()] = name
    if not unique:
        raise _refuse(field, cleaned, lang)
    values = list(unique.values())
    if len(as_text(values)) > MAX_LENGTH:
        raise _refuse(field, cleaned, lang, long=True)
    return values


PARSERS: dict[FieldType, Callable[..., Value]] = {
    FieldType.ERA: parse_era,
    FieldType.PLACE: parse_place,
    FieldType.CHARACTERS: parse_characters,
    FieldType.TOPIC: parse_topic,
}


def parse_field(
    field: FieldType | str, text: str, *, language: str | None = None, words: Path | None = None
) -> Value:
    """Parse `text` as `field`: a string, or a list of names for characters.

    `words` is the operator's word file (Settings.field_words_file): its words join the
    shared analyzer's dictionary as proper nouns, once, and are never cut.
    """
    return PARSERS[field_type(field)](text, language=language, words=words)


def as_text(value: Value) -> str:
    """A parsed value as StoryRequest wants it (names joined with ", ")."""
    return ", ".join(value) if isinstance(value, list) else value
