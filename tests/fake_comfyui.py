"""A protocol-true stand-in for a ComfyUI server, on 127.0.0.1, for tests.

Built from `shared/specs/comfyui.md` (ComfyUI 0.3.64 as recorded, plus the newer servers' rule
that a client-chosen `prompt_id` must be a lowercase UUID): the same routes (also under
`/api/`), `/prompt` validation with the real 400 shapes, one job at a time with websocket
frames in the real order (`status`, `execution_start`, `execution_cached`, `executing`,
`progress`, `executed`, `execution_success`, `status`, `executing null`), history written before
the final `executing null`, real PNGs from `/view`, and aiohttp's own 500 text for bodies that
are not JSON. Switches on the instance select failure scenarios; what it received is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import time
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "beta"]
SIZE = ["INT", {"default": 512, "min": 16, "max": 16384, "step": 8}]
SEED = ["INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}]


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real RGB PNG of one colour (no Pillow needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * height, 6)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def free_port() -> int:
    """A loopback port nobody listens on (for a 'server down')."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


@dataclass
class FakeComfyUI:
    checkpoints: list[str] = field(default_factory=lambda: ["flux1-schnell-fp8.safetensors"])
    v3_combos: bool = False  # render combos the V3 way: ["COMBO", {"options": [...]}]
    # Scenario switches.
    step_delay: float = 0.002
    fail_class: str | None = None  # a node of this class raises while running
    hang: bool = False  # the sampler never gets past step 1 (until interrupted)
    refuse_ws: bool = False  # /ws answers 403 (a proxy without websocket support)
    drop_ws_after_progress: bool = False  # close the job's socket after its first progress
    prompt_failure: str | None = None  # "500" or "html": how POST /prompt misbehaves
    # What it received.
    prompts: list[dict[str, Any]] = field(default_factory=list)
    interrupts: list[str | None] = field(default_factory=list)
    frees: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    max_jobs: int = 0  # most jobs queued or running at once
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    port: int = 0

    def __post_init__(self) -> None:
        self.pending: list[Job] = []
        self.running: Job | None = None
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.files: dict[tuple[str, str, str], bytes] = {}
        self._counter = 0  # saved files
        self._number = -1  # queue numbers
        self._interrupt = False
        self._wake = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._worker: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application(middlewares=[_origin_check])
        for prefix in ("", "/api"):  # every route also lives under /api, as the real one
            for method, path, handler in ROUTES:
                app.router.add_route(method, prefix + path, getattr(self, handler))
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port or self.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"
        self._worker = asyncio.create_task(self._work())
        return self.url

    async def stop(self) -> None:
        """Stop listening (a later `start()` reuses the same port)."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        for ws in list(self.sockets.values()):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self.pending.clear()
        self.running = None

    def interrupt_running(self) -> None:
        """What the web UI's cancel button does: interrupt whatever runs."""
        self._interrupt = self.running is not None

    # -- websocket -------------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_ws:
            return web.Response(status=403)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.query.get("clientId") or uuid.uuid4().hex
        if (old := self.sockets.get(sid)) is not None:
            await old.close()
        self.sockets[sid] = ws
        await ws.send_json({"type": "status", "data": {**self._status(), "sid": sid}})
        try:
            async for msg in ws:
                if (
                    msg.type is WSMsgType.TEXT
                    and json.loads(msg.data).get("type") == "feature_flags"
                ):
                    flags = {"supports_preview_metadata": True, "max_upload_size": 104857600}
                    await ws.send_json({"type": "feature_flags", "data": flags})
        finally:
            if self.sockets.get(sid) is ws:
                del self.sockets[sid]
        return ws

    async def _send(self, sid: str | None, kind: str, data: dict[str, Any]) -> None:
        """To the prompt's client only, or to every socket when `sid` is None."""
        targets = list(self.sockets.values()) if sid is None else [self.sockets.get(sid)]
        for ws in targets:
            if ws is not None and not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_json({"type": kind, "data": data})

    def _status(self) -> dict[str, Any]:
        remaining = len(self.pending) + (self.running is not None)
        return {"status": {"exec_info": {"queue_remaining": remaining}}}

    # -- the worker: one job at a time -----------------------------------------------------

    async def _work(self) -> None:
        while True:
            while not self.pending:
                self._wake.clear()
                await self._wake.wait()
            self.running, self._interrupt = self.pending.pop(0), False
            try:
                await self._execute(self.running)
            finally:
                self.running = None

    async def _execute(self, job: Job) -> None:
        pid, sid = job.prompt_id, job.client_id
        await self._send(None, "status", self._status())
        messages: list[list[Any]] = []

        async def event(kind: str, data: dict[str, Any], to: str | None = sid) -> None:
            data = {"prompt_id": pid, **data}
            if kind.startswith("execution_"):
                data["timestamp"] = int(time.time() * 1000)
                messages.append([kind, data])
            await self._send(to, kind, data)

        await event("execution_start", {})
        await event("execution_cached", {"nodes": []})
        outputs: dict[str, Any] = {}
        executed: list[str] = []
        status = "success"
        try:
            for node_id in _order(job.prompt, job.outputs):
                node = job.prompt[node_id]
                if self._interrupt:
                    raise Interrupted(node_id)
                await event("executing", {"node": node_id, "display_node": node_id})
                await self._run_node(job, node_id, outputs, event)
                executed.append(node_id)
            await event("execution_success", {})
        except Interrupted as stop:
            status, node_id = "error", str(stop)
            info = {"node_id": node_id, "node_type": job.prompt[node_id]["class_type"]}
            await event("execution_interrupted", {**info, "executed": executed}, to=None)
        except NodeFailed:
            status = "error"
            await event("execution_error", _failure(node_id, node, executed))
        self.history[pid] = {
            "prompt": [job.number, pid, job.prompt, job.extra_data, job.outputs],
            "outputs": outputs,
            "status": {
                "status_str": status,
                "completed": status == "success",
                "messages": messages,
            },
            "meta": {
                n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n}
                for n in outputs
            },
        }
        await self._send(None, "status", self._status())
        await self._send(sid, "executing", {"node": None, "prompt_id": pid})

    async def _run_node(self, job: Job, node_id: str, outputs: dict[str, Any], event: Any) -> None:
        node = job.prompt[node_id]
        if node["class_type"] == self.fail_class:
            raise NodeFailed(node_id)
        if "steps" in node["inputs"]:
            steps = int(node["inputs"]["steps"])
            step = 0
            while step < steps:
                await asyncio.sleep(self.step_delay)
                if self._interrupt:
                    raise Interrupted(node_id)
                if self.hang and step == 1:
                    continue
                step += 1
                await event("progress", {"value": step, "max": steps, "node": node_id})
                if self.drop_ws_after_progress and job.client_id in self.sockets:
                    await self.sockets[job.client_id].close()
        if NODE_TYPES[node["class_type"]].get("output_node"):
            image = self._save(job, node)
            outputs[node_id] = {"images": [image]}
            await event(
                "executed", {"node": node_id, "display_node": node_id, "output": outputs[node_id]}
            )

    def _save(self, job: Job, node: dict[str, Any]) -> dict[str, str]:
        width, height = _image_size(job.prompt)
        seed = next((n["inputs"]["seed"] for n in job.prompt.values() if "seed" in n["inputs"]), 0)
        self._counter += 1
        prefix = str(node["inputs"].get("filename_prefix", "ComfyUI"))
        subfolder, _, stem = prefix.rpartition("/")
        kind = "output" if node["class_type"] == "SaveImage" else "temp"
        name = f"{stem}_{self._counter:05}_.png"
        color = (seed % 256, seed // 256 % 256, seed // 65536 % 256)
        self.files[(kind, subfolder, name)] = png(width, height, color)
        return {"filename": name, "subfolder": subfolder, "type": kind}

    # -- HTTP routes -----------------------------------------------------------------------

    async def _post_prompt(self, request: web.Request) -> web.Response:
        body = await request.json()  # not JSON → aiohttp's own 500, as the real server
        self.prompts.append(body)
        if self.prompt_failure == "500":
            raise RuntimeError("simulated crash in validate_prompt")
        if self.prompt_failure == "html":
            return web.Response(
                text="<!DOCTYPE html><html>proxy page</html>", content_type="text/html"
            )
        if "prompt" not in body:
            return _error(400, "no_prompt", "No prompt provided", "No prompt provided")
        prompt_id = body.get("prompt_id") or str(uuid.uuid4())
        if not UUID_RE.match(str(prompt_id)):
            return _error(400, "invalid_prompt_id", "prompt_id must be a valid UUID", "")
        refusal = self._validate(body["prompt"])
        if refusal is not None:
            return refusal
        extra = dict(body.get("extra_data") or {})
        if body.get("client_id"):
            extra["client_id"] = body["client_id"]
        outputs = _outputs(body["prompt"])
        job = Job(self._counter_next(), prompt_id, body["prompt"], extra, outputs)
        self.pending.append(job)
        self.max_jobs = max(self.max_jobs, len(self.pending) + (self.running is not None))
        self._wake.set()
        await self._send(None, "status", self._status())
        return web.json_response({"prompt_id": prompt_id, "number": job.number, "node_errors": {}})

    def _counter_next(self) -> int:
        self._number += 1
        return self._number

    def _validate(self, prompt: Any) -> web.Response | None:
        for node_id, node in prompt.items():
            if "class_type" not in node:  # a non-dict node crashes here → 500, as the real one
                msg = "Cannot execute because a node is missing the class_type property."
                return _error(400, "invalid_prompt", msg, f"Node ID '#{node_id}'")
            if node["class_type"] not in NODE_TYPES:
                msg = f"Cannot execute because node {node['class_type']} does not exist."
                return _error(400, "invalid_prompt", msg, f"Node ID '#{node_id}'")
        outputs = _outputs(prompt)
        if not outputs:
            return _error(400, "prompt_no_outputs", "Prompt has no outputs", "")
        node_errors = {}
        for node_id in _order(prompt, outputs):
            errors = self._node_errors(prompt, prompt[node_id])
            if errors:
                node_errors[node_id] = {
                    "errors": errors,
                    "dependent_outputs": outputs,
                    "class_type": prompt[node_id]["class_type"],
                }
        if not node_errors:
            return None
        own = [e for o in outputs for e in node_errors.get(o, {}).get("errors", [])]
        details = "\n".join(f"{e['message']}: {e['details']}" for e in own)
        msg = "Prompt outputs failed validation"
        return _error(400, "prompt_outputs_failed_validation", msg, details, node_errors)

    def _node_errors(self, prompt: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
        errors = []
        for name, config in self._inputs(node["class_type"]).items():
            found = _input_error(prompt, node["inputs"], name, config)
            if found is not None:
                kind, message, details, extra = found
                errors.append(
                    {"type": kind, "message": message, "details": details, "extra_info": extra}
                )
        return errors

    def _inputs(self, class_type: str) -> dict[str, Any]:
        inputs = dict(NODE_TYPES[class_type]["inputs"])
        if "ckpt_name" in inputs:
            inputs["ckpt_name"] = [
                list(self.checkpoints),
                {"tooltip": "The name of the checkpoint (model) to load."},
            ]
        return inputs

    async def _post_queue(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.pending.clear()
        for prompt_id in body.get("delete", []):
            self.deleted.append(prompt_id)
            self.pending = [job for job in self.pending if job.prompt_id != prompt_id]
        return web.Response()

    async def _get_history_one(self, request: web.Request) -> web.Response:
        prompt_id = request.match_info["prompt_id"]
        entry = self.history.get(prompt_id)
        return web.json_response({prompt_id: entry} if entry else {})

    async def _view(self, request: web.Request) -> web.Response:
        name = request.query.get("filename", "")
        if not name or name.startswith("/") or ".." in name:
            return web.Response(status=400)
        key = (request.query.get("type", "output"), request.query.get("subfolder", ""), name)
        if key not in self.files:
            return web.Response(status=404)
        headers = {"Content-Disposition": f'filename="{name}"'}
        return web.Response(body=self.files[key], content_type="image/png", headers=headers)

    async def _post_interrupt(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        self.interrupts.append(prompt_id)
        if self.running is not None and prompt_id in (None, self.running.prompt_id):
            self._interrupt = True
        return web.Response()

    async def _post_free(self, request: web.Request) -> web.Response:
        self.frees.append(await request.json())  # no body → 500, as the real server
        return web.Response()

    async def _system_stats(self, request: web.Request) -> web.Response:
        return web.json_response(SYSTEM_STATS)

    async def _object_info_one(self, request: web.Request) -> web.Response:
        name = request.match_info["node_class"]
        return web.json_response({name: self._describe(name)} if name in NODE_TYPES else {})

    def _describe(self, name: str) -> dict[str, Any]:
        inputs = self._inputs(name)
        if self.v3_combos:
            inputs = {
                k: ["COMBO", {"multiselect": False, "options": v[0]}]
                if isinstance(v[0], list)
                else v
                for k, v in inputs.items()
            }
        spec = NODE_TYPES[name]
        return {
            "input": {"required": inputs},
            "input_order": {"required": list(inputs)},
            "output": spec["outputs"],
            "output_is_list": [False] * len(spec["outputs"]),
            "output_name": spec["outputs"],
            "name": name,
            "display_name": name,
            "description": "",
            "python_module": "nodes",
            "category": "fake",
            "output_node": bool(spec.get("output_node")),
        }

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            ["checkpoints", "loras", "vae", "text_encoders", "diffusion_models"]
        )

    async def _models_folder(self, request: web.Request) -> web.Response:
        folder = request.match_info["folder"]
        if folder == "checkpoints":
            return web.json_response(self.checkpoints)
        return (
            web.json_response([])
            if folder in ("loras", "vae", "text_encoders")
            else web.Response(status=404)
        )


class SilentServer:
    """Accepts TCP connections and never answers (a hung server)."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> str:
        async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()
            writer.close()

        self._server = await asyncio.start_server(swallow, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()


@web.middleware
async def _origin_check(request: web.Request, handler: Any) -> web.StreamResponse:
    """ComfyUI's loopback rule: a foreign `Origin` header gets 403."""
    origin = request.headers.get("Origin")
    if origin and origin.split("://", 1)[-1] != request.host:
        return web.Response(status=403)
    return await handler(request)


def _error(
    status: int, kind: str, message: str, details: str, node_errors: dict | None = None
) -> web.Response:
    error = {"type": kind, "message": message, "details": details, "extra_info": {}}
    return web.json_response({"error": error, "node_errors": node_errors or {}}, status=status)


def _input_error(
    prompt: dict[str, Any], inputs: dict[str, Any], name: str, config: list[Any]
) -> tuple[str, str, str, dict[str, Any]] | None:
    """(type, message, details, extra_info) of one input's validation error, as ComfyUI's."""
    if name not in inputs:
        return "required_input_missing", "Required input is missing", name, {"input_name": name}
    value = inputs[name]
    extra = {"input_name": name, "input_config": config, "received_value": value}
    if isinstance(value, list):
        if len(value) != 2:
            msg = "Bad linked input, must be a length-2 list of [node_id, slot_index]"
            return "bad_linked_input", msg, name, extra
        if str(value[0]) not in prompt:
            info = {"exception_type": "KeyError", "traceback": []}
            return (
                "exception_during_validation",
                "Exception when validating node",
                f"'{value[0]}'",
                info,
            )
        return None
    options, limits = config[0], config[1] if len(config) > 1 else {}
    if isinstance(options, list) and value not in options:
        if len(options) > 20:  # the real server shortens long lists
            options, extra["input_config"] = f"(list of length {len(options)})", None
        details = f"{name}: '{value}' not in {options}"
        return "value_not_in_list", "Value not in list", details, extra
    low, high = limits.get("min"), limits.get("max")
    if options == "INT" and isinstance(value, int) and low is not None and value < low:
        return "value_smaller_than_min", f"Value {value} smaller than min of {low}", name, extra
    if options == "INT" and isinstance(value, int) and high is not None and value > high:
        return "value_bigger_than_max", f"Value {value} bigger than max of {high}", name, extra
    return None


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
