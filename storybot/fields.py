"""Field parsers: a raw transcript or typed answer → the clean value of one story field.

"음… 토끼랑 거북이요" → ["토끼", "거북이"]; "조선시대로 해줘" → "조선시대"; "um, in the
future please" → "future". Fillers are dropped only as whole words (그림자 starts with 그),
endings and particles only as suffixes, and only where Korean grammar allows them: 이요 follows
a final consonant (숲이요), 요 a vowel (바다요), so 동요 and 사과 keep their last syllable.
Nouns that merely end like a particle (고양이, 미로, 휴가) are listed in PROTECTED.
An answer with nothing left is refused with a reason the user can read (Korean, or English
for English input).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

# The word lists and pattern tables live in storybot._field_words.
from storybot._field_words import (
    _ARTICLE,
    _COMITATIVE,
    _COPULAS,
    _EDGES,
    _EN_FIELD_LEAD,
    _EN_FILLER,
    _EN_LEAD,
    _EN_TAIL,
    _EVALUATIVES,
    _HANGUL,
    _KO_AND,
    _KO_FILLER,
    _KO_LEAD,
    _LATIN,
    _PARTICLE_END,
    _PARTICLES,
    _PAUSES,
    _PHRASES,
    _PROTECTED,
    _QUOTES,
    _REQUESTS,
    ANY,
    BATCHIM,
    BATCHIM_NOT_L,
    KOREAN_LABELS,
    VOWEL,
    VOWEL_OR_L,
    _Ending,
)
from storybot._field_words import PROTECTED as PROTECTED  # the nouns never cut inside
from storybot.errors import StorybotError
from storybot.models import FieldType

MAX_LENGTH = 100
"""StoryRequest keeps each field to 100 characters."""

Value = str | list[str]


class FieldError(StorybotError):
    """An answer that gives no usable value; `reason` is the sentence to show the user."""

    def __init__(self, field: FieldType | None, reason: str, language: str = "ko") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.language = language


def field_type(name: str | FieldType) -> FieldType:
    """`"era"` → FieldType.ERA; anything else is refused with the allowed names."""
    try:
        return FieldType(str(name).strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in FieldType)
        raise FieldError(None, f"unknown field {name!r}: one of {allowed}", "en") from None


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
    return _tidy(text)


def _tidy(text: str) -> str:
    return _EDGES.sub("", " ".join(text.split()))


def _language(text: str, hint: str | None) -> str:
    if _HANGUL.search(text):
        return "ko"
    if _LATIN.search(text):
        return "en"
    return hint if hint in ("ko", "en") else "ko"


def _drop_tokens(text: str, filler: re.Pattern[str]) -> str:
    """Remove filler words, matched on whole tokens (their punctuation ignored)."""
    kept = [tok for tok in text.split() if not filler.fullmatch(tok.strip(".,!?;:~"))]
    return " ".join(kept)


# Korean.


def _jong(ch: str) -> int | None:
    """Final consonant index of a Hangul syllable (0 = none, 8 = ㄹ); None if not Hangul."""
    return (ord(ch) - 0xAC00) % 28 if "가" <= ch <= "힣" else None


def _allowed(ch: str, after: int) -> bool:
    jong = _jong(ch)
    if jong is None or after == ANY:
        return True  # after Latin letters or digits (AI요, T렉스) grammar says nothing
    return {
        VOWEL: jong == 0,
        BATCHIM: jong > 0,
        VOWEL_OR_L: jong in (0, 8) and ch != "으",
        BATCHIM_NOT_L: jong not in (0, 8),
    }[after]


def _strip_once(text: str, endings: Iterable[_Ending]) -> str:
    """Remove the first ending that fits; text unchanged if none does."""
    for ending in endings:
        match = ending.pattern.search(text)
        if match is None:
            continue
        cut = match.start()
        rest = text[:cut].rstrip()
        if not rest:
            if ending.word:
                return ""  # the whole answer was "해 주세요": nothing asked for
            continue
        if not _allowed(rest[-1], ending.after):
            continue
        if ending.word and not _PARTICLE_END.search(text[:cut]):
            continue
        inside = [m for m in _PROTECTED.finditer(text) if m.start() < cut < m.end()]
        if inside:
            # 고양이요: the 이 belongs to the noun; only what follows it is an ending.
            if inside[0].end() >= len(text):
                continue
            rest = text[: inside[0].end()]
        return rest
    return text


def _strip_korean(text: str, groups: list[list[_Ending]]) -> str:
    """Strip endings from the right until none fits; the groups are tried in order."""
    for _ in range(16):
        for group in groups:
            stripped = _tidy(_strip_once(text, group))
            if stripped != text:
                text = stripped
                break
        else:
            return text
    return text


def _korean(text: str, field: FieldType) -> str:
    text = _drop_tokens(text, _KO_FILLER)
    while (lead := _KO_LEAD.sub("", text, count=1)) != text:
        text = lead
    groups = [_REQUESTS + _PHRASES[field], _COPULAS, _EVALUATIVES, _PARTICLES[field]]
    return _strip_korean(_tidy(text), groups)


def _korean_names(text: str) -> list[str]:
    names: list[str] = []
    for chunk in re.split(r"\s*[,，、/&+·]\s*", text):
        current: list[str] = []
        for token in chunk.split():
            if token in _KO_AND:
                names.append(" ".join(current))
                current = []
                continue
            joined = _strip_once(token, _COMITATIVE)
            current.append(joined)
            if joined != token:
                names.append(" ".join(current))
                current = []
        names.append(" ".join(current))
    item_groups = [_COPULAS, _PARTICLES[FieldType.CHARACTERS]]
    return [_strip_korean(_tidy(_drop_tokens(n, _KO_FILLER)), item_groups) for n in names]


# English.


def _english(text: str, field: FieldType) -> str:
    text = _drop_tokens(text, _EN_FILLER)
    field_lead = re.compile(rf"^{_EN_FIELD_LEAD[field]}\s+", re.IGNORECASE)
    for _ in range(8):
        before = text
        text = _tidy(_EN_LEAD.sub("", text, count=1))
        text = _tidy(_EN_TAIL.sub("", text))
        text = _tidy(field_lead.sub("", text, count=1))
        if text == before:
            break
    return _ARTICLE.sub("", text)


def _english_names(text: str) -> list[str]:
    parts = re.split(r"\s*(?:,|;|/|&|\+|\band\b|\bplus\b|\bas well as\b)\s*", text, flags=re.I)
    return [_ARTICLE.sub("", _tidy(_EN_TAIL.sub("", part))) for part in parts]


# The parsers.


def _refuse(field: FieldType, text: str, language: str, long: bool = False) -> FieldError:
    label, object_form = KOREAN_LABELS[field] if language == "ko" else (field.value, field.value)
    shown = text if len(text) <= 40 else text[:39] + "…"
    if language == "ko":
        if long:
            reason = f"{label}이(가) 너무 길어요. {MAX_LENGTH}자 안으로 말하거나 입력해 주세요."
        elif not text:
            reason = f"아무것도 들리지 않았어요. {object_form} 다시 말하거나 입력해 주세요."
        else:
            reason = f"'{shown}'에서 {object_form} 찾지 못했어요. 다시 말하거나 입력해 주세요."
    elif long:
        reason = f"The {label} is too long: please keep it under {MAX_LENGTH} characters."
    elif not text:
        reason = f"I didn't hear anything. Please say or type the {object_form} again."
    else:
        reason = f"I couldn't find the {object_form} in '{shown}'. Please say or type it again."
    return FieldError(field, reason, language)


def _single(field: FieldType) -> Callable[..., str]:
    def parse(text: str, *, language: str | None = None) -> str:
        lang = _language(text, language)
        cleaned = _clean(text)
        value = _tidy(_korean(cleaned, field) if lang == "ko" else _english(cleaned, field))
        if not value:
            raise _refuse(field, cleaned, lang)
        if len(value) > MAX_LENGTH:
            raise _refuse(field, cleaned, lang, long=True)
        return value

    parse.__name__ = f"parse_{field.value}"
    parse.__doc__ = f"The {field.value} from an answer; FieldError if nothing is left."
    return parse


parse_era = _single(FieldType.ERA)
parse_place = _single(FieldType.PLACE)
parse_topic = _single(FieldType.TOPIC)


def parse_characters(text: str, *, language: str | None = None) -> list[str]:
    """The characters' names from an answer ("토끼랑 거북이" → ["토끼", "거북이"])."""
    field = FieldType.CHARACTERS
    lang = _language(text, language)
    cleaned = _clean(text)
    if lang == "ko":
        names = _korean_names(_korean(cleaned, field))
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


def parse_field(field: FieldType | str, text: str, *, language: str | None = None) -> Value:
    """Parse `text` as `field`: a string, or a list of names for characters."""
    return PARSERS[field_type(field)](text, language=language)


def as_text(value: Value) -> str:
    """A parsed value as StoryRequest wants it (names joined with ", ")."""
    return ", ".join(value) if isinstance(value, list) else value


def parse_command(field: str, text: str) -> dict[str, Value]:
    """`storybot parse`: {"value": …} or {"error": the reason it was refused}."""
    try:
        return {"value": parse_field(field, text)}
    except FieldError as exc:
        return {"error": exc.reason}
