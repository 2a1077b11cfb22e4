"""Keepsakes: what a family keeps of a made book — the read-along MP4 (`video`, with the
sentence highlighting of `read_along`) and the printable PDF (`pdf`). They read a book's files
and write new ones; they know nothing of how the book was made."""

from storybot.keepsakes.pdf import PdfError, make_pdf
from storybot.keepsakes.video import VideoError, VideoOptions, make_video

__all__ = ["PdfError", "VideoError", "VideoOptions", "make_pdf", "make_video"]
