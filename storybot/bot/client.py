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

from storybot.books import BookDesk
from storybot.bot.command_sync import sync_commands
from storybot.bot.failures import on_tree_error
from storybot.bot.interrupted import tell_interrupted
from storybot.config import Settings
from storybot.engines.stt import Transcriber
from storybot.errors import ConfigError
from storybot.korean import kiwi
from storybot.safety import warm_up
from storybot.wiring import make_book_maker, make_transcriber

log = logging.getLogger(__name__)

REFUSED_TOKEN = "Discord refused DISCORD_TOKEN: reset the token and copy it again"


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
        books: BookDesk | None = None,
        transcriber: Transcriber | None = None,
        **options: Any,
    ) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), **options)
        self.settings = settings
        self.books: BookDesk = books or make_book_maker(settings)
        self.transcriber = transcriber or make_transcriber(settings)
        from storybot.bot.runner import Runner

        self.runner = Runner(self, self.books)
        self.tree.on_error = on_tree_error  # type: ignore[method-assign]
        self._background: set[asyncio.Task[None]] = set()
        self._stopping: asyncio.Future[None] | None = None

    async def install_commands(self) -> None:
        """The command translator, the cog and the buttons of books made before a restart."""
        from storybot.bot.cog import StoryCog
        from storybot.bot.i18n import StoryTranslator
        from storybot.bot.views import PERSISTENT_ITEMS

        await self.tree.set_translator(StoryTranslator())
        await self.add_cog(StoryCog(self))
        self.add_dynamic_items(*PERSISTENT_ITEMS)

    async def setup_hook(self) -> None:
        await self.install_commands()
        # Only when the commands changed: Discord rate-limits syncs.
        await sync_commands(self, self.settings.data_dir, self.settings.dev_guild_id)
        port = self.settings.metrics_port
        if port is not None:
            self.books.serve_metrics(port, self.settings.metrics_host)  # until `close` below
        interrupted = self.books.recover()
        if interrupted:
            self._background.add(asyncio.create_task(self._tell_interrupted(interrupted)))
        self._background.add(asyncio.create_task(self._warm_transcriber()))
        self._background.add(asyncio.create_task(self._warm_korean()))
        self._background.add(asyncio.create_task(self.books.warm_up()))

    async def _tell_interrupted(self, records: list[Any]) -> None:
        await self.wait_until_ready()
        await tell_interrupted(self, records)

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
        stopped = await self.books.close()
        if stopped and self.is_ready():
            await tell_interrupted(self, stopped)
        await self.transcriber.close()
        await super().close()


class ShardedStoryBot(StoryBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (SHARD_COUNT > 1)."""


class CommandSyncer(StoryBot):
    """Logs in, syncs the slash commands whether or not they changed, and stops: no gateway,
    no books (`storybot sync`; safe while the bot runs)."""

    synced = 0

    async def setup_hook(self) -> None:
        await self.install_commands()
        settings = self.settings
        self.synced = (
            await sync_commands(self, settings.data_dir, settings.dev_guild_id, force=True) or 0
        )


async def sync_now(settings: Settings) -> int:
    """Sync the slash commands now (`storybot sync`); how many were synced."""
    token = discord_token(settings)
    point_discord_at(settings)
    syncer = CommandSyncer(settings)
    try:
        async with syncer:
            await syncer.login(token)
    except discord.LoginFailure:
        raise ConfigError(REFUSED_TOKEN) from None
    return syncer.synced


def discord_token(settings: Settings) -> str:
    """DISCORD_TOKEN, or a clear error when it is not set."""
    if settings.discord_token is None:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put the bot's token in .env (see .env.example)"
        )
    return settings.discord_token.get_secret_value()


def make_bot(settings: Settings, **options: Any) -> StoryBot:
    """StoryBot, or ShardedStoryBot when SHARD_COUNT > 1."""
    if settings.shard_count > 1:
        return ShardedStoryBot(settings, shard_count=settings.shard_count, **options)
    return StoryBot(settings, **options)


def run_bot(settings: Settings) -> None:
    """Run until stopped; a missing token is a clear error, not a traceback."""
    token = discord_token(settings)
    point_discord_at(settings)
    try:
        asyncio.run(serve(make_bot(settings), token))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    except discord.LoginFailure:
        raise ConfigError(REFUSED_TOKEN) from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError(
            "the bot needs the Message Content intent: Developer Portal → Bot → "
            "Privileged Gateway Intents → Message Content Intent"
        ) from None


async def serve(bot: StoryBot, token: str) -> None:
    """Run `bot` until Ctrl-C or SIGTERM (what `docker stop` sends); both stop it the same
    way: books interrupted and their requesters told, engines closed, then the connection."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)
