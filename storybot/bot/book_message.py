"""`BookMessage`: the one channel message that grows into a picture book as the book is made.

What it shows: a header embed (title, progress bar, stage, elapsed time, ETA, notices), then
one embed per page in page order (its label, its text, and its picture inside the embed through
`attachment://<name>`), and each page's narration as an Opus file Discord plays inline. When
the book is done the channel reads top to bottom, cover to last page. Rendering is in
`book_render`; this module owns the message.

It is the only writer of its message: events update its state, and one task turns the state
into at most one edit per second (Discord allows about 5 per 5 s). It owns the attachments,
one per slot (a page's picture, a page's voice), so a picture and a voice that finish together
never overwrite each other (`[*latest.attachments, new]` from the message the previous edit
returned), and a newer file for a slot (a later attempt, the final file after a draft of the
same name) replaces the one shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp
import discord

from storybot.bot.book_render import (
    COLOUR,
    MessageState,
    book_embeds,
    duration,
    failure,
    progress_bar,
    stage_line,
)
from storybot.bot.i18n import text
from storybot.bot.media import compact_audio, fit_image
from storybot.models import (
    PAGE_COUNT,
    Cancelled,
    Done,
    Event,
    Failed,
    Page,
    PageAudio,
    PageImage,
    PageText,
    Progress,
    Queued,
    StageStarted,
    StoryReady,
    Waiting,
)

__all__ = [
    "COLOUR",
    "BookMessage",
    "MessageState",
    "duration",
    "failure",
    "progress_bar",
    "stage_line",
]

log = logging.getLogger(__name__)

ViewFactory = Callable[[bool], discord.ui.View | None]
"""Builds the buttons for a book message: `factory(finished)`."""

MAX_ATTACHMENTS = 10
REQUEST_LIMIT = 24 * 1024 * 1024  # Discord takes 25 MiB per request; room for the rest of it
EDIT_INTERVAL = 1.0  # seconds between edits of one message
EDIT_RETRIES = 3  # edits in a row that may fail before the editor waits for the next event

Slot = tuple[Literal["image", "audio"], int]
"""What an attachment is for: a page's picture or a page's voice."""


@dataclass(frozen=True)
class Upload:
    """A file for the next edit, read when its event arrived: a draft may be gone later."""

    name: str
    data: bytes


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
        self.state = MessageState(locale, eta_total=eta_total)
        self.filesize_limit = filesize_limit
        self.view_factory = view_factory
        self._files: dict[Slot, str] = {}  # the file name each slot shows after the next edit
        self._uploads: dict[Slot, Upload] = {}  # what the next edit sends
        self._failures = 0
        self._dirty = asyncio.Event()
        self._closing = False
        self._last_edit = 0.0
        self._task = asyncio.create_task(self._editor(), name=f"book message {message.id}")

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
                self._set_text(page)
            case StoryReady(story=story):
                state.title = story.title
                for page in story.pages:  # the accepted story may differ from its drafts
                    self._set_text(page)
            case PageImage(page=page, path=path):
                await self._attach_image(page, path)
            case PageAudio(page=page, path=path):
                await self._attach_audio(page, path)
            case Done(book=book):
                state.finished = True
                state.title = book.story.title
                state.status_line = text(locale, "book.sending")
                for page in book.story.pages:
                    self._set_text(page)
                # A retry reuses what was made before without announcing it again.
                for page, (image, audio) in enumerate(zip(book.images, book.audio, strict=True)):
                    if image is not None and image.is_file():
                        await self._attach_image(page, image, replace=False)
                    if audio is not None and audio.is_file():
                        await self._attach_audio(page, audio, replace=False)
                if book.warnings:
                    state.notices.append(text(locale, "book.warning", count=len(book.warnings)))
            case Failed(stage=stage, code=code):  # the technical reason: the log and store
                state.finished = True
                reason = failure(locale, stage, code)
                state.status_line = text(locale, "book.failed", reason=reason)
            case Cancelled():
                state.finished = True
                state.status_line = text(locale, "book.cancelled")
        pictures = sum(1 for kind, _ in self._files if kind == "image")
        state.images_done = PAGE_COUNT if isinstance(event, Done) else pictures
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

    # --- what the message holds ----------------------------------------------------------

    def _set_text(self, page: Page) -> None:
        """Show `page`'s newest text; a picture or voice made for another text goes with it
        (a later attempt of the writer rewrote the page) until the new one comes."""
        shown = self.state.texts.get(page.page)
        if shown is not None and shown != page.text:
            slots: tuple[Slot, Slot] = (("image", page.page), ("audio", page.page))
            for slot in slots:
                self._files.pop(slot, None)
                self._uploads.pop(slot, None)
        self.state.texts[page.page] = page.text

    async def _attach_image(self, page: int, path: Path, *, replace: bool = True) -> None:
        if replace or ("image", page) not in self._files:
            self._attach(("image", page), await fit_image(path, self.filesize_limit), replace)

    async def _attach_audio(self, page: int, path: Path, *, replace: bool = True) -> None:
        if not replace and ("audio", page) in self._files:
            return
        voice = await compact_audio(path)  # Opus in Ogg; the WAV stays on disk
        if voice.is_file() and voice.stat().st_size > self.filesize_limit:
            notice = text(self.state.locale, "book.audio_in_dm")
            if notice not in self.state.notices:
                self.state.notices.append(notice)
            return
        self._attach(("audio", page), voice, replace)

    def _attach(self, slot: Slot, path: Path, replace: bool) -> None:
        """Send `path` for `slot` at the next edit: it replaces the slot's file when `replace`,
        else only fills an empty slot."""
        if slot in self._files and not replace:
            return
        if slot not in self._files and len(self._files) >= MAX_ATTACHMENTS:
            log.info("Book message %s is full; %s goes to DMs only", self.message.id, path.name)
            return
        try:
            data = path.read_bytes()  # now: a draft's folder is cleared when the book ends
        except OSError as exc:  # already gone: the final file comes with Done
            log.info("Book message %s: %s is gone (%s)", self.message.id, path.name, exc)
            return
        self._files[slot] = path.name
        self._uploads[slot] = Upload(path.name, data)

    # --- editing -------------------------------------------------------------------------

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

    def _take_uploads(self) -> dict[Slot, Upload]:
        """The uploads for this edit, in page order, within one request's size; the rest wait
        for the next edit."""
        taken: dict[Slot, Upload] = {}
        size = 0
        for slot in sorted(self._uploads, key=lambda s: (s[1], s[0] != "image")):
            upload = self._uploads[slot]
            if taken and size + len(upload.data) > REQUEST_LIMIT:
                self._dirty.set()
                continue
            taken[slot] = self._uploads.pop(slot)
            size += len(upload.data)
        return taken

    async def _edit(self) -> None:
        uploads = self._take_uploads()
        new = {u.name for u in uploads.values()}
        wanted = set(self._files.values())
        kept = [a for a in self.message.attachments if a.filename in wanted - new]
        present = {a.filename for a in kept} | new
        # Only pictures this edit leaves on the message: `attachment://` must resolve.
        pictures = {
            page: name
            for (kind, page), name in self._files.items()
            if kind == "image" and name in present
        }
        files = [discord.File(io.BytesIO(u.data), filename=u.name) for u in uploads.values()]
        try:
            self.message = await self.message.edit(
                embeds=book_embeds(self.state, pictures),
                attachments=[*kept, *files],
                view=self.view_factory(self.state.finished),
            )
            self._failures = 0
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.warning("Could not edit book message %s: %s", self.message.id, exc)
            self._keep_for_next_edit(uploads, exc)
        self._last_edit = time.monotonic()

    def _keep_for_next_edit(self, uploads: dict[Slot, Upload], exc: Exception) -> None:
        """After a failed edit: try again (a few times in a row) so the state still shows; its
        files go again too, unless Discord refused them (a 4xx other than 429 would come
        back) — those stay for the DMs."""
        self._failures += 1
        status = getattr(exc, "status", 0)
        refused = 400 <= status < 500 and status != 429
        again = self._failures < EDIT_RETRIES
        for slot, upload in uploads.items():
            if again and not refused:
                self._uploads.setdefault(slot, upload)  # a newer file for the slot wins
            elif self._files.get(slot) == upload.name:
                del self._files[slot]
        if again:
            self._dirty.set()
