"""Prometheus metrics, scraped over a real socket while real books are made: the llama-server
stand-in, the ComfyUI stand-in, tiny Supertonic, the picture check, ffmpeg and SQLite."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from storybot import __version__
from storybot.books.maker import BookMaker
from storybot.books.metrics import lane_label
from storybot.models import Done, Event, Progress, Status
from tests.support.fake_comfyui import FakeComfyUI, free_port
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, request, story

if TYPE_CHECKING:  # imported as a plugin below: importing it first would skip its rewrite
    from tests.support.bot_harness import Harness

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
pytest_plugins = ["tests.support.bot_harness"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
MakeMaker = Callable[..., BookMaker]


async def scrape(port: int) -> Samples:
    """`GET /metrics` over TCP, parsed the way Prometheus reads it."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        body = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


async def collect(events: AsyncIterator[Event]) -> list[Event]:
    async with asyncio.timeout(120):
        return [event async for event in events]


async def listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_a_made_book_is_counted_and_timed(
    served_makers: MakeMaker, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = [Reply(dumps(story()), chunk_size=8)]
    port = free_port()
    maker = served_makers(
        comfy.url, llama_server.url, safety_guard="off", book_pdf=False, metrics_port=port
    )
    assert maker.metrics is not None
    maker.metrics.serve(port)  # as the bot does in setup_hook

    before = await scrape(port)
    assert value(before, "storybot_books_total", outcome="done") == 0
    assert value(before, "storybot_stage_seconds_count", stage="book") == 0
    assert value(before, "storybot_info", version=__version__) == 1

    events = await collect(maker.submit(request(), requester_id=1).events())
    assert isinstance(events[-1], Done)

    after = await scrape(port)
    assert value(after, "storybot_books_total", outcome="done") == 1
    for outcome in ("failed", "cancelled", "interrupted"):
        assert value(after, "storybot_books_total", outcome=outcome) == 0
    counts = {"llm": 1, "picture": 5, "picture_check": 5, "narration": 5, "video": 1}
    counts |= {"first_page": 1, "book": 1}
    for stage, count in counts.items():
        assert value(after, "storybot_stage_seconds_count", stage=stage) == count, stage
        assert value(after, "storybot_stage_seconds_sum", stage=stage) > 0, stage
    # Both clocks start at the book's start, and its first page is shown before its end.
    first_page = value(after, "storybot_stage_seconds_sum", stage="first_page")
    assert first_page < value(after, "storybot_stage_seconds_sum", stage="book")
    assert value(after, "storybot_books_running") == 0
    assert value(after, "storybot_books_waiting") == 0
    assert value(after, "storybot_comfyui_up", server=comfy.url) == 1
    assert value(after, "storybot_comfyui_busy", server=comfy.url) == 0
    # No run id, page number or Discord id anywhere in a label.
    run_id = events[-1].book.run_id
    labels = {v for _, pairs in after for _, v in pairs}
    assert not any(run_id in label for label in labels)

    await maker.close()
    assert not await listening(port)  # closing the maker stops serving


async def test_a_line_and_its_cancelled_books(
    served_makers: MakeMaker, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """Two books in one lane: one paints (and hangs), one waits; both cancelled."""
    llama_server.replies = [Reply(dumps(story()), chunk_size=8)]
    comfy.hang = True
    port = free_port()
    maker = served_makers(
        comfy.url, llama_server.url, safety_guard="off", book_pdf=False, metrics_port=port
    )
    assert maker.metrics is not None
    maker.metrics.serve(port)
    lane = "guild:424242424242"
    first = maker.submit(request(), requester_id=1, lane=lane)
    second = maker.submit(request(), requester_id=2, lane=lane)
    async with asyncio.timeout(60):
        async for event in first.events():
            if isinstance(event, Progress):
                break

    busy = await scrape(port)
    assert value(busy, "storybot_queue_depth", lane=lane_label(lane, maker.metrics.salt)) == 1
    assert value(busy, "storybot_books_waiting") == 1
    assert value(busy, "storybot_books_running") == 1
    assert value(busy, "storybot_comfyui_busy", server=comfy.url) == 1
    assert not any("424242424242" in v for _, pairs in busy for _, v in pairs)

    maker.cancel(second.run_id)
    maker.cancel(first.run_id)
    assert (await second.wait()).status is Status.CANCELLED
    assert (await first.wait()).status is Status.CANCELLED
    comfy.hang = False

    after = await scrape(port)
    assert value(after, "storybot_books_total", outcome="cancelled") == 2
    assert value(after, "storybot_books_total", outcome="done") == 0
    assert value(after, "storybot_stage_seconds_count", stage="book") == 0  # none was made
    assert "storybot_queue_depth" not in names(after)  # nobody waits: no lane is shown
    assert value(after, "storybot_books_waiting") == 0


async def test_a_retry_counts_only_what_it_made_again(
    served_makers: MakeMaker, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """A book without a single picture fails; its retry reuses the story and the voices,
    so they are not counted twice, and a retry has no first page to wait for."""
    llama_server.replies = [Reply(dumps(story()), chunk_size=8)]
    comfy.fail_class = "KSampler"  # ComfyUI answers, but every picture fails
    port = free_port()
    maker = served_makers(
        comfy.url,
        llama_server.url,
        safety_guard="off",
        book_pdf=False,
        metrics_port=port,
        book_video=False,
    )
    assert maker.metrics is not None
    maker.metrics.serve(port)
    failed = await maker.submit(request(), requester_id=1).wait()
    assert failed.status is Status.FAILED

    first = await scrape(port)
    assert value(first, "storybot_books_total", outcome="failed") == 1
    assert value(first, "storybot_stage_seconds_count", stage="llm") == 1
    assert value(first, "storybot_stage_seconds_count", stage="narration") == 5
    assert value(first, "storybot_stage_seconds_count", stage="picture") == 0
    assert value(first, "storybot_stage_seconds_count", stage="book") == 0  # only made books

    comfy.fail_class = None
    assert (await maker.retry(failed.run_id).wait()).status is Status.DONE
    again = await scrape(port)
    assert value(again, "storybot_books_total", outcome="done") == 1
    expected = {"llm": 1, "narration": 5, "picture": 5, "picture_check": 5, "book": 1}
    expected |= {"first_page": 0, "video": 0}
    for stage, count in expected.items():
        assert value(again, "storybot_stage_seconds_count", stage=stage) == count, stage


async def test_without_a_port_nothing_listens(
    served_makers: MakeMaker, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    port = free_port()
    maker = served_makers(comfy.url, llama_server.url, safety_guard="off", book_pdf=False)
    assert maker.metrics is None
    assert not await listening(port)


async def test_the_bot_serves_metrics_while_it_runs(harness: Harness) -> None:
    port = free_port()
    bot = await harness.start(metrics_port=port)
    samples = await scrape(port)
    assert value(samples, "storybot_info", version=__version__) == 1
    assert value(samples, "storybot_books_total", outcome="done") == 0
    assert "process_resident_memory_bytes" in names(samples)
    await harness.stop(bot)
    assert not await listening(port)
