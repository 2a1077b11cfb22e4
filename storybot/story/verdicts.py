"""A model's probabilities at the decision point of a short constrained answer.

The guard does not take the model's greedy token for its verdict: it reads how likely the model
thinks each way of going on is right after a forced prefix (`{"safe":` then ` true` or
` false`). A `Question` says what is asked; a writer answers it with a `Judgement`:

- in this process (storybot/story/llama.py): the prompt plus the prefix are evaluated and the
  next token's distribution over the whole vocabulary is read from the logits;
- through a server (storybot/story/server.py): the greedy answer under the grammar is asked for
  with OpenAI's `logprobs`/`top_logprobs`; the token where the answer leaves the prefix is the
  decision, and its `top_logprobs` (the model's distribution before the grammar: llama-server's
  default, and llama-cpp-python's server) are read there.

Either way a token counts for a choice when the text it makes after the prefix (whitespace
ignored) is a non-empty beginning of the choice (` t`, `tr`, ` true`) or the choice and more
(`true,`); tokens that are only whitespace, or that fit no choice, are left out, and the
choices' probabilities are divided by their sum. Choices must differ in their first character.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TOP_LOGPROBS = 20  # alternatives per token a server is asked for (OpenAI's maximum)


@dataclass(frozen=True)
class Question:
    """A short answer under `grammar` (`schema` for servers that take JSON schemas), and the
    choice it makes right after `prefix`."""

    grammar: str
    schema: dict[str, Any]
    max_tokens: int
    prefix: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Judgement:
    """The model's probability of each choice at the decision (they sum to 1), and its greedy
    answer under the grammar when it wrote one anyway (a server does; in this process '')."""

    probabilities: dict[str, float]
    answer: str = ""


def _compact(text: str) -> str:
    return "".join(text.split())


def choice_of(before: str, token: str, prefix: str, choices: Sequence[str]) -> str | None:
    """The choice that `token`, coming after the answer's text `before`, begins (see the module
    docstring); None when it reaches no further than the prefix or fits no choice."""
    head, text = _compact(prefix), _compact(before + token)
    if not text.startswith(head) or len(text) == len(head):
        return None
    rest = text[len(head) :]
    for choice in choices:
        if choice.startswith(rest) or rest.startswith(choice):
            return choice
    return None


def normalized(masses: Mapping[str, float]) -> dict[str, float]:
    """The masses divided by their sum; ValueError when the model gave the choices nothing."""
    total = sum(masses.values())
    if not total > 0:
        raise ValueError(f"the model gave none of {sorted(masses)} any probability")
    return {choice: mass / total for choice, mass in masses.items()}


def from_logprobs(
    tokens: Sequence[Mapping[str, Any]], prefix: str, choices: Sequence[str]
) -> dict[str, float]:
    """The choices' probabilities from an OpenAI-style `logprobs.content` list (each entry's
    `token`, `logprob` and `top_logprobs`); ValueError when the answer does not begin with the
    prefix and go on past it."""
    head, before = _compact(prefix), ""
    for entry in tokens:
        token = str(entry["token"])
        text = _compact(before + token)
        if len(text) <= len(head):
            if not head.startswith(text):
                raise ValueError(f"the answer {before + token!r} does not begin with {prefix!r}")
            before += token
            continue
        if not text.startswith(head):
            raise ValueError(f"the answer {before + token!r} does not begin with {prefix!r}")
        masses = dict.fromkeys(choices, 0.0)
        seen: set[str] = set()
        for alternative in [*(entry.get("top_logprobs") or []), entry]:
            text = str(alternative["token"])
            choice = choice_of(before, text, prefix, choices)
            if choice is not None and text not in seen:
                seen.add(text)
                masses[choice] += math.exp(float(alternative["logprob"]))
        return normalized(masses)
    raise ValueError(f"the answer ended before its choice after {prefix!r}")
