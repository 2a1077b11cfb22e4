"""Checks on the LLM's story beyond what the grammar can force.

Each function returns a list of problems in plain words; an empty list means valid. The
length bounds are the grammar's (`grammars/story.gbnf`), so a story from another source
(llama-server with a JSON schema, a retry of an old run) is held to the same rules.
"""

from __future__ import annotations

import re

from storybot.models import PAGE_COUNT, Page, Story, StoryRequest

TITLE_MAX = 80
SHEET_MAX = 700
TEXT_MAX = 400
PROMPT_MAX = 300

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
SENTENCE_END = frozenset(".!?:;\"'“”‘’")
# Capitalised words that are not names even in the middle of a sentence.
NOT_NAMES = frozenset({"I", "Mr", "Mrs", "Ms", "Dr", "Grandma", "Grandpa", "Mom", "Dad"})


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


def page_problems(page: Page, request: StoryRequest, names: set[str] = frozenset()) -> list[str]:
    """One page's problems; `names` are character names its image prompt must not use."""
    label = "cover" if page.page == 0 else f"page {page.page}"
    problems = text_problems(f"{label} text", page.text, TEXT_MAX, request)
    problems += english_problems(f"{label} image prompt", page.image_prompt, PROMPT_MAX)
    used = sorted(name for name in names if re.search(rf"\b{re.escape(name)}\b", page.image_prompt))
    if used:
        problems.append(f"{label} image prompt names {', '.join(used)} instead of describing them")
    return problems


def character_names(request: StoryRequest, texts: list[str]) -> set[str]:
    """Likely names: capitalised words of the characters field, and words capitalised in the
    middle of a sentence of the story (English stories; Korean names cannot be in ASCII)."""
    names = set(CAPITALISED.findall(request.characters))
    for text in texts:
        for match in CAPITALISED.finditer(text):
            before = text[: match.start()].rstrip()
            if before and before[-1] not in SENTENCE_END:
                names.add(match.group(0))
    return names - NOT_NAMES


def story_problems(story: Story, request: StoryRequest) -> list[str]:
    """Every problem of a whole story."""
    problems = text_problems("title", story.title, TITLE_MAX, request)
    problems += english_problems("character sheet", story.character_sheet, SHEET_MAX)
    if len(story.pages) != PAGE_COUNT:
        problems.append(f"the story has {len(story.pages)} pages (needs {PAGE_COUNT})")
    names = character_names(request, [story.title] + [p.text for p in story.pages])
    for page in story.pages:
        problems += page_problems(page, request, names)
    return problems
