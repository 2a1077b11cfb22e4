"""ComfyUI client: paint one image on one server over its HTTP API and websocket.

Per image: open `/ws?clientId=…` first (fast jobs finish before a late listener hears them),
`POST /prompt` with a client-chosen UUID `prompt_id`, follow that id's messages until
`executing` with `node: null`, then `GET /history/{id}` → `GET /view`. A socket that cannot be
opened or drops is replaced by polling `/history/{id}`, so a lost socket never loses an image.
Every wait is bounded: connect timeout per request, `image_timeout` per image.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import mimetypes
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from storybot.config import Settings
from storybot.engines.comfy_errors import (
    ComfyError,
    ComfyExecutionError,
    ComfyInterruptedError,
    ComfyPromptError,
    ComfyProtocolError,
    ComfyTimeoutError,
    ComfyUnavailableError,
    ComfyUploadError,
    bad_status,
    not_json,
    snippet,
    unreachable,
)
from storybot.engines.workflow import describe_execution_error, describe_refusal, node_label

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], Awaitable[None] | None]
"""`on_progress(step, total)`, plain or async; called for each `progress` frame of our job."""


class ComfyClient:
    """One ComfyUI server: health, upload an input image, paint an image, free memory."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = Settings.model_fields["comfyui_connect_timeout"].default,
        image_timeout: float = Settings.model_fields["image_timeout"].default,
        request_timeout: float = 60.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.url = url.rstrip("/")
        self._where = f"ComfyUI at {self.url}"  # how messages name the server
        self.connect_timeout = connect_timeout
        self.image_timeout = image_timeout
        self.request_timeout = request_timeout
        self.poll_interval = poll_interval
        self._session: aiohttp.ClientSession | None = None
        self._active: set[str] = set()

    async def __aenter__(self) -> ComfyClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (open paints should be finished or cancelled first)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def health(self) -> dict[str, Any]:
        """`GET /system_stats` (within the connect timeout): version, Python, torch, devices."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                stats = await self._get_json("/system_stats")
        except TimeoutError:
            raise ComfyUnavailableError(
                f"{self._where} did not answer /system_stats within {self.connect_timeout:g} s",
                self.url,
            ) from None
        if not isinstance(stats, dict) or not isinstance(stats.get("system"), dict):
            raise ComfyProtocolError(f"{self._where} answered /system_stats oddly", self.url)
        return stats

    async def object_info(self, class_type: str) -> dict[str, Any]:
        """`GET /object_info/{class}`: `{}` when the server has no such node."""
        info = await self._get_json(f"/object_info/{class_type}")
        return info if isinstance(info, dict) else {}

    async def models(self, folder: str) -> list[str]:
        """`GET /models/{folder}`: the model files the server has there."""
        names = await self._get_json(f"/models/{folder}")
        return [str(n) for n in names] if isinstance(names, list) else []

    async def free(self) -> None:
        """`POST /free`: unload models and free memory once the server is idle."""
        await self._post("/free", {"unload_models": True, "free_memory": True})

    async def upload_image(
        self,
        image: bytes | Path,
        name: str,
        *,
        subfolder: str = "storybot",
        overwrite: bool = True,
    ) -> str:
        """`POST /upload/image` into the server's `input/` folder; returns what a `LoadImage`
        node takes: `subfolder/name` as the server answers it (without `overwrite` a clash with
        other content is renamed `name (1).png`; identical content is kept once)."""
        if not name or name in (".", "..") or "/" in name or "\\" in name:
            raise ValueError(f"an upload is named by a plain file name, not {name!r}")
        data = image if isinstance(image, bytes) else await asyncio.to_thread(image.read_bytes)
        flag = "true" if overwrite else "false"
        form = aiohttp.FormData({"type": "input", "subfolder": subfolder, "overwrite": flag})
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        form.add_field("image", data, filename=name, content_type=kind)
        status, raw, ctype = await self._send("POST", "/upload/image", form=form)
        if status in (400, 413):  # no file, a subfolder outside input/, over the size limit
            what = f"{self._where} refused the upload of {name} ({len(data)} bytes)"
            raise ComfyUploadError(f"{what}: HTTP {status} {snippet(raw)}".rstrip(), self.url)
        if status != 200:
            raise self._bad_status(f"POST /upload/image of {name}", status, raw)
        answer = self._parse(raw, ctype, "POST /upload/image", status)
        if not isinstance(answer, dict) or not isinstance(answer.get("name"), str):
            raise ComfyProtocolError(
                f"{self._where} answered POST /upload/image oddly: {snippet(raw)}", self.url
            )
        folder = str(answer.get("subfolder") or "").strip("/")
        return f"{folder}/{answer['name']}" if folder else answer["name"]

    async def paint(
        self, workflow: Mapping[str, Any], on_progress: ProgressCallback | None = None
    ) -> bytes:
        """Run an API-format workflow and return the bytes of its first output image."""
        client_id, prompt_id = uuid.uuid4().hex, str(uuid.uuid4())
        deadline = asyncio.timeout(self.image_timeout)
        try:
            async with deadline:
                return await self._paint(workflow, client_id, prompt_id, on_progress)
        except TimeoutError:
            if not deadline.expired():
                raise
            if prompt_id in self._active:
                await self._abandon(prompt_id)
            raise ComfyTimeoutError(
                f"{self._where} did not finish the image within {self.image_timeout:g} s "
                f"(prompt {prompt_id}); gave up and interrupted it",
                self.url,
            ) from None
        except asyncio.CancelledError:
            # Our caller gave up (book cancelled): the GPU must not keep painting for nobody.
            if prompt_id in self._active:
                await asyncio.shield(self._abandon(prompt_id))
            raise
        finally:
            self._active.discard(prompt_id)

    async def _paint(
        self,
        workflow: Mapping[str, Any],
        client_id: str,
        prompt_id: str,
        on_progress: ProgressCallback | None,
    ) -> bytes:
        ws = await self._open_socket(client_id)
        try:
            await self._queue(workflow, client_id, prompt_id)
            finished = ws is not None and await self._listen(ws, prompt_id, workflow, on_progress)
        finally:
            if ws is not None:
                await ws.close()
        if not finished:
            logger.info("following prompt %s on %s by polling /history", prompt_id, self.url)
        entry = await self._poll_history(prompt_id)
        return await self._download(self._first_image(self._outputs(entry, workflow)))

    async def _open_socket(self, client_id: str) -> aiohttp.ClientWebSocketResponse | None:
        """The job's websocket, or None (we then poll) when the server will not give one."""
        url = _ws_url(self.url)
        try:
            return await self._http().ws_connect(
                url, params={"clientId": client_id}, heartbeat=20.0, max_msg_size=0
            )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise self._unreachable(exc) from None
        except aiohttp.SocketTimeoutError:  # a hung server: do not wait again on /prompt
            raise ComfyUnavailableError(
                f"{self._where} did not answer its websocket within {self.request_timeout:g} s",
                self.url,
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("no websocket at %s (%s); polling /history instead", url, exc)
            return None

    async def _queue(self, workflow: Mapping[str, Any], client_id: str, prompt_id: str) -> None:
        body = {"prompt": workflow, "client_id": client_id, "prompt_id": prompt_id}
        status, raw, ctype = await self._send("POST", "/prompt", json_body=body)
        if status not in (200, 400):
            raise self._bad_status("POST /prompt", status, raw)
        answer = self._parse(raw, ctype, "POST /prompt", status)
        if status == 400:
            raise ComfyPromptError(
                f"{self._where} refused the workflow: {describe_refusal(answer, workflow)}",
                self.url,
            )
        if not isinstance(answer, dict) or answer.get("prompt_id") != prompt_id:
            raise ComfyProtocolError(f"{self._where} answered POST /prompt oddly: {raw[:200]!r}")
        self._active.add(prompt_id)
        if answer.get("node_errors"):
            # Only some outputs failed validation; the server runs the others.
            logger.warning("%s: %s", self._where, describe_refusal(answer, workflow))

    async def _listen(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        prompt_id: str,
        workflow: Mapping[str, Any],
        on_progress: ProgressCallback | None,
    ) -> bool:
        """Follow our prompt's frames; True when it ended, False when the socket dropped."""
        while True:
            msg = await ws.receive()  # bounded by the image deadline around `paint`
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                            aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):  # fmt: skip
                logger.warning("websocket to %s dropped during prompt %s", self.url, prompt_id)
                return False
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue  # binary preview frames
            try:
                frame = json.loads(msg.data)
            except ValueError:
                continue
            if await self._on_frame(frame, prompt_id, workflow, on_progress):
                return True

    async def _on_frame(
        self,
        frame: Any,
        prompt_id: str,
        workflow: Mapping[str, Any],
        on_progress: ProgressCallback | None,
    ) -> bool:
        """Handle one frame; True once our prompt has finished."""
        data = frame.get("data") if isinstance(frame, dict) else None
        if not isinstance(data, dict) or data.get("prompt_id") != prompt_id:
            return False  # `status` broadcasts, other clients' jobs
        kind = frame.get("type")
        if kind == "progress" and on_progress is not None:
            await _report(on_progress, int(data.get("value", 0)), int(data.get("max", 1)))
        elif kind == "execution_error":
            raise self._failed(data, workflow)
        elif kind == "execution_interrupted":
            raise self._interrupted(data, workflow)
        # Not `execution_success`: the server writes /history between it and `executing null`.
        return kind == "executing" and data.get("node") is None

    async def _poll_history(self, prompt_id: str) -> dict[str, Any]:
        """`GET /history/{id}` until the job is there (the server writes it when the job ends)."""
        while True:
            history = await self._get_json(f"/history/{prompt_id}")
            if isinstance(history, dict) and isinstance(history.get(prompt_id), dict):
                return history[prompt_id]
            await asyncio.sleep(self.poll_interval)

    def _outputs(self, entry: dict[str, Any], workflow: Mapping[str, Any]) -> dict[str, Any]:
        """Raise the job's error recorded in its history entry; else return its outputs."""
        status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
        if status.get("status_str") == "error":
            for event, data in status.get("messages") or []:
                if event == "execution_error":
                    raise self._failed(data, workflow)
                if event == "execution_interrupted":
                    raise self._interrupted(data, workflow)
            raise ComfyExecutionError(f"{self._where} reports the job failed", self.url)
        outputs = entry.get("outputs")
        return outputs if isinstance(outputs, dict) else {}

    def _first_image(self, outputs: dict[str, Any]) -> Mapping[str, Any]:
        """The first saved image (`type` output), else the first preview."""
        images = [
            image
            for output in outputs.values()
            if isinstance(output, dict)
            for image in output.get("images", [])
            if isinstance(image, dict) and image.get("filename")
        ]
        if not images:
            raise ComfyExecutionError(
                f"{self._where} finished without an image: has the workflow a SaveImage node?",
                self.url,
            )
        saved = [image for image in images if image.get("type") == "output"]
        return (saved or images)[0]

    async def _download(self, image: Mapping[str, Any]) -> bytes:
        params = {k: str(image.get(k, "")) for k in ("filename", "subfolder", "type")}
        status, raw, ctype = await self._send("GET", "/view", params=params)
        if status != 200 or not raw:
            raise self._bad_status(f"GET /view of {params['filename']}", status, raw)
        if not ctype.startswith("image/"):
            raise ComfyProtocolError(f"{self._where} sent {ctype or 'no type'}, not an image")
        return raw

    def _failed(self, data: Mapping[str, Any], workflow: Mapping[str, Any]) -> ComfyError:
        return ComfyExecutionError(describe_execution_error(data, workflow, self._where), self.url)

    def _interrupted(self, data: Mapping[str, Any], workflow: Mapping[str, Any]) -> ComfyError:
        node = node_label(str(data.get("node_id", "?")), data.get("node_type"), workflow)
        return ComfyInterruptedError(f"{self._where} interrupted the job at {node}", self.url)

    async def _abandon(self, prompt_id: str) -> None:
        """Best effort: drop the prompt if still queued, interrupt it if running."""
        for path, body in (
            ("/queue", {"delete": [prompt_id]}),
            ("/interrupt", {"prompt_id": prompt_id}),
        ):
            try:
                await asyncio.wait_for(self._post(path, body), self.connect_timeout)
            except (ComfyError, TimeoutError) as exc:
                logger.warning("could not %s prompt %s: %s", path.strip("/"), prompt_id, exc)

    async def _post(self, path: str, body: Any) -> None:
        status, raw, _ = await self._send("POST", path, json_body=body)
        if status != 200:
            raise self._bad_status(f"POST {path}", status, raw)

    async def _get_json(self, path: str) -> Any:
        status, raw, ctype = await self._send("GET", path)
        if status != 200:
            raise self._bad_status(f"GET {path}", status, raw)
        return self._parse(raw, ctype, f"GET {path}", status)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        form: aiohttp.FormData | None = None,
    ) -> tuple[int, bytes, str]:
        """One request: (status, body, content type); connection trouble → unavailable."""
        try:
            async with self._http().request(
                method, self.url + path, json=json_body, params=params, data=form
            ) as resp:
                return resp.status, await resp.read(), resp.content_type or ""
        except aiohttp.SocketTimeoutError:
            raise ComfyUnavailableError(
                f"{self._where} did not answer {method} {path} within {self.request_timeout:g} s",
                self.url,
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._unreachable(exc) from None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(
                total=None, sock_connect=self.connect_timeout, sock_read=self.request_timeout
            )
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    def _parse(self, raw: bytes, ctype: str, what: str, status: int) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise not_json(self._where, self.url, what, status, ctype, raw) from None

    def _bad_status(self, what: str, status: int, raw: bytes) -> ComfyError:
        return bad_status(self._where, self.url, what, status, raw)

    def _unreachable(self, exc: BaseException) -> ComfyError:
        return unreachable(self._where, self.url, exc, self.connect_timeout)


async def _report(on_progress: ProgressCallback, step: int, total: int) -> None:
    try:
        result = on_progress(step, max(total, 1))
        if inspect.isawaitable(result):
            await result
    except Exception:  # a progress display must never lose an image
        logger.warning("progress callback failed", exc_info=True)


def _ws_url(url: str) -> str:
    return ("wss://" if url.startswith("https://") else "ws://") + url.split("://")[-1] + "/ws"
