"""`StoryAuthor`: asks a writer for the story, streams its pages, validates, retries.

Each page is validated the moment its object closes and handed on at once, so narration and
painting can start while the LLM is still writing. An invalid page or story ends the attempt
early and a new one starts with a new seed; its pages carry the new attempt number, and a
consumer drops the drafts of an earlier attempt when it sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pydantic import ValidationError

from storybot.errors import LLMUnavailableError, StoryError
from storybot.models import PAGE_COUNT, Page, Story, StoryRequest
from storybot.story.prompt import build_messages
from storybot.story.stream import (
    DocumentClosed,
    FieldClosed,
    PageClosed,
    StoryStreamParser,
    StreamError,
)
from storybot.story.validate import (
    SHEET_MAX,
    TITLE_MAX,
    character_names,
    english_problems,
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
    seconds: float
    chunks: int  # streamed pieces; about one per token

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0


class InvalidStory(Exception):
    """One attempt's output broke the rules; the message lists how."""


class StoryAuthor:
    """Writes valid stories with a `StoryWriter`, retrying invalid ones with new seeds."""

    def __init__(
        self,
        writer: StoryWriter,
        *,
        retries: int = 2,
        timeout: float = 300.0,
        seed: int | None = None,
    ) -> None:
        self.writer = writer
        self.retries = retries
        self.timeout = timeout
        self.seed = seed

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
        failures: list[str] = []
        for attempt in range(1, self.retries + 2):
            seed = (base_seed + attempt - 1) % 2**31
            attempt_started = time.perf_counter()
            counter = _Counter()
            try:
                attempt_items = self._attempt(request, attempt, seed, counter)
                async with contextlib.aclosing(attempt_items):
                    async for item in attempt_items:
                        if isinstance(item, Story):
                            seconds = time.perf_counter() - started
                            log.info(
                                "[TIMING] LLM completed in %.2fs (attempt %d, %d chunks, %.1f/s)",
                                seconds,
                                attempt,
                                counter.chunks,
                                counter.chunks / max(time.perf_counter() - attempt_started, 1e-9),
                            )
                            yield WrittenStory(item, attempt, seconds, counter.chunks)
                            return
                        yield item
            except LLMUnavailableError:
                raise
            except (InvalidStory, StreamError, StoryError, TimeoutError) as exc:
                reason = str(exc) or f"no answer within {self.timeout:g} s"
                failures.append(reason)
                log.warning("LLM attempt %d (seed %d) was invalid: %s", attempt, seed, reason)
        raise StoryError(
            f"the story was not valid after {len(failures)} attempt(s): {failures[-1]}"
        )

    async def _attempt(
        self, request: StoryRequest, attempt: int, seed: int, counter: _Counter
    ) -> AsyncIterator[DraftPage | Story]:
        parser = StoryStreamParser()
        fields: dict[str, str] = {}
        texts: list[str] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        chunks = self.writer.stream(build_messages(request), seed=seed)
        try:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                counter.chunks += 1
                for event in parser.feed(chunk):
                    if isinstance(event, FieldClosed):
                        _check_field(event, request)
                        fields[event.key] = event.value
                        if event.key == "title":
                            texts.append(event.value)
                    elif isinstance(event, PageClosed):
                        page = _page(event)
                        texts.append(page.text)
                        problems = page_problems(page, request, character_names(request, texts))
                        if problems:
                            raise InvalidStory("; ".join(problems))
                        yield DraftPage(
                            attempt,
                            fields.get("title", ""),
                            fields.get("character_sheet", ""),
                            page,
                        )
                    elif isinstance(event, DocumentClosed):
                        yield _story(event.data, request)
                        return
        finally:
            await chunks.aclose()
        raise InvalidStory("the story stopped before it was complete (too few max tokens?)")


@dataclass
class _Counter:
    chunks: int = 0


def _check_field(event: FieldClosed, request: StoryRequest) -> None:
    if event.key == "title":
        problems = text_problems("title", event.value, TITLE_MAX, request)
    elif event.key == "character_sheet":
        problems = english_problems("character sheet", event.value, SHEET_MAX)
    else:
        problems = []
    if problems:
        raise InvalidStory("; ".join(problems))


def _page(event: PageClosed) -> Page:
    try:
        page = Page.model_validate(event.data)
    except ValidationError as exc:
        raise InvalidStory(f"page {event.index} is malformed: {_first_error(exc)}") from None
    if page.page != event.index or event.index >= PAGE_COUNT:
        raise InvalidStory(f"page {event.index} is numbered {page.page}")
    return page


def _story(data: dict[str, object], request: StoryRequest) -> Story:
    try:
        story = Story.model_validate(data)
    except ValidationError as exc:
        raise InvalidStory(f"the story is malformed: {_first_error(exc)}") from None
    problems = story_problems(story, request)
    if problems:
        raise InvalidStory("; ".join(problems))
    return story


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "story"
    return f"{where}: {error['msg']}"
