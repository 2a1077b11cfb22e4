"""What the user sees when something in the bot breaks: a polite, ephemeral answer in their
language (never a stuck "thinking…" or "This interaction failed"), and a log line with the
run id, so the operator can find the book."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from storybot.bot.i18n import locale_of, text

log = logging.getLogger(__name__)


async def answer(interaction: discord.Interaction, content: str) -> None:
    """An ephemeral answer, whether or not the interaction was answered (deferred) already."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.HTTPException as exc:  # expired or gone: nothing more to do
        log.warning("Could not answer interaction %s: %s", interaction.id, exc)


async def report(
    interaction: discord.Interaction, error: BaseException, where: str, run_id: str | None = None
) -> None:
    """Log `error` with the run id (when there is one) and tell the user, politely."""
    run = run_id or interaction.extras.get("run_id", "none yet")
    log.error("%s failed (run %s)", where, run, exc_info=error)
    await answer(interaction, text(locale_of(interaction.locale), "unexpected_error"))


class PoliteView(discord.ui.View):
    """A view whose failures are reported, not swallowed by discord.py's default logger."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report(interaction, error, f"{type(self).__name__} ({type(item).__name__})")


class PoliteModal(discord.ui.Modal):
    """A modal whose failures are reported like a view's."""

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report(interaction, error, type(self).__name__)


async def on_tree_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """The command tree's hook, for every command: a missing permission is explained;
    anything else is logged (with the run id, once there is one) and answered too, so the
    user's "thinking…" never stays up."""
    locale = locale_of(interaction.locale)
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(error.missing_permissions)
        await answer(interaction, text(locale, "no_permission", missing=missing))
        return
    if isinstance(error, app_commands.CheckFailure):
        await answer(interaction, text(locale, "unexpected_error"))
        log.info("A check refused /%s: %s", getattr(interaction.command, "name", "?"), error)
        return
    await report(interaction, error, f"/{getattr(interaction.command, 'name', '?')}")
