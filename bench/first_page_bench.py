"""The first picture as a user feels it: from the moment the book is asked for (start-up of the
engines included) to each picture *shown* — the PageImage event the book message and the CLI
act on — against the floor this run's own stage costs allow: the moment the cover's prompt
exists (its page closed in the stream) + painting one picture + looking at it.

The real BookMaker as the product wires it, over real sockets: a llama-server stand-in that
streams a Korean story evenly over STORY seconds (its guard verdicts answered at once), a
protocol-true ComfyUI stand-in at about PICTURE seconds a picture, the real NudeNet picture
check and the real Supertonic pipeline on tiny models. Separate and shared GPU. Prints one
run's timeline and, for three runs each, first-picture/floor and book/first-picture figures.

    python bench/first_page_bench.py
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storybot.config import Settings
from storybot.models import Done, Event, PageImage, PageText, StageStarted
from storybot.wiring import make_book_maker
from tests.support.fake_comfyui import FakeComfyUI
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, request, story
from tests.support.tiny_supertonic import build_tiny_supertonic

STORY = 6.0  # seconds the stand-in takes to stream the whole story
PICTURE = 2.0  # seconds a picture takes on the ComfyUI stand-in (4 steps)
RUNS = 3


class Timings(logging.Handler):
    """Every [TIMING] line, with when it came."""

    def __init__(self, started: float) -> None:
        super().__init__(logging.INFO)
        self.started = started
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "[TIMING]" in message:
            self.lines.append((time.perf_counter() - self.started, message))


async def one_book(folder: Path, voices: Path, shared_gpu: bool, show: bool) -> tuple[float, ...]:
    text = dumps(story())
    chunks = 60
    llm = FakeLlamaServer(
        replies=[Reply(text, chunk_size=len(text) // chunks + 1, chunk_delay=STORY / chunks)] * 3
    )
    comfy = FakeComfyUI(step_delay=PICTURE / 4)
    await llm.start()
    await comfy.start()
    started = time.perf_counter()
    timings = Timings(started)
    logging.getLogger("storybot").addHandler(timings)
    logging.getLogger("storybot").setLevel(logging.INFO)
    try:
        settings = Settings.load(
            env={},
            env_file=None,
            data_dir=folder,
            comfyui_urls=comfy.url,
            llm_server_url=llm.url,
            tts_model_dir=voices,
            image_width=128,
            image_height=128,
            image_steps=4,
            shared_gpu=shared_gpu,
            book_video=False,
            book_pdf=False,
            safety_guard_threshold=0.5,  # calibrated before (doctor or start-up), as cached
        )
        maker = make_book_maker(settings)  # start-up is part of what the user waits for
        seen: list[tuple[float, Event]] = []
        active = maker.submit(request(), requester_id=1)
        async for event in active.events():
            seen.append((time.perf_counter() - started, event))
        done = seen[-1][1]
        assert isinstance(done, Done), done
        stored = maker.store.get(done.book.run_id)
        await maker.close()
    finally:
        logging.getLogger("storybot").removeHandler(timings)
        await llm.stop()
        await comfy.stop()
    record_timings = done.book.directory / "story.json"
    assert record_timings.is_file()
    cover_prompt = next(t for t, e in seen if isinstance(e, PageText) and e.page.page == 0)
    shown = {}
    for moment, event in seen:
        if isinstance(event, PageImage):
            shown.setdefault(event.page, moment)
    assert stored is not None
    paint, look = stored.timings["image_0"], stored.timings.get("picture_check_0", 0.0)
    floor = cover_prompt + paint + look
    total = seen[-1][0]
    if show:
        print(f"  timeline ({'shared' if shared_gpu else 'separate'} GPU), seconds from the ask:")
        for moment, line in timings.lines:
            print(f"    {moment:6.2f}  {line.replace('[TIMING] ', '')}")
        for moment, event in seen:
            if isinstance(event, PageText | PageImage | StageStarted):
                what = event.kind + (f" {event.page}" if isinstance(event, PageImage) else "")
                if isinstance(event, PageText):
                    what = f"text {event.page.page}"
                print(f"    {moment:6.2f}  event: {what}")
        print(
            f"    floor: cover prompt {cover_prompt:.2f} + picture {paint:.2f} + check "
            f"{look:.2f} = {floor:.2f}; first picture shown {shown[0]:.2f}"
        )
    return shown[0], floor, max(shown.values()), total


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        voices = build_tiny_supertonic(Path(tmp) / "voices")
        for shared in (False, True):
            name = "shared" if shared else "separate"
            results = []
            for run in range(RUNS):
                results.append(
                    await one_book(Path(tmp) / f"{name}{run}", voices, shared, show=run == 0)
                )
            ratios = [first / floor for first, floor, _, _ in results]
            print(
                f"{name} GPU: first picture shown / floor: median {statistics.median(ratios):.3f} "
                f"({', '.join(f'{r:.3f}' for r in ratios)}); first picture "
                f"{statistics.median(r[0] for r in results):.2f} s, last picture "
                f"{statistics.median(r[2] for r in results):.2f} s, book "
                f"{statistics.median(r[3] for r in results):.2f} s"
            )


if __name__ == "__main__":
    asyncio.run(main())
