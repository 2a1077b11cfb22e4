"""Files within Discord's limits: pictures re-encoded when too large, narration as Opus."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import ffmpeg

from storybot import processes

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 10
DM_FILESIZE_LIMIT = 10 * 1024 * 1024  # what Discord allows everyone, in DMs too
SHRINK_TIMEOUT = 60.0
"""All tries together; one 1024² picture takes a fraction of a second."""
OPUS_BITRATE = "40k"
"""Mono speech is clean at 32-48 kb/s: about 1/17 of the 16-bit 44.1 kHz WAV."""
ENCODE_TIMEOUT = 60.0
"""A page's narration (seconds of speech) encodes in well under a second."""


async def _encode(output: ffmpeg.nodes.OutputStream, part: Path, out: Path, timeout: float) -> None:
    """Run ffmpeg (an asyncio subprocess with a deadline) into `part`, then rename it to
    `out`; OSError says why it failed, and no part file is left either way."""
    command = output.global_args("-nostdin", "-loglevel", "error").overwrite_output().compile()
    try:
        result = await processes.run(command, timeout=timeout)
        if result.returncode != 0:
            raise OSError(f"ffmpeg failed: {result.last_lines() or 'no details'}")
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)  # gone already when it was kept


async def _to_jpeg(path: Path, limit: int, timeout: float) -> Path:
    """A JPEG copy of `path`, smaller each try, until it fits `limit` bytes."""
    out = path
    for quality, scale in ((3, 1.0), (6, 1.0), (8, 0.75), (12, 0.5)):
        out = path.with_name(f"{path.stem}.q{quality}.jpg")
        # Written under a name of its own, then renamed: two senders of the same picture
        # (the book message and the DM) never see each other's half-written file.
        part = out.with_name(f"{out.stem}.{uuid.uuid4().hex[:12]}.part.jpg")
        stream = ffmpeg.input(str(path))
        if scale < 1.0:
            stream = stream.filter("scale", f"iw*{scale}", -2)
        await _encode(
            stream.output(str(part), **{"q:v": quality, "frames:v": 1}), part, out, timeout
        )
        if out.stat().st_size <= limit:
            return out
    return out


async def fit_image(path: Path, limit: int, *, timeout: float = SHRINK_TIMEOUT) -> Path:
    """`path` if it fits in `limit` bytes, else a JPEG that does (kept beside it).

    ffmpeg runs as an asyncio subprocess, killed after `timeout` or when the caller is
    cancelled; if shrinking fails, `path` itself comes back.
    """
    if path.stat().st_size <= limit:
        return path
    try:
        async with asyncio.timeout(timeout):
            return await _to_jpeg(path, limit, timeout)
    except (TimeoutError, OSError) as exc:  # OSError: ffmpeg missing or failing
        log.warning("Could not shrink %s: %s", path, str(exc) or f"over {timeout:g} s")
        return path


async def compact_audio(path: Path, *, timeout: float = ENCODE_TIMEOUT) -> Path:
    """The narration `path` as Opus in Ogg (`page_0.ogg` beside `page_0.wav`), which Discord
    plays inline; `path` itself if it cannot be encoded. The WAV stays as it is.

    An Ogg newer than its WAV is reused (the book message and the DM share one encode);
    ffmpeg runs as an asyncio subprocess, killed after `timeout` or on cancellation.
    """
    out = path.with_suffix(".ogg")
    if path.suffix.lower() == ".ogg":
        return path
    try:
        if out.is_file() and out.stat().st_mtime_ns >= path.stat().st_mtime_ns:
            return out
        # Its own name, then renamed: two encoders of one page never see half a file.
        part = out.with_name(f"{out.stem}.{uuid.uuid4().hex[:12]}.part.ogg")
        opus = ffmpeg.input(str(path)).output(
            str(part),
            f="ogg",
            vn=None,
            ac=1,
            acodec="libopus",
            audio_bitrate=OPUS_BITRATE,
            application="audio",  # narration is clean speech, not a phone call
        )
        await _encode(opus, part, out, timeout)
    except (TimeoutError, OSError) as exc:  # OSError: no ffmpeg, no libopus, a bad file
        log.warning("Could not encode %s as Opus: %s", path, str(exc) or f"over {timeout:g} s")
        return path
    return out


def fits(path: Path | None, limit: int) -> bool:
    return path is not None and path.is_file() and path.stat().st_size <= limit
