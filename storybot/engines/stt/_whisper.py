"""The Whisper engines (faster-whisper, openai-whisper), their shared base and result types."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from storybot.config import Settings
from storybot.engines.stt.decode import (
    MAX_BYTES,
    MAX_SECONDS,
    SAMPLE_RATE,
    load_audio,
    load_audio_bytes,
)
from storybot.errors import StorybotError
from storybot.logs import timing

# The package's logger, as before the split into modules.
log = logging.getLogger("storybot.engines.stt")

OPENAI_WHISPER_INSTALL = (
    "pip install torch numba tiktoken more-itertools tqdm && pip install --no-deps openai-whisper"
)

# The engines' defaults are the settings' (STT_MODEL, STT_LANGUAGE).
DEFAULT_MODEL: str = Settings.model_fields["stt_model"].default
DEFAULT_LANGUAGE: str = Settings.model_fields["stt_language"].default


class TranscriptionError(StorybotError):
    """The speech recogniser cannot be used: model missing or unloadable, or it failed."""


@dataclass(frozen=True)
class Transcript:
    """What Whisper heard in one clip."""

    text: str
    language: str
    confidence: float  # 1 − mean(no_speech_prob) over the segments; 0.0 if nothing was heard
    seconds: float  # spent on this clip (decode + recognition), not counting a first load
    duration: float  # of the audio


class Transcriber(Protocol):
    """A speech recogniser whose model is loaded once and kept."""

    name: str
    model: str
    language: str

    @property
    def loaded(self) -> bool: ...

    async def load(self) -> None: ...

    async def transcribe(
        self, audio: Path | bytes, *, language: str | None = None, filename: str = "clip.ogg"
    ) -> Transcript: ...

    async def close(self) -> None: ...


class _WhisperEngine:
    """What both engines share: one worker thread for the model, limits, decoding, confidence."""

    name = "whisper"

    def __init__(
        self,
        model: str,
        *,
        language: str = DEFAULT_LANGUAGE,
        max_seconds: float = MAX_SECONDS,
        max_bytes: int = MAX_BYTES,
        threads: int | None = None,
        decode_options: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.language = language
        self.max_seconds = max_seconds
        self.max_bytes = max_bytes
        self.threads = threads
        self.decode_options = dict(decode_options or {})
        self._model: Any = None
        self._multilingual = True
        # The model is not shared between threads: one worker owns it and serialises requests.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    async def load(self) -> None:
        """Load the model once, in the worker thread (start-up can call this to warm it)."""
        async with self._lock:
            if self._model is None:
                await asyncio.get_running_loop().run_in_executor(self._executor, self._load_once)

    async def transcribe(
        self, audio: Path | bytes, *, language: str | None = None, filename: str = "clip.ogg"
    ) -> Transcript:
        """Transcribe a file or in-memory audio (a Discord attachment).

        `filename` is the sender's name for the clip: it names it in messages, nothing more
        (the content decides how it is read).
        """
        language = (language or self.language).lower()
        started = time.perf_counter()
        # Decoded here, before the model's one worker thread is asked: a stuck or hostile clip
        # is killed by its own deadline and can never keep other people's clips waiting.
        limits = {"max_seconds": self.max_seconds, "max_bytes": self.max_bytes}
        if isinstance(audio, bytes | bytearray):
            samples = await load_audio_bytes(bytes(audio), filename=filename, **limits)
        else:
            samples = await load_audio(Path(audio), **limits)
        decode_seconds = time.perf_counter() - started
        await self.load()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._transcribe_blocking, samples, language, decode_seconds
        )

    async def close(self) -> None:
        """Drop the model and stop the worker thread."""
        async with self._lock:
            self._model = None
        self._executor.shutdown(wait=False)

    def _load_once(self) -> None:
        if self._model is not None:
            return
        with timing(log, f"loading {self.name} model {self.model}"):
            self._model = self._load_model()
        self._multilingual = self._is_multilingual(self._model)
        if not self._multilingual:
            log.info("STT model %s understands English only", self.model)

    def _transcribe_blocking(
        self, samples: np.ndarray, language: str, decode_seconds: float
    ) -> Transcript:
        if not self._multilingual and language != "en":
            raise TranscriptionError(
                f"STT model {self.model} understands English only, but language {language!r} "
                "was asked for: set STT_MODEL to a multilingual model (e.g. small) or use en"
            )
        started = time.perf_counter() - decode_seconds
        try:
            text, no_speech = self._recognise(self._model, samples, language)
        except Exception as exc:  # engines raise many types; all mean "recognition failed"
            raise TranscriptionError(
                f"{self.name} failed on the clip: {type(exc).__name__}: {exc}"
            ) from exc
        confidence = 1.0 - float(np.mean(no_speech)) if no_speech else 0.0
        result = Transcript(
            text=" ".join(text.split()),
            language=language,
            confidence=min(1.0, max(0.0, confidence)),
            seconds=time.perf_counter() - started,
            duration=samples.size / SAMPLE_RATE,
        )
        log.info(
            "[TIMING] transcription of %.1f s audio completed in %.2fs (confidence %.2f)",
            result.duration,
            result.seconds,
            result.confidence,
        )
        return result

    # Engine-specific parts.

    def _load_model(self) -> Any:
        raise NotImplementedError

    def _is_multilingual(self, model: Any) -> bool:
        raise NotImplementedError

    def _recognise(self, model: Any, samples: np.ndarray, language: str) -> tuple[str, list[float]]:
        raise NotImplementedError


class FasterWhisperTranscriber(_WhisperEngine):
    """faster-whisper (CTranslate2): `model` is a size name (`small`) or a local model folder."""

    name = "faster-whisper"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 5,
        vad_filter: bool = True,
        download_root: Path | None = None,
        **options: Any,
    ) -> None:
        super().__init__(model, **options)
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        # Silence makes Whisper invent text (in Korean often "시청해 주셔서 감사합니다");
        # the bundled Silero VAD cuts it out before decoding.
        self.vad_filter = vad_filter
        self.download_root = download_root

    def _load_model(self) -> Any:
        from faster_whisper import WhisperModel

        source = faster_whisper_source(self.model)
        try:
            return WhisperModel(
                source,
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=self.threads or 0,
                download_root=str(self.download_root) if self.download_root else None,
            )
        except Exception as exc:  # hub and CTranslate2 errors come in many types
            where = "fetched from Hugging Face" if source == self.model else "loaded"
            raise TranscriptionError(
                f"STT model {self.model} could not be {where}: {type(exc).__name__}: {exc}. "
                "Set STT_MODEL to a local faster-whisper model folder (with model.bin)"
            ) from None

    def _is_multilingual(self, model: Any) -> bool:
        return bool(model.model.is_multilingual)

    def _recognise(self, model: Any, samples: np.ndarray, language: str) -> tuple[str, list[float]]:
        options: dict[str, Any] = {
            "beam_size": self.beam_size,
            "vad_filter": self.vad_filter,
            # A field answer is one short utterance; conditioning only invites repetition loops.
            "condition_on_previous_text": False,
            **self.decode_options,
        }
        segments, _ = model.transcribe(samples, language=language, **options)
        found = list(segments)  # a generator: decoding happens here
        return " ".join(s.text.strip() for s in found), [s.no_speech_prob for s in found]


class OpenAIWhisperTranscriber(_WhisperEngine):
    """openai-whisper (PyTorch), for machines that already have torch: a size name or a
    local `.pt` file."""

    name = "openai-whisper"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        download_root: Path | None = None,
        **options: Any,
    ) -> None:
        super().__init__(model, **options)
        # CPU by default: the GPU stays with ComfyUI and the LLM.
        self.device = device
        self.download_root = download_root

    def _load_model(self) -> Any:
        try:
            import torch
            import whisper
        except ImportError as exc:
            raise TranscriptionError(
                f"STT_ENGINE=openai-whisper needs openai-whisper and torch ({exc.name} is "
                f"missing): {OPENAI_WHISPER_INSTALL}"
            ) from None
        if self.threads:
            torch.set_num_threads(self.threads)
        path = Path(self.model).expanduser()
        if self.model not in whisper.available_models() and not path.is_file():
            raise TranscriptionError(
                f"STT model {self.model} is neither a checkpoint file nor a size name "
                f"({', '.join(whisper.available_models())})"
            )
        name = str(path) if path.is_file() else self.model
        root = str(self.download_root) if self.download_root else None
        try:
            return whisper.load_model(name, device=self.device, download_root=root)
        except Exception as exc:  # download, unpickling and shape errors alike
            raise TranscriptionError(
                f"STT model {self.model} could not be loaded: {type(exc).__name__}: {exc}"
            ) from None

    def _is_multilingual(self, model: Any) -> bool:
        return bool(model.is_multilingual)

    def _recognise(self, model: Any, samples: np.ndarray, language: str) -> tuple[str, list[float]]:
        options: dict[str, Any] = {
            "fp16": self.device != "cpu",  # fp16 is not implemented on CPU; whisper would warn
            "condition_on_previous_text": False,
            "verbose": None,
            **self.decode_options,
        }
        result = model.transcribe(samples, language=language, **options)
        segments = result.get("segments", [])
        return str(result.get("text", "")), [float(s["no_speech_prob"]) for s in segments]


ENGINES: dict[str, type[_WhisperEngine]] = {
    "faster-whisper": FasterWhisperTranscriber,
    "openai-whisper": OpenAIWhisperTranscriber,
}


def faster_whisper_source(model: str) -> str:
    """A local folder's path, or the size name / hub id unchanged; refuse what cannot work."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise TranscriptionError(
                f"STT model folder {path} has no model.bin: it must be a CTranslate2 Whisper "
                "model (as faster-whisper downloads them)"
            )
        return str(path)
    if path.is_file():
        raise TranscriptionError(
            f"STT model {path} is a file; faster-whisper needs a model folder "
            "(for a .pt checkpoint set STT_ENGINE=openai-whisper)"
        )
    if looks_like_path(model):
        raise TranscriptionError(f"STT model folder {path} does not exist")
    from faster_whisper import available_models

    if "/" not in model and model not in available_models():
        raise TranscriptionError(
            f"STT model {model!r} is neither a model folder nor a size name "
            f"({', '.join(available_models())})"
        )
    return model


def looks_like_path(model: str) -> bool:
    # "org/name" is a Hugging Face repo id; anything else with a separator is a path.
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model
