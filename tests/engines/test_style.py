"""House rules that are cheap to check: ruff, and no print() in library code."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from storybot.config import PROJECT_ROOT


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the test extra")
def test_ruff_is_clean() -> None:
    result = subprocess.run(
        ["ruff", "check", "storybot", "tests", "bench", "bot.py"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_library_code_logs_instead_of_printing() -> None:
    offenders = []
    for path in (PROJECT_ROOT / "storybot").rglob("*.py"):
        if path.parent.name == "cli":  # the command's output is its job
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"\s*print\(", line):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}")
    assert offenders == []


def test_product_code_knows_nothing_of_tests() -> None:
    pattern = re.compile(r"PYTEST_CURRENT_TEST|unittest\.mock|from tests|import tests")
    hits = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "storybot").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert hits == []
