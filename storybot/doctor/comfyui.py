"""The doctor's ComfyUI rows: the workflow, whether it keeps a book's characters (a `reference`
node), and per server whether it answers and has the workflow's node classes and model files."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from storybot.config import Settings
from storybot.doctor.checks import Check
from storybot.engines.comfyui import ComfyClient, ComfyError
from storybot.engines.workflow import Workflow, WorkflowError, node_label
from storybot.wiring import comfy_client_options

logger = logging.getLogger(__name__)

# Where `/models/{folder}` lists the files for a loader input, when /object_info cannot tell.
MODEL_FOLDERS = {
    "ckpt_name": "checkpoints",
    "unet_name": "diffusion_models",
    "vae_name": "vae",
    "clip_name": "text_encoders",
    "clip_name1": "text_encoders",
    "clip_name2": "text_encoders",
    "lora_name": "loras",
    "control_net_name": "controlnet",
    "model_name": "upscale_models",
}


async def check_comfyui(settings: Settings) -> list[Check]:
    """Doctor rows: the workflow and its reference node, then per server whether it answers
    and has the models."""
    rows: list[Check] = []
    try:
        workflow: Workflow | None = Workflow.load(settings.comfyui_workflow)
    except WorkflowError as exc:
        workflow = None
        rows.append(Check("comfyui workflow", "FAIL", str(exc)))
    else:
        titles = ", ".join(sorted(workflow.titled))
        rows.append(Check("comfyui workflow", "OK", f"{settings.comfyui_workflow.name} ({titles})"))
        rows.append(_check_reference(workflow))
    options = comfy_client_options(settings)
    per_server = await asyncio.gather(
        *(_check_server(url, workflow, options) for url in settings.comfyui_urls)
    )
    return rows + [row for server_rows in per_server for row in server_rows]


def _check_reference(workflow: Workflow) -> Check:
    """Does the workflow paint every page with the book's reference picture, and can it paint
    that picture itself (from the text alone)?"""
    if not workflow.has_reference:
        return Check(
            "comfyui reference",
            "WARN",
            "no reference node: each page is painted on its own — characters may look "
            "different (workflows/flux_kontext_reference.json has one)",
        )
    node = node_label(workflow.titled["reference"], None, workflow.graph)
    try:
        workflow.without_reference()
    except WorkflowError as exc:  # the book's reference picture could not be painted
        return Check("comfyui reference", "FAIL", str(exc))
    return Check("comfyui reference", "OK", f"pages keep the book's characters ({node})")


async def _check_server(
    url: str, workflow: Workflow | None, options: dict[str, float]
) -> list[Check]:
    async with ComfyClient(url, **options) as client:
        try:
            stats = await client.health()
        except ComfyError as exc:
            return [Check(f"comfyui {url}", "FAIL", f"{exc}; start it or fix COMFYUI_URLS")]
        rows = [Check(f"comfyui {url}", "OK", _describe_stats(stats))]
        if workflow is not None:
            rows.append(await _check_models(client, workflow))
        return rows


def _describe_stats(stats: dict[str, Any]) -> str:
    version = stats["system"].get("comfyui_version", "version unknown")
    devices = stats.get("devices") or [{}]
    device = devices[0] if isinstance(devices[0], dict) else {}
    vram = device.get("vram_total")
    memory = f", {vram / 2**30:.1f} GB" if isinstance(vram, int | float) else ""
    return f"ComfyUI {version} on {device.get('name', 'unknown device')}{memory}"


async def _check_models(client: ComfyClient, workflow: Workflow) -> Check:
    """Are the workflow's node classes installed and its model files on the server?"""
    component = f"comfyui {client.url} models"
    infos: dict[str, Any] = {}
    try:
        for class_type in sorted({n["class_type"] for n in workflow.graph.values()}):
            infos[class_type] = (await client.object_info(class_type)).get(class_type)
    except ComfyError as exc:
        logger.info("object_info failed on %s (%s); trying /models", client.url, exc)
    not_installed = [c for c, info in infos.items() if info is None and infos]
    missing, present, unknown = [], [], []
    for model in workflow.model_inputs():
        options = _combo_options(infos.get(model.class_type), model.input_name)
        if options is None and model.input_name in MODEL_FOLDERS:
            try:
                options = await client.models(MODEL_FOLDERS[model.input_name])
            except ComfyError:
                options = None
        if options is None:
            unknown.append(model.filename)
        elif model.filename in options:
            present.append(model.filename)
        else:
            node = node_label(model.node_id, model.class_type, workflow.graph)
            missing.append(f"{model.filename} for {node} (server has: {_short(options)})")
    if not_installed or missing:
        parts = [f"missing {'; '.join(missing)}"] if missing else []
        if not_installed:
            parts.append(f"node classes not installed: {', '.join(not_installed)}")
        return Check(component, "FAIL", "; ".join(parts))
    if unknown:
        return Check(component, "WARN", f"could not check {', '.join(unknown)}")
    return Check(component, "OK", f"present: {', '.join(present) or 'no model files named'}")


def _combo_options(info: Any, input_name: str) -> list[str] | None:
    """A combo input's choices; classic `[[…], {…}]` and V3 `["COMBO", {"options": […]}]`."""
    if not isinstance(info, dict):
        return None
    spec = None
    for group in ("required", "optional"):
        spec = (info.get("input", {}).get(group) or {}).get(input_name) or spec
    if not isinstance(spec, list) or not spec:
        return None
    if isinstance(spec[0], list):
        return [str(o) for o in spec[0]]
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        return [str(o) for o in spec[1].get("options", [])]
    return None


def _short(options: list[str], limit: int = 8) -> str:
    if not options:
        return "none"
    more = f" and {len(options) - limit} more" if len(options) > limit else ""
    return ", ".join(options[:limit]) + more
