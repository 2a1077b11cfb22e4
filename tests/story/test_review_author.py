"""The review decides "done": a bad attempt is retried with what was wrong, a model that never
writes a good book fails with a clear reason, and tokens/s counts tokens over generation time."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from storybot.config import PROJECT_ROOT
from storybot.errors import StoryError
from storybot.models import StoryRequest
from storybot.story import LlamaCppWriter, LlamaServerWriter, StoryAuthor
from storybot.story.author import WeakModelError
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, story
from tests.support.tiny_gguf import build_tiny_gguf

GRAMMAR = PROJECT_ROOT / "grammars" / "story.gbnf"


def _cut_story() -> str:
    data = story("ko")
    data["pages"][2]["text"] = "어느 날 작은 토끼가 궁궐 연못에 빠져서 호랑이가 달려가"
    return dumps(data)


def _echo_story() -> str:
    data = story("ko")
    for page in data["pages"][1:]:
        page["text"] = "무섭거나 폭력적인 장면, 위험한 행동, 어른을 위한 내용은 쓰지 않습니다."
    return dumps(data)


async def test_a_faulty_attempt_is_retried_with_what_was_wrong(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    llama_server.replies = [Reply(_cut_story()), Reply(dumps(story("ko")))]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    try:
        written = await StoryAuthor(writer, retries=2, seed=3).write(ko_request)
    finally:
        await writer.close()
    assert written.attempts == 2
    assert written.story.pages[2].text == story("ko")["pages"][2]["text"]
    first, second = (body["messages"][-1]["content"] for body in llama_server.requests[:2])
    assert "지난번 답" not in first
    assert "2쪽이(가) 문장 중간에서 끊겼어요" in second


async def test_a_model_that_never_writes_a_good_book_fails_with_its_reason(
    llama_server: FakeLlamaServer, ko_request: StoryRequest, caplog: pytest.LogCaptureFixture
) -> None:
    llama_server.replies = [Reply(_echo_story()), Reply(_cut_story())]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    caplog.set_level(logging.WARNING, logger="storybot.story")
    try:
        with pytest.raises(WeakModelError) as raised:
            await StoryAuthor(writer, retries=1, seed=3).write(ko_request)
    finally:
        await writer.close()
    assert raised.value.code == "weak_model"
    assert "stops in the middle of a sentence" in str(raised.value)
    operator = [r.getMessage() for r in caplog.records if "too small" in r.getMessage()]
    assert operator and "Qwen2.5-7B-Instruct" in operator[0]
    # the second attempt was told about the echo of the first
    assert "지시문을 그대로 옮겼어요" in llama_server.requests[1]["messages"][-1]["content"]


async def test_without_the_review_the_same_answer_is_accepted(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    """STORY_REVIEW=false: to see what a model writes, whatever it is."""
    llama_server.replies = [Reply(_echo_story())]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    try:
        written = await StoryAuthor(writer, retries=0, review=False).write(ko_request)
    finally:
        await writer.close()
    assert written.attempts == 1


async def test_a_uniformly_random_model_never_writes_a_done_book(
    tmp_path: Path, ko_request: StoryRequest
) -> None:
    """Whatever the grammar allows, a random model writes; none of it is a book."""
    model = build_tiny_gguf(tmp_path / "uniform.gguf", uniform=True)
    writer = LlamaCppWriter(str(model), grammar_path=GRAMMAR, n_ctx=8192)
    try:
        with pytest.raises(StoryError) as raised:
            await StoryAuthor(writer, retries=1, seed=5).write(ko_request)
    finally:
        await writer.close()
    assert isinstance(raised.value, WeakModelError), raised.value


async def test_tokens_per_second_counts_tokens_over_generation_time(
    tiny_gguf: Path, ko_request: StoryRequest, caplog: pytest.LogCaptureFixture
) -> None:
    writer = LlamaCppWriter(str(tiny_gguf), grammar_path=GRAMMAR, n_ctx=8192)
    caplog.set_level(logging.INFO, logger="storybot.story")
    try:
        written = await StoryAuthor(writer, retries=0, seed=1, review=False).write(ko_request)
        text = written.story.model_dump_json()
        assert written.tokens is not None and written.tokens > 0
        # one token per streamed piece at most; Korean pieces often join several byte tokens
        assert written.tokens >= written.chunks * 0.5
    finally:
        await writer.close()
    assert text
    assert 0 < written.generation_seconds <= written.seconds
    assert written.tokens_per_second == pytest.approx(
        (written.tokens - 1) / written.generation_seconds
    )
    timing = [r.getMessage() for r in caplog.records if "[TIMING] LLM attempt 1" in r.getMessage()]
    assert timing and re.search(
        r"generation [0-9.]+s, [0-9.]+ tokens/s \([0-9]+ tokens\)", timing[0]
    )
