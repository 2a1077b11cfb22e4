"""Time to the first finished page, to the whole book and to the last picture: our pipeline vs the
original's schedule.

Not a test: run `python bench/pipeline_bench.py`. The engines only sleep, for the stage costs of
the original's measured timeline — the LLM 30 s, writing its five pages evenly; each image 10 s
on a GPU; narration 3 s per page on the CPU, one page at a time — scaled down (1 s → UNIT).
Our real `Pipeline` (run store, events, validation and all) runs on them; the original's
schedule (the whole story first, then images one by one, all narration started after the story)
is implemented here.

- "separate": the LLM has its own device (llama-server elsewhere, or another GPU);
- "shared": one GPU that both the writer and the painter need (a device lock: the writer holds
  it for each piece it writes, the painter for each picture), GPU_SCHEDULE=interleave: the
  writer pauses while a picture is painted (through the real `PauseGate`);
- "two_painters": the LLM on its own device and two ComfyUI servers (the real `ComfyPool`
  against two protocol-true fake ComfyUI servers over sockets), measured to the last picture.

The critical path is the lower bound any schedule could reach. The last line is the one to
compare; it is machine-readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_comfyui import FakeComfyUI  # noqa: E402
from tests.stories import story  # noqa: E402

from storybot.books.pipeline import Painter, Pipeline, PipelineOptions  # noqa: E402
from storybot.books.store import RunStore  # noqa: E402
from storybot.engines.image_pool import ComfyPool  # noqa: E402
from storybot.models import Event, PageAudio, PageImage, StoryRequest  # noqa: E402
from storybot.paths import PROJECT_ROOT  # noqa: E402
from storybot.story import StoryAuthor  # noqa: E402
from storybot.story.pause import PauseGate  # noqa: E402

UNIT = 0.040  # one second of the original's timeline
LLM_SECONDS = 30
IMAGE_SECONDS = 10
NARRATION_SECONDS = 3
PAGES = 5
PIECES_PER_PAGE = 12  # the writer's pieces (a pause waits for the piece being written)
REQUEST = StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")


class SleepingWriter:
    """Writes a valid story in even pieces so that page k closes at 6(k+1) units of writing, the
    end at 30. A producer task writes at its own pace, however long the reader takes over each
    piece (as llama.cpp's thread does); on a shared GPU it holds the device for each piece and
    stops between pieces while it is paused."""

    name = "sleeping LLM"
    can_pause = True

    def __init__(self, device: asyncio.Lock | None = None) -> None:
        self.device = device
        self._writing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.gate = PauseGate(halt=lambda: None, halted=self._idle.wait, resume=lambda: None)

    def paused(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.gate.hold()

    @property
    def paused_seconds(self) -> float:
        return self.gate.paused_seconds

    @staticmethod
    def pieces() -> list[str]:
        text = json.dumps(story(), ensure_ascii=False)
        cuts, depth = [], 0  # right after each page's closing brace
        for position, char in enumerate(text):
            depth += char in "{["
            depth -= char in "}]"
            if char == "}" and depth == 2:
                cuts.append(position + 1)
        cuts[-1] = len(text)  # the last page closes with the story
        pieces, start = [], 0
        for cut in cuts:  # each page's span in even pieces
            step = (cut - start) / PIECES_PER_PAGE
            ends = [round(start + step * (i + 1)) for i in range(PIECES_PER_PAGE)]
            ends[-1] = cut
            for end in ends:
                pieces.append(text[start:end])
                start = end
        return pieces

    async def stream(self, messages: object, *, seed: int) -> AsyncIterator[str]:
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        piece_seconds = LLM_SECONDS / PAGES / PIECES_PER_PAGE * UNIT

        async def produce() -> None:
            # Each piece is due a fixed writing time after the one before (absolute targets,
            # so sleeping's overshoot does not add up); time paused or waiting for the device
            # moves the target.
            loop = asyncio.get_running_loop()
            due = loop.time()
            for piece in self.pieces():
                asked = loop.time()
                await self.gate.wait_open()
                self._idle.clear()
                try:
                    async with self.device or contextlib.nullcontext():
                        due += piece_seconds + (loop.time() - asked)
                        await asyncio.sleep(max(0.0, due - loop.time()))
                finally:
                    self._idle.set()
                queue.put_nowait(piece)
            queue.put_nowait(None)

        producer = asyncio.create_task(produce())
        try:
            while (piece := await queue.get()) is not None:
                yield piece
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer

    async def count_tokens(self, text: str) -> int | None:
        return None  # pieces of a sleeping writer are not tokens

    async def load(self) -> None: ...

    async def release(self) -> None: ...

    async def close(self) -> None: ...


class SleepingPainter:
    """One GPU: 10 units per picture (the device lock, shared with the writer if it is)."""

    has_reference = False  # today's schedule: every page painted on its own

    def __init__(self, device: asyncio.Lock | None = None) -> None:
        self.gpu = device or asyncio.Lock()

    async def share_reference(self, owner: str, picture: Path | bytes) -> str:
        return ""

    def forget_reference(self, owner: str) -> None: ...

    async def reachable(self) -> bool:
        return True

    async def paint(self, image_prompt: str, out: Path, **_: object) -> Path:
        async with self.gpu:
            await asyncio.sleep(IMAGE_SECONDS * UNIT)
        out.write_bytes(b"\x89PNG\r\n\x1a\n")
        return out

    async def free_all(self) -> None: ...

    async def close(self) -> None: ...


class ReferencePainter(SleepingPainter):
    """The same costs with a reference workflow: the cover is shared as the book's reference
    and every other page waits for it (issue 23: the same hero on every page)."""

    has_reference = True


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


@contextlib.asynccontextmanager
async def comfy_pool(servers: int) -> AsyncIterator[ComfyPool]:
    """The real pool on `servers` fake ComfyUI servers that take 10 units a picture."""
    steps = 4
    fakes = [FakeComfyUI(step_delay=IMAGE_SECONDS * UNIT / steps) for _ in range(servers)]
    for fake in fakes:
        await fake.start()
    pool = ComfyPool(
        [fake.url for fake in fakes],
        PROJECT_ROOT / "workflows" / "flux_schnell.json",
        width=64,
        height=64,
        steps=steps,
        connect_timeout=5.0,
        image_timeout=60.0,
        reprobe_after=30.0,
        poll_interval=0.05,
        request_timeout=10.0,
    )
    try:
        yield pool
    finally:
        await pool.close()
        for fake in fakes:
            await fake.stop()


class Timeline:
    """When the first page (its picture and its narration) and the last picture were ready."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.images: set[int] = set()
        self.audio: set[int] = set()
        self.first_page: float | None = None
        self.last_picture = 0.0

    def seen(self, event: Event, _save: bool = False) -> None:
        now = (time.perf_counter() - self.started) / UNIT
        if isinstance(event, PageImage):
            self.images.add(event.page)
            if len(self.images) == PAGES:
                self.last_picture = max(self.last_picture, now)
        elif isinstance(event, PageAudio):
            self.audio.add(event.page)
        if self.first_page is None and 0 in self.images and 0 in self.audio:
            self.first_page = now


async def ours(
    data: Path, *, shared_gpu: bool, painter: Painter | None = None, reference: bool = False
) -> tuple[float, float, float]:
    """(first page, total, last picture) in units, for our pipeline (`reference`: pages
    painted after the cover, as with a reference workflow)."""
    device = asyncio.Lock() if shared_gpu else None
    painter = painter or (ReferencePainter if reference else SleepingPainter)(device)
    store = RunStore(data)
    pipeline = Pipeline(
        store,
        StoryAuthor(SleepingWriter(device), seed=1, safety_screen=False),  # type: ignore[arg-type]
        painter,
        SleepingNarrator(),  # type: ignore[arg-type]
        PipelineOptions(
            shared_gpu=shared_gpu, gpu_schedule="interleave", make_video=False, make_pdf=False
        ),
    )
    record = store.create(REQUEST)
    timeline = Timeline()
    await pipeline.make(record, timeline.seen)
    total = (time.perf_counter() - timeline.started) / UNIT
    store.close()
    assert timeline.first_page is not None
    return timeline.first_page, total, timeline.last_picture


async def original() -> tuple[float, float]:
    """(first page, total) in units, for the original's schedule (the last picture is the
    end of the book: narration ends before it)."""
    painter, narrator = SleepingPainter(), SleepingNarrator()
    timeline = Timeline()
    async for _ in SleepingWriter().stream(None, seed=1):  # the whole story first
        pass

    async def narrate(page: int) -> None:
        await narrator.narrate("", Path(tempfile.gettempdir()) / "bench.wav")
        timeline.seen(PageAudio(page=page, path=Path("bench.wav")))

    narration = asyncio.gather(*(narrate(page) for page in range(PAGES)))
    for page in range(PAGES):  # images one by one, cover first
        await painter.paint("", Path(tempfile.gettempdir()) / "bench.png")
        timeline.seen(PageImage(page=page, path=Path("bench.png")))
    await narration
    assert timeline.first_page is not None
    return timeline.first_page, (time.perf_counter() - timeline.started) / UNIT


def critical_path(shared_gpu: bool, painters: int = 1) -> tuple[float, float, float]:
    """The best any schedule could do: (first page, total, last picture) in units.

    Page k's prompt exists after 6(k+1) units of writing. Separate devices: a picture may
    start at its prompt, on any free painter. One shared GPU: writing and painting are one
    queue of 80 units of GPU work, and the cover's prompt needs 6 of them."""
    prompt = [LLM_SECONDS / PAGES * (k + 1) for k in range(PAGES)]
    first_page = max(prompt[0] + IMAGE_SECONDS, prompt[0] + NARRATION_SECONDS)
    if shared_gpu:
        last_picture = LLM_SECONDS + PAGES * IMAGE_SECONDS
    else:
        free = [0.0] * painters  # greedy list scheduling in prompt order is optimal here
        for ready in prompt:
            painter = min(range(painters), key=free.__getitem__)
            free[painter] = max(free[painter], ready) + IMAGE_SECONDS
        last_picture = max(free)
    narration_end = prompt[-1] + NARRATION_SECONDS
    return first_page, max(last_picture, narration_end), last_picture


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:  # warm-up: imports, first-call costs
        await ours(Path(tmp), shared_gpu=False)
    base_first, base_total = await original()
    print(f"original schedule: first page {base_first:.1f} s, total {base_total:.1f} s")
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, shared in (("separate", False), ("shared", True)):
            first, total, _ = await ours(Path(tmp) / name, shared_gpu=shared)
            bound_first, bound_total, _ = critical_path(shared)
            results[name] = (first / base_first, total / base_total)
            print(
                f"{name} GPU: first page {first:.1f} s (critical path {bound_first:.0f}, "
                f"ratio bound {bound_first / base_first:.2f}), total {total:.1f} s (critical "
                f"path {bound_total:.0f}, ratio bound {bound_total / base_total:.2f})"
            )
        for name, shared in (("separate", False), ("shared", True)):
            today = await ours(Path(tmp) / f"{name}-today", shared_gpu=shared)
            kept = await ours(Path(tmp) / f"{name}-ref", shared_gpu=shared, reference=True)
            print(
                f"{name} GPU, cover as the reference: first page {kept[0]:.1f} s (today "
                f"{today[0]:.1f}, ratio {kept[0] / today[0]:.2f}), last picture {kept[2]:.1f} s "
                f"(today {today[2]:.1f}, ratio {kept[2] / today[2]:.2f})"
            )
        last: dict[int, float] = {}
        for servers in (1, 2):
            async with comfy_pool(servers) as pool:
                _, _, last[servers] = await ours(
                    Path(tmp) / f"pool{servers}", shared_gpu=False, painter=pool
                )
            bound = critical_path(False, servers)[2]
            print(
                f"{servers} painter(s), LLM on its own device: last picture {last[servers]:.1f} s "
                f"(critical path {bound:.0f}; the original's one painter: {base_total:.0f}, "
                f"ratio bound {bound / base_total:.2f})"
            )
        print(
            f"two painters vs our one painter: {last[2] / last[1]:.2f} "
            f"(critical path {critical_path(False, 2)[2] / critical_path(False, 1)[2]:.2f}: "
            "the writer, not the painters, paces the last pages)"
        )
    line = "; ".join(
        f"{name} first_page_ratio={first:.2f} total_ratio={total:.2f}"
        for name, (first, total) in results.items()
    )
    print(f"{line}; two_painters last_picture_ratio={last[2] / base_total:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
