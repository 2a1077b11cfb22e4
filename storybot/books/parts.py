"""What the book pipeline is made of: the engines it is handed (as protocols), its options,
one attempt of the writer with what was made from its pages, and two small helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from storybot.engines.styles import DEFAULT_STYLE, Style, default_style
from storybot.errors import StorybotError
from storybot.keepsakes.video import VideoOptions
from storybot.models import PAGE_COUNT, Event, Page

ProgressCallback = Callable[[int, int], Awaitable[None] | None]
Emit = Callable[[Event, bool], None]
"""Commits the record (when the flag says so), then lets the event out."""


class NoPicturesError(StorybotError):
    """Not one picture of the book could be painted: a picture book without pictures fails."""

    code = "no_pictures"


class Painter(Protocol):
    """Paints one page (the ComfyUI pool)."""

    async def paint(
        self,
        image_prompt: str,
        out: Path,
        *,
        seed: int,
        character_sheet: str = "",
        on_progress: ProgressCallback | None = None,
        style: Style | None = None,
        owner: str = "",
        reference: bool = False,
    ) -> Path: ...

    @property
    def has_reference(self) -> bool:
        """Whether pages are painted with a reference picture (the workflow's `reference`)."""
        ...

    async def share_reference(self, owner: str, picture: Path | bytes) -> str: ...

    def forget_reference(self, owner: str) -> None: ...

    async def reachable(self) -> bool: ...

    async def free_all(self) -> None: ...

    async def close(self) -> None: ...


class PictureVerdict(Protocol):
    safe: bool
    reason: str
    seconds: float


class PictureChecker(Protocol):
    """Looks at a painted picture before anyone sees it (the nudity detector)."""

    async def check(self, picture: Path) -> PictureVerdict: ...

    def load(self) -> None:
        """Load the detector now (blocking; checking loads it on first use anyway)."""
        ...


@dataclass(frozen=True)
class PipelineOptions:
    shared_gpu: bool = True
    # GPU_SCHEDULE on a shared GPU: "interleave" pauses the writer while a picture is painted;
    # "story-first" paints only once the whole story is written.
    gpu_schedule: str = "interleave"
    image_retries: int = 1  # on top of the pool's own retry on another server
    narration_timeout: float = 180.0
    video_timeout: float = 600.0
    make_video: bool = True
    video: VideoOptions = field(default_factory=VideoOptions)
    picture_size: tuple[int, int] = (1024, 1024)  # of the placeholder for a flagged picture
    styles: dict[str, Style] = field(default_factory=dict)  # IMAGE_STYLES, by name
    make_pdf: bool = True
    pdf_font: Path | None = None  # BOOK_PDF_FONT; None: fontconfig finds a Korean font

    def style(self, name: str) -> Style:
        """The look `name` asks for; watercolor for a style an operator has since removed."""
        return self.styles.get(name) or self.styles.get(DEFAULT_STYLE, default_style())


class Attempt:
    """One draft of the story and what was made from its pages."""

    def __init__(self, number: int, folder: Path, character_sheet: str) -> None:
        self.number = number
        self.folder = folder
        self.sheet = character_sheet
        self.title = ""
        loop = asyncio.get_running_loop()
        self.prompts: list[asyncio.Future[Page]] = [loop.create_future() for _ in range(PAGE_COUNT)]
        self.accepted = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.images: asyncio.Task[None] | None = None
        # What was made before the story was accepted: page → (the page it was made from, file)
        # (a picture by what it was made from: `picture_of`)
        self.drafted_images: dict[int, tuple[tuple[str, str], Path]] = {}
        self.drafted_audio: dict[int, tuple[Page, str, Path]] = {}
        # Pictures that could not be made before the story was accepted: page → (what it was
        # to be made from, why); the book hears of them only if the accepted page asks for it.
        self.failed_images: dict[int, tuple[tuple[str, str], str]] = {}
        # Whether this attempt's pages are painted with the book's reference picture: known
        # once its cover is painted (or at once: a sequel's, a retry's, a redraw's cover).
        self.reference: asyncio.Future[bool] = loop.create_future()


def voice_of(page: Page, title: str) -> tuple[str, str]:
    """What a page's narration is made from: its text (and the title, on the cover, which
    reads it first). A change of anything else keeps the narration."""
    return page.text, title if page.page == 0 else ""


def picture_of(page: Page, character_sheet: str) -> tuple[str, str]:
    """What a page's picture is made from (the book's seed and style being fixed): its image
    prompt and the character sheet the painter reads beside it."""
    return page.image_prompt, character_sheet


def first_error(group: BaseExceptionGroup) -> BaseException:
    """The error to report from a task group: ours first, then anything else."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        error = pending.pop(0)
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)
        else:
            leaves.append(error)
    ours = [e for e in leaves if isinstance(e, StorybotError)]
    return (ours or leaves)[0]


def ready_prefix(ready: list[bool]) -> int:
    """The last page of the unbroken run of ready pages from the cover (-1 if none): the
    web app's `ready_max_page` / `ready_max_audio_page`."""
    count = 0
    while count < len(ready) and ready[count]:
        count += 1
    return count - 1
