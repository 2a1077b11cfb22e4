"""`StoryBot`: the discord.py client, its start-up work, and how `bot.py` runs it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import discord
import yarl
from discord.ext import commands

from storybot.config import Settings
from storybot.engines.stt import Transcriber, make_transcriber
from storybot.errors import ConfigError
from storybot.korean import kiwi
from storybot.safety import warm_up
from storybot.service import BookMaker

log = logging.getLogger(__name__)


def point_discord_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic to the configured bases (e.g. proxies)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def intents() -> discord.Intents:
    """Guilds, guild messages and DMs; message content to read voice replies in channels."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.guild_reactions = True
    wanted.dm_messages = True
    wanted.message_content = True
    return wanted


class StoryBot(commands.Bot):
    """The storybot client; start-up work happens in `setup_hook`, never in `on_ready`."""

    def __init__(
        self,
        settings: Settings,
        *,
        maker: BookMaker | None = None,
        transcriber: Transcriber | None = None,
        **options: Any,
    ) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), **options)
        self.settings = settings
        self.maker = maker or BookMaker.from_settings(settings)
        self.transcriber = transcriber or make_transcriber(settings)
        from storybot.bot.runner import BookRunner

        self.runner = BookRunner(self, self.maker)
        self._background: set[asyncio.Task[None]] = set()
        self._stopping: asyncio.Future[None] | None = None

    async def setup_hook(self) -> None:
        from storybot.bot.cog import StoryCog
        from storybot.bot.i18n import StoryTranslator
        from storybot.bot.views import PERSISTENT_ITEMS

        await self.tree.set_translator(StoryTranslator())
        await self.add_cog(StoryCog(self))
        self.add_dynamic_items(*PERSISTENT_ITEMS)  # buttons of books made before a restart
        guild_id = self.settings.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("Synced %d application command(s) (%s)", len(synced), guild_id or "global")
        interrupted = self.maker.recover()
        if interrupted:
            self._background.add(asyncio.create_task(self._tell_interrupted(interrupted)))
        self._background.add(asyncio.create_task(self._warm_transcriber()))
        self._background.add(asyncio.create_task(self._warm_korean()))

    async def _tell_interrupted(self, records: list[Any]) -> None:
        await self.wait_until_ready()
        await self.runner.tell_interrupted(records)

    async def _warm_transcriber(self) -> None:
        """Load Whisper once, now, so the first voice reply is quick (and kept warm after)."""
        try:
            await self.transcriber.load()
        except Exception as exc:  # no model yet: voice replies will say so
            log.warning("Whisper is not ready: %s", exc)

    async def _warm_korean(self) -> None:
        """Load Kiwi (with the operator's words) off the event loop, so the first answer
        and the first safety screen do not stall every other user for a second."""
        try:
            await asyncio.to_thread(kiwi, self.settings.field_words_file)
            await asyncio.to_thread(warm_up)
        except Exception as exc:
            log.warning("Kiwi is not ready: %s", exc)

    async def on_ready(self) -> None:
        log.info("Logged in as %s in %d guild(s)", self.user, len(self.guilds))

    async def close(self) -> None:
        """Stop the books being made (their requesters are told, as after a crash), then
        the engines, then the connection. Safe to call more than once."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await self._stopping

    async def _stop(self) -> None:
        await self.runner.close()
        stopped = await self.maker.close()
        if stopped and self.is_ready():
            await self.runner.tell_interrupted(stopped)
        await self.transcriber.close()
        await super().close()


class ShardedStoryBot(StoryBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (SHARD_COUNT > 1)."""


def make_bot(settings: Settings, **options: Any) -> StoryBot:
    """StoryBot, or ShardedStoryBot when SHARD_COUNT > 1."""
    if settings.shard_count > 1:
        return ShardedStoryBot(settings, shard_count=settings.shard_count, **options)
    return StoryBot(settings, **options)


def run_bot(settings: Settings) -> None:
    """Run until stopped; a missing token is a clear error, not a traceback."""
    if settings.discord_token is None:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put the bot's token in .env (see .env.example)"
        )
    point_discord_at(settings)
    try:
        asyncio.run(_serve(make_bot(settings), settings.discord_token.get_secret_value()))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    except discord.LoginFailure:
        raise ConfigError(
            "Discord refused DISCORD_TOKEN: reset the token and copy it again"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError(
            "the bot needs the Message Content intent: Developer Portal → Bot → "
            "Privileged Gateway Intents → Message Content Intent"
        ) from None


async def _serve(bot: StoryBot, token: str) -> None:
    """Run `bot` until Ctrl-C or SIGTERM (what `docker stop` sends); both stop it the same
    way: books interrupted and their requesters told, engines closed, then the connection."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)
