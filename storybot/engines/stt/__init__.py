"""Transcription of voice messages with Whisper: loaded once, kept warm, run off the event loop.

The original loaded Whisper `medium` for every request and threw it away afterwards; here each
engine loads its model on first use (or at start-up via `load()`) and keeps it. Audio is
decoded by `storybot.engines.audio` (ffmpeg → 16 kHz mono) with its allow-list, size and length
limits and deadlines, in the event loop, before the model's single worker thread is asked.
Confidence is the original's: 1 − mean(no_speech_prob) over the segments.

The code lives in private modules: `_whisper` (the engines, `make_transcriber`) and `_doctor`
(check_stt, transcribe_command).
"""

from storybot.engines.stt._doctor import DOWNLOAD_SIZES, check_stt, transcribe_command
from storybot.engines.stt._whisper import (
    ENGINES,
    OPENAI_WHISPER_INSTALL,
    FasterWhisperTranscriber,
    OpenAIWhisperTranscriber,
    Transcriber,
    Transcript,
    TranscriptionError,
    make_transcriber,
)

__all__ = [
    "DOWNLOAD_SIZES",
    "ENGINES",
    "OPENAI_WHISPER_INSTALL",
    "FasterWhisperTranscriber",
    "OpenAIWhisperTranscriber",
    "Transcriber",
    "Transcript",
    "TranscriptionError",
    "check_stt",
    "make_transcriber",
    "transcribe_command",
]
