"""Narration: page text → WAV, by Supertonic (ONNX Runtime on CPU) or espeak-ng.

Both engines share the `Narrator` protocol; `storybot.wiring.make_narrator` picks one.
Supertonic is the book's voice; espeak-ng is a robotic but tiny fallback for machines
without the Supertonic model.

The code lives in private modules: `_common` (errors, result, protocol, text cleaning, WAV
helpers), `_sentences` (sentence splitting and joining, the timing sidecar `page.json`),
`_supertonic` and `_espeak`.
"""

from storybot.engines.tts._common import (
    DEFAULT_SPEED,
    DEFAULT_STEPS,
    DEFAULT_WORKERS,
    EMPTY_PAGE,
    ESPEAK_LANGUAGES,
    KEPT_TAIL,
    SILENCE_DBFS,
    VOICES,
    NarrationResult,
    Narrator,
    TTSError,
    clean_text,
    has_words,
    trim_trailing_silence,
    write_silence,
    write_wav,
)
from storybot.engines.tts._espeak import (
    ESPEAK_PROGRAM,
    ESPEAK_RATE,
    ESPEAK_TIMEOUT,
    ESPEAK_WPM,
    EspeakNarrator,
)
from storybot.engines.tts._sentences import (
    SENTENCE_PAUSE,
    TimedSentence,
    read_sidecar,
    sidecar_path,
    split_sentences,
)
from storybot.engines.tts._supertonic import (
    SUPERTONIC_FILES,
    SUPERTONIC_MODEL,
    SUPERTONIC_SIZE,
    SupertonicNarrator,
    missing_model_files,
)

__all__ = [
    "DEFAULT_SPEED",
    "DEFAULT_STEPS",
    "DEFAULT_WORKERS",
    "EMPTY_PAGE",
    "ESPEAK_LANGUAGES",
    "ESPEAK_PROGRAM",
    "ESPEAK_RATE",
    "ESPEAK_TIMEOUT",
    "ESPEAK_WPM",
    "KEPT_TAIL",
    "SENTENCE_PAUSE",
    "SILENCE_DBFS",
    "SUPERTONIC_FILES",
    "SUPERTONIC_MODEL",
    "SUPERTONIC_SIZE",
    "VOICES",
    "EspeakNarrator",
    "NarrationResult",
    "Narrator",
    "SupertonicNarrator",
    "TTSError",
    "TimedSentence",
    "clean_text",
    "has_words",
    "missing_model_files",
    "read_sidecar",
    "sidecar_path",
    "split_sentences",
    "trim_trailing_silence",
    "write_silence",
    "write_wav",
]
