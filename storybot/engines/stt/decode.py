"""Audio in: identify, probe and decode a clip to 16 kHz mono float32 with ffmpeg, bounded.

Discord voice messages are ogg/opus at 48 kHz; people also attach mp3, wav, m4a… Whatever comes
in, Whisper wants 16 kHz mono float32 samples. A clip is a stranger's file, so:

- Only containers on an allow-list are read, recognised by their first bytes, never by the name
  or content type the sender gave; ffprobe and ffmpeg are then *forced* to that one demuxer
  (`-f`, `-format_whitelist`) and to plain local files (`-protocol_whitelist file`). Playlists
  (HLS), concat lists and SDP files, which make ffmpeg open other files or hosts, are refused.
- In-memory clips are written under a neutral name (`clip.bin`) in a private folder.
- Size is checked before anything is read, length from ffprobe before decoding, and again
  while decoding, because a header may lie about the length.
- Probe and decode are asyncio subprocesses with deadlines, killed on timeout or cancellation
  (`storybot.processes`), so a hostile clip never holds a thread or outlives its request.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from storybot import processes
from storybot.config import Settings
from storybot.errors import StorybotError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""What Whisper's feature extractor expects."""
MAX_SECONDS: float = Settings.model_fields["stt_max_seconds"].default
"""Longest clip accepted (STT_MAX_SECONDS); a field answer is a few seconds."""
MAX_BYTES: int = Settings.model_fields["stt_max_bytes"].default
"""Largest file accepted (STT_MAX_BYTES: 10 MB, Discord's upload limit without Nitro)."""
PROBE_TIMEOUT = 10.0
"""ffprobe reads a header in milliseconds; anything slower is stuck or hostile."""
DECODE_TIMEOUT = 30.0
"""Probe and decode together: a 60 s clip decodes in well under a second."""

ACCEPTED = "Ogg/Opus, WebM/Matroska, MP3, M4A/MP4/MOV, WAV, FLAC"
"""The allow-list, in words, for messages."""

AudioProblem = Literal[
    "ffmpeg_missing", "not_found", "too_big", "too_long", "not_audio", "corrupt", "silent"
]


class AudioError(StorybotError):
    """The audio cannot be used; `problem` says why, for a localised reply."""

    def __init__(self, message: str, *, problem: AudioProblem) -> None:
        super().__init__(message)
        self.problem: AudioProblem = problem


@dataclass(frozen=True)
class AudioInfo:
    """What ffprobe says about a file's first audio stream."""

    duration: float | None
    codec: str
    container: str
    sample_rate: int | None
    channels: int | None


def ffmpeg_programs() -> tuple[str, str]:
    """Paths of `ffmpeg` and `ffprobe`; both come with the Debian package `ffmpeg`."""
    ffmpeg_path = shutil.which("ffmpeg")
    ffprobe_path = shutil.which("ffprobe")
    if ffmpeg_path is None or ffprobe_path is None:
        missing = " and ".join(
            name for name, path in (("ffmpeg", ffmpeg_path), ("ffprobe", ffprobe_path)) if not path
        )
        raise AudioError(
            f"{missing} not found on PATH: install the `ffmpeg` package "
            "(`apt-get install ffmpeg` on Debian/Ubuntu)",
            problem="ffmpeg_missing",
        )
    return ffmpeg_path, ffprobe_path


def check_size(size: int, max_bytes: int = MAX_BYTES) -> None:
    """Refuse a file larger than `max_bytes`."""
    if size > max_bytes:
        raise AudioError(
            f"audio file is too big: {_size(size)} (the limit is {_size(max_bytes)})",
            problem="too_big",
        )


def check_length(seconds: float, max_seconds: float = MAX_SECONDS) -> None:
    """Refuse a clip longer than `max_seconds`."""
    if seconds > max_seconds:
        raise AudioError(
            f"audio clip is too long: {seconds:.1f} s (the limit is {max_seconds:g} s)",
            problem="too_long",
        )


# Box types an ISO-BMFF / QuickTime file starts with (m4a, mp4, mov, 3gp).
_MOV_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


def sniff(head: bytes) -> str | None:
    """The ffmpeg demuxer for a file starting with `head` (16 bytes do), if it is allowed."""
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska and WebM
        return "matroska"
    if head.startswith(b"fLaC"):
        return "flac"
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] in _MOV_BOXES:
        return "mov"
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return "mp3"
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header (layer I-III; ADTS AAC has layer 0 and is not mp3)."""
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    return version != 0b01 and layer != 0b00


def _looks_like(head: bytes) -> str:
    """What a refused file seems to be, for the message."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    known = (
        ((b"#extm3u", b"#ext", b"[playlist]", b"<?xml", b"<smil"), "a playlist"),
        ((b"ffconcat",), "an ffmpeg concat list"),
        ((b"v=0",), "an SDP session description"),
        ((b"pk\x03\x04",), "a zip archive"),
        ((b"\x89png", b"\xff\xd8\xff", b"gif8"), "a picture"),
    )
    for prefixes, what in known:
        if text.startswith(prefixes):
            return what
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unrecognised data"
    return "text"


def identify(path: Path, name: str | None = None) -> str:
    """The demuxer for `path` from its first bytes; refuse anything not on the allow-list."""
    name = name or path.name
    # A regular file only: a FIFO or device would block the reader (and is no upload).
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist", problem="not_found")
    with path.open("rb") as handle:
        head = handle.read(16)
    demuxer = sniff(head)
    if demuxer is None:
        raise AudioError(
            f"{name} is not a readable audio file: it looks like {_looks_like(head)} "
            f"(accepted: {ACCEPTED})",
            problem="not_audio",
        )
    return demuxer


def _input_options(demuxer: str) -> list[str]:
    """ffmpeg/ffprobe options that pin the input to one demuxer and to local files."""
    options = ["-protocol_whitelist", "file", "-format_whitelist", demuxer, "-f", demuxer]
    if demuxer == "mov":
        options += ["-enable_drefs", "0"]  # never follow references to other files
    return options


async def probe(
    path: Path, *, timeout: float = PROBE_TIMEOUT, name: str | None = None
) -> AudioInfo:
    """Identify and ffprobe `path`; raise `AudioError` if it is refused or has no audio."""
    _, ffprobe_path = ffmpeg_programs()
    path = Path(path)
    name = name or path.name
    demuxer = identify(path, name)
    return await _probe(ffprobe_path, path, demuxer, name, timeout)


async def _probe(
    ffprobe_path: str, path: Path, demuxer: str, name: str, timeout: float
) -> AudioInfo:
    command = [
        ffprobe_path,
        *("-v", "error", "-hide_banner"),
        *_input_options(demuxer),
        *("-show_format", "-show_streams", "-of", "json"),
        f"file:{path.resolve()}",  # `file:` so no part of a name is read as a protocol
    ]
    try:
        result = await processes.run(command, timeout=timeout)
    except TimeoutError:
        raise AudioError(
            f"{name} could not be probed in {timeout:g} s", problem="corrupt"
        ) from None
    if result.returncode != 0:
        raise AudioError(
            f"{name} is not a readable audio file: {_complaint(result, path)}",
            problem="not_audio",
        )
    info: dict[str, Any] = json.loads(result.stdout or b"{}")
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        found = ", ".join(s.get("codec_type", "?") for s in info.get("streams", [])) or "nothing"
        raise AudioError(f"{name} has no audio in it (ffprobe found: {found})", problem="not_audio")
    stream = streams[0]
    fmt = info.get("format", {})
    return AudioInfo(
        duration=_number(fmt.get("duration")) or _number(stream.get("duration")),
        codec=str(stream.get("codec_name", "?")),
        container=str(fmt.get("format_name", "?")),
        sample_rate=_int(stream.get("sample_rate")),
        channels=_int(stream.get("channels")),
    )


async def load_audio(
    path: Path,
    *,
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
    sample_rate: int = SAMPLE_RATE,
    timeout: float = DECODE_TIMEOUT,
    name: str | None = None,
) -> np.ndarray:
    """Decode `path` to mono float32 at `sample_rate`, after checking size, kind and length.

    `timeout` bounds probe and decode together; `name` is how messages call the file.
    """
    ffmpeg_path, ffprobe_path = ffmpeg_programs()
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist", problem="not_found")
    check_size(path.stat().st_size, max_bytes)
    demuxer = identify(path, name)
    started = time.perf_counter()
    info = await _probe(ffprobe_path, path, demuxer, name, min(timeout, PROBE_TIMEOUT))
    if info.duration is not None:
        check_length(info.duration, max_seconds)
    command = [
        ffmpeg_path,
        *("-nostdin", "-hide_banner", "-loglevel", "error"),
        *_input_options(demuxer),
        *("-i", f"file:{path.resolve()}"),
        *("-map", "0:a:0", "-ac", "1", "-ar", str(sample_rate)),
        # Decode a little past the limit, so a lying header is caught below.
        *("-t", f"{max_seconds + 1:g}"),
        *("-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"),
    ]
    left = max(0.0, timeout - (time.perf_counter() - started))
    try:
        result = await processes.run(command, timeout=left)
    except TimeoutError:
        raise AudioError(
            f"{name} could not be decoded in {timeout:g} s", problem="corrupt"
        ) from None
    if result.returncode != 0:
        raise AudioError(
            f"{name} could not be decoded ({info.codec} in {info.container}): "
            f"{_complaint(result, path)}",
            problem="corrupt",
        )
    samples = np.frombuffer(result.stdout, dtype=np.float32)
    if samples.size == 0:
        raise AudioError(f"{name} contains no sound", problem="silent")
    check_length(samples.size / sample_rate, max_seconds)
    log.debug(
        "Decoded %s (%s in %s, %s Hz, %s ch): %.2f s",
        name,
        info.codec,
        info.container,
        info.sample_rate,
        info.channels,
        samples.size / sample_rate,
    )
    return samples.copy()  # frombuffer is read-only; the engines may want to write


async def load_audio_bytes(
    data: bytes,
    *,
    filename: str = "voice message",
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
    sample_rate: int = SAMPLE_RATE,
    timeout: float = DECODE_TIMEOUT,
) -> np.ndarray:
    """Decode audio held in memory (a Discord attachment); `filename` only names it in messages.

    The content alone decides how it is read: the sender's name and extension are not used.
    """
    check_size(len(data), max_bytes)
    name = Path(filename).name[:100] or "voice message"
    # A file, not a pipe: m4a/mp4 keep their index at the end and cannot be probed from a pipe.
    # mkdtemp makes the folder private (0700); the neutral name gives ffmpeg no hint.
    with tempfile.TemporaryDirectory(prefix="storybot-audio-") as folder:
        path = Path(folder) / "clip.bin"
        path.write_bytes(data)
        return await load_audio(
            path,
            max_seconds=max_seconds,
            max_bytes=max_bytes,
            sample_rate=sample_rate,
            timeout=timeout,
            name=name,
        )


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.1f} KB"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _complaint(result: processes.Completed, path: Path) -> str:
    """ffmpeg's last complaint, without the (possibly temporary) path it starts with."""
    line = result.last_lines()
    if not line:
        return "no details from ffmpeg"
    for prefix in (f"file:{path.resolve()}: ", f"{path.resolve()}: ", f"{path}: "):
        line = line.removeprefix(prefix)
    return line.strip()
