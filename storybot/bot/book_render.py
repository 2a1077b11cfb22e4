"""How a book message looks: a header embed, then one embed per page, within Discord's limits.

Pure functions of a `MessageState` (no Discord calls), so the look can be checked without a
server. The limits are Discord's (message.mdx, "Embed Limits"): 10 embeds per message; title
256, description 4096, field value 1024; and 6,000 characters over all of a message's embeds
(titles, descriptions, field names and values, footers, author names). Page texts share what
the header leaves of the 6,000, and only the longest are shortened, at a sentence or a word.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import discord

from storybot.bot.i18n import text
from storybot.models import PAGE_COUNT, Stage
from storybot.texts import CATALOGUES

MAX_EMBEDS = 10
EMBED_TOTAL = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
ELLIPSIS = "…"
SENTENCE_ENDS = ".!?。"
COLOUR = discord.Colour.from_rgb(255, 183, 77)


@dataclass
class MessageState:
    """What the message shows."""

    locale: str
    title: str = ""
    texts: dict[int, str] = field(default_factory=dict)  # page → its newest text
    status_line: str = ""
    images_done: int = 0
    started: float = field(default_factory=time.monotonic)
    eta_total: float | None = None  # seconds a book takes, from recent runs
    finished: bool = False
    notices: list[str] = field(default_factory=list)


def progress_bar(done: int, total: int = PAGE_COUNT) -> str:
    """■■□□□ 2/5"""
    return "■" * done + "□" * (total - done) + f" {done}/{total}"


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def page_label(locale: str, page: int) -> str:
    """The page's name: "표지" for page 0, "3쪽" for page 3."""
    return text(locale, "book.cover") if page == 0 else text(locale, "book.page", page=page)


def book_embeds(state: MessageState, pictures: Mapping[int, str]) -> list[discord.Embed]:
    """The header, then each page that has a text or a picture, in page order; `pictures`
    maps a page to the attachment (file name) shown inside its embed."""
    header = header_embed(state)
    pages = sorted(set(state.texts) | set(pictures))[: MAX_EMBEDS - 1]
    labels = [page_label(state.locale, page) for page in pages]
    budget = EMBED_TOTAL - embed_size(header.to_dict()) - sum(map(size, labels))
    texts = fit_texts([state.texts.get(page, "") for page in pages], budget)
    embeds = [header]
    for page, label, body in zip(pages, labels, texts, strict=True):
        # No `url`: embeds sharing one are merged by Discord into a single picture gallery.
        embed = discord.Embed(title=label, description=body or None, colour=COLOUR)
        if page in pictures:
            embed.set_image(url=f"attachment://{pictures[page]}")
        embeds.append(embed)
    return embeds


def header_embed(state: MessageState) -> discord.Embed:
    """Title, progress bar, stage, elapsed time and ETA (while making), notices."""
    locale = state.locale
    title = shorten(state.title or text(locale, "builder.title"), TITLE_LIMIT)
    embed = discord.Embed(title=title, colour=COLOUR)
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
    value = shorten("\n".join(line for line in lines if line), FIELD_LIMIT)
    embed.add_field(name="\u200b", value=value)
    return embed


def size(value: str | None) -> int:
    """Characters as Discord may count them: UTF-16 units, never fewer than code points, so
    a text that fits by this measure fits by either."""
    return len(value.encode("utf-16-le")) // 2 if value else 0


def embed_size(embed: Mapping[str, Any]) -> int:
    """What one embed (as sent) counts towards the 6,000 of its message."""
    total = size(embed.get("title")) + size(embed.get("description"))
    for item in embed.get("fields") or []:
        total += size(item.get("name")) + size(item.get("value"))
    total += size((embed.get("footer") or {}).get("text"))
    return total + size((embed.get("author") or {}).get("name"))


def fit_texts(texts: list[str], budget: int) -> list[str]:
    """`texts` within `budget` characters together (and each within a description): all
    that are longer than one common cap are shortened to it, the rest left whole."""
    cap = min(DESCRIPTION_LIMIT, _cap([size(t) for t in texts], max(0, budget)))
    return [shorten(t, cap) for t in texts]


def _cap(sizes: list[int], budget: int) -> int:
    """The largest `cap` with sum(min(s, cap)) <= budget (water-filling)."""
    left = budget
    ordered = sorted(sizes)
    for index, current in enumerate(ordered):
        rest = len(ordered) - index
        if current * rest > left:
            return left // rest
        left -= current
    return max(ordered, default=0)


def shorten(value: str, limit: int) -> str:
    """`value` within `limit` characters: cut after a sentence, else a word, if that keeps
    at least half of it, and marked with "…"."""
    if size(value) <= limit:
        return value
    if limit < 2:
        return ELLIPSIS[:limit]
    cut = value[: limit - 2]  # room for " …"
    while size(cut) > limit - 2:  # characters outside the BMP count twice
        cut = cut[:-1]
    sentence = max(cut.rfind(mark) for mark in SENTENCE_ENDS)
    word = max(cut.rfind(" "), cut.rfind("\n"))
    if sentence >= len(cut) // 2:
        return cut[: sentence + 1] + " " + ELLIPSIS
    if word >= len(cut) // 2:
        return cut[:word].rstrip() + " " + ELLIPSIS
    return cut.rstrip() + ELLIPSIS


def failure(locale: str, stage: Stage | None, code: str | None = None) -> str:
    """What went wrong, in plain words: the known reason, or what the book was doing."""
    if code is not None and f"failed.{code}" in CATALOGUES[locale]:
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
