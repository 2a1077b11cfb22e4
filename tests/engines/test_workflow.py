"""Loading and filling ComfyUI API-format workflows by their node titles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storybot.config import PROJECT_ROOT, Settings
from storybot.engines.workflow import (
    NEGATIVE,
    STYLE_PREFIX,
    Workflow,
    WorkflowError,
    describe_refusal,
    positive_text,
)

WORKFLOWS = PROJECT_ROOT / "workflows"


def node(class_type: str, title: str = "", **inputs: Any) -> dict[str, Any]:
    meta = {"_meta": {"title": title}} if title else {}
    return {"class_type": class_type, "inputs": inputs, **meta}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("name", ["flux_schnell.json", "sdxl.json"])
def test_shipped_workflows_load(name: str) -> None:
    workflow = Workflow.load(WORKFLOWS / name)
    assert set(workflow.titled) == {"positive", "negative", "seed", "size"}
    assert [m.input_name for m in workflow.model_inputs()] == ["ckpt_name"]


def test_default_workflow_is_flux_schnell_as_comfyui_examples_have_it() -> None:
    assert Settings().comfyui_workflow == WORKFLOWS / "flux_schnell.json"
    graph = Workflow.load(WORKFLOWS / "flux_schnell.json").graph
    loader = next(n for n in graph.values() if n["class_type"] == "CheckpointLoaderSimple")
    assert loader["inputs"]["ckpt_name"] == "flux1-schnell-fp8.safetensors"
    sampler = next(n for n in graph.values() if n["class_type"] == "KSampler")["inputs"]
    assert (sampler["steps"], sampler["cfg"], sampler["sampler_name"], sampler["scheduler"]) == (
        4, 1.0, "euler", "simple",
    )  # fmt: skip
    size = next(n for n in graph.values() if n["class_type"] == "EmptySD3LatentImage")
    assert (size["inputs"]["width"], size["inputs"]["height"]) == (1024, 1024)


def test_fill_writes_a_copy() -> None:
    workflow = Workflow.load(WORKFLOWS / "sdxl.json")
    before = json.dumps(workflow.graph, sort_keys=True)
    graph = workflow.fill("a fox. ", seed=5, character_sheet="a red fox", width=512, height=640,
                          steps=20)  # fmt: skip
    assert json.dumps(workflow.graph, sort_keys=True) == before
    assert graph["6"]["inputs"]["text"] == f"{STYLE_PREFIX}a fox, a red fox"
    assert graph["7"]["inputs"]["text"] == f"{NEGATIVE}, blurry, lowres, deformed, extra fingers"
    assert graph["3"]["inputs"]["seed"] == 5 and graph["3"]["inputs"]["steps"] == 20
    assert graph["5"]["inputs"] == {"width": 512, "height": 640, "batch_size": 1}


def test_noise_seed_steps_title_and_flux_text_encoder() -> None:
    workflow = Workflow.from_dict({
        "1": node("CLIPTextEncodeFlux", "Positive", clip_l="", t5xxl="", guidance=3.5),
        "2": node("RandomNoise", "seed", noise_seed=0),
        "3": node("BasicScheduler", "steps", steps=20, scheduler="simple"),
        "4": node("SaveImage", images=["9", 0]),
    })  # fmt: skip
    graph = workflow.fill("a boat", seed=77, steps=4, width=512)
    assert (
        graph["1"]["inputs"]["clip_l"] == graph["1"]["inputs"]["t5xxl"] == positive_text("a boat")
    )
    assert graph["2"]["inputs"]["noise_seed"] == 77
    assert graph["3"]["inputs"]["steps"] == 4


def test_optional_titles_may_be_missing() -> None:
    workflow = Workflow.from_dict({"1": node("CLIPTextEncode", "positive", text="")})
    assert workflow.fill("a cat", seed=1, width=64, height=64, steps=2) == {
        "1": node("CLIPTextEncode", "positive", text=f"{STYLE_PREFIX}a cat")
    }


def test_ui_format_is_refused_with_export_api_advice(tmp_path: Path) -> None:
    ui = {"last_node_id": 2, "nodes": [{"id": 1, "type": "EmptyImage"}], "links": []}
    with pytest.raises(WorkflowError, match=r"UI-format.*Export \(API\)"):
        Workflow.load(write(tmp_path, ui))


def test_no_positive_node_is_refused_naming_the_titles(tmp_path: Path) -> None:
    data = {
        "6": node("CLIPTextEncode", "CLIP Text Encode (Prompt)", text=""),
        "3": node("KSampler", "KSampler", seed=0, steps=4),
    }
    with pytest.raises(WorkflowError) as caught:
        Workflow.load(write(tmp_path, data))
    message = str(caught.value)
    assert "no node titled 'positive'" in message
    assert "'CLIP Text Encode (Prompt)', 'KSampler'" in message


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not an API-format workflow"),
        ({"1": {"inputs": {}}}, "node '1' has no class_type"),
        ({"1": node("CLIPTextEncode", "positive", text=""),
          "2": node("CLIPTextEncode", "positive", text="")}, "two nodes are titled 'positive'"),
        ({"1": node("KSampler", "positive", seed=0)}, "titled 'positive' but has none of"),
        ({"1": node("CLIPTextEncode", "positive", text=""),
          "2": node("EmptyLatentImage", "size", batch_size=1)}, "titled 'size' but has no width"),
        ({"1": node("CLIPTextEncode", "positive", text=""),
          "2": node("KSampler", "seed", steps=4)}, "titled 'seed' but has none of"),
    ],
)  # fmt: skip
def test_broken_workflows_are_refused(tmp_path: Path, data: Any, pattern: str) -> None:
    with pytest.raises(WorkflowError, match=pattern):
        Workflow.load(write(tmp_path, data))


def test_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match=r"does not exist.*COMFYUI_WORKFLOW"):
        Workflow.load(tmp_path / "nope.json")


def test_refusal_of_a_long_model_list_and_of_a_missing_node_type() -> None:
    graph = {"4": node("CheckpointLoaderSimple", "Load Checkpoint", ckpt_name="x.safetensors")}
    long_list = {
        "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed "
                  "validation", "details": "", "extra_info": {}},
        "node_errors": {"4": {"errors": [{
            "type": "value_not_in_list", "message": "Value not in list",
            "details": "ckpt_name: 'x.safetensors' not in (list of length 25)",
            "extra_info": {"input_name": "ckpt_name", "input_config": None,
                           "received_value": "x.safetensors"}}],
            "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}},
    }  # fmt: skip
    assert describe_refusal(long_list, graph) == (
        "node 4 CheckpointLoaderSimple 'Load Checkpoint': ckpt_name 'x.safetensors' is not on the "
        "server (ckpt_name: 'x.safetensors' not in (list of length 25))"
    )
    newer = {
        "error": {"type": "missing_node_type", "message": "Node 'X' not found. The custom node "
                  "may not be installed.", "details": "", "extra_info": {
                      "node_id": "4", "class_type": "X", "node_title": "Load Checkpoint"}},
        "node_errors": {},
    }  # fmt: skip
    assert describe_refusal(newer, graph).endswith("(node 4 X 'Load Checkpoint')")
