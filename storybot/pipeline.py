"""The book pipeline: a `StoryRequest` in, a finished book out, typed events on the way.

    story (streams pages) ─► page k text ─► narration of page k (CPU pool)
                                        └─► image of page k (ComfyUI), in page order

Narration of a page starts the moment its text exists; images start with the cover as soon as
its prompt exists, or, when the LLM and ComfyUI share one GPU, once the writer is done with it.
Neither waits for the other. Every state change is committed to the run store before its event
goes out. Nothing in here knows about Discord: the bot and the CLI render the events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from storybot.book import BookError, VideoOptions, make_video
from storybot.engines.tts import Narrator
from storybot.errors import StorybotError, StoryError
from storybot.logs import run_context, timing
from storybot.models import (
    PAGE_COUNT,
    Cancelled,
    Done,
    Event,
    Failed,
    Page,
    PageAudio,
    PageImage,
    PageText,
    Progress,
    Stage,
    StageStarted,
    Status,
    Story,
    StoryReady,
)
from storybot.runs import RunRecord, RunStore
from storybot.story import DraftPage, StoryAuthor, WrittenStory

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], Awaitable[None] | None]


class Painter(Protocol):
    """Paints one page (the ComfyUI pool)."""

    async def paint(
        self,
        image_prompt: str,
        out: Path,
        *,
        seed: int,
        character_sheet: str = "",
        on_progress: ProgressCallback | None = None,
    ) -> Path: ...

    async def free_all(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class PipelineOptions:
    shared_gpu: bool = True
    image_retries: int = 1  # on top of the pool's own retry on another server
    narration_timeout: float = 180.0
    video_timeout: float = 600.0
    make_video: bool = True
    video: VideoOptions = field(default_factory=VideoOptions)


class BookPipeline:
    """Makes books from runs; one `BookRun` per book."""

    def __init__(
        self,
        store: RunStore,
        author: StoryAuthor,
        painter: Painter,
        narrator: Narrator | None,
        options: PipelineOptions | None = None,
    ) -> None:
        self.store = store
        self.author = author
        self.painter = painter
        self.narrator = narrator
        self.options = options or PipelineOptions()

    def start(self, record: RunRecord) -> BookRun:
        """Start making `record`'s book now; iterate the result for its events."""
        return BookRun(self, record)


class BookRun:
    """One book being made: `events()` yields what happens, `cancel()` stops it."""

    def __init__(self, pipeline: BookPipeline, record: RunRecord) -> None:
        self.pipeline = pipeline
        self.record = record
        self.store = pipeline.store
        self.options = pipeline.options
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._attempt = 0
        self._texts: dict[int, Page] = {}
        self._narrations: dict[int, asyncio.Task[None]] = {}
        self._images: asyncio.Task[None] | None = None
        self._prompts: list[asyncio.Future[Page]] = []
        self._sheet = ""
        self._title = ""
        self._task = asyncio.create_task(self._run(), name=f"book {record.run_id}")

    async def events(self) -> AsyncIterator[Event]:
        """Every event of this book, ending with Done, Failed or Cancelled."""
        while (event := await self._events.get()) is not None:
            yield event

    def cancel(self) -> None:
        """Stop at once: jobs interrupted, files already made kept, status CANCELLED."""
        self._task.cancel()

    async def wait(self) -> RunRecord:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._task)
        return self.record

    # --- the run -----------------------------------------------------------------------

    async def _run(self) -> None:
        record = self.record
        started = time.perf_counter()
        with run_context(record.run_id):
            try:
                await self._make()
            except asyncio.CancelledError:
                await self._finish(Status.CANCELLED, Cancelled())
            except StorybotError as exc:
                record.error = str(exc)
                await self._finish(Status.FAILED, Failed(error=str(exc), stage=record.stage))
            except Exception as exc:
                log.exception("The book pipeline crashed")
                record.error = f"internal error: {exc}"
                await self._finish(Status.FAILED, Failed(error=record.error, stage=record.stage))
            finally:
                await self._stop_workers()
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(30):
                        await self.pipeline.painter.free_all()
                record.timings["total"] = round(time.perf_counter() - started, 3)
                self.store.save(record)
                log.info(
                    "[TIMING] Book completed in %.2fs (%s)",
                    record.timings["total"],
                    record.status.value,
                )
                self._events.put_nowait(None)

    async def _make(self) -> None:
        record = self.record
        if record.image_seed is None:
            record.image_seed = random.randrange(2**32)
        record.status = Status.RUNNING
        story = record.story
        if story is None:
            await self._set_stage(Stage.LLM)
            story = await self._write()
        else:  # a retry: the story and the files already made are reused
            self._start_attempt(1, story.character_sheet)
            self._title = story.title
            for page in story.pages:
                await self._page_ready(page)
        if self._images is None:
            await self._start_images(story)
        await self._images
        narrations = list(self._narrations.values())
        if any(not task.done() for task in narrations):
            await self._set_stage(Stage.TTS)
        await asyncio.gather(*narrations)
        if self.options.make_video:
            await self._make_video(story)
        book = self.store.book(record)
        assert book is not None  # the story exists by now
        await self._finish(Status.DONE, Done(book=book))

    async def _write(self) -> Story:
        """Stream the story; each page starts its narration (and image) as it arrives."""
        async for item in self.pipeline.author.stream(self.record.request):
            if isinstance(item, DraftPage):
                if item.attempt != self._attempt:
                    await self._supersede(item.attempt, item.character_sheet)
                self._title = item.title
                await self._page_ready(item.page)
            elif isinstance(item, WrittenStory):
                return await self._story_written(item)
        raise StoryError("the writer ended without a story")  # pragma: no cover

    async def _story_written(self, written: WrittenStory) -> Story:
        record = self.record
        record.story = written.story
        record.timings["llm"] = round(written.seconds, 3)
        path = self.store.run_dir(record.run_id) / "story.json"
        path.write_text(written.story.model_dump_json(indent=2), encoding="utf-8")
        await self._emit(StoryReady(story=written.story))
        await self.pipeline.author.writer.release()
        return written.story

    async def _supersede(self, attempt: int, character_sheet: str) -> None:
        """A new attempt of the writer replaces the pages of the one before."""
        if self._attempt:
            log.info("Story attempt %d replaces attempt %d", attempt, self._attempt)
            await self._stop_workers()
            for info in self.record.pages:
                for path in (info.image_path, info.audio_path):
                    if path is not None:
                        path.unlink(missing_ok=True)
                info.image_path = info.audio_path = None
                info.text = ""
            self.record.ready_max_page = self.record.ready_max_audio_page = -1
        self._start_attempt(attempt, character_sheet)

    def _start_attempt(self, attempt: int, character_sheet: str) -> None:
        self._attempt = attempt
        self._sheet = character_sheet
        self._texts = {}
        self._narrations = {}
        self._images = None
        loop = asyncio.get_running_loop()
        self._prompts = [loop.create_future() for _ in range(PAGE_COUNT)]
        if not self.options.shared_gpu:
            self._images = asyncio.create_task(self._paint_pages())

    async def _page_ready(self, page: Page) -> None:
        record = self.record
        self._texts[page.page] = page
        info = record.pages[page.page]
        info.text = page.text
        if page.page == 0:
            info.title = self._title
        await self._emit(PageText(page=page))
        if not self._prompts[page.page].done():
            self._prompts[page.page].set_result(page)
        if self._wants_narration(page.page):
            self._narrations[page.page] = asyncio.create_task(self._narrate(page))

    async def _start_images(self, story: Story) -> None:
        self._sheet = story.character_sheet
        for page in story.pages:
            if not self._prompts[page.page].done():
                self._prompts[page.page].set_result(page)
        self._images = asyncio.create_task(self._paint_pages())

    async def _stop_workers(self) -> None:
        tasks = [*self._narrations.values()]
        if self._images is not None:
            tasks.append(self._images)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- images ------------------------------------------------------------------------

    async def _paint_pages(self) -> None:
        """Cover first, then the panels, one after another."""
        for index in range(PAGE_COUNT):
            page = await self._prompts[index]
            info = self.record.pages[index]
            if info.image_path is None or not info.image_path.is_file():
                await self._set_stage(Stage.for_image(index))
                await self._paint(page)
            else:
                await self._image_ready(index, info.image_path)

    async def _paint(self, page: Page) -> None:
        stage = Stage.for_image(page.page)
        out = self.store.image_path(self.record.run_id, page.page)

        async def progress(step: int, total: int) -> None:
            await self._emit(Progress(stage=stage, step=step, total=total), save=False)

        for attempt in range(self.options.image_retries + 1):
            try:
                started = time.perf_counter()
                with timing(log, f"image {stage.value}"):
                    path = await self.pipeline.painter.paint(
                        page.image_prompt,
                        out,
                        seed=self.record.image_seed or 0,
                        character_sheet=self._sheet,
                        on_progress=progress,
                    )
                self.record.timings[f"image_{page.page}"] = round(time.perf_counter() - started, 3)
                await self._image_ready(page.page, path)
                return
            except Exception as exc:  # one picture never loses a book
                log.warning("Image %s failed (try %d): %s", stage.value, attempt + 1, exc)
                error = exc
        info = self.record.pages[page.page]
        info.image_failed = True
        self.record.warnings.append(f"page {page.page}: the picture could not be made ({error})")
        self._advance_ready_page()
        self.store.save(self.record)

    async def _image_ready(self, index: int, path: Path) -> None:
        self.record.pages[index].image_path = path
        self._advance_ready_page()
        await self._emit(PageImage(page=index, path=path))

    def _advance_ready_page(self) -> None:
        self.record.ready_max_page = _ready_prefix(
            [p.image_path is not None or p.image_failed for p in self.record.pages]
        )

    # --- narration ---------------------------------------------------------------------

    def _wants_narration(self, index: int) -> bool:
        info = self.record.pages[index]
        done = info.audio_path is not None and info.audio_path.is_file()
        return self.pipeline.narrator is not None and self.record.request.narration and not done

    async def _narrate(self, page: Page) -> None:
        assert self.pipeline.narrator is not None
        request = self.record.request
        text = page.text
        if page.page == 0 and self._title:
            text = f"{self._title}. {page.text}"
        out = self.store.audio_path(self.record.run_id, page.page)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.options.narration_timeout):
                with timing(log, f"narration page {page.page}"):
                    await self.pipeline.narrator.narrate(
                        text, out, language=request.language, voice=request.voice
                    )
        except Exception as exc:  # one voice never loses a book
            reason = str(exc) or "it took too long"
            log.warning("Narration of page %d failed: %s", page.page, reason)
            self.record.warnings.append(f"page {page.page}: no narration ({reason})")
            self.store.save(self.record)
            return
        self.record.timings[f"narration_{page.page}"] = round(time.perf_counter() - started, 3)
        self.record.pages[page.page].audio_path = out
        self.record.ready_max_audio_page = _ready_prefix(
            [p.audio_path is not None for p in self.record.pages]
        )
        await self._emit(PageAudio(page=page.page, path=out))

    # --- the end -----------------------------------------------------------------------

    async def _make_video(self, story: Story) -> None:
        pages = self.record.pages
        try:
            async with asyncio.timeout(self.options.video_timeout):
                with timing(log, "read-along video"):
                    await make_video(
                        [p.image_path for p in pages],
                        [p.audio_path for p in pages],
                        self.store.video_path(self.record.run_id),
                        self.options.video,
                    )
        except (BookError, TimeoutError) as exc:
            reason = str(exc) or "it took too long"
            log.warning("No read-along video: %s", reason)
            self.record.warnings.append(f"no read-along video ({reason})")

    async def _set_stage(self, stage: Stage) -> None:
        self.record.stage = stage
        await self._emit(StageStarted(stage=stage))

    async def _finish(self, status: Status, event: Event) -> None:
        self.record.status = status
        await self._emit(event)

    async def _emit(self, event: Event, *, save: bool = True) -> None:
        """Commit the state, then let the event out."""
        if save:
            self.store.save(self.record)
        self._events.put_nowait(event)


def _ready_prefix(ready: list[bool]) -> int:
    """The last page of the unbroken run of ready pages from the cover (-1 if none): the
    original's `ready_max_page` / `ready_max_audio_page`."""
    count = 0
    while count < len(ready) and ready[count]:
        count += 1
    return count - 1
