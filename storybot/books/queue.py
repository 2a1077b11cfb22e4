"""Who makes a book next: one running book per lane, FIFO, a per-user cap, a global limit.

A lane is a name the caller chooses (the bot uses one per server; a run alone in its lane
waits behind no other book).

A busy GPU should not turn a child away: later
requests wait in line and are told their position. `hold` is an async context manager, so a slot
is released on every path out: success, failure, cancellation while waiting or running.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from storybot.errors import StorybotError

log = logging.getLogger(__name__)

PositionCallback = Callable[[int], Awaitable[None] | None]


class UserBusyError(StorybotError):
    """The requester already has as many books queued or running as allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"you already have {limit} book(s) being made; wait for it to finish")
        self.limit = limit


@dataclass(eq=False)
class Ticket:
    """A place in line."""

    run_id: str
    lane: str
    user_id: int | None
    on_position: PositionCallback | None
    ready: asyncio.Future[None] = field(default_factory=lambda: asyncio.Future())
    position: int = -1


class Scheduler:
    """Hands out run slots: `enqueue` takes a place in line, `hold` waits for the turn."""

    def __init__(self, concurrency: int = 1, per_user: int = 1) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.per_user = per_user
        self._waiting: list[Ticket] = []
        self._running: dict[str, Ticket] = {}  # run_id → ticket
        self._callbacks: set[asyncio.Future[object]] = set()

    @property
    def running(self) -> list[str]:
        return list(self._running)

    def depth_by_lane(self) -> dict[str, int]:
        """How many books wait in each lane (lanes with none waiting are left out)."""
        return dict(Counter(ticket.lane for ticket in self._waiting))

    def check_user(self, user_id: int | None) -> None:
        """Raise UserBusyError if `user_id` is at the cap (call before creating a run)."""
        if user_id is None or self.per_user <= 0:
            return
        active = [t for t in [*self._waiting, *self._running.values()] if t.user_id == user_id]
        if len(active) >= self.per_user:
            raise UserBusyError(self.per_user)

    def enqueue(
        self,
        run_id: str,
        *,
        lane: str,
        user_id: int | None = None,
        on_position: PositionCallback | None = None,
    ) -> Ticket:
        """Take a place in `lane` now (UserBusyError at the cap); `hold` it to wait for a turn."""
        self.check_user(user_id)
        ticket = Ticket(run_id, lane, user_id, on_position)
        self._waiting.append(ticket)
        return ticket

    @contextlib.asynccontextmanager
    async def hold(self, ticket: Ticket) -> AsyncIterator[None]:
        """Wait for the ticket's turn (reporting its place as it changes), then hold the slot
        until the block ends, however it ends."""
        try:
            self._advance()
            if not ticket.ready.done():
                await asyncio.shield(ticket.ready)
            yield
        finally:
            self.release(ticket)

    def release(self, ticket: Ticket) -> None:
        """Give the ticket's place or slot back and start whoever may start now.

        Synchronous on purpose: a cancellation cannot land in the middle of it, so a slot is
        never left held by a run that has ended. Calling it twice is harmless."""
        if ticket in self._waiting:
            self._waiting.remove(ticket)
        if self._running.get(ticket.run_id) is ticket:
            del self._running[ticket.run_id]
        if not ticket.ready.done():
            ticket.ready.cancel()
        self._advance()

    def _advance(self) -> None:
        """Start every waiter that may start, in order; tell the rest their new place."""
        busy_lanes = {ticket.lane for ticket in self._running.values()}
        for ticket in list(self._waiting):
            if len(self._running) >= self.concurrency:
                break
            if ticket.lane in busy_lanes:
                continue
            self._waiting.remove(ticket)
            self._running[ticket.run_id] = ticket
            busy_lanes.add(ticket.lane)
            ticket.position = 0
            if not ticket.ready.done():
                ticket.ready.set_result(None)
        for index, ticket in enumerate(list(self._waiting), 1):
            if ticket.position != index:
                ticket.position = index
                self._tell(ticket, index)

    def _tell(self, ticket: Ticket, position: int) -> None:
        if ticket.on_position is None:
            return
        try:
            result = ticket.on_position(position)
            if inspect.isawaitable(result):  # run it beside the queue, never inside it
                task = asyncio.ensure_future(result)
                self._callbacks.add(task)
                task.add_done_callback(self._callback_done)
        except Exception:  # a renderer's failure must not jam the queue
            log.exception("Queue position callback failed for run %s", ticket.run_id)

    def _callback_done(self, task: asyncio.Future[object]) -> None:
        self._callbacks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Queue position callback failed: %s", task.exception())
