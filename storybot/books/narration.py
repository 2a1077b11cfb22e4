"""Narration of a book's pages: each page read aloud into its attempt's draft folder the moment
its text exists, and promoted into the run folder once the accepted story still has that page."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from storybot.books.parts import Attempt, Emit, PipelineOptions, ready_prefix, voice_of
from storybot.books.store import AUDIO_NAMES, RunRecord, RunStore
from storybot.engines.tts import Narrator
from storybot.logs import timing
from storybot.models import Page, PageAudio

log = logging.getLogger(__name__)


class PageNarration:
    """The narration of one book (one `Pipeline.make` call)."""

    def __init__(
        self,
        narrator: Narrator | None,
        store: RunStore,
        record: RunRecord,
        options: PipelineOptions,
        emit: Emit,
    ) -> None:
        self.narrator = narrator
        self.store = store
        self.record = record
        self.options = options
        self._emit = emit

    def wanted(self, index: int) -> bool:
        """Whether page `index` still needs its voice (narration on, not yet made)."""
        info = self.record.pages[index]
        done = info.audio_path is not None and info.audio_path.is_file()
        return self.narrator is not None and self.record.request.narration and not done

    async def narrate(self, attempt: Attempt, page: Page) -> None:
        """Read `page` aloud; a failure or timeout is a warning, never a lost book."""
        assert self.narrator is not None
        request = self.record.request
        title = attempt.title
        text = f"{title}. {page.text}" if page.page == 0 and title else page.text
        draft = attempt.folder / AUDIO_NAMES[page.page]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.options.narration_timeout):
                with timing(log, f"narration page {page.page}"):
                    await self.narrator.narrate(
                        text, draft, language=request.language, voice=request.voice
                    )
        except (Exception, TimeoutError) as exc:  # one voice never loses a book
            reason = str(exc) or "it took too long"
            log.warning("Narration of page %d failed: %s", page.page, reason)
            self.record.warnings.append(f"page {page.page}: no narration ({reason})")
            self.store.save(self.record)
            return
        self.record.timings[f"narration_{page.page}"] = round(time.perf_counter() - started, 3)
        story = self.record.story
        if attempt.accepted.is_set() and story is not None:
            final = story.pages[page.page]
            if voice_of(final, story.title) == voice_of(page, title):
                self.promote(page.page, draft)
            elif self.wanted(page.page):  # the story changed what this page says: again
                await self.narrate(attempt, final)
            return
        attempt.drafted_audio[page.page] = (page, title, draft)
        self._emit(PageAudio(page=page.page, path=draft), False)

    def promote(self, index: int, draft: Path, *, announce: bool = True) -> None:
        """The draft becomes the run's `page_N.wav` (and its sentence timings beside it)."""
        final = self.store.promote(draft, self.store.audio_path(self.record.run_id, index))
        timings = draft.with_suffix(".json")  # each sentence's start and end, for the video
        if timings.is_file():
            self.store.promote(timings, final.with_suffix(".json"))
        self.record.pages[index].audio_path = final
        self.record.ready_max_audio_page = ready_prefix(
            [p.audio_path is not None for p in self.record.pages]
        )
        if announce:
            self._emit(PageAudio(page=index, path=final), True)
