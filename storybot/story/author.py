"""`StoryAuthor`: asks a writer for the story, streams its pages, repairs, validates, retries.

Each page is repaired and validated the moment its object closes and handed on at once, so
narration and painting can start while the LLM is still writing. A page that no repair can
make valid ends the attempt early and a new one starts with a new seed; its pages carry the
new attempt number, and a consumer drops the drafts of an earlier attempt when it sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from storybot.config import Settings
from storybot.errors import (
    LLMUnavailableError,
    StoryError,
    UnsafeRequestError,
    UnsafeStoryError,
)
from storybot.models import Page, Story, StoryRequest
from storybot.safety import screen
from storybot.story.draft import Draft, InvalidStory, UnsafeDraft
from storybot.story.guard import GuardUnavailableError, SafetyGuard
from storybot.story.prompt import build_messages
from storybot.story.review import Instructions, retry_note
from storybot.story.server import LlamaServerWriter
from storybot.story.stream import (
    DocumentClosed,
    FieldClosed,
    PageClosed,
    StoryStreamParser,
    StreamError,
)
from storybot.story.writers import StoryWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftPage:
    """A valid page of attempt `attempt`, before the whole story is known."""

    attempt: int
    title: str
    character_sheet: str
    page: Page


@dataclass(frozen=True)
class WrittenStory:
    """The finished story that passed the review, and what it cost."""

    story: Story
    attempts: int
    seconds: float  # writing time: time the writer spent paused for pictures is not counted
    chunks: int  # streamed pieces (a piece may hold several tokens)
    tokens: int | None = None  # the accepted attempt's tokens, by the model's tokenizer
    generation_seconds: float = 0.0  # its first token to its last, pauses left out

    @property
    def tokens_per_second(self) -> float | None:
        """Generated tokens / generation time of the accepted attempt (None: unknown)."""
        if self.tokens is None or self.generation_seconds <= 0:
            return None
        return max(self.tokens - 1, 0) / self.generation_seconds


class WeakModelError(StoryError):
    """No attempt wrote a story a parent would accept: the model is too weak for books."""

    code = "weak_model"


class StoryAuthor:
    """Writes valid stories with a `StoryWriter`, retrying invalid ones with new seeds."""

    def __init__(
        self,
        writer: StoryWriter,
        *,
        retries: int = Settings.model_fields["llm_retries"].default,
        timeout: float = Settings.model_fields["llm_timeout"].default,
        seed: int | None = None,
        safety_screen: bool = True,
        guard: SafetyGuard | None = None,
        style_labels: Mapping[str, str] | None = None,
        review: bool = True,
    ) -> None:
        self.writer = writer
        self.retries = retries
        self.timeout = timeout
        self.seed = seed
        self.safety_screen = safety_screen
        self.guard = guard  # a model's second look at the request and the finished story
        self.style_labels = dict(style_labels or {})  # style name → its English label (prompt)
        self.review = review  # the content review (storybot.story.review) decides "done"

    async def write(self, request: StoryRequest) -> WrittenStory:
        """The whole story at once."""
        async for item in self.stream(request):
            if isinstance(item, WrittenStory):
                return item
        raise AssertionError("stream() ends with a WrittenStory or raises")  # pragma: no cover

    async def stream(self, request: StoryRequest) -> AsyncIterator[DraftPage | WrittenStory]:
        """Pages as they are written, then the finished story; StoryError if none is valid."""
        base_seed = self.seed if self.seed is not None else random.randrange(2**31)
        started = time.perf_counter()
        paused_before = self.writer.paused_seconds
        check = _RequestCheck(
            self.guard, request, beside=self._guard_beside(), screen=self.safety_screen
        )
        if not isinstance(self.writer, LlamaServerWriter):  # it reads its prompt off the GIL
            check.began.set()
        await check.before_writing()
        try:
            async for item in self._attempts(request, base_seed, started, paused_before, check):
                yield item
        except Exception:
            # The guard's refusal of the request says more than the story's failure, and an
            # unanswered check must not be lost with the story: wait for its verdict first.
            await check.before_showing()
            raise
        finally:
            check.close()

    def _guard_beside(self) -> bool:
        """Whether the guard can answer while the story is being written: its own model, or a
        llama-server (a slot of its own); the in-process writer has one context and one turn."""
        guard = self.guard
        return guard is not None and (
            guard.model is not self.writer or isinstance(self.writer, LlamaServerWriter)
        )

    async def _attempts(
        self,
        request: StoryRequest,
        base_seed: int,
        started: float,
        paused_before: float,
        check: _RequestCheck,
    ) -> AsyncIterator[DraftPage | WrittenStory]:
        failures: list[str] = []
        unsafe = reviewed = 0
        reviewed_reason = ""
        note = ""  # what the last attempt did wrong, for the next one's prompt
        for attempt in range(1, self.retries + 2):
            seed = (base_seed + attempt - 1) % 2**31
            counter = _Counter()
            try:
                story: Story | None = None
                attempt_items = self._attempt(request, attempt, seed, counter, note, check)
                async with contextlib.aclosing(attempt_items):
                    async for item in attempt_items:
                        await check.before_showing()  # nothing is handed on before its yes
                        if isinstance(item, Story):
                            story = item
                            break
                        yield item
                if story is not None:  # the writer's stream is closed: the guard may use it
                    tokens = await self.writer.count_tokens(counter.text)
                    counter.log(attempt, tokens)
                    await self._second_look(story, request)
                    paused = self.writer.paused_seconds - paused_before
                    seconds = time.perf_counter() - started - paused
                    log.info(
                        "[TIMING] LLM completed in %.2fs (%d attempt(s); paused %.2fs for "
                        "pictures)",
                        seconds,
                        attempt,
                        paused,
                    )
                    yield WrittenStory(
                        story, attempt, seconds, counter.chunks, tokens, counter.generating
                    )
                    return
            except (LLMUnavailableError, GuardUnavailableError, UnsafeRequestError):
                raise
            except (InvalidStory, StreamError, StoryError, TimeoutError) as exc:
                reason = str(exc) or f"no answer within {self.timeout:g} s"
                failures.append(reason)
                unsafe += isinstance(exc, UnsafeDraft)
                findings = exc.findings if isinstance(exc, InvalidStory) else []
                reviewed += bool(findings)
                reviewed_reason = reason if findings else reviewed_reason
                note = retry_note(findings, request.language)
                counter.log(attempt, await self.writer.count_tokens(counter.text))
                log.warning("LLM attempt %d (seed %d) was invalid: %s", attempt, seed, reason)
        if unsafe == len(failures):
            raise UnsafeStoryError(
                f"every attempt ({unsafe}) wrote something unsuitable: {failures[-1]}"
            )
        if reviewed and reviewed + unsafe == len(failures):  # the model, not the machine
            log.warning(
                "The story model (%s) wrote no story a parent would accept in %d attempts "
                "(the review found: %s). It is probably too small for picture books: use a "
                "7B-class instruct model, e.g. Qwen2.5-7B-Instruct Q4_K_M (the default).",
                self.writer.name,
                len(failures),
                reviewed_reason,
            )
            raise WeakModelError(
                f"no attempt of {len(failures)} wrote a good book: {reviewed_reason}"
            )
        raise StoryError(
            f"the story was not valid after {len(failures)} attempt(s): {failures[-1]}"
        )

    async def _second_look(self, story: Story, request: StoryRequest) -> None:
        """The guard model reads the finished story; unsafe → this attempt is rewritten."""
        if self.guard is None:
            return
        verdict = await self.guard.check_story(story, request.language)
        if not verdict.safe:
            raise UnsafeDraft(f"the safety guard refused the story ({verdict.category})")

    async def _attempt(
        self,
        request: StoryRequest,
        attempt: int,
        seed: int,
        counter: _Counter,
        note: str,
        check: _RequestCheck,
    ) -> AsyncIterator[DraftPage | Story]:
        parser = StoryStreamParser()
        messages = build_messages(request, self.style_labels.get(request.style), note)
        instructions = Instructions(messages, request) if self.review else None
        draft = Draft(request, self.safety_screen, instructions)
        deadline = _WritingDeadline(self.writer, self.timeout)
        counter.start(self.writer)
        chunks = self.writer.stream(messages, seed=seed)
        try:
            while True:
                try:
                    async with deadline.watch():
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                counter.add(chunk)
                check.began.set()
                for event in parser.feed(chunk):
                    if isinstance(event, FieldClosed):
                        draft.field(event.key, event.value)
                    elif isinstance(event, PageClosed):
                        page = draft.page(event)
                        if page is not None:
                            yield DraftPage(attempt, draft.title, draft.sheet, page)
                    elif isinstance(event, DocumentClosed):
                        yield draft.story(event.data)
                        return
        finally:
            await chunks.aclose()
        raise InvalidStory("the story stopped before it was complete (too few max tokens?)")


class _RequestCheck:
    """The request's checks before anything of its story is handed on: the keyword screen (on
    a worker thread: its first use loads Kiwi) and the guard's look. Both run beside the
    story's start where they can — the guard needs its own model or a llama-server slot; the
    in-process writer has one context and one turn, so there the guard answers first — and
    nothing is handed on until both have said yes."""

    def __init__(
        self, guard: SafetyGuard | None, request: StoryRequest, *, beside: bool, screen: bool
    ) -> None:
        self.guard, self.request = guard, request
        # The screen's first use loads Kiwi, holding the GIL (so the event loop) for seconds:
        # it waits for the story's first piece (its request is surely out); asking starts it.
        self.began = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        if screen:
            self.tasks.append(asyncio.create_task(self._screen()))
        if guard is not None and beside:
            self.tasks.append(asyncio.create_task(self._look(guard)))
            self.guard = None  # answered by its task

    async def before_writing(self) -> None:
        """The guard's look when it cannot run beside the writer."""
        if self.guard is not None:
            guard, self.guard = self.guard, None
            await self._look(guard)

    async def before_showing(self) -> None:
        """Every check's yes (a refusal raises UnsafeRequestError)."""
        self.began.set()
        while self.tasks:
            await self.tasks.pop(0)

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
            if task.done() and not task.cancelled():
                task.exception()  # seen: its refusal no longer matters
        self.tasks = []

    async def _screen(self) -> None:
        await self.began.wait()
        verdict = await asyncio.to_thread(screen, self.request)
        if not verdict.allowed:
            raise UnsafeRequestError(
                f"the safety screen refused the request ({verdict.category}: {verdict.term!r})"
            )

    async def _look(self, guard: SafetyGuard) -> None:
        verdict = await guard.check_request(self.request)
        if not verdict.safe:
            raise UnsafeRequestError(f"the safety guard refused the request ({verdict.category})")


class _Counter:
    """One attempt's output and its clock: from the first piece to the last, pauses out (the
    time before the first piece is the prompt being read, not generation)."""

    def __init__(self) -> None:
        self.chunks = 0
        self.pieces: list[str] = []
        self.writer: StoryWriter | None = None
        self.started = self.first = self.last = 0.0
        self.paused_at_start = self.paused_at_first = self.paused_at_last = 0.0

    def start(self, writer: StoryWriter) -> None:
        self.writer, self.started = writer, time.perf_counter()
        self.paused_at_start = writer.paused_seconds

    def add(self, chunk: str) -> None:
        now = time.perf_counter()
        assert self.writer is not None
        if not self.chunks:
            self.first, self.paused_at_first = now, self.writer.paused_seconds
        self.chunks += 1
        self.pieces.append(chunk)
        self.last, self.paused_at_last = now, self.writer.paused_seconds

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def generating(self) -> float:
        paused = self.paused_at_last - self.paused_at_first
        return max(self.last - self.first - paused, 0.0) if self.chunks else 0.0

    def log(self, attempt: int, tokens: int | None) -> None:
        if not self.chunks:
            return
        rate = (
            f"{max(tokens - 1, 0) / self.generating:.1f} tokens/s ({tokens} tokens)"
            if tokens is not None and self.generating > 0
            else f"{self.chunks} pieces (the writer cannot count tokens)"
        )
        log.info(
            "[TIMING] LLM attempt %d: first token after %.2fs, generation %.2fs, %s",
            attempt,
            self.first - self.started - (self.paused_at_first - self.paused_at_start),
            self.generating,
            rate,
        )


class _WritingDeadline:
    """LLM_TIMEOUT for one attempt, counting only the time the writer was allowed to write:
    while it is paused for a picture (GPU_SCHEDULE=interleave) the deadline moves on."""

    RECHECK = 1.0  # seconds between moves of the deadline while a chunk is awaited

    def __init__(self, writer: StoryWriter, timeout: float) -> None:
        self.writer = writer
        self.loop = asyncio.get_running_loop()
        self.start = self.loop.time() - writer.paused_seconds
        self.timeout = timeout

    def when(self) -> float:
        return self.start + self.timeout + self.writer.paused_seconds

    @contextlib.asynccontextmanager
    async def watch(self) -> AsyncIterator[None]:
        async with asyncio.timeout_at(self.when()) as timer:
            handle: asyncio.TimerHandle | None = None

            def move() -> None:
                nonlocal handle
                if timer.expired():  # too late: the attempt is being cancelled
                    return
                timer.reschedule(self.when())
                handle = self.loop.call_later(self.RECHECK, move)

            handle = self.loop.call_later(self.RECHECK, move)
            try:
                yield
            finally:
                handle.cancel()
