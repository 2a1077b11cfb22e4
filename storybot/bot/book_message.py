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

import aiohttp
import discord

from storybot.bot.i18n import TEXTS, text
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
    Waiting,
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
            case Waiting(reason=reason):
                state.status_line = text(locale, f"book.{reason}")
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
                await self._attach_image(path)
            case PageAudio(page=page, path=path):
                self._attach_audio(page, path)
            case Done(book=book):
                state.finished, state.images_done = True, PAGE_COUNT
                state.title = book.story.title
                state.status_line = text(locale, "book.sending")
                # A retry reuses what was made before without announcing it again.
                for page, (image, audio) in enumerate(zip(book.images, book.audio, strict=True)):
                    if image is not None and image.is_file():
                        await self._attach_image(image, replace=False)
                    if audio is not None and audio.is_file():
                        self._attach_audio(page, audio, replace=False)
                if book.warnings:
                    state.notices.append(text(locale, "book.warning", count=len(book.warnings)))
            case Failed(stage=stage, code=code):  # the technical reason: the log and store
                state.finished = True
                reason = failure(locale, stage, code)
                state.status_line = text(locale, "book.failed", reason=reason)
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

    async def _attach_image(self, path: Path, *, replace: bool = True) -> None:
        self._attach(await fit_image(path, self.filesize_limit), replace=replace)

    def _attach_audio(self, page: int, path: Path, *, replace: bool = True) -> None:
        if path.stat().st_size <= self.filesize_limit:
            self._attach(path, replace=replace)
            return
        if page not in self.audio_skipped:
            self.audio_skipped.append(page)
        notice = text(self.state.locale, "book.audio_in_dm")
        if notice not in self.state.notices:
            self.state.notices.append(notice)

    def _attach(self, path: Path, *, replace: bool) -> None:
        """Add `path` at the next edit. A file of the same name replaces the one shown (a new
        attempt of the story remakes its pages) when `replace`, else it is left as it is."""
        shown = {a.filename for a in self.message.attachments}
        shown |= {f.filename for f in self._pending_files}
        if path.name in shown and not replace:
            return
        if path.name not in shown and len(shown) >= MAX_ATTACHMENTS:
            log.info("Book message %s is full; %s goes to DMs only", self.message.id, path.name)
            return
        for older in [f for f in self._pending_files if f.filename == path.name]:
            older.close()
            self._pending_files.remove(older)
        self._pending_files.append(discord.File(path, filename=path.name))

    async def _editor(self) -> None:
        while True:
            await self._dirty.wait()
            wait = self._last_edit + EDIT_INTERVAL - time.monotonic()
            if wait > 0:  # the last edit too: one per second, always
                await asyncio.sleep(wait)  # coalesce everything that arrives meanwhile
            self._dirty.clear()
            await self._edit()
            if self._closing and not self._dirty.is_set():
                return

    async def _edit(self) -> None:
        files, self._pending_files = self._pending_files, []
        new = {f.filename for f in files}
        kept = [a for a in self.message.attachments if a.filename not in new]
        try:
            self.message = await self.message.edit(
                embed=self.embed(),
                attachments=[*kept, *files],
                view=self.view_factory(self.state.finished),
            )
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
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


def failure(locale: str, stage: Stage | None, code: str | None = None) -> str:
    """What went wrong, in plain words: the known reason, or what the book was doing."""
    if code is not None and f"failed.{code}" in TEXTS[locale]:
        return text(locale, f"failed.{code}")
    match stage:
        case Stage.LLM | Stage.TTS:
            return text(locale, f"failed.{stage.value}")
        case None:
            return text(locale, "failed.other")
    return text(locale, "failed.IMAGE")


def stage_line(locale: str, stage: Stage) -> str:
    if stage.value.startswith("PANEL_"):
        return text(locale, "book.stage.PANEL", page=stage.value.removeprefix("PANEL_"))
    return text(locale, f"book.stage.{stage.value}")
