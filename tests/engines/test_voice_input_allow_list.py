"""Voice input is bounded: the content picks the demuxer from an allow-list, never the name;
playlists, concat lists, SDP and other strangers are refused at once; every probe and decode
has a deadline and its process dies with the request (issue 9, case 3)."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from storybot.engines.stt import decode
from storybot.engines.stt.decode import AudioError, load_audio, load_audio_bytes, probe, sniff
from tests.support.processes import cancel_once_ffmpeg_runs, ffmpeg_children
from tests.support.tiny_whisper import encode_voice_message, tone

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="needs ffmpeg (apt-get install ffmpeg)",
)


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One 2 s clip in each container on the allow-list."""
    folder = tmp_path_factory.mktemp("allowed")
    wav = tone(folder / "tone.wav", 2.0)
    return {
        "ogg": encode_voice_message(wav, folder / "voice.ogg"),
        "webm": tone(folder / "tone.webm", 2.0, "-c:a", "libopus"),
        "mkv": tone(folder / "tone.mkv", 2.0, "-c:a", "flac"),
        "mp3": tone(folder / "tone.mp3", 2.0),
        "m4a": tone(folder / "tone.m4a", 2.0, "-c:a", "aac"),
        "mp4": tone(folder / "tone.mp4", 2.0, "-c:a", "aac"),
        "mov": tone(folder / "tone.mov", 2.0, "-c:a", "aac"),
        "wav": wav,
        "flac": tone(folder / "tone.flac", 2.0),
    }


@pytest.mark.parametrize("kind", ["ogg", "webm", "mkv", "mp3", "m4a", "mp4", "mov", "wav", "flac"])
async def test_every_allowed_container_is_read_whatever_its_name(
    allowed: dict[str, Path], kind: str
) -> None:
    # The sender's name and extension are ignored: the first bytes decide.
    for name in ("voice-message.txt", "clip.m3u8", "concat:/etc/passwd|x.ogg", "../../x"):
        samples = await load_audio_bytes(allowed[kind].read_bytes(), filename=name)
        assert abs(samples.size / decode.SAMPLE_RATE - 2.0) < 0.1


async def test_a_wav_name_with_ogg_inside_is_read_as_ogg(allowed: dict[str, Path]) -> None:
    samples = await load_audio_bytes(allowed["ogg"].read_bytes(), filename="voice-message.wav")
    assert abs(samples.size / decode.SAMPLE_RATE - 2.0) < 0.1


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("voice.ogg", b"OggS" + bytes(100))
    return buffer.getvalue()


REFUSED = {
    "m3u playlist": (
        "voice-message.m3u",
        b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
        "a playlist",
    ),
    "playlist named .ogg": (
        "voice-message.ogg",
        b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n/etc/hostname\n#EXT-X-ENDLIST\n",
        "a playlist",
    ),
    "pls playlist": ("clip.mp3", b"[playlist]\nFile1=/etc/passwd\nNumberOfEntries=1\n", "playlist"),
    "concat list": ("clip.wav", b"ffconcat version 1.0\nfile /etc/passwd\n", "concat list"),
    "sdp": (
        "clip.ogg",
        b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
        b"m=audio 5004 RTP/AVP 96\na=rtpmap:96 opus/48000/2\n",
        "SDP",
    ),
    "random bytes": ("voice-message.ogg", np.random.default_rng(7).bytes(4096), "unrecognised"),
    "zip": ("voice-message.ogg", _zip(), "a zip archive"),
    "adts aac": ("clip.m4a", b"\xff\xf1\x50\x80" + bytes(200), "unrecognised"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_strangers_are_refused_at_once(case: str) -> None:
    filename, data, looks_like = REFUSED[case]
    started = time.perf_counter()
    with pytest.raises(AudioError, match="is not a readable audio file") as refused:
        await load_audio_bytes(data, filename=filename)
    assert refused.value.problem == "not_audio"
    assert looks_like in str(refused.value)
    assert filename in str(refused.value)  # named for the logs as the sender named it
    assert time.perf_counter() - started < 1.0
    assert ffmpeg_children() == []


def test_sniff_knows_the_allow_list_by_first_bytes() -> None:
    assert sniff(b"OggS\x00\x02") == "ogg"
    assert sniff(b"\x1a\x45\xdf\xa3\x9f") == "matroska"
    assert sniff(b"fLaC\x00\x00\x00\x22") == "flac"
    assert sniff(b"RIFF\x24\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff(b"RIFF\x24\x00\x00\x00AVI LIST") is None  # RIFF, but a video
    assert sniff(b"\x00\x00\x00\x1cftypM4A \x00\x00") == "mov"
    assert sniff(b"ID3\x04\x00") == "mp3"
    assert sniff(b"\xff\xfb\x90\x64") == "mp3"  # MPEG-1 layer III frame
    assert sniff(b"\xff\xf1\x50\x80") is None  # ADTS AAC: not on the list
    assert sniff(b"#EXTM3U\n") is None
    assert sniff(b"") is None


async def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    # A reader of a FIFO without a writer blocks forever; it is not a file, so never read.
    fifo = tmp_path / "voice.ogg"
    os.mkfifo(fifo)
    started = time.perf_counter()
    with pytest.raises(AudioError, match="does not exist") as refused:
        await load_audio(fifo)
    assert refused.value.problem == "not_found"
    with pytest.raises(AudioError, match="does not exist"):
        await probe(fifo)
    assert time.perf_counter() - started < 1.0


async def test_probe_and_decode_are_killed_at_their_deadline(allowed: dict[str, Path]) -> None:
    # A deadline shorter than any program's start-up: the process is running when it passes.
    with pytest.raises(AudioError, match=r"could not be probed in 0\.001 s") as late:
        await probe(allowed["ogg"], timeout=0.001)
    assert late.value.problem == "corrupt"
    assert ffmpeg_children() == []
    with pytest.raises(AudioError, match=r"in 0\.001 s") as late:
        await load_audio(allowed["m4a"], timeout=0.001)
    assert late.value.problem == "corrupt"
    assert ffmpeg_children() == []
    samples = await load_audio(allowed["m4a"])  # and the next clip is read as usual
    assert samples.size > 0


async def test_a_cancelled_decode_leaves_no_process_and_no_file(
    allowed: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # to see the private folder go
    data = allowed["ogg"].read_bytes()
    task = asyncio.create_task(load_audio_bytes(data, filename="voice-message.ogg"))
    assert await cancel_once_ffmpeg_runs(task, wait=10) < 1.0
    assert list(tmp_path.glob("storybot-audio-*")) == []
