"""`PauseGate`: the counting behind `StoryWriter.paused()`, shared by both writers; and
`ThreadParking`, how the in-process writer parks its worker thread between tokens.

A writer says how to halt (`halt`, at once, without waiting), how to know that it has halted
(`halted`, awaited) and how to resume (`resume`); the gate counts the tasks that hold it. The
first task in halts the writer, every task waits until it has halted, and the last one out
resumes it. A task cancelled while entering or inside leaves like any other, so a cancellation
never leaves the writer paused.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

_T = TypeVar("_T")


class PauseGate:
    """The tasks that hold a writer paused; see the module docstring."""

    def __init__(
        self,
        *,
        halt: Callable[[], None],
        halted: Callable[[], Awaitable[None]],
        resume: Callable[[], None],
    ) -> None:
        self._halt = halt
        self._halted = halted
        self._resume = resume
        self._holders: list[asyncio.Task[Any] | None] = []
        self._open = asyncio.Event()
        self._open.set()
        self._paused_before = 0.0  # seconds held in earlier pauses
        self._paused_since: float | None = None  # monotonic start of the pause now held

    @property
    def paused(self) -> bool:
        """Some task holds the gate: the writer must not write."""
        return bool(self._holders)

    @property
    def paused_seconds(self) -> float:
        """All the time the gate has been held so far, the pause now held included (a story's
        time limit counts only the time it was allowed to write)."""
        ongoing = time.monotonic() - self._paused_since if self._paused_since is not None else 0
        return self._paused_before + ongoing

    def held_by_current_task(self) -> bool:
        """The running task holds the gate (waiting for it to open would wait for itself)."""
        return asyncio.current_task() in self._holders

    async def wait_open(self) -> None:
        """Return once no task holds the gate (at once when none does)."""
        while self._holders:  # a new holder may arrive between the wake-up and the check
            await self._open.wait()

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Inside, the writer is halted; the last holder to leave resumes it."""
        task = asyncio.current_task()
        self._holders.append(task)
        try:
            if len(self._holders) == 1:
                self._open.clear()
                self._paused_since = time.monotonic()
                self._halt()
            await self._halted()
            yield
        finally:
            self._holders.remove(task)
            if not self._holders:
                if self._paused_since is not None:
                    self._paused_before += time.monotonic() - self._paused_since
                    self._paused_since = None
                self._open.set()
                self._resume()


class ThreadParking:
    """Parks a worker thread between tokens while a `PauseGate` is held, and tells the event
    loop when it is parked: `halt`, `halted` and `resume` are the gate's hooks.

    Each job the thread runs (`submit`) counts from before it is submitted until it is done,
    so `halted` also waits for a job that has not started yet or runs without turns. A
    generation brings its own `go` event and calls `wait_turn` before each token, which parks
    the thread while `go` is clear. The parked flag is read and written under one lock, and
    `resume` clears it before it wakes the thread, so the loop never takes a thread that is
    about to compute a token for a parked one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._halting = False
        self._jobs = 0
        self._parked = False
        self._go: threading.Event | None = None
        self._changed = asyncio.Event()  # set (from the thread) when the state above changes
        self._loop: asyncio.AbstractEventLoop | None = None

    def halt(self) -> None:
        with self._lock:
            self._halting = True
            if self._go is not None:
                self._go.clear()

    async def halted(self) -> None:
        """Return once the thread is parked, or has no job."""
        while True:
            self._changed.clear()
            with self._lock:
                if self._jobs == 0 or self._parked:
                    return
            await self._changed.wait()

    def resume(self) -> None:
        with self._lock:
            self._halting = False
            self._parked = False
            if self._go is not None:
                self._go.set()

    def submit(
        self, executor: Executor, job: Callable[[], _T], *, go: threading.Event | None = None
    ) -> asyncio.Future[_T]:
        """Run `job`, which computes tokens, on the worker thread, counted for `halted`; a
        generation brings its `go` event and calls `wait_turn` before each token."""
        self._begin(go)

        def counted() -> _T:
            try:
                return job()
            finally:
                self._end(go)

        try:
            return asyncio.get_running_loop().run_in_executor(executor, counted)
        except BaseException:  # never submitted (the executor is shut down)
            self._end(go)
            raise

    def _begin(self, go: threading.Event | None) -> None:
        self._loop = asyncio.get_running_loop()
        with self._lock:
            self._jobs += 1
            if go is not None:
                self._go, self._parked = go, False
                if not self._halting:
                    go.set()

    def _end(self, go: threading.Event | None) -> None:
        with self._lock:
            self._jobs -= 1
            if go is not None and go is self._go:
                self._go, self._parked = None, False
        self._notify()

    def wait_turn(self, go: threading.Event, stop: threading.Event) -> bool:
        """In the thread, before each token: wait while paused; False once `stop` is set (who
        sets `stop` sets `go` too, so a parked thread wakes up to stop)."""
        with self._lock:
            parked = self._parked = not go.is_set()
        if parked:
            self._notify()
            go.wait()
            with self._lock:
                self._parked = False
        return not stop.is_set()

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
                loop.call_soon_threadsafe(self._changed.set)
