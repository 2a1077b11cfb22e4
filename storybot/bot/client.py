"""`StoryBot`: the discord.py client, its start-up work, and how `bot.py` runs it."""

from __future__ import annotations

import logging

import discord
import yarl
from discord.ext import commands

from storybot.config import Settings
from storybot.errors import ConfigError

log = logging.getLogger(__name__)


def point_discord_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic to the configured bases (e.g. proxies)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    gateway = settings.discord_gateway_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


def intents() -> discord.Intents:
    """Guilds, guild messages and DMs; message content to read voice replies in channels."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    return wanted


class StoryBot(commands.Bot):
    """The storybot client; start-up work happens in `setup_hook`, never in `on_ready`."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents())
        self.settings = settings

    async def setup_hook(self) -> None:
        guild_id = self.settings.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("Synced %d application command(s) (%s)", len(synced), guild_id or "global")

    async def on_ready(self) -> None:
        log.info(
            "Logged in as %s (%s) in %d guild(s)",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )


def run_bot(settings: Settings) -> None:
    """Run until stopped; a missing token is a clear error, not a traceback."""
    if settings.discord_token is None:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put the bot's token in .env (see .env.example)"
        )
    point_discord_at(settings)
    try:
        StoryBot(settings).run(settings.discord_token.get_secret_value(), log_handler=None)
    except discord.LoginFailure:
        raise ConfigError(
            "Discord refused DISCORD_TOKEN: reset the token and copy it again"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError(
            "the bot needs the Message Content intent: Developer Portal → Bot → "
            "Privileged Gateway Intents → Message Content Intent"
        ) from None
