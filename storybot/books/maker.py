"""`BookMaker`: the one place that turns requests into books, for the bot and the CLI alike.

It owns the run store, the scheduler and the pipeline: a request is screened, recorded,
queued (its position reported as `Queued` events), run, and its events handed to whoever
renders them. Cancel and retry go through here too, so a book is never lost between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import storybot.books.sequels as sequels
import storybot.books.versions as versions
from storybot.books.active import ActiveBook, CancelOutcome
from storybot.books.metrics import Metrics
from storybot.books.pipeline import Pipeline
from storybot.books.queue import Scheduler, Ticket
from storybot.books.store import RunRecord, RunStore
from storybot.errors import StorybotError, UnsafeRequestError
from storybot.logs import run_context
from storybot.models import (
    Book,
    Cancelled,
    Done,
    Event,
    Failed,
    Queued,
    Status,
    StoryRequest,
    Waiting,
)
from storybot.safety import screen

log = logging.getLogger(__name__)


class RequestRefused(StorybotError):
    """The safety screen turned the request down; the message is for the user."""


class PainterDownError(StorybotError):
    """No ComfyUI server answers, and the settings say to fail rather than wait."""

    code = "painter_down"


class BookMaker:
    """Screen, record, queue and run books; cancel and retry them."""

    def __init__(
        self,
        store: RunStore,
        scheduler: Scheduler,
        pipeline: Pipeline,
        *,
        keep_runs: int = 100,
        safety_screen: bool = True,
        wait_for_painter: bool = True,
        painter_probe_every: float = 15.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.pipeline = pipeline
        self.keep_runs = keep_runs
        self.safety_screen = safety_screen
        self.wait_for_painter = wait_for_painter
        self.painter_probe_every = painter_probe_every
        self.metrics = metrics  # None: no metrics are kept
        self.active: dict[str, ActiveBook] = {}
        self.delivering: set[str] = set()  # runs whose files are being sent: never pruned
        self._owners: dict[str, asyncio.Lock] = {}  # see `_owner`
        self._chores: set[asyncio.Task[None]] = set()

    def submit(
        self,
        request: StoryRequest,
        *,
        requester_id: int | None = None,
        origin: dict[str, Any] | None = None,
        lane: str | None = None,
        locale: str = "ko",
        screen_first: bool = True,
    ) -> ActiveBook:
        """Record and queue a book; RequestRefused or UserBusyError before anything is made.

        `origin`: the caller's note of where the request came from (kept, never read here);
        books in one `lane` are made one at a time. The screen looks again beside the story's
        start and nothing is shown before its yes; `screen_first` False (a terminal, where no
        one else sees the request) leaves it to that look, so Kiwi loads meanwhile."""
        if screen_first:
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

    async def warm_up(self, korean: bool = True) -> None:
        """Load what a first book would wait for, side by side (Pipeline.warm_up)."""
        await self.pipeline.warm_up(korean)

    def retry(self, run_id: str) -> ActiveBook:
        """Queue an ended run again, reusing its accepted story and the pages already made."""
        record = self.store.get(run_id)
        if record is None:
            raise StorybotError(f"there is no book {run_id}")
        if run_id in self.active:
            raise StorybotError("this book is still being made")
        self.scheduler.check_user(record.requester_id)
        return self._queue(self.store.reset_for_retry(record))

    def redraw(self, run_id: str, page: int) -> ActiveBook:
        """Paint one page of a finished book again with a new seed; it waits its turn in the
        book's lane like a book, and the rest of the book is kept."""
        record = self.store.get(run_id)
        if record is None or record.story is None or record.status is not Status.DONE:
            raise StorybotError("only a finished book can have a page drawn again")
        if run_id in self.active:
            raise StorybotError("this book is still being made")
        if not 0 <= page < len(record.pages):
            raise StorybotError(f"there is no page {page}")
        self.scheduler.check_user(record.requester_id)
        return self._queue(record, redraw=page)

    def _owner(self, run_id: str) -> asyncio.Lock:
        """The one turn at a book's files: a redraw's change, the keepsakes made again and a
        snapshot for sending happen one at a time, in order."""
        return self._owners.setdefault(run_id, asyncio.Lock())

    async def remake_keepsakes(self, run_id: str) -> None:
        """The read-along video and PDF again if a redraw removed them (before sending)."""
        async with self._owner(run_id):
            await self._remake_if_stale(run_id)

    async def _remake_if_stale(self, run_id: str) -> None:
        record = self.store.get(run_id)
        if record is None or record.story is None or record.status is not Status.DONE:
            return
        options, folder = self.pipeline.options, self.store.run_dir(run_id)
        stale = (options.make_video and not (folder / "book.mp4").is_file()) or (
            options.make_pdf and not (folder / "book.pdf").is_file()
        )
        if stale:
            await self.pipeline.remake_keepsakes(record)

    def cancel(self, run_id: str) -> CancelOutcome:
        """Stop a queued or running book; pressing again, or after the end, does nothing."""
        run = self.active.get(run_id)
        if run is None:
            return CancelOutcome.NOT_ACTIVE
        return run.cancel()

    # -- what a front door may ask (the BookDesk protocol) ------------------------------

    def is_active(self, run_id: str) -> bool:
        """Queued or being made here (a retry or redraw must wait for its end)."""
        return run_id in self.active

    def record(self, run_id: str) -> RunRecord | None:
        return self.store.get(run_id)

    def finished_book(self, run_id: str) -> Book | None:
        """The made book's files, or None while it is unfinished, failed or gone."""
        record = self.store.get(run_id)
        return self.store.book(record) if record is not None else None

    def folder(self, run_id: str) -> Path:
        """Where the book's files are (the CLI copies them out)."""
        return self.store.run_dir(run_id)

    def recent(self, requester_id: int, limit: int = 10) -> list[RunRecord]:
        return self.store.recent(requester_id, limit=limit)

    def followable(self, requester_id: int) -> list[RunRecord]:
        """The requester's finished books, which a sequel may follow."""
        return sequels.followable(self.store, requester_id)

    def sequel_request(self, run_id: str, **answers: Any) -> StoryRequest:
        """The next adventure of `run_id`'s friends (see `storybot.books.sequels`)."""
        return sequels.sequel_request(self.store, run_id, **answers)

    def note_origin(self, run_id: str, origin: dict[str, Any]) -> None:
        """Where the front door shows this book (kept, never read here); saved at once, so
        a restart can find the book's message again."""
        run = self.active.get(run_id)
        record = run.record if run is not None else self.store.get(run_id)
        if record is None:
            return
        record.origin = origin
        self.store.save(record)

    def typical_seconds(self) -> float | None:
        """How long a book took lately (an ETA for the next one), or None before any."""
        totals = self.store.recent_totals()
        return sum(totals) / len(totals) if totals else None

    @contextlib.asynccontextmanager
    async def delivery(self, run_id: str, *, remake: bool = False) -> AsyncIterator[Book | None]:
        """The finished book to send, kept from retention while it is being sent; `remake`
        makes the keepsakes a redraw removed first. None if there is no such finished book."""
        self.delivering.add(run_id)
        version: Book | None = None
        try:
            async with self._owner(run_id):  # the book stays as it is while it is taken
                record = self.store.get(run_id)
                if record is not None:
                    self.store.save(record)  # a touch: retention leaves it alone for a while
                    if remake:
                        await self._remake_if_stale(run_id)
                    book = self.store.book(record)
                    version = versions.snapshot(book) if book is not None else None
            yield version  # sent from its own files: a redraw meanwhile changes the run's
        finally:
            if version is not None:
                versions.drop(version)
            self.delivering.discard(run_id)

    def serve_metrics(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve /metrics until `close` (nothing happens when no metrics are kept)."""
        if self.metrics is not None:
            self.metrics.serve(port, host)

    def recover(self) -> list[RunRecord]:
        """At start-up: runs a crash left behind become INTERRUPTED (tell their requesters)."""
        return self.store.recover()

    def _queue(self, record: RunRecord, *, redraw: int | None = None) -> ActiveBook:
        """Take the run's place in line at once (no await before it), then make it."""
        run = ActiveBook(record, redraw=redraw)
        ticket = self.scheduler.enqueue(
            record.run_id,
            lane=record.lane,
            user_id=record.requester_id,
            on_position=lambda position: run._put(Queued(position=position)),
        )
        self.active[record.run_id] = run
        run._task = asyncio.create_task(self._life(run, ticket), name=f"book {record.run_id}")
        run._task.add_done_callback(lambda _: self._never_started(run, ticket))
        return run

    def _never_started(self, run: ActiveBook, ticket: Ticket) -> None:
        """A task cancelled before its first step never runs its `finally`: end it here."""
        if not run.ended:
            self.scheduler.release(ticket)
            status = Status.INTERRUPTED if run._interrupted else Status.CANCELLED
            self._end(run, status, "", None, 0.0)

    async def _life(self, run: ActiveBook, ticket: Ticket) -> None:
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
                        owner = self._owner(record.run_id)
                        await self.pipeline.redraw(record, run.redraw, emit, owner)
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

    async def _painter_ready(self, run: ActiveBook, emit: Callable[[Event, bool], None]) -> None:
        """Probe the painter before any work; wait (visibly) while it is down."""
        painter = self.pipeline.painter
        if await painter.reachable():
            return
        if not self.wait_for_painter:
            # A request that can never be made is said before a painter that is down.
            verdict = await asyncio.to_thread(screen, run.record.request, self.safety_screen)
            if not verdict.allowed:
                raise UnsafeRequestError(f"the safety screen refused ({verdict.category})")
            raise PainterDownError("the painter (ComfyUI) is not reachable")
        log.warning("ComfyUI is not reachable; book %s waits for it", run.run_id)
        emit(Waiting(reason="painter_down"), False)
        while not await painter.reachable():
            await asyncio.sleep(self.painter_probe_every)
        log.info("ComfyUI is back; book %s starts", run.run_id)

    def _end(
        self, run: ActiveBook, status: Status, error: str, code: str | None, seconds: float
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
        if self.active.get(record.run_id) is run:
            del self.active[record.run_id]
        self._chore(self._after_book())

    async def _after_book(self) -> None:
        """Free ComfyUI's memory (the GPU goes back to the LLM) and apply retention."""
        try:
            async with asyncio.timeout(30):
                await self.pipeline.painter.free_all()
        except Exception as exc:
            log.info("Could not free ComfyUI's memory: %s", exc)
        self.prune()

    def prune(self) -> list[str]:
        """Retention: never a run that is queued, running, being delivered or recently touched."""
        try:
            return self.store.prune(self.keep_runs, protect={*self.active, *self.delivering})
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
        runs = list(self.active.values())
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
