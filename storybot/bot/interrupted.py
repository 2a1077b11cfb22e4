"""After a restart: every book the bot was making when it stopped is marked on its message,
offered a Retry, and its requester pinged (an edit alone notifies nobody)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from storybot.books import RunRecord
from storybot.bot.i18n import text
from storybot.bot.origin import DiscordOrigin
from storybot.bot.views import book_view

if TYPE_CHECKING:
    from storybot.bot.client import StoryBot

log = logging.getLogger(__name__)


async def tell_interrupted(bot: StoryBot, records: list[RunRecord]) -> None:
    """After a restart: mark each interrupted book's message, offer Retry, and ping its
    requester in a reply (an edit alone notifies nobody)."""
    for record in records:
        origin = DiscordOrigin.from_record(record)
        if origin.channel_id is None:  # not the bot's (a CLI run)
            continue
        locale = record.locale
        view = book_view(record.run_id, locale, running=False, retry=True, dm=False)
        notice = text(locale, "book.interrupted")
        ping = f"<@{record.requester_id}> {notice}" if record.requester_id else notice
        try:
            channel = bot.get_channel(origin.channel_id) or await bot.fetch_channel(
                origin.channel_id
            )
            message = await _book_message(channel, origin.message_id)  # type: ignore[arg-type]
            if message is None:
                await channel.send(ping, view=view)  # type: ignore[union-attr]
                continue
            await message.edit(content=notice, view=view)
            await message.reply(ping, mention_author=False)
        except discord.HTTPException as exc:
            log.info("Could not tell about interrupted run %s: %s", record.run_id, exc)


async def _book_message(
    channel: discord.abc.Messageable, message_id: int | None
) -> discord.Message | None:
    if message_id is None:
        return None
    try:
        return await channel.fetch_message(message_id)
    except discord.NotFound:  # deleted meanwhile: post a new one instead
        return None
