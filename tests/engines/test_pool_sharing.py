"""One book uses every free painter; several books share the painters fairly.

Real `ComfyPool` over real sockets against two protocol-true fake ComfyUI servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storybot.engines.image_pool import ComfyPool
from storybot.paths import PROJECT_ROOT
from tests.support.fake_comfyui import FakeComfyUI, png_size

FLUX = PROJECT_ROOT / "workflows" / "flux_schnell.json"


@pytest.fixture
async def painters() -> AsyncIterator[list[FakeComfyUI]]:
    fakes = [FakeComfyUI(step_delay=0.03), FakeComfyUI(step_delay=0.03)]
    for fake in fakes:
        await fake.start()
    yield fakes
    for fake in fakes:
        await fake.stop()


def make_pool(fakes: list[FakeComfyUI]) -> ComfyPool:
    return ComfyPool(
        [fake.url for fake in fakes],
        FLUX,
        width=96,
        height=64,
        steps=4,
        connect_timeout=2.0,
        image_timeout=30.0,
        reprobe_after=30.0,
        poll_interval=0.02,
        request_timeout=10.0,
    )


class StartOrder:
    """Which job's first progress step came first, over every server."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def callback(self, name: str):  # a ProgressCallback
        async def progress(step: int, total: int) -> None:
            if name not in self.started:
                self.started.append(name)

        return progress


async def test_one_book_uses_every_free_painter(painters: list[FakeComfyUI], tmp_path: Path):
    async with make_pool(painters) as pool:
        jobs = [
            pool.paint(f"page {index}", tmp_path / f"page_{index}.png", seed=index, owner="book-a")
            for index in range(5)
        ]
        paths = await asyncio.gather(*jobs)
    assert [png_size(path.read_bytes()) for path in paths] == [(96, 64)] * 5
    # Both servers painted this one book's pages, never more than one job each at a time.
    counts = sorted(len(fake.prompts) for fake in painters)
    assert counts in ([2, 3], [1, 4]) and sum(counts) == 5
    assert all(fake.max_jobs == 1 for fake in painters)


async def test_a_second_book_gets_the_next_free_painter(
    painters: list[FakeComfyUI], tmp_path: Path
):
    order = StartOrder()
    async with make_pool(painters) as pool:

        def job(owner: str, index: int) -> asyncio.Task[Path]:
            name = f"{owner}{index}"
            return asyncio.create_task(
                pool.paint(
                    f"{owner} page {index}",
                    tmp_path / f"{name}.png",
                    seed=index,
                    owner=owner,
                    on_progress=order.callback(name),
                )
            )

        # The first server is fast, the second slow: when a0 ends, exactly one server is free.
        painters[0].step_delay, painters[1].step_delay = 0.1, 0.5
        first = [job("a", index) for index in range(5)]  # one book's five pages at once
        while sum(len(fake.prompts) for fake in painters) < 2:  # both servers paint book a
            await asyncio.sleep(0.01)
        assert not order.started or order.started == ["a0"]  # none has ended yet
        second = job("b", 0)  # another guild's cover arrives behind a's three waiting pages
        await asyncio.gather(*first, second)
    assert sorted(order.started[:2]) == ["a0", "a1"]
    # The first server freed goes to book b (holding none) before a's third page.
    assert order.started[2] == "b0", order.started
    assert sorted(order.started) == ["a0", "a1", "a2", "a3", "a4", "b0"]


async def test_pages_of_one_book_start_in_page_order(painters: list[FakeComfyUI], tmp_path: Path):
    order = StartOrder()
    async with make_pool(painters[:1]) as pool:
        await asyncio.gather(
            *(
                pool.paint(
                    f"page {index}",
                    tmp_path / f"{index}.png",
                    seed=index,
                    owner="book",
                    on_progress=order.callback(str(index)),
                )
                for index in range(5)
            )
        )
    assert order.started == ["0", "1", "2", "3", "4"]  # the cover first


async def test_a_cancelled_waiter_never_blocks_the_queue(
    painters: list[FakeComfyUI], tmp_path: Path
):
    async with make_pool(painters[:1]) as pool:
        running = asyncio.create_task(pool.paint("a", tmp_path / "a.png", seed=1, owner="a"))
        waiting = asyncio.create_task(pool.paint("b", tmp_path / "b.png", seed=2, owner="b"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        after = asyncio.create_task(pool.paint("c", tmp_path / "c.png", seed=3, owner="c"))
        await running
        assert (await after).is_file()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert not (tmp_path / "b.png").exists()
