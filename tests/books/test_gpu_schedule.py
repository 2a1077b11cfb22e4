"""GPU_SCHEDULE on one GPU shared by the writer and the painter, on the real tiny in-process
model (llama.cpp, the real grammar) and the real ComfyUI pool against the protocol-true fake.

interleave: each picture whose prompt exists is painted while the writer is paused — not one
token is produced while the cover is painted — and the writer then resumes into a valid story.
story-first: no picture starts before the whole story is written."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from storybot.books.pipeline import Pipeline, PipelineOptions
from storybot.books.store import RunRecord, RunStore
from storybot.engines.image_pool import ComfyPool
from storybot.models import PAGE_COUNT, Event, PageImage, Status, StoryRequest
from storybot.paths import PROJECT_ROOT
from storybot.story import DraftPage, LlamaCppWriter, LlamaServerWriter, StoryAuthor, WrittenStory
from tests.support.fake_comfyui import FakeComfyUI, png_size
from tests.support.fake_llama_server import Reply
from tests.support.stories import dumps, story

GRAMMAR = PROJECT_ROOT / "grammars" / "story.gbnf"
FLUX = PROJECT_ROOT / "workflows" / "flux_schnell.json"
REQUEST = StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")


@dataclass
class Paint:
    """One picture as the writer saw it: its tokens when the picture began and ended, and
    whether the story was still being written."""

    page: int
    tokens_before: int
    tokens_after: int
    while_writing: bool


@dataclass
class WatchedPainter:
    """The real pool, with a note of the writer's token count around each picture."""

    pool: ComfyPool
    writer: LlamaCppWriter
    record: RunRecord | None = None
    paints: list[Paint] = field(default_factory=list)

    async def paint(self, image_prompt: str, out: Path, **options: object) -> Path:
        assert self.record is not None
        writing = self.record.story is None
        before = self.writer.tokens_used
        path = await self.pool.paint(image_prompt, out, **options)  # type: ignore[arg-type]
        page = int(out.stem.rsplit("_", 1)[-1]) if "_" in out.stem else 0
        self.paints.append(Paint(page, before, self.writer.tokens_used, writing))
        return path

    @property
    def has_reference(self) -> bool:
        return self.pool.has_reference

    async def share_reference(self, owner: str, picture: Path | bytes) -> str:
        return await self.pool.share_reference(owner, picture)

    def forget_reference(self, owner: str) -> None:
        self.pool.forget_reference(owner)

    async def reachable(self) -> bool:
        return await self.pool.reachable()

    async def free_all(self) -> None: ...

    async def close(self) -> None:
        await self.pool.close()


async def make_book(
    tiny_gguf: Path, comfy: FakeComfyUI, tmp_path: Path, schedule: str
) -> tuple[RunRecord, WatchedPainter, list[Event]]:
    comfy.step_delay = 0.05  # a picture takes long enough for a running writer to show it
    writer = LlamaCppWriter(str(tiny_gguf), grammar_path=GRAMMAR, n_ctx=8192, threads=1)
    pool = ComfyPool([comfy.url], FLUX, width=64, height=64, steps=4, poll_interval=0.02)
    painter = WatchedPainter(pool, writer)
    store = RunStore(tmp_path / "data")
    pipeline = Pipeline(
        store,
        StoryAuthor(writer, review=False, seed=7, safety_screen=False),
        painter,
        None,
        PipelineOptions(shared_gpu=True, gpu_schedule=schedule, make_video=False, make_pdf=False),
    )
    record = store.create(REQUEST)
    painter.record = record
    events: list[Event] = []
    try:
        await pipeline.make(record, lambda event, _save: events.append(event))
    finally:
        await painter.close()
        await writer.close()
        store.close()
    return record, painter, events


async def test_interleave_pauses_the_writer_while_the_cover_is_painted(
    tiny_gguf: Path, comfy: FakeComfyUI, tmp_path: Path
) -> None:
    record, painter, events = await make_book(tiny_gguf, comfy, tmp_path, "interleave")
    story = record.story
    assert story is not None and len(story.pages) == PAGE_COUNT  # resumed into a valid story
    assert story.title and all(page.text and page.image_prompt for page in story.pages)
    during = [paint for paint in painter.paints if paint.while_writing]
    assert during and during[0].page == 0  # the cover was painted before the story was done
    for paint in during:  # not one token while a picture was painted
        assert paint.tokens_after == paint.tokens_before, paint
    assert during[0].tokens_before > 0  # …and the writer had written up to the cover
    assert painter.writer.tokens_used > during[-1].tokens_after  # then it went on writing
    first_image = next(i for i, e in enumerate(events) if isinstance(e, PageImage))
    last_text = max(i for i, e in enumerate(events) if type(e).__name__ == "PageText")
    assert first_image < last_text  # the child saw the cover while pages were still coming
    for info in record.pages:
        assert info.image_path is not None
        assert png_size(info.image_path.read_bytes()) == (64, 64)
    assert record.status is Status.RUNNING  # the service, not the pipeline, ends the run


async def test_story_first_paints_only_after_the_story(
    tiny_gguf: Path, comfy: FakeComfyUI, tmp_path: Path
) -> None:
    record, painter, events = await make_book(tiny_gguf, comfy, tmp_path, "story-first")
    assert record.story is not None
    assert len(painter.paints) == PAGE_COUNT
    assert not any(paint.while_writing for paint in painter.paints)
    last_text = max(i for i, e in enumerate(events) if type(e).__name__ == "PageText")
    first_image = next(i for i, e in enumerate(events) if isinstance(e, PageImage))
    assert first_image > last_text


async def test_the_story_time_limit_counts_only_writing_time(llama_server) -> None:
    """A writer paused for longer than LLM_TIMEOUT (a slow picture) still finishes its story:
    the limit is on writing, not on waiting for the GPU."""
    llama_server.replies = [Reply(dumps(story()), chunk_size=16, chunk_delay=0.01)]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR)
    author = StoryAuthor(writer, review=False, retries=0, timeout=2.0, seed=1, safety_screen=False)
    pages = 0
    started = time.perf_counter()
    try:
        async for item in author.stream(REQUEST):
            if isinstance(item, DraftPage) and item.page.page == 0:
                pages += 1
                async with writer.paused():  # a picture that takes longer than the limit
                    await asyncio.sleep(3.0)
                assert writer.paused_seconds >= 3.0
            elif isinstance(item, WrittenStory):
                assert item.story.title == story()["title"]
                # Its writing time leaves out the 3 s it spent paused.
                assert time.perf_counter() - started - item.seconds >= 3.0
                break
    finally:
        await writer.close()
    assert pages == 1
