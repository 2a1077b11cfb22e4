"""The next adventure of a finished book's friends: a request that keeps the earlier book's
characters, style, age band and language, tells the writer what happened in it (its title and a
line per page), keeps its character sheet word for word, and paints with its cover as the
pictures' reference (`painting`)."""

from __future__ import annotations

import re

from storybot.books.store import RunRecord, RunStore
from storybot.errors import StorybotError
from storybot.models import Sequel, Status, StoryRequest

SUMMARY_LINE = 80  # characters of a page's first sentence the writer is told


class NoSuchBookError(StorybotError):
    """There is no finished book of this requester to follow."""

    code = "no_such_book"


def first_sentence(text: str) -> str:
    """A page's first sentence (or its first `SUMMARY_LINE` characters)."""
    match = re.match(r"(.+?[.!?…。])(?:\s|$)", text.strip())
    line = match.group(1) if match else text.strip()
    return line if len(line) <= SUMMARY_LINE else line[: SUMMARY_LINE - 1].rstrip() + "…"


def sequel_request(
    store: RunStore,
    run_id: str,
    *,
    requester_id: int | None,
    era: str | None = None,
    place: str | None = None,
    topic: str | None = None,
) -> StoryRequest:
    """A request for the book after `run_id` (the requester's own, finished); the answers not
    given are the earlier book's."""
    record = store.get(run_id)
    if not _followable(record, requester_id):
        raise NoSuchBookError(f"there is no finished book {run_id} to follow")
    assert record is not None and record.story is not None
    earlier, story = record.request, record.story
    sequel = Sequel(
        of_run=run_id,
        title=story.title,
        summary=[first_sentence(page.text) for page in story.pages[1:]],
        character_sheet=story.character_sheet,
    )
    return earlier.model_copy(
        update={
            "era": era or earlier.era,
            "place": place or earlier.place,
            "topic": topic or ("a new adventure" if earlier.language == "en" else "새로운 모험"),
            "sequel": sequel,
        }
    )


def followable(store: RunStore, requester_id: int, limit: int = 25) -> list[RunRecord]:
    """The requester's finished books a sequel may follow, newest first."""
    return [r for r in store.recent(requester_id, limit) if _followable(r, requester_id)]


def _followable(record: RunRecord | None, requester_id: int | None) -> bool:
    return (
        record is not None
        and record.status is Status.DONE
        and record.story is not None
        and (requester_id is None or record.requester_id == requester_id)
    )
