"""The terminal renderer of the pipeline's events (`storybot make`), with rich progress bars."""

from __future__ import annotations

from collections.abc import AsyncIterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from storybot.models import (
    PAGE_COUNT,
    Cancelled,
    Done,
    Event,
    Failed,
    PageAudio,
    PageImage,
    PageText,
    Queued,
    StageStarted,
    StoryReady,
    Waiting,
)
from storybot.models import Progress as StepProgress

PAGE_NAMES = ["cover", "page 1", "page 2", "page 3", "page 4"]


class ConsoleRenderer:
    """Shows a book being made: one bar each for text, pictures and narration."""

    def __init__(self, console: Console | None = None, narration: bool = True) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.story = self._bar("story")
        self.images = self._bar("pictures")
        self.audio = self._bar("narration") if narration else None
        self.result: Event | None = None

    def _bar(self, name: str) -> TaskID:
        return self.progress.add_task(name, total=PAGE_COUNT, note="")

    async def render(self, events: AsyncIterator[Event]) -> Event | None:
        """Show every event; return the last one (Done, Failed or Cancelled)."""
        with self.progress:
            async for event in events:
                self.show(event)
        return self.result

    def show(self, event: Event) -> None:
        bar = self.progress
        match event:
            case Queued(position=position):
                bar.update(self.story, note=f"waiting in line: {position}")
            case Waiting():
                bar.update(self.story, note="ComfyUI is not reachable; waiting (Ctrl-C stops)")
            case StageStarted(stage=stage):
                bar.update(self.story if stage.value == "LLM" else self.images, note=stage.value)
            case PageText(page=page):
                bar.update(self.story, completed=page.page + 1, note="")
                self.console.print(f"[bold]{PAGE_NAMES[page.page]}[/bold] {page.text}")
            case StoryReady(story=story):
                bar.update(self.story, completed=PAGE_COUNT, note=story.title)
            case StepProgress(stage=stage, step=step, total=total):
                bar.update(self.images, note=f"{stage.value} step {step}/{total}")
            case PageImage(page=page):
                bar.update(self.images, completed=page + 1, note="")
            case PageAudio():
                if self.audio is not None:
                    bar.advance(self.audio)
            case Done() | Failed() | Cancelled():
                self.result = event
