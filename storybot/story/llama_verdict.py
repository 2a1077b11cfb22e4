"""The safety guard's questions on llama.cpp in this process (`LlamaCppWriter.complete` and
`judge`): run on the writer's worker thread, with its loaded `Llama`.

`judge` evaluates the chat prompt plus the question's prefix, reusing what of it is already in
the KV cache (the guard's long system prompt stays there from one check to the next), and reads
the next token's distribution from the logits (storybot/story/verdicts.py says which tokens
count for which choice). Nothing is sampled, so the verdict is the same every time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from storybot.errors import StoryError
from storybot.story.prompt import Message
from storybot.story.verdicts import Judgement, Question, choice_of, normalized
from storybot.story.writers import parse_hf_model

if TYPE_CHECKING:
    import numpy as np
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

# For a GGUF without a chat template (llama-cpp-python would fall back to its own format).
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Which tokens count for which choice, per model file, prefix and choices (made once: reading
# the vocabulary takes a fraction of a second).
_CHOICE_TOKENS: dict[tuple[str, str, tuple[str, ...]], dict[str, np.ndarray]] = {}


def greedy_answer(
    llama: Llama | None, messages: list[Message], grammar: str, max_tokens: int
) -> str:
    """The model's most likely answer under `grammar` (a verdict, not a story)."""
    from llama_cpp import LlamaGrammar

    assert llama is not None

    answer = llama.create_chat_completion(
        messages,  # type: ignore[arg-type]
        grammar=LlamaGrammar.from_string(grammar, verbose=False),
        temperature=0.0,
        max_tokens=max_tokens,
    )
    return answer["choices"][0]["message"]["content"] or ""  # type: ignore[index]


def judge(
    llama: Llama | None,
    formatter: Jinja2ChatFormatter | None,
    messages: list[Message],
    question: Question,
) -> Judgement:
    """The choices' probabilities right after the prompt and `question.prefix` (no answer is
    decoded: the guard asks `greedy_answer` for a refusal's category)."""
    import llama_cpp
    import numpy as np

    assert llama is not None
    if formatter is None:
        formatter = _chatml(llama)
    formatted = formatter(messages=messages)
    tokens = llama.tokenize(
        (formatted.prompt + question.prefix).encode("utf-8"),
        add_bos=not formatted.added_special,
        special=True,
    )
    if len(tokens) >= llama.n_ctx():
        raise StoryError(
            f"the safety check's prompt ({len(tokens)} tokens) does not fit "
            f"LLM_N_CTX={llama.n_ctx()}"
        )
    _evaluate(llama, tokens)
    pointer = llama_cpp.llama_get_logits_ith(llama.ctx, -1)
    logits = np.array(np.ctypeslib.as_array(pointer, shape=(llama.n_vocab(),)), dtype=np.float64)
    logits -= logits.max()
    logprobs = logits - np.log(np.exp(logits).sum())
    masses = {
        choice: float(np.exp(logprobs[ids]).sum())
        for choice, ids in _choice_tokens(llama, question.prefix, question.choices).items()
    }
    return Judgement(normalized(masses))


def _choice_tokens(llama: Llama, prefix: str, choices: tuple[str, ...]) -> dict[str, np.ndarray]:
    import numpy as np

    key = (llama.model_path, prefix, choices)
    if key not in _CHOICE_TOKENS:
        found: dict[str, list[int]] = {choice: [] for choice in choices}
        for token in range(llama.n_vocab()):
            text = llama.detokenize([token]).decode("utf-8", "ignore")
            choice = choice_of(prefix, text, prefix, choices)
            if choice is not None:
                found[choice].append(token)
        _CHOICE_TOKENS[key] = {c: np.array(ids, dtype=np.int64) for c, ids in found.items()}
    return _CHOICE_TOKENS[key]


def model_fingerprint(spec: str) -> str:
    """What identifies the model file: its name, then (after " | ") its resolved path, size
    and modification time (a hf: model once downloaded; else the spec alone)."""
    hf = parse_hf_model(spec)
    path: Path | None = Path(spec).expanduser() if hf is None else None
    if hf is not None:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(*hf)
        path = Path(cached) if isinstance(cached, str) else None
    if path is None or not path.is_file():
        return spec
    stat = path.resolve().stat()
    return f"{path.name} | {path.resolve()}, {stat.st_size} bytes, modified {int(stat.st_mtime)}"


def _evaluate(llama: Llama, tokens: list[int]) -> None:
    """Evaluate `tokens`, keeping the longest prefix already in the KV cache (as
    `Llama.generate` does); the logits of the last token are then llama.cpp's last output."""
    import llama_cpp

    cached = llama.input_ids[: llama.n_tokens].tolist()
    keep = min(llama.longest_token_prefix(cached, tokens), len(tokens) - 1)
    memory = llama_cpp.llama_get_memory(llama.ctx)
    if keep > 0 and llama_cpp.llama_memory_seq_rm(memory, -1, keep, -1):
        llama.n_tokens = keep
    else:  # nothing to keep, or a model whose memory cannot be cut (recurrent)
        llama.reset()
    llama.eval(tokens[llama.n_tokens :])


def _chatml(llama: Llama) -> Jinja2ChatFormatter:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", "ignore")
    return Jinja2ChatFormatter(template=CHATML, eos_token=eos, bos_token="")
