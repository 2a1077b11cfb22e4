"""Time to the first finished page and to the whole book: our pipeline vs the original's schedule.

Not a test: run `python bench/pipeline_bench.py`. The engines only sleep, for the stage costs of
the original's measured timeline — the LLM 30 s, streaming its five pages evenly; each image
10 s on one exclusive GPU; narration 3 s per page on the CPU, one page at a time — scaled down
(1 s → 20 ms). Our real `BookPipeline` (run store, events, validation and all) runs on them;
the original's schedule (the whole story first, then images one by one, all narration started
after the story) is implemented here. "Separate GPU": the LLM is elsewhere (llama-server or
another device); "shared GPU": images may not start before the story is written. The critical
path is the lower bound any schedule could reach. The last line is the one to compare.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storybot.models import Event, PageAudio, PageImage, StoryRequest  # noqa: E402
from storybot.pipeline import BookPipeline, PipelineOptions  # noqa: E402
from storybot.runs import RunStore  # noqa: E402
from storybot.story import StoryAuthor  # noqa: E402
from tests.stories import story  # noqa: E402

UNIT = 0.020  # one second of the original's timeline
LLM_SECONDS = 30
IMAGE_SECONDS = 10
NARRATION_SECONDS = 3
PAGES = 5
REQUEST = StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")


class SleepingWriter:
    """Streams a valid story so that page k closes at 6(k+1) units, the end at 30."""

    name = "sleeping LLM"

    async def stream(self, messages: object, *, seed: int) -> AsyncIterator[str]:
        text = json.dumps(story(), ensure_ascii=False)
        # Cut right after each page's closing brace (and the root's).
        cuts = []
        depth = 0
        for position, char in enumerate(text):
            depth += char in "{["
            depth -= char in "}]"
            if char == "}" and depth == 2:
                cuts.append(position + 1)
        cuts[-1] = len(text)  # the last page closes with the story
        # The model writes at its own pace (in llama.cpp's thread), however long the reader
        # takes over each piece: chunk k is due at a fixed time from the start.
        loop = asyncio.get_running_loop()
        begin, start = loop.time(), 0
        for index, cut in enumerate(cuts, 1):
            await asyncio.sleep(max(0.0, begin + index * LLM_SECONDS / PAGES * UNIT - loop.time()))
            yield text[start:cut]
            start = cut

    async def release(self) -> None: ...

    async def close(self) -> None: ...


class SleepingPainter:
    """One exclusive GPU: 10 units per picture."""

    def __init__(self) -> None:
        self.gpu = asyncio.Lock()

    async def reachable(self) -> bool:
        return True

    async def paint(self, image_prompt: str, out: Path, **_: object) -> Path:
        async with self.gpu:
            await asyncio.sleep(IMAGE_SECONDS * UNIT)
        out.write_bytes(b"\x89PNG\r\n\x1a\n")
        return out

    async def free_all(self) -> None: ...

    async def close(self) -> None: ...


class SleepingNarrator:
    """One CPU: 3 units per page, one page at a time."""

    name = "sleeping narrator"

    def __init__(self) -> None:
        self.cpu = asyncio.Lock()

    async def narrate(self, text: str, out_path: Path, **_: object) -> Path:
        async with self.cpu:
            await asyncio.sleep(NARRATION_SECONDS * UNIT)
        out_path.write_bytes(b"RIFF")
        return out_path

    async def load(self) -> None: ...

    async def close(self) -> None: ...


async def ours(shared_gpu: bool, data: Path) -> tuple[float, float]:
    """(first page, total) in units, for our pipeline."""
    store = RunStore(data)
    pipeline = BookPipeline(
        store,
        StoryAuthor(SleepingWriter(), seed=1),  # type: ignore[arg-type]
        SleepingPainter(),
        SleepingNarrator(),  # type: ignore[arg-type]
        PipelineOptions(shared_gpu=shared_gpu, make_video=False, make_pdf=False),
    )
    record = store.create(REQUEST)
    started = time.perf_counter()
    first_page = None
    images: set[int] = set()
    audio: set[int] = set()

    def seen(event: Event, _save: bool) -> None:
        nonlocal first_page
        if isinstance(event, PageImage):
            images.add(event.page)
        elif isinstance(event, PageAudio):
            audio.add(event.page)
        if first_page is None and 0 in images and 0 in audio:
            first_page = time.perf_counter() - started

    await pipeline.make(record, seen)
    total = time.perf_counter() - started
    store.close()
    assert first_page is not None
    return first_page / UNIT, total / UNIT


async def original() -> tuple[float, float]:
    """(first page, total) in units, for the original's schedule."""
    painter, narrator = SleepingPainter(), SleepingNarrator()
    started = time.perf_counter()
    async for _ in SleepingWriter().stream(None, seed=1):  # the whole story first
        pass
    ready: dict[str, set[int]] = {"image": set(), "audio": set()}
    first_page: list[float] = []

    def mark(kind: str, page: int) -> None:
        ready[kind].add(page)
        if not first_page and 0 in ready["image"] and 0 in ready["audio"]:
            first_page.append(time.perf_counter() - started)

    async def narrate(page: int) -> None:
        await narrator.narrate("", Path(tempfile.gettempdir()) / "bench.wav")
        mark("audio", page)

    narration = asyncio.gather(*(narrate(page) for page in range(PAGES)))
    for page in range(PAGES):  # images one by one, cover first
        await painter.paint("", Path(tempfile.gettempdir()) / "bench.png")
        mark("image", page)
    await narration
    return first_page[0] / UNIT, (time.perf_counter() - started) / UNIT


def critical_path(shared_gpu: bool) -> tuple[float, float]:
    """The best any schedule could do: (first page, total) in units."""
    first_prompt = LLM_SECONDS / PAGES
    gpu_free = LLM_SECONDS if shared_gpu else first_prompt
    first_page = max(gpu_free + IMAGE_SECONDS, first_prompt + NARRATION_SECONDS)
    last_prompt = LLM_SECONDS
    images_end = gpu_free + PAGES * IMAGE_SECONDS
    images_end = max(images_end, last_prompt + IMAGE_SECONDS)
    narration_end = last_prompt + NARRATION_SECONDS
    return first_page, max(images_end, narration_end)


async def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:  # warm-up: imports, first-call costs
        await ours(True, Path(tmp))
    base_first, base_total = await original()
    print(f"original schedule: first page {base_first:.1f} s, total {base_total:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for name, shared in (("separate", False), ("shared", True)):
            first, total = await ours(shared, Path(tmp) / name)
            bound_first, bound_total = critical_path(shared)
            results[name] = (first / base_first, total / base_total)
            print(
                f"{name} GPU: first page {first:.1f} s (critical path {bound_first:.0f}), "
                f"total {total:.1f} s (critical path {bound_total:.0f}, "
                f"{(total / bound_total - 1) * 100:+.1f} %)"
            )
    print(
        "; ".join(
            f"{name} first_page_ratio={first:.2f} total_ratio={total:.2f}"
            for name, (first, total) in results.items()
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
