"""The book pipeline: a run's record in, its finished book's files out, typed events on the way.

    story (streams pages) ─► page k text ─► narration of page k (CPU pool)
                                        └─► image of page k (ComfyUI), in page order

Narration of a page starts the moment its text exists; images start with the cover as soon as
its prompt exists, or, when the LLM and ComfyUI share one GPU, once the writer is done with it.
The whole book is one coroutine: its narration, painting and video run under one
`asyncio.TaskGroup`, so cancelling it stops all of them, and nothing outlives it.

Each attempt of the writer works in a draft folder outside the run's folder; only what the
accepted story's own pages produced is promoted into the run folder (`cover.png`,
`page_0.wav`…), so a retry can trust every file it finds there. Nothing in here knows about
Discord: the bot and the CLI render the events; ending the run is the service's job.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from storybot.book_parts import (
    Attempt,
    Emit,
    NoPicturesError,
    Painter,
    PictureChecker,
    PipelineOptions,
    first_error,
    ready_prefix,
)
from storybot.engines.placeholder import write_placeholder
from storybot.engines.styles import DEFAULT_STYLE, Style, default_style
from storybot.engines.tts import Narrator
from storybot.errors import StorybotError, StoryError
from storybot.keepsakes import make_keepsakes
from storybot.logs import timing
from storybot.models import (
    PAGE_COUNT,
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
from storybot.runs import AUDIO_NAMES, IMAGE_NAMES, RunRecord, RunStore
from storybot.story import DraftPage, StoryAuthor, WrittenStory

log = logging.getLogger(__name__)

__all__ = ["BookPipeline", "NoPicturesError", "Painter", "PictureChecker", "PipelineOptions"]


class BookPipeline:
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
        await _Book(self, record, emit).make()

    async def redraw(self, record: RunRecord, index: int, emit: Emit) -> None:
        """Repaint page `index` of a made book with a new seed; the rest is kept. The old
        read-along video no longer matches, so it is removed (remade on request)."""
        await _Book(self, record, emit).redraw(index)

    async def remake_keepsakes(self, record: RunRecord) -> None:
        """The read-along video and the PDF again, from the run's files (after a redraw)."""
        await make_keepsakes(self.store, record, self.options)


class _Book:
    """One book being made (the state of one `BookPipeline.make` call)."""

    def __init__(self, pipeline: BookPipeline, record: RunRecord, emit: Emit) -> None:
        self.pipeline = pipeline
        self.record = record
        self.store = pipeline.store
        self.options = pipeline.options
        self._emit = emit
        self.attempt: Attempt | None = None
        self.group: asyncio.TaskGroup | None = None
        self.last_image_error = ""

    async def make(self) -> None:
        record = self.record
        if record.image_seed is None:
            record.image_seed = random.randrange(2**32)
        record.status = Status.RUNNING
        self.store.clear_drafts(record.run_id)
        if record.story is None:  # nothing in the folder belongs to a story yet
            self.store.discard_outputs(record)
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
        self.attempt = attempt
        if not self.options.shared_gpu and number > 0:
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
        record.timings["llm"] = round(written.seconds, 3)
        path = self.store.run_dir(record.run_id) / "story.json"
        path.write_text(story.model_dump_json(indent=2), encoding="utf-8")
        attempt.accepted.set()
        for page in story.pages:
            if not attempt.prompts[page.page].done():  # a page the stream never showed
                self._page_ready(attempt, page)
        for index, (made_from, draft) in attempt.drafted_images.items():
            if made_from == story.pages[index]:
                self._promote_image(index, draft, announce=False)  # shown already
        for index, (made_from, title, draft) in attempt.drafted_audio.items():
            if made_from == story.pages[index] and title == story.title:
                self._promote_audio(index, draft, announce=False)
            elif self._wants_narration(index):  # the final page differs from its draft
                self._spawn(attempt, self._narrate(attempt, story.pages[index]))
        self._emit(StoryReady(story=story), True)
        await self.pipeline.author.writer.release()
        return story

    def _page_ready(self, attempt: Attempt, page: Page) -> None:
        info = self.record.pages[page.page]
        info.text = page.text
        if page.page == 0:
            info.title = attempt.title
        self._emit(PageText(page=page), True)
        if not attempt.prompts[page.page].done():
            attempt.prompts[page.page].set_result(page)
        if self._wants_narration(page.page):
            self._spawn(attempt, self._narrate(attempt, page))

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
        """Cover first, then the panels, one after another; then anything the accepted
        story changed since its draft was painted."""
        for index in range(PAGE_COUNT):
            page = await attempt.prompts[index]
            if not self._has_image(index):
                await self._set_stage(Stage.for_image(index))
                await self._paint(attempt, page)
            else:
                self._emit(PageImage(page=index, path=self._image(index)), True)
        await attempt.accepted.wait()
        story = self.record.story
        assert story is not None
        for page in story.pages:
            if not self._has_image(page.page):
                await self._set_stage(Stage.for_image(page.page))
                await self._paint(attempt, page)

    def _style(self) -> Style:
        """The requested look; watercolor for a style an operator has since removed."""
        styles = self.options.styles
        return styles.get(self.record.request.style) or styles.get(DEFAULT_STYLE, default_style())

    def _has_image(self, index: int) -> bool:
        info = self.record.pages[index]
        painted = info.image_path is not None and info.image_path.is_file()
        return painted or info.image_failed

    def _image(self, index: int) -> Path:
        path = self.record.pages[index].image_path
        assert path is not None
        return path

    async def _paint(self, attempt: Attempt, page: Page) -> None:
        stage = Stage.for_image(page.page)
        draft = attempt.folder / IMAGE_NAMES[page.page]

        async def progress(step: int, total: int) -> None:
            self._emit(Progress(stage=stage, step=step, total=total), False)

        async def paint(seed: int) -> Path:
            with timing(log, f"image {stage.value}"):
                return await self.pipeline.painter.paint(
                    page.image_prompt,
                    draft,
                    seed=seed,
                    character_sheet=attempt.sheet,
                    on_progress=progress,
                    style=self._style(),
                )

        error: Exception | None = None
        for attempt_number in range(self.options.image_retries + 1):
            try:
                started = time.perf_counter()
                path = await paint(self.record.image_seed or 0)
                path = await self._looked_at(page.page, path, paint)
            except Exception as exc:  # one picture never loses a book
                log.warning("Image %s failed (try %d): %s", stage.value, attempt_number + 1, exc)
                error = exc
                continue
            self.record.timings[f"image_{page.page}"] = round(time.perf_counter() - started, 3)
            if attempt.accepted.is_set() and self.record.story is not None:
                if self.record.story.pages[page.page] == page:
                    self._promote_image(page.page, path)
                return  # painted from a page the final story changed: painted again later
            attempt.drafted_images[page.page] = (page, path)
            self._emit(PageImage(page=page.page, path=path), False)
            return
        info = self.record.pages[page.page]
        info.image_failed = True
        self.last_image_error = str(error)
        self.record.warnings.append(f"page {page.page}: the picture could not be made ({error})")
        self._advance_ready_page()
        self.store.save(self.record)

    async def _looked_at(
        self, index: int, path: Path, paint: Callable[[int], Awaitable[Path]]
    ) -> Path:
        """The picture once the detector has passed it: repainted once with a new seed when
        flagged, then a plain placeholder (and a note) if that is flagged too."""
        check = self.pipeline.picture_check
        if check is None:
            return path
        verdict = await check.check(path)
        self.record.timings[f"picture_check_{index}"] = round(verdict.seconds, 3)
        if verdict.safe:
            return path
        seed = random.randrange(2**32)
        log.warning("Page %d's picture was flagged (%s); repainting", index, verdict.reason)
        try:
            path = await paint(seed)
            verdict = await check.check(path)
            reason = verdict.reason
            if verdict.safe:
                return path
        except Exception as exc:  # a failed repaint ends like a flagged one
            reason = f"the repaint failed: {exc}"
        width, height = self.options.picture_size
        await asyncio.to_thread(write_placeholder, path, width, height)
        log.warning("Page %d's picture was flagged again (%s): placeholder", index, reason)
        self.record.warnings.append(f"page {index}: the picture was replaced by a placeholder")
        return path

    def _promote_image(self, index: int, draft: Path, *, announce: bool = True) -> None:
        final = self.store.promote(draft, self.store.image_path(self.record.run_id, index))
        self.record.pages[index].image_path = final
        self._advance_ready_page()
        if announce:
            self._emit(PageImage(page=index, path=final), True)

    def _advance_ready_page(self) -> None:
        self.record.ready_max_page = ready_prefix(
            [p.image_path is not None or p.image_failed for p in self.record.pages]
        )

    # --- narration ---------------------------------------------------------------------

    def _wants_narration(self, index: int) -> bool:
        info = self.record.pages[index]
        done = info.audio_path is not None and info.audio_path.is_file()
        return self.pipeline.narrator is not None and self.record.request.narration and not done

    async def _narrate(self, attempt: Attempt, page: Page) -> None:
        assert self.pipeline.narrator is not None
        request = self.record.request
        title = attempt.title
        text = f"{title}. {page.text}" if page.page == 0 and title else page.text
        draft = attempt.folder / AUDIO_NAMES[page.page]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.options.narration_timeout):
                with timing(log, f"narration page {page.page}"):
                    await self.pipeline.narrator.narrate(
                        text, draft, language=request.language, voice=request.voice
                    )
        except (Exception, TimeoutError) as exc:  # one voice never loses a book
            reason = str(exc) or "it took too long"
            log.warning("Narration of page %d failed: %s", page.page, reason)
            self.record.warnings.append(f"page {page.page}: no narration ({reason})")
            self.store.save(self.record)
            return
        self.record.timings[f"narration_{page.page}"] = round(time.perf_counter() - started, 3)
        story = self.record.story
        if attempt.accepted.is_set() and story is not None:
            if story.pages[page.page] == page and story.title == title:
                self._promote_audio(page.page, draft)
            return
        attempt.drafted_audio[page.page] = (page, title, draft)
        self._emit(PageAudio(page=page.page, path=draft), False)

    def _promote_audio(self, index: int, draft: Path, *, announce: bool = True) -> None:
        final = self.store.promote(draft, self.store.audio_path(self.record.run_id, index))
        timings = draft.with_suffix(".json")  # each sentence's start and end, for the video
        if timings.is_file():
            self.store.promote(timings, final.with_suffix(".json"))
        self.record.pages[index].audio_path = final
        self.record.ready_max_audio_page = ready_prefix(
            [p.audio_path is not None for p in self.record.pages]
        )
        if announce:
            self._emit(PageAudio(page=index, path=final), True)

    async def redraw(self, index: int) -> None:
        record, story = self.record, self.record.story
        if story is None:
            raise StorybotError("this book has no story to draw")
        attempt = Attempt(0, self.store.attempt_dir(record.run_id, "redraw"), "")
        attempt.sheet, attempt.title = story.character_sheet, story.title
        attempt.accepted.set()
        seed, warnings = record.image_seed, list(record.warnings)
        record.image_seed = random.randrange(2**32)  # a new look for this page only
        try:
            await self._set_stage(Stage.for_image(index))
            record.pages[index].image_failed = False
            await self._paint(attempt, story.pages[index])
        finally:
            record.image_seed = seed
        if record.pages[index].image_failed:  # the old picture is still there: keep it
            record.pages[index].image_failed, record.warnings = False, warnings
            raise StorybotError(f"page {index} could not be painted again")
        self.store.video_path(record.run_id).unlink(missing_ok=True)
        (self.store.run_dir(record.run_id) / "book.pdf").unlink(missing_ok=True)

    # --- the end -----------------------------------------------------------------------

    async def _set_stage(self, stage: Stage) -> None:
        self.record.stage = stage
        self._emit(StageStarted(stage=stage), True)
