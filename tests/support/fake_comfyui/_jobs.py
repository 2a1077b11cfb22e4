"""A queued job and the prompt-graph helpers: outputs, execution order, image size, failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.fake_comfyui._nodes import NODE_TYPES


class Interrupted(Exception):
    pass


class NodeFailed(Exception):
    pass


@dataclass
class Job:
    number: int
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs: list[str]

    @property
    def client_id(self) -> str | None:
        return self.extra_data.get("client_id")


def _failure(node_id: str, node: dict[str, Any], executed: list[str]) -> dict[str, Any]:
    return {
        "node_id": node_id,
        "node_type": node["class_type"],
        "executed": executed,
        "exception_message": "Allocation on device 0 would exceed allowed memory. (out of memory)",
        "exception_type": "torch.OutOfMemoryError",
        "traceback": ['  File "ComfyUI/execution.py", line 496, in execute\n'],
        "current_inputs": {k: [v] for k, v in node["inputs"].items() if not isinstance(v, list)},
        "current_outputs": [node_id],
    }


def _outputs(prompt: dict[str, Any]) -> list[str]:
    return [n for n, node in prompt.items() if NODE_TYPES[node["class_type"]].get("output_node")]


def _order(prompt: dict[str, Any], outputs: list[str]) -> list[str]:
    """Nodes the outputs need, each after the nodes it links from (dependency walk)."""
    seen: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in seen or node_id not in prompt:
            return
        for value in prompt[node_id]["inputs"].values():
            if isinstance(value, list) and len(value) == 2:
                visit(str(value[0]))
        seen.append(node_id)

    for output in outputs:
        visit(output)
    return seen


def _image_size(prompt: dict[str, Any]) -> tuple[int, int]:
    for node in prompt.values():
        inputs = node["inputs"]
        if isinstance(inputs.get("width"), int) and isinstance(inputs.get("height"), int):
            return inputs["width"], inputs["height"]
    return 64, 64
