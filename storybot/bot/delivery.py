"""Sending a finished book to the requester's DMs, split within Discord's limits."""

from __future__ import annotations

import logging
from pathlib import Path

import discord

from storybot.bot.book_render import page_label
from storybot.bot.i18n import text
from storybot.bot.media import (
    DM_FILESIZE_LIMIT,
    MAX_FILES_PER_MESSAGE,
    compact_audio,
    fit_image,
    fits,
)
from storybot.models import Book

log = logging.getLogger(__name__)

DM_CLOSED = 50007  # "Cannot send messages to this user"


async def book_messages(book: Book, locale: str) -> list[tuple[str, list[Path]]]:
    """(content, files) per DM message: one per page (picture + voice as Opus), then the
    video."""
    messages = []
    for index, page in enumerate(book.story.pages):
        label = page_label(locale, index)
        body = page.text if index else f"**{book.story.title}**\n{page.text}"
        files: list[Path] = []
        image = book.images[index]
        if image is not None and image.is_file():
            files.append(await fit_image(image, DM_FILESIZE_LIMIT))
        audio = book.audio[index]
        if audio is not None and audio.is_file():
            audio = await compact_audio(audio)  # the Ogg plays inline; the WAV stays on disk
            if fits(audio, DM_FILESIZE_LIMIT):
                files.append(audio)
        content = text(locale, "dm.page", label=label, text=body)[:2000]
        messages.append((content, files[:MAX_FILES_PER_MESSAGE]))
    if fits(book.video, DM_FILESIZE_LIMIT):
        messages.append((text(locale, "dm.video", title=book.story.title), [book.video]))  # type: ignore[list-item]
    pdf = book.directory / "book.pdf"  # the book to keep and print (storybot/keepsakes/pdf.py)
    if fits(pdf, DM_FILESIZE_LIMIT):
        if fits(book.video, DM_FILESIZE_LIMIT - pdf.stat().st_size):
            messages[-1][1].append(pdf)  # beside the MP4, within one message's limit
        else:
            messages.append((f"📖 **{book.story.title}** (PDF)", [pdf]))
    return messages


async def deliver(user: discord.abc.User, book: Book, locale: str) -> bool:
    """DM the book to `user`; False when their DMs are closed (expected, not an error)."""
    try:
        for content, files in await book_messages(book, locale):
            await user.send(content, files=[discord.File(p, filename=p.name) for p in files])
    except discord.Forbidden as exc:
        if exc.code == DM_CLOSED:
            log.info("DMs of user %s are closed; the book stays on its message", user.id)
            return False
        raise
    return True
