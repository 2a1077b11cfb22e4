"""What the field parsers strip: fillers, leads, request phrases, and how they read Kiwi's tags."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storybot.models import FieldType

# The field's name in refusals: (subject, object form) in Korean; English uses the enum value.
# Text clean-up shared by both languages.

# Apostrophes stay only inside English words (let's, Mia's); 'quotes' around Korean go.
_QUOTES = re.compile(r"[\"“”„«»‹›「」『』()\[\]{}<>]|(?<![A-Za-z])['‘’`]|['‘’`](?![A-Za-z])")
_PAUSES = re.compile(r"…+|\.{2,}|~+|ㅡ+")
_EDGES = re.compile(r"^[\s.,!?;:。、，！？\-–—·]+|[\s.,!?;:。、，！？\-–—·]+$")
_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[A-Za-z]")


def tidy(text: str) -> str:
    """Single spaces, no punctuation at the ends."""
    return _EDGES.sub("", " ".join(text.split()))


def drop_tokens(text: str, filler: re.Pattern[str]) -> str:
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

# Kiwi's tags (Sejong tag set) as the field parsers read them.
NOMINAL = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "SL", "SN", "SH", "XSN", "XPN", "XR"})
PREDICATE = frozenset({"VV", "VA", "VX", "VCN", "XSV", "XSA"})
_SYMBOLS = frozenset({"SF", "SP", "SS", "SSO", "SSC", "SE", "SO", "SW", "SB"})


def is_function(tag: str, form: str) -> bool:
    """Particles, endings, the copula and punctuation: what is cut off a content word.

    A trailing 요 is Kiwi's MM or IC when it follows a particle (토끼랑요): cut too.
    """
    return tag[0] in "JE" or tag == "VCP" or tag in _SYMBOLS or form == "요"


COMITATIVE = frozenset({"랑", "이랑", "와", "과", "하고", "하구", "이랑은", "랑은"})
"""Particles that join names (Kiwi tags them JC, sometimes JKB)."""

# Adverbs and discourse words that are fillers only at the start of an answer (그냥 옛날이요).
_KO_LEAD_FILLER = frozenset({"그냥", "막", "뭐", "아니", "그래서", "그럼", "자"})


@dataclass(frozen=True)
class _Ending:
    pattern: re.Pattern[str]
    word: bool = False
    """A separate word: it must follow a space or a particle, never the middle of a noun."""


def _endings(spec: Iterable[str], word: bool = False) -> list[_Ending]:
    return [_Ending(re.compile(f"(?:{body})$"), word) for body in spec]


# Requests around the answer: "조선시대로 해 주세요". The light ones (하자, 해요…) are also how a
# topic phrase ends (양치질을 잘 하자), so for topics they count only after 로 (우정으로 해요).
_DEFINITE = (
    r"(?:해|하여)\s*(?:주세요|줘요?|주라|줄래요?|주실래요?|주면\s*좋겠어요?|줬으면\s*"
    r"(?:좋겠어요?|해요?))|하고\s*싶어요?|하고\s*싶습니다"
    r"|하고\s*싶은데요?|하면\s*좋겠어요?|했으면\s*(?:좋겠어요?|해요?)|하면\s*(?:돼요?|될\s*것\s*같아요)"
    r"|부탁해요?|부탁합니다|부탁드려요|주세요|줘요?|가고\s*싶어요?|원해요?|있으면\s*좋겠어요?"
)
_LIGHT = r"할래요?|할게요?|할까요?|하자|합시다|해요|합니다|하겠습니다|해|가자|갈래요?"
_REQUESTS = _endings([f"{_DEFINITE}|{_LIGHT}"], word=True)
_TOPIC_REQUESTS = _endings([_DEFINITE, rf"(?<=로)\s*(?:{_LIGHT})"], word=True)
_EVALUATIVES = _endings(
    [r"좋아요?|좋겠어요?|좋을\s*것\s*같아요", r"어때요?|어떨까요?|어떠세요|(?:인\s*것\s*)?같아요"],
    word=True,
)
_SETTING = r"배경|(?:있었던|일어난|일어나는|벌어지는|펼쳐지는|살던)\s*(?:이야기|얘기|일)"
_PHRASES = {
    FieldType.ERA: _endings([_SETTING], word=True),
    FieldType.PLACE: _endings([_SETTING], word=True),
    FieldType.TOPIC: _endings(
        [
            r"에\s*(?:대한|관한)\s*(?:이야기|얘기|내용|것|거|동화)",
            r"(?:배우는|알려\s*주는|가르쳐\s*주는|다룬|담은)\s*(?:이야기|얘기|동화)",
            "주제|교훈",
        ]
    ),
    FieldType.CHARACTERS: _endings(
        [
            r"(?:나오는|등장하는|주인공인)\s*(?:이야기|얘기|동화)|(?:나왔으면|나오면|등장했으면)\s*"
            r"좋겠어요?|나오게\s*해\s*주세요|나와요?|주인공들?"
        ],
        word=True,
    ),
}
_PARTICLE_END = re.compile(r"(?:\s|[로를을가이은는랑과와고에서])$")


_KO_AND = {"그리고", "그리고요", "및", "또", "또는", "랑", "이랑", "하고", "와", "과", "and", "&"}


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
