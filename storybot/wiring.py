"""The one place that knows the implementations: every engine, and the `BookMaker`, built from
`Settings`.

Engines take their parts and numbers in their constructors and know nothing of `Settings`;
the bot, the CLI and the doctor ask this module for what the settings describe. Engines are
built cheaply: models load on first use.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

from storybot.books.maker import BookMaker
from storybot.books.metrics import Metrics, installation_salt
from storybot.books.pipeline import Painter, Pipeline, PipelineOptions
from storybot.books.queue import Scheduler
from storybot.books.store import RunStore
from storybot.config import Settings
from storybot.engines.image_pool import ComfyPool
from storybot.engines.picture_check import PictureCheck
from storybot.engines.stt import ENGINES as TRANSCRIBERS
from storybot.engines.stt import Transcriber
from storybot.engines.styles import Style, load_styles
from storybot.engines.tts import EspeakNarrator, Narrator, SupertonicNarrator
from storybot.errors import ConfigError, StoryError
from storybot.keepsakes.video import VideoOptions
from storybot.story import LlamaCppWriter, LlamaServerWriter, StoryAuthor, StoryWriter
from storybot.story.calibration import CACHE_FILE, CalibrationCache
from storybot.story.guard import Completer, SafetyGuard
from storybot.story.writers import Sampling, check_gguf_file, parse_hf_model

log = logging.getLogger(__name__)


def make_writer(settings: Settings) -> StoryWriter:
    """llama-server when LLM_SERVER_URL is set, else llama.cpp in this process."""
    sampling = Sampling(settings.llm_temperature, settings.llm_top_p, settings.llm_max_tokens)
    if settings.llm_server_url:
        return LlamaServerWriter(
            settings.llm_server_url,
            grammar_path=settings.llm_grammar,
            constraint=settings.llm_server_constraint,
            sampling=sampling,
            timeout=settings.llm_timeout,
        )
    return LlamaCppWriter(
        settings.llm_model,
        grammar_path=settings.llm_grammar,
        n_gpu_layers=settings.llm_n_gpu_layers,
        n_ctx=settings.llm_n_ctx,
        threads=settings.llm_threads,
        sampling=sampling,
        keep_loaded=settings.llm_keep_loaded,
    )


def make_guard(settings: Settings, writer: object) -> SafetyGuard | None:
    """The guard SAFETY_GUARD asks for, or None when it is off (or the writer cannot classify).
    Its threshold is SAFETY_GUARD_THRESHOLD, or calibrated at its first check (or at
    `await guard.calibrate()`) and cached in DATA_DIR; a model that fails calibration is not
    used (its checks say `skipped`) and books go on with the keyword screen."""
    if settings.safety_guard == "off":
        return None
    guard = functools.partial(
        SafetyGuard,
        timeout=settings.safety_guard_timeout,
        threshold=settings.safety_guard_threshold,
        cache=CalibrationCache(settings.data_dir / CACHE_FILE),
        calibration_size=settings.safety_guard_calibration_size,
    )
    if settings.safety_guard == "llm":
        if not isinstance(writer, Completer):
            log.warning("SAFETY_GUARD=llm, but writer %r cannot classify: no second look", writer)
            return None
        return guard(writer)
    spec = settings.safety_guard_model
    if not spec:
        raise ConfigError(
            "SAFETY_GUARD=model needs SAFETY_GUARD_MODEL: a GGUF path, "
            "hf:<owner>/<repo>/<file.gguf> or the URL of a llama-server running the guard"
        )
    model: Completer
    if spec.startswith(("http://", "https://")):
        model = LlamaServerWriter(
            spec,
            grammar_path=settings.llm_grammar,
            constraint=settings.llm_server_constraint,
            timeout=settings.safety_guard_timeout,
        )
    else:
        if parse_hf_model(spec) is None:
            try:  # a missing guard fails at start-up, not in every book
                check_gguf_file(Path(spec).expanduser())
            except StoryError as exc:
                raise ConfigError(f"SAFETY_GUARD_MODEL={spec!r}: {exc}") from None
        # Loaded the way the writer loads its model, on its own worker thread.
        model = LlamaCppWriter(
            spec,
            grammar_path=settings.llm_grammar,
            n_gpu_layers=settings.llm_n_gpu_layers,
            n_ctx=settings.llm_n_ctx,
            threads=settings.llm_threads,
        )
    return guard(model, owns_model=True)


def make_author(
    settings: Settings,
    writer: StoryWriter,
    *,
    seed: int | None = None,
    styles: dict[str, Style] | None = None,
) -> StoryAuthor:
    """The story author around `writer`, with the guard SAFETY_GUARD asks for."""
    return StoryAuthor(
        writer,
        retries=settings.llm_retries,
        timeout=settings.llm_timeout,
        seed=seed,
        safety_screen=settings.safety_screen,
        guard=make_guard(settings, writer),
        style_labels={name: style.label_en for name, style in (styles or {}).items()},
        review=settings.story_review,
    )


def make_narrator(settings: Settings) -> Narrator:
    """The narrator TTS_ENGINE selects."""
    if settings.tts_engine == "espeak":
        return EspeakNarrator(
            voice=settings.tts_voice, speed=settings.tts_speed, workers=settings.tts_workers
        )
    return SupertonicNarrator(
        settings.tts_model_dir,
        voice=settings.tts_voice,
        speed=settings.tts_speed,
        steps=settings.tts_steps,
        workers=settings.tts_workers,
    )


def make_transcriber(settings: Settings) -> Transcriber:
    """The engine STT_ENGINE names (the model is loaded on first use)."""
    return TRANSCRIBERS[settings.stt_engine](
        settings.stt_model,
        language=settings.stt_language,
        max_seconds=settings.stt_max_seconds,
        max_bytes=settings.stt_max_bytes,
        threads=settings.stt_threads,
    )


def comfy_client_options(settings: Settings) -> dict[str, float]:
    """A ComfyUI client's timeouts."""
    return {
        "connect_timeout": settings.comfyui_connect_timeout,
        "image_timeout": settings.image_timeout,
    }


def make_painter(
    settings: Settings, *, workflow: Path | None = None, urls: Sequence[str] | None = None
) -> ComfyPool:
    """The ComfyUI pool; `workflow`/`urls` override the settings' (the CLI's flags)."""
    return ComfyPool(
        urls or settings.comfyui_urls,
        workflow or settings.comfyui_workflow,
        width=settings.image_width,
        height=settings.image_height,
        steps=settings.image_steps,
        **comfy_client_options(settings),
    )


def make_picture_check(settings: Settings) -> PictureCheck | None:
    """The check PICTURE_CHECK asks for, or None when it is switched off."""
    if not settings.picture_check:
        return None
    return PictureCheck(
        threshold=settings.picture_check_threshold, labels=settings.picture_check_labels
    )


def make_book_maker(settings: Settings, painter: Painter | None = None) -> BookMaker:
    """The whole book service; `painter` replaces the ComfyUI pool (tests, benches)."""
    styles = load_styles(settings.image_styles)  # a broken file stops start-up before any store
    store = RunStore(settings.data_dir)
    options = PipelineOptions(
        shared_gpu=settings.shared_gpu,
        gpu_schedule=settings.gpu_schedule,
        make_video=settings.book_video,
        video=VideoOptions(max_bytes=int(settings.video_max_mb * 2**20)),
        picture_size=(settings.image_width, settings.image_height),
        styles=styles,
        make_pdf=settings.book_pdf,
        pdf_font=settings.book_pdf_font,
    )
    painter = painter or make_painter(settings)
    pipeline = Pipeline(
        store,
        make_author(settings, make_writer(settings), styles=styles),
        painter,
        make_narrator(settings),
        options,
        picture_check=make_picture_check(settings),
    )
    scheduler = Scheduler(len(settings.comfyui_urls), settings.max_books_per_user)
    metrics = None
    if settings.metrics_port is not None:  # served by the bot (or CLI) that owns the maker
        pool = painter if isinstance(painter, ComfyPool) else None
        metrics = Metrics(scheduler, pool, salt=installation_salt(settings.data_dir))
    return BookMaker(
        store,
        scheduler,
        pipeline,
        keep_runs=settings.keep_runs,
        safety_screen=settings.safety_screen,
        wait_for_painter=settings.painter_down == "wait",
        painter_probe_every=settings.painter_probe_every,
        metrics=metrics,
    )
