"""The doctor's story-writer rows: the grammar, the model file or the llama-server, and the
safety guard's calibration."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from storybot.config import Settings
from storybot.doctor.checks import Check
from storybot.errors import StorybotError, StoryError
from storybot.story.writers import check_gguf_file, parse_hf_model, read_grammars, token_budget
from storybot.wiring import make_guard, make_writer


async def check_llm(settings: Settings) -> list[Check]:
    """Doctor rows: the grammar, and the model file or the llama-server."""
    rows = []
    try:
        grammars = read_grammars(settings.llm_grammar)
        budget = max(token_budget(g, settings.llm_max_tokens) for g in grammars.values())
        rows.append(
            Check("story grammar", "OK", f"{settings.llm_grammar} (at most {budget} tokens)")
        )
    except StoryError as exc:
        rows.append(Check("story grammar", "FAIL", str(exc)))
    rows.append(review_check(settings))
    if settings.llm_server_url:
        rows.append(await check_server(settings.llm_server_url))
        rows.append(await guard_check(settings))
        return rows
    try:
        hf = parse_hf_model(settings.llm_model)
        if hf is None:
            path = Path(settings.llm_model).expanduser()
            check_gguf_file(path)
            size = path.stat().st_size / 2**20
            rows.append(_model_size_check(path, size))
        else:
            rows.append(_check_hf_cache(*hf))
    except StoryError as exc:
        rows.append(Check("LLM model", "FAIL", str(exc)))
    rows.append(await guard_check(settings))
    return rows


async def guard_check(settings: Settings) -> Check:
    """The safety guard: off, a fixed threshold, or calibrated for the configured model (here,
    now, unless the cache has it: as long as checking the calibration corpus takes)."""
    name = "safety guard"
    if settings.safety_guard == "off":
        return Check(name, "WARN", "SAFETY_GUARD=off: no model's second look; the screen runs")
    if settings.safety_guard_threshold is not None:
        threshold = settings.safety_guard_threshold
        return Check(name, "OK", f"fixed threshold {threshold:g} (SAFETY_GUARD_THRESHOLD)")
    spec = settings.safety_guard_model if settings.safety_guard == "model" else None
    spec = spec or (None if settings.llm_server_url else settings.llm_model)
    if spec is not None and not spec.startswith(("http://", "https://")):
        missing = _not_here(spec)
        if missing:
            return Check(name, "WARN", f"not calibrated: {missing}; it calibrates at first use")
    writer = make_writer(settings)
    try:
        guard = make_guard(settings, writer)
        if guard is None:
            return Check(name, "WARN", "the story writer cannot classify: no second look")
        try:
            calibration = await guard.calibrate()
        finally:
            await guard.close()
    except StorybotError as exc:
        return Check(name, "FAIL", f"could not be calibrated: {exc}")
    finally:
        await writer.close()
    assert calibration is not None  # no fixed threshold
    return Check(name, "OK" if calibration.usable else "WARN", calibration.describe())


def _not_here(spec: str) -> str | None:
    """Why a GGUF spec cannot be loaded now (missing, or not downloaded), or None."""
    from huggingface_hub import try_to_load_from_cache

    hf = parse_hf_model(spec)
    if hf is None:
        return None if Path(spec).expanduser().is_file() else f"{spec} not found"
    cached = try_to_load_from_cache(*hf)
    return None if isinstance(cached, str) else f"{spec} is not downloaded yet"


# A GGUF this small holds well under 2B parameters (a 1.5B model at Q4 is about 1 GB): such
# models were seen to cut pages, echo the prompt and forget the characters (bench/review_bench.py).
SMALL_MODEL_MB = 1000
ADVICE = "hf:bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf (the default)"


def _model_size_check(path: Path, size_mb: float) -> Check:
    if size_mb >= SMALL_MODEL_MB:
        return Check("LLM model", "OK", f"{path} ({size_mb:,.0f} MB)")
    return Check(
        "LLM model",
        "WARN",
        f"{path} is {size_mb:,.0f} MB, too small a model for picture books: the content review "
        f"will refuse most of its stories. Use a 7B-class instruct model, e.g. {ADVICE}",
    )


def review_check(settings: Settings) -> Check:
    if settings.story_review:
        return Check("story review", "OK", "a story is a book only when a parent would accept it")
    return Check(
        "story review", "WARN", "STORY_REVIEW=false: stories become books without the review"
    )


def _check_hf_cache(repo: str, filename: str) -> Check:
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(repo, filename)
    if isinstance(cached, str):
        return Check("LLM model", "OK", f"hf:{repo}/{filename} (cached at {cached})")
    return Check(
        "LLM model",
        "WARN",
        f"hf:{repo}/{filename} is not downloaded yet: it is fetched on first use (several GB); "
        "or download it yourself and set LLM_MODEL to its path",
    )


async def check_server(url: str) -> Check:
    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            # llama-server answers /health; llama-cpp-python's server and others only /v1/models.
            for path in ("/health", "/v1/models"):
                async with session.get(f"{url}{path}") as response:
                    if response.status == 200:
                        return Check("llama-server", "OK", f"{url} is up")
            return Check("llama-server", "FAIL", f"{url}{path} answered {response.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Check("llama-server", "FAIL", f"{url} is not reachable ({exc}); start llama-server")
