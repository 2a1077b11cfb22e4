"""Durable runs: one SQLite row per book, one folder of files per book.

The store is the source of truth a restart comes back to: every state change is committed
before its event goes out, so a crash never loses more than the step in flight. SQLite runs
in WAL mode with `synchronous=NORMAL`; each write is well under a millisecond, so calls are
made directly from the event loop.

Where a request came from is the caller's business: a run keeps an opaque `origin` (a JSON
object only its front end reads) and the name of the queue `lane` it waits in.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field

from storybot.models import PAGE_COUNT, Book, PageInfo, RunState, Stage, Status, Story, StoryRequest

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    requester_id INTEGER,
    origin TEXT NOT NULL DEFAULT '{}',
    lane TEXT NOT NULL DEFAULT '',
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
SCHEMA_VERSION = 1
"""`PRAGMA user_version` of the table above; 0 was the table before origins and lanes."""
# One by one: `executescript` would commit the migration's transaction half-way.
SCHEMA_STATEMENTS = [statement.strip() for statement in SCHEMA.split(";") if statement.strip()]


# `ALTER TABLE ADD COLUMN` takes a column spelled just as in CREATE TABLE.
COLUMN_DEFINITIONS = {
    line.split()[0]: line.strip().rstrip(",") for line in SCHEMA_STATEMENTS[0].splitlines()[1:-1]
}


def own_lane(run_id: str) -> str:
    """The lane of a run nobody put in a shared one: it waits behind no other book."""
    return f"run:{run_id}"


IMAGE_NAMES = ["cover.png"] + [f"panel_{i}.png" for i in range(1, PAGE_COUNT)]
AUDIO_NAMES = [f"page_{i}.wav" for i in range(PAGE_COUNT)]
# The Opus copies the bot sends (storybot/bot/media.py) live beside their WAVs.
COMPACT_AUDIO_NAMES = [name.replace(".wav", ".ogg") for name in AUDIO_NAMES]
# Each narration's sentence timings (for the read-along video) beside its WAV.
TIMING_NAMES = [name.replace(".wav", ".json") for name in AUDIO_NAMES]
OUTPUT_NAMES = (
    *IMAGE_NAMES,
    *AUDIO_NAMES,
    *COMPACT_AUDIO_NAMES,
    *TIMING_NAMES,
    "story.json",
    "book.mp4",
    "book.pdf",
)
ACTIVE = (Status.QUEUED, Status.RUNNING)
QUIET_BEFORE_PRUNE = timedelta(hours=1)
"""Retention leaves alone a run touched this recently (a retry or a 📬 counts as a touch)."""


def new_run_id(now: datetime | None = None) -> str:
    """`YYYYMMDD_HHMMSS_xxxxxx`: sorts by creation time, so a folder listing is a history."""
    return (now or datetime.now()).strftime("%Y%m%d_%H%M%S_") + secrets.token_hex(3)


class RunRecord(RunState):
    """A run as stored: its state plus who asked, where from, and what it took."""

    requester_id: int | None = None
    origin: dict[str, Any] = Field(default_factory=dict)  # the front end's, never read here
    lane: str = ""  # the scheduler's line this run waits in
    locale: str = "ko"
    warnings: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    image_seed: int | None = None  # one seed per book, so its pages look alike
    updated_at: datetime = Field(default_factory=datetime.now)


class RunStore:
    """SQLite rows for runs and `outputs/{run_id}/` folders for their files."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.outputs = data_dir / "outputs"
        self.outputs.mkdir(parents=True, exist_ok=True)
        # Drafts live outside the run folders: a run folder holds only what its accepted
        # attempt made, whatever a late worker thread of a discarded attempt still writes.
        self.drafts = data_dir / "drafts"
        self.path = data_dir / "storybot.sqlite3"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()  # one writer at a time across worker threads
        self._migrate()

    def _migrate(self) -> None:
        """Bring the table to `SCHEMA_VERSION` in one transaction (a new file gets it whole)."""
        if self._version() == SCHEMA_VERSION:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._version()  # again: another process may have just done it
                if version == SCHEMA_VERSION:
                    self._db.execute("COMMIT")
                    return
                found = [row[1] for row in self._db.execute("PRAGMA table_info(runs)")]
                if found:
                    self._fold_legacy_columns(found)
                for statement in SCHEMA_STATEMENTS:  # all IF NOT EXISTS
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        log.info("Run store %s is at schema %d now (was %d)", self.path, SCHEMA_VERSION, version)

    def _version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} is from a newer storybot (schema {version})")
        return version

    def _fold_legacy_columns(self, found: list[str]) -> None:
        """Version 0 kept the front end's ids in columns of their own: they move, by name,
        into each run's origin, the run gets its own lane, and the old columns go."""
        for name, definition in COLUMN_DEFINITIONS.items():
            if name not in found:
                self._db.execute(f"ALTER TABLE runs ADD COLUMN {definition}")
        legacy = [name for name in found if name not in COLUMN_DEFINITIONS]
        rows = self._db.execute("SELECT * FROM runs").fetchall()
        for row in rows:
            origin = {name: row[name] for name in legacy if row[name] is not None}
            self._db.execute(
                "UPDATE runs SET origin = ?, lane = ? WHERE run_id = ?",
                (json.dumps(origin), own_lane(row["run_id"]), row["run_id"]),
            )
        for name in legacy:
            self._db.execute(f'ALTER TABLE runs DROP COLUMN "{name}"')

    def close(self) -> None:
        self._db.close()

    def run_dir(self, run_id: str) -> Path:
        return self.outputs / run_id

    def image_path(self, run_id: str, page: int) -> Path:
        return self.run_dir(run_id) / IMAGE_NAMES[page]

    def audio_path(self, run_id: str, page: int) -> Path:
        return self.run_dir(run_id) / AUDIO_NAMES[page]

    def video_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "book.mp4"

    def attempt_dir(self, run_id: str, attempt: str) -> Path:
        """Where attempt `attempt` of the run writes its files until they are accepted."""
        folder = self.drafts / run_id / attempt
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def clear_drafts(self, run_id: str) -> None:
        shutil.rmtree(self.drafts / run_id, ignore_errors=True)

    def promote(self, draft: Path, final: Path) -> Path:
        """Make an accepted draft file the run's own (a hard link: the draft's readers keep
        reading, and the final name appears whole or not at all)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_name(f".{final.name}.{secrets.token_hex(4)}")
        try:
            os.link(draft, part)
        except OSError:  # another file system, or no hard links: copy instead
            shutil.copyfile(draft, part)
        part.replace(final)
        return final

    def discard_outputs(self, record: RunRecord) -> None:
        """Forget every page file of a run whose story is not accepted (a new story comes)."""
        folder = self.run_dir(record.run_id)
        for name in OUTPUT_NAMES:
            (folder / name).unlink(missing_ok=True)
        for info in record.pages:
            info.image_path = info.audio_path = None
            info.image_failed = False
        record.ready_max_page = record.ready_max_audio_page = -1

    def book(self, record: RunRecord) -> Book | None:
        """The book a run has made so far (None before its story exists)."""
        if record.story is None:
            return None
        video = self.video_path(record.run_id)
        return Book(
            run_id=record.run_id,
            story=record.story,
            directory=self.run_dir(record.run_id),
            images=[p.image_path for p in record.pages],
            audio=[p.audio_path for p in record.pages],
            video=video if video.is_file() else None,
            warnings=record.warnings,
        )

    def create(
        self,
        request: StoryRequest,
        *,
        requester_id: int | None = None,
        origin: dict[str, Any] | None = None,
        lane: str | None = None,
        locale: str = "ko",
    ) -> RunRecord:
        """A new QUEUED run with its folder; without a `lane` it gets one of its own."""
        record = RunRecord(
            run_id=new_run_id(),
            request=request,
            requester_id=requester_id,
            origin=origin or {},
            locale=locale,
        )
        while self.get(record.run_id) is not None:  # same second, same 24 random bits
            record.run_id = new_run_id()
        record.lane = lane or own_lane(record.run_id)
        self.run_dir(record.run_id).mkdir(parents=True, exist_ok=True)
        self.save(record)
        return record

    def save(self, record: RunRecord) -> None:
        """Write the whole record and commit."""
        record.updated_at = datetime.now()
        row = {
            "run_id": record.run_id,
            "created_at": record.created_at.isoformat(),
            "updated_at": record.updated_at.isoformat(),
            "requester_id": record.requester_id,
            "origin": json.dumps(record.origin, ensure_ascii=False),
            "lane": record.lane,
            "locale": record.locale,
            "request": record.request.model_dump_json(),
            "status": record.status.value,
            "stage": record.stage.value,
            "ready_max_page": record.ready_max_page,
            "ready_max_audio_page": record.ready_max_audio_page,
            "pages": json.dumps([p.model_dump(mode="json") for p in record.pages]),
            "story": record.story.model_dump_json() if record.story else None,
            "error": record.error,
            "warnings": json.dumps(record.warnings, ensure_ascii=False),
            "timings": json.dumps(record.timings),
            "image_seed": record.image_seed,
        }
        columns = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO runs ({columns}) VALUES ({marks})", row)

    def get(self, run_id: str) -> RunRecord | None:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _record(row) if row else None

    def recent(self, requester_id: int, limit: int = 10) -> list[RunRecord]:
        """The requester's newest runs first."""
        rows = self._db.execute(
            "SELECT * FROM runs WHERE requester_id = ? ORDER BY run_id DESC LIMIT ?",
            (requester_id, limit),
        ).fetchall()
        return [_record(row) for row in rows]

    def recent_totals(self, limit: int = 20) -> list[float]:
        """Seconds the newest finished books took (for an ETA)."""
        rows = self._db.execute(
            "SELECT timings FROM runs WHERE status = ? ORDER BY run_id DESC LIMIT ?",
            (Status.DONE.value, limit),
        ).fetchall()
        totals = [json.loads(row["timings"]).get("total") for row in rows]
        return [float(t) for t in totals if t]

    def active(self) -> list[RunRecord]:
        """Runs still QUEUED or RUNNING, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM runs WHERE status IN (?, ?) ORDER BY run_id",
            tuple(s.value for s in ACTIVE),
        ).fetchall()
        return [_record(row) for row in rows]

    def recover(self) -> list[RunRecord]:
        """At start-up: runs a crash left QUEUED or RUNNING become INTERRUPTED."""
        interrupted = []
        for record in self.active():
            record.status = Status.INTERRUPTED
            record.error = record.error or "the bot restarted while this book was being made"
            self.save(record)
            interrupted.append(record)
        if interrupted:
            log.warning("%d run(s) were interrupted by a restart", len(interrupted))
        return interrupted

    def prune(
        self,
        keep: int,
        *,
        protect: Collection[str] = (),
        now: datetime | None = None,
    ) -> list[str]:
        """Delete the oldest runs beyond the newest `keep`, except those queued or running, in
        `protect` (being delivered) or touched within `QUIET_BEFORE_PRUNE`."""
        quiet_since = (now or datetime.now()) - QUIET_BEFORE_PRUNE
        rows = self._db.execute(
            "SELECT run_id, status, updated_at FROM runs ORDER BY run_id DESC"
        ).fetchall()
        doomed = [
            row["run_id"]
            for row in rows[keep:]
            if Status(row["status"]) not in ACTIVE
            and row["run_id"] not in protect
            and datetime.fromisoformat(row["updated_at"]) < quiet_since
        ]
        for run_id in doomed:
            with self._lock:
                self._db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
            self.clear_drafts(run_id)
        if doomed:
            log.info("Retention removed %d old run(s)", len(doomed))
        return doomed

    def reset_for_retry(self, record: RunRecord) -> RunRecord:
        """Queue a finished run again, keeping its story and the files already made (only an
        accepted story's files are ever in its folder; without a story nothing is kept)."""
        record.status = Status.QUEUED
        record.stage = Stage.LLM
        record.error = None
        record.warnings = []
        self.clear_drafts(record.run_id)
        if record.story is None:
            self.discard_outputs(record)
        for info in record.pages:
            info.image_failed = False
            if info.image_path is not None and not info.image_path.is_file():
                info.image_path = None
            if info.audio_path is not None and not info.audio_path.is_file():
                info.audio_path = None
        self.save(record)
        return record


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        requester_id=row["requester_id"],
        origin=json.loads(row["origin"]),
        lane=row["lane"],
        locale=row["locale"],
        request=StoryRequest.model_validate_json(row["request"]),
        status=Status(row["status"]),
        stage=Stage(row["stage"]),
        ready_max_page=row["ready_max_page"],
        ready_max_audio_page=row["ready_max_audio_page"],
        pages=[PageInfo.model_validate(p) for p in json.loads(row["pages"])],
        story=Story.model_validate_json(row["story"]) if row["story"] else None,
        error=row["error"],
        warnings=json.loads(row["warnings"]),
        timings=json.loads(row["timings"]),
        image_seed=row["image_seed"],
    )
