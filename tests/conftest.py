from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storybot.config import PROJECT_ROOT
from storybot.models import StoryRequest
from tests.fake_comfyui import FakeComfyUI
from tests.fake_llama_server import FakeLlamaServer
from tests.tiny_gguf import build_tiny_gguf
from tests.tiny_supertonic import build_tiny_supertonic

GRAMMAR = PROJECT_ROOT / "grammars" / "story.gbnf"


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight llama GGUF with byte fallback and Hangul (3.5 MB)."""
    return build_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-hangul.gguf")


@pytest.fixture(scope="session")
def tiny_supertonic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Supertonic's four ONNX models, tiny and random, with its indexer and ten voices."""
    return build_tiny_supertonic(tmp_path_factory.mktemp("supertonic"))


@pytest.fixture
def ko_request() -> StoryRequest:
    return StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")


@pytest.fixture
def en_request() -> StoryRequest:
    return StoryRequest(
        era="today", place="a seaside town", characters="Mia", topic="courage", language="en"
    )


@pytest.fixture
async def llama_server() -> AsyncIterator[FakeLlamaServer]:
    server = FakeLlamaServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def comfy() -> AsyncIterator[FakeComfyUI]:
    """The ComfyUI stand-in, on a free loopback port."""
    fake = FakeComfyUI()
    await fake.start()
    yield fake
    await fake.stop()
