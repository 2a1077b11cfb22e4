"""The read-along video shows each page's text and highlights the sentence being read: frames
of the real MP4 (ffmpeg, libass, a Korean font, espeak-ng narration) against each page's text
drawn alone, and the subtitle script read back."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path

import ffmpeg
import numpy as np
import pytest

from storybot.engines.tts import EspeakNarrator, read_sidecar
from storybot.keepsakes.read_along import Band, PageText, ass_script, find_korean_font
from storybot.keepsakes.video import VideoOptions, make_video, page_durations, subtitle_script
from tests.support.fake_comfyui import png

pytestmark = [
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg"),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng"),
]

TEXTS = [
    "호랑이와 토끼의 우정\n궁궐에 사는 호랑이와 토끼의 따뜻한 이야기",
    "옛날 조선의 궁궐에 커다란 호랑이가 살았어요. 호랑이는 늘 혼자였답니다.",
    "어느 날 작은 토끼가 궁궐 연못에 빠졌어요. 호랑이가 얼른 달려가 토끼를 구했어요.",
    "토끼는 호랑이에게 고맙다고 말했어요. 둘은 함께 꽃길을 걸었어요.",
]
SPOKEN = ["호랑이와 토끼의 우정. 궁궐에 사는 호랑이와 토끼의 따뜻한 이야기", *TEXTS[1:]]
SILENT = 3  # this page has no narration: its text stays up whole
OPTIONS = VideoOptions(size=512, silent_page=3.0)
RAW_FRAME = ("-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path | None]]:
    """A four-page book narrated by espeak-ng (but page 3), with its texts burned in."""
    return asyncio.run(make_book(tmp_path_factory.mktemp("book")))


async def make_book(folder: Path) -> tuple[Path, list[Path | None]]:
    narrator = EspeakNarrator(voice="F2")
    images: list[Path | None] = []
    audio: list[Path | None] = []
    for index, spoken in enumerate(SPOKEN):
        image = folder / f"panel_{index}.png"
        image.write_bytes(png(512, 512, (60 * index, 140, 90)))
        images.append(image)
        if index == SILENT:
            audio.append(None)
        else:
            audio.append((await narrator.narrate(spoken, folder / f"page_{index}.wav")).path)
    out = await make_video(images, audio, folder / "book.mp4", OPTIONS, texts=TEXTS)
    return out, audio


def frame(video: Path, seconds: float) -> np.ndarray:
    """The frame shown at `seconds`, as RGB."""
    width, height = OPTIONS.frame(with_text=True)
    raw = subprocess.run(
        [*("ffmpeg", "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(video)), *RAW_FRAME],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.int16)


def drawn_alone(text: str, folder: Path) -> np.ndarray:
    """`text` set as a page without timings, on the bare page colour, with nothing else."""
    width, height = OPTIONS.frame(with_text=True)
    script = folder / "alone.ass"
    band = Band(width, height, top=OPTIONS.size)
    script.write_text(ass_script([PageText(text, 0.0, 5.0)], band, find_korean_font()))
    font = find_korean_font()
    assert font is not None, "no Korean font: apt-get install fonts-noto-cjk"
    raw = subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=c=0xFFF8E7:s={width}x{height}"),
            *("-vf", f"ass={script}:fontsdir={font.folder}", "-ss", "1", *RAW_FRAME),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.int16)


def band_of(image: np.ndarray) -> np.ndarray:
    return image[OPTIONS.size :]


def letters(band: np.ndarray) -> np.ndarray:
    """Where the letters are: dark pixels (ink and the quieter grey, not the yellow marker)."""
    return band.mean(axis=2) < 175


def marker(band: np.ndarray) -> np.ndarray:
    """Where the yellow highlighter is."""
    red, green, blue = band[..., 0], band[..., 1], band[..., 2]
    return (red > 200) & (green > 190) & (blue < 170)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def page_starts(audio: list[Path | None]) -> list[float]:
    durations = page_durations(audio, OPTIONS)
    return [sum(durations[:index]) for index in range(len(durations))]


def test_the_frame_holds_the_picture_and_a_text_band(
    book: tuple[Path, list[Path | None]],
) -> None:
    video, audio = book
    info = ffmpeg.probe(str(video))
    stream = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (stream["width"], stream["height"]) == OPTIONS.frame(with_text=True) == (512, 716)
    assert float(info["format"]["duration"]) == pytest.approx(
        sum(page_durations(audio, OPTIONS)), abs=0.15
    )
    assert video.stat().st_size <= OPTIONS.max_bytes
    assert not list(video.parent.glob("*.part*"))


def test_mid_page_frames_show_that_page_text(
    book: tuple[Path, list[Path | None]], tmp_path: Path
) -> None:
    video, audio = book
    durations = page_durations(audio, OPTIONS)
    alone = [letters(band_of(drawn_alone(text, tmp_path))) for text in TEXTS]
    for index, start in enumerate(page_starts(audio)):
        shown = letters(band_of(frame(video, start + durations[index] / 2)))
        scores = [overlap(shown, drawn) for drawn in alone]
        assert scores[index] > 0.6, f"page {index}: {scores}"
        others = [score for other, score in enumerate(scores) if other != index]
        assert scores[index] > 1.5 * max(others), f"page {index}: {scores}"


def test_the_highlight_follows_the_voice(book: tuple[Path, list[Path | None]]) -> None:
    video, audio = book
    for index in (0, 1, 2):
        path = audio[index]
        assert path is not None
        timings = read_sidecar(path)
        assert timings is not None and len(timings) == 2
        start = page_starts(audio)[index]
        first, second = (
            frame(video, start + (t.start + t.end) / 2 + (0.25 if t.start == 0 else 0))
            for t in timings
        )
        # Same picture, same words; only the marker moved from one sentence to the next.
        assert np.abs(first[: OPTIONS.size] - second[: OPTIONS.size]).mean() < 1.0
        # (ink and grey letters differ at their soft edges; other pages' texts score < 0.2)
        assert overlap(letters(band_of(first)), letters(band_of(second))) > 0.45
        one, two = marker(band_of(first)), marker(band_of(second))
        assert one.sum() > 200 and two.sum() > 200, f"page {index}: no highlight"
        assert overlap(one, two) < 0.2, f"page {index}: the highlight did not move"
        assert np.abs(band_of(first) - band_of(second)).mean() > 1.0


def test_a_page_without_narration_shows_its_whole_text(
    book: tuple[Path, list[Path | None]], tmp_path: Path
) -> None:
    video, audio = book
    start = page_starts(audio)[SILENT]
    early, late = (band_of(frame(video, start + t)) for t in (0.8, OPTIONS.silent_page - 0.3))
    alone = band_of(drawn_alone(TEXTS[SILENT], tmp_path))
    for shown in (early, late):
        assert marker(shown).sum() < 50  # nothing highlighted
        assert overlap(letters(shown), letters(alone)) > 0.6


def dialogues(script: str) -> list[tuple[float, float, str]]:
    """(start, end, plain text) of each subtitle event."""

    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    events = []
    for line in script.splitlines():
        if line.startswith("Dialogue:"):
            _, start, end, *_, text = line.split(",", 9)
            plain = re.sub(r"\{[^}]*\}", "", text).replace("\\N", "\n")
            events.append((seconds(start), seconds(end), plain))
    return events


def test_the_script_read_back_times_every_sentence(
    book: tuple[Path, list[Path | None]],
) -> None:
    _, audio = book
    events = dialogues(subtitle_script(TEXTS, audio, OPTIONS))
    durations = page_durations(audio, OPTIONS)
    for index, start in enumerate(page_starts(audio)):
        page = [e for e in events if start - 0.01 <= e[0] < start + durations[index] - 0.01]
        assert all(text == TEXTS[index] for _, _, text in page)
        assert page[0][0] == pytest.approx(start, abs=0.01)
        assert page[-1][1] == pytest.approx(start + durations[index], abs=0.01)
        path = audio[index]
        timings = read_sidecar(path) if path else None
        assert len(page) == (len(timings) if timings else 1)
        if timings:  # the highlight moves on when the next sentence starts
            for event, timing in zip(page[1:], timings[1:], strict=True):
                assert event[0] == pytest.approx(start + timing.start, abs=0.01)


def test_long_text_is_made_smaller_to_fit_the_band() -> None:
    band = Band(1024, 1434, top=1024)
    short = ass_script([PageText("짧은 글이에요.", 0, 1)], band, None)
    long = ass_script([PageText("아주 긴 이야기가 계속 이어져요. " * 12, 0, 1)], band, None)
    sizes = [int(re.search(r"\\fs(\d+)", s).group(1)) for s in (short, long)]  # type: ignore[union-attr]
    assert sizes[0] == round(1024 * 0.055) and 30 <= sizes[1] < sizes[0]


def test_braces_and_backslashes_are_shown_not_obeyed() -> None:
    band = Band(512, 716, top=512)
    script = ass_script([PageText("{\\an1}토끼\\n", 0, 1)], band, None)
    assert dialogues(script)[0][2] == "(⧵an1)토끼⧵n"
