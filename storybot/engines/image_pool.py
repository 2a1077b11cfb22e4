"""A pool of ComfyUI servers (COMFYUI_URLS) that paints one page at a time per server.

A job goes to a free, healthy server. A server that fails is skipped and the job is retried
once on another one; a server that seems down is left alone and probed again later
(`reprobe_after`), or at once when no other server is left.

One book may have several pages waiting at once and then uses every free server; when jobs of
several books (owners) wait, a freed server goes to the owner holding the fewest servers, the
earliest among equals — so a book with five pages never starves the next guild's cover.

With a workflow that has a `reference` node, a book shares its reference picture once
(`share_reference`) and paints its pages with `reference=True`: each server gets the picture
just before it paints its first page of that book (`storybot.engines.reference`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from storybot.config import Settings
from storybot.engines.comfyui import (
    ComfyClient,
    ComfyError,
    ComfyInterruptedError,
    ComfyPromptError,
    ComfyProtocolError,
    ComfyTimeoutError,
    ComfyUnavailableError,
    ProgressCallback,
)
from storybot.engines.reference import ReferenceShelf, SharedReference
from storybot.engines.styles import Style
from storybot.engines.workflow import Workflow
from storybot.logs import timing

logger = logging.getLogger(__name__)

# Failures that say something about the server rather than the job: skip it for a while.
_SERVER_TROUBLE = (ComfyUnavailableError, ComfyProtocolError, ComfyTimeoutError)


@dataclass(eq=False)
class _Server:
    client: ComfyClient
    busy: bool = False
    down_until: float | None = None  # monotonic time of the next probe; None = healthy
    reason: str = ""
    owner: str = ""  # whose job it runs while busy

    def usable(self, now: float) -> bool:
        return self.down_until is None or self.down_until <= now


@dataclass(eq=False)
class _Waiter:
    """A job waiting for a server: whose it is, which servers it may not use, when it came."""

    owner: str
    skip: list[_Server]
    arrived: int


class ComfyPool:
    """Paints page images on one or more ComfyUI servers with one workflow."""

    def __init__(
        self,
        urls: Sequence[str],
        workflow: Workflow | Path,
        *,
        width: int | None = None,
        height: int | None = None,
        steps: int | None = None,
        connect_timeout: float = Settings.model_fields["comfyui_connect_timeout"].default,
        image_timeout: float = Settings.model_fields["image_timeout"].default,
        reprobe_after: float = 30.0,
        poll_interval: float = 1.0,
        request_timeout: float = 60.0,
        paint_deadline: float | None = None,
    ) -> None:
        if not urls:
            raise ValueError("a ComfyUI pool needs at least one URL")
        self.workflow = workflow if isinstance(workflow, Workflow) else Workflow.load(workflow)
        self.width, self.height, self.steps = width, height, steps
        self.connect_timeout = connect_timeout
        self.reprobe_after = reprobe_after
        # Queue time, a probe, the image and one retry elsewhere: all under one deadline.
        self.paint_deadline = paint_deadline or 2 * image_timeout + 2 * connect_timeout
        options: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "image_timeout": image_timeout,
            "poll_interval": poll_interval,
            "request_timeout": request_timeout,
        }
        self._servers = [_Server(ComfyClient(url, **options)) for url in dict.fromkeys(urls)]
        self._changed = asyncio.Event()  # set (and replaced) whenever a server is freed
        self._waiters: list[_Waiter] = []
        self._arrivals = itertools.count()
        self._held: Counter[str] = Counter()  # busy servers per owner
        self._references = ReferenceShelf()

    async def __aenter__(self) -> ComfyPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every server's HTTP session."""
        await asyncio.gather(*(server.client.close() for server in self._servers))

    async def paint(
        self,
        image_prompt: str,
        out: Path,
        *,
        seed: int,
        character_sheet: str = "",
        on_progress: ProgressCallback | None = None,
        style: Style | None = None,
        owner: str = "",
        reference: bool = False,
    ) -> Path:
        """Paint one page to `out` (PNG as the workflow saves it); raise `ComfyError` if not.

        One deadline covers the whole paint: waiting for a free server, probing, uploading the
        book's reference, painting and the retry on another server. `style` None paints in the
        built-in watercolor; `owner` (a book's run id) is whose turn it is when several books
        wait for servers. `reference` paints with the picture the owner shared
        (`share_reference`; `LookupError` if none); a workflow without a `reference` node
        ignores it, and without `reference` such a workflow paints from the text alone."""
        shared = self._reference_for(owner) if reference else None
        graph = self.workflow.fill(
            image_prompt,
            seed=seed,
            character_sheet=character_sheet,
            width=self.width,
            height=self.height,
            steps=self.steps,
            style=style,
            reference=shared.image if shared else None,
        )
        try:
            async with asyncio.timeout(self.paint_deadline):
                data = await self._paint_somewhere(graph, on_progress, owner, shared)
        except TimeoutError:
            raise ComfyTimeoutError(
                f"the picture was not ready within {self.paint_deadline:g} s"
            ) from None
        return await asyncio.to_thread(_write, out, data)

    @property
    def has_reference(self) -> bool:
        """Whether the workflow paints pages with a book's reference picture."""
        return self.workflow.has_reference

    async def share_reference(self, owner: str, picture: Path | bytes) -> str:
        """Keep the book's reference picture (a PNG) for its pages; return the name its
        `reference` node gets (`storybot/storybot-<owner>-reference.png`).

        Nothing is sent yet: each server gets the picture before it paints a page of the book
        with `reference=True`. Sharing the same picture again (a redraw) costs nothing; a new
        picture replaces the old one under the same name on every server."""
        data = (
            picture if isinstance(picture, bytes) else await asyncio.to_thread(picture.read_bytes)
        )
        return self._references.share(owner, data).image

    def forget_reference(self, owner: str) -> None:
        """The book is finished or deleted: forget its reference picture. (ComfyUI cannot delete
        an input file; the upload stays in each server's `input/storybot/`.)"""
        self._references.forget(owner)

    def _reference_for(self, owner: str) -> SharedReference | None:
        if not self.workflow.has_reference:
            return None
        shared = self._references.get(owner)
        if shared is None:
            raise LookupError(f"no reference picture shared for {owner!r}: share_reference first")
        return shared

    async def _paint_somewhere(
        self,
        graph: dict[str, Any],
        on_progress: ProgressCallback | None,
        owner: str,
        shared: SharedReference | None,
    ) -> bytes:
        tried: list[_Server] = []
        last: ComfyError | None = None
        for _ in range(2):  # the first server, then once on another
            server = await self._acquire(owner, exclude=tried)
            if server is None:
                break
            tried.append(server)
            try:
                if shared is not None:  # this server paints the book: it needs the picture
                    await self._references.ensure(server.client, shared)
                with timing(logger, f"image on {server.client.url}"):
                    return await server.client.paint(graph, on_progress)
            except ComfyInterruptedError:
                raise
            except ComfyError as exc:
                last = exc
                if shared is not None:
                    self._references.lost(server.client.url, owner)
                    if isinstance(exc, ComfyPromptError) and shared.image in str(exc):
                        tried.remove(server)  # its input/ was emptied: upload again, retry there
                self._note_failure(server, exc)
            finally:
                self._release(server)
        raise last or self._none_reachable()

    async def reachable(self) -> bool:
        """Whether any server answers now (probed; a server that answers is marked healthy)."""
        results = await asyncio.gather(*(self._probe(s) for s in self._servers))
        return any(results)

    def status(self) -> list[tuple[str, bool, bool]]:
        """(url, up, busy) for each server, as last seen; no probe (metrics read it)."""
        return [(s.client.url, s.down_until is None, s.busy) for s in self._servers]

    async def free_all(self) -> None:
        """`POST /free` on every server that is up (after a book: the GPU's memory goes back to
        the LLM)."""
        servers = [s for s in self._servers if s.down_until is None]
        results = await asyncio.gather(*(s.client.free() for s in servers), return_exceptions=True)
        for server, result in zip(servers, results, strict=True):
            if isinstance(result, Exception):
                logger.warning("could not free memory on %s: %s", server.client.url, result)

    async def _acquire(self, owner: str, exclude: list[_Server]) -> _Server | None:
        """A free, healthy server marked busy; None when no usable server is left."""
        skip = list(exclude)
        probed_all = False
        while True:
            server = await self._take(owner, skip)
            if server is None:
                if probed_all or not await self._probe_down(skip):
                    return None
                probed_all = True
                continue
            try:
                healthy = server.down_until is None or await self._probe(server)
            except BaseException:  # cancelled during the probe: the server is not ours
                self._release(server)
                raise
            if healthy:
                return server
            self._release(server)
            skip.append(server)

    async def _take(self, owner: str, skip: list[_Server]) -> _Server | None:
        """Mark a usable free server busy when it is this job's turn (no await between the
        look and the mark)."""
        waiter = _Waiter(owner, skip, next(self._arrivals))
        self._waiters.append(waiter)
        try:
            while True:
                now = time.monotonic()
                usable = [s for s in self._servers if s not in skip and s.usable(now)]
                if not usable:
                    return None
                free = [s for s in usable if not s.busy]
                if free and self._next_in_turn(now) is waiter:
                    # Healthy servers before ones that are only due for a probe.
                    server = min(free, key=lambda s: s.down_until is not None)
                    server.busy, server.owner = True, owner
                    self._held[owner] += 1
                    return server
                await self._wait_for_change(skip)
        finally:
            self._waiters.remove(waiter)
            self._notify()  # the next in turn may take another free server now

    def _next_in_turn(self, now: float) -> _Waiter | None:
        """Who gets the next free server: of the waiters that can use one, the owner holding
        the fewest servers, the earliest arrival among equals."""
        free = [s for s in self._servers if not s.busy and s.usable(now)]
        able = [w for w in self._waiters if any(s not in w.skip for s in free)]
        return min(able, key=lambda w: (self._held[w.owner], w.arrived), default=None)

    async def _wait_for_change(self, skip: list[_Server]) -> None:
        """Wait for a release, or until a down server is due for its probe."""
        now = time.monotonic()
        due = [s.down_until for s in self._servers if s not in skip and (s.down_until or 0) > now]
        timeout = min(due) - now if due else None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def _release(self, server: _Server) -> None:
        """Give the server back: synchronous, so a cancellation cannot skip it."""
        server.busy = False
        self._held[server.owner] -= 1
        if self._held[server.owner] <= 0:
            del self._held[server.owner]
        self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _probe(self, server: _Server) -> bool:
        """Ask a server that was down whether it is back."""
        try:
            await server.client.health()
        except ComfyError as exc:
            self._mark_down(server, str(exc))
            return False
        if server.down_until is not None:
            logger.info("ComfyUI at %s is back", server.client.url)
        server.down_until, server.reason = None, ""
        return True

    async def _probe_down(self, skip: list[_Server]) -> bool:
        """No server is usable: probe the down ones now; True if one came back."""
        down = [s for s in self._servers if s not in skip and s.down_until and not s.busy]
        return any(await asyncio.gather(*(self._probe(s) for s in down)))

    def _note_failure(self, server: _Server, exc: ComfyError) -> None:
        if isinstance(exc, _SERVER_TROUBLE):
            self._mark_down(server, str(exc))
        logger.warning("image failed on %s: %s", server.client.url, exc)

    def _mark_down(self, server: _Server, reason: str) -> None:
        server.down_until = time.monotonic() + self.reprobe_after
        server.reason = reason
        self._references.lost(server.client.url)  # it may come back without its inputs
        logger.warning("skipping ComfyUI at %s for %g s", server.client.url, self.reprobe_after)

    def _none_reachable(self) -> ComfyError:
        reasons = "; ".join(s.reason or s.client.url for s in self._servers)
        return ComfyUnavailableError(f"no ComfyUI server is reachable: {reasons}")


def _write(out: Path, data: bytes) -> Path:
    """Write through a temporary name, so a reader never sees half an image."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.write_bytes(data)
    part.replace(out)
    return out
