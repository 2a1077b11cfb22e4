"""Field parsers: what a child says (or types) → the clean value of one story field."""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

import pytest
from kiwipiepy import Kiwi

from storybot.answers import korean_names
from storybot.answers.fields import (
    FieldError,
    as_text,
    field_type,
    parse_characters,
    parse_field,
)
from storybot.cli.engine_commands import parse_command
from storybot.config import Settings
from storybot.models import FieldType, StoryRequest

KOREAN = [
    # era
    ("era", "음… 조선시대요", "조선시대"),
    ("era", "조선시대로 해줘", "조선시대"),
    ("era", "때는 조선시대", "조선시대"),
    ("era", "조선시대였으면 좋겠어요", "조선시대"),
    ("era", "고려 시대에요", "고려시대"),  # eras are written as one word, spaced or not
    ("era", "미래로 할래", "미래"),
    ("era", "조선시대를 배경으로 해줘", "조선시대"),
    ("era", "저기 그러니까 공룡 시대요", "공룡시대"),
    ("era", "2050년 미래로 하고 싶어요.", "2050년 미래"),
    ("era", "그 옛날이요", "옛날"),
    ("era", "조선시대에 있었던 이야기", "조선시대"),
    ("era", "어… 아주 먼 옛날", "아주 먼 옛날"),
    ("era", "삼국시대입니다", "삼국시대"),
    # place
    ("place", "바닷가에서요", "바닷가"),
    ("place", "숲이요", "숲"),
    ("place", "바다로 할래요", "바다"),
    ("place", "미로요", "미로"),
    ("place", "미로로 해줘", "미로"),
    ("place", "숲속 마을", "숲속 마을"),
    ("place", "동해요", "동해"),
    ("place", "궁궐이었으면 좋겠어요", "궁궐"),
    ("place", "장소는 우주", "우주"),
    ("place", "그림자 나라", "그림자 나라"),
    ("place", "어린이 놀이터요", "어린이 놀이터"),
    ("place", "용궁으로 해 주세요", "용궁"),
    ("place", "바다로 하면 좋겠어요", "바다"),
    ("place", "“숲속”!!", "숲속"),
    ("place", "'바다'요.", "바다"),
    ("place", "음 요정 마을이요", "요정 마을"),
    ("place", "바다 속 용궁에서 일어나는 이야기", "바다 속 용궁"),
    # characters
    ("characters", "토끼랑 거북이", ["토끼", "거북이"]),
    ("characters", "토끼랑 거북이요", ["토끼", "거북이"]),
    ("characters", "토끼, 거북이 그리고 여우", ["토끼", "거북이", "여우"]),
    ("characters", "토끼와 거북이", ["토끼", "거북이"]),
    ("characters", "고양이랑 호랑이요", ["고양이", "호랑이"]),
    ("characters", "곰이랑 여우하고 원숭이", ["곰", "여우", "원숭이"]),
    ("characters", "요정이랑 마녀", ["요정", "마녀"]),
    ("characters", "흥부와 놀부", ["흥부", "놀부"]),
    ("characters", "음 어 왕자와 공주요", ["왕자", "공주"]),
    ("characters", "주인공은 토끼", ["토끼"]),
    ("characters", "토끼가 나오는 이야기요", ["토끼"]),
    ("characters", "사과와 배", ["사과", "배"]),
    ("characters", "엄마랑 아빠랑 나", ["엄마", "아빠", "나"]),
    ("characters", "해님과 달님", ["해님", "달님"]),
    ("characters", "토끼가 주인공이에요", ["토끼"]),
    ("characters", "용이 나왔으면 좋겠어요", ["용"]),
    ("characters", "토끼랑 토끼랑 거북이", ["토끼", "거북이"]),
    ("characters", "착한 도깨비하고 아이요", ["착한 도깨비", "아이"]),
    # topic
    ("topic", "우정이요", "우정"),
    ("topic", "용기에 대한 이야기를 해줘", "용기"),
    ("topic", "정직을 배우는 이야기요", "정직"),
    ("topic", "우정이 주제예요", "우정"),
    ("topic", "사랑이요", "사랑"),
    ("topic", "가족의 사랑", "가족의 사랑"),
    ("topic", "여름 휴가요", "여름 휴가"),
    ("topic", "동요", "동요"),
    ("topic", "친구를 돕는 이야기", "친구를 돕는 이야기"),
    ("topic", "환경 보호로 할래", "환경 보호"),
    ("topic", "그러니까 음… 나눔이었으면 좋겠어요", "나눔"),
    ("topic", "네, 양보요 ㅎㅎ", "양보"),
    # Issue 12: what the suffix tables got wrong.
    ("characters", "뽀로로", ["뽀로로"]),
    ("characters", "타요", ["타요"]),
    ("characters", "토토로", ["토토로"]),
    ("characters", "마시마로", ["마시마로"]),
    ("characters", "콩순이", ["콩순이"]),
    ("characters", "짱구랑 흰둥이", ["짱구", "흰둥이"]),
    ("characters", "뽀로로랑 크롱이요", ["뽀로로", "크롱"]),
    ("characters", "토끼랑요", ["토끼"]),
    ("characters", "고양이랑 강아지랑요", ["고양이", "강아지"]),
    ("characters", "민준이랑", ["민준이"]),
    ("characters", "엄마랑 나", ["엄마", "나"]),
    ("era", "음 그냥 옛날이요", "옛날"),
    ("era", "조선 시대였으면 좋겠어요", "조선시대"),
    ("place", "놀이터에서요", "놀이터"),
    # A topic stays a phrase that reads as Korean: a verb phrase ends in -기, never a stem.
    ("topic", "양치질을 잘 하자", "양치질을 잘 하기"),
    ("topic", "친구와 사이좋게 지내요", "친구와 사이좋게 지내기"),
    ("topic", "편식하지 않기요", "편식하지 않기"),
    ("topic", "우정으로 해요", "우정"),
    # Unknown words Kiwi reads with the 랑 inside (티렉스랑/NNP) still split before a name.
    ("characters", "티렉스랑 브라키오사우루스", ["티렉스", "브라키오사우루스"]),
    ("characters", "T렉스랑 트리케라톱스", ["T렉스", "트리케라톱스"]),
    ("characters", "“뽀로로”랑 '크롱'", ["뽀로로", "크롱"]),
    ("characters", "토끼,, 거북이", ["토끼", "거북이"]),
    ("characters", "용이랑 공주", ["용", "공주"]),  # Kiwi took 용이 for a name like 민준이
]

ENGLISH = [
    ("characters", "um, a rabbit and a turtle please", ["rabbit", "turtle"]),
    ("characters", "A rabbit, a fox, and the turtle.", ["rabbit", "fox", "turtle"]),
    ("characters", "Mia and her dog", ["Mia", "her dog"]),
    ("characters", "the little prince", ["little prince"]),
    ("characters", "I want a dragon & a knight", ["dragon", "knight"]),
    ("era", "in the future", "future"),
    ("era", "I'd like it to be the Joseon dynasty", "Joseon dynasty"),
    ("era", "uh, the era is medieval times, thanks", "medieval times"),
    ("place", "Uh, the place is a seaside town.", "seaside town"),
    ("place", "on the moon", "moon"),
    ("place", "at the beach I guess", "beach"),
    ("place", "hmm, let's go with an enchanted forest", "enchanted forest"),
    ("topic", "a story about friendship, please", "friendship"),
    ("topic", "It's about being brave", "being brave"),
    ("topic", "Sharing!", "Sharing"),
    ("characters", "Um… Mia's cat and 'Tom'", ["Mia's cat", "Tom"]),
]


@pytest.mark.parametrize(("field", "said", "expected"), KOREAN + ENGLISH)
def test_parsers(field: str, said: str, expected: str | list[str]) -> None:
    assert parse_field(field, said) == expected


def test_the_table_is_big_enough() -> None:
    assert len(KOREAN) >= 40 and len(ENGLISH) >= 10


@pytest.mark.parametrize(
    ("field", "said"),
    [
        ("topic", "음"),
        ("era", "어… 음…"),
        ("place", ""),
        ("place", "   "),
        ("characters", "그 그러니까"),
        ("characters", "저기, 음, 어"),
        ("era", "?!…"),
        ("topic", "해 주세요"),
    ],
)
def test_fillers_only_are_refused_in_korean(field: str, said: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_field(field, said)
    error = caught.value
    assert error.field == FieldType(field) and error.language == "ko"
    assert "다시 말하거나 입력해 주세요" in error.reason


@pytest.mark.parametrize("said", ["um uh", "Um... please", "well, hmm"])
def test_fillers_only_are_refused_in_english(said: str) -> None:
    with pytest.raises(FieldError, match="Please say or type it again") as caught:
        parse_field("era", said)
    assert caught.value.language == "en"


def test_nothing_heard_says_so() -> None:
    assert parse_command("place", "") == {
        "error": "아무것도 들리지 않았어요. 장소를 다시 말하거나 입력해 주세요."
    }
    with pytest.raises(FieldError, match="I didn't hear anything"):
        parse_field("topic", " ", language="en")


def test_too_long_is_refused() -> None:
    with pytest.raises(FieldError, match="너무 길어요"):
        parse_field("topic", "아주 " * 60 + "긴 이야기")
    with pytest.raises(FieldError, match="too long"):
        parse_characters(", ".join(f"rabbit number {i}" for i in range(20)))


def test_parse_command() -> None:
    assert parse_command("characters", "토끼랑 거북이요") == {"value": ["토끼", "거북이"]}
    assert parse_command("era", "조선시대로 해줘") == {"value": "조선시대"}
    refused = parse_command("topic", "음…")
    assert list(refused) == ["error"] and "주제를" in refused["error"]


def test_unknown_field_names_the_allowed_ones() -> None:
    with pytest.raises(FieldError, match="era, place, characters, topic"):
        field_type("weather")
    assert field_type(" Era ") is FieldType.ERA


def test_values_fit_a_story_request() -> None:
    values = {f.value: parse_field(f, said) for f, said in zip(FieldType, _ANSWERS, strict=True)}
    request = StoryRequest(**{k: as_text(v) for k, v in values.items()})
    assert request.characters == "토끼, 거북이"
    assert (request.era, request.place, request.topic) == ("조선시대", "궁궐", "우정")


_ANSWERS = ["음 조선시대요", "궁궐이요", "토끼랑 거북이요", "우정에 관한 이야기요"]


def test_operator_words_from_the_setting_are_never_cut(tmp_path: Path) -> None:
    # 수호랑 (a mascot) ends in 랑, "and": without the operator's file it is cut.
    said = "수호랑이랑 반다비요"
    assert parse_field("characters", said) != ["수호랑", "반다비"]
    words = tmp_path / "names.txt"
    words.write_text("# our mascots\n수호랑\n반다비  # the other one\n\n", encoding="utf-8")
    settings = Settings.load(env={"FIELD_WORDS_FILE": str(words)}, env_file=None)
    assert settings.field_words_file == words
    assert parse_field("characters", said, words=settings.field_words_file) == ["수호랑", "반다비"]
    assert parse_command("characters", "수호랑", words=words) == {"value": ["수호랑"]}


def test_a_missing_words_file_stops_start_up(tmp_path: Path) -> None:
    from storybot.errors import ConfigError

    with pytest.raises(ConfigError, match="FIELD_WORDS_FILE"):
        Settings.load(env={"FIELD_WORDS_FILE": str(tmp_path / "none.txt")}, env_file=None)


@pytest.fixture(scope="module")
def bare_kiwi() -> Kiwi:
    """Kiwi without the children's-character dictionary, as for a name nobody listed."""
    return Kiwi()


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("타요", ["타요"]),  # Kiwi reads 타 + 어요 ("ride"); a noun field keeps the word
        ("토토로", ["토토로"]),  # 토토 + 로 ("to Toto"): a name said alone keeps its 로
        ("토토로로 해 주세요", ["토토로"]),  # …but before a request the 로 is a particle
        ("콩순이요", ["콩순이"]),  # 콩/순 are guesses: the 이 stays, the 요 goes
        ("마시마로랑 토끼", ["마시마로", "토끼"]),
        ("토끼로요", ["토끼"]),  # a known noun: 로 and 요 are particles
    ],
)
def test_unlisted_names_ending_in_i_ro_yo_stay_whole(
    bare_kiwi: Kiwi, said: str, expected: list[str]
) -> None:
    assert korean_names(said, bare_kiwi) == expected


def test_a_parse_takes_well_under_a_millisecond_or_so() -> None:
    answers = [("characters", "음 뽀로로랑 크롱이랑 토끼랑요"), ("topic", "친구와 사이좋게 지내요")]
    answers += [("era", "조선 시대였으면 좋겠어요"), ("place", "그러니까 놀이터에서요")]
    for field, said in answers:
        parse_field(field, said)  # Kiwi loaded and warm
    times = []
    for _ in range(20):
        started = time.perf_counter()
        for field, said in answers:
            parse_field(field, said)
        times.append((time.perf_counter() - started) / len(answers))
    # About 0.25 ms on one core; the bound only catches a reload or a runaway loop per parse.
    assert statistics.median(times) < 0.02


def test_a_words_file_that_is_not_text_stops_start_up(tmp_path: Path) -> None:
    from storybot.config import Settings
    from storybot.errors import ConfigError

    binary = tmp_path / "words.txt"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    with pytest.raises(ConfigError, match=r"FIELD_WORDS_FILE=.*UTF-8"):
        Settings.load(env={}, env_file=None, field_words_file=binary)


@pytest.mark.parametrize(("field", "answer"), [("place", "ok"), ("era", "um uh"), ("topic", "")])
def test_a_refusal_speaks_the_users_language_not_the_answers_letters(
    field: str, answer: str
) -> None:
    """A Korean client typing "ok" (or saying "um uh") reads Korean; an English one English."""
    with pytest.raises(FieldError) as refused:
        parse_field(field, answer, language="ko")
    korean, english = refused.value.message("ko"), refused.value.message("en")
    assert re.search("[가-힣]", korean) and not re.search(
        "[A-Za-z]{4,}", korean.replace(answer, "")
    )
    assert not re.search("[가-힣]", english) and field in english
