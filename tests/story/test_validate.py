from __future__ import annotations

import re

import pytest

from storybot.config import Language
from storybot.models import AgeBand, Story, StoryRequest
from storybot.story import validate
from storybot.story.grammar import BAND_BOUNDS, default_paths
from storybot.story.validate import character_names, story_problems
from tests.support.stories import story, with_page


def problems(data: dict, request: StoryRequest) -> list[str]:
    return story_problems(Story.model_validate(data), request)


def test_valid_stories_have_no_problems(ko_request: StoryRequest, en_request: StoryRequest) -> None:
    assert problems(story(), ko_request) == []
    assert problems(story("en"), en_request) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"text": "  "}, "page 2 text is empty"),
        ({"text": "Once upon a time."}, "page 2 text has no Korean (Hangul) text"),
        ({"text": "가" * 201}, "page 2 text is 201 characters (at most 200)"),
        ({"image_prompt": "호랑이와 토끼"}, "page 2 image prompt is not plain English"),
        ({"image_prompt": "123 456 !!"}, "page 2 image prompt has no English letters"),
        ({"image_prompt": "a tiger " * 40}, "page 2 image prompt is 319 characters (at most 300)"),
        ({"image_prompt": ""}, "page 2 image prompt is empty"),
    ],
)
def test_page_problems(changes: dict, expected: str, ko_request: StoryRequest) -> None:
    found = problems(with_page(story(), 2, **changes), ko_request)
    assert any(problem.startswith(expected) for problem in found), found


def test_cover_is_called_the_cover(ko_request: StoryRequest) -> None:
    assert problems(with_page(story(), 0, text=""), ko_request) == ["cover text is empty"]


def test_title_and_character_sheet(ko_request: StoryRequest) -> None:
    assert problems(story(title="The Tiger"), ko_request) == ["title has no Korean (Hangul) text"]
    found = problems(story(character_sheet="호랑이: 주황색"), ko_request)
    assert found == ["character sheet is not plain English (non-ASCII characters)"]


def test_english_story_needs_no_hangul(en_request: StoryRequest) -> None:
    assert problems(with_page(story("en"), 1, text="Once upon a time."), en_request) == []


def test_names_in_image_prompts_are_refused(en_request: StoryRequest) -> None:
    data = with_page(story("en"), 3, image_prompt="Mia at the top of a lighthouse")
    assert problems(data, en_request) == [
        "page 3 image prompt names Mia instead of describing them"
    ]


def test_names_come_from_what_the_story_declares_not_from_capitals() -> None:
    request = StoryRequest(
        era="now", place="town", characters="Leo the lion, a duck", topic="x", language="en"
    )
    texts = [
        "One day Leo met a duck called Pip by the pond in Gyeongbokgung.",
        "Happy, they met Mom on Christmas Eve in a Joseon-era Korean hanbok.",
    ]
    # Leo from the request, Pip "called" so; places, festivals and cultures are not names
    assert character_names(request, texts) == {"Leo", "Pip"}
    assert character_names(request, ["The duck swam."]) == {"Leo"}
    sheet = "Horangi: a big orange tiger; rabbit: a small white rabbit"
    assert character_names(request, [], sheet) == {"Leo", "Horangi"}


@pytest.mark.parametrize(("language", "band"), list(BAND_BOUNDS))
def test_bounds_match_the_grammar(language: Language, band: AgeBand) -> None:
    request = StoryRequest(
        era="x", place="y", characters="z", topic="w", language=language, age=band
    )
    limits = validate.bounds(request)
    assert limits == BAND_BOUNDS[(language, band)]
    grammar = default_paths()[(language, band)].read_text(encoding="utf-8")
    bounds = dict(re.findall(r"^(\w+)\s+::= .*\{0,(\d+)\}", grammar, flags=re.MULTILINE))
    # each string is one first character, then up to limit - 1 more
    assert int(bounds["title"]) + 1 == limits.title
    assert int(bounds["cover"]) + 1 == limits.cover
    assert int(bounds["text"]) + 1 == limits.text
    assert int(bounds["sheet"]) + 1 == limits.sheet
    assert int(bounds["prompt"]) + 1 == limits.prompt


def test_a_page_too_long_for_the_youngest_is_a_problem(ko_request: StoryRequest) -> None:
    young = ko_request.model_copy(update={"age": "3-5"})
    page = "토끼가 " * 35  # 140 characters: fine at 4-8 (200), too long at 3-5 (120)
    data = with_page(story(), 1, text=page.strip())
    assert problems(data, ko_request) == []
    assert problems(data, young) == ["page 1 text is 139 characters (at most 120)"]
