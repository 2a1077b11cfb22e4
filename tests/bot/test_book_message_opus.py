"""Narration as Opus in Ogg, with the real ffmpeg: a real Korean sentence spoken by espeak-ng
at 44.1 kHz (as Supertonic writes it), encoded, probed, and compared with its WAV."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import ffmpeg
import pytest

from storybot.bot.media import compact_audio

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng",
)

SPOKEN = "옛날 조선의 궁궐에 커다란 호랑이가 살았어요. 호랑이는 늘 혼자였답니다."


def narration(folder: Path, name: str = "page_1.wav") -> Path:
    """A spoken page as the narrator leaves it: 16-bit mono WAV at 44.1 kHz."""
    raw = folder / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), SPOKEN], check=True)
    wav = folder / name
    ffmpeg.input(str(raw)).output(str(wav), ar=44100, ac=1, acodec="pcm_s16le").run(
        quiet=True, overwrite_output=True
    )
    raw.unlink()
    return wav


def probe(path: Path) -> tuple[str, str, int, float]:
    """(container, codec, channels, seconds)."""
    info = ffmpeg.probe(str(path))
    (stream,) = info["streams"]
    fmt = info["format"]
    return fmt["format_name"], stream["codec_name"], stream["channels"], float(fmt["duration"])


async def test_narration_becomes_small_opus_in_ogg_beside_the_kept_wav(tmp_path: Path) -> None:
    wav = narration(tmp_path)
    before = wav.read_bytes()
    voice = await compact_audio(wav)
    assert voice == tmp_path / "page_1.ogg"
    container, codec, channels, seconds = probe(voice)
    assert (container, codec, channels) == ("ogg", "opus", 1)
    assert seconds == pytest.approx(probe(wav)[3], abs=0.1)
    assert voice.stat().st_size < wav.stat().st_size / 10  # ~17x smaller at 40 kb/s
    assert wav.read_bytes() == before  # the original stays as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page_1.ogg", "page_1.wav"]


async def test_an_encoded_page_is_reused_until_its_wav_changes(tmp_path: Path) -> None:
    wav = narration(tmp_path)
    first = await compact_audio(wav)
    made = first.stat().st_mtime_ns
    assert await compact_audio(wav) == first and first.stat().st_mtime_ns == made
    wav.write_bytes(narration(tmp_path, "other.wav").read_bytes())  # a new narration
    again = await compact_audio(wav)
    assert again == first and again.stat().st_mtime_ns >= wav.stat().st_mtime_ns
    assert await compact_audio(first) == first  # already Ogg


async def test_what_cannot_be_encoded_stays_a_wav_and_leaves_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "page_2.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    with caplog.at_level(logging.WARNING, "storybot.bot.media"):
        assert await compact_audio(broken) == broken
    assert "Could not encode" in caplog.text
    wav = narration(tmp_path)
    assert await compact_audio(wav, timeout=0.001) == wav  # past its deadline: killed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page_1.wav", "page_2.wav"]
