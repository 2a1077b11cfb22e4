"""Painting a book's pages: each picture painted (on a shared GPU, in the writer's pause),
looked at, and made the book's own only when the accepted story still asks for it; a redraw
of one page of a made book; the stage a book is at. `_Book` in `pipeline` is a `Painting`."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING

from storybot.books.narration import PageNarration
from storybot.books.parts import Attempt, Emit, PipelineOptions, picture_of, ready_prefix
from storybot.books.picture_review import looked_at
from storybot.books.store import IMAGE_NAMES, RunRecord, RunStore
from storybot.errors import StorybotError
from storybot.logs import timing
from storybot.models import Page, PageImage, Progress, Stage, StageStarted

if TYPE_CHECKING:
    from storybot.books.pipeline import Pipeline

log = logging.getLogger(__name__)


class Painting:
    """The pictures of one book being made (state set up by `_Book.__init__`)."""

    pipeline: Pipeline
    record: RunRecord
    store: RunStore
    options: PipelineOptions
    narration: PageNarration
    _emit: Emit
    painting: set[int]
    redrawing: bool
    redrawn: Path | None
    last_image_error: str
    started: float  # when the book started: the timeline's zero

    def _mark(self, what: str) -> None:
        """One line of the book's timeline (`grep TIMING` reads a book at a glance)."""
        log.info("[TIMING] +%.2fs %s", time.perf_counter() - self.started, what)

    def _paints_while_writing(self) -> bool:
        """Whether pictures may start before the story is written (see the module's doc)."""
        options = self.options
        if not options.shared_gpu:
            return True
        return options.gpu_schedule == "interleave" and self.pipeline.author.writer.can_pause

    def _gpu_turn(self) -> contextlib.AbstractAsyncContextManager[None]:
        """The GPU for one picture: on a shared GPU the writer is paused meanwhile (a writer
        that is not writing returns at once); otherwise nothing to wait for."""
        if self.options.shared_gpu and self._paints_while_writing():
            return self.pipeline.author.writer.paused()
        return contextlib.nullcontext()

    async def _paint_when_ready(self, attempt: Attempt, page: Page) -> None:
        # Several pictures may be painted at once: the stage shown is the earliest of them
        # (the cover while it is being painted), so the book reads front to back.
        self.painting.add(page.page)
        await self._set_stage(Stage.for_image(min(self.painting)))
        try:
            await self._paint(attempt, page)
        finally:
            self.painting.discard(page.page)
        if self.painting and self.record.stage != Stage.for_image(min(self.painting)):
            await self._set_stage(Stage.for_image(min(self.painting)))

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

        # The book's characters look the same on every page: its pages wait for the picture
        # they are painted after (the cover, or a sequel's earlier cover).
        reference = await attempt.reference if self._needs_reference(page) else False

        async def paint(seed: int) -> Path:
            async with self._gpu_turn():
                with timing(log, f"image {stage.value}"):
                    return await self.pipeline.painter.paint(
                        page.image_prompt,
                        draft,
                        seed=seed,
                        character_sheet=attempt.sheet,
                        on_progress=progress,
                        style=self.options.style(self.record.request.style),
                        owner=self.record.run_id,
                        reference=reference,
                    )

        error: Exception | None = None
        # A redraw paints once (the pool still tries a second server): one click never holds
        # its lane for every retry's deadline, and the old picture is there to keep.
        tries = 1 if self.redrawing else self.options.image_retries + 1
        for attempt_number in range(tries):
            try:
                started = time.perf_counter()
                path = await paint(self.record.image_seed or 0)
                self._mark(f"picture {page.page} painted")
                path = await looked_at(
                    self.pipeline.picture_check,
                    self.record,
                    page.page,
                    path,
                    paint,
                    self.options.picture_size,
                    placeholder=not self.redrawing,
                )
                if self.pipeline.picture_check is not None:
                    self._mark(f"picture {page.page} checked")
            except Exception as exc:  # one picture never loses a book
                log.warning("Image %s failed (try %d): %s", stage.value, attempt_number + 1, exc)
                error = exc
                continue
            self.record.timings[f"image_{page.page}"] = round(time.perf_counter() - started, 3)
            if page.page == 0 and not attempt.reference.done():
                await self._share_cover(attempt, path)
            if self.redrawing:
                self.redrawn = path  # replaced in the book's turn (`redraw`)
            elif self._final(attempt, page):
                self._promote_image(page.page, path)
            elif not attempt.accepted.is_set():
                attempt.drafted_images[page.page] = (picture_of(page, attempt.sheet), path)
                self._emit(PageImage(page=page.page, path=path), False)
                self._mark(f"picture {page.page} shown")
            return  # else painted from a page the final story changed: painted again later
        if page.page == 0 and not attempt.reference.done():
            attempt.reference.set_result(False)  # no cover: the pages are painted on their own
        if self._final(attempt, page):
            self._picture_failed(page.page, str(error))
        elif not attempt.accepted.is_set():  # the accepted story decides (see `_accept`)
            attempt.failed_images[page.page] = (picture_of(page, attempt.sheet), str(error))

    def _needs_reference(self, page: Page) -> bool:
        first = page.page == 0 and self.record.request.sequel is None  # it is the reference
        return self.pipeline.painter.has_reference and not first

    async def _share_cover(self, attempt: Attempt, cover: Path) -> None:
        """The cover, painted first, is the reference the book's pages are painted after (not
        a placeholder that replaced a flagged one)."""
        replaced = any(
            w.startswith("page 0: the picture was replaced") for w in self.record.warnings
        )
        shared = False
        if self.pipeline.painter.has_reference and not replaced:
            await self.pipeline.painter.share_reference(self.record.run_id, cover)
            shared = True
        if not attempt.reference.done():
            attempt.reference.set_result(shared)

    async def share_earlier(self, cover: Path | None, attempt: Attempt | None = None) -> bool:
        """Share a cover painted before (a sequel's earlier book, a retry's or a redraw's own)
        as the reference; whether there was one to share."""
        usable = cover is not None and cover.is_file() and self.pipeline.painter.has_reference
        if usable:
            assert cover is not None
            await self.pipeline.painter.share_reference(self.record.run_id, cover)
        if attempt is not None and not attempt.reference.done():
            attempt.reference.set_result(usable)
        return usable

    def _final(self, attempt: Attempt, page: Page) -> bool:
        """Whether `page`'s picture is the accepted story's (a redraw's page is)."""
        story = self.record.story
        if not attempt.accepted.is_set() or story is None:
            return False
        final = picture_of(story.pages[page.page], story.character_sheet)
        return picture_of(page, attempt.sheet) == final

    def _picture_failed(self, index: int, why: str) -> None:
        info = self.record.pages[index]
        info.image_failed = True
        self.last_image_error = why
        self.record.warnings.append(f"page {index}: the picture could not be made ({why})")
        self._advance_ready_page()
        self.store.save(self.record)

    def _promote_image(self, index: int, draft: Path, *, announce: bool = True) -> None:
        final = self.store.promote(draft, self.store.image_path(self.record.run_id, index))
        self.record.pages[index].image_path = final
        self._advance_ready_page()
        if announce:
            self._emit(PageImage(page=index, path=final), True)
            self._mark(f"picture {index} shown")

    def _advance_ready_page(self) -> None:
        self.record.ready_max_page = ready_prefix(
            [p.image_path is not None or p.image_failed for p in self.record.pages]
        )

    async def redraw(
        self, index: int, owner: contextlib.AbstractAsyncContextManager[object]
    ) -> None:
        record, story = self.record, self.record.story
        if story is None:
            raise StorybotError("this book has no story to draw")
        attempt = Attempt(0, self.store.attempt_dir(record.run_id, "redraw"), "")
        attempt.sheet, attempt.title = story.character_sheet, story.title
        attempt.accepted.set()
        sequel = record.request.sequel
        earlier = self.store.image_path(sequel.of_run, 0) if sequel else None
        cover = earlier if index == 0 else record.pages[0].image_path
        await self.share_earlier(cover, attempt)  # the redrawn page keeps the book's look
        seed, warnings = record.image_seed, list(record.warnings)
        record.image_seed = random.randrange(2**32)  # a new look for this page only
        self.redrawing = True
        try:
            await self._set_stage(Stage.for_image(index))
            record.pages[index].image_failed = False
            await self._paint(attempt, story.pages[index])
        finally:
            record.image_seed = seed
        if record.pages[index].image_failed or self.redrawn is None:  # keep the old picture
            record.pages[index].image_failed, record.warnings = False, warnings
            raise StorybotError(f"page {index} could not be painted again")
        async with owner:  # nobody is taking a copy of the book while it changes
            self._promote_image(index, self.redrawn)
            self.store.video_path(record.run_id).unlink(missing_ok=True)
            (self.store.run_dir(record.run_id) / "book.pdf").unlink(missing_ok=True)

    async def _set_stage(self, stage: Stage) -> None:
        self.record.stage = stage
        self._emit(StageStarted(stage=stage), True)
