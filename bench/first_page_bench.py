"""The first picture as a user feels it: from the moment the book is asked for (start-up of the
engines included) to each picture *shown* — the PageImage event the book message and the CLI
act on — against the floor this run's own stage costs allow: the story's time from its request
reaching the model to the cover's prompt existing (its page closed in the stream) + painting one
picture + looking at it. Everything before the story's request reaches the model (engines
loading, the request's screen and guard when they are not beside it) is time above the floor.

Each book runs in a fresh process, as `storybot make` does: nothing is warm. The real BookMaker
wired as the CLI wires it, over real sockets: a llama-server stand-in that reads its prompt for
PROMPT seconds and then streams a Korean story evenly over STORY seconds (its guard verdicts take
VERDICT seconds), a protocol-true ComfyUI stand-in at about PICTURE seconds a picture, the real
NudeNet picture check and the real Supertonic pipeline on tiny models. Separate and shared GPU.
Prints one run's timeline and, for three runs each, first-picture/floor and book figures.

    python bench/first_page_bench.py
"""

from __future__ import annotations

import time

LAUNCHED = time.perf_counter()  # before the imports: they are part of a cold start too

import asyncio  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from asyncio.subprocess import PIPE  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storybot.config import Settings  # noqa: E402
from storybot.models import Done, Event, PageImage, PageText, StageStarted  # noqa: E402
from storybot.story.stream import PageClosed, StoryStreamParser  # noqa: E402
from storybot.wiring import make_book_maker  # noqa: E402
from tests.support.fake_comfyui import FakeComfyUI  # noqa: E402
from tests.support.fake_llama_server import (  # noqa: E402
    SAFE_VERDICT,
    FakeLlamaServer,
    Reply,
    asks_for_a_verdict,
)
from tests.support.stories import dumps, request, story  # noqa: E402
from tests.support.tiny_supertonic import build_tiny_supertonic  # noqa: E402

PROMPT = 1.0  # seconds the stand-in reads the story's prompt before its first token
STORY = 6.0  # seconds the stand-in takes to stream the whole story after that
VERDICT = 0.5  # seconds one guard verdict takes
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


async def one_book(
    folder: Path, voices: Path, shared_gpu: bool, show: bool, llm_url: str, comfy_url: str
) -> dict[str, float]:
    """One book as `storybot make` makes it, in this (fresh) process; wall-clock moments."""
    started, asked_at = time.perf_counter(), time.time()  # the ask
    timings = Timings(started)
    logging.getLogger("storybot").addHandler(timings)
    logging.getLogger("storybot").setLevel(logging.INFO)
    settings = Settings.load(
        env={},
        env_file=None,
        data_dir=folder,
        comfyui_urls=comfy_url,
        llm_server_url=llm_url,
        tts_model_dir=voices,
        image_width=128,
        image_height=128,
        image_steps=4,
        shared_gpu=shared_gpu,
        book_video=False,
        book_pdf=False,
        safety_guard_threshold=0.5,  # calibrated before (doctor or start-up), as cached
    )
    maker = make_book_maker(settings)
    maker.wait_for_painter = False
    seen: list[tuple[float, Event]] = []
    active = maker.submit(request(), lane="cli", screen_first=False)
    warming = asyncio.create_task(maker.warm_up(korean=False))  # as `storybot make`
    async for event in active.events():
        seen.append((time.perf_counter() - started, event))
    warming.cancel()
    done = seen[-1][1]
    assert isinstance(done, Done), done
    stored = maker.store.get(done.book.run_id)
    await maker.close()
    assert stored is not None
    shown: dict[int, float] = {}
    for moment, event in seen:
        if isinstance(event, PageImage):
            shown.setdefault(event.page, moment)
    if show:
        print(f"  timeline ({'shared' if shared_gpu else 'separate'} GPU), seconds from the ask:")
        print(f"    {LAUNCHED - started:6.2f}  process launched (imports until the ask)")
        for moment, line in timings.lines:
            print(f"    {moment:6.2f}  {line.replace('[TIMING] ', '')}")
        for moment, event in seen:
            if isinstance(event, PageText | PageImage | StageStarted):
                what = event.kind + (f" {event.page}" if isinstance(event, PageImage) else "")
                if isinstance(event, PageText):
                    what = f"text {event.page.page}"
                print(f"    {moment:6.2f}  event: {what}")
    cover = next(t for t, e in seen if isinstance(e, PageText) and e.page.page == 0)
    return {
        "ask": asked_at,
        "imports": started - LAUNCHED,
        "cover_event": cover,
        "first": shown[0],
        "last": max(shown.values()),
        "total": seen[-1][0],
        "paint": stored.timings["image_0"],
        "look": stored.timings.get("picture_check_0", 0.0),
    }


def cover_offset(text: str) -> int:
    """Where in the story's text its cover page closes (what the writer needs to see)."""
    parser = StoryStreamParser()
    for index, char in enumerate(text):
        if any(isinstance(e, PageClosed) for e in parser.feed(char)):
            return index + 1
    raise AssertionError("the story has no page")


async def one_run(folder: Path, voices: Path, shared: bool, show: bool) -> dict[str, float]:
    """The stand-ins here, the book in a fresh interpreter: a model on its own device is not
    slowed when the book's process holds its GIL."""
    text = dumps(story())
    chunks = 60
    piece = Reply(text, chunk_size=len(text) // chunks + 1, chunk_delay=STORY / chunks)
    llm = FakeLlamaServer(
        replies=[dataclasses.replace(piece, delay=PROMPT)] * 3,
        verdicts=[Reply(SAFE_VERDICT, delay=VERDICT)] * 8,
    )
    comfy = FakeComfyUI(step_delay=PICTURE / 4)
    await llm.start()
    await comfy.start()
    try:
        args = [folder, voices, int(shared), int(show), llm.url, comfy.url]
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, *map(str, args), stdout=PIPE, stderr=PIPE
        )
        out, err = await child.communicate()
    finally:
        await llm.stop()
        await comfy.stop()
    if child.returncode != 0:
        raise SystemExit(f"the run failed:\n{err.decode()[-3000:]}")
    *lines, last = out.decode().strip().splitlines()
    figures = json.loads(last)
    # The stand-in's clock: when the story's request arrived, when the cover's end was sent.
    wall = time.time() - time.perf_counter()
    arrived = [moment + wall for moment, body in zip(llm.arrived, llm.requests, strict=True)]
    story_at = next(
        moment
        for moment, body in zip(arrived, llm.requests, strict=True)
        if not asks_for_a_verdict(body)
    )
    end = cover_offset(text)
    cover_at = next(t for t, content, offset in llm.streamed if content == text and offset >= end)
    figures["asked"] = story_at - figures["ask"]
    figures["floor"] = (cover_at - story_at) + figures["paint"] + figures["look"]
    if show:
        print("\n".join(lines))
        for moment in arrived:
            print(f"    {moment - figures['ask']:6.2f}  a request reaches the stand-in")
        print(
            f"    {cover_at - figures['ask']:6.2f}  the stand-in sends the cover page's end\n"
            f"    floor: story request to cover sent {cover_at - story_at:.2f} + picture "
            f"{figures['paint']:.2f} + check {figures['look']:.2f} = {figures['floor']:.2f}; "
            f"story asked at {figures['asked']:.2f}; cover prompt seen at "
            f"{figures['cover_event']:.2f}; first picture shown {figures['first']:.2f}",
            flush=True,
        )
    return figures


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        voices = build_tiny_supertonic(Path(tmp) / "voices")
        for shared in (False, True):
            name = "shared" if shared else "separate"
            results = [
                await one_run(Path(tmp) / f"{name}{run}", voices, shared, show=run == 0)
                for run in range(RUNS)
            ]
            ratios = [r["first"] / r["floor"] for r in results]
            print(
                f"{name} GPU: first picture shown / floor: median {statistics.median(ratios):.3f} "
                f"({', '.join(f'{r:.3f}' for r in ratios)}); floor "
                f"{statistics.median(r['floor'] for r in results):.2f} s; story asked of the "
                f"model at {statistics.median(r['asked'] for r in results):.2f} s; first picture "
                f"{statistics.median(r['first'] for r in results):.2f} s, last picture "
                f"{statistics.median(r['last'] for r in results):.2f} s, book "
                f"{statistics.median(r['total'] for r in results):.2f} s (imports before the "
                f"ask {statistics.median(r['imports'] for r in results):.2f} s)",
                flush=True,
            )


if __name__ == "__main__":
    if len(sys.argv) == 7:  # one book, in its own process
        folder, voices, shared, show, llm_url, comfy_url = sys.argv[1:]
        figures = asyncio.run(
            one_book(Path(folder), Path(voices), shared == "1", show == "1", llm_url, comfy_url)
        )
        print(json.dumps(figures))
    else:
        asyncio.run(main())
