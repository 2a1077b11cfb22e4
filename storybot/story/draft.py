"""One attempt's story as it streams in (`Draft`): each part repaired, checked, screened and
reviewed the moment it closes, so a page can be shown at once and a bad attempt ends early.

What no repair can mend raises `InvalidStory` (and costs a new attempt): see
`storybot.story.repair` for what is mended, `storybot.story.validate` for the rules of form and
`storybot.story.review` for the faults a parent would see; its findings travel with the
exception, so the next attempt is told what was wrong.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

import storybot.story.repair as repair
from storybot.models import PAGE_COUNT, Page, Story, StoryRequest
from storybot.safety import screen_page
from storybot.story.names import NameBook
from storybot.story.review import (
    Finding,
    Instructions,
    page_findings,
    story_findings,
    title_findings,
)
from storybot.story.stream import PageClosed
from storybot.story.validate import (
    bounds,
    english_problems,
    page_label,
    page_problems,
    story_problems,
    text_problems,
)

log = logging.getLogger(__name__)


class InvalidStory(Exception):
    """One attempt's output broke the rules; the message lists how, `findings` what a
    parent would object to (empty for faults of form)."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class UnsafeDraft(InvalidStory):
    """One attempt wrote something the safety screen refuses (it is never shown)."""


class Draft:
    """One attempt's story as it streams in: each part repaired, checked, screened and, with
    `instructions` (what the model was told), reviewed."""

    def __init__(
        self,
        request: StoryRequest,
        safety_screen: bool = True,
        instructions: Instructions | None = None,
    ) -> None:
        self.request = request
        self.safety_screen = safety_screen
        self.instructions = instructions  # None: no content review
        self.bounds = bounds(request)
        self.title = ""
        self.sheet = ""
        self.texts: list[str] = []
        self.pages: list[Page] = []

    def field(self, key: str, value: str) -> None:
        if key == "title":
            self.title = self._repair("title", *repair.title(value, self.bounds.title))
            _raise(text_problems("title", self.title, self.bounds.title, self.request))
            self._screen("title", self.title, "")
            if self.instructions is not None:
                _review(title_findings(self.title, self.request, self.instructions))
            self.texts.append(self.title)
        elif key == "character_sheet":
            if self.request.sequel is not None:  # the same friends, described the same way
                value = self.request.sequel.character_sheet
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
        text = self._repair(
            f"{label} text", *repair.story_text(raw.text, limit, whole_sentences=number > 0)
        )
        self.texts.append(text)
        names = NameBook.build(self.request, self.sheet, self.texts)
        prompt = self._repair(
            f"{label} image prompt", *repair.english(raw.image_prompt, self.bounds.prompt, names)
        )
        page = Page(page=number, text=text, image_prompt=prompt)
        _raise(page_problems(page, self.request, names))
        self._screen(label, page.text, page.image_prompt)
        if self.instructions is not None:
            _review(page_findings(page, self.request, self.instructions, limit))
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
        if self.instructions is not None:
            _review(story_findings(story, self.request, self.instructions))
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


def _review(findings: list[Finding]) -> None:
    if findings:
        raise InvalidStory("; ".join(str(f) for f in findings), findings)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "story"
    return f"{where}: {error['msg']}"
