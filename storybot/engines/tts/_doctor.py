"""Choosing a narrator from settings, the doctor's TTS rows, and `storybot say`."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

from storybot.checks import Check, CheckStatus
from storybot.config import Language, Settings, Voice
from storybot.engines.tts._common import NarrationResult, Narrator
from storybot.engines.tts._espeak import ESPEAK_PROGRAM, EspeakNarrator
from storybot.engines.tts._supertonic import (
    SUPERTONIC_MODEL,
    SUPERTONIC_SIZE,
    SupertonicNarrator,
    missing_model_files,
)


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
