"""A pool of ComfyUI servers (COMFYUI_URLS) that paints one page at a time per server.

A job goes to a free, healthy server. A server that fails is skipped and the job is retried
once on another one; a server that seems down is left alone and probed again later
(`reprobe_after`), or at once when no other server is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from storybot.checks import Check
from storybot.config import Settings
from storybot.engines.comfyui import (
    ComfyClient,
    ComfyError,
    ComfyInterruptedError,
    ComfyProtocolError,
    ComfyTimeoutError,
    ComfyUnavailableError,
    ProgressCallback,
)
from storybot.engines.styles import Style
from storybot.engines.workflow import Workflow, WorkflowError, node_label
from storybot.logs import timing

logger = logging.getLogger(__name__)

# Failures that say something about the server rather than the job: skip it for a while.
_SERVER_TROUBLE = (ComfyUnavailableError, ComfyProtocolError, ComfyTimeoutError)

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


@dataclass(eq=False)
class _Server:
    client: ComfyClient
    busy: bool = False
    down_until: float | None = None  # monotonic time of the next probe; None = healthy
    reason: str = ""

    def usable(self, now: float) -> bool:
        return self.down_until is None or self.down_until <= now


class ComfyPool:
    """Paints page images on one or more ComfyUI servers with one workflow."""

    def __init__(
        self,
        urls: Sequence[str],
        workflow: Workflow | Path,
        *,
        width: int | None = None,
        height: int | None = None,
        steps: int | None = None,
        connect_timeout: float = 10.0,
        image_timeout: float = 300.0,
        reprobe_after: float = 30.0,
        poll_interval: float = 1.0,
        request_timeout: float = 60.0,
        paint_deadline: float | None = None,
    ) -> None:
        if not urls:
            raise ValueError("a ComfyUI pool needs at least one URL")
        self.workflow = workflow if isinstance(workflow, Workflow) else Workflow.load(workflow)
        self.width, self.height, self.steps = width, height, steps
        self.connect_timeout = connect_timeout
        self.reprobe_after = reprobe_after
        # Queue time, a probe, the image and one retry elsewhere: all under one deadline.
        self.paint_deadline = paint_deadline or 2 * image_timeout + 2 * connect_timeout
        options: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "image_timeout": image_timeout,
            "poll_interval": poll_interval,
            "request_timeout": request_timeout,
        }
        self._servers = [_Server(ComfyClient(url, **options)) for url in dict.fromkeys(urls)]
        self._changed = asyncio.Event()  # set (and replaced) whenever a server is freed

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        workflow: Path | None = None,
        urls: Sequence[str] | None = None,
        **options: Any,
    ) -> ComfyPool:
        """The pool `settings` describe; `workflow`/`urls` override theirs (the CLI's flags)."""
        return cls(
            urls or settings.comfyui_urls,
            workflow or settings.comfyui_workflow,
            width=settings.image_width,
            height=settings.image_height,
            steps=settings.image_steps,
            **{**client_options(settings), **options},
        )

    async def __aenter__(self) -> ComfyPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every server's HTTP session."""
        await asyncio.gather(*(server.client.close() for server in self._servers))

    async def paint(
        self,
        image_prompt: str,
        out: Path,
        *,
        seed: int,
        character_sheet: str = "",
        on_progress: ProgressCallback | None = None,
        style: Style | None = None,
    ) -> Path:
        """Paint one page to `out` (PNG as the workflow saves it); raise `ComfyError` if not.

        One deadline covers the whole paint: waiting for a free server, probing, painting and
        the retry on another server. `style` None paints in the built-in watercolor."""
        graph = self.workflow.fill(
            image_prompt,
            seed=seed,
            character_sheet=character_sheet,
            width=self.width,
            height=self.height,
            steps=self.steps,
            style=style,
        )
        try:
            async with asyncio.timeout(self.paint_deadline):
                data = await self._paint_somewhere(graph, on_progress)
        except TimeoutError:
            raise ComfyTimeoutError(
                f"the picture was not ready within {self.paint_deadline:g} s"
            ) from None
        return await asyncio.to_thread(_write, out, data)

    async def _paint_somewhere(
        self, graph: dict[str, Any], on_progress: ProgressCallback | None
    ) -> bytes:
        tried: list[_Server] = []
        last: ComfyError | None = None
        for _ in range(2):  # the first server, then once on another
            server = await self._acquire(exclude=tried)
            if server is None:
                break
            tried.append(server)
            try:
                with timing(logger, f"image on {server.client.url}"):
                    return await server.client.paint(graph, on_progress)
            except ComfyInterruptedError:
                raise
            except ComfyError as exc:
                last = exc
                self._note_failure(server, exc)
            finally:
                self._release(server)
        raise last or self._none_reachable()

    async def reachable(self) -> bool:
        """Whether any server answers now (probed; a server that answers is marked healthy)."""
        results = await asyncio.gather(*(self._probe(s) for s in self._servers))
        return any(results)

    async def free_all(self) -> None:
        """`POST /free` on every server that is up (after a book, as the original did)."""
        servers = [s for s in self._servers if s.down_until is None]
        results = await asyncio.gather(*(s.client.free() for s in servers), return_exceptions=True)
        for server, result in zip(servers, results, strict=True):
            if isinstance(result, Exception):
                logger.warning("could not free memory on %s: %s", server.client.url, result)

    async def interrupt(self) -> None:
        """Stop every job this pool has queued or running; their `paint` calls raise."""
        await asyncio.gather(*(s.client.interrupt() for s in self._servers))

    async def _acquire(self, exclude: list[_Server]) -> _Server | None:
        """A free, healthy server marked busy; None when no usable server is left."""
        skip = list(exclude)
        probed_all = False
        while True:
            server = await self._take(skip)
            if server is None:
                if probed_all or not await self._probe_down(skip):
                    return None
                probed_all = True
                continue
            try:
                healthy = server.down_until is None or await self._probe(server)
            except BaseException:  # cancelled during the probe: the server is not ours
                self._release(server)
                raise
            if healthy:
                return server
            self._release(server)
            skip.append(server)

    async def _take(self, skip: list[_Server]) -> _Server | None:
        """Mark a usable free server busy (no await between the look and the mark)."""
        while True:
            now = time.monotonic()
            usable = [s for s in self._servers if s not in skip and s.usable(now)]
            if not usable:
                return None
            free = [s for s in usable if not s.busy]
            if free:
                # Healthy servers before ones that are only due for a probe.
                server = min(free, key=lambda s: s.down_until is not None)
                server.busy = True
                return server
            await self._wait_for_change(skip)

    async def _wait_for_change(self, skip: list[_Server]) -> None:
        """Wait for a release, or until a down server is due for its probe."""
        now = time.monotonic()
        due = [s.down_until for s in self._servers if s not in skip and (s.down_until or 0) > now]
        timeout = min(due) - now if due else None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def _release(self, server: _Server) -> None:
        """Give the server back: synchronous, so a cancellation cannot skip it."""
        server.busy = False
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _probe(self, server: _Server) -> bool:
        """Ask a server that was down whether it is back."""
        try:
            await server.client.health()
        except ComfyError as exc:
            self._mark_down(server, str(exc))
            return False
        if server.down_until is not None:
            logger.info("ComfyUI at %s is back", server.client.url)
        server.down_until, server.reason = None, ""
        return True

    async def _probe_down(self, skip: list[_Server]) -> bool:
        """No server is usable: probe the down ones now; True if one came back."""
        down = [s for s in self._servers if s not in skip and s.down_until and not s.busy]
        return any(await asyncio.gather(*(self._probe(s) for s in down)))

    def _note_failure(self, server: _Server, exc: ComfyError) -> None:
        if isinstance(exc, _SERVER_TROUBLE):
            self._mark_down(server, str(exc))
        logger.warning("image failed on %s: %s", server.client.url, exc)

    def _mark_down(self, server: _Server, reason: str) -> None:
        server.down_until = time.monotonic() + self.reprobe_after
        server.reason = reason
        logger.warning("skipping ComfyUI at %s for %g s", server.client.url, self.reprobe_after)

    def _none_reachable(self) -> ComfyError:
        reasons = "; ".join(s.reason or s.client.url for s in self._servers)
        return ComfyUnavailableError(f"no ComfyUI server is reachable: {reasons}")


def _write(out: Path, data: bytes) -> Path:
    """Write through a temporary name, so a reader never sees half an image."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.write_bytes(data)
    part.replace(out)
    return out


def client_options(settings: Settings) -> dict[str, float]:
    """The client's timeouts from settings."""
    return {
        "connect_timeout": settings.comfyui_connect_timeout,
        "image_timeout": settings.image_timeout,
    }


async def paint_command(
    prompt: str,
    out: Path,
    settings: Settings,
    workflow: Path | None = None,
    seed: int | None = None,
    url: str | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    style: Style | None = None,
) -> Path:
    """`storybot image`: paint `prompt` (no character sheet) to `out` and return its path."""
    if seed is None:
        seed = random.randrange(2**32)
    logger.info("painting %r with seed %d", prompt, seed)
    urls = [url.rstrip("/")] if url else None
    async with ComfyPool.from_settings(settings, workflow=workflow, urls=urls) as pool:
        return await pool.paint(prompt, Path(out), seed=seed, on_progress=on_progress, style=style)


async def check_comfyui(settings: Settings) -> list[Check]:
    """Doctor rows: the workflow, then per server whether it answers and has the models."""
    rows: list[Check] = []
    try:
        workflow: Workflow | None = Workflow.load(settings.comfyui_workflow)
    except WorkflowError as exc:
        workflow = None
        rows.append(Check("comfyui workflow", "FAIL", str(exc)))
    else:
        titles = ", ".join(sorted(workflow.titled))
        rows.append(Check("comfyui workflow", "OK", f"{settings.comfyui_workflow.name} ({titles})"))
    options = client_options(settings)
    per_server = await asyncio.gather(
        *(_check_server(url, workflow, options) for url in settings.comfyui_urls)
    )
    return rows + [row for server_rows in per_server for row in server_rows]


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
