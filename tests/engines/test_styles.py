"""Picture styles: the presets file, an operator's file over it, and what reaches ComfyUI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from storybot.cli import build_parser
from storybot.cli.engine_commands import paint_command
from storybot.config import PROJECT_ROOT, Settings
from storybot.engines.image_pool import ComfyPool
from storybot.engines.styles import (
    BUILTIN_STYLES,
    DEFAULT_STYLE,
    Style,
    StyleError,
    load_styles,
    resolve_style,
)
from storybot.engines.workflow import NEGATIVE, STYLE_PREFIX, Workflow
from storybot.errors import ConfigError
from storybot.wiring import make_book_maker
from tests.support.cli_runner import storybot
from tests.support.fake_comfyui import FakeComfyUI, free_port

WORKFLOWS = PROJECT_ROOT / "workflows"
PRESETS = ["watercolor", "crayon", "colored_pencil", "paper_cutout", "minhwa", "clay", "pixel_art"]
SHEET = "a small white rabbit in a red vest"
SDXL_OWN_NEGATIVE = "blurry, lowres, deformed, extra fingers"  # the sdxl.json node's own text


def write(tmp_path: Path, data: Any, name: str = "styles.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))
    return path


# -- the file ---------------------------------------------------------------------------------


def test_the_default_file_has_the_seven_presets() -> None:
    assert Settings().image_styles == BUILTIN_STYLES == WORKFLOWS / "styles.json"
    styles = load_styles(Settings().image_styles)
    assert list(styles) == PRESETS and load_styles() == styles
    assert styles["minhwa"].label_ko == "민화" and "folk" in styles["minhwa"].label_en.lower()
    assert styles["colored_pencil"].label("en") == "Colored pencil"
    assert styles["colored_pencil"].label("ko") == "색연필"
    # The default is today's look: the same prefix as before, and no extra negatives.
    watercolor = styles[DEFAULT_STYLE]
    assert STYLE_PREFIX == "watercolor painting, children's book illustration, "
    assert (watercolor.prefix + ", ", watercolor.negative) == (STYLE_PREFIX, "")
    for style in styles.values():
        assert style.prefix.isascii() and "children's book illustration" in style.prefix
        assert style.name == DEFAULT_STYLE or style.negative


def test_an_operator_file_extends_overrides_and_removes(tmp_path: Path) -> None:
    path = write(tmp_path, {
        "_comment": "our house styles",
        "sketch": {"label_ko": "연필 스케치", "label_en": "Pencil sketch",
                   "prefix": "graphite pencil sketch, ", "negative": "color"},
        "crayon": {"negative": "photo, glossy"},
        "clay": None,
    })  # fmt: skip
    settings = Settings.load(env={"IMAGE_STYLES": str(path)}, env_file=None)
    styles = load_styles(settings.image_styles)
    assert list(styles) == [n for n in PRESETS if n != "clay"] + ["sketch"]
    assert styles["sketch"] == Style(
        "sketch", "연필 스케치", "Pencil sketch", "graphite pencil sketch", "color"
    )
    builtin = load_styles()["crayon"]
    assert styles["crayon"] == Style(
        "crayon", builtin.label_ko, builtin.label_en, builtin.prefix, "photo, glossy"
    )
    assert resolve_style(None, styles).name == DEFAULT_STYLE
    with pytest.raises(StyleError, match=r"unknown style 'clay'; choose one of: watercolor, "):
        resolve_style("clay", styles)


def test_a_relative_path_means_the_projects_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load(env={"IMAGE_STYLES": "workflows/styles.json"}, env_file=None)
    assert settings.image_styles == BUILTIN_STYLES


TOO_MANY = {f"s{i}": {"label_ko": "가", "label_en": "A", "prefix": "p"} for i in range(19)}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ({"crayon": {"prefx": "crayon"}}, "style 'crayon' has unknown key 'prefx'"),
        ({"sketch": {"label_ko": "스케치", "label_en": "Sketch"}}, "style 'sketch': 'prefix' is"),
        ({"crayon": {"prefix": 3}}, "style 'crayon': 'prefix' must be a string"),
        ({"crayon": {"label_en": " "}}, "style 'crayon': 'label_en' is missing or empty"),
        ({"crayon": {"label_ko": "가" * 101}}, "'label_ko' is longer than 100 characters"),
        ({"crayon": "crayon drawing"}, "style 'crayon' must be an object"),
        ({"Pencil Sketch": {}}, "style name 'Pencil Sketch' must be 1-32 of a-z"),
        ({"watercolor": None}, "the default style 'watercolor' cannot be removed"),
        (TOO_MANY, "26 styles, but Discord offers at most 25 choices"),
        (["crayon"], "expected an object of styles"),
        ('{"crayon": {"prefix": "x",}}', "is not valid JSON"),
    ],
)
def test_a_broken_file_stops_start_up_naming_the_key(
    tmp_path: Path, content: Any, says: str
) -> None:
    path = write(tmp_path, content)
    settings = Settings.load(env={"IMAGE_STYLES": str(path)}, env_file=None)
    with pytest.raises(StyleError) as caught:  # what start-up (wiring, the cog, the CLI) loads
        load_styles(settings.image_styles)
    message = str(caught.value)
    assert message.startswith("IMAGE_STYLES: ") and says in message
    assert str(path) in message and "\n" not in message


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    settings = Settings.load(env={"IMAGE_STYLES": str(tmp_path / "nope.json")}, env_file=None)
    with pytest.raises(StyleError, match=r"IMAGE_STYLES: .*nope\.json"):
        load_styles(settings.image_styles)


# -- the filled ComfyUI graph -----------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_fills_its_prefix_and_negatives(name: str) -> None:
    style = load_styles()[name]
    graph = Workflow.load(WORKFLOWS / "sdxl.json").fill(
        "a fox. ", seed=5, character_sheet="a red fox", style=style
    )
    assert graph["6"]["inputs"]["text"] == f"{style.prefix}, a fox, a red fox"
    negative = graph["7"]["inputs"]["text"]
    extra = f"{style.negative}, " if style.negative else ""
    assert negative == f"{NEGATIVE}, {extra}{SDXL_OWN_NEGATIVE}"  # safety first, never pushed out


def test_no_style_is_the_default_look() -> None:
    workflow = Workflow.load(WORKFLOWS / "sdxl.json")
    watercolor = load_styles()[DEFAULT_STYLE]
    plain = workflow.fill("a fox", seed=1)
    assert plain == workflow.fill("a fox", seed=1, style=watercolor)
    assert plain["6"]["inputs"]["text"] == f"{STYLE_PREFIX}a fox"
    assert plain["7"]["inputs"]["text"] == f"{NEGATIVE}, {SDXL_OWN_NEGATIVE}"


@pytest.mark.parametrize("name", PRESETS)
async def test_the_pool_paints_each_preset(comfy: FakeComfyUI, tmp_path: Path, name: str) -> None:
    style = load_styles()[name]
    flux = WORKFLOWS / "flux_schnell.json"
    pool = ComfyPool([comfy.url], flux, width=64, height=64, steps=2, poll_interval=0.02)
    async with pool:
        await pool.paint("a rabbit reading", tmp_path / "p.png", seed=3, character_sheet=SHEET,
                         style=style)  # fmt: skip
    prompt = comfy.prompts[-1]["prompt"]
    assert prompt["6"]["inputs"]["text"] == f"{style.prefix}, a rabbit reading, {SHEET}"
    negative = prompt["33"]["inputs"]["text"]
    assert negative.startswith(NEGATIVE) and style.negative in negative
    assert (tmp_path / "p.png").is_file()


async def test_paint_command_passes_the_style(comfy: FakeComfyUI, tmp_path: Path) -> None:
    settings = Settings(comfyui_urls=[f"http://127.0.0.1:{free_port()}"], image_width=64,
                        image_height=64)  # fmt: skip
    style = load_styles()["pixel_art"]
    await paint_command("a cat", tmp_path / "cat.png", settings, seed=1, url=comfy.url,
                        style=style)  # fmt: skip
    prompt = comfy.prompts[-1]["prompt"]
    assert prompt["6"]["inputs"]["text"] == f"{style.prefix}, a cat"
    assert "anti-aliasing" in prompt["33"]["inputs"]["text"]


# -- the command line -------------------------------------------------------------------------

FIELDS = ["--era", "조선시대", "--place", "궁궐", "--characters", "토끼", "--topic", "우정"]


def test_make_and_image_take_a_style() -> None:
    parser = build_parser()
    assert parser.parse_args(["make", *FIELDS, "--style", "minhwa"]).style == "minhwa"
    assert parser.parse_args(["make", *FIELDS]).style is None
    image = parser.parse_args(["image", "a cat", "--out", "c.png", "--style", "clay"])
    assert image.style == "clay"


@pytest.mark.parametrize("command", [["make", *FIELDS], ["image", "a cat", "--out", "c.png"]])
async def test_an_unknown_style_is_refused_listing_the_choices(
    command: list[str], tmp_path: Path
) -> None:
    args = build_parser().parse_args([*command, "--style", "oil"])
    settings = Settings(comfyui_urls=["http://127.0.0.1:9"], data_dir=tmp_path / "data")
    with pytest.raises(ConfigError) as caught:
        await args.run(args, settings)  # before any engine is made
    assert str(caught.value) == "--style: unknown style 'oil'; choose one of: " + ", ".join(PRESETS)
    assert not (tmp_path / "data").exists()


async def test_image_command_paints_an_operators_style(tmp_path: Path) -> None:
    sketch = {"label_ko": "스케치", "label_en": "Sketch", "prefix": "graphite sketch",
              "negative": "color"}  # fmt: skip
    styles = write(tmp_path, {"sketch": sketch})
    comfy = FakeComfyUI()
    url = await comfy.start()
    out = tmp_path / "cat.png"
    try:
        result = await asyncio.to_thread(
            storybot, "image", "a cat", "--out", str(out), "--seed", "4", "--style", "sketch",
            "--comfyui-url", url, cwd=tmp_path, IMAGE_STYLES=str(styles), IMAGE_WIDTH="64",
            IMAGE_HEIGHT="64",
        )  # fmt: skip
    finally:
        await comfy.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{out} (seed 4)"
    prompt = comfy.prompts[0]["prompt"]
    assert prompt["6"]["inputs"]["text"] == "graphite sketch, a cat"
    assert prompt["33"]["inputs"]["text"].startswith(f"{NEGATIVE}, color")


def test_a_broken_styles_file_stops_the_command(tmp_path: Path) -> None:
    styles = write(tmp_path, {"crayon": {"prefx": "x"}})
    result = storybot("image", "a cat", "--out", str(tmp_path / "c.png"), cwd=tmp_path,
                      IMAGE_STYLES=str(styles))  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("storybot: IMAGE_STYLES: ")
    assert "style 'crayon' has unknown key 'prefx'" in result.stderr


def test_an_absurdly_nested_file_is_refused_not_a_crash(tmp_path: Path) -> None:
    hostile = tmp_path / "styles.json"
    hostile.write_text("[" * 100_000, encoding="utf-8")  # blows json's recursion limit
    with pytest.raises(StyleError, match="not valid JSON"):
        load_styles(hostile)


def test_a_broken_styles_file_stops_start_up_before_any_store(tmp_path: Path) -> None:
    styles = write(tmp_path, {"crayon": {"prefx": "x"}})
    env = {"IMAGE_STYLES": str(styles), "DATA_DIR": str(tmp_path / "data")}
    settings = Settings.load(env=env, env_file=None)
    with pytest.raises(StyleError, match="unknown key 'prefx'"):
        make_book_maker(settings)
    assert not (tmp_path / "data").exists()  # nothing left behind by a start that failed
