from __future__ import annotations

import re

import pytest

from storybot.config import PROJECT_ROOT
from storybot.models import Story, StoryRequest
from storybot.story import validate
from storybot.story.validate import character_names, story_problems
from tests.stories import story, with_page


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
        ({"text": "가" * 401}, "page 2 text is 401 characters (at most 400)"),
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


def test_names_come_from_the_request_and_mid_sentence_capitals() -> None:
    request = StoryRequest(
        era="now", place="town", characters="Leo the lion, a duck", topic="x", language="en"
    )
    texts = ["One day Leo met Pip by the pond. Pip was a duck.", "Happy, they met Mom."]
    # "One" and "Happy" open sentences; "Mom" is not a name
    assert character_names(request, texts) == {"Leo", "Pip"}
    assert character_names(request, ["The duck swam."]) == {"Leo"}


def test_bounds_match_the_grammar() -> None:
    grammar = (PROJECT_ROOT / "grammars" / "story.gbnf").read_text(encoding="utf-8")
    bounds = dict(re.findall(r"^(\w+)\s+::= .*\{1,(\d+)\}", grammar, flags=re.MULTILINE))
    assert int(bounds["title"]) == validate.TITLE_MAX
    assert int(bounds["text"]) == validate.TEXT_MAX
    assert int(bounds["sheet"]) == validate.SHEET_MAX
    assert int(bounds["prompt"]) == validate.PROMPT_MAX
