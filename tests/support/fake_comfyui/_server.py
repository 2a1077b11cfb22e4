"""The fake server itself: routes, validation, one job at a time, websocket frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.fake_comfyui._helpers import png
from tests.support.fake_comfyui._jobs import (
    Interrupted,
    Job,
    NodeFailed,
    _failure,
    _image_size,
    _order,
    _outputs,
)
from tests.support.fake_comfyui._nodes import MODEL_LISTS, NODE_TYPES, ROUTES, SYSTEM_STATS
from tests.support.fake_comfyui._uploads import input_images, receive_upload
from tests.support.fake_comfyui._validation import UUID_RE, _error, _origin_check, _validate


@dataclass
class FakeComfyUI:
    checkpoints: list[str] = field(default_factory=lambda: ["flux1-schnell-fp8.safetensors"])
    diffusion_models: list[str] = field(
        default_factory=lambda: ["flux1-dev-kontext_fp8_scaled.safetensors"]
    )
    text_encoders: list[str] = field(
        default_factory=lambda: ["clip_l.safetensors", "t5xxl_fp8_e4m3fn_scaled.safetensors"]
    )
    vaes: list[str] = field(default_factory=lambda: ["ae.safetensors"])
    v3_combos: bool = False  # render combos the V3 way: ["COMBO", {"options": [...]}]
    # Scenario switches.
    step_delay: float = 0.002
    fail_class: str | None = None  # a node of this class raises while running
    fail_prompt_containing: str | None = None  # …only in jobs whose prompt has this text
    hang: bool = False  # the sampler never gets past step 1 (until interrupted)
    refuse_ws: bool = False  # /ws answers 403 (a proxy without websocket support)
    drop_ws_after_progress: bool = False  # close the job's socket after its first progress
    prompt_failure: str | None = None  # "500" or "html": how POST /prompt misbehaves
    next_images: list[bytes] = field(default_factory=list)  # saved instead, one per image
    # What it received.
    prompts: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)  # one record per accepted upload
    log: list[tuple[str, str]] = field(
        default_factory=list
    )  # ("upload", "sub/name"), ("prompt", id)
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
        # The real server's default upload limit (`/features` max_upload_size), not aiohttp's 1 MB.
        app = web.Application(middlewares=[_origin_check], client_max_size=104857600)
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
        if node["class_type"] == self.fail_class and (
            self.fail_prompt_containing is None
            or self.fail_prompt_containing in json.dumps(job.prompt)
        ):
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
        made = self.next_images.pop(0) if self.next_images else png(width, height, color)
        self.files[(kind, subfolder, name)] = made
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
        refusal = _validate(body["prompt"], self._inputs, self.files)
        if refusal is not None:
            return refusal
        self.log.append(("prompt", prompt_id))
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

    def _inputs(self, class_type: str) -> dict[str, Any]:
        """Required inputs, with this server's files in the loaders' and LoadImage's lists."""
        inputs = dict(NODE_TYPES[class_type]["inputs"])
        for name, (folder, tooltip) in MODEL_LISTS.items():
            if name in inputs:
                inputs[name] = [
                    list(getattr(self, folder)),
                    {"tooltip": tooltip} if tooltip else {},
                ]
        if class_type == "LoadImage":
            inputs["image"] = [input_images(self.files), {"image_upload": True}]
        return inputs

    async def _upload_image(self, request: web.Request) -> web.Response:
        answer, record = await receive_upload(request, self.files)
        if record is not None:
            self.uploads.append(record)
            self.log.append(("upload", f"{record['subfolder']}/{record['name']}".lstrip("/")))
        return answer

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
        groups = {
            "required": inputs,
            **({"optional": spec["optional"]} if spec["optional"] else {}),
        }
        return {
            "input": groups,
            "input_order": {group: list(names) for group, names in groups.items()},
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
        lists = {"checkpoints": self.checkpoints, "diffusion_models": self.diffusion_models,
                 "text_encoders": self.text_encoders, "vae": self.vaes, "loras": []}  # fmt: skip
        return web.json_response(lists[folder]) if folder in lists else web.Response(status=404)
