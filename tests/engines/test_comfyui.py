"""The ComfyUI client and pool, driven over real sockets against the protocol-true fake."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from storybot.cli.engine_commands import paint_command
from storybot.config import PROJECT_ROOT, Settings
from storybot.doctor.comfyui import check_comfyui
from storybot.engines.comfyui import (
    ComfyClient,
    ComfyExecutionError,
    ComfyInterruptedError,
    ComfyPromptError,
    ComfyProtocolError,
    ComfyTimeoutError,
    ComfyUnavailableError,
)
from storybot.engines.image_pool import ComfyPool
from storybot.engines.workflow import STYLE_PREFIX, Workflow
from tests.support.fake_comfyui import UUID_RE, FakeComfyUI, SilentServer, free_port, png_size

FLUX = PROJECT_ROOT / "workflows" / "flux_schnell.json"
SHEET = "a small white rabbit in a red vest, a tall grey heron with round glasses"
FAST = {"poll_interval": 0.02, "connect_timeout": 2.0}


@pytest.fixture
async def comfy2() -> AsyncIterator[FakeComfyUI]:
    fake = FakeComfyUI()
    await fake.start()
    yield fake
    await fake.stop()


def flux_graph(seed: int = 1234, width: int = 320, height: int = 256) -> dict[str, Any]:
    workflow = Workflow.load(FLUX)
    return workflow.fill("a rabbit reading", seed=seed, character_sheet=SHEET, width=width,
                         height=height, steps=4)  # fmt: skip


def pool(*urls: str, **options: Any) -> ComfyPool:
    return ComfyPool(urls, FLUX, width=192, height=128, steps=3, **{**FAST, **options})


# -- one server ---------------------------------------------------------------------------


async def test_paint_reports_progress_and_returns_the_png(comfy: FakeComfyUI) -> None:
    steps: list[tuple[int, int]] = []
    async with ComfyClient(comfy.url, **FAST) as client:
        data = await client.paint(flux_graph(), on_progress=lambda s, t: steps.append((s, t)))
    assert png_size(data) == (320, 256)
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    body = comfy.prompts[-1]
    assert UUID_RE.match(body["prompt_id"]) and len(body["client_id"]) == 32
    prompt = body["prompt"]
    assert prompt["6"]["inputs"]["text"] == f"{STYLE_PREFIX}a rabbit reading, {SHEET}"
    assert prompt["33"]["inputs"]["text"].startswith("text, letters, words, writing, typography")
    assert "nudity" in prompt["33"]["inputs"]["text"]
    assert prompt["31"]["inputs"]["seed"] == 1234
    assert (prompt["27"]["inputs"]["width"], prompt["27"]["inputs"]["height"]) == (320, 256)


async def test_async_progress_callback_is_awaited(comfy: FakeComfyUI) -> None:
    seen: list[int] = []

    async def on_progress(step: int, total: int) -> None:
        await asyncio.sleep(0)
        seen.append(step)

    async with ComfyClient(comfy.url, **FAST) as client:
        await client.paint(flux_graph(), on_progress=on_progress)
    assert seen == [1, 2, 3, 4]


async def test_health_gives_the_version(comfy: FakeComfyUI) -> None:
    async with ComfyClient(comfy.url + "/", **FAST) as client:
        stats = await client.health()
    assert stats["system"]["comfyui_version"] == "0.3.64"


async def test_missing_checkpoint_names_node_input_and_what_the_server_has(
    comfy: FakeComfyUI,
) -> None:
    comfy.checkpoints = ["sd_xl_base_1.0.safetensors", "tiny_random_sd15.safetensors"]
    async with ComfyClient(comfy.url, **FAST) as client:
        with pytest.raises(ComfyPromptError) as caught:
            await client.paint(flux_graph())
    message = str(caught.value)
    assert "node 30 CheckpointLoaderSimple 'Load Checkpoint'" in message
    assert "ckpt_name 'flux1-schnell-fp8.safetensors' is not on the server" in message
    assert "sd_xl_base_1.0.safetensors, tiny_random_sd15.safetensors" in message
    assert "\n" not in message


async def test_other_refusals_are_one_clear_line(comfy: FakeComfyUI) -> None:
    unknown = flux_graph()
    unknown["8"]["class_type"] = "NoSuchNode"
    out_of_range = flux_graph()
    out_of_range["31"]["inputs"]["steps"] = 0
    async with ComfyClient(comfy.url, **FAST) as client:
        with pytest.raises(ComfyPromptError, match="node NoSuchNode does not exist"):
            await client.paint(unknown)
        with pytest.raises(ComfyPromptError, match=r"node 31 KSampler 'seed': steps: Value 0"):
            await client.paint(out_of_range)


async def test_execution_error_names_node_and_exception(comfy: FakeComfyUI) -> None:
    comfy.fail_class = "VAEDecode"
    async with ComfyClient(comfy.url, **FAST) as client:
        with pytest.raises(ComfyExecutionError) as caught:
            await client.paint(flux_graph())
    message = str(caught.value)
    assert "node 8 VAEDecode 'VAE Decode'" in message
    assert "torch.OutOfMemoryError: Allocation on device 0" in message


async def test_execution_error_found_by_polling_too(comfy: FakeComfyUI) -> None:
    comfy.fail_class, comfy.refuse_ws = "KSampler", True
    async with ComfyClient(comfy.url, **FAST) as client:
        with pytest.raises(ComfyExecutionError, match=r"node 31 KSampler 'seed'.*out of memory"):
            await client.paint(flux_graph())


async def test_server_down_is_a_quick_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    async with ComfyClient(url, **FAST) as client:
        with pytest.raises(ComfyUnavailableError, match=f"ComfyUI at {url} is not reachable"):
            await client.paint(flux_graph())
        with pytest.raises(ComfyUnavailableError):
            await client.health()
    assert time.monotonic() - started < 2


async def test_a_server_that_never_answers_does_not_hang_us() -> None:
    silent = SilentServer()
    await silent.start()
    try:
        options = {**FAST, "connect_timeout": 0.3, "request_timeout": 0.3}
        async with ComfyClient(silent.url, **options) as client:
            with pytest.raises(ComfyUnavailableError, match=r"did not answer /system_stats within"):
                await client.health()
            with pytest.raises(ComfyUnavailableError, match=r"did not answer its websocket"):
                await client.paint(flux_graph())
    finally:
        await silent.stop()


async def test_timeout_gives_up_and_interrupts_the_job(comfy: FakeComfyUI) -> None:
    comfy.hang = True
    async with ComfyClient(comfy.url, image_timeout=0.4, **FAST) as client:
        with pytest.raises(ComfyTimeoutError, match=r"within 0.4 s"):
            await client.paint(flux_graph())
    prompt_id = comfy.prompts[-1]["prompt_id"]
    assert comfy.interrupts == [prompt_id]
    await _until(lambda: prompt_id in comfy.history)
    assert comfy.history[prompt_id]["status"]["messages"][-1][0] == "execution_interrupted"


async def test_interrupt_on_the_server_is_reported(comfy: FakeComfyUI) -> None:
    comfy.hang = True
    async with ComfyClient(comfy.url, **FAST) as client:
        task = asyncio.create_task(client.paint(flux_graph()))
        await _until(lambda: comfy.running is not None)
        comfy.interrupt_running()
        with pytest.raises(ComfyInterruptedError, match="interrupted the job at node 31 KSampler"):
            await task


async def test_cancelling_the_caller_interrupts_the_job(comfy: FakeComfyUI) -> None:
    comfy.hang = True
    async with ComfyClient(comfy.url, **FAST) as client:
        task = asyncio.create_task(client.paint(flux_graph()))
        await _until(lambda: comfy.running is not None)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert comfy.interrupts == [comfy.prompts[-1]["prompt_id"]]


async def test_refused_websocket_falls_back_to_polling(comfy: FakeComfyUI) -> None:
    comfy.refuse_ws = True
    steps: list[int] = []
    async with ComfyClient(comfy.url, **FAST) as client:
        data = await client.paint(flux_graph(width=96, height=64), lambda s, t: steps.append(s))
    assert png_size(data) == (96, 64)
    assert steps == []  # progress only comes over the socket


async def test_dropped_websocket_never_loses_the_image(comfy: FakeComfyUI) -> None:
    comfy.drop_ws_after_progress = True
    steps: list[int] = []
    async with ComfyClient(comfy.url, **FAST) as client:
        data = await client.paint(flux_graph(), lambda s, t: steps.append(s))
    assert png_size(data) == (320, 256)
    assert steps[:1] == [1]


@pytest.mark.parametrize(
    ("failure", "pattern"),
    [("500", r"answered POST /prompt with HTTP 500: 500 Internal Server Error"),
     ("html", r"answered POST /prompt with something that is not JSON \(HTTP 200, text/html")],
)  # fmt: skip
async def test_broken_answers_are_protocol_errors(
    comfy: FakeComfyUI, failure: str, pattern: str
) -> None:
    comfy.prompt_failure = failure
    async with ComfyClient(comfy.url, **FAST) as client:
        with pytest.raises(ComfyProtocolError, match=pattern):
            await client.paint(flux_graph())


async def test_free_sends_unload_and_free_memory(comfy: FakeComfyUI) -> None:
    async with ComfyClient(comfy.url, **FAST) as client:
        await client.free()
    assert comfy.frees == [{"unload_models": True, "free_memory": True}]


# -- the pool -----------------------------------------------------------------------------


async def test_pool_writes_the_page_image(comfy: FakeComfyUI, tmp_path: Path) -> None:
    out = tmp_path / "run" / "cover.png"
    async with pool(comfy.url) as images:
        assert await images.paint("a fox", out, seed=7, character_sheet=SHEET) == out
    assert png_size(out.read_bytes()) == (192, 128)
    assert comfy.prompts[-1]["prompt"]["31"]["inputs"]["steps"] == 3
    assert not list(out.parent.glob("*.part"))


async def test_pool_of_two_with_one_dead(comfy: FakeComfyUI, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with pool(dead, comfy.url) as images:
        for page in range(3):
            await images.paint("a fox", tmp_path / f"p{page}.png", seed=7)
    assert len(comfy.prompts) == 3
    assert all(png_size((tmp_path / f"p{n}.png").read_bytes()) == (192, 128) for n in range(3))


async def test_dead_server_is_probed_again_later(
    comfy: FakeComfyUI, comfy2: FakeComfyUI, tmp_path: Path
) -> None:
    await comfy2.stop()
    comfy.step_delay = comfy2.step_delay = 0.02
    async with pool(comfy2.url, comfy.url, reprobe_after=1.0) as images:
        await images.paint("a fox", tmp_path / "a.png", seed=1)
        await comfy2.start()  # same port: the server came back
        both = [images.paint("a fox", tmp_path / f"{n}.png", seed=1) for n in range(2)]
        await asyncio.gather(*both)  # within 1 s: the first server does both, in turn
        assert (len(comfy.prompts), len(comfy2.prompts)) == (3, 0)
        await asyncio.sleep(1.0)
        await asyncio.gather(
            *[images.paint("a fox", tmp_path / f"c{n}.png", seed=n) for n in (1, 2)]
        )
    assert (len(comfy.prompts), len(comfy2.prompts)) == (4, 1)


async def test_pool_runs_one_job_at_a_time_per_server(
    comfy: FakeComfyUI, comfy2: FakeComfyUI, tmp_path: Path
) -> None:
    comfy.step_delay = comfy2.step_delay = 0.02
    async with pool(comfy.url, comfy2.url) as images:
        pages = [images.paint("a fox", tmp_path / f"{n}.png", seed=n) for n in range(6)]
        await asyncio.gather(*pages)
    assert comfy.max_jobs == comfy2.max_jobs == 1
    assert len(comfy.prompts) + len(comfy2.prompts) == 6
    assert comfy.prompts and comfy2.prompts


async def test_job_refused_by_one_server_is_retried_once_on_another(
    comfy: FakeComfyUI, comfy2: FakeComfyUI, tmp_path: Path
) -> None:
    comfy.checkpoints = ["other.safetensors"]
    async with pool(comfy.url, comfy2.url) as images:
        await images.paint("a fox", tmp_path / "a.png", seed=1)
    assert len(comfy.prompts) == len(comfy2.prompts) == 1
    comfy2.fail_class = "VAEDecode"
    async with pool(comfy.url, comfy2.url) as images:
        with pytest.raises(ComfyExecutionError):  # the second server's error, after one retry
            await images.paint("a fox", tmp_path / "b.png", seed=1)
    assert len(comfy.prompts) == len(comfy2.prompts) == 2


async def test_all_servers_down(tmp_path: Path) -> None:
    urls = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
    async with pool(*urls) as images:
        with pytest.raises(ComfyUnavailableError, match="not reachable"):
            await images.paint("a fox", tmp_path / "a.png", seed=1)
        with pytest.raises(ComfyUnavailableError, match="not reachable"):
            await images.paint("a fox", tmp_path / "a.png", seed=1)
    assert not (tmp_path / "a.png").exists()


async def test_pool_does_not_retry_an_interrupted_job_and_frees_all(
    comfy: FakeComfyUI, comfy2: FakeComfyUI, tmp_path: Path
) -> None:
    comfy.hang = True
    async with pool(comfy.url, comfy2.url) as images:
        task = asyncio.create_task(images.paint("a fox", tmp_path / "a.png", seed=1))
        await _until(lambda: comfy.running is not None)
        comfy.interrupt_running()  # someone stopped it on the server
        with pytest.raises(ComfyInterruptedError):  # not retried elsewhere
            await task
        await images.free_all()
    assert comfy2.prompts == []
    assert comfy.frees == comfy2.frees == [{"unload_models": True, "free_memory": True}]


# -- doctor and the command ---------------------------------------------------------------


async def test_doctor_rows(comfy: FakeComfyUI, comfy2: FakeComfyUI) -> None:
    comfy2.checkpoints, comfy2.v3_combos = ["sd15.safetensors"], True
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(comfyui_urls=[comfy.url, comfy2.url, dead], comfyui_workflow=FLUX)
    rows = {row.component: row for row in await check_comfyui(settings)}
    assert rows["comfyui workflow"].status == "OK"
    assert rows[f"comfyui {comfy.url}"].status == "OK"
    assert "ComfyUI 0.3.64" in rows[f"comfyui {comfy.url}"].detail
    assert rows[f"comfyui {comfy.url} models"].status == "OK"
    missing = rows[f"comfyui {comfy2.url} models"]
    assert missing.status == "FAIL"
    assert "flux1-schnell-fp8.safetensors" in missing.detail
    assert "sd15.safetensors" in missing.detail
    assert rows[f"comfyui {dead}"].status == "FAIL"
    assert "not reachable" in rows[f"comfyui {dead}"].detail


async def test_doctor_refuses_a_ui_format_workflow(tmp_path: Path) -> None:
    ui = tmp_path / "ui.json"
    ui.write_text('{"last_node_id": 2, "nodes": [], "links": []}')
    settings = Settings(comfyui_urls=[f"http://127.0.0.1:{free_port()}"], comfyui_workflow=ui)
    rows = await check_comfyui(settings)
    assert rows[0].status == "FAIL" and "Export (API)" in rows[0].detail


async def test_paint_command(comfy: FakeComfyUI, tmp_path: Path) -> None:
    settings = Settings(comfyui_urls=[f"http://127.0.0.1:{free_port()}"], image_width=128,
                        image_height=96)  # fmt: skip
    out = await paint_command("a rabbit reading", tmp_path / "rabbit.png", settings,
                              workflow=FLUX, seed=99, url=comfy.url + "/")  # fmt: skip
    assert png_size(out.read_bytes()) == (128, 96)
    prompt = comfy.prompts[-1]["prompt"]
    assert prompt["31"]["inputs"]["seed"] == 99
    assert prompt["6"]["inputs"]["text"] == f"{STYLE_PREFIX}a rabbit reading"


# -- the fake itself keeps to the recorded protocol ---------------------------------------


async def test_fake_speaks_the_recorded_protocol(comfy: FakeComfyUI) -> None:
    graph = flux_graph(width=64, height=64)
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{comfy.url}/ws?clientId=me") as ws:
            hello = await ws.receive_json()
            assert hello == {"type": "status", "data": {
                "status": {"exec_info": {"queue_remaining": 0}}, "sid": "me"}}  # fmt: skip
            pid = "4e323f25-4b6e-4524-843b-d8133b7d671d"
            async with http.post(f"{comfy.url}/api/prompt", json={
                    "prompt": graph, "client_id": "me", "prompt_id": pid}) as resp:  # fmt: skip
                assert await resp.json() == {"prompt_id": pid, "number": 0, "node_errors": {}}
            frames = []
            while not frames or frames[-1] != ("executing", None):
                frame = await ws.receive_json()
                frames.append((frame["type"], frame["data"].get("node")))
        assert [kind for kind, _ in frames] == [
            "status", "status", "execution_start", "execution_cached",
            "executing", "executing", "executing", "executing", "executing",
            "progress", "progress", "progress", "progress",
            "executing", "executing", "executed", "execution_success", "status", "executing",
        ]  # fmt: skip
        assert [n for kind, n in frames if kind == "executing"] == [
            "30", "6", "33", "27", "31", "8", "9", None]  # fmt: skip
        async with http.get(f"{comfy.url}/history/{pid}") as resp:
            entry = (await resp.json())[pid]
        assert entry["status"]["status_str"] == "success"
        image = entry["outputs"]["9"]["images"][0]
        async with http.get(f"{comfy.url}/view", params=image) as resp:
            assert resp.content_type == "image/png"
            assert png_size(await resp.read()) == (64, 64)
        async with http.post(f"{comfy.url}/free") as resp:  # no body
            assert resp.status == 500
            assert await resp.text() == "500 Internal Server Error\n\nServer got itself in trouble"
        async with http.post(
            f"{comfy.url}/prompt", json={"prompt": graph, "prompt_id": "bot-1"}
        ) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["type"] == "invalid_prompt_id"
        async with http.post(f"{comfy.url}/prompt", json={"prompt": {"1": graph["30"]}}) as resp:
            assert (await resp.json())["error"]["type"] == "prompt_no_outputs"
        for query, status in (("filename=nope.png", 404), ("filename=../etc/passwd", 400)):
            async with http.get(f"{comfy.url}/view?{query}") as resp:
                assert resp.status == status
        async with http.get(
            f"{comfy.url}/system_stats", headers={"Origin": "http://evil.example"}
        ) as resp:
            assert resp.status == 403


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never came true"
        await asyncio.sleep(0.005)
