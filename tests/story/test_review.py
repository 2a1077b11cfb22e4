"""The content review: what a parent would reject is named, what a real 7B model writes is not.

The faults are the ones seen from real small models (a 270M base model, a 135M instruct
model): pages cut at the length limit, English on Korean pages, the instructions returned as
the story, the prompt's example copied, the asked-for characters left out, one page five times.
"""

from __future__ import annotations

import pytest

from storybot.models import Page, Story, StoryRequest
from storybot.story import repair
from storybot.story.names import NameBook
from storybot.story.prompt import build_messages, system_prompt
from storybot.story.review import (
    Instructions,
    page_findings,
    requested_characters,
    retry_note,
    story_findings,
)
from storybot.story.validate import bounds
from tests.support.stories import REALISTIC_EN, REALISTIC_KO, Sample, story

KO = StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")
EN = StoryRequest(
    era="today", place="a seaside town", characters="Mia", topic="courage", language="en"
)


def _review(data: dict, request: StoryRequest) -> list[str]:
    """Every finding on `data` as the writer reviews it: pages as they close (after their
    repair), then the whole story."""
    instructions = Instructions(build_messages(request), request)
    limits = bounds(request)
    found = []
    pages = []
    for raw in data["pages"]:
        limit = limits.cover if raw["page"] == 0 else limits.text
        text, _ = repair.story_text(raw["text"], limit, whole_sentences=raw["page"] > 0)
        page = Page(page=raw["page"], text=text, image_prompt=raw["image_prompt"])
        pages.append(page)
        found += page_findings(page, request, instructions, limit)
    whole = Story(title=data["title"], character_sheet=data["character_sheet"], pages=pages)
    found += story_findings(whole, request, instructions)
    return [f"{finding.kind}@{finding.where}" for finding in found]


@pytest.mark.parametrize("sample", REALISTIC_EN + REALISTIC_KO, ids=lambda s: s.data["title"][:20])
def test_what_a_real_7b_model_writes_passes(sample: Sample) -> None:
    assert _review(sample.data, sample.request) == []


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_sample_stories_pass(language: str) -> None:
    assert _review(story(language), KO if language == "ko" else EN) == []


def test_a_page_cut_at_the_limit_is_cut_back_to_its_last_whole_sentence() -> None:
    limit = bounds(KO).text
    text = "호랑이가 궁궐 마당을 걸었어요. " + "토끼가 연못가에서 노래를 부르며 " * 20
    cut, notes = repair.story_text(text[:limit], limit, whole_sentences=True)
    assert cut == "호랑이가 궁궐 마당을 걸었어요." and notes


def test_a_page_with_no_whole_sentence_is_a_fault_and_the_retry_says_so() -> None:
    data = story("ko")
    data["pages"][2]["text"] = "어느 날 작은 토끼가 궁궐 연못에 빠져서 호랑이가 달려가"
    found = _review(data, KO)
    assert found == ["cut@page 2"]
    note = retry_note(
        page_findings(
            Page(page=2, text=data["pages"][2]["text"], image_prompt="a pond"),
            KO,
            Instructions(build_messages(KO), KO),
            bounds(KO).text,
        ),
        "ko",
    )
    assert "2쪽" in note and "끊겼" in note


def test_a_title_and_a_prompt_at_the_limit_end_on_a_whole_word() -> None:
    title, _ = repair.title("The Tiger and the Rabbit Who Became Best Friends Forev", 54)
    assert title == "The Tiger and the Rabbit Who Became Best Friends"
    prompt, _ = repair.english("a big orange tiger, a small white rabbit, a palace garde", 56)
    assert prompt == "a big orange tiger, a small white rabbit"


def test_english_on_a_korean_page_is_a_fault_but_an_abbreviation_is_not() -> None:
    data = story("ko")
    data["pages"][1]["text"] = "호랑이는 She was very lonely in the palace. 늘 혼자였어요."
    assert _review(data, KO) == ["language@page 1"]
    data["pages"][1]["text"] = "호랑이는 밤마다 TV 소리를 흉내 냈어요. 늘 혼자였답니다."
    assert _review(data, KO) == []


def test_the_instructions_returned_as_the_story_are_an_echo() -> None:
    prompt_lines = system_prompt(KO).splitlines()
    data = story("ko")
    data["pages"][3]["text"] = prompt_lines[1]  # "무섭거나 폭력적인 장면, 위험한 행동…"
    data["title"] = "따뜻하고 다정한 이야기를 한국어로 씁니다"
    found = _review(data, KO)
    assert "echo@page 3" in found and "echo@title" in found


def test_the_childs_own_words_repeated_in_a_page_are_no_echo() -> None:
    data = story("ko")
    data["pages"][1]["text"] = "조선시대 궁궐에 호랑이와 토끼가 살았어요. 둘은 우정을 배웠어요."
    assert _review(data, KO) == []


def test_a_copied_example_or_a_missing_character_is_named() -> None:
    """A sheet about another animal (the old prompt's rabbit with a red scarf, in a book about
    a bear) and pages that never mention the bear."""
    request = StoryRequest(era="옛날", place="숲", characters="곰", topic="나눔")
    data = story("ko")
    data["character_sheet"] = "a small white rabbit with long ears, wearing a red scarf"
    found = _review(data, request)
    assert "missing@story" in found and "missing@character sheet" in found


def test_a_named_child_may_be_described_without_the_name() -> None:
    data = story("en")  # "a small girl with black braids…" for Mia
    assert _review(data, EN) == []
    data["character_sheet"] = "a tall lighthouse keeper; an old grey cat"
    data["character_sheet"] = "Tom: a tall lighthouse keeper"
    assert _review(data, EN) == ["missing@character sheet"]


def test_five_identical_pages_and_two_letter_pages_are_faults() -> None:
    data = story("ko")
    for page in data["pages"][1:]:
        page["text"] = data["pages"][1]["text"]
    found = _review(data, KO)
    assert found == ["repeated@page 2", "repeated@page 3", "repeated@page 4"]
    data = story("ko")
    data["pages"][4]["text"] = "끝이에요."
    assert _review(data, KO) == ["short@page 4"]


def test_the_requested_characters_are_read_as_a_child_gives_them() -> None:
    asked = requested_characters(
        StoryRequest(era="a", place="b", characters="호랑이랑 곰이랑, 산타 할아버지", topic="c")
    )
    assert [(a.asked, a.nouns) for a in asked] == [
        ("호랑이", ("tiger",)),  # 랑 joins two characters
        ("곰", ("bear",)),
        ("산타 할아버지", ("grandfather",)),
    ]
    english = requested_characters(
        StoryRequest(
            era="a", place="b", characters="Mia and a brave knight", topic="c", language="en"
        )
    )
    assert [(a.names, a.nouns) for a in english] == [(("Mia",), ()), ((), ("knight",))]


def test_a_pronoun_is_never_a_name() -> None:
    book = NameBook.build(EN, "She is a small girl with a yellow raincoat", ["She ran. He smiled."])
    assert book.names == {"Mia"}  # from the request; "She" and "He" are nobody's names


def test_a_childs_own_words_and_a_sheets_own_kinds_are_not_faults() -> None:
    """Untuned: "우리 강아지 뭉치랑 고양이" is two friends; a sheet may say dog for 강아지,
    kitten for 고양이, bunny for 토끼."""
    from storybot.story.review import sheet_findings

    asked = requested_characters(
        StoryRequest(
            era="오늘", place="우리 집", characters="우리 강아지 뭉치랑 고양이", topic="우정"
        )
    )
    assert [a.asked for a in asked] == ["우리 강아지 뭉치", "고양이"]
    assert sheet_findings("a small white dog with a red collar; a grey kitten", asked) == []
    tiger_rabbit = requested_characters(KO)
    assert (
        sheet_findings("an orange tiger in a blue vest; a fluffy white bunny", tiger_rabbit) == []
    )
    assert len(sheet_findings("an orange tiger in a blue vest; a brown bear", tiger_rabbit)) == 1
