"""The `storybot` command (also `python -m storybot`): the parser, and the commands about whole
books (story, make, screen), the doctor and the slash-command sync; the commands that try one
engine (image, say, transcribe, parse) are in `engine_commands`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from storybot.cli.engine_commands import (
    choose_style,
    run_image,
    run_parse,
    run_say,
    run_transcribe,
)
from storybot.config import Settings
from storybot.errors import ConfigError, StorybotError
from storybot.logs import setup_logging
from storybot.models import (
    AGE_BANDS,
    DEFAULT_AGE,
    FIELD_NAMES,
    LANGUAGES,
    VOICES,
    StoryRequest,
)
from storybot.texts import text

if TYPE_CHECKING:
    from storybot.books import BookDesk

log = logging.getLogger("storybot.cli")

STYLE_HELP = "picture style, a preset of IMAGE_STYLES, e.g. crayon (default: watercolor)"
AGE_HELP = f"the children's age band: shorter pages for 3-5 (default: {DEFAULT_AGE})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storybot",
        description="Make narrated, illustrated children's picture books.",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (LOG_LEVEL)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    story = commands.add_parser("story", help="write a story with the LLM and print it")
    _add_fields(story)
    story.add_argument("--age", choices=AGE_BANDS, default=DEFAULT_AGE, help=AGE_HELP)
    story.add_argument("--model", help="GGUF file or hf:<owner>/<repo>/<file> (LLM_MODEL)")
    story.add_argument("--server-url", help="use this llama-server (LLM_SERVER_URL)")
    story.add_argument("--seed", type=int, help="first seed (retries add one)")
    story.add_argument("--json", action="store_true", help="print only the story JSON")
    story.set_defaults(run=run_story)

    make = commands.add_parser("make", help="make a whole book on this machine")
    _add_fields(make, required=False)  # all four, unless --sequel gives the earlier book's
    make.add_argument(
        "--sequel", metavar="RUN_ID", help="the next adventure of a finished book's friends"
    )
    make.add_argument("--age", choices=AGE_BANDS, default=DEFAULT_AGE, help=AGE_HELP)
    make.add_argument("--voice", choices=VOICES, help="narrator, M1-M5 or F1-F5 (TTS_VOICE)")
    make.add_argument("--no-narration", action="store_true", help="pictures and text only")
    make.add_argument("--out", type=Path, help="also copy the finished book into this folder")
    make.add_argument("--style", help=STYLE_HELP)
    make.set_defaults(run=run_make)

    image = commands.add_parser("image", help="paint one picture with ComfyUI")
    image.add_argument("prompt", help='what to paint, e.g. "a rabbit reading under a tree"')
    image.add_argument("--out", required=True, type=Path, help="PNG file to write")
    image.add_argument("--workflow", type=Path, help="API-format workflow (COMFYUI_WORKFLOW)")
    image.add_argument("--seed", type=int, help="sampler seed (default: random)")
    image.add_argument("--comfyui-url", help="use this server instead of COMFYUI_URLS")
    image.add_argument("--style", help=STYLE_HELP)
    image.set_defaults(run=run_image)

    say = commands.add_parser("say", help="narrate a text into a WAV file")
    say.add_argument("text", help='what to say, e.g. "옛날 옛적에…"')
    say.add_argument("--out", required=True, type=Path, help="WAV file to write")
    say.add_argument("--voice", choices=VOICES, help="M1-M5, F1-F5 (TTS_VOICE)")
    say.add_argument("--language", choices=LANGUAGES, default="ko")
    say.set_defaults(run=run_say)

    transcribe = commands.add_parser("transcribe", help="transcribe a voice clip (prints JSON)")
    transcribe.add_argument("clip", type=Path, help="a voice message (ogg/opus) or audio file")
    transcribe.add_argument("--field", choices=FIELD_NAMES, help="also parse it as this answer")
    transcribe.add_argument("--language", choices=LANGUAGES, help="spoken language (STT_LANGUAGE)")
    transcribe.set_defaults(run=run_transcribe)

    parse = commands.add_parser("parse", help="clean up one answer as the bot would (prints JSON)")
    parse.add_argument("--field", choices=FIELD_NAMES, required=True)
    parse.add_argument("text", help='what was said or typed, e.g. "토끼랑 거북이요"')
    parse.set_defaults(run=run_parse)

    screen = commands.add_parser("screen", help="check a request against the child-safety screen")
    _add_fields(screen)
    screen.add_argument("--json", action="store_true", help="print only the verdict as JSON")
    screen.set_defaults(run=run_screen)

    doctor = commands.add_parser("doctor", help="check every component and say what to fix")
    doctor.set_defaults(run=run_doctor)

    sync = commands.add_parser("sync", help="sync the bot's slash commands to Discord now")
    sync.set_defaults(run=run_sync)
    return parser


def _add_fields(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--era", required=required, help="시대, e.g. 조선시대")
    parser.add_argument("--place", required=required, help="장소, e.g. 궁궐")
    parser.add_argument("--characters", required=required, help='등장인물, e.g. "호랑이, 토끼"')
    parser.add_argument("--topic", required=required, help="주제, e.g. 우정")
    parser.add_argument("--language", choices=LANGUAGES, default="ko")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; expected failures print one line and exit 1, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load(env_file=args.env_file, log_level=args.log_level)
        setup_logging(settings.log_level)
        return asyncio.run(args.run(args, settings))
    except StorybotError as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("storybot: interrupted", file=sys.stderr)
        return 130


async def run_story(args: argparse.Namespace, settings: Settings) -> int:
    """Write one story; print each page as it arrives, then the stage time."""
    from storybot.story import WrittenStory
    from storybot.wiring import make_author, make_writer

    overrides: dict[str, Any] = {"llm_model": args.model, "llm_server_url": args.server_url}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v})
    request = _request(args)
    writer = make_writer(settings)
    author = make_author(settings, writer, seed=args.seed)
    try:
        async for item in author.stream(request):
            if isinstance(item, WrittenStory):
                written = item
            elif not args.json:
                if item.page.page == 0:
                    print(f"# {item.title}\n", flush=True)
                print(f"[{item.page.page}] {item.page.text}", flush=True)
    finally:
        await writer.close()
        if author.guard is not None:
            await author.guard.close()
    if args.json:
        print(json.dumps(written.story.model_dump(), ensure_ascii=False, indent=2))
    else:
        print(f"\ncharacter sheet: {written.story.character_sheet}")
    rate = written.tokens_per_second
    speed = f"{rate:.1f} tokens/s generating" if rate is not None else "tokens/s unknown"
    print(
        f"LLM: {written.seconds:.1f} s, {written.attempts} attempt(s), {speed} ({writer.name})",
        file=sys.stderr,
    )
    return 0


def _request(args: argparse.Namespace) -> StoryRequest:
    try:
        return StoryRequest(
            era=args.era,
            place=args.place,
            characters=args.characters,
            topic=args.topic,
            language=args.language,
            age=getattr(args, "age", DEFAULT_AGE),  # story and make have --age
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"--{error['loc'][0]}: {error['msg']}") from None


def _make_request(args: argparse.Namespace, style: str | None, maker: BookDesk) -> StoryRequest:
    """The book `make` asks for: the four answers, or a sequel of a finished book (its answers
    where none are given, its style unless --style)."""
    if args.sequel:
        answers = {"era": args.era, "place": args.place, "topic": args.topic}
        request = maker.sequel_request(args.sequel, requester_id=None, **answers)
        return request if style is None else request.model_copy(update={"style": style})
    missing = [f"--{name}" for name in FIELD_NAMES if getattr(args, name) is None]
    if missing:
        raise ConfigError(f"make needs {', '.join(missing)} (or --sequel RUN_ID)")
    return _request(args).model_copy(update={"style": style})


async def run_make(args: argparse.Namespace, settings: Settings) -> int:
    """Make a whole book with a progress bar; print where it is."""
    import shutil

    from storybot.cli.console import ConsoleRenderer
    from storybot.models import Done, Failed
    from storybot.wiring import make_book_maker

    chosen = choose_style(args, settings).name  # a bad --style stops before anything is made
    style = chosen if (args.style is not None or not args.sequel) else None
    maker = make_book_maker(settings)
    maker.wait_for_painter = False  # at a terminal, a painter that is down is said at once
    warming: asyncio.Task[None] | None = None
    try:
        request = _make_request(args, style, maker)
        # No origin: nothing to find again later. A terminal shows the request to no one else,
        # so the screen looks at it beside the story's start (Kiwi loads meanwhile).
        active = maker.submit(request, lane="cli", screen_first=False)
        # Beside the book, not before it; Kiwi is the book's own screen's to load.
        warming = asyncio.create_task(maker.warm_up(korean=False))
        renderer = ConsoleRenderer(narration=request.narration)
        try:
            result = await renderer.render(active.events())
        except asyncio.CancelledError:  # Ctrl-C: stop the book, keep what was made
            maker.cancel(active.run_id)
            await active.wait()
            raise
    finally:
        if warming is not None:
            warming.cancel()
        await maker.close()
    folder = maker.folder(active.run_id)
    if isinstance(result, Done):
        if args.out is not None:
            shutil.copytree(folder, args.out, dirs_exist_ok=True)
            folder = args.out
        for warning in result.book.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{result.book.story.title}: {folder}")
        return 0
    if isinstance(result, Failed) and result.code == "unsafe_request":
        print(f"storybot: {text(request.language, 'failed.unsafe_request')}", file=sys.stderr)
        return 1
    reason = result.error if isinstance(result, Failed) else "cancelled"
    print(
        f"storybot: the book was not finished: {reason} (files so far: {folder})", file=sys.stderr
    )
    return 1


async def run_screen(args: argparse.Namespace, settings: Settings) -> int:
    """Screen one request without making anything; exit 0 if allowed, 1 if refused."""
    from storybot.safety import screen

    verdict = screen(_request(args))
    if args.json:
        found = {"allowed": verdict.allowed, "category": verdict.category}
        print(json.dumps({**found, "message": verdict.message or None}, ensure_ascii=False))
    elif verdict.allowed:
        print("allowed")
    else:
        print(f"refused: {verdict.category} ({verdict.term})\n{verdict.message}")
    return 0 if verdict.allowed else 1


async def run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Print the table of components; exit 1 if any is unusable."""
    from storybot.doctor import run_checks

    rows = await run_checks(settings)
    width = max(len(row.component) for row in rows)
    for row in rows:
        print(f"{row.component:<{width}}  {row.status:<4}  {row.detail}")
    return 1 if any(row.status == "FAIL" for row in rows) else 0


async def run_sync(args: argparse.Namespace, settings: Settings) -> int:
    """Sync the slash commands now, changed or not (the bot syncs only changed ones)."""
    from storybot.bot.client import sync_now

    synced = await sync_now(settings)
    print(f"synced {synced} command(s) ({settings.dev_guild_id or 'global'})")
    return 0
