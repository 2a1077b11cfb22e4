"""Random interleavings of submit, cancel (repeated), retry, redraw, re-send (with a redraw
landing while the DM is sent), several books at once, a failing painter, waiting and a
restart, driven by hypothesis against the real service on the tiny engines; after every step
nothing is held that should not be, and the store and the folders agree."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from storybot.books.maker import ActiveBook, BookMaker
from storybot.books.queue import UserBusyError
from storybot.books.store import AUDIO_NAMES, IMAGE_NAMES, OUTPUT_NAMES
from storybot.config import Settings
from storybot.errors import StorybotError
from storybot.models import Status, StoryRequest
from storybot.wiring import make_book_maker
from tests.support.fake_comfyui import FakeComfyUI
from tests.support.fake_llama_server import FakeLlamaServer, Reply, assistant_prefill
from tests.support.stories import dumps, story
from tests.support.tiny_supertonic import build_tiny_supertonic

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

_MODELS: dict[str, Path] = {}


def tiny_voice() -> Path:
    """Tiny Supertonic models, built once for every example."""
    if "supertonic" not in _MODELS:
        _MODELS["supertonic"] = build_tiny_supertonic(Path(tempfile.mkdtemp()) / "supertonic")
    return _MODELS["supertonic"]


REQUEST = StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")
USERS = st.integers(min_value=1, max_value=3)


class BookRuns(RuleBasedStateMachine):
    # The LLM on its own device: pictures are painted while the story is being written.
    GPU: ClassVar[dict[str, object]] = {"shared_gpu": False}
    CHUNK_DELAY = 0.0

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="storybot-runs-"))
        self.comfy = FakeComfyUI(step_delay=0.001)
        reply = Reply(dumps(story()), chunk_size=16, chunk_delay=self.CHUNK_DELAY)
        self.llm = FakeLlamaServer(replies=[reply] * 500)
        self.runs: list[ActiveBook] = []
        self.makers: list[BookMaker] = []
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        await self.comfy.start()
        await self.llm.start()
        self.maker = self._new_maker()

    def _new_maker(self) -> BookMaker:
        values = {
            "data_dir": self.folder,
            "comfyui_urls": self.comfy.url,
            "llm_server_url": self.llm.url,
            "tts_model_dir": tiny_voice(),
            "image_width": 64,
            "image_height": 64,
            "book_video": False,
            "keep_runs": 3,
            "safety_guard_threshold": 0.5,  # fixed: no calibration against the stand-in
            **self.GPU,
        }
        maker = make_book_maker(Settings.load(env={}, env_file=None, **values))
        self.makers.append(maker)
        return maker

    def run(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, 40))

    def settle(self, seconds: float = 0.0) -> None:
        self.run(asyncio.sleep(seconds))

    # --- what people and engines do ----------------------------------------------------

    @initialize(users=st.lists(USERS, min_size=1, max_size=3), lane=st.sampled_from(["a", None]))
    def first_books(self, users: list[int], lane: str | None) -> None:
        for user in users:
            self.submit(user, lane)

    @rule(user=USERS, lane=st.sampled_from(["a", "b", None]))
    def submit(self, user: int, lane: str | None) -> None:
        async def press() -> None:  # the bot calls the service from the event loop
            try:
                self.runs.append(self.maker.submit(REQUEST, requester_id=user, lane=lane))
            except UserBusyError:
                active = [r for r in self.maker.active.values() if r.record.requester_id == user]
                assert active, "refused as busy while nothing of theirs is being made"

        self.run(press())

    @precondition(lambda self: self.runs)
    @rule(data=st.data(), presses=st.integers(min_value=1, max_value=3))
    def cancel(self, data: st.DataObject, presses: int) -> None:
        run = data.draw(st.sampled_from(self.runs))

        async def press() -> None:
            for _ in range(presses):
                self.maker.cancel(run.run_id)
                await asyncio.sleep(0)

        self.run(press())

    @precondition(lambda self: self.runs)
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        run = data.draw(st.sampled_from(self.runs))

        async def press() -> None:
            with contextlib.suppress(UserBusyError, StorybotError):
                self.runs.append(self.maker.retry(run.run_id))

        self.run(press())

    @precondition(lambda self: self.runs)
    @rule(data=st.data(), page=st.integers(min_value=0, max_value=4))
    def redraw(self, data: st.DataObject, page: int) -> None:
        run = data.draw(st.sampled_from(self.runs))

        async def press() -> None:  # 🎨: only a finished book, one click at a time
            with contextlib.suppress(UserBusyError, StorybotError):
                self.runs.append(self.maker.redraw(run.run_id, page))

        self.run(press())

    @precondition(lambda self: self.runs)
    @rule(data=st.data(), redraw_meanwhile=st.booleans())
    def resend(self, data: st.DataObject, redraw_meanwhile: bool) -> None:
        run = data.draw(st.sampled_from(self.runs))

        async def press() -> None:  # 📬, maybe with a 🎨 landing while the DM is sent
            async with self.maker.delivery(run.run_id, remake=True) as book:
                if book is None:
                    return
                sent = [p for p in [*book.images, *book.audio, book.video] if p is not None]
                before = {path: path.read_bytes() for path in sent}
                if redraw_meanwhile:
                    with contextlib.suppress(UserBusyError, StorybotError):
                        redrawn = self.maker.redraw(run.run_id, 1)
                        self.runs.append(redrawn)
                        await redrawn.wait()
                assert {path: path.read_bytes() for path in sent} == before  # one version

        self.run(press())

    @rule(failing=st.booleans())
    def painter_fails(self, failing: bool) -> None:
        self.comfy.fail_class = "KSampler" if failing else None

    @rule(seconds=st.sampled_from([0.0, 0.05, 0.3, 1.0]))
    def time_passes(self, seconds: float) -> None:
        self.settle(seconds)

    @rule()
    def everything_finishes(self) -> None:
        async def all_ended() -> None:
            for run in list(self.maker.active.values()):
                await run.wait()

        self.run(all_ended())

    @rule()
    def restart(self) -> None:
        stopped = self.run(self.maker.close())
        assert all(r.status is Status.INTERRUPTED for r in stopped)
        self.maker = self._new_maker()
        assert self.maker.recover() == []  # close() left nothing QUEUED or RUNNING
        self.runs = []

    # --- what must always hold ---------------------------------------------------------

    @invariant()
    def nothing_is_held_by_a_run_that_ended(self) -> None:
        self.settle()
        maker = self.maker
        for run_id in maker.scheduler.running:
            assert run_id in maker.active and not maker.active[run_id].ended
        for run in self.runs:
            if run.ended:
                assert run.run_id not in maker.active or maker.active[run.run_id] is not run
                assert run._task is not None and run._task.done()
        for record in maker.store.active():
            if record.status is Status.RUNNING:
                assert record.run_id in maker.active, f"RUNNING {record.run_id} without a task"

    @invariant()
    def the_writer_is_paused_only_for_a_picture_being_painted(self) -> None:
        self.settle()
        writer = self.maker.pipeline.author.writer
        if not self.maker.active:  # no book (or redraw) queued or being made
            paused = writer.paused_seconds
            self.settle(0.02)
            assert writer.paused_seconds == paused, "the writer is held paused by no book"

    @invariant()
    def a_user_whose_books_ended_may_start_another(self) -> None:
        for user in (1, 2, 3):
            if not any(r.record.requester_id == user for r in self.maker.active.values()):
                self.maker.scheduler.check_user(user)

    @invariant()
    def the_store_and_the_folders_agree(self) -> None:
        store = self.maker.store
        for folder in store.outputs.iterdir():
            record = store.get(folder.name)
            names = {p.name for p in folder.iterdir()}
            assert record is not None, f"a folder without a run: {folder.name}"
            if folder.name in self.maker.active:  # a keepsake being written, under its part name
                names = {name.removesuffix(".part") for name in names}
            assert names <= set(OUTPUT_NAMES), names
            if record.story is None:  # nothing from a story that was never accepted
                assert not names & {*IMAGE_NAMES, *AUDIO_NAMES}, (record.status, names)
            for info in record.pages:
                for path in (info.image_path, info.audio_path):
                    if path is not None and not record.status.finished:
                        continue
                    if path is not None:
                        assert path.parent == folder and path.is_file(), path

    def teardown(self) -> None:
        statuses = {r.status.value for r in self.maker.store.recent(1, 100)}
        statuses |= {r.status.value for u in (2, 3) for r in self.maker.store.recent(u, 100)}
        event(f"ended as {sorted(statuses)}")  # see --hypothesis-show-statistics
        try:
            self.run(self.maker.close())
            leftovers = [
                run._task for maker in self.makers for run in [*maker.active.values()] if run._task
            ]
            assert not leftovers, "runs left after close"
            for maker in self.makers:
                assert all(task.done() for task in maker._chores)
            self.run(self.comfy.stop())
            self.run(self.llm.stop())
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            assert not pending, f"still running after close: {pending}"
        finally:
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)


BookRuns.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestBookRuns = BookRuns.TestCase


class SharedGpuBookRuns(BookRuns):
    """The same on one GPU with GPU_SCHEDULE=interleave: the writer (streaming slowly enough
    for pictures to start mid-story) is paused for every picture and resumed with a second
    request; cancels, retries, failing painters and restarts land in the middle of pauses."""

    GPU: ClassVar[dict[str, object]] = {"shared_gpu": True, "gpu_schedule": "interleave"}
    CHUNK_DELAY = 0.004

    def teardown(self) -> None:
        resumed = sum(1 for body in self.llm.requests if assistant_prefill(body) is not None)
        event(f"the writer resumed {'0' if not resumed else '1-4' if resumed < 5 else '5+'} times")
        super().teardown()


SharedGpuBookRuns.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestSharedGpuBookRuns = SharedGpuBookRuns.TestCase
