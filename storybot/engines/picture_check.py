"""The picture check: NudeNet's detector looks at every painted picture before anyone sees it.

The default Flux schnell workflow samples at cfg 1.0, where ComfyUI ignores the negative prompt,
so nothing in the painting itself keeps nudity out: this check is what does. It runs NudeNet's
ONNX detector (`320n.onnx`, shipped inside the `nudenet` wheel, no download) on the CPU with
onnxruntime: about 50 ms for a 1024×1024 PNG, decoding included (0.2 s to load).

It fails closed: a picture that cannot be read or decoded, or a detector that cannot load, gives
a verdict with `safe=False` (and `checked=False`), never an exception, so the caller shows a
placeholder instead. Pictures are bounded before decoding (bytes and pixels), so a hostile or
broken file cannot exhaust memory.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storybot.config import NUDENET_LABELS, Settings
from storybot.errors import StorybotError, one_line

logger = logging.getLogger(__name__)

# Every label NudeNet 3.4's detector reports (nudenet/nudenet.py).
# Flagged by default (Settings holds the list): exposed intimate parts. A bare chest (a boy
# swimming), bare feet or a belly are ordinary in picture books, so those labels are not.
DEFAULT_LABELS: tuple[str, ...] = Settings.model_fields["picture_check_labels"].default
DEFAULT_THRESHOLD: float = Settings.model_fields["picture_check_threshold"].default
# The detector drops boxes below this score itself, so a lower threshold cannot see more.
DETECTOR_FLOOR = 0.2
MAX_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 40_000_000  # above IMAGE_WIDTH × IMAGE_HEIGHT's 4096 × 4096, with room


class PictureCheckError(StorybotError):
    """The detector cannot be used (package or model missing, model does not load)."""


@dataclass(frozen=True)
class Detection:
    """One box the detector found: NudeNet's label, its score and where (x, y, w, h)."""

    label: str
    score: float
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class PictureVerdict:
    """What the check says of one picture.

    `safe` is False when a flagged label scored at or above the threshold, and also when the
    picture could not be checked (`checked=False`). `found` holds every detection, flagged or
    not, for the logs; `reason` is one line for a log or a book's note."""

    safe: bool
    checked: bool
    flagged: tuple[Detection, ...]
    found: tuple[Detection, ...]
    reason: str
    seconds: float


class PictureCheck:
    """NudeNet's detector, loaded once, judging pictures against a threshold and a label list.

    `check` is a coroutine that runs on a worker thread (decoding and inference are blocking
    CPU work); `check_blocking` is the same for callers already off the event loop. Both are
    safe to call from several threads at once.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        labels: Iterable[str] = DEFAULT_LABELS,
        model_path: Path | None = None,
    ) -> None:
        self.threshold = threshold
        self.labels = frozenset(labels)
        unknown = sorted(self.labels - NUDENET_LABELS)
        if unknown:
            raise PictureCheckError(f"unknown NudeNet labels: {', '.join(unknown)}")
        if not DETECTOR_FLOOR <= threshold <= 1.0:
            raise PictureCheckError(f"threshold {threshold} is outside {DETECTOR_FLOOR}..1")
        self.model_path = model_path
        self._detector: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the detector now (blocking, about 0.2 s); raise `PictureCheckError` if it can't.

        Checking loads it on first use anyway; call this to fail early or to time it."""
        with self._lock:
            if self._detector is not None:
                return
            try:
                from nudenet import NudeDetector, nudenet

                # A later nudenet may rename labels: then a configured label could never match.
                installed = frozenset(getattr(nudenet, "__labels", NUDENET_LABELS))
                if self.labels - installed:
                    unknown = ", ".join(sorted(self.labels - installed))
                    raise ValueError(f"the installed nudenet does not report {unknown}")
                path = self.model_path or default_model_path()
                if not path.is_file():
                    raise FileNotFoundError(f"{path} is missing: reinstall nudenet")
                self._detector = NudeDetector(model_path=str(path))
            except Exception as exc:  # ImportError, ONNX errors: all mean "cannot check"
                raise PictureCheckError(f"picture check cannot load: {one_line(exc)}") from exc

    async def check(self, picture: Path | bytes) -> PictureVerdict:
        """Judge a picture (a file or its bytes) on a worker thread; never raises."""
        return await asyncio.to_thread(self.check_blocking, picture)

    def check_blocking(self, picture: Path | bytes) -> PictureVerdict:
        """Judge a picture on this thread (blocking CPU work); never raises."""
        started = time.perf_counter()
        try:
            self.load()
        except PictureCheckError as exc:
            logger.error("%s: the picture counts as unsafe", exc)
            return _unchecked(str(exc), started)
        try:
            image = _decode(picture)
        except _Unreadable as exc:
            logger.warning("Picture not checkable: %s", exc)
            return _unchecked(f"not checkable: {exc}", started)
        try:
            raw = self._detector.detect(image)
        except Exception as exc:  # the detector's own failure must not lose the book
            logger.exception("Picture check failed")
            return _unchecked(f"detector failed: {one_line(exc)}", started)
        found = tuple(
            sorted(
                (
                    Detection(str(d["class"]), float(d["score"]), tuple(int(v) for v in d["box"]))
                    for d in raw
                ),
                key=lambda d: -d.score,
            )
        )
        flagged = tuple(d for d in found if d.label in self.labels and d.score >= self.threshold)
        seconds = time.perf_counter() - started
        if flagged:
            reason = "flagged: " + ", ".join(f"{d.label} {d.score:.2f}" for d in flagged)
            logger.warning("Picture %s (%.0f ms)", reason, seconds * 1000)
        else:
            reason = "clean"
            logger.debug("Picture clean (%.0f ms), found %s", seconds * 1000, found)
        return PictureVerdict(not flagged, True, flagged, found, reason, seconds)


def default_model_path() -> Path:
    """Where the `nudenet` wheel keeps its detector (without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("nudenet")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the nudenet package is not installed: run `pip install -e .`")
    return Path(spec.origin).parent / "320n.onnx"


def _unchecked(reason: str, started: float) -> PictureVerdict:
    return PictureVerdict(False, False, (), (), reason, time.perf_counter() - started)


# --- reading a picture, bounded ---------------------------------------------------------------


class _Unreadable(Exception):
    """The picture cannot be checked: missing, too big, not an image, or broken."""


def _decode(picture: Path | bytes) -> Any:
    """The picture as a BGR uint8 array (what `cv2.imread` gives NudeNet for a file)."""
    import cv2
    import numpy as np

    data = _read(picture)
    width, height = _declared_size(data)
    if width * height > MAX_PIXELS:
        raise _Unreadable(f"{width}×{height} is more than {MAX_PIXELS:,} pixels")
    # IMREAD_COLOR: 3 channels, 8 bits, whatever the file (grey, alpha, 16-bit).
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise _Unreadable(f"the {width}×{height} picture does not decode (truncated or broken)")
    return image


def _read(picture: Path | bytes) -> bytes:
    if isinstance(picture, bytes | bytearray | memoryview):
        data = bytes(picture)
    else:
        try:
            if Path(picture).stat().st_size > MAX_BYTES:
                raise _Unreadable(f"{picture} is larger than {MAX_BYTES // 2**20} MB")
            data = Path(picture).read_bytes()
        except OSError as exc:
            raise _Unreadable(one_line(exc)) from exc
    if not data:
        raise _Unreadable("the picture is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise _Unreadable(f"the picture is larger than {MAX_BYTES // 2**20} MB")
    return data


def _declared_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG, JPEG or WebP header, before anything is allocated."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            if data[12:16] != b"IHDR":
                raise _Unreadable("the PNG's header is missing or cut short")
            width, height = struct.unpack(">II", data[16:24])
        elif data.startswith(b"\xff\xd8"):
            width, height = _jpeg_size(data)
        elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
            width, height = _webp_size(data)
        else:
            raise _Unreadable("not a PNG, JPEG or WebP picture")
    except (struct.error, IndexError) as exc:
        raise _Unreadable("the picture's header is cut short") from exc
    if width <= 0 or height <= 0:
        raise _Unreadable(f"the picture is {width}×{height} pixels")
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            raise _Unreadable("the JPEG's markers are broken")
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a length
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    raise _Unreadable("the JPEG has no frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    kind = data[12:16]
    if kind == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    elif kind == b"VP8 ":
        width, height = (v & 0x3FFF for v in struct.unpack("<HH", data[26:30]))
    elif kind == b"VP8L":
        (bits,) = struct.unpack("<I", data[21:25])
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    else:
        raise _Unreadable(f"unknown WebP chunk {kind!r}")
    return width, height
