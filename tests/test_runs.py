from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from storybot.models import Stage, Status, Story, StoryRequest
from storybot.runs import RunRecord, RunStore, new_run_id
from tests.stories import story


def request() -> StoryRequest:
    return StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")


def test_run_ids_sort_by_time() -> None:
    early = new_run_id(datetime(2026, 1, 30, 12, 34, 56))
    late = new_run_id(datetime(2026, 1, 30, 12, 34, 57))
    assert re.fullmatch(r"20260130_123456_[0-9a-f]{6}", early)
    assert early < late


def test_create_save_and_read_back(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    record = store.create(request(), requester_id=7, guild_id=70, channel_id=700, locale="en")
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
    assert (again.requester_id, again.guild_id, again.channel_id, again.locale) == (
        7,
        70,
        700,
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
