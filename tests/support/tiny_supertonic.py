"""Build a tiny synthetic Supertonic model folder with the `onnx` package, for tests.

The folder has the layout `supertonic.TTS(model_dir=..., auto_download=False)` loads: four ONNX
graphs with the real input names, dtypes and shapes, `tts.json`, `unicode_indexer.json` and the
ten voice styles M1..M5 / F1..F5 with their real dimensions. The weights are random, so the
"speech" is a few sine partials, but every step of supertonic's pipeline runs for real: text
normalisation (NFKD into conjoining Jamo), the indexer, chunking, the duration predictor, the
text encoder, the flow steps and the vocoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from storybot import models

SAMPLE_RATE = 44100
BASE_CHUNK = 512
COMPRESS = 6
LATENT_DIM = 24
LATENT_CHANNELS = LATENT_DIM * COMPRESS  # 144
FRAME = BASE_CHUNK * COMPRESS  # 3072 samples per latent frame
TEXT_DIM = 256
SECONDS_PER_ID = 0.055
VOICES = list(models.VOICES)

# Printable ASCII and the conjoining Jamo block: NFKD turns Hangul syllables into Jamo.
ASCII = range(0x20, 0x7F)
JAMO = range(0x1100, 0x1200)
INDEXER_SIZE = 0x1200
VOCAB = 1 + len(ASCII) + len(JAMO)

FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64


def _input(name: str, dtype: int, shape: list[str | int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(value, name)


def _save(
    path: Path,
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    output: onnx.ValueInfoProto,
    initializers: list[onnx.TensorProto],
) -> None:
    graph = helper.make_graph(nodes, path.stem, inputs, [output], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def _scalar(value: float) -> np.ndarray:
    return np.array(value, dtype=np.float32)


def _duration_predictor(path: Path) -> None:
    """sum(text_mask) · 0.055 s · (1 + 0.1·tanh(mean(style_dp))); bad ids still fail Gather."""
    nodes = [
        helper.make_node("ReduceSum", ["text_mask", "axes12"], ["length"], keepdims=0),
        helper.make_node("Mul", ["length", "per_id"], ["base"]),
        helper.make_node("ReduceMean", ["style_dp"], ["style_mean"], axes=[1, 2], keepdims=0),
        helper.make_node("Tanh", ["style_mean"], ["style_tanh"]),
        helper.make_node("Mul", ["style_tanh", "tenth"], ["style_scaled"]),
        helper.make_node("Add", ["style_scaled", "one"], ["factor"]),
        helper.make_node("Mul", ["base", "factor"], ["scaled"]),
        helper.make_node("Gather", ["zeros", "text_ids"], ["gathered"], axis=0),
        helper.make_node("ReduceSum", ["gathered", "axes12"], ["zero"], keepdims=0),
        helper.make_node("Add", ["scaled", "zero"], ["duration"]),
    ]
    _save(
        path,
        nodes,
        [
            _input("text_ids", INT64, ["B", "T"]),
            _input("style_dp", FLOAT, ["B", 8, 16]),
            _input("text_mask", FLOAT, ["B", 1, "T"]),
        ],
        _input("duration", FLOAT, ["B"]),
        [
            _const("axes12", np.array([1, 2], dtype=np.int64)),
            _const("per_id", _scalar(SECONDS_PER_ID)),
            _const("tenth", _scalar(0.1)),
            _const("one", _scalar(1.0)),
            _const("zeros", np.zeros((VOCAB, 1), dtype=np.float32)),
        ],
    )


def _text_encoder(path: Path, rng: np.random.Generator) -> None:
    """tanh(Emb[text_ids]ᵀ + mean(style_ttl)) · text_mask → [B, 256, T]."""
    embedding = rng.normal(0.0, 0.5, (VOCAB, TEXT_DIM)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["embedding", "text_ids"], ["embedded"], axis=0),
        helper.make_node("Transpose", ["embedded"], ["channels_first"], perm=[0, 2, 1]),
        helper.make_node("ReduceMean", ["style_ttl"], ["style_mean"], axes=[1, 2], keepdims=1),
        helper.make_node("Add", ["channels_first", "style_mean"], ["biased"]),
        helper.make_node("Tanh", ["biased"], ["activated"]),
        helper.make_node("Mul", ["activated", "text_mask"], ["text_emb"]),
    ]
    _save(
        path,
        nodes,
        [
            _input("text_ids", INT64, ["B", "T"]),
            _input("style_ttl", FLOAT, ["B", 50, TEXT_DIM]),
            _input("text_mask", FLOAT, ["B", 1, "T"]),
        ],
        _input("text_emb", FLOAT, ["B", TEXT_DIM, "T"]),
        [_const("embedding", embedding)],
    )


def _vector_estimator(path: Path, rng: np.random.Generator) -> None:
    """One Euler step of a toy flow towards W·(mean_T(text_emb) + mean(style_ttl)), masked."""
    weight = rng.normal(0.0, 0.2, (TEXT_DIM, LATENT_CHANNELS)).astype(np.float32)
    nodes = [
        helper.make_node("ReduceMean", ["text_emb"], ["text_mean"], axes=[2], keepdims=0),
        helper.make_node("ReduceMean", ["style_ttl"], ["style_mean"], axes=[2], keepdims=0),
        helper.make_node("ReduceMean", ["style_mean"], ["style_scalar"], axes=[1], keepdims=1),
        helper.make_node("Add", ["text_mean", "style_scalar"], ["summary"]),
        helper.make_node("MatMul", ["summary", "weight"], ["target_flat"]),
        helper.make_node("Unsqueeze", ["target_flat", "axis2"], ["target"]),
        helper.make_node("Sub", ["target", "noisy_latent"], ["delta"]),
        helper.make_node("Reshape", ["total_step", "shape_b11"], ["steps"]),
        helper.make_node("Div", ["delta", "steps"], ["step_delta"]),
        helper.make_node("Add", ["noisy_latent", "step_delta"], ["moved"]),
        # current_step and text_mask join with weight zero so that every real input is used.
        helper.make_node("ReduceSum", ["current_step"], ["step_sum"], keepdims=0),
        helper.make_node("ReduceSum", ["text_mask"], ["mask_sum"], keepdims=0),
        helper.make_node("Add", ["step_sum", "mask_sum"], ["unused"]),
        helper.make_node("Mul", ["unused", "zero"], ["nothing"]),
        helper.make_node("Add", ["moved", "nothing"], ["moved_used"]),
        helper.make_node("Mul", ["moved_used", "latent_mask"], ["next_latent"]),
    ]
    _save(
        path,
        nodes,
        [
            _input("noisy_latent", FLOAT, ["B", LATENT_CHANNELS, "L"]),
            _input("text_emb", FLOAT, ["B", TEXT_DIM, "T"]),
            _input("style_ttl", FLOAT, ["B", 50, TEXT_DIM]),
            _input("text_mask", FLOAT, ["B", 1, "T"]),
            _input("latent_mask", FLOAT, ["B", 1, "L"]),
            _input("current_step", FLOAT, ["B"]),
            _input("total_step", FLOAT, ["B"]),
        ],
        _input("next_latent", FLOAT, ["B", LATENT_CHANNELS, "L"]),
        [
            _const("weight", weight),
            _const("axis2", np.array([2], dtype=np.int64)),
            _const("shape_b11", np.array([-1, 1, 1], dtype=np.int64)),
            _const("zero", _scalar(0.0)),
        ],
    )


def _vocoder(path: Path, rng: np.random.Generator) -> None:
    """0.3·tanh(latentᵀ @ W), W made of sine partials, flattened to [B, L·3072]."""
    frequencies = rng.uniform(110.0, 880.0, LATENT_CHANNELS)
    time = np.arange(FRAME) / SAMPLE_RATE
    partials = np.sin(2 * np.pi * frequencies[:, None] * time[None, :]) / np.sqrt(LATENT_CHANNELS)
    nodes = [
        helper.make_node("Transpose", ["latent"], ["frames"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["frames", "partials"], ["mixed"]),
        helper.make_node("Tanh", ["mixed"], ["bounded"]),
        helper.make_node("Mul", ["bounded", "gain"], ["framed"]),
        helper.make_node("Reshape", ["framed", "flat"], ["wav"]),
    ]
    _save(
        path,
        nodes,
        [_input("latent", FLOAT, ["B", LATENT_CHANNELS, "L"])],
        _input("wav", FLOAT, ["B", "N"]),
        [
            _const("partials", partials.astype(np.float32)),
            _const("gain", _scalar(0.3)),
            _const("flat", np.array([0, -1], dtype=np.int64)),
        ],
    )


def _indexer() -> list[int]:
    table = [-1] * INDEXER_SIZE
    for model_id, code in enumerate([*ASCII, *JAMO], start=1):
        table[code] = model_id
    return table


def _voice(rng: np.random.Generator) -> dict[str, dict[str, list[int] | list[float]]]:
    def block(*dims: int) -> dict[str, list[int] | list[float]]:
        data = np.round(rng.normal(0.0, 0.3, dims), 4).ravel().tolist()
        return {"dims": list(dims), "data": data}

    return {"style_ttl": block(1, 50, TEXT_DIM), "style_dp": block(1, 8, 16)}


def build_tiny_supertonic(folder: Path, seed: int = 0) -> Path:
    """Write the whole model folder into `folder` and return it."""
    rng = np.random.default_rng(seed)
    onnx_dir = folder / "onnx"
    voices_dir = folder / "voice_styles"
    onnx_dir.mkdir(parents=True, exist_ok=True)
    voices_dir.mkdir(parents=True, exist_ok=True)

    _duration_predictor(onnx_dir / "duration_predictor.onnx")
    _text_encoder(onnx_dir / "text_encoder.onnx", rng)
    _vector_estimator(onnx_dir / "vector_estimator.onnx", rng)
    _vocoder(onnx_dir / "vocoder.onnx", rng)

    config = {
        "ae": {"sample_rate": SAMPLE_RATE, "base_chunk_size": BASE_CHUNK},
        "ttl": {"chunk_compress_factor": COMPRESS, "latent_dim": LATENT_DIM},
    }
    (onnx_dir / "tts.json").write_text(json.dumps(config), encoding="utf-8")
    (onnx_dir / "unicode_indexer.json").write_text(json.dumps(_indexer()), encoding="utf-8")
    for name in VOICES:
        (voices_dir / f"{name}.json").write_text(json.dumps(_voice(rng)), encoding="utf-8")
    return folder
