"""The server writer against llama-cpp-python's own OpenAI-compatible server, for real.

`python -m llama_cpp.server` runs the tiny GGUF in a subprocess for this module (a few seconds
to start). It takes a GBNF `grammar`, and `response_format: {"type": "json_object", "schema":
...}`, but answers 500 to OpenAI's `json_schema` form: the writer must fall back to the form it
takes, say so in the log with the server's whole message, and stream a valid story either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from storybot.doctor.llm import check_server
from storybot.models import StoryRequest
from storybot.story import DraftPage, LlamaServerWriter, StoryAuthor, WrittenStory
from storybot.story.writers import Sampling
from tests.conftest import GRAMMAR
from tests.support.llama_cpp_server import running_llama_cpp_server


@pytest.fixture(scope="module")
def llama_cpp_server(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server on the tiny GGUF, on a free port; killed at the end."""
    with running_llama_cpp_server(tiny_gguf, tmp_path_factory.mktemp("llama-server")) as (url, _):
        yield url


async def write(url: str, request: StoryRequest, constraint: str) -> tuple[list, str]:
    writer = LlamaServerWriter(
        url, grammar_path=GRAMMAR, constraint=constraint, sampling=Sampling(max_tokens=1000)
    )
    try:
        items = [
            item
            async for item in StoryAuthor(writer, review=False, retries=0, seed=5).stream(request)
        ]
    finally:
        await writer.close()
    return items, writer.constraint


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_grammar_streams_a_valid_story(
    llama_cpp_server: str, ko_request: StoryRequest, en_request: StoryRequest, language: str
) -> None:
    request = ko_request if language == "ko" else en_request
    items, used = await write(llama_cpp_server, request, "grammar")
    assert used == "grammar"
    assert [type(item) for item in items] == [DraftPage] * 5 + [WrittenStory]
    assert items[-1].attempts == 1


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_json_schema_falls_back_to_the_form_the_server_takes(
    llama_cpp_server: str,
    ko_request: StoryRequest,
    en_request: StoryRequest,
    language: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = ko_request if language == "ko" else en_request
    caplog.set_level(logging.INFO, logger="storybot.story.server")
    items, used = await write(llama_cpp_server, request, "json_schema")
    assert used == "json_object"
    written = items[-1]
    assert isinstance(written, WrittenStory) and written.attempts == 1
    assert len([item for item in items if isinstance(item, DraftPage)]) == 5
    warning = next(r.getMessage() for r in caplog.records if "rejected" in r.getMessage())
    # The server's whole message, on one line, not just "1 validation error:"
    assert "rejected the json_schema constraint" in warning
    assert "Input should be 'text' or 'json_object'" in warning and "\n" not in warning
    assert "takes the json_object constraint" in caplog.text


async def test_doctor_sees_a_server_without_health(llama_cpp_server: str) -> None:
    check = await check_server(llama_cpp_server)
    assert check.status == "OK", check
