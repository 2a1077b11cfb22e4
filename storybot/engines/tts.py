"""Narration: page text → WAV, by Supertonic (ONNX Runtime on CPU) or espeak-ng.

Both engines share the `Narrator` protocol; `make_narrator` picks one from `TTS_ENGINE`.
Supertonic is the book's voice; espeak-ng is a robotic but tiny fallback for machines
without the Supertonic model.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, get_args

import numpy as np
import soundfile as sf

from storybot.config import Language, Settings, Voice
from storybot.doctor import Check, CheckStatus
from storybot.errors import StorybotError, one_line
from storybot.logs import timing

if TYPE_CHECKING:
    from supertonic import TTS, Style

log = logging.getLogger(__name__)

DEFAULT_SPEED = 1.05
DEFAULT_STEPS = 10
DEFAULT_WORKERS = 2
SUPERTONIC_MODEL = "supertonic-3"
SUPERTONIC_SIZE = "about 400 MB"
_GRAPHS = ("duration_predictor", "text_encoder", "vector_estimator", "vocoder")
SUPERTONIC_FILES = (
    *(f"onnx/{g}.onnx" for g in _GRAPHS),
    "onnx/tts.json",
    "onnx/unicode_indexer.json",
)
VOICES: tuple[str, ...] = get_args(Voice)
ESPEAK_PROGRAM = "espeak-ng"
ESPEAK_LANGUAGES: dict[str, str] = {"ko": "ko", "en": "en-us"}
ESPEAK_WPM = 175  # espeak-ng's own default rate; `speed` scales it like Supertonic's
ESPEAK_TIMEOUT = 60.0
ESPEAK_RATE = 22050  # espeak-ng's fixed output rate
SILENCE_DBFS = -50.0
KEPT_TAIL = 0.15  # seconds of quiet kept after the last sound, so the voice does not clip
EMPTY_PAGE = KEPT_TAIL  # seconds of silence for a page with nothing speakable

# Emoji, pictographs, control and format characters (ZWJ, variation selectors) are never read.
_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cc", "Cf", "Cs", "Co", "Cn"})
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,!?;:…])")


class TTSError(StorybotError):
    """Narration is impossible: engine missing, model missing or unusable, synthesis failed."""


@dataclass(frozen=True)
class NarrationResult:
    """One narrated page: the WAV file and how long it plays."""

    path: Path
    seconds: float
    sample_rate: int
    engine: str


class Narrator(Protocol):
    """Turns page text into a WAV file; safe to call for several pages at once."""

    name: str

    async def load(self) -> None: ...

    async def narrate(
        self,
        text: str,
        out_path: Path,
        *,
        language: Language = "ko",
        voice: Voice | None = None,
    ) -> NarrationResult: ...

    async def close(self) -> None: ...


def clean_text(text: str, is_speakable: Callable[[str], bool] | None = None) -> str:
    """Text without what an engine cannot read: emoji, symbols, and (given `is_speakable`)
    every character outside the model's vocabulary. Accents are dropped before letters are."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", unicodedata.normalize("NFKC", text)):
        kept = []
        for char in paragraph:
            if char.isspace() or unicodedata.category(char) in _DROPPED_CATEGORIES:
                kept.append(" ")
            elif is_speakable is None or is_speakable(char):
                kept.append(char)
            else:
                # "é" → "e" is better than nothing when the accent is outside the vocabulary.
                bare = "".join(
                    c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
                )
                kept.append(bare if bare and all(map(is_speakable, bare)) else " ")
        line = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join("".join(kept).split()))
        if line:
            paragraphs.append(line)
    return "\n\n".join(paragraphs)


def has_words(text: str) -> bool:
    """Whether anything is left to read aloud (a letter or digit)."""
    return any(char.isalnum() for char in text)


def trim_trailing_silence(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cut the quiet tail, keeping `KEPT_TAIL` seconds after the last audible sample."""
    threshold = 10 ** (SILENCE_DBFS / 20)
    loud = np.flatnonzero(np.abs(samples) > threshold)
    keep = int(KEPT_TAIL * sample_rate)
    end = keep if loud.size == 0 else int(loud[-1]) + 1 + keep
    return samples[: min(end, len(samples))]


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> float:
    """Write 16-bit mono PCM, trailing silence trimmed; returns the duration in seconds.

    The file appears under its name only once complete (written beside it, then renamed),
    because the bot attaches each page's WAV the moment it exists."""
    mono = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
    mono = trim_trailing_silence(mono, sample_rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    sf.write(partial, mono, sample_rate, format="WAV", subtype="PCM_16")
    os.replace(partial, path)
    return len(mono) / sample_rate


def write_silence(path: Path, sample_rate: int) -> float:
    """A short silent WAV, for a page with nothing speakable, so the book stays whole."""
    return write_wav(path, np.zeros(int(EMPTY_PAGE * sample_rate), np.float32), sample_rate)


def missing_model_files(model_dir: Path) -> list[str]:
    """The Supertonic files absent from `model_dir` (empty when the folder is complete)."""
    missing = [name for name in SUPERTONIC_FILES if not (model_dir / name).is_file()]
    if not any((model_dir / "voice_styles").glob("*.json")):
        missing.append("voice_styles/*.json")
    return missing


def _check_request(voice: str, language: str = "ko") -> None:
    if voice not in VOICES:
        raise TTSError(f"unknown voice {voice!r}: choose one of {', '.join(VOICES)}")
    if language not in ESPEAK_LANGUAGES:
        raise TTSError(f"unknown language {language!r}: choose one of ko, en")


class SupertonicNarrator:
    """Supertonic on CPU: the model is loaded once, on first use, and kept.

    With `model_dir` (TTS_MODEL_DIR) nothing is ever downloaded; without it supertonic fetches
    the model once into its cache (~/.cache/supertonic3, or SUPERTONIC_CACHE_DIR)."""

    name = "supertonic"

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        voice: Voice = "M2",
        model: str = SUPERTONIC_MODEL,
        speed: float = DEFAULT_SPEED,
        steps: int = DEFAULT_STEPS,
        workers: int = DEFAULT_WORKERS,
        threads: int | None = None,
    ) -> None:
        _check_request(voice)
        self.model_dir = model_dir
        self.voice = voice
        self.model = model
        self.speed = speed
        self.steps = steps
        self.workers = max(1, workers)
        # Pages in parallel share the cores instead of each asking ONNX Runtime for all of them.
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.workers)
        self._tts: TTS | None = None
        self._styles: dict[str, Style] = {}
        self._speakable: dict[str, bool] = {}
        self._load_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tts")

    async def load(self) -> None:
        """Load the model (once) in the worker pool, off the event loop."""
        if self._tts is None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._load_blocking)

    def _loaded(self) -> TTS:
        if self._tts is None:
            raise TTSError("the Supertonic model is not loaded yet: await load() first")
        return self._tts

    def _load_blocking(self) -> TTS:
        with self._load_lock:
            if self._tts is None:
                self._tts = self._open_model()
            return self._tts

    def _open_model(self) -> TTS:
        if self.model_dir is not None:
            # Checked here so a wrong folder fails at once, never by a download attempt.
            missing = missing_model_files(self.model_dir)
            if missing:
                raise TTSError(
                    f"TTS_MODEL_DIR={self.model_dir} has no complete Supertonic model "
                    f"(missing {', '.join(missing)}). Put the {self.model} model "
                    f"({SUPERTONIC_SIZE}, https://huggingface.co/Supertone/{self.model}) there, "
                    "unset TTS_MODEL_DIR to let supertonic download it once, "
                    "or set TTS_ENGINE=espeak"
                )
        from supertonic import TTS, loader
        from supertonic.config import get_model_cache_dir

        folder = self.model_dir or get_model_cache_dir(self.model)
        if self.model_dir is None and missing_model_files(folder):
            with timing(log, f"Supertonic {self.model} download ({SUPERTONIC_SIZE}) to {folder}"):
                try:
                    loader.download_model(folder, self.model)
                except Exception as exc:  # supertonic wraps every hub failure in RuntimeError
                    raise TTSError(
                        f"the Supertonic model ({SUPERTONIC_SIZE}) could not be downloaded into "
                        f"{folder}: {one_line(exc)}. Download it elsewhere and set TTS_MODEL_DIR "
                        "to it, "
                        "or set TTS_ENGINE=espeak"
                    ) from None
        with timing(log, f"Supertonic model load from {folder}"):
            try:
                tts = TTS(
                    model=self.model,
                    model_dir=folder,
                    auto_download=False,
                    intra_op_num_threads=self.threads,
                    inter_op_num_threads=1,
                )
            except Exception as exc:  # corrupt ONNX or JSON comes in several exception types
                raise TTSError(
                    f"the Supertonic model in {folder} could not be loaded: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
        log.info(
            "Supertonic %s loaded: %d Hz, %d thread(s)", self.model, tts.sample_rate, self.threads
        )
        return tts

    def _style(self, tts: TTS, voice: str) -> Style:
        if voice not in self._styles:
            try:
                self._styles[voice] = tts.get_voice_style(voice)
            except (FileNotFoundError, ValueError) as exc:
                raise TTSError(f"voice {voice} is not usable in {tts.model_dir}: {exc}") from None
        return self._styles[voice]

    def _is_speakable(self, char: str) -> bool:
        if char not in self._speakable:
            # The model's own check (NFKD, then its unicode indexer), so synthesis never refuses.
            self._speakable[char] = self._loaded().model.text_processor.validate_text(char)[0]
        return self._speakable[char]

    def clean(self, text: str) -> str:
        """`text` as this model will read it (needs the model loaded)."""
        self._loaded()
        return clean_text(text, self._is_speakable)

    async def narrate(
        self,
        text: str,
        out_path: Path,
        *,
        language: Language = "ko",
        voice: Voice | None = None,
    ) -> NarrationResult:
        """Synthesise `text` into a WAV at `out_path` (44.1 kHz, 16-bit mono)."""
        _check_request(voice or self.voice, language)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._narrate_blocking, text, out_path, language, voice or self.voice
        )

    def _narrate_blocking(
        self, text: str, out_path: Path, language: str, voice: str
    ) -> NarrationResult:
        tts = self._load_blocking()
        style = self._style(tts, voice)
        spoken = self.clean(text)
        with timing(log, f"TTS {out_path.name} ({len(spoken)} chars, {language}, {voice})"):
            if not has_words(spoken):
                log.warning("Nothing speakable in %r; %s is silence", text[:40], out_path.name)
                seconds = write_silence(out_path, tts.sample_rate)
                return NarrationResult(out_path, seconds, tts.sample_rate, self.name)
            try:
                samples, _ = tts.synthesize(
                    spoken,
                    voice_style=style,
                    total_steps=self.steps,
                    speed=self.speed,
                    lang=language,
                )
            except Exception as exc:  # ONNX Runtime and supertonic raise several types
                raise TTSError(
                    f"Supertonic failed on {out_path.name}: {type(exc).__name__}: {exc}"
                ) from None
            seconds = write_wav(out_path, samples, tts.sample_rate)
        return NarrationResult(out_path, seconds, tts.sample_rate, self.name)

    async def close(self) -> None:
        """Stop the worker pool and drop the model."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._tts = None
        self._styles.clear()


class EspeakNarrator:
    """espeak-ng (Debian package `espeak-ng`) as a subprocess: 22.05 kHz, robotic, tiny."""

    name = "espeak-ng"

    def __init__(
        self,
        *,
        voice: Voice = "M2",
        speed: float = DEFAULT_SPEED,
        workers: int = DEFAULT_WORKERS,
        program: str = ESPEAK_PROGRAM,
    ) -> None:
        _check_request(voice)
        self.voice = voice
        self.speed = speed
        self.program = program
        self._slots = asyncio.Semaphore(max(1, workers))

    def _path(self) -> str:
        path = shutil.which(self.program)
        if path is None:
            raise TTSError(
                f"{self.program} is not installed: `apt-get install espeak-ng` "
                "(Debian/Ubuntu package espeak-ng), or set TTS_ENGINE=supertonic"
            )
        return path

    async def load(self) -> None:
        """Nothing to load; only check that the program exists."""
        self._path()

    async def narrate(
        self,
        text: str,
        out_path: Path,
        *,
        language: Language = "ko",
        voice: Voice | None = None,
    ) -> NarrationResult:
        """Speak `text` into a WAV at `out_path` (22.05 kHz, 16-bit mono)."""
        voice = voice or self.voice
        _check_request(voice, language)
        program = self._path()
        spoken = clean_text(text)
        if not has_words(spoken):
            log.warning("Nothing speakable in %r; %s is silence", text[:40], out_path.name)
            seconds = await asyncio.to_thread(write_silence, out_path, ESPEAK_RATE)
            return NarrationResult(out_path, seconds, ESPEAK_RATE, self.name)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        raw = out_path.with_name(out_path.name + ".espeak")
        # M1..M5/F1..F5 become espeak-ng's m1..m5/f1..f5 variants of the language's voice.
        espeak_voice = f"{ESPEAK_LANGUAGES[language]}+{voice.lower()}"
        wpm = str(round(ESPEAK_WPM * self.speed))
        command = [program, "-v", espeak_voice, "-s", wpm, "-w", str(raw), "--stdin"]
        async with self._slots:
            with timing(log, f"TTS {out_path.name} ({len(spoken)} chars, espeak-ng {language})"):
                process = await asyncio.create_subprocess_exec(
                    *command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                )
                try:
                    _, stderr = await asyncio.wait_for(
                        process.communicate(spoken.encode("utf-8")), ESPEAK_TIMEOUT
                    )
                except TimeoutError:
                    process.kill()
                    await process.wait()
                    raw.unlink(missing_ok=True)
                    raise TTSError(f"espeak-ng took over {ESPEAK_TIMEOUT:.0f} s") from None
                if process.returncode != 0 or not raw.is_file():
                    raw.unlink(missing_ok=True)
                    detail = stderr.decode("utf-8", "replace").strip()
                    raise TTSError(f"espeak-ng failed ({process.returncode}): {detail}")
                seconds, rate = await asyncio.to_thread(self._finish, raw, out_path)
        return NarrationResult(out_path, seconds, rate, self.name)

    @staticmethod
    def _finish(raw: Path, out_path: Path) -> tuple[float, int]:
        try:
            samples, rate = sf.read(raw, dtype="float32")
        finally:
            raw.unlink(missing_ok=True)
        return write_wav(out_path, samples, rate), rate

    async def close(self) -> None:
        """Nothing is kept between pages."""


def make_narrator(settings: Settings) -> Narrator:
    """The narrator `TTS_ENGINE` selects, configured from `settings`."""
    workers, speed, steps = settings.tts_workers, settings.tts_speed, settings.tts_steps
    engines: dict[str, Callable[[], Narrator]] = {
        "supertonic": lambda: SupertonicNarrator(
            settings.tts_model_dir,
            voice=settings.tts_voice,
            speed=speed,
            steps=steps,
            workers=workers,
        ),
        "espeak": lambda: EspeakNarrator(voice=settings.tts_voice, speed=speed, workers=workers),
    }
    return engines[settings.tts_engine]()


async def _supertonic_row(settings: Settings) -> tuple[CheckStatus, str]:
    from supertonic.config import get_model_cache_dir

    if settings.tts_model_dir is not None:
        folder = settings.tts_model_dir
        missing = missing_model_files(folder)
        if missing:
            return "FAIL", (
                f"TTS_MODEL_DIR={folder} lacks {', '.join(missing)} "
                f"(the {SUPERTONIC_MODEL} model, {SUPERTONIC_SIZE})"
            )
    else:
        folder = get_model_cache_dir(SUPERTONIC_MODEL)
        if missing_model_files(folder):
            return "WARN", (
                f"model not downloaded yet: the first narration fetches {SUPERTONIC_SIZE} "
                f"into {folder} (or set TTS_MODEL_DIR)"
            )
    if not (folder / "voice_styles" / f"{settings.tts_voice}.json").is_file():
        return "FAIL", f"voice {settings.tts_voice} (TTS_VOICE) missing in {folder}/voice_styles"
    return "OK", f"model in {folder}, voice {settings.tts_voice}"


async def _espeak_row(settings: Settings) -> tuple[CheckStatus, str]:
    path = shutil.which(ESPEAK_PROGRAM)
    if path is None:
        return "FAIL", "not installed: apt-get install espeak-ng"
    try:
        process = await asyncio.create_subprocess_exec(
            path, "--voices=ko", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, _ = await asyncio.wait_for(process.communicate(), 10)
    except (OSError, TimeoutError) as exc:
        return "FAIL", f"{path} does not run: {exc!r}"
    if not any(line.split()[1:2] == ["ko"] for line in stdout.decode().splitlines()):
        return "FAIL", f"{path} has no Korean voice: apt-get install espeak-ng-data"
    return "OK", f"{path}, Korean voice ko"


_DOCTOR_ROWS = (
    ("supertonic", "tts supertonic", _supertonic_row),
    ("espeak", "tts espeak-ng", _espeak_row),
)


async def check_tts(settings: Settings) -> list[Check]:
    """Doctor rows: is each narration engine usable, and which one TTS_ENGINE selects.

    Only the selected engine can FAIL; the other is a fallback, so its problems are WARN."""
    rows = []
    for engine, component, row in _DOCTOR_ROWS:
        status, detail = await row(settings)
        if settings.tts_engine == engine:
            detail = f"selected (TTS_ENGINE={engine}): {detail}"
        else:
            status = "WARN" if status == "FAIL" else status
            detail = f"fallback (TTS_ENGINE={engine}): {detail}"
        rows.append(Check(component, status, detail))
    return rows


async def say_command(
    text: str,
    out: Path,
    settings: Settings,
    voice: Voice | None = None,
    language: Language = "ko",
) -> NarrationResult:
    """`storybot say`: narrate one text into `out` with the configured engine."""
    narrator = make_narrator(settings)
    try:
        return await narrator.narrate(text, out, language=language, voice=voice)
    finally:
        await narrator.close()
