"""`ActiveBook`: one book being made (or redrawn) — its record, the one task that makes it and
its one stream of events — and what a press of Cancel did to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from enum import StrEnum

from storybot.books.store import RunRecord
from storybot.models import Event


class CancelOutcome(StrEnum):
    """What a press of Cancel did."""

    STOPPING = "stopping"  # this press stops the book
    ALREADY_STOPPING = "already_stopping"  # an earlier press (or the end) is stopping it
    NOT_ACTIVE = "not_active"  # the book has ended, or is not made here


class ActiveBook:
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
