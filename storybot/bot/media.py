"""Files within Discord's limits: pictures re-encoded when too large, books split into messages."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import ffmpeg

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 10
DM_FILESIZE_LIMIT = 10 * 1024 * 1024  # what Discord allows everyone, in DMs too


def _to_jpeg(path: Path, limit: int) -> Path:
    """A JPEG copy of `path`, smaller each try, until it fits `limit` bytes."""
    for quality, scale in ((3, 1.0), (6, 1.0), (8, 0.75), (12, 0.5)):
        out = path.with_name(f"{path.stem}.q{quality}.jpg")
        stream = ffmpeg.input(str(path))
        if scale < 1.0:
            stream = stream.filter("scale", f"iw*{scale}", -2)
        stream.output(str(out), **{"q:v": quality}).global_args(
            "-nostdin", "-loglevel", "error"
        ).overwrite_output().run(quiet=True)
        if out.stat().st_size <= limit:
            return out
    return out


async def fit_image(path: Path, limit: int) -> Path:
    """`path` if it fits in `limit` bytes, else a JPEG that does (made once, kept beside it)."""
    if path.stat().st_size <= limit:
        return path
    try:
        return await asyncio.to_thread(_to_jpeg, path, limit)
    except (ffmpeg.Error, OSError) as exc:
        log.warning("Could not shrink %s: %s", path, exc)
        return path


def fits(path: Path | None, limit: int) -> bool:
    return path is not None and path.is_file() and path.stat().st_size <= limit
