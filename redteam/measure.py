"""The request screen on the red-team corpus: how many unsafe requests it refuses, how many
innocent ones it wrongly refuses, and which.

Not a test: run `python redteam/measure.py` from the repository root (or anywhere). It reads
`redteam/requests.tsv` (or the file given), runs `storybot.safety.screen` on each row as a
`StoryRequest`, and prints recall on unsafe rows (overall, per category, per language), the
false-refusal rate on innocent rows (overall, per language), and every miss and false alarm.
The exit code is always 0: the figures are for reading, not a gate.

    python redteam/measure.py
    python redteam/measure.py --quiet                     # figures only, no list of mistakes
    python redteam/measure.py redteam/holdout_b.tsv       # a held-out slice (see README.md)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import ValidationError  # noqa: E402

from storybot.models import StoryRequest  # noqa: E402
from storybot.safety import CATEGORIES, screen, warm_up  # noqa: E402

COLUMNS = ["label", "language", "category", "era", "place", "characters", "topic"]
DEFAULT = Path(__file__).resolve().parent / "requests.tsv"


@dataclass(frozen=True)
class Row:
    line: int
    label: str
    language: str
    category: str
    request: StoryRequest

    @property
    def text(self) -> str:
        r = self.request
        return " | ".join((r.era, r.place, r.characters, r.topic))


def read_rows(path: Path) -> list[Row]:
    """The corpus's rows; `#` lines are comments and the first other line is the header."""
    rows: list[Row] = []
    header_seen = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if not header_seen:
            if cells != COLUMNS:
                raise ValueError(f"{path}:{number}: expected the header {COLUMNS}, got {cells}")
            header_seen = True
            continue
        if len(cells) != len(COLUMNS):
            raise ValueError(f"{path}:{number}: {len(cells)} columns, expected {len(COLUMNS)}")
        label, language, category, era, place, characters, topic = cells
        if label not in ("unsafe", "innocent") or language not in ("ko", "en"):
            raise ValueError(f"{path}:{number}: bad label or language: {label!r} {language!r}")
        if label == "unsafe" and category not in CATEGORIES:
            raise ValueError(f"{path}:{number}: unknown category {category!r}")
        fields = {"era": era, "place": place, "characters": characters, "topic": topic}
        try:
            request = StoryRequest(**fields, language=language)
        except ValidationError:
            # Longer than the form allows (the bot would ask for a shorter answer): the screen
            # still reads it as written, so the corpus measures the screen and not the form.
            request = StoryRequest.model_construct(**fields, language=language)
        rows.append(Row(number, label, language, category, request))
    return rows


def _rate(hits: int, total: int) -> str:
    return f"{hits / total:6.1%} ({hits}/{total})" if total else "     - (0/0)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--quiet", action="store_true", help="figures only")
    args = parser.parse_args(argv)

    rows = read_rows(args.corpus)
    warm_up()
    start = time.perf_counter()
    verdicts = [screen(row.request) for row in rows]
    elapsed_ms = (time.perf_counter() - start) * 1000

    unsafe = Counter[tuple[str, str]]()
    refused = Counter[tuple[str, str]]()
    innocent = Counter[str]()
    wrongly = Counter[str]()
    misses: list[str] = []
    alarms: list[str] = []
    other_category = 0
    for row, verdict in zip(rows, verdicts, strict=True):
        if row.label == "unsafe":
            unsafe[(row.category, row.language)] += 1
            if verdict.allowed:
                misses.append(f"  {row.line:4} {row.category:9} {row.language}  {row.text}")
            else:
                refused[(row.category, row.language)] += 1
                other_category += verdict.category != row.category
        else:
            innocent[row.language] += 1
            if not verdict.allowed:
                wrongly[row.language] += 1
                alarms.append(
                    f"  {row.line:4} {row.language}  {row.text}"
                    f"  <- {verdict.category}: {verdict.term!r}"
                )

    def total(counter: Counter[tuple[str, str]], category: str = "", language: str = "") -> int:
        return sum(
            n
            for (c, lang), n in counter.items()
            if (not category or c == category) and (not language or lang == language)
        )

    by_language = Counter(row.language for row in rows)
    print(f"corpus: {args.corpus.name}, {len(rows)} requests", end="")
    print(f" (ko {by_language['ko']}, en {by_language['en']});", end="")
    print(f" unsafe {total(unsafe)}, innocent {sum(innocent.values())}")
    print(f"screen: {elapsed_ms / max(len(rows), 1):.2f} ms a request\n")
    print(f"recall (unsafe refused)     {_rate(total(refused), total(unsafe))}")
    for language in ("ko", "en"):
        hits, of = total(refused, language=language), total(unsafe, language=language)
        print(f"  {language:25} {_rate(hits, of)}")
    print("  by category:")
    for category in CATEGORIES:
        hits, of = total(refused, category), total(unsafe, category)
        parts = [
            f"{lang} {total(refused, category, lang)}/{total(unsafe, category, lang)}"
            for lang in ("ko", "en")
        ]
        print(f"    {category:23} {_rate(hits, of)}   [{', '.join(parts)}]")
    print(f"  refused under another category: {other_category}")
    print(f"false refusals (innocent)   {_rate(sum(wrongly.values()), sum(innocent.values()))}")
    for language in ("ko", "en"):
        print(f"  {language:25} {_rate(wrongly[language], innocent[language])}")
    if not args.quiet:
        print(f"\nmissed unsafe requests ({len(misses)}):", *misses, sep="\n")
        print(f"\nfalse alarms on innocent requests ({len(alarms)}):", *alarms, sep="\n")
    return 0


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as error:  # a missing or malformed corpus: said, not raised
        print(f"measure: {error}", file=sys.stderr)
    except SystemExit as stop:  # argparse's --help or a usage error
        if stop.code:
            print(f"measure: stopped ({stop.code})", file=sys.stderr)
    sys.exit(0)
