"""What both narration engines share: errors, result, protocol, text cleaning, WAV helpers."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile as sf

from storybot.config import Settings
from storybot.errors import StorybotError
from storybot.models import VOICES, Language, Voice

# The engines' defaults are the settings' (TTS_VOICE, TTS_SPEED, TTS_STEPS, TTS_WORKERS).
DEFAULT_VOICE: Voice = Settings.model_fields["tts_voice"].default
DEFAULT_SPEED: float = Settings.model_fields["tts_speed"].default
DEFAULT_STEPS: int = Settings.model_fields["tts_steps"].default
DEFAULT_WORKERS: int = Settings.model_fields["tts_workers"].default
ESPEAK_LANGUAGES: dict[str, str] = {"ko": "ko", "en": "en-us"}
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


def _check_request(voice: str, language: str = "ko") -> None:
    if voice not in VOICES:
        raise TTSError(f"unknown voice {voice!r}: choose one of {', '.join(VOICES)}")
    if language not in ESPEAK_LANGUAGES:
        raise TTSError(f"unknown language {language!r}: choose one of ko, en")
