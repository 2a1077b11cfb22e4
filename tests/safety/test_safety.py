"""The request screen on the real Kiwi analyzer: normalisation, meaning, innocent traps."""

from __future__ import annotations

import time

import pytest

from storybot.models import StoryRequest
from storybot.safety import (
    REFUSAL_EN,
    REFUSAL_KO,
    base,
    leet_variants,
    screen,
    screen_text,
    spaced_words,
)


@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        ("ㅅㅏㄹㅇㅣㄴ", "살인"),
        ("ㅈㅏㅅㅏㄹ", "자살"),
        ("ㄱㅘㄴ", "관"),  # compound vowel
        ("ㄷㅏㄺ", "닭"),  # compound final
        ("ㅆㅂ", "ㅆㅂ"),  # consonants alone stay shorthand
        ("마.약", "마약"),
        ("마ㅡ약", "마약"),  # a vowel used as a dash
        ("살\u200b인", "살인"),  # a zero-width space
        ("ＫＩＬＬ", "kill"),
        ("ﾡ", "ㄱ"),  # half-width jamo
        ("\u1109\u1161\u11af", "살"),  # conjoining jamo, as in NFD text
    ],
)
def test_base_view(typed: str, seen: str) -> None:
    assert base(typed) == seen


def test_leetspeak_reads_both_ways_of_1() -> None:
    assert "kill the cat" in leet_variants("k1ll the cat")
    assert "killing" in leet_variants("ki11ing")
    assert leet_variants("3 little pigs and 1 wolf") == []  # numbers alone are numbers
    assert leet_variants("sh!t") == ["shit"]


def test_spaced_letters_join_only_into_one_word() -> None:
    assert [w.word for w in spaced_words("살 인")] == ["살인"]
    assert [w.word for w in spaced_words("k.i.l.l it")] == ["kill"]
    assert [w.word for w in spaced_words("살 인을 저지른")] == ["살인을"]
    assert [w.word for w in spaced_words("자, 해 봐")] == ["해봐"]  # a comma ends a run


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Korean verbs in any ending, nouns with particles.
        ("사람을 죽이는 이야기", "violence"),
        ("친구를 죽인 토끼", "violence"),
        ("엄마를 죽였어요", "violence"),
        ("잔혹한 살육", "violence"),
        ("참수당하는 왕", "violence"),
        ("칼로 친구를 찌르는 아이", "weapons"),
        ("왕의 목을 베는 장군", "violence"),
        ("총으로 사람을 쏘는 사냥꾼", "weapons"),
        ("술에 취해서 가족을 때리는 아빠", "drugs"),
        ("마약을 파는 토끼", "drugs"),
        ("손목을 긋는 소녀", "self-harm"),
        ("흑인은 더러워", "hate"),
        ("존나 웃긴 토끼", "profanity"),
        # Evasions.
        ("살 인", "violence"),
        ("섹 스", "sexual"),
        ("마 약", "drugs"),
        ("자 살", "self-harm"),
        ("ㅅㅏㄹㅇㅣㄴ", "violence"),
        ("ㅅㅂ", "profanity"),
        ("씨 발", "profanity"),
        ("K.I.L.L", "violence"),
        ("k1ll", "violence"),
        ("s3x", "sexual"),
        ("f*ck", "profanity"),
        ("tlqkf", "profanity"),  # 시발 typed with the keyboard in English mode
        # English inflections.
        ("murdered", "violence"),
        ("stabbed", "violence"),
        ("a school shooting", "violence"),
        ("the killers", "violence"),
        ("kill myself", "self-harm"),
    ],
)
def test_refused(text: str, category: str) -> None:
    found = screen_text(text)
    assert found is not None and found.category == category, found


@pytest.mark.parametrize(
    "text",
    [
        "마약김밥",
        "마약 김밥",
        "누드김밥",
        "누드 김밥",
        "폭탄세일",
        "폭탄 세일",
        "자살골",
        "대마왕을 물리친 용사",
        "killer whale",
        "a naked mole rat",
        "a water gun fight",
        "toy sword",
        "물총놀이",
        "the wolf and the three little pigs",
        "해와 달이 된 오누이",
        "호랑이가 엄마를 잡아먹었어요",
        "빨간 모자",
        "little red riding hood",
        "혹부리 영감",
        "숨을 죽이고 기다렸어요",  # holding one's breath
        "나무를 베는 나무꾼",
        "베개를 베고 잠들었어요",
        "벌에 쏘인 곰",
        "활 쏘기 대회",
        "새끼 고양이",
        "몇 살인지 알아?",  # 살 + 인지, not 살인
        "시발점이 된 작은 마을",
        "a shooting star",
        "getting a flu shot",
        "the therapist owl",
        "용을 물리친 기사",  # defeating is fine; killing is not
        "a knight who defeats a dragon",
    ],
)
def test_allowed(text: str) -> None:
    assert screen_text(text) is None


def test_killing_a_monster_is_still_killing() -> None:
    assert screen_text("용을 죽이는 기사") is not None
    assert screen_text("the knight kills the dragon") is not None
    assert screen_text("slay the king") is not None


def test_slaying_a_tale_monster_is_a_tale() -> None:
    # St George's register (decided after a held-out request read it as innocent): a knight
    # slays a dragon or an ogre; slaying anyone else, and killing anything, is still refused.
    assert screen_text("the knight slays the dragon and saves the kingdom") is None
    assert screen_text("a girl who slays the giant ogre") is None


def request(topic: str, language: str = "ko", **fields: str) -> StoryRequest:
    answers = {"era": "옛날", "place": "숲", "characters": "토끼", **fields}
    return StoryRequest(topic=topic, language=language, **answers)


def test_refusal_is_friendly_in_the_requests_language() -> None:
    verdict = screen(request("마약"))
    assert not verdict.allowed and verdict.message == REFUSAL_KO and verdict.category == "drugs"
    assert "다른 주제" in verdict.message
    english = screen(request("murder", "en"))
    assert not english.allowed and english.message == REFUSAL_EN and english.term == "murder"
    assert "different topic" in english.message


def test_every_field_is_screened_but_letters_never_join_across_fields() -> None:
    assert not screen(request("우정", characters="살인마 토끼")).allowed
    assert screen(request("살", era="자")).allowed  # "자" and "살" are two answers


def test_screen_can_be_switched_off() -> None:
    assert screen(request("마약"), enabled=False).allowed
    assert screen(request("우정")).allowed


def test_a_screen_costs_about_a_millisecond() -> None:
    screen(request("우정"))  # Kiwi loaded
    texts = ["조선시대 궁궐의 호랑이와 토끼의 우정", "a dragon who is afraid of the dark", "살 인"]
    start = time.perf_counter()
    for _ in range(20):
        for text in texts:
            screen(request(text))
    per_call = (time.perf_counter() - start) / 60 * 1000
    print(f"screen: {per_call:.2f} ms per request")
    assert per_call < 50  # generous: the machine is shared; measured ~1 ms
