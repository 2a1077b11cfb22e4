"""`BookMaker`: the one place that turns requests into books, for the bot and the CLI alike.

It owns the run store, the scheduler and the pipeline: a request is screened, recorded,
queued (its position reported as `Queued` events), run, and its events handed to whoever
renders them. Cancel and retry go through here too, so a book is never lost between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from storybot.book import VideoOptions
from storybot.config import Settings
from storybot.errors import StorybotError
from storybot.models import Cancelled, Event, Failed, Queued, Status, StoryRequest
from storybot.pipeline import BookPipeline, BookRun, Painter, PipelineOptions
from storybot.runs import RunRecord, RunStore
from storybot.safety import screen
from storybot.scheduler import Scheduler, Ticket
from storybot.story import StoryAuthor

log = logging.getLogger(__name__)


class RequestRefused(StorybotError):
    """The safety screen turned the request down; the message is for the user."""


@dataclass
class BookJob:
    """A submitted book: its record, and its events from Queued to the end."""

    record: RunRecord
    _events: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    _run: BookRun | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def run_id(self) -> str:
        return self.record.run_id

    async def events(self) -> AsyncIterator[Event]:
        while (event := await self._events.get()) is not None:
            yield event

    async def wait(self) -> RunRecord:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)
        return self.record


class BookMaker:
    """Screen, record, queue and run books; cancel and retry them."""

    def __init__(
        self,
        store: RunStore,
        scheduler: Scheduler,
        pipeline: BookPipeline,
        *,
        keep_runs: int = 100,
        safety_screen: bool = True,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.pipeline = pipeline
        self.keep_runs = keep_runs
        self.safety_screen = safety_screen
        self.jobs: dict[str, BookJob] = {}

    @classmethod
    def from_settings(cls, settings: Settings, painter: Painter | None = None) -> BookMaker:
        """Everything wired from the settings (engines load lazily, on first use)."""
        from storybot.engines.image_pool import ComfyPool
        from storybot.engines.tts import make_narrator
        from storybot.story import make_writer

        store = RunStore(settings.data_dir)
        writer = make_writer(settings)
        author = StoryAuthor(writer, retries=settings.llm_retries, timeout=settings.llm_timeout)
        painter = painter or ComfyPool.from_settings(settings)
        options = PipelineOptions(
            shared_gpu=settings.shared_gpu,
            make_video=settings.book_video,
            video=VideoOptions(max_bytes=int(settings.video_max_mb * 2**20)),
        )
        pipeline = BookPipeline(store, author, painter, make_narrator(settings), options)
        scheduler = Scheduler(len(settings.comfyui_urls), settings.max_books_per_user)
        return cls(
            store,
            scheduler,
            pipeline,
            keep_runs=settings.keep_runs,
            safety_screen=settings.safety_screen,
        )

    def submit(
        self,
        request: StoryRequest,
        *,
        requester_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "ko",
    ) -> BookJob:
        """Record and queue a book; RequestRefused or UserBusyError before anything is made."""
        verdict = screen(request, enabled=self.safety_screen)
        if not verdict.allowed:
            raise RequestRefused(verdict.message)
        self.scheduler.check_user(requester_id)
        record = self.store.create(
            request,
            requester_id=requester_id,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
        )
        return self._queue(record)

    def retry(self, run_id: str) -> BookJob:
        """Queue a finished run again, reusing its story and the pages already made."""
        record = self.store.get(run_id)
        if record is None:
            raise StorybotError(f"there is no book {run_id}")
        if run_id in self.jobs:
            raise StorybotError("this book is still being made")
        self.scheduler.check_user(record.requester_id)
        return self._queue(self.store.reset_for_retry(record))

    def cancel(self, run_id: str) -> bool:
        """Stop a queued or running book; False if it is not active here."""
        job = self.jobs.get(run_id)
        if job is None or job._task is None:
            return False
        if job._run is not None:
            job._run.cancel()
        else:
            job._task.cancel()
        return True

    def recover(self) -> list[RunRecord]:
        """At start-up: runs a crash left behind become INTERRUPTED (tell their requesters)."""
        return self.store.recover()

    def _queue(self, record: RunRecord) -> BookJob:
        """Take the run's place in line at once (no await before it), then drive it."""
        job = BookJob(record)

        def queued(position: int) -> None:
            job._events.put_nowait(Queued(position=position))

        ticket = self.scheduler.enqueue(
            record.run_id,
            guild_id=record.guild_id,
            user_id=record.requester_id,
            on_position=queued,
        )
        self.jobs[record.run_id] = job
        job._task = asyncio.create_task(self._drive(job, ticket), name=f"job {record.run_id}")
        return job

    async def _drive(self, job: BookJob, ticket: Ticket) -> None:
        record = job.record
        try:
            async with self.scheduler.hold(ticket):
                job._run = self.pipeline.start(record)
                async for event in job._run.events():
                    job._events.put_nowait(event)
        except asyncio.CancelledError:  # cancelled while still in line
            record.status = Status.CANCELLED
            self.store.save(record)
            job._events.put_nowait(Cancelled())
        except Exception as exc:
            log.exception("Book %s could not be run", record.run_id)
            record.status, record.error = Status.FAILED, str(exc)
            self.store.save(record)
            job._events.put_nowait(Failed(error=str(exc), stage=record.stage))
        finally:
            self.jobs.pop(record.run_id, None)
            job._events.put_nowait(None)
            with contextlib.suppress(Exception):
                self.store.prune(self.keep_runs)

    async def close(self) -> list[RunRecord]:
        """Stop what is queued or running, then close the engines.

        The books stopped here become INTERRUPTED, not CANCELLED: nobody asked for that, and
        their requesters should be told (they are returned for that) and may retry them.
        """
        jobs = list(self.jobs.values())
        for job in jobs:
            self.cancel(job.run_id)
        interrupted = []
        for record in await asyncio.gather(*(job.wait() for job in jobs)):
            if record.status in (Status.CANCELLED, Status.QUEUED, Status.RUNNING):
                record.status = Status.INTERRUPTED
                record.error = "the bot was stopped while this book was being made"
                self.store.save(record)
                interrupted.append(record)
        pipeline = self.pipeline
        closers = [pipeline.author.writer.close(), pipeline.painter.close()]
        if pipeline.narrator is not None:
            closers.append(pipeline.narrator.close())
        for result in await asyncio.gather(*closers, return_exceptions=True):
            if isinstance(result, Exception):
                log.warning("An engine did not close cleanly: %s", result)
        self.store.close()
        return interrupted
