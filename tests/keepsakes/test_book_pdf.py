"""The book's PDF: it opens and renders (poppler), has the cover plus one page per book page,
and gives back the story's text, Korean set in a real Korean font."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from storybot.bot.delivery import book_messages
from storybot.bot.media import DM_FILESIZE_LIMIT
from storybot.errors import StorybotError
from storybot.keepsakes.pdf import PdfError, font_for, make_pdf, make_pdf_blocking
from storybot.models import Book, Story
from tests.support import SAMPLES
from tests.support.fake_comfyui._helpers import png
from tests.support.stories import story

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdfinfo, pdftotext) is not installed",
)

HOPPER = SAMPLES / "grace_hopper.jpg"


def _korean_font_installed() -> bool:
    try:
        font_for("호랑이")
    except PdfError:
        return False
    return True


needs_korean_font = pytest.mark.skipif(
    not _korean_font_installed(), reason="no Korean font (apt-get install fonts-noto-cjk)"
)


def _pictures(folder: Path, size: int = 256, count: int = 5) -> list[Path | None]:
    paths: list[Path | None] = []
    for index in range(count):
        path = folder / f"page_{index}.png"
        path.write_bytes(png(size, size, (200, 120 + 20 * index, 40)))
        paths.append(path)
    return paths


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    assert match, info.stdout
    return int(match.group(1))


def _text(pdf: Path, page: int | None = None) -> str:
    """The PDF's text (or one page's), with all whitespace folded to single spaces."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(
        ["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(out.split())


def _folded(text: str) -> str:
    return " ".join(text.split())


def _renders(pdf: Path, folder: Path) -> list[Path]:
    """Render every page with pdftoppm (which fails on a broken PDF); return the images."""
    subprocess.run(
        ["pdftoppm", "-r", "20", "-png", str(pdf), str(folder / "render")],
        capture_output=True,
        check=True,
    )
    return sorted(folder.glob("render-*.png"))


def _fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout


@needs_korean_font
def test_korean_book_has_cover_and_pages_with_their_text(tmp_path: Path) -> None:
    book = Story.model_validate(story())
    out = make_pdf_blocking(book, _pictures(tmp_path), tmp_path / "book" / "book.pdf")

    assert out == tmp_path / "book" / "book.pdf"
    assert out.read_bytes().startswith(b"%PDF-")
    assert _pages(out) == len(book.pages) == 5  # the cover and four pages
    assert len(_renders(out, tmp_path)) == 5
    cover = _text(out, 1)
    assert _folded(book.title) in cover
    assert _folded(book.pages[0].text) in cover
    for number, page in enumerate(book.pages[1:], start=2):
        assert _folded(page.text) in _text(out, number), f"page {number}"
    assert "CJK" in _fonts(out) or "Nanum" in _fonts(out)  # a real Korean font, embedded
    assert not list(out.parent.glob("*.part"))


@needs_korean_font
async def test_english_book_async(tmp_path: Path) -> None:
    book = Story.model_validate(story("en"))
    out = await make_pdf(book, _pictures(tmp_path), tmp_path / "book.pdf")

    assert _pages(out) == 5
    text = _text(out)
    assert book.title in text
    for page in book.pages:
        assert _folded(page.text) in text


@needs_korean_font
async def test_a_cancelled_pdf_leaves_nothing_being_written(tmp_path: Path) -> None:
    """The writing thread cannot be stopped, so the cancellation waits for it: once the
    cancelled call returns, no part file is left in the folder (the run may end safely)."""
    book = Story.model_validate(story())
    task = asyncio.create_task(make_pdf(book, _pictures(tmp_path), tmp_path / "book.pdf"))
    await asyncio.sleep(0.01)  # the thread is writing
    task.cancel()
    task.cancel()  # a second press changes nothing
    with pytest.raises(asyncio.CancelledError):
        await task
    files = sorted(tmp_path.iterdir())
    assert not list(tmp_path.glob("*.part"))
    await asyncio.sleep(1.0)  # nothing is written after the cancelled call returned
    assert sorted(tmp_path.iterdir()) == files


@needs_korean_font
def test_missing_and_unreadable_pictures_get_a_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    book = Story.model_validate(story())
    pictures = _pictures(tmp_path)
    pictures[1] = None
    pictures[2] = tmp_path / "gone.png"  # never written
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    pictures[3] = broken

    with caplog.at_level(logging.WARNING, logger="storybot.keepsakes.pdf"):
        out = make_pdf_blocking(book, pictures[:4], tmp_path / "book.pdf")  # one short, too

    assert _pages(out) == 5
    assert len(_renders(out, tmp_path)) == 5
    assert _folded(book.pages[4].text) in _text(out, 5)
    assert "broken.png" in caplog.text


@needs_korean_font
def test_no_pictures_at_all(tmp_path: Path) -> None:
    out = make_pdf_blocking(Story.model_validate(story()), [], tmp_path / "book.pdf")

    assert _pages(out) == 5
    assert len(_renders(out, tmp_path)) == 5


@needs_korean_font
def test_long_text_shrinks_to_stay_on_its_page(tmp_path: Path) -> None:
    data = story()
    data["pages"][2]["text"] = "호랑이가 토끼를 구했어요. " * 60
    book = Story.model_validate(data)

    out = make_pdf_blocking(book, _pictures(tmp_path), tmp_path / "book.pdf")

    assert _pages(out) == 5
    assert "호랑이가 토끼를 구했어요." in _text(out, 3)
    assert _folded(book.pages[3].text) in _text(out, 4)


@needs_korean_font
def test_real_picture_and_overwrite(tmp_path: Path) -> None:
    """A real photo (not square) is embedded; a second run replaces the first file."""
    book = Story.model_validate(story())
    out = tmp_path / "book.pdf"
    out.write_bytes(b"old")

    make_pdf_blocking(book, [HOPPER] * 5, out)

    assert _pages(out) == 5
    assert len(_renders(out, tmp_path)) == 5
    listing = subprocess.run(
        ["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True
    ).stdout
    placed = [line.split() for line in listing.splitlines()[2:]]
    assert len(placed) == 5  # one per page (the same photo is stored once)
    assert all(row[3:5] == ["512", "600"] and row[8] == "jpeg" for row in placed), listing


def test_bad_font_path_is_a_clear_error(tmp_path: Path) -> None:
    book = Story.model_validate(story())
    out = tmp_path / "book.pdf"

    with pytest.raises(PdfError, match="BOOK_PDF_FONT") as error:
        make_pdf_blocking(book, [], out, font=tmp_path / "nope.ttf")

    assert isinstance(error.value, StorybotError)
    assert not out.exists()
    assert not list(tmp_path.glob("*.part"))


def test_font_without_hangul_is_refused(tmp_path: Path) -> None:
    latin = subprocess.run(
        ["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True
    ).stdout
    if not latin.endswith((".ttf", ".otf")) or not Path(latin).is_file():
        pytest.skip("no Latin-only TTF found by fontconfig")

    with pytest.raises(PdfError, match="no glyphs for"):
        make_pdf_blocking(
            Story.model_validate(story()), [], tmp_path / "book.pdf", font=Path(latin)
        )


def test_file_that_is_no_font_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"not a font at all")

    with pytest.raises(PdfError, match="not a font file"):
        make_pdf_blocking(Story.model_validate(story()), [], tmp_path / "book.pdf", font=fake)


@needs_korean_font
def test_font_setting_with_a_collection_picks_its_korean_face(tmp_path: Path) -> None:
    face = font_for("호랑이")
    out = make_pdf_blocking(
        Story.model_validate(story()), _pictures(tmp_path), tmp_path / "book.pdf", font=face.path
    )

    assert _pages(out) == 5
    assert _folded(story()["title"]) in _text(out, 1)
    if face.path.suffix == ".ttc":
        assert font_for("호랑이", face.path).index == face.index


async def test_dm_carries_the_pdf_beside_the_video(tmp_path: Path) -> None:
    book = Book(
        run_id="r1",
        story=Story.model_validate(story()),
        directory=tmp_path,
        video=tmp_path / "book.mp4",
    )
    messages = await book_messages(book, "ko")
    assert all(path.suffix != ".pdf" for _, files in messages for path in files)  # none yet

    book.video.write_bytes(b"\0" * 1000)  # type: ignore[union-attr]
    (tmp_path / "book.pdf").write_bytes(b"%PDF-1.4\n")
    messages = await book_messages(book, "ko")
    assert messages[-1][1] == [book.video, tmp_path / "book.pdf"]

    book.video.write_bytes(b"\0" * (DM_FILESIZE_LIMIT - 4))  # type: ignore[union-attr]
    messages = await book_messages(book, "ko")
    assert messages[-2][1] == [book.video]  # together they would not fit: two messages
    assert messages[-1][1] == [tmp_path / "book.pdf"] and book.story.title in messages[-1][0]


def test_broken_collection_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttc"
    fake.write_bytes(b"ttcf not really")

    with pytest.raises(PdfError, match="cannot read the collection"):
        make_pdf_blocking(Story.model_validate(story()), [], tmp_path / "book.pdf", font=fake)


def test_no_fontconfig_and_no_setting_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-match: nothing to find a font with

    with pytest.raises(PdfError, match=r"no Korean font found.*BOOK_PDF_FONT"):
        make_pdf_blocking(Story.model_validate(story()), [], tmp_path / "book.pdf")
    assert not (tmp_path / "book.pdf").exists()
