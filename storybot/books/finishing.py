"""What a finished book leaves besides its pages: the read-along MP4 and the printable PDF.

Either may fail (no ffmpeg, no Korean font, a timeout): the book is still a book, and the run
notes what is missing.
"""

from __future__ import annotations

import logging
import time

from storybot.books.parts import PipelineOptions
from storybot.books.store import RunRecord, RunStore
from storybot.keepsakes.pdf import PdfError, make_pdf
from storybot.keepsakes.video import VideoError, make_video
from storybot.logs import timing

log = logging.getLogger(__name__)


async def make_keepsakes(store: RunStore, record: RunRecord, options: PipelineOptions) -> None:
    """`book.mp4` and `book.pdf` in the run's folder, as the options ask."""
    if options.make_video:
        await _make_video(store, record, options)
    if options.make_pdf:
        await _make_pdf(store, record, options)


async def _make_video(store: RunStore, record: RunRecord, options: PipelineOptions) -> None:
    pages, story = record.pages, record.story
    texts = None
    if story is not None:  # the words on screen, the title first on the cover
        texts = [page.text for page in story.pages]
        texts[0] = f"{story.title}\n{texts[0]}"
    started = time.perf_counter()
    try:
        with timing(log, "read-along video"):
            await make_video(
                [p.image_path for p in pages],
                [p.audio_path for p in pages],
                store.video_path(record.run_id),
                options.video,
                timeout=options.video_timeout,
                texts=texts,
            )
    except (VideoError, TimeoutError) as exc:
        reason = str(exc) or "it took too long"
        log.warning("No read-along video: %s", reason)
        record.warnings.append(f"no read-along video ({reason})")
    else:
        record.timings["video"] = round(time.perf_counter() - started, 3)


async def _make_pdf(store: RunStore, record: RunRecord, options: PipelineOptions) -> None:
    if record.story is None:
        return
    out = store.run_dir(record.run_id) / "book.pdf"
    images = [p.image_path for p in record.pages]
    try:
        with timing(log, "book PDF"):
            await make_pdf(record.story, images, out, font=options.pdf_font)
    except PdfError as exc:
        log.warning("No PDF: %s", exc)
        record.warnings.append(f"no PDF ({exc})")
