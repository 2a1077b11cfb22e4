"""Supertonic narration: the ONNX model on CPU, loaded once and kept."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from storybot.engines.tts._common import (
    DEFAULT_SPEED,
    DEFAULT_STEPS,
    DEFAULT_VOICE,
    DEFAULT_WORKERS,
    EMPTY_PAGE,
    NarrationResult,
    TTSError,
    _check_request,
    clean_text,
    write_silence,
)
from storybot.engines.tts._sentences import (
    speakable_sentences,
    write_narration,
    write_silent_sidecar,
)
from storybot.errors import one_line
from storybot.logs import timing
from storybot.models import Language, Voice

if TYPE_CHECKING:
    from supertonic import TTS, Style

# The package's logger, as before the split into modules.
log = logging.getLogger("storybot.engines.tts")

SUPERTONIC_MODEL = "supertonic-3"
SUPERTONIC_SIZE = "about 400 MB"
_GRAPHS = ("duration_predictor", "text_encoder", "vector_estimator", "vocoder")
SUPERTONIC_FILES = (
    *(f"onnx/{g}.onnx" for g in _GRAPHS),
    "onnx/tts.json",
    "onnx/unicode_indexer.json",
)


def missing_model_files(model_dir: Path) -> list[str]:
    """The Supertonic files absent from `model_dir` (empty when the folder is complete)."""
    missing = [name for name in SUPERTONIC_FILES if not (model_dir / name).is_file()]
    if not any((model_dir / "voice_styles").glob("*.json")):
        missing.append("voice_styles/*.json")
    return missing


class SupertonicNarrator:
    """Supertonic on CPU: the model is loaded once, on first use, and kept.

    With `model_dir` (TTS_MODEL_DIR) nothing is ever downloaded; without it supertonic fetches
    the model once into its cache (~/.cache/supertonic3, or SUPERTONIC_CACHE_DIR)."""

    name = "supertonic"

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        voice: Voice = DEFAULT_VOICE,
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
        sentences = speakable_sentences(text, self.clean)
        spoken = sum(len(said) for _, said in sentences)
        with timing(log, f"TTS {out_path.name} ({spoken} chars, {language}, {voice})"):
            if not sentences:
                log.warning("Nothing speakable in %r; %s is silence", text[:40], out_path.name)
                write_silent_sidecar(out_path, text, EMPTY_PAGE)  # first, as for speech
                seconds = write_silence(out_path, tts.sample_rate)
                return NarrationResult(out_path, seconds, tts.sample_rate, self.name)
            clips = [
                (shown, self._synthesize(tts, style, said, language, out_path))
                for shown, said in sentences
            ]
            seconds, _ = write_narration(out_path, clips, tts.sample_rate)
        return NarrationResult(out_path, seconds, tts.sample_rate, self.name)

    def _synthesize(
        self, tts: TTS, style: Style, spoken: str, language: str, out_path: Path
    ) -> np.ndarray:
        """One sentence's voice."""
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
        return np.asarray(samples, dtype=np.float32).reshape(-1)

    async def close(self) -> None:
        """Stop the worker pool and drop the model."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._tts = None
        self._styles.clear()
