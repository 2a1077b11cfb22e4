from __future__ import annotations

import sqlite3
from pathlib import Path

from storybot.books.store import RunStore
from storybot.bot.origin import DiscordOrigin
from tests.books.test_runs import OLD_INSERT, OLD_SCHEMA, request


def test_the_book_message_is_found_again_after_a_restart(tmp_path: Path) -> None:
    """What the bot writes when it posts a book, and reads back after a restart."""
    store = RunStore(tmp_path)
    asked = DiscordOrigin(guild_id=11, channel_id=22)
    record = store.create(request(), requester_id=1, origin=asked.to_json(), lane=asked.lane)
    posted = DiscordOrigin.from_record(record).with_message(channel_id=22, message_id=33)
    record.origin = posted.to_json()
    store.save(record)
    store.close()
    again = RunStore(tmp_path).get(record.run_id)
    assert again is not None and again.lane == "guild:11"
    assert DiscordOrigin.from_record(again) == DiscordOrigin(11, 22, 33)


def test_a_dm_book_gets_a_lane_of_its_own_and_a_cli_run_reads_as_empty(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    dm = DiscordOrigin(guild_id=None, channel_id=44)
    record = store.create(request(), origin=dm.to_json(), lane=dm.lane)
    assert dm.lane is None and record.lane == f"run:{record.run_id}"
    cli = store.create(request(), lane="cli")
    assert DiscordOrigin.from_record(cli) == DiscordOrigin(None, None, None)
    cli.origin = {"guild_id": "12", "channel_id": True, "message_id": "x"}  # hand-edited
    assert DiscordOrigin.from_record(cli) == DiscordOrigin(12, None, None)


def test_an_old_database_still_points_at_its_book_messages(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "storybot.sqlite3") as db:
        db.executescript(OLD_SCHEMA)
        for run_id, guild, status in [
            ("20260101_1_a", 70, "DONE"),
            ("20260101_2_b", None, "RUNNING"),
        ]:
            values = (run_id, 5, guild, 700, 7000)
            db.execute(OLD_INSERT, (*values, request().model_dump_json(), status))
    db.close()
    store = RunStore(tmp_path)
    done = store.get("20260101_1_a")
    assert done is not None and DiscordOrigin.from_record(done) == DiscordOrigin(70, 700, 7000)
    [interrupted] = store.recover()  # what `tell_interrupted` gets after the upgrade
    assert DiscordOrigin.from_record(interrupted) == DiscordOrigin(None, 700, 7000)
