"""The commands that try one engine at a time: `storybot image`, `say`, `transcribe`, `parse`.

Each `run_*` reads its arguments and prints; the `*_command` function beside it does the work
(and is what the tests call)."""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storybot.config import Settings
from storybot.errors import ConfigError
from storybot.models import Language, Voice

if TYPE_CHECKING:
    from storybot.engines.stt import Transcriber
    from storybot.engines.styles import Style
    from storybot.engines.tts import NarrationResult

log = logging.getLogger("storybot.cli")


def choose_style(args: argparse.Namespace, settings: Settings) -> Style:
    """The preset `--style` names, from the styles file; unknown names list the choices."""
    from storybot.engines.styles import StyleError, load_styles, resolve_style

    styles = load_styles(settings.image_styles)  # a broken file says so itself, naming the key
    try:
        return resolve_style(args.style, styles)
    except StyleError as exc:
        raise ConfigError(f"--style: {exc}") from None


async def run_image(args: argparse.Namespace, settings: Settings) -> int:
    """Paint one picture; print where it is."""
    import random

    style = choose_style(args, settings)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    path = await paint_command(
        args.prompt,
        args.out,
        settings,
        workflow=args.workflow,
        seed=seed,
        url=args.comfyui_url,
        style=style,
    )
    print(f"{path} (seed {seed})")
    return 0


async def paint_command(
    prompt: str,
    out: Path,
    settings: Settings,
    workflow: Path | None = None,
    seed: int | None = None,
    url: str | None = None,
    *,
    style: Style | None = None,
) -> Path:
    """`storybot image`: paint `prompt` (no character sheet) to `out` and return its path."""
    import random

    from storybot.wiring import make_painter

    seed = random.randrange(2**32) if seed is None else seed
    log.info("painting %r with seed %d", prompt, seed)
    urls = [url.rstrip("/")] if url else None
    async with make_painter(settings, workflow=workflow, urls=urls) as pool:
        return await pool.paint(prompt, Path(out), seed=seed, style=style)


async def run_say(args: argparse.Namespace, settings: Settings) -> int:
    """Narrate one text; print where the WAV is and how long it plays."""
    result = await say_command(args.text, args.out, settings, args.voice, args.language)
    print(f"{result.path} ({result.seconds:.2f} s, {result.sample_rate} Hz, {result.engine})")
    return 0


async def say_command(
    text: str, out: Path, settings: Settings, voice: Voice | None = None, language: Language = "ko"
) -> NarrationResult:
    """`storybot say`: narrate one text into `out` with the configured engine."""
    from storybot.wiring import make_narrator

    narrator = make_narrator(settings)
    try:
        return await narrator.narrate(text, out, language=language, voice=voice)
    finally:
        await narrator.close()


async def run_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    """Transcribe one clip; print text, parsed value, confidence and time as JSON."""
    result = await transcribe_command(args.clip, settings, args.field, args.language)
    print(json.dumps(result, ensure_ascii=False))
    return 0


async def transcribe_command(
    path: Path,
    settings: Settings,
    field: str | None = None,
    language: str | None = None,
    *,
    transcriber: Transcriber | None = None,
) -> dict[str, Any]:
    """`storybot transcribe`: the JSON to print (text, value or error, confidence, seconds)."""
    from storybot.answers.fields import FieldError, field_type, parse_field
    from storybot.wiring import make_transcriber

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


async def run_parse(args: argparse.Namespace, settings: Settings) -> int:
    """Parse one answer; print its value, or why it was refused, as JSON."""
    result = parse_command(args.field, args.text, words=settings.field_words_file)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if "value" in result else 1


def parse_command(field: str, text: str, words: Path | None = None) -> dict[str, Any]:
    """`storybot parse`: {"value": …} or {"error": the reason it was refused}."""
    from storybot.answers.fields import FieldError, parse_field

    try:
        return {"value": parse_field(field, text, words=words)}
    except FieldError as exc:
        return {"error": exc.reason}
