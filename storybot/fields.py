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
from dataclasses import dataclass

from storybot.errors import StorybotError
from storybot.models import FieldType

MAX_LENGTH = 100
"""StoryRequest keeps each field to 100 characters."""

Value = str | list[str]

# The field's name in refusals: (subject, object form) in Korean; English uses the enum value.
KOREAN_LABELS = {
    FieldType.ERA: ("시대", "시대를"),
    FieldType.PLACE: ("장소", "장소를"),
    FieldType.CHARACTERS: ("등장인물", "등장인물을"),
    FieldType.TOPIC: ("주제", "주제를"),
}


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

# Apostrophes stay only inside English words (let's, Mia's); 'quotes' around Korean go.
_QUOTES = re.compile(r"[\"“”„«»‹›「」『』()\[\]{}<>]|(?<![A-Za-z])['‘’`]|['‘’`](?![A-Za-z])")
_PAUSES = re.compile(r"…+|\.{2,}|~+|ㅡ+")
_EDGES = re.compile(r"^[\s.,!?;:。、，！？\-–—·]+|[\s.,!?;:。、，！？\-–—·]+$")
_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[A-Za-z]")


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

_KO_FILLER = re.compile(
    r"(?:음+|으+음*|어+|엄+|아+|에+|흠+|그+|저+|저기+요?|거시기|그러니까요?|그니까|있잖아요?"
    r"|뭐+|뭐지|뭐더라|뭐였지|글쎄요?|그게|그럼|일단|아무튼|근데|네+|예|응+|요|이요|에요"
    r"|[ㄱ-ㅎㅏ-ㅣ]+|u+m+|u+h+|h+m+|e+r+m*)",
    re.IGNORECASE,
)
_KO_LEAD = re.compile(
    r"^(?:(?:제|내|나의|저의)\s*생각(?:에는|엔|에|은)|저는|전|나는|난|우리는"
    r"|(?:시대|때|시기|배경|장소|곳|등장인물|인물|주인공들?|캐릭터|주제|테마|교훈|이야기)"
    r"\s*(?:은|는|이|가|:))\s+"
)

# Nouns that end in what looks like a particle or ending; never cut inside them.
# fmt: off
PROTECTED = frozenset({
    "고양이", "호랑이", "원숭이", "거북이", "부엉이", "올챙이", "지렁이", "달팽이", "반딧불이",
    "어린이", "멍멍이", "야옹이", "꿀꿀이", "곰돌이", "쌍둥이", "돌멩이", "오뚝이", "바둑이",
    "누렁이", "꼬맹이", "쟁이", "놀이", "미로", "도로", "통로", "휴가", "요가", "화가", "아가",
    "사과", "동요",
})
# fmt: on
_PROTECTED = re.compile("|".join(sorted(PROTECTED, key=len, reverse=True)))

# Whether an ending may follow the syllable before it.
ANY, VOWEL, BATCHIM, VOWEL_OR_L, BATCHIM_NOT_L = range(5)


@dataclass(frozen=True)
class _Ending:
    pattern: re.Pattern[str]
    after: int = ANY
    word: bool = False
    """A separate word: it must follow a space or a particle, never the middle of a noun."""


def _endings(spec: Iterable[tuple[str, int]], word: bool = False) -> list[_Ending]:
    return [_Ending(re.compile(f"(?:{body})$"), after, word) for body, after in spec]


def _pairs(*pairs: tuple[str, str]) -> list[tuple[str, int]]:
    """(after a final consonant, after a vowel) forms: 이요/요, 으로/로, 과/와…"""
    spec: list[tuple[str, int]] = []
    for long, short in pairs:
        spec.append((long, BATCHIM_NOT_L if long.startswith("으") else BATCHIM))
        spec.append((short, VOWEL_OR_L if short == "로" else VOWEL))
    return spec


_REQUESTS = _endings(
    (
        (
            r"(?:해|하여)\s*(?:주세요|줘요?|주라|줄래요?|주실래요?|주면\s*좋겠어요?|줬으면\s*"
            r"(?:좋겠어요?|해요?))|할래요?|할게요?|할까요?|하자|합시다|하고\s*싶어요?|하고\s*싶습니다"
            r"|하고\s*싶은데요?|하면\s*좋겠어요?|했으면\s*(?:좋겠어요?|해요?)|하면\s*(?:돼요?|될\s*것\s*같아요)"
            r"|해요|합니다|하겠습니다|해|부탁해요?|부탁합니다|부탁드려요|주세요|줘요?|가자|갈래요?"
            r"|가고\s*싶어요?|원해요?|있으면\s*좋겠어요?",
            ANY,
        ),
    ),
    word=True,
)
_COPULAS = _endings(
    [
        *_pairs(
            (r"이었으면\s*(?:좋겠어요?|좋겠다|해요?)", r"였으면\s*(?:좋겠어요?|좋겠다|해요?)"),
            (r"이면\s*좋겠어요?", r"면\s*좋겠어요?"),
            ("이었어요", "였어요"),
            ("이에요", "예요"),
            ("이요", "요"),
            ("이야", "야"),
            ("이죠", "죠"),
            ("이라고요?", "라고요?"),
            ("이랍니다", "랍니다"),
        ),
        ("에요|입니다|인데요?|이고요", ANY),
    ]
)
_EVALUATIVES = _endings(
    [
        (r"좋아요?|좋겠어요?|좋을\s*것\s*같아요", ANY),
        (r"어때요?|어떨까요?|어떠세요|(?:인\s*것\s*)?같아요", ANY),
    ],
    word=True,
)
_SUBJECT = _pairs(("이", "가"), ("은", "는"), ("을", "를"))
_DIRECTION = _pairs(("으로", "로"))
_COMITATIVE = _endings([*_pairs(("이랑", "랑"), ("과", "와")), ("하고", ANY)])

_PARTICLES = {
    FieldType.ERA: _endings([*_DIRECTION, ("에서|에", ANY), *_SUBJECT]),
    FieldType.PLACE: _endings([*_DIRECTION, ("에서|에", ANY), *_SUBJECT]),
    FieldType.TOPIC: _endings([*_DIRECTION, *_SUBJECT]),
    FieldType.CHARACTERS: _COMITATIVE + _endings([*_DIRECTION, *_SUBJECT]),
}
_SETTING = r"배경|(?:있었던|일어난|일어나는|벌어지는|펼쳐지는|살던)\s*(?:이야기|얘기|일)"
_PHRASES = {
    FieldType.ERA: _endings([(_SETTING, ANY)], word=True),
    FieldType.PLACE: _endings([(_SETTING, ANY)], word=True),
    FieldType.TOPIC: _endings(
        [
            (r"에\s*(?:대한|관한)\s*(?:이야기|얘기|내용|것|거|동화)", ANY),
            (r"(?:배우는|알려\s*주는|가르쳐\s*주는|다룬|담은)\s*(?:이야기|얘기|동화)", ANY),
            ("주제|교훈", ANY),
        ],
        word=False,
    ),
    FieldType.CHARACTERS: _endings(
        [
            (
                r"(?:나오는|등장하는|주인공인)\s*(?:이야기|얘기|동화)|(?:나왔으면|나오면|등장했으면)\s*"
                r"좋겠어요?|나오게\s*해\s*주세요|나와요?|주인공들?",
                ANY,
            )
        ],
        word=True,
    ),
}
_PARTICLE_END = re.compile(r"(?:\s|[로를을가이은는랑과와고에서])$")


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


_KO_AND = {"그리고", "그리고요", "및", "또", "또는", "랑", "이랑", "하고", "와", "과", "and", "&"}


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

_EN_FILLER = re.compile(r"u+m+|u+h+|e+r+m*|h+m+|a+h+|e+h+|m+h*m+|uh-huh", re.IGNORECASE)
_EN_LEAD = re.compile(
    r"^(?:well|so|okay|ok|oh|yeah|yes|sure|like|hmm|and|please|maybe|perhaps|let me think"
    r"|let's see|you know|i mean|i think|i guess|how about|what about"
    r"|i(?:'d| would) (?:like|love)(?: it to be| to have| to use| to hear)?"
    r"|i want(?: it to be| to have| to hear)?|i(?:'ll| will) (?:go with|pick|choose|take|say)"
    r"|let(?:'s| us) (?:go with|do|have|pick|say|make it)|can (?:it|we) be"
    r"|could (?:it|we) (?:be|have)|can you make it|make it|it(?:'s| is| should be| will be)"
    r"|(?:the |my )?(?:era|time|period|place|setting|location|characters?|heroes|cast|topic"
    r"|theme|subject)(?: (?:is|are|should be|will be)|\s*:))(?:\s+|,\s*|$)",
    re.IGNORECASE,
)
_EN_FIELD_LEAD = {
    FieldType.ERA: r"(?:set )?(?:in|during|around|at)",
    FieldType.PLACE: r"(?:set |it takes place |takes place )?(?:in|at|on|inside)",
    FieldType.CHARACTERS: r"(?:starring|featuring|about)",
    FieldType.TOPIC: r"(?:(?:a |the )?story (?:about|of)|it's about|about|learning about)",
}
_EN_TAIL = re.compile(
    r"(?:,?\s*(?:please|thanks|thank you|i guess|i think|maybe|i suppose|too|as well"
    r"|if (?:that's|that is|it's) (?:ok|okay|possible|fine)|if possible"
    r"|(?:for|as) the (?:era|place|setting|characters|heroes|topic|theme|story)"
    r"|in the story|would be (?:nice|great|cool|good)|(?:is|are) (?:good|fine|great|nice)))$",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:a|an|the|some)\s+", re.IGNORECASE)


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
