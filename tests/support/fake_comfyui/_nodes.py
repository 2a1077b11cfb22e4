"""The tables the fake serves: node types, system stats, and its HTTP routes."""

from __future__ import annotations

import json
from typing import Any

SAMPLERS = ["euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "beta"]
SIZE = ["INT", {"default": 512, "min": 16, "max": 16384, "step": 8}]
SEED = ["INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}]


def _types(
    *outputs: str,
    output_node: bool = False,
    optional: dict[str, Any] | None = None,
    **inputs: Any,
) -> dict[str, Any]:
    return {
        "inputs": inputs,
        "optional": optional or {},
        "outputs": list(outputs),
        "output_node": output_node,
    }


CONDITIONING = ["CONDITIONING", {}]
WEIGHT_DTYPES = ["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"]
CLIP_TYPES = ["sdxl", "sd3", "flux", "hunyuan_video", "hidream", "hunyuan_image"]
CLIP_LOADER_TYPES = ["stable_diffusion", "stable_cascade", "sd3", "stable_audio", "mochi", "ltxv",
                     "pixart", "cosmos", "lumina2", "wan", "hidream", "chroma", "ace", "omnigen2",
                     "qwen_image", "hunyuan_image"]  # fmt: skip
MODEL_LISTS = {  # loader input → the FakeComfyUI list of files it offers (its models folder)
    "ckpt_name": ("checkpoints", "The name of the checkpoint (model) to load."),
    "unet_name": ("diffusion_models", None),
    "clip_name": ("text_encoders", None),
    "clip_name1": ("text_encoders", None),
    "clip_name2": ("text_encoders", None),
    "vae_name": ("vaes", None),
}


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
    # FLUX.1 Kontext and the other editors (core nodes; model lists filled per server).
    "UNETLoader": _types("MODEL", unet_name=[[], {}], weight_dtype=[WEIGHT_DTYPES, {}]),
    "DualCLIPLoader": _types(
        "CLIP",
        clip_name1=[[], {}],
        clip_name2=[[], {}],
        type=[CLIP_TYPES, {}],
        optional={"device": [["default", "cpu"], {"advanced": True}]},
    ),
    "CLIPLoader": _types(
        "CLIP",
        clip_name=[[], {}],
        type=[CLIP_LOADER_TYPES, {}],
        optional={"device": [["default", "cpu"], {"advanced": True}]},
    ),
    "VAELoader": _types("VAE", vae_name=[[], {}]),
    # LoadImage's `image` is checked by its own VALIDATE_INPUTS (the file must be in input/).
    "LoadImage": _types("IMAGE", "MASK", image=[[], {"image_upload": True}]),
    "FluxKontextImageScale": _types("IMAGE", image=["IMAGE", {}]),
    "ImageScaleToTotalPixels": _types(
        "IMAGE",
        image=["IMAGE", {}],
        upscale_method=[["nearest-exact", "bilinear", "area", "bicubic", "lanczos"], {}],
        megapixels=["FLOAT", {"default": 1.0, "min": 0.01, "max": 16.0, "step": 0.01}],
    ),
    "VAEEncode": _types("LATENT", pixels=["IMAGE", {}], vae=["VAE", {}]),
    "ReferenceLatent": _types(
        "CONDITIONING", conditioning=CONDITIONING, optional={"latent": ["LATENT", {}]}
    ),
    "FluxGuidance": _types(
        "CONDITIONING",
        conditioning=CONDITIONING,
        guidance=["FLOAT", {"default": 3.5, "min": 0.0, "max": 100.0, "step": 0.1}],
    ),
    "ConditioningZeroOut": _types("CONDITIONING", conditioning=CONDITIONING),
    "ModelSamplingAuraFlow": _types(
        "MODEL",
        model=["MODEL", {}],
        shift=["FLOAT", {"default": 1.73, "min": 0.0, "max": 100.0, "step": 0.01}],
    ),
    "TextEncodeQwenImageEdit": _types(
        "CONDITIONING",
        clip=["CLIP", {}],
        prompt=["STRING", {"multiline": True, "dynamicPrompts": True}],
        optional={"vae": ["VAE", {}], "image": ["IMAGE", {}]},
    ),
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
    ("POST", "/upload/image", "_upload_image"),
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
