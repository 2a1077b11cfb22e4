"""Checks on the story that remain after the grammar and the repairs.

Each function returns a list of problems in plain words; an empty list means valid. The bounds
are the grammar's for the request's language and age band (`storybot.story.grammar.BAND_BOUNDS`),
so a story from another source (a server with a JSON schema, a retry of an old run) is held to
the same rules. What is left to fail here is what nothing could repair: an empty page, a Korean
page with no Korean, an image prompt with no English letters, a name the repair could not take
out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from storybot.models import PAGE_COUNT, Page, Story, StoryRequest
from storybot.story.grammar import BAND_BOUNDS, Bounds
from storybot.story.names import NameBook

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


def bounds(request: StoryRequest) -> Bounds:
    """The string bounds for `request`'s language and age band."""
    return BAND_BOUNDS[(request.language, request.age)]


def text_problems(label: str, text: str, limit: int, request: StoryRequest) -> list[str]:
    """Story text (title or page): not empty, within `limit`, Korean when asked for."""
    stripped = text.strip()
    if not stripped:
        return [f"{label} is empty"]
    problems = []
    if len(stripped) > limit:
        problems.append(f"{label} is {len(stripped)} characters (at most {limit})")
    if request.language == "ko" and not HANGUL.search(stripped):
        problems.append(f"{label} has no Korean (Hangul) text")
    return problems


def english_problems(label: str, text: str, limit: int) -> list[str]:
    """Image-side text: printable ASCII English, not empty, within `limit`."""
    stripped = text.strip()
    if not stripped:
        return [f"{label} is empty"]
    problems = []
    if len(stripped) > limit:
        problems.append(f"{label} is {len(stripped)} characters (at most {limit})")
    if not PRINTABLE_ASCII.fullmatch(stripped):
        problems.append(f"{label} is not plain English (non-ASCII characters)")
    elif not LATIN_LETTER.search(stripped):
        problems.append(f"{label} has no English letters")
    return problems


def page_label(number: int) -> str:
    return "cover" if number == 0 else f"page {number}"


def page_problems(page: Page, request: StoryRequest, names: NameBook | None = None) -> list[str]:
    """One page's problems; `names` are the characters its image prompt must not name."""
    label = page_label(page.page)
    limits = bounds(request)
    limit = limits.cover if page.page == 0 else limits.text
    problems = text_problems(f"{label} text", page.text, limit, request)
    problems += english_problems(f"{label} image prompt", page.image_prompt, limits.prompt)
    spans = names.find(page.image_prompt) if names is not None else []
    used = sorted({page.image_prompt[start:end] for start, end, _ in spans})
    if used:
        problems.append(f"{label} image prompt names {', '.join(used)} instead of describing them")
    return problems


def character_names(request: StoryRequest, texts: Iterable[str], sheet: str = "") -> set[str]:
    """The names the story declares (see `storybot.story.names`)."""
    return NameBook.build(request, sheet, list(texts)).names


def story_problems(story: Story, request: StoryRequest) -> list[str]:
    """Every problem of a whole story."""
    limits = bounds(request)
    problems = text_problems("title", story.title, limits.title, request)
    problems += english_problems("character sheet", story.character_sheet, limits.sheet)
    if len(story.pages) != PAGE_COUNT:
        problems.append(f"the story has {len(story.pages)} pages (needs {PAGE_COUNT})")
    texts = [story.title] + [page.text for page in story.pages]
    names = NameBook.build(request, story.character_sheet, texts)
    for page in story.pages:
        problems += page_problems(page, request, names)
    return problems
