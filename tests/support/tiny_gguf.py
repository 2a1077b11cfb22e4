"""Build a tiny random-weight llama GGUF with the `gguf` package, for tests and benchmarks.

The vocabulary is SentencePiece-style ("llama"): control tokens, 256 byte-fallback tokens, `▁`
and printable ASCII, and (optionally) every Hangul syllable, one token each. The weights are
random except for one shared direction in the embeddings that makes the final hidden state
nearly constant, so each token's logit is set by its class: Hangul, ASCII letters, the quote
that closes a string, other punctuation, bytes. That gives the grammar strings of a sensible
length (tens of characters) with Hangul in the story text, instead of strings that always run
to their bound. It is still noise, not a language model.

With `uniform=True` every weight is drawn uniformly at random and no token class is favoured:
the honest stand-in for a weak or confused model, which writes whatever the grammar allows and
runs every string to its bound.
"""

from __future__ import annotations

import string
from pathlib import Path

import gguf
import numpy as np

N_EMBD = 64
N_FF = 128
N_LAYER = 2
N_HEAD = 4
CONTEXT = 8192
SHARED = 40.0  # the shared embedding component; the final norm scales it to about sqrt(N_EMBD)

# Logit offsets per token class (before the sampler's temperature).
BIAS_HANGUL = 4.0
BIAS_LETTER = 3.6
BIAS_QUOTE = 4.6
BIAS_OTHER = 1.0
BIAS_BYTE = -10.0

TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_BYTE = 1, 2, 3, 6

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _vocabulary(hangul: bool) -> tuple[list[str], list[int], list[float]]:
    """Tokens, their types and their logit biases."""
    tokens = ["<unk>", "<s>", "</s>"]
    types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL]
    biases = [BIAS_BYTE] * 3
    for byte in range(256):
        tokens.append(f"<0x{byte:02X}>")
        types.append(TOKEN_BYTE)
        biases.append(BIAS_BYTE)
    tokens.append("▁")
    types.append(TOKEN_NORMAL)
    biases.append(BIAS_LETTER)
    for char in string.printable[:94]:  # 0x21..0x7E in string.printable's order
        tokens.append(char)
        types.append(TOKEN_NORMAL)
        if char == '"':
            biases.append(BIAS_QUOTE)
        elif char.isalpha():
            biases.append(BIAS_LETTER)
        else:
            biases.append(BIAS_OTHER)
    if hangul:
        for code in range(0xAC00, 0xD7A4):
            tokens.append(chr(code))
            types.append(TOKEN_NORMAL)
            biases.append(BIAS_HANGUL)
    return tokens, types, biases


def build_tiny_gguf(
    path: Path,
    *,
    hangul: bool = True,
    seed: int = 0,
    uniform: bool = False,
    chat_template: bool = True,
) -> Path:
    """Write the tiny model to `path` (about 3.5 MB with Hangul) and return the path.

    `uniform`: uniformly random weights, no per-class bias (see the module's docstring).
    `chat_template`: without one, llama-cpp-python falls back to its llama-2 chat format."""
    rng = np.random.default_rng(seed)
    tokens, types, biases = _vocabulary(hangul)
    n_vocab = len(tokens)

    def rand(*shape: int, scale: float = 0.02) -> np.ndarray:
        if uniform:  # same variance as the normal draw, from a uniform distribution
            bound = scale * np.sqrt(3.0)
            return rng.uniform(-bound, bound, shape).astype(np.float32)
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    if uniform:
        # Tied output: logits = h . e with h of norm about sqrt(N_EMBD), so a scale of 0.5
        # spreads the logits by a few units: a peaked, context-dependent, unbiased choice.
        emb = rand(n_vocab, N_EMBD, scale=0.5)
    else:
        emb = rand(n_vocab, N_EMBD, scale=0.1)
        # Tied output: logit = h . e, and h is close to sqrt(N_EMBD) along dimension 0.
        emb[:, 0] = SHARED + np.asarray(biases, dtype=np.float32) / np.sqrt(N_EMBD)

    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(10000.0)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([-1.0] * n_vocab)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if chat_template:
        writer.add_chat_template(CHAT_TEMPLATE)

    writer.add_tensor("token_embd.weight", emb)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, np.float32))
    shapes = {
        "attn_q": (N_EMBD, N_EMBD),
        "attn_k": (N_EMBD, N_EMBD),
        "attn_v": (N_EMBD, N_EMBD),
        "attn_output": (N_EMBD, N_EMBD),
        "ffn_gate": (N_FF, N_EMBD),
        "ffn_up": (N_FF, N_EMBD),
        "ffn_down": (N_EMBD, N_FF),
    }
    for layer in range(N_LAYER):
        for name, shape in shapes.items():
            writer.add_tensor(f"blk.{layer}.{name}.weight", rand(*shape))
        writer.add_tensor(f"blk.{layer}.attn_norm.weight", np.ones(N_EMBD, np.float32))
        writer.add_tensor(f"blk.{layer}.ffn_norm.weight", np.ones(N_EMBD, np.float32))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
