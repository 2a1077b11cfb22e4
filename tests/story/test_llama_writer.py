"""The real llama.cpp writer, running the real grammar on a tiny random-weight GGUF."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from storybot.errors import LLMUnavailableError
from storybot.models import PAGE_COUNT, StoryRequest
from storybot.story import DraftPage, LlamaCppWriter, StoryAuthor, WrittenStory
from storybot.story.prompt import build_messages
from storybot.story.writers import Sampling
from tests.conftest import GRAMMAR
from tests.support.tiny_gguf import build_tiny_gguf

HANGUL = re.compile(r"[가-힣]")


def make_writer(model: Path | str, **options: object) -> LlamaCppWriter:
    return LlamaCppWriter(
        str(model),
        grammar_path=options.pop("grammar_path", GRAMMAR),  # type: ignore[arg-type]
        n_ctx=8192,  # the prompt and the grammar's longest story
        threads=1,
        sampling=Sampling(max_tokens=2000),
    )


async def test_writes_a_valid_korean_story(tiny_gguf: Path, ko_request: StoryRequest) -> None:
    writer = make_writer(tiny_gguf)
    try:
        items = [
            item async for item in StoryAuthor(writer, review=False, seed=7).stream(ko_request)
        ]
    finally:
        await writer.close()
    written = items[-1]
    assert isinstance(written, WrittenStory)
    story = written.story
    assert [page.page for page in story.pages] == list(range(PAGE_COUNT))
    assert HANGUL.search(story.title)
    for page in story.pages:
        assert HANGUL.search(page.text), page.text
        assert page.image_prompt.isascii() and len(page.image_prompt) <= 300
    # Every page was handed on as a draft before the story was finished, in order.
    drafts = [item for item in items if isinstance(item, DraftPage)]
    last = [d for d in drafts if d.attempt == written.attempts]
    assert [d.page for d in last] == story.pages
    assert last[0].title == story.title and last[0].character_sheet == story.character_sheet


async def test_grammar_forces_json_that_ends_at_the_closing_brace(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = make_writer(tiny_gguf)
    try:
        for seed in (1, 2):
            raw = "".join([c async for c in writer.stream(build_messages(ko_request), seed=seed)])
            assert raw.endswith("}")
            data = json.loads(raw)  # nothing before or after the object
            assert list(data) == ["title", "character_sheet", "pages"]
            assert [p["page"] for p in data["pages"]] == [0, 1, 2, 3, 4]
            assert all(list(p) == ["page", "text", "image_prompt"] for p in data["pages"])
    finally:
        await writer.close()


async def test_first_page_arrives_before_the_story_is_written(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = make_writer(tiny_gguf)
    chunks = 0
    first_page_at = None
    try:
        author = StoryAuthor(writer, review=False, seed=3)
        async for item in author.stream(ko_request):
            if isinstance(item, DraftPage) and first_page_at is None:
                first_page_at = item
            if isinstance(item, WrittenStory):
                chunks = item.chunks
    finally:
        await writer.close()
    assert first_page_at is not None and first_page_at.page.page == 0
    assert chunks > 100


async def test_model_is_loaded_once_and_the_loop_stays_free(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = make_writer(tiny_gguf)
    ticks = 0
    running = True

    async def heartbeat() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            await asyncio.sleep(0.005)

    beat = asyncio.create_task(heartbeat())
    try:
        author = StoryAuthor(writer, review=False, seed=11)
        await author.write(ko_request)
        model = writer._llama
        await author.write(ko_request)
        assert writer._llama is model  # kept, not reloaded
    finally:
        running = False
        await beat
        await writer.close()
    assert ticks > 20  # the event loop kept running while llama.cpp worked


async def test_closing_the_stream_early_stops_generation(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = make_writer(tiny_gguf)
    try:
        stream = writer.stream(build_messages(ko_request), seed=5)
        first = await anext(stream)
        await stream.aclose()
        assert first
        # The writer is free again at once: a whole story still comes out.
        written = await StoryAuthor(writer, review=False, seed=5).write(ko_request)
        assert len(written.story.pages) == PAGE_COUNT
    finally:
        await writer.close()


async def test_missing_model_is_one_clear_line(tmp_path: Path, ko_request: StoryRequest) -> None:
    writer = make_writer(tmp_path / "nope.gguf")
    with pytest.raises(LLMUnavailableError, match=r"LLM model not found: .*nope\.gguf") as caught:
        await StoryAuthor(writer, review=False, retries=2).write(ko_request)
    assert "\n" not in str(caught.value)
    await writer.close()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04 this is a zip", r"is not a GGUF file"),
        (b"GGUF\x03\x00\x00\x00truncated", r"could not be loaded \(corrupt or unsupported GGUF\)"),
    ],
)
async def test_corrupt_model_is_one_clear_line(
    tmp_path: Path, ko_request: StoryRequest, content: bytes, expected: str
) -> None:
    path = tmp_path / "broken.gguf"
    path.write_bytes(content)
    writer = make_writer(path)
    with pytest.raises(LLMUnavailableError, match=expected):
        await StoryAuthor(writer, review=False).write(ko_request)
    await writer.close()


async def test_truncated_copy_of_a_real_model(tiny_gguf: Path, tmp_path: Path) -> None:
    path = tmp_path / "half.gguf"
    path.write_bytes(tiny_gguf.read_bytes()[: tiny_gguf.stat().st_size // 2])
    writer = make_writer(path)
    with pytest.raises(LLMUnavailableError, match="could not be loaded"):
        await writer.load()
    await writer.close()


async def test_unreadable_grammar_names_the_setting(tiny_gguf: Path, tmp_path: Path) -> None:
    writer = make_writer(tiny_gguf, grammar_path=tmp_path / "none.gbnf")
    with pytest.raises(LLMUnavailableError, match="LLM_GRAMMAR"):
        await writer.load()
    await writer.close()


async def test_hf_spec_without_a_file_is_refused(ko_request: StoryRequest) -> None:
    writer = make_writer("hf:only-a-repo")
    with pytest.raises(LLMUnavailableError, match=r"expected hf:<owner>/<repo>/<file\.gguf>"):
        await writer.load()
    await writer.close()


async def test_hf_model_that_cannot_be_fetched_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    writer = make_writer("hf:someone/tiny-story-model-GGUF/model-Q4_K_M.gguf")
    with pytest.raises(LLMUnavailableError) as caught:
        await writer.load()
    await writer.close()
    message = str(caught.value)
    assert "could not be fetched from Hugging Face repo someone/tiny-story-model-GGUF" in message
    assert "set LLM_MODEL to its path" in message and "\n" not in message


async def test_a_gguf_without_chat_template_still_writes(
    tmp_path: Path, ko_request: StoryRequest
) -> None:
    model = build_tiny_gguf(tmp_path / "no-template.gguf", chat_template=False)
    writer = make_writer(model)
    try:
        written = await StoryAuthor(writer, review=False, seed=2).write(ko_request)
    finally:
        await writer.close()
    assert len(written.story.pages) == PAGE_COUNT
