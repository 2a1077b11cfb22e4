"""Domain types: the request, the story, run state and the pipeline's events.

Status, Stage, `ready_max_page` and `ready_max_audio_page` keep the web app's names
(its API and saved runs use them) so that its behaviour carries over; the events are what
the Discord bot and the CLI render.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

PAGE_COUNT = 5
"""Page 0 is the cover (title and one line); pages 1 to 4 are the panels."""

FieldText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

AgeBand = Literal["3-5", "4-8", "7-10"]
"""The children a book is for, in years; the prompt and the grammar's page bounds follow it."""
AGE_BANDS: tuple[AgeBand, ...] = get_args(AgeBand)
DEFAULT_AGE: AgeBand = "4-8"

Voice = Literal["M1", "M2", "M3", "M4", "M5", "F1", "F2", "F3", "F4", "F5"]
"""The narrator voices: Supertonic's five male and five female ones (espeak-ng's m1…f5)."""
VOICES: tuple[Voice, ...] = get_args(Voice)

Language = Literal["ko", "en"]
"""The languages a book can be written, narrated and transcribed in."""
LANGUAGES: tuple[Language, ...] = get_args(Language)


class FieldType(StrEnum):
    """The four answers a book is made from, in the order they are asked."""

    ERA = "era"
    PLACE = "place"
    CHARACTERS = "characters"
    TOPIC = "topic"


FIELD_NAMES: tuple[str, ...] = tuple(field.value for field in FieldType)
"""The four answers' names as plain strings (argparse choices, Discord option names)."""


class Status(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    INTERRUPTED = "INTERRUPTED"

    @property
    def finished(self) -> bool:
        return self not in (Status.QUEUED, Status.RUNNING)


class Stage(StrEnum):
    LLM = "LLM"
    COVER = "COVER"
    PANEL_1 = "PANEL_1"
    PANEL_2 = "PANEL_2"
    PANEL_3 = "PANEL_3"
    PANEL_4 = "PANEL_4"
    TTS = "TTS"

    @classmethod
    def for_image(cls, page: int) -> Stage:
        """The stage that paints `page` (0 is the cover)."""
        return cls.COVER if page == 0 else cls(f"PANEL_{page}")


class Sequel(BaseModel):
    """The book a sequel follows: what the writer is told of it, and what the new book keeps
    (its characters as the sheet describes them; its cover, the pictures' reference)."""

    model_config = ConfigDict(frozen=True)

    of_run: str  # the earlier book's run id
    title: str
    summary: list[str]  # one line per page of the earlier book
    character_sheet: str


class StoryRequest(BaseModel):
    """What a user asks for: the four answers and how the book should sound."""

    model_config = ConfigDict(frozen=True)

    era: FieldText
    place: FieldText
    characters: FieldText
    topic: FieldText
    language: Language = "ko"
    voice: Voice | None = None
    narration: bool = True
    # A preset of IMAGE_STYLES; checked where the request is made, since the presets are
    # the operator's file, which this model does not read.
    style: str = Field("watercolor", min_length=1, max_length=32)
    age: AgeBand = DEFAULT_AGE
    sequel: Sequel | None = None  # the next adventure of an earlier book's friends


class Page(BaseModel):
    """One page of the story as the LLM wrote it."""

    model_config = ConfigDict(frozen=True)

    page: int = Field(ge=0, le=PAGE_COUNT - 1)
    text: str
    image_prompt: str


class Story(BaseModel):
    """The story JSON: exactly what `grammars/story.gbnf` lets the LLM write."""

    model_config = ConfigDict(frozen=True)

    title: str
    character_sheet: str
    pages: list[Page] = Field(min_length=PAGE_COUNT, max_length=PAGE_COUNT)

    @field_validator("pages")
    @classmethod
    def _numbered_in_order(cls, pages: list[Page]) -> list[Page]:
        numbers = [p.page for p in pages]
        if numbers != list(range(PAGE_COUNT)):
            raise ValueError(f"pages must be numbered 0..{PAGE_COUNT - 1} in order, got {numbers}")
        return pages


class PageInfo(BaseModel):
    """A page as the run knows it: its text and the files made for it so far."""

    page: int = Field(ge=0, le=PAGE_COUNT - 1)
    title: str = ""
    text: str = ""
    image_path: Path | None = None
    audio_path: Path | None = None
    image_failed: bool = False


class RunState(BaseModel):
    """One book's progress, with the web app's field names (saved runs use them)."""

    run_id: str
    request: StoryRequest
    status: Status = Status.QUEUED
    stage: Stage = Stage.LLM
    ready_max_page: int = Field(-1, ge=-1, le=PAGE_COUNT - 1)
    ready_max_audio_page: int = Field(-1, ge=-1, le=PAGE_COUNT - 1)
    pages: list[PageInfo] = Field(default_factory=lambda: [PageInfo(page=i) for i in range(5)])
    story: Story | None = None
    error: str | None = None
    created_at: datetime = Field(default_factory=datetime.now)


class Book(BaseModel):
    """A finished book: the story and where its files are."""

    run_id: str
    story: Story
    directory: Path
    images: list[Path | None] = Field(default_factory=lambda: [None] * PAGE_COUNT)
    audio: list[Path | None] = Field(default_factory=lambda: [None] * PAGE_COUNT)
    video: Path | None = None
    warnings: list[str] = Field(default_factory=list)


# Pipeline events. The Discord layer and the CLI are two renderers of these.


class Queued(BaseModel):
    kind: Literal["queued"] = "queued"
    position: int = Field(ge=0)


class Waiting(BaseModel):
    """The book has its turn but cannot start yet; it starts by itself when it can."""

    kind: Literal["waiting"] = "waiting"
    reason: Literal["painter_down"]
    detail: str = ""


class StageStarted(BaseModel):
    kind: Literal["stage_started"] = "stage_started"
    stage: Stage


class StoryReady(BaseModel):
    kind: Literal["story_ready"] = "story_ready"
    story: Story


class PageText(BaseModel):
    kind: Literal["page_text"] = "page_text"
    page: Page


class PageImage(BaseModel):
    kind: Literal["page_image"] = "page_image"
    page: int = Field(ge=0, le=PAGE_COUNT - 1)
    path: Path


class PageAudio(BaseModel):
    kind: Literal["page_audio"] = "page_audio"
    page: int = Field(ge=0, le=PAGE_COUNT - 1)
    path: Path


class Progress(BaseModel):
    kind: Literal["progress"] = "progress"
    stage: Stage
    step: int = Field(ge=0)
    total: int = Field(ge=1)


class Done(BaseModel):
    kind: Literal["done"] = "done"
    book: Book


class Failed(BaseModel):
    kind: Literal["failed"] = "failed"
    error: str
    stage: Stage | None = None
    code: str | None = None  # "painter_down", "no_pictures", … for plain words to the user


class Cancelled(BaseModel):
    kind: Literal["cancelled"] = "cancelled"


Event = Annotated[
    Queued
    | Waiting
    | StageStarted
    | StoryReady
    | PageText
    | PageImage
    | PageAudio
    | Progress
    | Done
    | Failed
    | Cancelled,
    Field(discriminator="kind"),
]
