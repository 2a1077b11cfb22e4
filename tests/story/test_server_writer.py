"""LlamaServerWriter against a local server speaking llama-server's chat-completions API."""

from __future__ import annotations

import socket

import pytest

from storybot.errors import LLMUnavailableError, StoryError
from storybot.models import StoryRequest
from storybot.story import DraftPage, LlamaServerWriter, StoryAuthor, WrittenStory
from storybot.story.gbnf import worst_case_tokens
from storybot.story.writers import Sampling
from tests.conftest import GRAMMAR
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, story, with_page


def writer_for(url: str, **options: object) -> LlamaServerWriter:
    return LlamaServerWriter(
        url,
        grammar_path=GRAMMAR,
        sampling=Sampling(max_tokens=1000),
        **options,  # type: ignore[arg-type]
    )


async def test_streaming_answer(llama_server: FakeLlamaServer, ko_request: StoryRequest) -> None:
    llama_server.replies = [Reply(dumps(story()), chunk_size=5)]
    writer = writer_for(llama_server.url)
    try:
        items = [item async for item in StoryAuthor(writer, seed=42).stream(ko_request)]
    finally:
        await writer.close()
    assert [type(i) for i in items] == [DraftPage] * 5 + [WrittenStory]
    written = items[-1]
    assert isinstance(written, WrittenStory)
    assert written.story.model_dump() == story()
    assert written.chunks > 50  # it really came in pieces
    body = llama_server.requests[0]
    assert body["stream"] is True and body["seed"] == 42
    assert body["grammar"] == GRAMMAR.read_text(encoding="utf-8")
    assert body["temperature"] == 0.7 and body["top_p"] == 0.9
    # never fewer tokens than the grammar's longest story needs (LLM_MAX_TOKENS is 1000 here)
    assert body["max_tokens"] == worst_case_tokens(body["grammar"]) > 1000
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "조선시대" in body["messages"][1]["content"]


async def test_normal_answer(llama_server: FakeLlamaServer, ko_request: StoryRequest) -> None:
    llama_server.replies = [Reply(dumps(story()))]
    writer = writer_for(llama_server.url, streaming=False)
    try:
        written = await StoryAuthor(writer).write(ko_request)
    finally:
        await writer.close()
    assert llama_server.requests[0]["stream"] is False
    assert written.story.title == story()["title"]


async def test_server_that_ignores_stream(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    llama_server.replies = [Reply(dumps(story()), ignore_stream=True)]
    writer = writer_for(llama_server.url)
    try:
        written = await StoryAuthor(writer).write(ko_request)
    finally:
        await writer.close()
    assert len(written.story.pages) == 5


async def test_json_schema_constraint(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    llama_server.replies = [Reply(dumps(story()))]
    writer = writer_for(llama_server.url, constraint="json_schema")
    try:
        await StoryAuthor(writer).write(ko_request)
    finally:
        await writer.close()
    body = llama_server.requests[0]
    assert "grammar" not in body
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["pages"]["minItems"] == 5
    assert schema["properties"]["pages"]["items"]["properties"]["image_prompt"]["maxLength"] == 300


async def test_500_is_retried_with_a_new_seed(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    llama_server.replies = [
        Reply(status=500, error="grammar stack is empty"),
        Reply(dumps(story())),
    ]
    writer = writer_for(llama_server.url)
    try:
        written = await StoryAuthor(writer, seed=100).write(ko_request)
    finally:
        await writer.close()
    assert written.attempts == 2
    assert [r["seed"] for r in llama_server.requests] == [100, 101]


async def test_500_every_time_fails_with_the_reason(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    llama_server.replies = [Reply(status=500, error="out of memory")] * 3
    writer = writer_for(llama_server.url)
    try:
        with pytest.raises(
            StoryError, match=r"after 3 attempt\(s\): .*answered 500: out of memory"
        ):
            await StoryAuthor(writer, retries=2).write(ko_request)
    finally:
        await writer.close()
    assert len(llama_server.requests) == 3


async def test_invalid_story_is_retried_then_fails_saying_what_was_wrong(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    english = with_page(story(), 3, text="No Korean here.")
    no_letters = with_page(story(), 1, image_prompt="!!! 123 ...")
    truncated = dumps(story())[:200]
    llama_server.replies = [Reply(dumps(english)), Reply(dumps(no_letters)), Reply(truncated)]
    writer = writer_for(llama_server.url)
    try:
        with pytest.raises(StoryError, match="stopped before it was complete"):
            await StoryAuthor(writer, retries=2).write(ko_request)
    finally:
        await writer.close()
    assert len({r["seed"] for r in llama_server.requests}) == 3


async def test_invalid_page_ends_the_attempt_and_the_retry_supersedes_it(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    bad = with_page(story(), 2, text="Page two forgot to be Korean.")
    llama_server.replies = [Reply(dumps(bad)), Reply(dumps(story()))]
    writer = writer_for(llama_server.url)
    try:
        items = [item async for item in StoryAuthor(writer).stream(ko_request)]
    finally:
        await writer.close()
    drafts = [(i.attempt, i.page.page) for i in items if isinstance(i, DraftPage)]
    # Attempt 1 stopped at its bad page 2; attempt 2 delivered all five.
    assert drafts == [(1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (2, 3), (2, 4)]
    written = items[-1]
    assert isinstance(written, WrittenStory) and written.attempts == 2


async def test_connection_refused_is_one_clear_line_and_not_retried(
    ko_request: StoryRequest,
) -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    writer = writer_for(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(LLMUnavailableError) as caught:
            await StoryAuthor(writer, retries=2).write(ko_request)
    finally:
        await writer.close()
    message = str(caught.value)
    assert f"llama-server at http://127.0.0.1:{port} is not reachable" in message
    assert "unset LLM_SERVER_URL" in message and "\n" not in message


async def test_a_server_that_never_answers_times_out(ko_request: StoryRequest) -> None:
    with socket.socket() as listener:  # accepts the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        writer = writer_for(f"http://127.0.0.1:{port}")
        try:
            with pytest.raises(StoryError, match=r"no answer within 0\.3 s"):
                await StoryAuthor(writer, retries=0, timeout=0.3).write(ko_request)
        finally:
            await writer.close()


async def test_a_rejected_form_falls_back_once_and_sticks(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    # OpenAI's answer to a field it does not know; then the next form is taken.
    llama_server.replies = [
        Reply(status=400, error="Unrecognized request argument supplied: grammar"),
        Reply(dumps(story())),
        Reply(dumps(story())),
    ]
    writer = writer_for(llama_server.url)
    try:
        first = await StoryAuthor(writer, seed=7).write(ko_request)
        await StoryAuthor(writer, seed=8).write(ko_request)
    finally:
        await writer.close()
    assert first.attempts == 1  # the fallback is not a new attempt: same seed, at once
    forms = [
        ("grammar" in r, r.get("response_format", {}).get("type")) for r in llama_server.requests
    ]
    assert forms == [(True, None), (False, "json_schema"), (False, "json_schema")]
    assert [r["seed"] for r in llama_server.requests] == [7, 7, 8]


async def test_the_servers_whole_error_is_shown_on_one_line(
    llama_server: FakeLlamaServer, ko_request: StoryRequest
) -> None:
    message = "1 validation error:\n  {'type': 'missing', 'loc': ('body', 'messages')}\n  more"
    llama_server.replies = [Reply(status=500, error=message)]
    writer = writer_for(llama_server.url)
    try:
        with pytest.raises(StoryError) as caught:
            await StoryAuthor(writer, retries=0).write(ko_request)
    finally:
        await writer.close()
    assert "1 validation error: {'type': 'missing', 'loc': ('body', 'messages')} more" in str(
        caught.value
    )
    assert "(with the grammar constraint)" in str(caught.value)
