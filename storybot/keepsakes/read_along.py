"""The words of the read-along video: each page's text in a band under its picture, the
sentence being read highlighted, as an ASS subtitle script that ffmpeg's `ass` filter
(libass) burns into the frames.

A page with sentence timings (the narrator's `page.json`, see `storybot.engines.tts`) gets one
subtitle event per sentence: the whole text, with that sentence in ink on a soft yellow
marker and the others in a quieter grey. A page without timings (narration off or failed, or
timings that do not fit its text) shows its whole text in ink for as long as it stays up.
The text is set in a Korean font (Debian's `fonts-noto-cjk`, or `fonts-nanum`), sized so the
page's text fills the band without leaving it.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storybot.engines.tts import TimedSentence

log = logging.getLogger(__name__)

# (folder, file pattern, family): the first font found sets the text. Noto Sans CJK is one
# family per language in one .ttc; "KR" picks the Korean glyph shapes.
KOREAN_FONTS: tuple[tuple[str, str, str], ...] = (
    ("/usr/share/fonts/opentype/noto", "NotoSansCJK-Regular.ttc", "Noto Sans CJK KR"),
    ("/usr/share/fonts/truetype/nanum", "NanumGothic.ttf", "NanumGothic"),
    ("/usr/share/fonts/truetype/nanum", "NanumBarunGothic.ttf", "NanumBarunGothic"),
)
FONT_PACKAGE = "fonts-noto-cjk"

INK = "&H00302A26&"  # #262A30, the sentence being read (and a page without timings)
QUIET = "&H0078818A&"  # #8A8178, the other sentences
MARKER = "&H0070E8FF&"  # #FFE870, the highlighter stroke behind the sentence being read
MARKER_WIDTH = 5  # pixels of marker around each letter, at the largest font size
LINE_SPACING = 1.3  # line height / font size, as libass sets Noto Sans CJK
MAX_FONT, MIN_FONT = 0.055, 0.03  # font size bounds, as a fraction of the frame's width


@dataclass(frozen=True)
class Font:
    """A font libass can load from `folder` (ffmpeg's `fontsdir`) by its `family` name."""

    folder: Path
    family: str


@dataclass(frozen=True)
class PageText:
    """What one page shows and when: its text, its place on the video's timeline (seconds)
    and, when narrated, when each of its sentences is read (seconds into the page)."""

    text: str
    start: float
    end: float
    sentences: Sequence[TimedSentence] | None = None


@dataclass(frozen=True)
class Band:
    """Where the text goes: the frame's size and the band's top edge, in pixels."""

    width: int
    height: int
    top: int

    @property
    def margin(self) -> int:
        """Space left and right of the text, and above and below it."""
        return round(self.width * 0.045)


@functools.cache
def find_korean_font() -> Font | None:
    """The first installed font of `KOREAN_FONTS`, or None (the text may then show as boxes)."""
    for folder, name, family in KOREAN_FONTS:
        if (Path(folder) / name).is_file():
            return Font(Path(folder), family)
    log.warning(
        "No Korean font for the read-along text: apt-get install %s (Korean may show as boxes)",
        FONT_PACKAGE,
    )
    return None


def sentence_spans(text: str, sentences: Sequence[TimedSentence]) -> list[tuple[int, int]] | None:
    """Where each timed sentence is in `text`, as [start, end) character ranges that together
    cover it; None when the sentences are not the text's (say, a text edited after narration).

    Only letters and digits are compared, so punctuation, spaces and emoji the narrator added
    or dropped ("제목." read for a title shown as "제목") do not matter."""
    letters = [i for i, char in enumerate(text) if char.isalnum()]
    keys = [_key(text[i]) for i in letters]
    cursor = 0
    firsts: list[int] = []
    for sentence in sentences:
        wanted = [_key(char) for char in sentence.text if char.isalnum()]
        if not wanted or keys[cursor : cursor + len(wanted)] != wanted:
            return None
        firsts.append(letters[cursor])
        cursor += len(wanted)
    if cursor != len(keys) or not firsts:
        return None
    firsts[0] = 0
    return list(zip(firsts, [*firsts[1:], len(text)], strict=True))


def _key(char: str) -> str:
    return unicodedata.normalize("NFKC", char).casefold()


def font_size(text: str, band: Band) -> int:
    """The largest size (within bounds) at which `text`, wrapped at spaces, fits the band."""
    usable_width = band.width - 2 * band.margin
    usable_height = band.height - band.top - 2 * band.margin
    largest, smallest = round(band.width * MAX_FONT), round(band.width * MIN_FONT)
    for size in range(largest, smallest - 1, -1):
        lines = _line_count(text, usable_width / size)
        if lines * size * LINE_SPACING <= usable_height:
            return size
    return smallest


def _line_count(text: str, width_em: float) -> int:
    """Lines `text` takes when wrapped at spaces into `width_em` em (a greedy estimate)."""
    count = 0
    for paragraph in text.splitlines() or [""]:
        count += 1
        used = 0.0
        for word in paragraph.split():
            width = sum(_em(char) for char in word)
            if used and used + _em(" ") + width > width_em:
                count += 1 + int(width // width_em)
                used = width % width_em
            else:
                used += (_em(" ") if used else 0.0) + width
    return count


def _em(char: str) -> float:
    """A character's advance in em: Hangul and CJK are square, Latin about half as wide."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    return 0.3 if char.isspace() else 0.6


def ass_script(pages: Sequence[PageText], band: Band, font: Font | None) -> str:
    """The ASS script that writes every page's text into its band, sentence by sentence."""
    family = font.family if font else "sans-serif"
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {band.width}",
        f"PlayResY: {band.height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Page,{family},{round(band.width * MAX_FONT)},{INK},{INK},{MARKER},"
        f"&HFF000000&,0,0,0,0,100,100,0,0,1,0,0,8,{band.margin},{band.margin},"
        f"{band.top + band.margin},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = [line for page in pages for line in _page_events(page, band)]
    return "\n".join(header + events) + "\n"


def _page_events(page: PageText, band: Band) -> list[str]:
    text = "\n".join(" ".join(line.split()) for line in page.text.strip().splitlines())
    if not text or page.end <= page.start:
        return []
    size = font_size(text, band)
    # In the middle of the band; lines are still wrapped between the style's side margins.
    place = f"{{\\an5\\pos({band.width // 2},{(band.top + band.height) // 2})\\fs{size}}}"
    spans = sentence_spans(text, page.sentences) if page.sentences else None
    if page.sentences and spans is None:
        log.info("Timings do not match the page's text %r; it is shown whole", text[:30])
    if spans is None or page.sentences is None:
        return [_dialogue(page.start, page.end, f"{place}{_escape(text)}")]
    length = page.end - page.start
    starts = [min(max(s.start, 0.0), length) for s in page.sentences]
    starts[0] = 0.0
    bounds = [*starts[1:], length]
    marker = max(2, round(MARKER_WIDTH * size / round(band.width * MAX_FONT)))
    lines = []
    for index, (start, end) in enumerate(zip(starts, bounds, strict=True)):
        if end <= start:
            continue
        parts = [place]
        for other, (first, last) in enumerate(spans):
            piece = _escape(text[first:last])
            if other == index:
                parts.append(f"{{\\1c{INK}\\bord{marker}}}{piece}")
            else:
                parts.append(f"{{\\1c{QUIET}\\bord0}}{piece}")
        lines.append(_dialogue(page.start + start, page.start + end, "".join(parts)))
    return lines


def _dialogue(start: float, end: float, text: str) -> str:
    return f"Dialogue: 0,{_time(start)},{_time(end)},Page,,0,0,0,,{text}"


def _time(seconds: float) -> str:
    """ASS time, H:MM:SS.cc."""
    centis = round(seconds * 100)
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6_000)
    return f"{hours}:{minutes:02d}:{centis // 100:02d}.{centis % 100:02d}"


def _escape(text: str) -> str:
    """Text as ASS shows it literally: braces and backslashes would be read as tags."""
    text = text.replace("\\", "\u29f5").replace("{", "(").replace("}", ")")
    return text.replace("\r\n", "\n").replace("\n", "\\N")
