"""The doctor's speech rows: the narration engines (TTS) and the transcription engine (STT)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import shutil
from pathlib import Path

from storybot.config import Settings
from storybot.doctor.checks import Check, CheckStatus
from storybot.engines.stt import (
    OPENAI_WHISPER_INSTALL,
    TranscriptionError,
    faster_whisper_source,
    looks_like_path,
)
from storybot.engines.stt.decode import AudioError, ffmpeg_programs
from storybot.engines.tts import (
    ESPEAK_PROGRAM,
    SUPERTONIC_MODEL,
    SUPERTONIC_SIZE,
    missing_model_files,
)


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


# Download sizes of the size names, for messages before a first download.
DOWNLOAD_SIZES = {"tiny": "75 MB", "base": "145 MB", "small": "480 MB", "medium": "1.5 GB"}


def _download_size(model: str) -> str:
    return DOWNLOAD_SIZES.get(model.split("-")[0].split(".")[0], "up to 3 GB")


async def check_stt(settings: Settings) -> list[Check]:
    """Doctor rows: the engine's packages, the model (without loading it), ffprobe."""
    return await asyncio.to_thread(_check_stt_blocking, settings)


def _check_stt_blocking(settings: Settings) -> list[Check]:
    engine = settings.stt_engine
    fix = "pip install faster-whisper" if engine == "faster-whisper" else OPENAI_WHISPER_INSTALL
    try:
        dists = ["faster-whisper"] if engine == "faster-whisper" else ["openai-whisper", "torch"]
        versions = ", ".join(f"{d} {importlib.metadata.version(d)}" for d in dists)
    except importlib.metadata.PackageNotFoundError as exc:
        rows = [Check("stt engine", "FAIL", f"{exc.name} is missing: {fix}")]
    else:
        rows = [Check("stt engine", "OK", versions), _check_model(settings)]
    try:
        ffmpeg_programs()
    except AudioError as exc:
        rows.append(Check("stt audio", "FAIL", str(exc)))
    else:
        rows.append(Check("stt audio", "OK", "ffmpeg and ffprobe found"))
    return rows


def _check_model(settings: Settings) -> Check:
    """The model is where STT_MODEL says (or cached), and can hear STT_LANGUAGE."""
    model, language, engine = settings.stt_model, settings.stt_language, settings.stt_engine
    path = Path(model).expanduser()
    try:
        if engine == "faster-whisper":
            folder = Path(faster_whisper_source(model))
            if not folder.is_dir():
                from faster_whisper import download_model

                folder = Path(download_model(model, local_files_only=True))
            # English-only Whisper vocabularies have 51864 tokens, multilingual ones 51865+.
            vocabulary = folder / "vocabulary.txt"
            with vocabulary.open("rb") as lines:
                english_only = sum(1 for _ in lines) < 51865
        elif path.is_file():
            english_only = False  # only loading tells; the engine then refuses a mismatch
        else:
            cache = Path(os.getenv("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"
            if looks_like_path(model) or not any(cache.glob(f"{model}.pt")):
                raise FileNotFoundError(cache / f"{model}.pt")
            english_only = model.endswith(".en")
    except TranscriptionError as exc:
        return Check("stt model", "FAIL", str(exc))
    except (OSError, ValueError) as exc:
        if looks_like_path(model) or path.exists():
            return Check("stt model", "FAIL", f"{model} is not usable: {exc}")
        return Check(
            "stt model",
            "WARN",
            f"{model} is not downloaded yet: {engine} fetches about {_download_size(model)} "
            "on the first voice message (or set STT_MODEL to a local model)",
        )
    except Exception:  # the hub's own "not in the cache" errors
        return Check("stt model", "WARN", f"{model} is not downloaded yet (Hugging Face)")
    if english_only and language != "en":
        detail = f"{model} understands English only but STT_LANGUAGE={language}"
        return Check("stt model", "WARN", detail + ": use a multilingual model such as small")
    where = str(path) if path.exists() else f"{model} (cached)"
    return Check("stt model", "OK", f"{where}, language {language}")
