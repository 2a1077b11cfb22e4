"""Pausing a story writer: no tokens while paused, and the story goes on where it stopped.

The in-process writer runs the tiny random-weight GGUF (one thread); the server writer runs
against our llama-server stand-in and against llama-cpp-python's real server. Sleeps inside a
pause only give a writer the chance to make progress it must not make; nothing is timed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storybot.errors import StoryError
from storybot.models import StoryRequest
from storybot.story import DraftPage, LlamaCppWriter, LlamaServerWriter, StoryAuthor, WrittenStory
from storybot.story.gbnf import worst_case_tokens
from storybot.story.gbnf_rest import accepts, remainder_grammar
from storybot.story.guard import MAX_TOKENS, VERDICT_GRAMMAR, VERDICT_SCHEMA
from storybot.story.prompt import build_messages, grammar_key
from storybot.story.stream import PageClosed, StoryStreamParser
from storybot.story.writers import Sampling, StoryWriter, read_grammars
from tests.conftest import GRAMMAR
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.llama_cpp_server import running_llama_cpp_server
from tests.support.stories import dumps, story

STILL = 0.3  # seconds a paused writer is given to (wrongly) go on
HANG_GUARD = 120.0  # a blocked thread fails the test instead of hanging it


def llama_writer(model: Path, keep: bool = True) -> LlamaCppWriter:
    sampling = Sampling(max_tokens=2000)
    return LlamaCppWriter(
        str(model), grammar_path=GRAMMAR, n_ctx=8192, threads=1, sampling=sampling, keep_loaded=keep
    )


async def chunks_into(stream: AsyncIterator[str], chunks: list[str]) -> str:
    async for chunk in stream:
        chunks.append(chunk)
    return "".join(chunks)


def reading(
    writer: StoryWriter, request: StoryRequest, seed: int, chunks: list[str]
) -> asyncio.Task[str]:
    """A task that reads a story into `chunks` and returns its text."""
    return asyncio.create_task(
        chunks_into(writer.stream(build_messages(request), seed=seed), chunks)
    )


async def wait_for_chunks(chunks: list[str], count: int) -> None:
    """Wait until `chunks` has `count` pieces (the reader is another task)."""
    async with asyncio.timeout(HANG_GUARD):
        while len(chunks) < count:
            await asyncio.sleep(0.01)


async def assert_still(writer: LlamaCppWriter, chunks: list[str]) -> None:
    """Inside a pause: the thread computes no token and, once what was queued before the pause
    is read, no chunk arrives."""
    used = writer.tokens_used
    await asyncio.sleep(STILL)
    seen = len(chunks)
    await asyncio.sleep(STILL)
    assert writer.tokens_used == used
    assert len(chunks) == seen


def assert_valid(text: str, request: StoryRequest) -> None:
    """`text` is a whole answer under the request's grammar, with five pages."""
    assert accepts(read_grammars(GRAMMAR)[grammar_key(build_messages(request))], text)
    assert [page["page"] for page in json.loads(text)["pages"]] == [0, 1, 2, 3, 4]


# --- llama.cpp in this process -------------------------------------------------------------


async def test_a_story_paused_at_every_page_is_written_whole(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = llama_writer(tiny_gguf)
    pauses = []
    try:
        async for item in StoryAuthor(writer, review=False, retries=0, seed=7).stream(ko_request):
            if isinstance(item, DraftPage):
                async with writer.paused():
                    used = writer.tokens_used
                    await asyncio.sleep(STILL)
                    assert writer.tokens_used == used
                    pauses.append(used)
            written = item
    finally:
        await writer.close()
    assert isinstance(written, WrittenStory) and written.attempts == 1
    assert len(pauses) == 5 and pauses == sorted(pauses) and writer.tokens_used > pauses[-1]


async def test_no_chunk_while_paused_and_overlapping_pauses_count(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = llama_writer(tiny_gguf)
    chunks: list[str] = []
    reader = reading(writer, ko_request, 3, chunks)
    try:
        await wait_for_chunks(chunks, 20)
        first, second = writer.paused(), writer.paused()
        await first.__aenter__()
        await assert_still(writer, chunks)
        await second.__aenter__()  # a second holder, in the same task for simplicity
        await first.__aexit__(None, None, None)
        await assert_still(writer, chunks)  # one holder is left: still paused
        await second.__aexit__(None, None, None)
        async with asyncio.timeout(HANG_GUARD):
            text = await reader
    finally:
        await writer.close()
    assert_valid(text, ko_request)


async def test_a_story_started_while_paused_waits_for_its_first_token(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = llama_writer(tiny_gguf)
    chunks: list[str] = []
    try:
        async with writer.paused():  # nothing is being written: returns at once
            reader = reading(writer, ko_request, 4, chunks)
            await writer.load()
            await asyncio.sleep(STILL)
            assert writer.tokens_used == 0 and chunks == []
        async with asyncio.timeout(HANG_GUARD):
            assert_valid(await reader, ko_request)
    finally:
        await writer.close()


async def test_cancelled_holders_never_leave_the_writer_paused(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = llama_writer(tiny_gguf)
    chunks: list[str] = []
    inside = asyncio.Event()

    async def hold(forever: asyncio.Event) -> None:
        async with writer.paused():
            inside.set()
            await forever.wait()

    reader = reading(writer, ko_request, 5, chunks)
    try:
        await wait_for_chunks(chunks, 20)
        holders = [asyncio.create_task(hold(asyncio.Event())) for _ in range(3)]
        await inside.wait()  # the first is inside; the others are inside or entering
        await assert_still(writer, chunks)
        for holder in holders:
            holder.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        async with asyncio.timeout(HANG_GUARD):
            assert_valid(await reader, ko_request)
    finally:
        await writer.close()


async def test_a_reader_cancelled_while_paused_ends_the_thread(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = llama_writer(tiny_gguf)
    chunks: list[str] = []
    messages = build_messages(ko_request)
    reader = reading(writer, ko_request, 6, chunks)
    try:
        await wait_for_chunks(chunks, 20)
        async with writer.paused():
            used = writer.tokens_used
            reader.cancel()
            async with asyncio.timeout(HANG_GUARD):
                with pytest.raises(asyncio.CancelledError):
                    await reader
            assert writer.tokens_used == used
            # The one worker thread is free again: the guard's verdict runs (it does not wait
            # for the pause: module docstring of storybot/story/llama.py).
            verdict = await writer.complete(
                messages,
                grammar=VERDICT_GRAMMAR,
                schema=VERDICT_SCHEMA,
                max_tokens=MAX_TOKENS,
                timeout=60,
            )
            assert "safe" in json.loads(verdict)
        async with asyncio.timeout(HANG_GUARD):
            assert_valid(await chunks_into(writer.stream(messages, seed=6), []), ko_request)
    finally:
        await writer.close()


async def test_a_stream_closed_while_paused_ends_the_thread(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = llama_writer(tiny_gguf, keep=False)
    messages = build_messages(ko_request)
    stream = writer.stream(messages, seed=8)
    try:
        for _ in range(10):
            await anext(stream)
        async with writer.paused():
            # Inside its own pause, with a story parked, the guard's verdict and release()
            # would wait for themselves: they refuse at once.
            with pytest.raises(StoryError, match="inside paused"):
                await writer.complete(
                    messages,
                    grammar=VERDICT_GRAMMAR,
                    schema=VERDICT_SCHEMA,
                    max_tokens=16,
                    timeout=5,
                )
            with pytest.raises(StoryError, match="inside paused"):
                await writer.release()
            async with asyncio.timeout(HANG_GUARD):
                await stream.aclose()  # returns once the parked thread has ended
            await writer.release()  # no story now: the model is unloaded
    finally:
        await writer.close()


async def test_closing_the_writer_while_paused_stops_the_story(
    tiny_gguf: Path, ko_request: StoryRequest
) -> None:
    writer = llama_writer(tiny_gguf)
    chunks: list[str] = []
    reader = reading(writer, ko_request, 9, chunks)
    await wait_for_chunks(chunks, 10)
    async with writer.paused():
        async with asyncio.timeout(HANG_GUARD):
            await writer.close()
            with pytest.raises(StoryError, match="closed while writing"):
                await reader


# --- llama-server --------------------------------------------------------------------------


async def first_page_then_pause(
    writer: LlamaServerWriter, request: StoryRequest, seed: int
) -> tuple[str, str]:
    """The raw answer, paused (for STILL seconds) once its first page has closed; and the text
    the consumer had been given when the pause began."""
    parser, chunks, prefix = StoryStreamParser(), [], None
    async for chunk in writer.stream(build_messages(request), seed=seed):
        chunks.append(chunk)
        if prefix is None and any(isinstance(e, PageClosed) for e in parser.feed(chunk)):
            async with writer.paused():
                prefix = "".join(chunks)
                await asyncio.sleep(STILL)
    assert prefix is not None
    return "".join(chunks), prefix


async def test_server_pause_ends_the_request_and_continues_it(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    content = dumps(story())
    llama_server.replies = [Reply(content, chunk_size=5, chunk_delay=0.002)]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    try:
        text, prefix = await first_page_then_pause(writer, ko_request, seed=11)
    finally:
        await writer.close()
    assert text == content and 0 < len(prefix) < len(content)
    first, then = llama_server.requests
    assert llama_server.abandoned == 1  # the paused request was ended, not left unread
    grammar = first["grammar"]
    assert then["messages"] == [*first["messages"], {"role": "assistant", "content": prefix}]
    assert then["cache_prompt"] is True and "cache_prompt" not in first
    assert then["grammar"] == remainder_grammar(grammar, prefix)
    assert then["max_tokens"] == worst_case_tokens(then["grammar"]) < first["max_tokens"]
    assert then["seed"] == first["seed"] == 11
    assert accepts(grammar, text)
    # Paused after the last chunk but before the end: nothing is left to ask for.
    assert writer.continuation(first["messages"], 11, content) is None


async def test_server_story_paused_at_every_page_is_written_whole(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    llama_server.replies = [Reply(dumps(story()), chunk_size=5, chunk_delay=0.002)]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    try:
        items = []
        async for item in StoryAuthor(writer, review=False, retries=0, seed=1).stream(ko_request):
            if isinstance(item, DraftPage):
                async with writer.paused():
                    pass
            items.append(item)
    finally:
        await writer.close()
    written = items[-1]
    assert isinstance(written, WrittenStory) and written.attempts == 1
    assert written.story.model_dump() == story()
    prefills = [r["messages"][-1]["content"] for r in llama_server.requests[1:]]
    assert prefills and prefills == sorted(prefills, key=len)
    assert len(set(prefills)) == len(prefills)


async def test_server_story_started_while_paused_sends_nothing_until_resumed(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    content = dumps(story())
    llama_server.replies = [Reply(content)]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    try:
        async with writer.paused():
            reader = reading(writer, ko_request, 2, [])
            await asyncio.sleep(STILL)
            assert llama_server.requests == []
        assert await reader == content
    finally:
        await writer.close()


async def test_a_schema_constraint_cannot_pause(
    llama_server: FakeLlamaServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storybot.story.server")
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR, constraint="json_object")
    assert not writer.can_pause and not writer.can_pause
    async with writer.paused():  # writing would go on: the pipeline checks can_pause first
        pass
    said = [r.getMessage() for r in caplog.records if "cannot pause" in r.getMessage()]
    assert said == [
        f"llama-server at {llama_server.url} cannot pause under the json_object constraint "
        "(a JSON schema cannot describe the rest of a story): pictures wait for the story"
    ]
    await writer.close()


@pytest.fixture(scope="module")
def llama_cpp_server(
    tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """llama-cpp-python's server on the tiny GGUF (its URL and its log), fresh for this file."""
    with running_llama_cpp_server(tiny_gguf, tmp_path_factory.mktemp("llama-server")) as server:
        yield server


async def test_llama_cpp_server_goes_on_after_a_pause(
    llama_cpp_server: tuple[str, Path], ko_request: StoryRequest
) -> None:
    url, log_path = llama_cpp_server
    before = log_path.stat().st_size
    writer = LlamaServerWriter(url, grammar_path=GRAMMAR, sampling=Sampling(max_tokens=1000))
    try:
        text, prefix = await first_page_then_pause(writer, ko_request, seed=5)
        assert_valid(text, ko_request)
        assert text.startswith(prefix)
        first_story = log_path.read_bytes()[before:].decode(errors="replace")
        # And as the product uses it: the story is valid on the first attempt.
        items = []
        async for item in StoryAuthor(writer, review=False, retries=0, seed=6).stream(ko_request):
            if isinstance(item, DraftPage) and item.page.page == 0:
                async with writer.paused():
                    await asyncio.sleep(STILL)
            items.append(item)
    finally:
        await writer.close()
    assert isinstance(items[-1], WrittenStory) and items[-1].attempts == 1
    log = log_path.read_bytes()[before:].decode(errors="replace")
    assert log.count("POST /v1/chat/completions") == 4  # two stories, each paused once
    # The continuation reused the cached prompt (llama-cpp-python matches a token prefix); on
    # this fresh server, it is the only request of the first story that can.
    assert first_story.count("POST /v1/chat/completions") == 2
    assert first_story.count("prefix-match hit") == 1
