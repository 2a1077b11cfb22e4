"""The doctor's STT rows and `storybot transcribe`."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import time
from pathlib import Path
from typing import Any

from storybot.checks import Check
from storybot.config import Settings
from storybot.engines.audio import AudioError, ffmpeg_programs
from storybot.engines.stt._whisper import (
    OPENAI_WHISPER_INSTALL,
    Transcriber,
    TranscriptionError,
    _faster_whisper_source,
    _looks_like_path,
    make_transcriber,
)

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
            folder = Path(_faster_whisper_source(model))
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
            if _looks_like_path(model) or not any(cache.glob(f"{model}.pt")):
                raise FileNotFoundError(cache / f"{model}.pt")
            english_only = model.endswith(".en")
    except TranscriptionError as exc:
        return Check("stt model", "FAIL", str(exc))
    except (OSError, ValueError) as exc:
        if _looks_like_path(model) or path.exists():
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


async def transcribe_command(
    path: Path,
    settings: Settings,
    field: str | None = None,
    language: str | None = None,
    *,
    transcriber: Transcriber | None = None,
) -> dict[str, Any]:
    """`storybot transcribe`: the JSON to print (text, value or error, confidence, seconds)."""
    from storybot.fields import FieldError, field_type, parse_field

    kind = field_type(field) if field else None  # a bad field name fails before any work
    engine = transcriber or make_transcriber(settings)
    try:
        started = time.perf_counter()
        await engine.load()
        load_seconds = time.perf_counter() - started
        heard = await engine.transcribe(Path(path), language=language)
    finally:
        if transcriber is None:
            await engine.close()
    result: dict[str, Any] = {"text": heard.text, "value": heard.text, "language": heard.language}
    if kind is not None:
        result["field"] = kind.value
        try:
            result["value"] = parse_field(
                kind, heard.text, language=heard.language, words=settings.field_words_file
            )
        except FieldError as exc:
            result.update(value=None, error=exc.reason)
    return result | {
        "confidence": round(heard.confidence, 3),
        "seconds": round(heard.seconds, 2),
        "duration": round(heard.duration, 2),
        "load_seconds": round(load_seconds, 2),
    }
