"""Audio in: ffmpeg decodes anything to 16 kHz mono float32; limits refuse before decoding."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from storybot.engines import audio
from storybot.engines.audio import AudioError, load_audio, load_audio_bytes, probe
from tests.tiny_whisper import encode_voice_message, ffmpeg, tone

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="needs ffmpeg (apt-get install ffmpeg)",
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audio")
    tone(folder / "tone.wav", 2.0)
    tone(folder / "tone.mp3", 2.0)
    tone(folder / "tone.m4a", 2.0, "-c:a", "aac")
    encode_voice_message(folder / "tone.wav", folder / "voice.ogg")
    tone(folder / "long.ogg", 61.0, "-c:a", "libopus", "-b:a", "6k")
    return folder


@pytest.mark.parametrize("name", ["tone.wav", "tone.mp3", "tone.m4a", "voice.ogg"])
def test_any_audio_becomes_16k_mono_float32(clips: Path, name: str) -> None:
    samples = load_audio(clips / name)
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert abs(samples.size / audio.SAMPLE_RATE - 2.0) < 0.1  # codecs pad a little
    assert 0.1 < float(np.abs(samples).max()) <= 1.01


def test_probe_reads_a_discord_voice_message(clips: Path) -> None:
    info = probe(clips / "voice.ogg")
    assert (info.codec, info.container, info.sample_rate, info.channels) == (
        "opus",
        "ogg",
        48000,
        1,
    )
    assert info.duration is not None and abs(info.duration - 2.0) < 0.1


def test_bytes_in_memory_decode_like_files(clips: Path) -> None:
    data = (clips / "voice.ogg").read_bytes()
    samples = load_audio_bytes(data, filename="voice-message.ogg")
    assert abs(samples.size / audio.SAMPLE_RATE - 2.0) < 0.1


def test_too_long_is_refused_with_the_limit(clips: Path) -> None:
    with pytest.raises(AudioError, match=r"too long: 61\.0 s \(the limit is 60 s\)") as caught:
        load_audio(clips / "long.ogg")
    assert caught.value.problem == "too_long"
    with pytest.raises(AudioError, match="too long"):
        load_audio(clips / "tone.wav", max_seconds=1.5)


def test_a_lying_header_is_caught_while_decoding(
    clips: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audio.probe
    monkeypatch.setattr(audio, "probe", lambda p: real(p).__class__(None, "opus", "ogg", 0, 1))
    with pytest.raises(AudioError, match=r"too long: 61\.0 s"):
        load_audio(clips / "long.ogg")


def test_too_big_is_refused_before_decoding(
    clips: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.wav"
    with big.open("wb") as out:
        out.truncate(audio.MAX_BYTES + 1)  # sparse: no need to write 10 MB

    def no_probe(path: Path) -> None:
        raise AssertionError("probed a file that was too big")

    monkeypatch.setattr(audio, "probe", no_probe)
    with pytest.raises(AudioError, match=r"too big: 10\.0 MB \(the limit is 10\.0 MB\)") as caught:
        load_audio(big)
    assert caught.value.problem == "too_big"
    with pytest.raises(AudioError, match="too big"):
        load_audio_bytes((clips / "voice.ogg").read_bytes(), max_bytes=1000)


def test_corrupt_bytes_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "voice-message.ogg"
    junk.write_bytes(np.random.default_rng(1).bytes(20_000))
    with pytest.raises(AudioError, match=r"voice-message\.ogg is not a readable audio file") as e:
        load_audio(junk)
    assert e.value.problem == "not_audio"


def test_truncated_voice_message_is_refused(clips: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.ogg"
    cut.write_bytes((clips / "voice.ogg").read_bytes()[:300])
    with pytest.raises(AudioError) as caught:
        load_audio(cut)
    assert caught.value.problem in ("not_audio", "corrupt", "silent")


def test_text_file_is_not_audio(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("옛날 옛적에 토끼가 살았어요.\n" * 50, encoding="utf-8")
    with pytest.raises(AudioError, match=r"notes\.txt is not a readable audio file"):
        load_audio(text)
    with pytest.raises(AudioError, match="not a readable audio file"):
        load_audio_bytes(text.read_bytes(), filename="clip.ogg")


def test_image_without_sound_has_no_audio(tmp_path: Path) -> None:
    png = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=8x8", "-frames:v", "1", str(png))
    with pytest.raises(AudioError, match=r"has no audio in it \(ffprobe found: video\)"):
        load_audio(png)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="does not exist") as caught:
        load_audio(tmp_path / "nope.ogg")
    assert caught.value.problem == "not_found"


def test_missing_ffmpeg_names_the_package(clips: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AudioError, match=r"apt-get install ffmpeg") as caught:
        load_audio(clips / "voice.ogg")
    assert caught.value.problem == "ffmpeg_missing"
