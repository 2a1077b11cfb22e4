"""Audio in: ffmpeg decodes anything to 16 kHz mono float32; limits refuse before decoding."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from storybot.engines.stt import decode
from storybot.engines.stt.decode import AudioError, load_audio, load_audio_bytes, probe
from tests.support.tiny_whisper import encode_voice_message, ffmpeg, tone

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
async def test_any_audio_becomes_16k_mono_float32(clips: Path, name: str) -> None:
    samples = await load_audio(clips / name)
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert abs(samples.size / decode.SAMPLE_RATE - 2.0) < 0.1  # codecs pad a little
    assert 0.1 < float(np.abs(samples).max()) <= 1.01


async def test_probe_reads_a_discord_voice_message(clips: Path) -> None:
    info = await probe(clips / "voice.ogg")
    assert (info.codec, info.container, info.sample_rate, info.channels) == (
        "opus",
        "ogg",
        48000,
        1,
    )
    assert info.duration is not None and abs(info.duration - 2.0) < 0.1


async def test_bytes_in_memory_decode_like_files(clips: Path) -> None:
    data = (clips / "voice.ogg").read_bytes()
    samples = await load_audio_bytes(data, filename="voice-message.ogg")
    assert abs(samples.size / decode.SAMPLE_RATE - 2.0) < 0.1


async def test_too_long_is_refused_with_the_limit(clips: Path) -> None:
    with pytest.raises(AudioError, match=r"too long: 61\.0 s \(the limit is 60 s\)") as caught:
        await load_audio(clips / "long.ogg")
    assert caught.value.problem == "too_long"
    with pytest.raises(AudioError, match="too long"):
        await load_audio(clips / "tone.wav", max_seconds=1.5)


async def test_a_lying_header_is_caught_while_decoding(tmp_path: Path) -> None:
    # A 61 s WebM whose Segment Info says 1 s: ffprobe believes the header, decoding does not.
    honest = tone(tmp_path / "long.webm", 61.0, "-c:a", "libopus", "-b:a", "6k")
    data = honest.read_bytes()
    at = data.find(b"\x44\x89\x88") + 3  # the Duration element, an 8-byte float in ms
    assert at > 3 and struct.unpack(">d", data[at : at + 8])[0] > 60_000
    lying = tmp_path / "lying.webm"
    lying.write_bytes(data[:at] + struct.pack(">d", 1000.0) + data[at + 8 :])
    assert (await probe(lying)).duration == pytest.approx(1.0)
    with pytest.raises(AudioError, match=r"too long: 61\.0 s"):
        await load_audio(lying)


async def test_too_big_is_refused_before_decoding(clips: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.wav"
    with big.open("wb") as out:
        out.truncate(decode.MAX_BYTES + 1)  # sparse zeros: refused as "not audio" if read first
    with pytest.raises(AudioError, match=r"too big: 10\.0 MB \(the limit is 10\.0 MB\)") as caught:
        await load_audio(big)
    assert caught.value.problem == "too_big"
    with pytest.raises(AudioError, match="too big"):
        await load_audio_bytes((clips / "voice.ogg").read_bytes(), max_bytes=1000)


async def test_corrupt_bytes_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "voice-message.ogg"
    junk.write_bytes(np.random.default_rng(1).bytes(20_000))
    with pytest.raises(AudioError, match=r"voice-message\.ogg is not a readable audio file") as e:
        await load_audio(junk)
    assert e.value.problem == "not_audio"
    # The right first bytes and junk after them: ffprobe, forced to Ogg, gives up.
    junk.write_bytes(b"OggS" + np.random.default_rng(2).bytes(20_000))
    with pytest.raises(AudioError, match=r"voice-message\.ogg is not a readable audio file") as e:
        await load_audio(junk)
    assert e.value.problem == "not_audio"


async def test_truncated_voice_message_is_refused(clips: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.ogg"
    cut.write_bytes((clips / "voice.ogg").read_bytes()[:300])
    with pytest.raises(AudioError) as caught:
        await load_audio(cut)
    assert caught.value.problem in ("not_audio", "corrupt", "silent")


async def test_text_file_is_not_audio(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("옛날 옛적에 토끼가 살았어요.\n" * 50, encoding="utf-8")
    with pytest.raises(AudioError, match=r"notes\.txt is not a readable audio file.*text"):
        await load_audio(text)
    with pytest.raises(AudioError, match="not a readable audio file"):
        await load_audio_bytes(text.read_bytes(), filename="clip.ogg")


async def test_pictures_and_silent_videos_have_no_audio(tmp_path: Path) -> None:
    png = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=8x8", "-frames:v", "1", str(png))
    with pytest.raises(AudioError, match=r"cover\.png is not a readable audio file.*a picture"):
        await load_audio(png)
    video = tmp_path / "silent.mkv"  # an allowed container holding only a picture
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=8x8", "-frames:v", "1", str(video))
    with pytest.raises(AudioError, match=r"has no audio in it \(ffprobe found: video\)") as e:
        await load_audio(video)
    assert e.value.problem == "not_audio"


async def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="does not exist") as caught:
        await load_audio(tmp_path / "nope.ogg")
    assert caught.value.problem == "not_found"


async def test_missing_ffmpeg_names_the_package(
    clips: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AudioError, match=r"apt-get install ffmpeg") as caught:
        await load_audio(clips / "voice.ogg")
    assert caught.value.problem == "ffmpeg_missing"
