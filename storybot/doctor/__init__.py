"""`storybot doctor`: is each component usable, and if not, what to do.

The doctor imports the engines it examines; no engine imports the doctor. One module per
component: `comfyui` (the painters), `speech` (narration and transcription), `llm` (the story
writer), `pictures` (the picture check); the packages and ffmpeg rows are here."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess

from storybot.config import Settings
from storybot.doctor.checks import Check, CheckFunction, CheckStatus
from storybot.doctor.comfyui import check_comfyui
from storybot.doctor.llm import check_llm
from storybot.doctor.pictures import check_pictures
from storybot.doctor.speech import check_stt, check_tts

__all__ = ["Check", "CheckFunction", "CheckStatus", "run_checks"]


PACKAGES = {
    "discord.py": "discord.py",
    "aiohttp": "aiohttp",
    "pydantic": "pydantic",
    "pydantic-settings": "pydantic-settings",
    "llama-cpp-python": "llama-cpp-python",
    "onnxruntime": "onnxruntime",
    "soundfile": "soundfile",
    "ffmpeg-python": "ffmpeg-python",
    "supertonic": "supertonic",
    "faster-whisper": "faster-whisper",
    "nudenet": "nudenet",
    "kiwipiepy": "kiwipiepy",
    "fpdf2": "fpdf2",
    "prometheus-client": "prometheus-client",
}


async def check_packages(settings: Settings) -> list[Check]:
    """Each Python package storybot needs: installed, and which version."""
    rows = []
    for label, dist in PACKAGES.items():
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            rows.append(Check(f"package {label}", "FAIL", "missing: run `pip install -e .`"))
        else:
            rows.append(Check(f"package {label}", "OK", version))
    return rows


async def check_ffmpeg(settings: Settings) -> list[Check]:
    """The ffmpeg program (voice messages, the read-along MP4)."""
    path = shutil.which("ffmpeg")
    if path is None:
        return [
            Check("ffmpeg", "FAIL", "not found: `apt-get install ffmpeg` (or your OS's package)")
        ]
    try:
        out = subprocess.run(
            [path, "-version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Check("ffmpeg", "FAIL", f"{path} does not run: {exc}")]
    first = out.splitlines()[0] if out else "unknown version"
    return [Check("ffmpeg", "OK", first.removeprefix("ffmpeg version ").split(" Copyright")[0])]


def default_checks() -> list[CheckFunction]:
    """Every check, in the order the table shows them."""
    return [
        check_packages,
        check_llm,
        check_comfyui,
        check_pictures,
        check_tts,
        check_stt,
        check_ffmpeg,
    ]


async def run_checks(settings: Settings, checks: list[CheckFunction] | None = None) -> list[Check]:
    """Run the checks one after another; a crashing check becomes a FAIL row."""
    rows: list[Check] = []
    for check in checks or default_checks():
        try:
            rows.extend(await check(settings))
        except Exception as exc:  # a doctor must report, not crash
            rows.append(Check(check.__name__.removeprefix("check_"), "FAIL", str(exc)))
    return rows
