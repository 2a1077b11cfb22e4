"""`storybot …` run as a real subprocess, the way an operator runs it (tests' helper)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def storybot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "COMFYUI_"))}
    # The tiny random-weight model's guard verdict is noise (it refuses everything): the guard
    # has its own tests (tests/story/test_guard.py), and books here run without it. Its prose
    # is noise, which the content review refuses: it has its own tests too.
    environment.update(
        {"SAFETY_GUARD": "off", "STORY_REVIEW": "false", **env},
        HF_HUB_OFFLINE="1",
        LOG_LEVEL="WARNING",
    )
    return subprocess.run(
        [sys.executable, "-m", "storybot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
