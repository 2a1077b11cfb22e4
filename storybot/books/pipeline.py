"""The book pipeline: a run's record in, its finished book's files out, typed events on the way.

    story (streams pages) ─► page k text ─► narration of page k (CPU pool)
                                        └─► image of page k (ComfyUI), cover first

Narration of a page starts the moment its text exists; each picture starts as soon as its
prompt exists, several at once when the pool has several free painters. When the LLM and
ComfyUI share one GPU, the writer is paused while a picture is painted and resumes where it
stopped (GPU_SCHEDULE=interleave: the same GPU work in a better order), or the pictures wait
until the story is written (story-first, or a writer that cannot pause).
The whole book is one coroutine: its narration, painting and video run under one
`asyncio.TaskGroup`, so cancelling it stops all of them, and nothing outlives it.

Each attempt of the writer works in a draft folder outside the run's folder; only what the
accepted story's own pages produced is promoted into the run folder (`cover.png`,
`page_0.wav`…), so a retry can trust every file it finds there. Nothing in here knows about
Discord: the bot and the CLI render the events; ending the run is the service's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable
from pathlib import Path

from storybot.books.finishing import make_keepsakes
from storybot.books.narration import PageNarration
from storybot.books.painting import Painting
from storybot.books.parts import (
    Attempt,
    Emit,
    NoPicturesError,
    Painter,
    PictureChecker,
    PipelineOptions,
    first_error,
    picture_of,
    voice_of,
)
from storybot.books.store import RunRecord, RunStore
from storybot.engines.tts import Narrator
from storybot.errors import StoryError
from storybot.models import (
    PAGE_COUNT,
    Page,
    PageImage,
    PageText,
    Stage,
    Status,
    Story,
    StoryReady,
)
from storybot.safety import warm_up as warm_up_screen
from storybot.story import DraftPage, StoryAuthor, WrittenStory

log = logging.getLogger(__name__)

__all__ = ["NoPicturesError", "Painter", "PictureChecker", "Pipeline", "PipelineOptions"]


class Pipeline:
    """Makes books from runs: `make(record, emit)` is one book, start to end."""

    def __init__(
        self,
        store: RunStore,
        author: StoryAuthor,
        painter: Painter,
        narrator: Narrator | None,
        options: PipelineOptions | None = None,
        picture_check: PictureChecker | None = None,
    ) -> None:
        self.store = store
        self.author = author
        self.painter = painter
        self.narrator = narrator
        self.options = options or PipelineOptions()
        self.picture_check = picture_check

    async def make(self, record: RunRecord, emit: Emit) -> None:
        """Make `record`'s book; return when every part is made.

        Raises StorybotError when the book cannot be made (it becomes FAILED) and
        CancelledError when cancelled; either way the files already accepted are kept."""
        try:
            await _Book(self, record, emit).make()
        finally:
            self.painter.forget_reference(record.run_id)

    async def redraw(
        self,
        record: RunRecord,
        index: int,
        emit: Emit,
        owner: contextlib.AbstractAsyncContextManager[object] | None = None,
    ) -> None:
        """Draw page `index` of a made book with a new seed; the rest is kept. The new picture
        replaces the old one inside `owner` (the book's turn at its files), and the read-along
        video and PDF, which no longer match, go with it (remade on request)."""
        try:
            await _Book(self, record, emit).redraw(index, owner or contextlib.nullcontext())
        finally:
            self.painter.forget_reference(record.run_id)

    async def remake_keepsakes(self, record: RunRecord) -> None:
        """The read-along video and the PDF again, from the run's files (after a redraw)."""
        await make_keepsakes(self.store, record, self.options)

    async def warm_up(self, korean: bool = True) -> None:
        """Load, side by side and off the event loop, what a first book would otherwise wait
        for: Kiwi (the screen's analyser), the picture check's detector, the story model when
        it runs in this process, and the guard's calibration (once per model, then cached).
        A part that fails is logged here; the book that needs it says so plainly. `korean`
        False leaves Kiwi to the book's own screen: Kiwi's load holds the GIL for seconds, and
        a book that is already asked for must send its story's request first (author.py)."""
        parts: dict[str, Awaitable[object]] = {"story model": self.author.writer.load()}
        if korean:
            parts["Kiwi"] = asyncio.to_thread(warm_up_screen)
        if self.picture_check is not None:
            parts["picture check"] = asyncio.to_thread(self.picture_check.load)
        if self.author.guard is not None:
            parts["guard calibration"] = self.author.guard.calibrate()
        started = time.perf_counter()

        async def timed(name: str, part: Awaitable[object]) -> None:
            try:
                await part
            except Exception as exc:  # said again by the book that needs it
                log.warning("Start-up: %s is not ready: %s", name, exc)
            else:
                log.info(
                    "[TIMING] start-up: %s ready after %.2fs", name, time.perf_counter() - started
                )

        await asyncio.gather(*(timed(name, part) for name, part in parts.items()))


class _Book(Painting):
    """One book being made (the state of one `Pipeline.make` call)."""

    def __init__(self, pipeline: Pipeline, record: RunRecord, emit: Emit) -> None:
        self.pipeline = pipeline
        self.record = record
        self.store = pipeline.store
        self.options = pipeline.options
        self._emit = emit
        self.attempt: Attempt | None = None
        self.group: asyncio.TaskGroup | None = None
        self.last_image_error = ""
        self.painting: set[int] = set()  # pages whose pictures are being painted now
        self.redrawing = False  # one page of a made book painted again
        self.redrawn: Path | None = None  # its new picture, not yet the book's
        self.narration = PageNarration(pipeline.narrator, self.store, record, self.options, emit)
        self.sequel_reference = False  # the earlier book's cover is this one's reference
        self.started = time.perf_counter()

    async def make(self) -> None:
        record = self.record
        if record.image_seed is None:
            record.image_seed = random.randrange(2**32)
        record.status = Status.RUNNING
        self.store.clear_drafts(record.run_id)
        if record.story is None:  # nothing in the folder belongs to a story yet
            self.store.discard_outputs(record)
        sequel = record.request.sequel
        if sequel is not None:  # the earlier book's cover: every page of this one after it
            self.sequel_reference = await self.share_earlier(
                self.store.image_path(sequel.of_run, 0)
            )
        try:
            await self._make_parts()
        except BaseExceptionGroup as group:  # say what went wrong, not "errors in a TaskGroup"
            raise first_error(group) from None
        # The drafts stay until the run's next start (or retention): a renderer may still be
        # reading one an event named; the accepted ones are hard links, so they cost no space.
        if all(info.image_failed for info in record.pages):
            raise NoPicturesError(f"no picture could be painted ({self.last_image_error})")
        await make_keepsakes(self.store, record, self.options)

    async def _make_parts(self) -> None:
        """The story, every picture and every narration, under one task group."""
        record = self.record
        async with asyncio.TaskGroup() as group:
            self.group = group
            story = record.story
            if story is None:
                await self._set_stage(Stage.LLM)
                story = await self._write()
            else:  # a retry: the accepted story and its files are reused
                attempt = self._begin(0, story.character_sheet)
                attempt.title = story.title
                attempt.accepted.set()
                for page in story.pages:
                    self._page_ready(attempt, page)
            attempt = self.attempt
            assert attempt is not None
            if attempt.images is None:
                self._start_images(attempt, story)
            assert attempt.images is not None
            await attempt.images
            if any(not task.done() for task in attempt.tasks):
                await self._set_stage(Stage.TTS)

    # --- the story ---------------------------------------------------------------------

    async def _write(self) -> Story:
        """Stream the story; each page starts its narration (and image) as it arrives."""
        async for item in self.pipeline.author.stream(self.record.request):
            if isinstance(item, DraftPage):
                attempt = self.attempt
                if attempt is None or item.attempt != attempt.number:
                    attempt = await self._supersede(item.attempt, item.character_sheet)
                attempt.title = item.title
                self._page_ready(attempt, item.page)
            elif isinstance(item, WrittenStory):
                return await self._accept(item)
        raise StoryError("the writer ended without a story")  # pragma: no cover

    async def _supersede(self, number: int, character_sheet: str) -> Attempt:
        """A new attempt of the writer replaces the one before, and all it was making."""
        old = self.attempt
        if old is not None:
            log.info("Story attempt %d replaces attempt %d", number, old.number)
            for task in old.tasks:
                task.cancel()
            await asyncio.gather(*old.tasks, return_exceptions=True)
            for info in self.record.pages:
                info.text = ""
        return self._begin(number, character_sheet)

    def _begin(self, number: int, character_sheet: str) -> Attempt:
        folder = self.store.attempt_dir(self.record.run_id, f"a{number}")
        attempt = Attempt(number, folder, character_sheet)
        if self.record.request.sequel is not None:
            attempt.reference.set_result(self.sequel_reference)
        self.attempt = attempt
        if number > 0 and self._paints_while_writing():
            attempt.images = self._spawn(attempt, self._paint_pages(attempt))
        return attempt

    async def _accept(self, written: WrittenStory) -> Story:
        """The story is final: promote what its own pages made, redo what they did not."""
        record, story = self.record, written.story
        attempt = self.attempt
        if attempt is None or written.attempts != attempt.number:
            attempt = await self._supersede(written.attempts, story.character_sheet)
        attempt.sheet, attempt.title = story.character_sheet, story.title
        record.story = story
        record.pages[0].title = story.title  # a title written last reaches the cover too
        record.timings["llm"] = round(written.seconds, 3)
        path = self.store.run_dir(record.run_id) / "story.json"
        path.write_text(story.model_dump_json(indent=2), encoding="utf-8")
        attempt.accepted.set()
        for page in story.pages:
            if not attempt.prompts[page.page].done():  # a page the stream never showed
                self._page_ready(attempt, page)
        wanted = [picture_of(page, story.character_sheet) for page in story.pages]
        for index, (made_from, draft) in attempt.drafted_images.items():
            if made_from == wanted[index]:
                self._promote_image(index, draft, announce=False)  # shown already
        for index, (made_from, why) in attempt.failed_images.items():
            if made_from == wanted[index]:
                self._picture_failed(index, why)  # else painted from the final page below
        for index, (made_from, title, draft) in attempt.drafted_audio.items():
            if voice_of(made_from, title) == voice_of(story.pages[index], story.title):
                self.narration.promote(index, draft, announce=False)
            elif self.narration.wanted(index):  # the final page differs from its draft
                self._spawn(attempt, self.narration.narrate(attempt, story.pages[index]))
        self._emit(StoryReady(story=story), True)
        await self.pipeline.author.writer.release()
        return story

    def _page_ready(self, attempt: Attempt, page: Page) -> None:
        info = self.record.pages[page.page]
        info.text = page.text
        if page.page == 0:
            info.title = attempt.title
        self._emit(PageText(page=page), True)
        self._mark(f"page {page.page}: text and picture prompt ready")
        if not attempt.prompts[page.page].done():
            attempt.prompts[page.page].set_result(page)
        if self.narration.wanted(page.page):
            self._spawn(attempt, self.narration.narrate(attempt, page))

    def _start_images(self, attempt: Attempt, story: Story) -> None:
        attempt.sheet = story.character_sheet
        for page in story.pages:
            if not attempt.prompts[page.page].done():
                attempt.prompts[page.page].set_result(page)
        attempt.images = self._spawn(attempt, self._paint_pages(attempt))

    def _spawn(self, attempt: Attempt, work: Awaitable[None]) -> asyncio.Task[None]:
        assert self.group is not None
        task = self.group.create_task(work)  # type: ignore[arg-type]
        attempt.tasks.add(task)
        return task

    # --- images ------------------------------------------------------------------------

    async def _paint_pages(self, attempt: Attempt) -> None:
        """Each page as soon as its prompt exists (asked for in page order, so the cover goes
        first; the pool paints as many at once as it has free painters); then anything the
        accepted story changed since its draft was painted."""
        async with asyncio.TaskGroup() as pages:
            for index in range(PAGE_COUNT):
                pages.create_task(self._paint_page(attempt, index))
        await attempt.accepted.wait()
        story = self.record.story
        assert story is not None
        async with asyncio.TaskGroup() as pages:
            for page in story.pages:
                if not self._has_image(page.page):
                    pages.create_task(self._paint_when_ready(attempt, page))

    async def _paint_page(self, attempt: Attempt, index: int) -> None:
        page = await attempt.prompts[index]
        if self._has_image(index):
            if self.record.pages[index].image_path is not None:  # not a failed one
                self._emit(PageImage(page=index, path=self._image(index)), True)
            if index == 0 and not attempt.reference.done():  # a retry: its cover as it was
                await self.share_earlier(self.record.pages[0].image_path, attempt)
        else:
            await self._paint_when_ready(attempt, page)
