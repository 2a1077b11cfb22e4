"""`BookMaker`: the one place that turns requests into books, for the bot and the CLI alike.

It owns the run store, the scheduler and the pipeline: a request is screened, recorded,
queued (its position reported as `Queued` events), run, and its events handed to whoever
renders them. Cancel and retry go through here too, so a book is never lost between them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from enum import StrEnum
from typing import Any

from storybot.errors import StorybotError
from storybot.logs import run_context
from storybot.metrics import BookMetrics
from storybot.models import (
    Cancelled,
    Done,
    Event,
    Failed,
    Queued,
    Status,
    StoryRequest,
    Waiting,
)
from storybot.pipeline import BookPipeline
from storybot.runs import RunRecord, RunStore
from storybot.safety import screen
from storybot.scheduler import Scheduler, Ticket

log = logging.getLogger(__name__)


class RequestRefused(StorybotError):
    """The safety screen turned the request down; the message is for the user."""


class CancelOutcome(StrEnum):
    """What a press of Cancel did."""

    STOPPING = "stopping"  # this press stops the book
    ALREADY_STOPPING = "already_stopping"  # an earlier press (or the end) is stopping it
    NOT_ACTIVE = "not_active"  # the book has ended, or is not made here


class PainterDownError(StorybotError):
    """No ComfyUI server answers, and the settings say to fail rather than wait."""

    code = "painter_down"


class BookRun:
    """One submitted book: its record, one task that makes it, one stream of events.

    The stream runs from `Queued` to exactly one of Done, Failed or Cancelled, then ends. The
    run's end (state saved, stream closed, slot released) is synchronous code in the task's
    last `finally`, so no cancellation can skip it."""

    def __init__(self, record: RunRecord, *, redraw: int | None = None) -> None:
        self.record = record
        self.redraw = redraw  # the page being painted again, for a redraw of a made book
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._cancel_requested = False
        self._interrupted = False  # stopped by shutdown, not by a person
        self._ended = asyncio.Event()

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    async def events(self) -> AsyncIterator[Event]:
        """Every event of this book, ending with Done, Failed or Cancelled."""
        while (event := await self._events.get()) is not None:
            yield event

    async def wait(self) -> RunRecord:
        """The record once the run has ended."""
        await self._ended.wait()
        return self.record

    def _put(self, event: Event) -> None:
        if not self.ended:
            self._events.put_nowait(event)

    def cancel(self, *, interrupted: bool = False) -> CancelOutcome:
        """Stop the book; a second press, or one after the end, changes nothing."""
        if self.ended or self._task is None or self._task.done():
            return CancelOutcome.NOT_ACTIVE
        if self._cancel_requested:
            return CancelOutcome.ALREADY_STOPPING
        self._cancel_requested = True
        self._interrupted = interrupted
        self._task.cancel()
        return CancelOutcome.STOPPING


class BookMaker:
    """Screen, record, queue and run books; cancel and retry them."""

    def __init__(
        self,
        store: RunStore,
        scheduler: Scheduler,
        pipeline: BookPipeline,
        *,
        keep_runs: int = 100,
        safety_screen: bool = True,
        wait_for_painter: bool = True,
        painter_probe_every: float = 15.0,
        metrics: BookMetrics | None = None,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.pipeline = pipeline
        self.keep_runs = keep_runs
        self.safety_screen = safety_screen
        self.wait_for_painter = wait_for_painter
        self.painter_probe_every = painter_probe_every
        self.metrics = metrics  # None: no metrics are kept
        self.jobs: dict[str, BookRun] = {}
        self.delivering: set[str] = set()  # runs whose files are being sent: never pruned
        self._chores: set[asyncio.Task[None]] = set()

    def submit(
        self,
        request: StoryRequest,
        *,
        requester_id: int | None = None,
        origin: dict[str, Any] | None = None,
        lane: str | None = None,
        locale: str = "ko",
    ) -> BookRun:
        """Record and queue a book; RequestRefused or UserBusyError before anything is made.

        `origin` is the caller's own note of where the request came from (kept, never read
        here); books in one `lane` are made one at a time, and without one a book waits
        behind no other."""
        verdict = screen(request, enabled=self.safety_screen)
        if not verdict.allowed:
            raise RequestRefused(verdict.message)
        self.scheduler.check_user(requester_id)
        record = self.store.create(
            request,
            requester_id=requester_id,
            origin=origin,
            lane=lane,
            locale=locale,
        )
        return self._queue(record)

    def retry(self, run_id: str) -> BookRun:
        """Queue an ended run again, reusing its accepted story and the pages already made."""
        record = self.store.get(run_id)
        if record is None:
            raise StorybotError(f"there is no book {run_id}")
        if run_id in self.jobs:
            raise StorybotError("this book is still being made")
        self.scheduler.check_user(record.requester_id)
        return self._queue(self.store.reset_for_retry(record))

    def redraw(self, run_id: str, page: int) -> BookRun:
        """Paint one page of a finished book again with a new seed; it waits its turn in the
        book's lane like a book, and the rest of the book is kept."""
        record = self.store.get(run_id)
        if record is None or record.story is None or record.status is not Status.DONE:
            raise StorybotError("only a finished book can have a page drawn again")
        if run_id in self.jobs:
            raise StorybotError("this book is still being made")
        if not 0 <= page < len(record.pages):
            raise StorybotError(f"there is no page {page}")
        self.scheduler.check_user(record.requester_id)
        return self._queue(record, redraw=page)

    async def remake_keepsakes(self, run_id: str) -> None:
        """The read-along video and PDF again if a redraw removed them (before sending)."""
        record = self.store.get(run_id)
        if record is None or record.story is None or run_id in self.jobs:
            return
        options, folder = self.pipeline.options, self.store.run_dir(run_id)
        stale = (options.make_video and not (folder / "book.mp4").is_file()) or (
            options.make_pdf and not (folder / "book.pdf").is_file()
        )
        if stale:
            await self.pipeline.remake_keepsakes(record)

    def cancel(self, run_id: str) -> CancelOutcome:
        """Stop a queued or running book; pressing again, or after the end, does nothing."""
        run = self.jobs.get(run_id)
        if run is None:
            return CancelOutcome.NOT_ACTIVE
        return run.cancel()

    def recover(self) -> list[RunRecord]:
        """At start-up: runs a crash left behind become INTERRUPTED (tell their requesters)."""
        return self.store.recover()

    def _queue(self, record: RunRecord, *, redraw: int | None = None) -> BookRun:
        """Take the run's place in line at once (no await before it), then make it."""
        run = BookRun(record, redraw=redraw)
        ticket = self.scheduler.enqueue(
            record.run_id,
            lane=record.lane,
            user_id=record.requester_id,
            on_position=lambda position: run._put(Queued(position=position)),
        )
        self.jobs[record.run_id] = run
        run._task = asyncio.create_task(self._life(run, ticket), name=f"book {record.run_id}")
        run._task.add_done_callback(lambda _: self._never_started(run, ticket))
        return run

    def _never_started(self, run: BookRun, ticket: Ticket) -> None:
        """A task cancelled before its first step never runs its `finally`: end it here."""
        if not run.ended:
            self.scheduler.release(ticket)
            status = Status.INTERRUPTED if run._interrupted else Status.CANCELLED
            self._end(run, status, "", None, 0.0)

    async def _life(self, run: BookRun, ticket: Ticket) -> None:
        """The run from its place in line to its end; the end cannot be skipped."""
        record = run.record
        started = time.perf_counter()
        status, error, code = Status.FAILED, "internal error", None

        def emit(event: Event, save: bool = True) -> None:
            if save:
                self.store.save(record)
            if self.metrics is not None:
                self.metrics.saw(record.run_id, event)
            run._put(event)

        try:
            with run_context(record.run_id):
                async with self.scheduler.hold(ticket):
                    started = time.perf_counter()
                    if self.metrics is not None:
                        self.metrics.book_started(record)
                    await self._painter_ready(run, emit)
                    if run.redraw is None:
                        await self.pipeline.make(record, emit)
                    else:
                        await self.pipeline.redraw(record, run.redraw, emit)
                status, error = Status.DONE, ""
        except asyncio.CancelledError:
            status = Status.INTERRUPTED if run._interrupted else Status.CANCELLED
            error = "the bot was stopped while this book was being made" if run._interrupted else ""
        except StorybotError as exc:
            error, code = str(exc), getattr(exc, "code", None)
        except Exception as exc:
            log.exception("Book %s crashed", record.run_id)
            error = f"internal error: {exc}"
        finally:
            self.scheduler.release(ticket)  # already released on most paths; harmless twice
            self._end(run, status, error, code, time.perf_counter() - started)

    async def _painter_ready(self, run: BookRun, emit: Callable[[Event, bool], None]) -> None:
        """Probe the painter before any work; wait (visibly) while it is down."""
        painter = self.pipeline.painter
        if await painter.reachable():
            return
        if not self.wait_for_painter:
            raise PainterDownError("the painter (ComfyUI) is not reachable")
        log.warning("ComfyUI is not reachable; book %s waits for it", run.run_id)
        emit(Waiting(reason="painter_down"), False)
        while not await painter.reachable():
            await asyncio.sleep(self.painter_probe_every)
        log.info("ComfyUI is back; book %s starts", run.run_id)

    def _end(
        self, run: BookRun, status: Status, error: str, code: str | None, seconds: float
    ) -> None:
        """Save the final state and close the stream: synchronous, so nothing can skip it."""
        record = run.record
        record.status = status
        record.error = error or None
        if run.redraw is None:
            record.timings["total"] = round(seconds, 3)
        book = self.store.book(record) if status is Status.DONE else None
        event: Event
        if book is not None:
            event = Done(book=book)
        elif status is Status.DONE:  # cannot happen: a made book has a story
            record.status, record.error = Status.FAILED, "the book has no story"
            event = Failed(error=record.error, stage=record.stage)
        elif status in (Status.CANCELLED, Status.INTERRUPTED):
            event = Cancelled()
        else:
            event = Failed(error=error, stage=record.stage, code=code)
        if run.redraw is not None:  # a redraw that did not work leaves the book as it was
            record.status, record.error = Status.DONE, None
            record.timings.pop("total", None)
        try:
            self.store.save(record)
        except Exception:  # the stream must still end
            log.exception("Book %s: the final state could not be saved", record.run_id)
        log.info("[TIMING] Book completed in %.2fs (%s)", seconds, record.status.value)
        if self.metrics is not None:
            self.metrics.book_ended(record, record.status, seconds, redraw=run.redraw is not None)
        run._put(event)
        run._events.put_nowait(None)
        run._ended.set()
        if self.jobs.get(record.run_id) is run:
            del self.jobs[record.run_id]
        self._chore(self._after_book())

    async def _after_book(self) -> None:
        """Free ComfyUI's memory (as the original did) and apply retention."""
        try:
            async with asyncio.timeout(30):
                await self.pipeline.painter.free_all()
        except Exception as exc:
            log.info("Could not free ComfyUI's memory: %s", exc)
        self.prune()

    def prune(self) -> list[str]:
        """Retention: never a run that is queued, running, being delivered or recently touched."""
        try:
            return self.store.prune(self.keep_runs, protect={*self.jobs, *self.delivering})
        except Exception:
            log.exception("Retention failed")
            return []

    def _chore(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def close(self) -> list[RunRecord]:
        """Stop what is queued or running, then close the engines.

        The books stopped here become INTERRUPTED, not CANCELLED: nobody asked for that, and
        their requesters should be told (they are returned for that) and may retry them.
        """
        runs = list(self.jobs.values())
        for run in runs:
            run.cancel(interrupted=True)
        records = [await run.wait() for run in runs]
        interrupted = [r for r in records if r.status is Status.INTERRUPTED]
        await asyncio.gather(*self._chores, return_exceptions=True)
        pipeline = self.pipeline
        closers = [pipeline.author.writer.close(), pipeline.painter.close()]
        if pipeline.author.guard is not None:
            closers.append(pipeline.author.guard.close())
        if pipeline.narrator is not None:
            closers.append(pipeline.narrator.close())
        for result in await asyncio.gather(*closers, return_exceptions=True):
            if isinstance(result, Exception):
                log.warning("An engine did not close cleanly: %s", result)
        self.store.close()
        if self.metrics is not None:
            self.metrics.close()  # stops serving /metrics, whoever started it
        return interrupted
