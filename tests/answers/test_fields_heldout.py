"""The held-out answers in tests/support/samples/field_answers.tsv, each asserting its exact value.

The file was written before the Kiwi parser was tuned, as children and parents answer: fillers,
polite endings, particles, names, spaced and unspaced eras, a few in English. `storybot parse
--field F "…"` shows what the parser makes of any other answer.
"""

from __future__ import annotations

import pytest

from storybot.answers.fields import Value, parse_field
from tests.support import SAMPLES

DATA = SAMPLES / "field_answers.tsv"
KNOWN_MISSES = {"그 미래요 로봇 나오는"}  # an afterthought after 요: the first phrase is not taken


def load() -> list[tuple[str, str, Value]]:
    """(field, answer, expected) rows; characters' names are joined by | in the file."""
    rows: list[tuple[str, str, Value]] = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        field, said, expected = line.split("\t")
        rows.append((field, said, expected.split("|") if field == "characters" else expected))
    return rows


ROWS = load()


def _case(field: str, said: str, expected: Value) -> object:
    marks = [pytest.mark.xfail(strict=True, reason="known miss")] if said in KNOWN_MISSES else []
    return pytest.param(field, said, expected, marks=marks, id=f"{field}:{said}")


@pytest.mark.parametrize(("field", "said", "expected"), [_case(*row) for row in ROWS])
def test_held_out_answer(field: str, said: str, expected: Value) -> None:
    assert parse_field(field, said) == expected


def test_the_set_is_big_and_covers_every_field() -> None:
    assert len(ROWS) >= 60
    for field in ("era", "place", "characters", "topic"):
        assert sum(1 for f, _, _ in ROWS if f == field) >= 15
