"""What real 7B models write is accepted on the first attempt, slipped names described.

The answers in `tests.support.stories` come through the OpenAI chat-completions protocol, streamed
in small pieces, as a llama-server would send them.
"""

from __future__ import annotations

import logging
import re

import pytest

from storybot.models import Story, StoryRequest
from storybot.story import LlamaServerWriter, StoryAuthor, WrittenStory, repair
from storybot.story.names import NameBook
from storybot.story.validate import story_problems
from storybot.story.writers import Sampling
from tests.conftest import GRAMMAR
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import REALISTIC_EN, REALISTIC_KO, Sample, story, with_page

SAMPLES = REALISTIC_EN + REALISTIC_KO


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.data["title"][:24])
async def test_realistic_story_is_accepted_first_time(
    llama_server: FakeLlamaServer, sample: Sample, caplog: pytest.LogCaptureFixture
) -> None:
    llama_server.replies = [Reply(sample.content(), chunk_size=3)]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR, sampling=Sampling())
    caplog.set_level(logging.INFO, logger="storybot.story")
    try:
        written = await StoryAuthor(writer, retries=0, seed=1).write(sample.request)
    finally:
        await writer.close()
    assert written.attempts == 1
    story = written.story
    assert story_problems(story, sample.request) == []
    prompts = " | ".join(page.image_prompt for page in story.pages)
    for name in sample.slipped:
        assert not re.search(rf"\b{name}\b", prompts), name
        assert f"described {name}" in caplog.text  # each repair is logged
    for kept in sample.kept:
        assert kept in prompts, kept
    # Story text is kept as written, only trimmed.
    for page, original in zip(story.pages, sample.data["pages"], strict=True):
        assert page.text == original["text"].strip()
    assert all(page.image_prompt.isascii() for page in story.pages)


def test_six_of_each_language() -> None:
    assert len(REALISTIC_EN) >= 6 and len(REALISTIC_KO) >= 6
    assert {s.request.language for s in REALISTIC_EN} == {"en"}
    assert {s.request.language for s in REALISTIC_KO} == {"ko"}


def book(request: StoryRequest, sheet: str, *texts: str) -> NameBook:
    return NameBook.build(request, sheet, list(texts))


def test_a_slipped_name_becomes_the_characters_description(ko_request: StoryRequest) -> None:
    names = book(ko_request, "Horangi: a big orange tiger with black stripes, in a blue vest")
    prompt, notes = repair.english("Horangi smiling in Gyeongbokgung, Joseon-era", 300, names)
    assert prompt == "a big orange tiger with black stripes smiling in Gyeongbokgung, Joseon-era"
    assert notes == ["described Horangi instead of naming them"]


def test_romanised_korean_names_are_found_in_any_spelling() -> None:
    request = StoryRequest(era="현대", place="숲", characters="뽀로로, 크롱, 철수", topic="놀이")
    names = book(request, "a blue penguin; a green dinosaur; a boy with a cap")
    found = [c.name for _, _, c in names.find("Pororo, Crong and Chulsoo play; Ppororo too")]
    assert found == ["Ppororo", "Keurong", "Cheolsu", "Ppororo"]
    # Korean nouns map to the sheet by their English word; places are never names
    assert names.find("A Korean Joseon palace at Christmas") == []


def test_second_mentions_and_possessives_are_short(en_request: StoryRequest) -> None:
    names = book(en_request, "Mia: a small girl with black braids, a yellow raincoat")
    prompt, _ = repair.english("Mia's lantern glows as Mia and the Mia climb", 300, names)
    assert prompt == "the girl's lantern glows as a small girl with black braids and the girl climb"


def test_names_the_text_declares(en_request: StoryRequest) -> None:
    names = book(en_request, "", "Once there was a little duck called Pip. Leo the lion waved.")
    assert {"Mia", "Pip", "Leo"} <= names.names
    prompt, _ = repair.english("Pip and Leo by the pond", 300, names)
    assert prompt == "a duck and a lion by the pond"


def test_capitalised_places_and_festivals_are_not_names(en_request: StoryRequest) -> None:
    text = "Christmas Eve at Gyeongbokgung: a Joseon-era palace, Korean hanbok, Seollal"
    names = book(en_request, "a small girl", text)
    assert names.find(text) == []


def test_the_image_side_is_made_plain_ascii() -> None:
    prompt, notes = repair.english("  “Café” — a tiger… 🐯 under a 달 moon  ", 300)
    assert prompt == "Cafe - a tiger... under a moon"
    assert "made plain ASCII" in notes
    sheet, _ = repair.english("Pororo: a blue penguin\nCrong: a green dinosaur", 300)
    assert sheet == "Pororo: a blue penguin; Crong: a green dinosaur"


def test_long_text_is_cut_after_a_whole_sentence() -> None:
    text, notes = repair.story_text("첫 문장이에요. 둘째 문장이에요. 셋째 문장은 아주 길어요", 20)
    assert text == "첫 문장이에요. 둘째 문장이에요."
    assert notes and "cut" in notes[0]
    assert repair.story_text('  "호랑이와 토끼"  ', 40)[0] == "호랑이와 토끼"


async def test_what_cannot_be_repaired_still_fails(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    empty = with_page(story(), 2, text="   ")
    no_korean = with_page(story(), 3, text="Just English here.")
    llama_server.replies = [Reply(_dumps(empty)), Reply(_dumps(no_korean))]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    try:
        with pytest.raises(Exception, match="page 3 text has no Korean"):
            await StoryAuthor(writer, retries=1).write(ko_request)
    finally:
        await writer.close()


def test_a_repaired_story_is_valid(ko_request: StoryRequest) -> None:
    data = with_page(story(), 1, image_prompt="Horangi sitting alone")
    assert story_problems(Story.model_validate(data), ko_request) == [
        "page 1 image prompt names Horangi instead of describing them"
    ]


def _dumps(data: dict) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


async def test_a_name_declared_late_is_described_in_earlier_prompts(
    llama_server: FakeLlamaServer, en_request: StoryRequest
) -> None:
    data = with_page(story("en"), 1, image_prompt="Pip waddling on a beach at dusk")
    data = with_page(data, 3, text="She met a little duck called Pip on the stairs.")
    llama_server.replies = [Reply(_dumps(data))]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    try:
        items = [item async for item in StoryAuthor(writer, retries=0).stream(en_request)]
    finally:
        await writer.close()
    written = items[-1]
    assert isinstance(written, WrittenStory) and written.attempts == 1
    assert written.story.pages[1].image_prompt == "a duck waddling on a beach at dusk"
