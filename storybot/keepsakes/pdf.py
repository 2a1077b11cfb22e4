"""A book to keep: the finished story as a printable PDF (fpdf2).

The cover (title, cover picture and its line) comes first, then one A4 page per book page: the
picture above, the text below. Korean is set in a real Korean font, embedded as a subset: the
file in `BOOK_PDF_FONT`, or the one fontconfig finds (Debian: `fonts-noto-cjk`, whose `.ttc`
collections fpdf2 reads face by face; `fonts-nanum` works too). A page without a picture gets a
plain frame. The PDF is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from storybot.errors import StorybotError, one_line
from storybot.models import Story

logger = logging.getLogger(__name__)
# fontTools logs two dozen INFO lines each time fpdf2 subsets the font: once a book.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

# A4 portrait, in millimetres.
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
MARGIN = 15.0
PICTURE_BOX = 180.0  # the picture fits in a square of this side
TITLE_SIZE = 26.0
TEXT_SIZE = 20.0
SMALLEST_TEXT_SIZE = 9.0
LINE_HEIGHT = 1.55  # times the font size
PT = 25.4 / 72  # millimetres per point
JPEG_QUALITY = 88  # pictures are embedded as JPEG: a 1024² page is ~100-250 kB, not 1.5 MB

_FRAME_FILL = (246, 241, 232)
_FRAME_LINE = (205, 192, 170)
_INK = (40, 40, 40)
_FAINT = (150, 150, 150)
_FAMILY = "storybook"
_FONT_QUERIES = ("Noto Sans CJK KR", ":lang=ko")


class PdfError(StorybotError):
    """The book's PDF could not be made (no font for its text, or an unwritable file)."""


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: `.ttc`/`.otc` collections hold several."""

    path: Path
    index: int = 0


async def make_pdf(
    story: Story, images: list[Path | None], out: Path, *, font: Path | None = None
) -> Path:
    """`make_pdf_blocking` in a worker thread. A thread cannot be stopped: when cancelled, this
    waits for it (a second or so) before it lets the cancellation through, so no writing into
    the run's folder outlives the run."""
    work = asyncio.ensure_future(
        asyncio.to_thread(make_pdf_blocking, story, images, out, font=font)
    )
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        while not work.done():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(work)
        raise


def make_pdf_blocking(
    story: Story, images: list[Path | None], out: Path, *, font: Path | None = None
) -> Path:
    """Write `story` with its pictures (one per page, None for none) to `out`; return `out`.

    `font` is a TTF/OTF/TTC file (BOOK_PDF_FONT); without it fontconfig looks for a Korean font.
    Raises PdfError when no font covers the story's text, or the file cannot be written.
    """
    text = story_text(story)
    face = font_for(text, font)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(story.title)
    pdf.set_creator("storybot")
    pdf.set_lang("ko" if _has_hangul(text) else "en")
    try:
        pdf.add_font(_FAMILY, "", str(face.path), collection_font_number=face.index)
    except Exception as exc:  # fontTools/fpdf2 raise many kinds for a broken font
        raise PdfError(f"cannot use the font {face.path}: {one_line(exc)}") from exc
    pictures = list(images) + [None] * (len(story.pages) - len(images))
    for page, picture in zip(story.pages, pictures, strict=False):
        pdf.add_page()
        top = MARGIN
        if page.page == 0:
            top = _title(pdf, story.title)
        bottom = _picture(pdf, picture, top)
        _text(pdf, page.text, bottom + 10, PAGE_HEIGHT - MARGIN - 10)
        if page.page:
            _folio(pdf, page.page)
    return _write(pdf, out)


def story_text(story: Story) -> str:
    """Every character the PDF sets: the title and each page's text."""
    return story.title + "".join(page.text for page in story.pages) + "0123456789"


def font_for(text: str, font: Path | None = None) -> FontFace:
    """The face to set `text` in: `font` if given (it must cover `text`), else fontconfig's."""
    if font is not None:
        if not font.is_file():
            raise PdfError(f"BOOK_PDF_FONT: no font file at {font}")
        face = _best_face(font)
        missing = _missing(face, text)
        if missing is None:
            raise PdfError(f"BOOK_PDF_FONT: {font} is not a font file fpdf2 can read")
        if missing:
            raise PdfError(
                f"BOOK_PDF_FONT: {font} has no glyphs for {missing[:12]!r}; "
                "choose a Korean font (e.g. fonts-noto-cjk's NotoSansCJK-Regular.ttc)"
            )
        return face
    for face in _fontconfig_faces():
        if _missing(face, text) == "":
            logger.debug("PDF font: %s (face %d)", face.path, face.index)
            return face
    raise PdfError(
        "no Korean font found for the book's PDF: install fonts-noto-cjk (or fonts-nanum), "
        "or set BOOK_PDF_FONT to a TTF/OTF/TTC file"
    )


def _fontconfig_faces() -> list[FontFace]:
    """Faces fontconfig offers for Korean, best first; none without fontconfig."""
    if shutil.which("fc-match") is None:
        logger.debug("fontconfig (fc-match) is not installed")
        return []
    faces: list[FontFace] = []
    for query in _FONT_QUERIES:
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}\t%{index}", query],
                capture_output=True, text=True, timeout=20, check=True,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            logger.debug("fc-match %r failed: %s", query, one_line(exc))
            continue
        path, _, index = found.partition("\t")
        if path and Path(path).is_file():
            face = FontFace(Path(path), int(index) if index.strip().isdigit() else 0)
            if face not in faces:
                faces.append(face)
    return faces


def _best_face(path: Path) -> FontFace:
    """A single font's face 0, or a collection's Korean (KR) face when it has one."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return FontFace(path)
    from fontTools.ttLib import TTCollection

    try:
        with TTCollection(str(path), lazy=True) as collection:
            for index, member in enumerate(collection.fonts):
                name = member["name"].getDebugName(1) or ""
                if name.endswith(" KR") or "Korean" in name:
                    return FontFace(path, index)
    except Exception as exc:
        raise PdfError(
            f"BOOK_PDF_FONT: cannot read the collection {path}: {one_line(exc)}"
        ) from exc
    return FontFace(path)


def _missing(face: FontFace, text: str) -> str | None:
    """The characters of `text` the face has no glyph for; None if it cannot be read."""
    from fontTools.ttLib import TTFont

    wanted = {ch for ch in text if not ch.isspace()}
    try:
        with TTFont(str(face.path), fontNumber=face.index, lazy=True) as ttf:
            cmap = ttf.getBestCmap() or {}
    except Exception as exc:
        logger.debug("cannot read the font %s: %s", face.path, one_line(exc))
        return None
    return "".join(sorted(ch for ch in wanted if ord(ch) not in cmap))


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def _title(pdf: FPDF, title: str) -> float:
    """Set the cover's title, centred (shrunk to fit); return where it ends."""
    size = _fitting_size(pdf, title, TITLE_SIZE, PAGE_WIDTH - 2 * MARGIN, max_lines=2)
    pdf.set_font(_FAMILY, size=size)
    pdf.set_text_color(*_INK)
    pdf.set_xy(MARGIN, MARGIN + 4)
    pdf.multi_cell(0, size * PT * 1.3, title, align="C")
    return pdf.get_y() + 6


def _picture(pdf: FPDF, picture: Path | None, top: float) -> float:
    """Draw the picture (or a plain frame) centred below `top`; return its bottom."""
    box = PICTURE_BOX
    data, size = _load_picture(picture)
    if data is None or size is None:
        x = (PAGE_WIDTH - box) / 2
        pdf.set_fill_color(*_FRAME_FILL)
        pdf.set_draw_color(*_FRAME_LINE)
        pdf.set_line_width(0.6)
        pdf.rect(x, top, box, box, style="DF", round_corners=True, corner_radius=4)
        return top + box
    width, height = size
    scale = box / max(width, height)
    w, h = width * scale, height * scale
    pdf.image(io.BytesIO(data), x=(PAGE_WIDTH - w) / 2, y=top, w=w, h=h)
    return top + h


def _load_picture(picture: Path | None) -> tuple[bytes | None, tuple[int, int] | None]:
    """The picture as JPEG bytes and its pixel size; (None, None) when missing or unreadable."""
    if picture is None or not picture.is_file():
        return None, None
    from PIL import Image

    try:
        with Image.open(picture) as image:
            image.load()
            rgb = image.convert("RGB")
    except Exception as exc:  # a half-written or foreign file: the page gets a frame
        logger.warning("PDF: cannot read the picture %s: %s", picture, one_line(exc))
        return None, None
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue(), rgb.size


def _text(pdf: FPDF, text: str, top: float, bottom: float) -> None:
    """Set a page's text, centred, between `top` and `bottom` (shrunk until it fits)."""
    width = PAGE_WIDTH - 2 * MARGIN
    lines = max(1, int((bottom - top) / (TEXT_SIZE * PT * LINE_HEIGHT)))
    size = _fitting_size(pdf, text, TEXT_SIZE, width, max_height=bottom - top, max_lines=lines)
    pdf.set_font(_FAMILY, size=size)
    pdf.set_text_color(*_INK)
    pdf.set_xy(MARGIN, top)
    pdf.multi_cell(width, size * PT * LINE_HEIGHT, text, align="C")


def _fitting_size(
    pdf: FPDF,
    text: str,
    size: float,
    width: float,
    *,
    max_lines: int,
    max_height: float | None = None,
) -> float:
    """The largest font size, from `size` down, at which `text` wraps into the room given."""
    while size > SMALLEST_TEXT_SIZE:
        pdf.set_font(_FAMILY, size=size)
        lines = pdf.multi_cell(
            width, size * PT * LINE_HEIGHT, text, dry_run=True, output=MethodReturnValue.LINES
        )
        height = len(lines) * size * PT * LINE_HEIGHT
        if len(lines) <= max_lines and (max_height is None or height <= max_height):
            return size
        size -= 1
    return SMALLEST_TEXT_SIZE


def _folio(pdf: FPDF, number: int) -> None:
    """The page number, small, at the foot of the page."""
    pdf.set_font(_FAMILY, size=10)
    pdf.set_text_color(*_FAINT)
    pdf.set_xy(MARGIN, PAGE_HEIGHT - MARGIN - 5)
    pdf.cell(PAGE_WIDTH - 2 * MARGIN, 5, str(number), align="C")


def _write(pdf: FPDF, out: Path) -> Path:
    """Write the PDF under a temporary name, then rename it to `out`."""
    part = out.with_name(out.name + ".part")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        pdf.output(str(part))
        os.replace(part, out)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise PdfError(f"cannot write the PDF {out}: {one_line(exc)}") from exc
    logger.info("Book PDF written to %s (%d kB)", out, out.stat().st_size // 1024)
    return out
