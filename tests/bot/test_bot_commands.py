"""The slash commands as Discord sees them: synced only when they changed (and on
`storybot sync`), a missing bot permission explained, an unexpected failure always answered.

The real StoryBot on the fake Discord (tests/support/bot_harness.py); assertions are on what the
fake recorded.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from storybot.books.store import RunStore
from storybot.bot.client import sync_now
from storybot.bot.command_sync import digest_path
from storybot.bot.i18n import text
from tests.support.fake_discord import EPHEMERAL
from tests.support.stories import FULL

if TYPE_CHECKING:
    from tests.support.bot_harness import Harness
    from tests.support.fake_discord import FakeDiscord

pytest_plugins = ["tests.support.bot_harness"]
pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng",
)

GLOBAL_SYNC = "PUT /applications/{application_id}/commands"
GUILD_SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


def syncs(fake: FakeDiscord, key: str = GLOBAL_SYNC) -> int:
    """How many command syncs of this kind the fake has answered."""
    return sum(1 for r in fake.requests if r.key == key and r.status == 200)


async def test_commands_sync_on_the_first_start_then_only_when_they_change(
    harness: Harness, tmp_path: Path
) -> None:
    fake = harness.fake
    await harness.stop(await harness.start())
    assert syncs(fake) == 1
    assert [c["name"] for c in fake.commands[None]] == ["story", "books"]
    digest = digest_path(harness.data_dir, None)
    assert len(digest.read_text().strip()) == 64

    bot = await harness.start()  # the same tree: Discord has it already
    assert syncs(fake) == 1
    inter = await fake.invoke_command("books", user=fake.alice)  # still answered
    await harness.said(inter, lambda c: c == text("ko", "books.none"))
    await harness.stop(bot)

    styles = tmp_path / "styles.json"  # the operator adds a style: a new choice
    sketch = {"label_ko": "연필 스케치", "label_en": "Pencil sketch", "prefix": "graphite"}
    styles.write_text(json.dumps({"sketch": sketch}, ensure_ascii=False))
    await harness.stop(await harness.start(image_styles=styles))
    assert syncs(fake) == 2
    story = next(c for c in fake.commands[None] if c["name"] == "story")
    style = next(o for o in story["options"] if o["name"] == "style")
    assert "sketch" in [c["value"] for c in style["choices"]]


async def test_dev_guild_commands_keep_their_own_digest(harness: Harness) -> None:
    fake = harness.fake
    await harness.stop(await harness.start(dev_guild_id=fake.guild.id))
    await harness.stop(await harness.start(dev_guild_id=fake.guild.id))
    assert syncs(fake, GUILD_SYNC) == 1 and syncs(fake) == 0
    assert digest_path(harness.data_dir, fake.guild.id).is_file()
    await harness.stop(await harness.start())  # the global commands were never synced
    assert syncs(fake) == 1


async def test_storybot_sync_syncs_now_even_when_nothing_changed(harness: Harness) -> None:
    fake = harness.fake
    await harness.stop(await harness.start())
    assert await sync_now(harness.settings(discord_token=fake.token)) == 2
    assert syncs(fake) == 2
    assert not any(r.route.startswith("/gateway") for r in fake.requests)  # no connection


async def test_a_missing_bot_permission_is_named_in_the_users_language(
    harness: Harness,
) -> None:
    fake = harness.fake
    await harness.start()
    await fake.set_bot_permissions(fake.channel_id, deny=["embed_links"])
    inter = await fake.invoke_command("story", {"era": "today"}, user=fake.bob, locale="en-US")
    answer = await inter.wait(lambda i: i.original)
    assert answer.flags & EPHEMERAL
    assert answer.content == text("en", "no_permission", missing="embed_links")
    korean = await fake.invoke_command("story", FULL, user=fake.bob, locale="ko")
    refused = await korean.wait(lambda i: i.original)
    assert refused.content == text("ko", "no_permission", missing="embed_links")
    assert harness.channel_messages() == []  # no builder was posted


async def test_an_unexpected_failure_is_logged_and_always_answered(harness: Harness) -> None:
    fake = harness.fake
    bot = await harness.start()
    store = RunStore(harness.data_dir)  # the bot's own database, broken under it
    with sqlite3.connect(store.path) as db:
        db.execute("DROP TABLE runs")
    store.close()

    books = await fake.invoke_command("books", user=fake.alice, locale="en-US")
    answer = await books.wait(lambda i: i.original)  # not deferred: the response itself
    assert answer.content == text("en", "unexpected_error") and answer.flags & EPHEMERAL

    story = await fake.invoke_command("story", FULL, user=fake.alice, locale="ko")
    assert (await story.response())["type"] == 5  # "thinking…" first
    note = await harness.said(story, lambda c: c == text("ko", "unexpected_error"))
    assert note in story.followups and not note.loading  # it replaced "thinking…"

    from tests.support.bot_harness import ErrorLog  # loaded as a plugin by now (imported early, its
    # asserts would not be rewritten)

    logged = next(h for h in logging.getLogger("storybot").handlers if isinstance(h, ErrorLog))
    failures = [r.getMessage() for r in logged.records]
    assert failures == ["/books failed (run none yet)", "/story failed (run none yet)"]
    assert all("no such table: runs" in str(r.exc_info[1]) for r in logged.records)  # type: ignore[index]
    logged.records.clear()  # expected here; any other ERROR still fails the test
    assert len(bot.errors) == 2
    bot.errors.clear()


async def test_books_menu_sends_the_chosen_book_again(harness: Harness) -> None:
    fake = harness.fake
    await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    await harness.finished(await harness.book_message())
    delivered = len(fake.dms(fake.alice))

    books = await fake.invoke_command("books", user=fake.alice, locale="en-US")
    listing = await books.wait(lambda i: i.original)
    menu = harness.select_menu(listing)
    assert menu["placeholder"] == text("en", "books.pick") and len(menu["options"]) == 1
    chosen = menu["options"][0]["value"]
    pick = await fake.select(listing.id, menu["custom_id"], [chosen], user=fake.alice)
    await harness.said(pick, lambda c: c == text("ko", "dm.sent"))  # in Alice's own locale
    assert len(fake.dms(fake.alice)) == 2 * delivered


async def test_the_next_adventure_keeps_the_friends_of_the_first_book(harness: Harness) -> None:
    """/books' second menu starts a sequel: a new book message, the same character sheet, and
    /story's `sequel` option offers the user's finished books by title."""
    from tests.support.fake_discord._model import walk_components

    fake = harness.fake
    bot = await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    first = await harness.finished(await harness.book_message())
    first_id = harness.run_id_of(first)
    assert first_id is not None
    books = await fake.invoke_command("books", user=fake.alice)
    listing = await books.wait(lambda i: i.original)
    menus = [c for c in walk_components(listing.components) if c.get("type") == 3]
    assert [m["placeholder"] for m in menus] == [text("ko", "books.pick"), text("ko", "books.next")]
    await fake.select(listing.id, menus[1]["custom_id"], [first_id], user=fake.alice)
    second = await harness.finished(await harness.book_message(1))
    second_id = harness.run_id_of(second)
    assert second_id not in (None, first_id)
    earlier, later = bot.books.record(first_id), bot.books.record(second_id)  # type: ignore[arg-type]
    assert earlier is not None and later is not None and later.story is not None
    assert later.request.sequel is not None and later.request.sequel.of_run == first_id
    assert later.story.character_sheet == earlier.story.character_sheet  # type: ignore[union-attr]
    cog = bot.get_cog("StoryCog")
    choices = await cog.sequel_choices(_autocomplete(fake.alice.id), "")  # type: ignore[union-attr]
    assert {c.value for c in choices} == {first_id, second_id}
    bob = await cog.sequel_choices(_autocomplete(fake.bob.id), "")  # type: ignore[union-attr]
    assert bob == []  # only one's own books


class _User:
    def __init__(self, user_id: int) -> None:
        self.id = user_id


class _Interaction:
    """What the autocomplete reads of an interaction: who is typing."""

    def __init__(self, user_id: int) -> None:
        self.user = _User(user_id)


def _autocomplete(user_id: int) -> Any:
    return _Interaction(user_id)
