"""The child-safety screen: requests a children's picture-book bot turns down, before any GPU time.

Matching is on normalised text (NFKC, lower case, punctuation inside Korean words removed,
so "마.약" still matches). Korean terms are matched inside words, since particles attach to
them, with a short list of harmless words that contain them (마약김밥, 대마왕); English terms
as whole words. The same intent is in the LLM prompt and the negative image prompt; this screen only
stops what should never reach them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from storybot.models import StoryRequest

CATEGORIES_KO: dict[str, tuple[str, ...]] = {
    "violence": (
        "살인",
        "살해",
        "학살",
        "죽여",
        "죽이기",
        "죽이러",
        "고문하",
        "피투성이",
        "총격",
        "총으로",
        "총을 쏘",
        "칼로 찌르",
        "칼부림",
        "폭탄",
        "테러",
        "목을 베",
        "잔인하게",
    ),
    "sexual": (
        "섹스",
        "성관계",
        "야한 ",
        "음란",
        "포르노",
        "야동",
        "강간",
        "성폭행",
        "알몸",
        "누드",
    ),
    "drugs": ("마약", "필로폰", "대마", "코카인", "헤로인", "각성제", "본드흡입"),
    "self-harm": ("자살", "자해", "목매", "손목긋"),
    "hate": ("인종차별", "혐오", "홀로코스트"),
}
CATEGORIES_EN: dict[str, tuple[str, ...]] = {
    "violence": (
        "kill",
        "killing",
        "murder",
        "massacre",
        "torture",
        "gore",
        "gory",
        "bloody",
        "gun",
        "guns",
        "gunfight",
        "stab",
        "stabbing",
        "bomb",
        "terrorist",
        "terrorism",
        "behead",
    ),
    "sexual": ("sex", "sexy", "porn", "porno", "nude", "naked", "rape", "erotic", "nsfw"),
    "drugs": ("drugs", "cocaine", "heroin", "meth", "marijuana", "lsd"),
    "self-harm": ("suicide", "self-harm", "self harm", "kill myself", "cut myself"),
    "hate": ("nazi", "racist", "racism", "hate speech", "slur", "genocide"),
}
# Harmless words that contain a Korean term above.
ALLOWED_KO = (
    "마약김밥",
    "마약떡볶이",
    "마약옥수수",
    "대마도",
    "대마왕",
    "대마법사",
    "누드김밥",
    "자살골",
)

REFUSAL_KO = (
    "이 이야기는 어린이 그림책으로 만들 수 없어요. 🙏 다른 주제로 따뜻한 이야기를 만들어 볼까요?"
)
REFUSAL_EN = (
    "That one can't become a children's picture book. 🙏 "
    "How about a different topic for a warm, friendly story?"
)


@dataclass(frozen=True)
class Verdict:
    """The screen's answer: allowed, or refused with the category and a friendly message."""

    allowed: bool
    category: str | None = None
    term: str | None = None
    message: str = ""


def normalise(text: str) -> str:
    """NFKC, lower case, separators collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _korean_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=[가-힣])[^\w\s]+(?=[가-힣])", "", text)  # 마.약 → 마약
    text = f" {normalise(text)} "
    for harmless in ALLOWED_KO:
        text = text.replace(harmless, " ")
    return text


def screen_text(text: str) -> tuple[str, str] | None:
    """(category, term) of the first refused term in `text`, or None."""
    korean = _korean_key(text)
    for category, terms in CATEGORIES_KO.items():
        for term in terms:
            if term in korean:
                return category, term
    english = f" {normalise(text.replace('-', ''))} "
    for category, terms in CATEGORIES_EN.items():
        for term in terms:
            if f" {normalise(term.replace('-', ''))} " in english:
                return category, term
    return None


def screen(request: StoryRequest, *, enabled: bool = True) -> Verdict:
    """Screen all four answers; the refusal speaks the request's language."""
    if not enabled:
        return Verdict(True)
    text = " | ".join((request.era, request.place, request.characters, request.topic))
    found = screen_text(text)
    if found is None:
        return Verdict(True)
    category, term = found
    message = REFUSAL_EN if request.language == "en" else REFUSAL_KO
    return Verdict(False, category, term, message)
