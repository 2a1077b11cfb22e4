from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storybot.books.store import SCHEMA_VERSION, RunRecord, RunStore, new_run_id
from storybot.models import Stage, Status, Story, StoryRequest
from tests.support.stories import story


def request() -> StoryRequest:
    return StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")


def test_run_ids_sort_by_time() -> None:
    early = new_run_id(datetime(2026, 1, 30, 12, 34, 56))
    late = new_run_id(datetime(2026, 1, 30, 12, 34, 57))
    assert re.fullmatch(r"20260130_123456_[0-9a-f]{6}", early)
    assert early < late


def test_create_save_and_read_back(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    origin = {"guild_id": 70, "channel_id": 700, "note": "한글"}
    record = store.create(request(), requester_id=7, origin=origin, lane="lane:70", locale="en")
    assert store.run_dir(record.run_id).is_dir()
    record.status, record.stage = Status.RUNNING, Stage.PANEL_2
    record.story = Story.model_validate(story())
    record.ready_max_page = 1
    record.pages[0].image_path = store.image_path(record.run_id, 0)
    record.timings["llm"] = 12.5
    store.save(record)
    store.close()

    again = RunStore(tmp_path).get(record.run_id)  # a new connection sees the commit
    assert again is not None
    assert (again.status, again.stage, again.ready_max_page) == (Status.RUNNING, Stage.PANEL_2, 1)
    assert again.story == record.story and again.request == record.request
    assert again.pages[0].image_path == store.run_dir(record.run_id) / "cover.png"
    assert (again.requester_id, again.origin, again.lane, again.locale) == (
        7,
        origin,
        "lane:70",
        "en",
    )
    assert again.timings == {"llm": 12.5}


def test_database_is_in_wal_mode(tmp_path: Path) -> None:
    RunStore(tmp_path).create(request())
    with sqlite3.connect(tmp_path / "storybot.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_file_names_are_the_originals(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    names = [store.image_path("r", i).name for i in range(5)]
    assert names == ["cover.png", "panel_1.png", "panel_2.png", "panel_3.png", "panel_4.png"]
    assert [store.audio_path("r", i).name for i in range(5)] == [f"page_{i}.wav" for i in range(5)]


def test_recover_marks_crashed_runs_interrupted(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    queued = store.create(request(), requester_id=1)
    running = store.create(request(), requester_id=2)
    running.status = Status.RUNNING
    store.save(running)
    done = store.create(request(), requester_id=3)
    done.status = Status.DONE
    store.save(done)
    store.close()

    store = RunStore(tmp_path)  # the restart
    recovered = store.recover()
    assert sorted(r.run_id for r in recovered) == sorted([queued.run_id, running.run_id])
    assert all(r.status is Status.INTERRUPTED and r.error for r in recovered)
    assert store.get(done.run_id).status is Status.DONE  # type: ignore[union-attr]
    assert store.recover() == []


def test_retention_keeps_the_newest_and_never_an_active_run(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    ids = [f"20260101_00000{index}_aaaaaa" for index in range(6)]
    for index, run_id in enumerate(ids):
        status = Status.RUNNING if index == 0 else Status.DONE  # the oldest is still running
        store.save(RunRecord(run_id=run_id, request=request(), status=status))
        store.run_dir(run_id).mkdir(parents=True)
    later = datetime.now() + timedelta(hours=2)  # retention spares runs touched within the hour
    assert store.prune(keep=3) == []
    removed = store.prune(keep=3, now=later)
    assert removed == [ids[2], ids[1]]
    for run_id in removed:
        assert store.get(run_id) is None and not store.run_dir(run_id).exists()
    assert store.get(ids[0]) is not None and os.path.isdir(store.run_dir(ids[0]))
    assert store.prune(keep=3, now=later) == []


def test_recent_lists_a_requesters_books_newest_first(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    for run_id, requester in [
        ("20260101_000000_ffffff", 5),
        ("20260102_000000_000000", 5),
        ("20260103_000000_000000", 6),
    ]:
        store.save(RunRecord(run_id=run_id, request=request(), requester_id=requester))
    assert [r.run_id for r in store.recent(5)] == [
        "20260102_000000_000000",
        "20260101_000000_ffffff",
    ]


def test_retry_keeps_story_and_existing_files(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    record = store.create(request())
    record.status, record.error = Status.FAILED, "boom"
    record.story = Story.model_validate(story())
    cover = store.image_path(record.run_id, 0)
    cover.write_bytes(b"png")
    record.pages[0].image_path = cover
    record.pages[1].image_path = store.image_path(record.run_id, 1)  # never written
    record.pages[1].image_failed = True
    store.save(record)
    again = store.reset_for_retry(store.get(record.run_id))  # type: ignore[arg-type]
    assert again.status is Status.QUEUED and again.error is None and again.story is not None
    assert again.pages[0].image_path == cover
    assert again.pages[1].image_path is None and not again.pages[1].image_failed


def test_a_run_without_a_lane_gets_one_of_its_own(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first, second = store.create(request()), store.create(request())
    assert first.origin == {} and first.lane == f"run:{first.run_id}"
    assert second.lane != first.lane
    assert store.get(first.run_id) == first


# The table as storybot wrote it before origins and lanes (`git show` of runs.py, schema 0).
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    requester_id INTEGER,
    guild_id INTEGER,
    channel_id INTEGER,
    message_id INTEGER,
    locale TEXT NOT NULL DEFAULT 'ko',
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    ready_max_page INTEGER NOT NULL,
    ready_max_audio_page INTEGER NOT NULL,
    pages TEXT NOT NULL,
    story TEXT,
    error TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    timings TEXT NOT NULL DEFAULT '{}',
    image_seed INTEGER
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE INDEX IF NOT EXISTS runs_by_requester ON runs (requester_id, run_id);
"""
OLD_INSERT = """
INSERT INTO runs (run_id, created_at, updated_at, requester_id, guild_id, channel_id, message_id,
    locale, request, status, stage, ready_max_page, ready_max_audio_page, pages, timings)
VALUES (?, '2026-01-01T10:00:00', '2026-01-01T10:05:00', ?, ?, ?, ?, 'ko', ?, ?, 'LLM', -1, -1,
    '[]', '{"total": 42.0}')
"""


def test_a_database_from_before_origins_opens_and_keeps_its_ids(tmp_path: Path) -> None:
    old_rows = [  # run_id, requester, guild, channel, message, status
        ("20260101_100000_aaaaaa", 5, 70, 700, 7000, "DONE"),
        ("20260101_100001_bbbbbb", 6, None, 800, 8000, "RUNNING"),  # a DM, cut by a crash
        ("20260101_100002_cccccc", None, None, None, None, "FAILED"),  # from the CLI
    ]
    with sqlite3.connect(tmp_path / "storybot.sqlite3") as db:
        db.executescript(OLD_SCHEMA)
        for run_id, requester, guild, channel, message, status in old_rows:
            values = (run_id, requester, guild, channel, message)
            db.execute(OLD_INSERT, (*values, request().model_dump_json(), status))
    db.close()

    store = RunStore(tmp_path)
    done, dm, cli = (store.get(row[0]) for row in old_rows)
    assert done is not None and dm is not None and cli is not None
    assert done.origin == {"guild_id": 70, "channel_id": 700, "message_id": 7000}
    assert (done.status, done.requester_id, done.timings) == (Status.DONE, 5, {"total": 42.0})
    assert dm.origin == {"channel_id": 800, "message_id": 8000}  # a NULL is left out
    assert cli.origin == {} and cli.lane == f"run:{cli.run_id}"
    # The restart after the upgrade still finds the crashed book's message.
    [interrupted] = store.recover()
    assert interrupted.origin["message_id"] == 8000
    store.create(request(), origin={"x": 1})  # and new runs are written in the new shape
    store.close()

    with sqlite3.connect(tmp_path / "storybot.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
        indexes = {row[1] for row in db.execute("PRAGMA index_list(runs)")}
    db.close()
    assert "origin" in columns and "lane" in columns and "guild_id" not in columns
    assert {"runs_by_status", "runs_by_requester"} <= indexes
    again = RunStore(tmp_path)  # opening it again changes nothing
    reopened = again.get(done.run_id)
    assert reopened is not None and reopened.origin == done.origin
    assert len(again.recent(5)) == 1 and again.recent_totals() == [42.0]


def test_a_database_from_a_newer_storybot_is_left_alone(tmp_path: Path) -> None:
    RunStore(tmp_path).close()
    with sqlite3.connect(tmp_path / "storybot.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer storybot"):
        RunStore(tmp_path)
