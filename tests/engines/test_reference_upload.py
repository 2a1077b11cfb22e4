"""The reference picture's way in: `POST /upload/image` as ComfyUI speaks it (spec §3.4), the
`LoadImage` refusal of a file never uploaded (spec §3.1), the client's `upload_image`, and the
workflow's `reference` node (filled, or cut away when there is no reference)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from storybot.config import PROJECT_ROOT, Settings
from storybot.doctor.comfyui import check_comfyui
from storybot.engines.comfyui import ComfyClient, ComfyPromptError, ComfyUploadError
from storybot.engines.workflow import Workflow, WorkflowError, describe_refusal
from tests.support.fake_comfyui import FakeComfyUI, png, png_size

WORKFLOWS = PROJECT_ROOT / "workflows"
KONTEXT = WORKFLOWS / "flux_kontext_reference.json"
FAST = {"poll_interval": 0.02, "connect_timeout": 2.0}


async def upload(url: str, data: bytes, filename: str, **fields: str) -> aiohttp.ClientResponse:
    """A multipart POST /upload/image as the web UI sends it; the response, body read."""
    form = aiohttp.FormData(fields)
    form.add_field("image", data, filename=filename, content_type="image/png")
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/upload/image", data=form) as response,
    ):
        await response.read()
        return response


async def answer_of(response: aiohttp.ClientResponse) -> Any:
    assert response.status == 200 and response.content_type == "application/json"
    return await response.json()


# -- the fake speaks the real upload route -------------------------------------------------


async def test_upload_answers_name_subfolder_and_type(comfy: FakeComfyUI) -> None:
    picture = png(8, 8)
    response = await upload(comfy.url, picture, "tiger.png", type="input", subfolder="storybot")
    assert await answer_of(response) == {
        "name": "tiger.png",
        "subfolder": "storybot",
        "type": "input",
    }
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    # Without `type` the upload goes to input/ too; the route also lives under /api.
    bare = await upload(f"{comfy.url}/api", picture, "bare.png")
    assert await answer_of(bare) == {"name": "bare.png", "subfolder": "", "type": "input"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{comfy.url}/view",
            params={"filename": "tiger.png", "subfolder": "storybot", "type": "input"},
        ) as view,
    ):
        assert view.status == 200 and await view.read() == picture
    assert [(u["name"], u["subfolder"], u["overwrite"]) for u in comfy.uploads] == [
        ("tiger.png", "storybot", None),
        ("bare.png", "", None),
    ]


async def test_upload_renames_a_clash_and_keeps_identical_content_once(comfy: FakeComfyUI) -> None:
    first, second, third = png(4, 4, (1, 2, 3)), png(4, 4, (9, 9, 9)), png(4, 4, (7, 7, 7))
    names = []
    for data in (first, second, second, first, third):
        names.append((await answer_of(await upload(comfy.url, data, "page.png")))["name"])
    assert names == ["page.png", "page (1).png", "page (1).png", "page.png", "page (2).png"]
    assert [u["duplicate"] for u in comfy.uploads] == [False, False, True, True, False]
    assert comfy.files[("input", "", "page (1).png")] == second
    # overwrite "true" (or "1") replaces the file under the same name.
    replaced = await upload(comfy.url, third, "page.png", overwrite="true")
    assert (await answer_of(replaced))["name"] == "page.png"
    assert comfy.files[("input", "", "page.png")] == third
    other = await upload(comfy.url, first, "page.png", overwrite="false")  # not a yes
    assert (await answer_of(other))["name"] == "page (3).png"


async def test_upload_refusals_are_the_real_ones(comfy: FakeComfyUI) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{comfy.url}/upload/image", data=aiohttp.FormData({"type": "input"})
        ) as no_file,
    ):
        assert (no_file.status, await no_file.read()) == (400, b"")
    escape = await upload(comfy.url, png(2, 2), "x.png", subfolder="../../etc")
    assert escape.status == 400
    unknown_type = await upload(comfy.url, png(2, 2), "x.png", type="models")
    assert unknown_type.status == 500 and unknown_type.content_type == "text/plain"
    assert comfy.uploads == []


# -- LoadImage refuses a file never uploaded ------------------------------------------------


async def test_load_image_of_a_file_never_uploaded_gets_the_real_400(comfy: FakeComfyUI) -> None:
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "nope.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}},
    }
    body = {"prompt": prompt, "client_id": "23cfb04bfbfd4b44bfbfb00c6e268f1a"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{comfy.url}/prompt", json=body) as response,
    ):
        assert response.status == 400
        answer = await response.json()
    assert answer == {  # verbatim from the spec, §3.1
        "error": {
            "type": "prompt_outputs_failed_validation",
            "message": "Prompt outputs failed validation",
            "details": "",
            "extra_info": {},
        },
        "node_errors": {
            "1": {
                "errors": [
                    {
                        "type": "custom_validation_failed",
                        "message": "Custom validation failed for node",
                        "details": "image - Invalid image file: nope.png",
                        "extra_info": {"input_name": "image"},
                    }
                ],
                "dependent_outputs": ["2"],
                "class_type": "LoadImage",
            }
        },
    }
    # Once uploaded (also named with its folder annotation), the same graph runs.
    await upload(comfy.url, png(16, 16), "nope.png")
    for name in ("nope.png", "nope.png [input]"):
        prompt["1"]["inputs"]["image"] = name
        async with ComfyClient(comfy.url, **FAST) as client:
            assert png_size(await client.paint(prompt)) == (64, 64)


async def test_paint_with_an_unknown_reference_names_the_node_and_file(comfy: FakeComfyUI) -> None:
    graph = Workflow.load(KONTEXT).fill("a tiger", seed=1, reference="storybot/never.png")
    async with ComfyClient(comfy.url, **FAST) as client:
        with pytest.raises(ComfyPromptError) as caught:
            await client.paint(graph)
    assert str(caught.value) == (
        f"ComfyUI at {comfy.url} refused the workflow: "
        "node 41 LoadImage 'reference': image: Invalid image file: storybot/never.png"
    )


# -- the client -----------------------------------------------------------------------------


async def test_client_uploads_bytes_or_a_file_and_returns_the_load_image_name(
    comfy: FakeComfyUI, tmp_path: Path
) -> None:
    picture = tmp_path / "sheet.png"
    picture.write_bytes(png(32, 24))
    async with ComfyClient(comfy.url, **FAST) as client:
        assert await client.upload_image(picture, "book-reference.png") == (
            "storybot/book-reference.png"
        )
        assert await client.upload_image(png(2, 2), "flat.png", subfolder="") == "flat.png"
        # Without overwrite the server's rename comes back as the name to use.
        renamed = await client.upload_image(png(3, 3), "flat.png", subfolder="", overwrite=False)
        assert renamed == "flat (1).png"
        graph = Workflow.load(KONTEXT).fill("a tiger", seed=1, width=96, height=64,
                                            reference="storybot/book-reference.png")  # fmt: skip
        assert png_size(await client.paint(graph)) == (96, 64)
    sent = comfy.uploads[0]
    assert (sent["filename"], sent["type"], sent["subfolder"], sent["overwrite"]) == (
        "book-reference.png", "input", "storybot", "true",
    )  # fmt: skip
    assert sent["content_type"] == "image/png" and sent["data"] == picture.read_bytes()
    assert comfy.uploads[2]["overwrite"] == "false"


async def test_client_upload_errors(comfy: FakeComfyUI) -> None:
    async with ComfyClient(comfy.url, **FAST) as client:
        with pytest.raises(ComfyUploadError, match=r"refused the upload of x\.png .*HTTP 400"):
            await client.upload_image(png(2, 2), "x.png", subfolder="../..")
        with pytest.raises(ValueError, match="plain file name"):
            await client.upload_image(png(2, 2), "../x.png")


# -- the workflow's reference node ------------------------------------------------------------


def test_the_kontext_workflow_is_core_nodes_titled_as_flux_schnell() -> None:
    workflow = Workflow.load(KONTEXT)
    assert (
        workflow.has_reference and not Workflow.load(WORKFLOWS / "flux_schnell.json").has_reference
    )
    assert set(workflow.titled) == {"positive", "negative", "seed", "size", "reference"}
    by_class = {node["class_type"]: node["inputs"] for node in workflow.graph.values()}
    assert set(by_class) == {
        "UNETLoader", "DualCLIPLoader", "VAELoader", "CLIPTextEncode", "LoadImage",
        "FluxKontextImageScale", "VAEEncode", "ReferenceLatent", "FluxGuidance",
        "EmptySD3LatentImage", "KSampler", "VAEDecode", "SaveImage",
    }  # fmt: skip
    assert by_class["KSampler"]["cfg"] == 1.0 and by_class["FluxGuidance"]["guidance"] == 2.5
    assert by_class["UNETLoader"]["unet_name"] == "flux1-dev-kontext_fp8_scaled.safetensors"
    graph = workflow.graph
    reference_latent = graph[graph["35"]["inputs"]["conditioning"][0]]
    assert reference_latent["class_type"] == "ReferenceLatent"
    assert graph[reference_latent["inputs"]["conditioning"][0]]["_meta"]["title"] == "positive"
    assert graph["31"]["inputs"]["latent_image"] == [workflow.titled["size"], 0]


def test_fill_names_the_reference_and_cuts_it_away_without_one() -> None:
    workflow = Workflow.load(KONTEXT)
    before = json.dumps(workflow.graph, sort_keys=True)
    graph = workflow.fill("a tiger", seed=7, reference="storybot/storybot-b1-reference.png")
    assert graph["41"]["inputs"]["image"] == "storybot/storybot-b1-reference.png"
    alone = workflow.fill("a tiger", seed=7)
    assert set(graph) - set(alone) == {"41", "42", "124"}  # LoadImage, scale, encode
    assert alone["177"]["inputs"] == {"conditioning": ["6", 0]}  # ReferenceLatent passes through
    assert alone["31"]["inputs"]["seed"] == 7 and "a tiger" in alone["6"]["inputs"]["text"]
    assert json.dumps(workflow.graph, sort_keys=True) == before
    # A workflow without the node ignores a reference.
    schnell = Workflow.load(WORKFLOWS / "flux_schnell.json")
    assert schnell.fill("a", seed=1, reference="storybot/x.png") == schnell.fill("a", seed=1)


def qwen_edit() -> dict[str, Any]:
    """The Qwen-Image-Edit shape workflows/README.md describes."""

    def node(class_type: str, title: str = "", **inputs: Any) -> dict[str, Any]:
        return {"class_type": class_type, "inputs": inputs, "_meta": {"title": title or class_type}}

    return {
        "37": node("UNETLoader", unet_name="qwen_image_edit_fp8_e4m3fn.safetensors",
                   weight_dtype="default"),
        "66": node("ModelSamplingAuraFlow", model=["37", 0], shift=3.0),
        "38": node("CLIPLoader", clip_name="qwen_2.5_vl_7b_fp8_scaled.safetensors",
                   type="qwen_image"),
        "39": node("VAELoader", vae_name="qwen_image_vae.safetensors"),
        "78": node("LoadImage", "reference", image="storybot/reference.png"),
        "93": node("ImageScaleToTotalPixels", image=["78", 0], upscale_method="lanczos",
                   megapixels=1.0),
        "76": node("TextEncodeQwenImageEdit", "positive", prompt="", clip=["38", 0],
                   vae=["39", 0], image=["93", 0]),
        "77": node("TextEncodeQwenImageEdit", "negative", prompt="", clip=["38", 0],
                   vae=["39", 0], image=["93", 0]),
        "27": node("EmptySD3LatentImage", "size", width=1024, height=1024, batch_size=1),
        "3": node("KSampler", "seed", seed=0, steps=20, cfg=2.5, sampler_name="euler",
                  scheduler="simple", denoise=1.0, model=["66", 0], positive=["76", 0],
                  negative=["77", 0], latent_image=["27", 0]),
        "8": node("VAEDecode", samples=["3", 0], vae=["39", 0]),
        "60": node("SaveImage", filename_prefix="storybot", images=["8", 0]),
    }  # fmt: skip


async def test_a_qwen_image_edit_workflow_paints_with_and_without_a_reference(
    comfy: FakeComfyUI,
) -> None:
    comfy.diffusion_models = ["qwen_image_edit_fp8_e4m3fn.safetensors"]
    comfy.text_encoders = ["qwen_2.5_vl_7b_fp8_scaled.safetensors"]
    comfy.vaes = ["qwen_image_vae.safetensors"]
    workflow = Workflow.from_dict(qwen_edit())
    alone = workflow.fill("a tiger", seed=3, width=80, height=48)
    assert "78" not in alone and "93" not in alone and "image" not in alone["76"]["inputs"]
    assert alone["76"]["inputs"]["prompt"].endswith("a tiger")  # `prompt` is its text input
    async with ComfyClient(comfy.url, **FAST) as client:
        assert png_size(await client.paint(alone)) == (80, 48)
        name = await client.upload_image(png(8, 8), "storybot-q-reference.png")
        graph = workflow.fill("a tiger", seed=3, width=80, height=48, reference=name)
        assert png_size(await client.paint(graph)) == (80, 48)
    assert comfy.prompts[-1]["prompt"]["76"]["inputs"]["image"] == ["93", 0]


def test_a_reference_node_must_be_a_load_image() -> None:
    graph = json.loads(KONTEXT.read_text())
    graph["42"]["_meta"]["title"] = "reference"  # FluxKontextImageScale
    graph["41"]["_meta"]["title"] = "Load Image"
    with pytest.raises(WorkflowError, match=r"node 42 \(FluxKontextImageScale\) is titled "
                                            r"'reference' but only a LoadImage"):  # fmt: skip
        Workflow.from_dict(graph)


def test_a_workflow_that_cannot_paint_without_its_reference_says_which_node() -> None:
    graph = copy.deepcopy(json.loads(KONTEXT.read_text()))
    graph["31"]["inputs"]["latent_image"] = ["124", 0]  # the page painted over the reference
    workflow = Workflow.from_dict(graph, source="edit.json")
    assert workflow.fill("a", seed=1, reference="storybot/x.png")["31"]["inputs"]["latent_image"]
    with pytest.raises(WorkflowError, match=r"edit.json cannot paint without a reference "
                                            r"picture: node 31 KSampler 'seed' needs"):  # fmt: skip
        workflow.fill("a", seed=1)


def test_a_refused_load_image_is_one_line_naming_the_file() -> None:
    answer = {
        "error": {"type": "prompt_outputs_failed_validation", "message": "x", "details": ""},
        "node_errors": {"41": {"class_type": "LoadImage", "errors": [{
            "type": "custom_validation_failed", "message": "Custom validation failed for node",
            "details": "image - Invalid image file: storybot/a.png",
            "extra_info": {"input_name": "image"}}]}},
    }  # fmt: skip
    assert describe_refusal(answer, Workflow.load(KONTEXT).graph) == (
        "node 41 LoadImage 'reference': image: Invalid image file: storybot/a.png"
    )


# -- storybot doctor -------------------------------------------------------------------------


async def test_doctor_says_whether_the_workflow_has_a_reference_node(
    comfy: FakeComfyUI, tmp_path: Path
) -> None:
    kontext = await check_comfyui(Settings(comfyui_urls=[comfy.url], comfyui_workflow=KONTEXT))
    found = {row.component: row for row in kontext}
    assert (found["comfyui reference"].status, found["comfyui reference"].detail) == (
        "OK", "pages keep the book's characters (node 41 LoadImage 'reference')",
    )  # fmt: skip
    assert found[f"comfyui {comfy.url} models"].status == "OK"
    assert "flux1-dev-kontext_fp8_scaled.safetensors" in found[f"comfyui {comfy.url} models"].detail
    schnell = await check_comfyui(
        Settings(comfyui_urls=[comfy.url], comfyui_workflow=WORKFLOWS / "flux_schnell.json")
    )
    row = next(r for r in schnell if r.component == "comfyui reference")
    assert row.status == "WARN" and "characters may look different" in row.detail
    broken = json.loads(KONTEXT.read_text())
    broken["31"]["inputs"]["latent_image"] = ["124", 0]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    rows_broken = await check_comfyui(
        Settings(comfyui_urls=[comfy.url], comfyui_workflow=tmp_path / "broken.json")
    )
    row = next(r for r in rows_broken if r.component == "comfyui reference")
    assert row.status == "FAIL" and "cannot paint without a reference picture" in row.detail
