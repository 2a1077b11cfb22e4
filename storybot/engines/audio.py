"""Audio in: probe and decode any audio file to 16 kHz mono float32 with ffmpeg (ffmpeg-python).

Discord voice messages are ogg/opus at 48 kHz; people also attach mp3, wav, m4a… Whatever comes
in, Whisper wants 16 kHz mono float32 samples. Limits are checked *before* decoding: the file
size from the file system, the length from ffprobe's header. Decoding is capped at the limit
as well, because a header may lie about the length.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import ffmpeg
import numpy as np

from storybot.errors import StorybotError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""What Whisper's feature extractor expects."""
MAX_SECONDS = 60.0
"""Longest clip accepted; a field answer is a few seconds."""
MAX_BYTES = 10 * 1024 * 1024
"""Largest file accepted (10 MB, Discord's upload limit without Nitro)."""
DECODE_TIMEOUT = 120.0
"""A 60 s clip decodes in well under a second; anything slower is stuck."""

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


def probe(path: Path) -> AudioInfo:
    """ffprobe `path`; raise `AudioError` if it is missing, unreadable or has no audio."""
    _, ffprobe_path = ffmpeg_programs()
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist", problem="not_found")
    try:
        info: dict[str, Any] = ffmpeg.probe(str(path), cmd=ffprobe_path)
    except ffmpeg.Error as exc:
        raise AudioError(
            f"{path.name} is not a readable audio file: {_last_line(exc.stderr, path)}",
            problem="not_audio",
        ) from None
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        found = ", ".join(s.get("codec_type", "?") for s in info.get("streams", [])) or "nothing"
        raise AudioError(
            f"{path.name} has no audio in it (ffprobe found: {found})", problem="not_audio"
        )
    stream = streams[0]
    fmt = info.get("format", {})
    return AudioInfo(
        duration=_number(fmt.get("duration")) or _number(stream.get("duration")),
        codec=str(stream.get("codec_name", "?")),
        container=str(fmt.get("format_name", "?")),
        sample_rate=_int(stream.get("sample_rate")),
        channels=_int(stream.get("channels")),
    )


def load_audio(
    path: Path,
    *,
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Decode `path` to mono float32 at `sample_rate`, after checking size and length."""
    ffmpeg_path, _ = ffmpeg_programs()
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist", problem="not_found")
    check_size(path.stat().st_size, max_bytes)
    info = probe(path)
    if info.duration is not None:
        check_length(info.duration, max_seconds)
    stream = (
        ffmpeg.input(str(path))
        .output(
            "pipe:",
            format="f32le",
            acodec="pcm_f32le",
            ac=1,
            ar=sample_rate,
            # Decode a little past the limit, so a lying header is caught below.
            t=max_seconds + 1,
            vn=None,
            sn=None,
            dn=None,
        )
        .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
    )
    command = ffmpeg.compile(stream, cmd=ffmpeg_path)
    try:
        result = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise AudioError(
            f"{path.name} could not be decoded in {DECODE_TIMEOUT:g} s", problem="corrupt"
        ) from None
    if result.returncode != 0:
        raise AudioError(
            f"{path.name} could not be decoded ({info.codec} in {info.container}): "
            f"{_last_line(result.stderr, path)}",
            problem="corrupt",
        )
    samples = np.frombuffer(result.stdout, dtype=np.float32)
    if samples.size == 0:
        raise AudioError(f"{path.name} contains no sound", problem="silent")
    check_length(samples.size / sample_rate, max_seconds)
    log.debug(
        "Decoded %s (%s in %s, %s Hz, %s ch): %.2f s",
        path.name,
        info.codec,
        info.container,
        info.sample_rate,
        info.channels,
        samples.size / sample_rate,
    )
    return samples.copy()  # frombuffer is read-only; the engines may want to write


def load_audio_bytes(
    data: bytes,
    *,
    filename: str = "voice-message.ogg",
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Decode audio held in memory (a Discord attachment); `filename` gives ffmpeg a hint."""
    check_size(len(data), max_bytes)
    # A file, not a pipe: m4a/mp4 keep their index at the end and cannot be probed from a pipe.
    suffix = Path(filename).suffix or ".bin"
    with tempfile.TemporaryDirectory(prefix="storybot-audio-") as folder:
        path = Path(folder) / f"clip{suffix}"
        path.write_bytes(data)
        return load_audio(
            path, max_seconds=max_seconds, max_bytes=max_bytes, sample_rate=sample_rate
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


def _last_line(stderr: bytes | None, path: Path) -> str:
    """ffmpeg's last complaint, without the (possibly temporary) path it starts with."""
    lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return "no details from ffmpeg"
    return lines[-1].removeprefix(f"{path}: ").strip()
