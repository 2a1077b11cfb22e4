"""Syncing the slash commands to Discord only when they changed.

Discord rate-limits command syncs, and discord.py's maintainers warn against syncing on every
start. So the bot keeps a digest of what it last synced — the exact payload `tree.sync` sends,
translations included, with the application and the scope it went to — in the data folder,
and syncs again only when that digest changes. `storybot sync` syncs now, whatever it says.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

log = logging.getLogger(__name__)


async def tree_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """What `tree.sync(guild=guild)` sends: each command's payload, translated if the tree
    has a translator."""
    commands_ = tree.get_commands(guild=guild)
    translator = tree.translator
    if translator is None:
        return [command.to_dict(tree) for command in commands_]
    return [await command.get_translated_payload(tree, translator) for command in commands_]


def tree_digest(
    application_id: int | None, guild_id: int | None, payload: list[dict[str, Any]]
) -> str:
    """A stable SHA-256 of the payload and where it goes (another application or guild has
    not seen it)."""
    blob = json.dumps(
        {"application_id": application_id, "guild_id": guild_id, "commands": payload},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def digest_path(data_dir: Path, guild_id: int | None) -> Path:
    """data/command_tree.sha256 for the global commands, command_tree.<guild>.sha256 for one
    guild's (DEV_GUILD_ID)."""
    name = "command_tree.sha256" if guild_id is None else f"command_tree.{guild_id}.sha256"
    return data_dir / name


async def sync_commands(
    bot: commands.Bot, data_dir: Path, guild_id: int | None, *, force: bool = False
) -> int | None:
    """Sync the command tree globally (or to guild `guild_id`, global commands copied there)
    when it changed since the last sync, or when `force`; how many commands were synced,
    None when nothing changed."""
    tree = bot.tree
    guild = discord.Object(id=guild_id) if guild_id is not None else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    digest = tree_digest(bot.application_id, guild_id, await tree_payload(tree, guild))
    path = digest_path(data_dir, guild_id)
    scope = guild_id or "global"
    if not force and _read(path) == digest:
        log.info("Commands unchanged, not syncing (%s)", scope)
        return None
    synced = await tree.sync(guild=guild)
    _write(path, digest)  # only after Discord took it: a failed sync is tried again
    log.info("Synced %d application command(s) (%s)", len(synced), scope)
    return len(synced)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:  # never synced from this data folder
        return None


def _write(path: Path, digest: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(digest + "\n")
    os.replace(partial, path)  # whole or not at all
