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

from pydantic import ValidationError

import storybot.story.repair as repair
from storybot.config import Settings
from storybot.errors import (
    LLMUnavailableError,
    StoryError,
    UnsafeRequestError,
    UnsafeStoryError,
)
from storybot.models import PAGE_COUNT, Page, Story, StoryRequest
from storybot.safety import screen_page
from storybot.story.guard import SafetyGuard
from storybot.story.names import NameBook
from storybot.story.prompt import build_messages
from storybot.story.stream import (
    DocumentClosed,
    FieldClosed,
    PageClosed,
    StoryStreamParser,
    StreamError,
)
from storybot.story.validate import (
    bounds,
    english_problems,
    page_label,
    page_problems,
    story_problems,
    text_problems,
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
    """The finished, valid story and what it cost."""

    story: Story
    attempts: int
    seconds: float  # writing time: time the writer spent paused for pictures is not counted
    chunks: int  # streamed pieces; about one per token

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0


class InvalidStory(Exception):
    """One attempt's output broke the rules; the message lists how."""


class UnsafeDraft(InvalidStory):
    """One attempt wrote something the safety screen refuses (it is never shown)."""


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
    ) -> None:
        self.writer = writer
        self.retries = retries
        self.timeout = timeout
        self.seed = seed
        self.safety_screen = safety_screen
        self.guard = guard  # a model's second look at the request and the finished story
        self.style_labels = dict(style_labels or {})  # style name → its English label (prompt)

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
        if self.guard is not None:
            verdict = await self.guard.check_request(request)
            if not verdict.safe:
                reason = f"the safety guard refused the request ({verdict.category})"
                raise UnsafeRequestError(reason)
        failures: list[str] = []
        unsafe = 0
        for attempt in range(1, self.retries + 2):
            seed = (base_seed + attempt - 1) % 2**31
            attempt_started = time.perf_counter()
            counter = _Counter()
            try:
                story: Story | None = None
                attempt_items = self._attempt(request, attempt, seed, counter)
                async with contextlib.aclosing(attempt_items):
                    async for item in attempt_items:
                        if isinstance(item, Story):
                            story = item
                            break
                        yield item
                if story is not None:  # the writer's stream is closed: the guard may use it
                    await self._second_look(story, request)
                    paused = self.writer.paused_seconds - paused_before
                    seconds = time.perf_counter() - started - paused
                    log.info(
                        "[TIMING] LLM completed in %.2fs (attempt %d, %d chunks, %.1f/s; "
                        "paused %.2fs for pictures)",
                        seconds,
                        attempt,
                        counter.chunks,
                        counter.chunks / max(time.perf_counter() - attempt_started - paused, 1e-9),
                        paused,
                    )
                    yield WrittenStory(story, attempt, seconds, counter.chunks)
                    return
            except LLMUnavailableError:
                raise
            except (InvalidStory, StreamError, StoryError, TimeoutError) as exc:
                reason = str(exc) or f"no answer within {self.timeout:g} s"
                failures.append(reason)
                unsafe += isinstance(exc, UnsafeDraft)
                log.warning("LLM attempt %d (seed %d) was invalid: %s", attempt, seed, reason)
        if unsafe == len(failures):
            raise UnsafeStoryError(
                f"every attempt ({unsafe}) wrote something unsuitable: {failures[-1]}"
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
        self, request: StoryRequest, attempt: int, seed: int, counter: _Counter
    ) -> AsyncIterator[DraftPage | Story]:
        parser = StoryStreamParser()
        draft = _Draft(request, self.safety_screen)
        deadline = _WritingDeadline(self.writer, self.timeout)
        messages = build_messages(request, self.style_labels.get(request.style))
        chunks = self.writer.stream(messages, seed=seed)
        try:
            while True:
                try:
                    async with deadline.watch():
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                counter.chunks += 1
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


@dataclass
class _Counter:
    chunks: int = 0


class _Draft:
    """One attempt's story as it streams in: each part repaired, then checked.

    Only what no repair can mend raises InvalidStory (and costs a new attempt): see
    `storybot.story.repair` for what is mended and `storybot.story.validate` for what is not.
    """

    def __init__(self, request: StoryRequest, safety_screen: bool = True) -> None:
        self.request = request
        self.safety_screen = safety_screen
        self.bounds = bounds(request)
        self.title = ""
        self.sheet = ""
        self.texts: list[str] = []
        self.pages: list[Page] = []

    def field(self, key: str, value: str) -> None:
        if key == "title":
            self.title = self._repair("title", *repair.story_text(value, self.bounds.title))
            _raise(text_problems("title", self.title, self.bounds.title, self.request))
            self._screen("title", self.title, "")
            self.texts.append(self.title)
        elif key == "character_sheet":
            self.sheet = self._repair("character sheet", *repair.english(value, self.bounds.sheet))
            _raise(english_problems("character sheet", self.sheet, self.bounds.sheet))
            self._screen("character sheet", "", self.sheet)

    def page(self, event: PageClosed) -> Page | None:
        """The repaired, valid page; None for a page past the fifth (it is dropped)."""
        number = event.index
        label = page_label(number)
        if number >= PAGE_COUNT:
            log.info("Dropped page %d: a story has %d pages", number, PAGE_COUNT)
            return None
        try:
            raw = Page.model_validate({**event.data, "page": number})
        except ValidationError as exc:
            raise InvalidStory(f"{label} is malformed: {_first_error(exc)}") from None
        if event.data.get("page") != number:
            log.info("Renumbered %s (the model numbered it %r)", label, event.data.get("page"))
        limit = self.bounds.cover if number == 0 else self.bounds.text
        text = self._repair(f"{label} text", *repair.story_text(raw.text, limit))
        self.texts.append(text)
        names = NameBook.build(self.request, self.sheet, self.texts)
        prompt = self._repair(
            f"{label} image prompt", *repair.english(raw.image_prompt, self.bounds.prompt, names)
        )
        page = Page(page=number, text=text, image_prompt=prompt)
        _raise(page_problems(page, self.request, names))
        self._screen(label, page.text, page.image_prompt)
        self.pages.append(page)
        return page

    def story(self, data: dict[str, object]) -> Story:
        """The whole story, from the pages already handed on (so drafts and story agree)."""
        if not self.title and isinstance(data.get("title"), str):
            self.field("title", data["title"])  # type: ignore[arg-type]
        if not self.sheet and isinstance(data.get("character_sheet"), str):
            self.field("character_sheet", data["character_sheet"])  # type: ignore[arg-type]
        if len(self.pages) != PAGE_COUNT:
            raise InvalidStory(f"the story has {len(self.pages)} pages (needs {PAGE_COUNT})")
        # A name the text declared late ("a duck called Pip" on page 3) may sit in an earlier
        # prompt: describe it there too (a consumer redoes a page that differs from its draft).
        names = NameBook.build(self.request, self.sheet, self.texts)
        pages = []
        for page in self.pages:
            fixed = repair.english(page.image_prompt, self.bounds.prompt, names)
            prompt = self._repair(f"{page_label(page.page)} image prompt", *fixed)
            pages.append(page.model_copy(update={"image_prompt": prompt}))
        story = Story(title=self.title, character_sheet=self.sheet, pages=pages)
        _raise(story_problems(story, self.request))
        return story

    def _screen(self, label: str, text: str, image_prompt: str) -> None:
        """The request screen, on what the model wrote, before anyone sees or hears it."""
        if not self.safety_screen:
            return
        verdict = screen_page(text, image_prompt, self.request.language)
        if not verdict.allowed:
            raise UnsafeDraft(f"the {label} was refused by the safety screen ({verdict.category})")

    @staticmethod
    def _repair(label: str, value: str, notes: list[str]) -> str:
        if notes:
            log.info("Repaired the %s: %s", label, "; ".join(notes))
        return value


def _raise(problems: list[str]) -> None:
    if problems:
        raise InvalidStory("; ".join(problems))


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "story"
    return f"{where}: {error['msg']}"


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
