"""Transcription of voice messages with Whisper: loaded once, kept warm, run off the event loop.

Loading Whisper for every request costs seconds a voice answer; here each
engine loads its model on first use (or at start-up via `load()`) and keeps it. Audio is
decoded by the `decode` module beside it (ffmpeg → 16 kHz mono) with its allow-list, size and length
limits and deadlines, in the event loop, before the model's single worker thread is asked.
Confidence is 1 − mean(no_speech_prob) over the segments: how sure the model is that someone spoke.

The engines live in the private module `_whisper`; `decode` reads the clips.
"""

from storybot.engines.stt._whisper import (
    ENGINES,
    OPENAI_WHISPER_INSTALL,
    FasterWhisperTranscriber,
    OpenAIWhisperTranscriber,
    Transcriber,
    Transcript,
    TranscriptionError,
    faster_whisper_source,
    looks_like_path,
)

__all__ = [
    "ENGINES",
    "OPENAI_WHISPER_INSTALL",
    "FasterWhisperTranscriber",
    "OpenAIWhisperTranscriber",
    "Transcriber",
    "Transcript",
    "TranscriptionError",
    "faster_whisper_source",
    "looks_like_path",
]
