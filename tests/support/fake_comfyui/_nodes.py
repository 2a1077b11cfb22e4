"""The tables the fake serves: node types, system stats, and its HTTP routes."""

from __future__ import annotations

import json
from typing import Any

SAMPLERS = ["euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "beta"]
SIZE = ["INT", {"default": 512, "min": 16, "max": 16384, "step": 8}]
SEED = ["INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}]


def _types(*outputs: str, output_node: bool = False, **inputs: Any) -> dict[str, Any]:
    return {"inputs": inputs, "outputs": list(outputs), "output_node": output_node}


NODE_TYPES: dict[str, dict[str, Any]] = {
    "CheckpointLoaderSimple": _types("MODEL", "CLIP", "VAE", ckpt_name=[[], {}]),
    "CLIPTextEncode": _types(
        "CONDITIONING", text=["STRING", {"multiline": True}], clip=["CLIP", {}]
    ),
    "EmptyLatentImage": _types(
        "LATENT", width=SIZE, height=SIZE, batch_size=["INT", {"min": 1, "max": 4096}]
    ),
    "EmptySD3LatentImage": _types(
        "LATENT", width=SIZE, height=SIZE, batch_size=["INT", {"min": 1, "max": 4096}]
    ),
    "KSampler": _types(
        "LATENT",
        model=["MODEL", {}],
        seed=SEED,
        steps=["INT", {"default": 20, "min": 1, "max": 10000}],
        cfg=["FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0}],
        sampler_name=[SAMPLERS, {}],
        scheduler=[SCHEDULERS, {}],
        positive=["CONDITIONING", {}],
        negative=["CONDITIONING", {}],
        latent_image=["LATENT", {}],
        denoise=["FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0}],
    ),
    "VAEDecode": _types("IMAGE", samples=["LATENT", {}], vae=["VAE", {}]),
    "EmptyImage": _types(
        "IMAGE", width=SIZE, height=SIZE, batch_size=["INT", {"min": 1}], color=["INT", {"min": 0}]
    ),
    "SaveImage": _types(
        output_node=True, images=["IMAGE", {}], filename_prefix=["STRING", {"default": "ComfyUI"}]
    ),
    "PreviewImage": _types(output_node=True, images=["IMAGE", {}]),
}

# Verbatim from the spec (§3.8), argv trimmed.
SYSTEM_STATS = json.loads("""{
 "system": {"os": "posix", "ram_total": 25276063744, "ram_free": 24404910080,
  "comfyui_version": "0.3.64", "required_frontend_version": "1.27.10",
  "installed_templates_version": "0.1.95", "required_templates_version": "0.1.95",
  "python_version": "3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]",
  "pytorch_version": "2.13.0+cpu", "embedded_python": false,
  "argv": ["main.py", "--cpu", "--listen", "127.0.0.1", "--port", "8188"]},
 "devices": [{"name": "cpu", "type": "cpu", "index": null, "vram_total": 25276063744,
  "vram_free": 24404910080, "torch_vram_total": 25276063744, "torch_vram_free": 24404910080}]
}""")

ROUTES = [
    ("GET", "/ws", "_ws"),
    ("POST", "/prompt", "_post_prompt"),
    ("POST", "/queue", "_post_queue"),
    ("GET", "/history/{prompt_id}", "_get_history_one"),
    ("GET", "/view", "_view"),
    ("POST", "/interrupt", "_post_interrupt"),
    ("POST", "/free", "_post_free"),
    ("GET", "/system_stats", "_system_stats"),
    ("GET", "/object_info/{node_class}", "_object_info_one"),
    ("GET", "/models", "_models"),
    ("GET", "/models/{folder}", "_models_folder"),
]
