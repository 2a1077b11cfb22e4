"""Child processes of the test process, read from /proc: what a test checks is left running."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest


def ffmpeg_children() -> list[str]:
    """ffmpeg and ffprobe processes whose parent is this test process."""
    me, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended while we looked
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        ppid = text[text.rindex(")") + 2 :].split()[1]
        if ppid == me and name in ("ffmpeg", "ffprobe"):
            found.append(name)
    return found


async def cancel_once_ffmpeg_runs(task: asyncio.Task[object], *, wait: float) -> float:
    """Cancel `task` the moment it has an ffmpeg/ffprobe child (within `wait` seconds); return
    how long the cancelled task took to end. Its children must be gone by then."""
    deadline = time.perf_counter() + wait
    while not ffmpeg_children():
        assert not task.done() and time.perf_counter() < deadline, "ffmpeg never started"
        await asyncio.sleep(0.001)
    task.cancel()
    cancelled_at = time.perf_counter()
    with pytest.raises(asyncio.CancelledError):
        await task
    ended = time.perf_counter() - cancelled_at
    assert ffmpeg_children() == []
    return ended
