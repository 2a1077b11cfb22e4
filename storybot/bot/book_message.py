"""`BookMessage`: the one channel message that grows page by page as a book is made.

It is the only writer of its message: events update its state, and one task turns the state
into at most one edit per second (Discord allows about 5 per 5 s). It owns the list of
attachments, so a picture and a voice that finish together never overwrite each other
(`[*latest.attachments, new]` from the message the previous edit returned).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import discord

from storybot.bot.i18n import text
from storybot.bot.media import fit_image
from storybot.models import (
    PAGE_COUNT,
    Cancelled,
    Done,
    Event,
    Failed,
    PageAudio,
    PageImage,
    PageText,
    Progress,
    Queued,
    Stage,
    StageStarted,
    StoryReady,
)

log = logging.getLogger(__name__)

ViewFactory = Callable[[bool], discord.ui.View | None]
"""Builds the buttons for a book message: `factory(finished)`."""

MAX_ATTACHMENTS = 10
EDIT_INTERVAL = 1.0  # seconds between edits of one message
COLOUR = discord.Colour.from_rgb(255, 183, 77)


def progress_bar(done: int, total: int = PAGE_COUNT) -> str:
    """■■□□□ 2/5"""
    return "■" * done + "□" * (total - done) + f" {done}/{total}"


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class BookState:
    """What the message shows."""

    locale: str
    title: str = ""
    page_text: str = ""
    page: int = -1
    status_line: str = ""
    images_done: int = 0
    started: float = field(default_factory=time.monotonic)
    eta_total: float | None = None  # seconds a book takes, from recent runs
    finished: bool = False
    notices: list[str] = field(default_factory=list)


class BookMessage:
    """Renders a book's events into its channel message, serialised and coalesced."""

    def __init__(
        self,
        message: discord.Message,
        locale: str,
        *,
        filesize_limit: int,
        view_factory: ViewFactory,
        eta_total: float | None = None,
    ) -> None:
        self.message = message
        self.state = BookState(locale, eta_total=eta_total)
        self.filesize_limit = filesize_limit
        self.view_factory = view_factory
        self._pending_files: list[discord.File] = []
        self._dirty = asyncio.Event()
        self._closing = False
        self._last_edit = 0.0
        self._task = asyncio.create_task(self._editor(), name=f"book message {message.id}")
        self.audio_skipped: list[int] = []

    async def apply(self, event: Event) -> None:
        """Update the state from one pipeline event (and queue what it adds)."""
        state, locale = self.state, self.state.locale
        match event:
            case Queued(position=position):
                state.status_line = text(locale, "book.queued", position=position)
            case StageStarted(stage=stage):
                state.status_line = stage_line(locale, stage)
            case Progress(stage=stage, step=step, total=total):
                state.status_line = f"{stage_line(locale, stage)} ({step}/{total})"
            case PageText(page=page):
                state.page, state.page_text = page.page, page.text
            case StoryReady(story=story):
                state.title = story.title
            case PageImage(page=page, path=path):
                state.images_done = max(state.images_done, page + 1)
                self._attach(await fit_image(path, self.filesize_limit))
            case PageAudio(page=page, path=path):
                if path.stat().st_size <= self.filesize_limit:
                    self._attach(path)
                else:
                    self.audio_skipped.append(page)
                    if text(locale, "book.audio_in_dm") not in state.notices:
                        state.notices.append(text(locale, "book.audio_in_dm"))
            case Done(book=book):
                state.finished, state.images_done = True, PAGE_COUNT
                state.title = book.story.title
                state.status_line = text(locale, "book.done")
                if book.warnings:
                    state.notices.append(text(locale, "book.warning", count=len(book.warnings)))
            case Failed(error=error):
                state.finished = True
                state.status_line = text(locale, "book.failed", reason=error)
            case Cancelled():
                state.finished = True
                state.status_line = text(locale, "book.cancelled")
        self._dirty.set()

    def set_status(self, line: str) -> None:
        """Replace the status line (e.g. after delivery) and schedule an edit."""
        self.state.status_line = line
        self._dirty.set()

    async def close(self) -> None:
        """Flush the last state and stop the editor."""
        self._closing = True
        self._dirty.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def _attach(self, path: Path) -> None:
        already = len(self.message.attachments) + len(self._pending_files)
        if already >= MAX_ATTACHMENTS:
            return
        self._pending_files.append(discord.File(path, filename=path.name))

    async def _editor(self) -> None:
        while True:
            await self._dirty.wait()
            wait = self._last_edit + EDIT_INTERVAL - time.monotonic()
            if wait > 0 and not self._closing:
                await asyncio.sleep(wait)  # coalesce everything that arrives meanwhile
            self._dirty.clear()
            await self._edit()
            if self._closing and not self._dirty.is_set():
                return

    async def _edit(self) -> None:
        files, self._pending_files = self._pending_files, []
        try:
            self.message = await self.message.edit(
                embed=self.embed(),
                attachments=[*self.message.attachments, *files],
                view=self.view_factory(self.state.finished),
            )
        except discord.HTTPException as exc:
            log.warning("Could not edit book message %s: %s", self.message.id, exc)
        self._last_edit = time.monotonic()

    def embed(self) -> discord.Embed:
        state, locale = self.state, self.state.locale
        embed = discord.Embed(title=state.title or text(locale, "builder.title"), colour=COLOUR)
        if state.page_text:
            label = (
                text(locale, "book.cover")
                if state.page == 0
                else text(locale, "book.page", page=state.page)
            )
            embed.description = f"**{label}**\n{state.page_text}"[:4000]
        lines = [progress_bar(state.images_done), state.status_line]
        if not state.finished:
            elapsed = time.monotonic() - state.started
            timing = text(locale, "book.elapsed", elapsed=duration(elapsed))
            if state.eta_total:
                left = state.eta_total - elapsed
                if left > 0:
                    timing += " · " + text(locale, "book.eta", eta=duration(left))
            lines.append(timing)
        lines += state.notices
        embed.add_field(name="\u200b", value="\n".join(line for line in lines if line)[:1024])
        return embed


def stage_line(locale: str, stage: Stage) -> str:
    if stage.value.startswith("PANEL_"):
        return text(locale, "book.stage.PANEL", page=stage.value.removeprefix("PANEL_"))
    return text(locale, f"book.stage.{stage.value}")
