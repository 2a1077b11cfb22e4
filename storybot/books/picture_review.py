"""The look every painted picture gets before anyone sees it (the nudity detector), and what
happens to one it flags: painted once more with a new seed, then a plain placeholder."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

from storybot.books.parts import PictureChecker
from storybot.books.store import RunRecord
from storybot.engines.placeholder import write_placeholder
from storybot.errors import StorybotError

log = logging.getLogger(__name__)


class PictureRefusedError(StorybotError):
    """A redraw's new picture was flagged twice: the old picture stays."""

    code = "redraw_refused"


async def looked_at(
    check: PictureChecker | None,
    record: RunRecord,
    index: int,
    path: Path,
    paint: Callable[[int], Awaitable[Path]],
    picture_size: tuple[int, int],
    *,
    placeholder: bool = True,
) -> Path:
    """Page `index`'s picture once the detector has passed it: painted once more (`paint` with a
    new seed) when flagged, then a plain placeholder (and a note in the record) if that is
    flagged too — or, without `placeholder` (a redraw, which has a good picture to keep),
    PictureRefusedError."""
    if check is None:
        return path
    verdict = await check.check(path)
    record.timings[f"picture_check_{index}"] = round(verdict.seconds, 3)
    if verdict.safe:
        return path
    seed = random.randrange(2**32)
    log.warning("Page %d's picture was flagged (%s); painting it once more", index, verdict.reason)
    try:
        path = await paint(seed)
        verdict = await check.check(path)
        reason = verdict.reason
        if verdict.safe:
            return path
    except Exception as exc:  # a failed second painting ends like a flagged one
        reason = f"the second painting failed: {exc}"
    if not placeholder:
        raise PictureRefusedError(f"page {index}'s new picture was flagged twice ({reason})")
    width, height = picture_size
    await asyncio.to_thread(write_placeholder, path, width, height)
    log.warning("Page %d's picture was flagged again (%s): placeholder", index, reason)
    record.warnings.append(f"page {index}: the picture was replaced by a placeholder")
    return path
