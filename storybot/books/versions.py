"""A book as it is at one moment: every file of a finished book hard-linked into a folder of
its own, so what is being sent (a DM that waits out Discord's rate limit) never changes under
the sender — a redraw that lands meanwhile replaces the run's files, not the snapshot's — and
the pictures, the MP4 and the PDF in one DM are of one version of the book."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

from storybot.books.store import COMPACT_AUDIO_NAMES, TIMING_NAMES
from storybot.models import Book

SNAPSHOTS = ".versions"  # inside a run's folder: retention removes it with the run


def _link(source: Path | None, folder: Path) -> Path | None:
    if source is None or not source.is_file():
        return None
    target = folder / source.name
    try:
        os.link(source, target)
    except OSError:  # another file system, or no hard links
        shutil.copyfile(source, target)
    return target


def snapshot(book: Book) -> Book:
    """`book` with every file it has linked into a new folder of its own (cheap: hard links)."""
    folder = book.directory / SNAPSHOTS / secrets.token_hex(6)
    folder.mkdir(parents=True)
    images = [_link(path, folder) for path in book.images]
    audio = [_link(path, folder) for path in book.audio]
    for name in (*COMPACT_AUDIO_NAMES, *TIMING_NAMES):  # the Opus copies and the timings
        _link(book.directory / name, folder)
    _link(book.directory / "book.pdf", folder)
    video = _link(book.video, folder)
    return book.model_copy(
        update={"directory": folder, "images": images, "audio": audio, "video": video}
    )


def drop(snapshot_of: Book) -> None:
    """Remove a snapshot made by `snapshot` (the run's own files stay)."""
    folder = snapshot_of.directory
    if folder.parent.name == SNAPSHOTS:
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # another DM of the book may be using it still
            folder.parent.rmdir()
