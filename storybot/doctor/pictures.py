"""The doctor's picture-check row: the detector's package and model, its load time, and one
timed check of the placeholder picture."""

from __future__ import annotations

import asyncio
import importlib.metadata
import time

from storybot.config import Settings
from storybot.doctor.checks import Check
from storybot.engines.picture_check import PictureCheckError, default_model_path
from storybot.engines.placeholder import placeholder_png
from storybot.wiring import make_picture_check


async def check_pictures(settings: Settings) -> list[Check]:
    """Doctor row: the detector's package and model, its load time, and one timed check."""
    return [await asyncio.to_thread(_check_pictures_blocking, settings)]


def _check_pictures_blocking(settings: Settings) -> Check:
    checker = make_picture_check(settings)
    if checker is None:
        return Check("picture check", "WARN", "off (PICTURE_CHECK=false): pictures go unchecked")
    try:
        version = importlib.metadata.version("nudenet")
        model = default_model_path()
        if not model.is_file():
            return Check("picture check", "FAIL", f"{model} is missing: reinstall nudenet")
    except (importlib.metadata.PackageNotFoundError, FileNotFoundError):
        return Check("picture check", "FAIL", "nudenet is not installed: run `pip install -e .`")
    started = time.perf_counter()
    try:
        checker.load()
    except PictureCheckError as exc:
        return Check("picture check", "FAIL", str(exc))
    load_ms = (time.perf_counter() - started) * 1000
    width, height = settings.image_width, settings.image_height
    verdict = checker.check_blocking(placeholder_png(width, height))
    if not verdict.checked:
        return Check("picture check", "FAIL", f"loads but cannot check: {verdict.reason}")
    size_mb = model.stat().st_size / 2**20
    detail = (
        f"nudenet {version}, {model.name} ({size_mb:.0f} MB) loads in {load_ms:.0f} ms, "
        f"checks a {width}×{height} picture in {verdict.seconds * 1000:.0f} ms; flags "
        f"{', '.join(sorted(checker.labels))} at ≥{checker.threshold:g}"
    )
    if not verdict.safe:  # our own placeholder must pass, or every flagged page would fail too
        return Check("picture check", "WARN", f"{detail}; it flags the placeholder picture")
    return Check("picture check", "OK", detail)
