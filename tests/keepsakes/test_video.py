"""The read-along MP4, made by the real ffmpeg and checked with ffprobe."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import ffmpeg
import numpy as np
import pytest
import soundfile

from storybot.keepsakes.video import VideoError, VideoOptions, make_video, page_durations
from tests.support.fake_comfyui import png
from tests.support.processes import cancel_once_ffmpeg_runs, ffmpeg_children

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def tone(path: Path, seconds: float, rate: int = 44100) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, 0.2 * np.sin(2 * np.pi * 440 * t), rate, subtype="PCM_16")
    return path


def pages(
    tmp_path: Path, seconds: list[float | None]
) -> tuple[list[Path | None], list[Path | None]]:
    images: list[Path | None] = []
    audio: list[Path | None] = []
    for index, length in enumerate(seconds):
        image = tmp_path / f"p{index}.png"
        image.write_bytes(png(1024, 1024, (50 * index, 120, 200)))
        images.append(image)
        audio.append(tone(tmp_path / f"a{index}.wav", length) if length else None)
    return images, audio


def probe(path: Path) -> tuple[float, dict[str, dict]]:
    info = ffmpeg.probe(str(path))
    streams = {s["codec_type"]: s for s in info["streams"]}
    return float(info["format"]["duration"]), streams


async def test_pages_last_as_long_as_their_narration(tmp_path: Path) -> None:
    images, audio = pages(tmp_path, [2.0, 3.0, 1.5, 2.5, 3.5])
    options = VideoOptions()
    out = await make_video(images, audio, tmp_path / "book.mp4", options)
    duration, streams = probe(out)
    expected = sum(page_durations(audio, options))
    assert expected == pytest.approx(12.5 + 5 * options.gap)
    assert duration == pytest.approx(expected, abs=0.15)
    assert streams["video"]["codec_name"] == "h264" and streams["video"]["pix_fmt"] == "yuv420p"
    assert (streams["video"]["width"], streams["video"]["height"]) == (1024, 1024)
    assert streams["audio"]["codec_name"] == "aac"
    assert float(streams["audio"]["duration"]) == pytest.approx(expected, abs=0.15)
    assert out.stat().st_size <= options.max_bytes
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)


async def test_silent_and_missing_pages(tmp_path: Path) -> None:
    images, audio = pages(tmp_path, [2.0, None, 2.0, None, 2.0])
    images[3] = None  # this page's picture failed
    options = VideoOptions(silent_page=3.0)
    out = await make_video(images, audio, tmp_path / "book.mp4", options)
    duration, _ = probe(out)
    assert duration == pytest.approx(3 * (2.0 + options.gap) + 2 * 3.0, abs=0.15)


async def test_espeak_rate_narration_is_resampled(tmp_path: Path) -> None:
    images, _ = pages(tmp_path, [None] * 5)
    audio: list[Path | None] = [tone(tmp_path / f"e{i}.wav", 1.0, rate=22050) for i in range(5)]
    out = await make_video(images, audio, tmp_path / "book.mp4", VideoOptions(size=512))
    _, streams = probe(out)
    assert int(streams["audio"]["sample_rate"]) == 44100
    assert streams["video"]["width"] == 512


async def test_no_ffmpeg_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images, audio = pages(tmp_path, [1.0] * 5)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(VideoError, match=r"ffmpeg is not installed \(apt-get install ffmpeg\)"):
        await make_video(images, audio, tmp_path / "book.mp4")
    assert not (tmp_path / "book.mp4").exists()


async def test_broken_image_becomes_a_plain_page(tmp_path: Path) -> None:
    images, audio = pages(tmp_path, [1.0] * 5)
    assert images[2] is not None
    images[2].write_bytes(b"not a png")
    out = await make_video(images, audio, tmp_path / "book.mp4")
    duration, _ = probe(out)
    assert duration == pytest.approx(5 * (1.0 + VideoOptions().gap), abs=0.15)


async def test_broken_audio_becomes_a_silent_page(tmp_path: Path) -> None:
    images, audio = pages(tmp_path, [1.0] * 5)
    assert audio[1] is not None
    audio[1].write_bytes(b"RIFF not really a wave file")
    options = VideoOptions(silent_page=2.0)
    out = await make_video(images, audio, tmp_path / "book.mp4", options)
    duration, _ = probe(out)
    assert duration == pytest.approx(4 * (1.0 + options.gap) + 2.0, abs=0.15)


# No work outlives its book (issue 9, case 6).


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.part*"))


async def test_cancel_kills_ffmpeg_and_removes_its_part_file(tmp_path: Path) -> None:
    images, audio = pages(tmp_path, [3.0] * 5)
    out = tmp_path / "book.mp4"
    task = asyncio.create_task(make_video(images, audio, out))
    assert await cancel_once_ffmpeg_runs(task, wait=20) < 1.0
    assert leftovers(tmp_path) == [] and not out.exists()


async def test_a_timeout_kills_ffmpeg(tmp_path: Path) -> None:
    images, audio = pages(tmp_path, [3.0] * 5)
    out = tmp_path / "book.mp4"
    started = time.perf_counter()
    with pytest.raises(VideoError, match=r"did not finish the video within 0\.3 s"):
        await make_video(images, audio, out, timeout=0.3)
    assert time.perf_counter() - started < 2.0
    assert ffmpeg_children() == []
    assert leftovers(tmp_path) == [] and not out.exists()


async def test_two_encodes_of_one_book_never_share_a_part_file(tmp_path: Path) -> None:
    # A retry racing the attempt it replaces: each writes its own part file; the last one wins.
    images, audio = pages(tmp_path, [1.0] * 5)
    out = tmp_path / "book.mp4"
    first, second = await asyncio.gather(
        make_video(images, audio, out, VideoOptions(size=256)),
        make_video(images, audio, out, VideoOptions(size=256)),
    )
    assert first == second == out
    duration, streams = probe(out)
    assert duration == pytest.approx(5 * (1.0 + VideoOptions().gap), abs=0.15)
    assert streams["video"]["width"] == 256
    assert leftovers(tmp_path) == []


async def test_picture_shrinking_is_bounded_and_leaves_nothing(tmp_path: Path) -> None:
    from storybot.bot.media import fit_image  # here: the other tests need no Discord package

    noise = np.random.default_rng(0).integers(0, 255, (384, 384, 3), dtype=np.uint8)
    raw = tmp_path / "noise.ppm"
    raw.write_bytes(b"P6 384 384 255\n" + noise.tobytes())
    big = tmp_path / "panel_1.png"
    ffmpeg.input(str(raw)).output(str(big)).run(quiet=True, overwrite_output=True)
    limit = big.stat().st_size // 3
    # Past its deadline the picture comes back as it was, and nothing keeps running.
    assert await fit_image(big, limit, timeout=0.001) == big
    assert ffmpeg_children() == [] and leftovers(tmp_path) == []
    small = await fit_image(big, limit)
    assert small.suffix == ".jpg" and small.stat().st_size <= limit
    assert leftovers(tmp_path) == []
