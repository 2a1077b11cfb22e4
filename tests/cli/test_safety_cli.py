"""`storybot screen`: an operator checks a wording without making a book."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from storybot.cli import main
from storybot.safety import REFUSAL_EN, REFUSAL_KO

FIELDS = ["--era", "옛날", "--place", "숲", "--characters", "토끼"]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`main` points the root logger at this test's captured stderr; give the old one back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_verdict_of_a_refused_request(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["screen", *FIELDS, "--topic", "살 인", "--json"])
    verdict = json.loads(capsys.readouterr().out)
    assert verdict == {"allowed": False, "category": "violence", "message": REFUSAL_KO}
    assert code == 1


def test_json_verdict_of_an_allowed_request(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["screen", *FIELDS, "--topic", "마약 김밥 소풍", "--json"])
    assert json.loads(capsys.readouterr().out) == {
        "allowed": True,
        "category": None,
        "message": None,
    }
    assert code == 0


def test_plain_verdict_names_the_category_in_the_requests_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    english = ["--era", "today", "--place", "a park", "--characters", "two kids"]
    assert main(["screen", *english, "--topic", "a water gun fight", "--language", "en"]) == 0
    assert capsys.readouterr().out.strip() == "allowed"
    assert main(["screen", *english, "--topic", "K.I.L.L", "--language", "en"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("refused: violence (kill)") and REFUSAL_EN in out
