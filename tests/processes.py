"""Child processes of the test process, read from /proc: what a test checks is left running."""

from __future__ import annotations

import os
from pathlib import Path


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
