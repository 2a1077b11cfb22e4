"""espeak-ng narration: a robotic but tiny fallback, run as a subprocess."""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from storybot import processes
from storybot.engines.tts._common import (
    DEFAULT_SPEED,
    DEFAULT_VOICE,
    DEFAULT_WORKERS,
    EMPTY_PAGE,
    ESPEAK_LANGUAGES,
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
from storybot.logs import timing
from storybot.models import Language, Voice

# The package's logger, as before the split into modules.
log = logging.getLogger("storybot.engines.tts")

ESPEAK_PROGRAM = "espeak-ng"
ESPEAK_WPM = 175  # espeak-ng's own default rate; `speed` scales it like Supertonic's
ESPEAK_TIMEOUT = 60.0
ESPEAK_RATE = 22050  # espeak-ng's fixed output rate


class EspeakNarrator:
    """espeak-ng (Debian package `espeak-ng`) as a subprocess: 22.05 kHz, robotic, tiny."""

    name = "espeak-ng"

    def __init__(
        self,
        *,
        voice: Voice = DEFAULT_VOICE,
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
        sentences = speakable_sentences(text, clean_text)
        if not sentences:
            log.warning("Nothing speakable in %r; %s is silence", text[:40], out_path.name)
            await asyncio.to_thread(write_silent_sidecar, out_path, text, EMPTY_PAGE)
            seconds = await asyncio.to_thread(write_silence, out_path, ESPEAK_RATE)
            return NarrationResult(out_path, seconds, ESPEAK_RATE, self.name)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        # M1..M5/F1..F5 become espeak-ng's m1..m5/f1..f5 variants of the language's voice.
        espeak_voice = f"{ESPEAK_LANGUAGES[language]}+{voice.lower()}"
        wpm = str(round(ESPEAK_WPM * self.speed))
        command = [program, "-v", espeak_voice, "-s", wpm, "--stdout", "--stdin"]
        spoken = sum(len(said) for _, said in sentences)
        async with self._slots:
            with timing(log, f"TTS {out_path.name} ({spoken} chars, espeak-ng {language})"):
                clips, rate = [], ESPEAK_RATE
                for shown, said in sentences:
                    samples, rate = await self._speak(command, said)
                    clips.append((shown, samples))
                seconds, _ = await asyncio.to_thread(write_narration, out_path, clips, rate)
        return NarrationResult(out_path, seconds, rate, self.name)

    @staticmethod
    async def _speak(command: list[str], spoken: str) -> tuple[np.ndarray, int]:
        """One sentence's voice from espeak-ng (its WAV on stdout)."""
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(
                process.communicate(spoken.encode("utf-8")), ESPEAK_TIMEOUT
            )
        except TimeoutError:
            await processes.kill(process, "espeak-ng")
            raise TTSError(f"espeak-ng took over {ESPEAK_TIMEOUT:.0f} s") from None
        except BaseException:  # cancelled: espeak-ng must not stay behind
            await processes.kill(process, "espeak-ng")
            raise
        if process.returncode != 0 or not stdout:
            detail = stderr.decode("utf-8", "replace").strip()
            raise TTSError(f"espeak-ng failed ({process.returncode}): {detail}")
        try:
            samples, rate = sf.read(io.BytesIO(stdout), dtype="float32")
        except (RuntimeError, sf.LibsndfileError) as exc:
            raise TTSError(f"espeak-ng wrote no readable WAV: {exc}") from None
        return samples, rate

    async def close(self) -> None:
        """Nothing is kept between pages."""
