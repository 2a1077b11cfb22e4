"""The request screen's rates on its corpus: unsafe refused, innocent wrongly refused.

`safety_corpus.tsv` was written before the screen was tuned (with a second batch after its
first run); `safety_heldout.tsv` was written at the same time and not run while tuning. Both
count; the rates are printed per file (`pytest -s` shows them).
"""

from __future__ import annotations

import pytest

from storybot.safety import CATEGORIES, screen_text
from tests.support import SAMPLES

DATA = SAMPLES
FILES = ("safety_corpus.tsv", "safety_heldout.tsv")


def read_corpus(name: str) -> list[tuple[str, str, str]]:
    """(expected, category, text) rows; `#` lines are comments, the first row the header."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    assert rows[0] == ["expected", "category", "text"]
    return [(row[0], row[1], row[2]) for row in rows[1:]]


def rates(rows: list[tuple[str, str, str]]) -> tuple[float, float, list[str]]:
    """Share of unsafe rows refused, share of innocent rows refused, and the mistakes."""
    unsafe = refused = innocent = wrongly = 0
    mistakes = []
    for expected, _, text in rows:
        hit = screen_text(text)
        if expected == "refuse":
            unsafe += 1
            refused += hit is not None
        else:
            innocent += 1
            wrongly += hit is not None
        if (hit is not None) != (expected == "refuse"):
            mistakes.append(f"{expected}: {text} ({hit})")
    return refused / unsafe, wrongly / innocent, mistakes


def test_corpus_is_well_formed() -> None:
    rows = [row for name in FILES for row in read_corpus(name)]
    assert len(rows) >= 150
    assert {expected for expected, _, _ in rows} == {"allow", "refuse"}
    assert {c for e, c, _ in rows if e == "refuse"} == set(CATEGORIES)
    texts = [text for _, _, text in rows]
    assert len(texts) == len(set(texts)), "duplicate rows"
    korean = sum(any("가" <= ch <= "힣" or "ㄱ" <= ch <= "ㅣ" for ch in t) for t in texts)
    assert 0.3 < korean / len(texts) < 0.7  # both languages


@pytest.mark.parametrize("name", FILES)
def test_rates(name: str) -> None:
    refused, wrongly, mistakes = rates(read_corpus(name))
    print(f"\n{name}: unsafe refused {refused:.1%}, innocent refused {wrongly:.1%}")
    for mistake in mistakes:
        print("  ", mistake)
    assert refused >= 0.95, mistakes
    assert wrongly < 0.05, mistakes
