from __future__ import annotations

import pytest

from storybot.models import StoryRequest
from storybot.safety import REFUSAL_EN, REFUSAL_KO, screen, screen_text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("마약을 파는 토끼", "drugs"),
        ("마.약 이야기", "drugs"),
        ("호랑이가 토끼를 죽여요", "violence"),
        ("총으로 싸우는 전쟁", "violence"),
        ("자살하는 곰", "self-harm"),
        ("성관계", "sexual"),
        ("인종차별하는 왕", "hate"),
        ("a rabbit who sells cocaine", "drugs"),
        ("the fox wants to KILL the duck", "violence"),
        ("Self-Harm", "self-harm"),
        ("self harm", "self-harm"),
        ("naked dancing", "sexual"),
        ("a nazi castle", "hate"),
    ],
)
def test_refused(text: str, category: str) -> None:
    found = screen_text(text)
    assert found is not None and found[0] == category


@pytest.mark.parametrize(
    "text",
    [
        "조선시대 궁궐의 호랑이와 토끼",
        "마약김밥 가게의 고양이",  # a snack, not a drug
        "대마왕을 물리친 용사",  # the great demon king
        "대마도로 떠난 배",  # an island
        "나 치킨 좋아",  # 나치 only across a space
        "숙제를 해야한다",
        "임진왜란 시대의 용감한 아이",
        "a shooting star over the sea",
        "a rabbit and a turtle race",
        "the killer whale who sang",
        "누드김밥을 만드는 곰",
    ],
)
def test_allowed(text: str) -> None:
    assert screen_text(text) is None


def request(topic: str, language: str = "ko") -> StoryRequest:
    return StoryRequest(era="옛날", place="숲", characters="토끼", topic=topic, language=language)


def test_refusal_is_friendly_in_the_requests_language() -> None:
    verdict = screen(request("마약"))
    assert not verdict.allowed and verdict.message == REFUSAL_KO and verdict.category == "drugs"
    english = screen(request("murder", "en"))
    assert not english.allowed and english.message == REFUSAL_EN


def test_screen_can_be_switched_off() -> None:
    assert screen(request("마약"), enabled=False).allowed
    assert screen(request("우정")).allowed
