"""Tokens per second of grammar-forced vs free generation, on the tiny test model.

Not a test: run `python bench/llm_bench.py [--runs N] [--model GGUF]`. Both modes run in this
process on the same model and prompt, interleaved, and the ratio is printed; absolute numbers
depend on the machine, the ratio much less. With a real model, pass --model.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llama_cpp import Llama, LlamaGrammar  # noqa: E402

from storybot.models import StoryRequest  # noqa: E402
from storybot.story.prompt import build_messages  # noqa: E402
from storybot.story.writers import TOP_K  # noqa: E402


def generate(llama: Llama, grammar: LlamaGrammar | None, seed: int, max_tokens: int) -> tuple:
    messages = build_messages(
        StoryRequest(era="조선시대", place="궁궐", characters="호랑이, 토끼", topic="우정")
    )
    started = time.perf_counter()
    result = llama.create_chat_completion(
        messages,  # type: ignore[arg-type]
        grammar=grammar,
        temperature=0.7,
        top_p=0.9,
        top_k=TOP_K,
        max_tokens=max_tokens,
        seed=seed,
    )
    seconds = time.perf_counter() - started
    return result["usage"]["completion_tokens"], seconds  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", type=Path, help="a GGUF (default: build the tiny test model)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from tests.tiny_gguf import build_tiny_gguf

            model = build_tiny_gguf(Path(tmp) / "tiny.gguf")
        llama = Llama(model_path=str(model), n_ctx=4096, n_threads=args.threads, verbose=False)
        grammar = LlamaGrammar.from_string(
            (ROOT / "grammars" / "story.gbnf").read_text(encoding="utf-8"), verbose=False
        )
        generate(llama, grammar, 0, 64)  # warm-up: prompt cache, first-call costs
        forced, free = [], []
        for run in range(args.runs):
            tokens, seconds = generate(llama, grammar, run, 2000)
            forced.append(tokens / seconds)
            # Free generation of the same length, so both pay the same context growth.
            free_tokens, free_seconds = generate(llama, None, run, tokens)
            free.append(free_tokens / free_seconds)
            print(
                f"run {run}: grammar {tokens} tokens {seconds:.2f} s ({forced[-1]:.0f} tok/s); "
                f"free {free_tokens} tokens {free_seconds:.2f} s ({free[-1]:.0f} tok/s)"
            )
        forced_median, free_median = statistics.median(forced), statistics.median(free)
        print(
            f"median tokens/s: grammar-forced {forced_median:.0f}, free {free_median:.0f}; "
            f"grammar/free = {forced_median / free_median:.2f}x"
        )


if __name__ == "__main__":
    main()
