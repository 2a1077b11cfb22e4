from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storybot.books.maker import BookMaker
from storybot.config import PROJECT_ROOT, Settings
from storybot.models import StoryRequest
from storybot.wiring import make_book_maker
from tests.support.fake_comfyui import FakeComfyUI
from tests.support.fake_llama_server import FakeLlamaServer
from tests.support.tiny_gguf import build_tiny_gguf
from tests.support.tiny_supertonic import build_tiny_supertonic

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


@pytest.fixture
async def served_makers(tmp_path: Path, tiny_supertonic: Path) -> AsyncIterator:
    """Builds BookMakers (as the product wires them) on a ComfyUI URL and a llama-server URL,
    with tiny narration and small pictures; closes them all at the end."""
    made: list[BookMaker] = []

    def make(comfy_url: str, llm_url: str, **values: object) -> BookMaker:
        base: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "comfyui_urls": comfy_url,
            "llm_server_url": llm_url,
            "tts_model_dir": tiny_supertonic,
            "image_width": 128,
            "image_height": 128,
            "shared_gpu": False,
            "comfyui_connect_timeout": 1.0,
            "painter_probe_every": 0.2,
            # The guard as an operator with a calibrated model has it; calibration itself has
            # its own tests (tests/story/test_guard_calibration.py).
            "safety_guard_threshold": 0.5,
        }
        base.update(values)
        maker = make_book_maker(Settings.load(env={}, env_file=None, **base))
        made.append(maker)
        return maker

    yield make
    for maker in made:
        async with asyncio.timeout(60):  # close() always returns
            await maker.close()
