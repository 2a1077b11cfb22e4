"""The `storybot` command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from storybot.models import Story
from tests.support.cli_runner import storybot
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, story

FIELDS = ["--era", "조선시대", "--place", "궁궐", "--characters", "호랑이, 토끼", "--topic", "우정"]


def test_story_json(tiny_gguf: Path, tmp_path: Path) -> None:
    result = storybot(
        "story", *FIELDS, "--model", str(tiny_gguf), "--seed", "7", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    story = Story.model_validate(json.loads(result.stdout))
    assert all(re.search(r"[가-힣]", page.text) for page in story.pages)
    assert re.search(
        r"LLM: \d+\.\d s, \d attempt\(s\), [\d.]+ tokens/s generating \(llama\.cpp\)", result.stderr
    )


def test_story_pages_print_as_they_come(tiny_gguf: Path, tmp_path: Path) -> None:
    result = storybot("story", *FIELDS, "--seed", "7", cwd=tmp_path, LLM_MODEL=str(tiny_gguf))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# ")
    assert [line[:3] for line in lines if line.startswith("[")] == [
        "[0]",
        "[1]",
        "[2]",
        "[3]",
        "[4]",
    ]
    assert "character sheet: " in result.stdout


async def test_story_through_llama_server(tmp_path: Path) -> None:
    server = FakeLlamaServer(replies=[Reply(dumps(story()))])
    url = await server.start()
    try:
        import asyncio

        result = await asyncio.to_thread(
            storybot, "story", *FIELDS, "--server-url", url, "--json", cwd=tmp_path
        )
    finally:
        await server.stop()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == story()
    assert "(llama-server)" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ["--model", "/no/such/model.gguf"],
            {},
            r"^storybot: LLM model not found: /no/such/model\.gguf",
        ),
        (["--era", "   "], {}, r"^storybot: --era: String should have at least 1 character"),
        ([], {"LLM_TEMPERATURE": "hot"}, r"^storybot: bad setting: LLM_TEMPERATURE='hot'"),
        (
            ["--server-url", "http://127.0.0.1:9"],
            {},
            r"^storybot: llama-server at .* is not reachable",
        ),
    ],
)
def test_expected_failures_are_one_line_and_exit_1(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    result = storybot("story", *FIELDS, *args, cwd=tmp_path, **env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("storybot:")]
    assert len(errors) == 1 and re.search(expected, errors[0]), result.stderr


def test_doctor_table(tiny_gguf: Path, tmp_path: Path) -> None:
    result = storybot("doctor", cwd=tmp_path, LLM_MODEL=str(tiny_gguf))
    rows = {line.split("  ")[0].strip(): line for line in result.stdout.splitlines()}
    assert re.search(r"\bOK\b", rows["package llama-cpp-python"])
    assert re.search(r"\bOK\b", rows["package discord.py"])
    # a 3.5 MB model: the doctor says it is too small for books, and what to use instead
    assert re.search(r"\bWARN\b.*tiny-hangul\.gguf is \d+ MB, too small", rows["LLM model"])
    assert "Qwen2.5-7B-Instruct" in rows["LLM model"]
    assert re.search(r"\bWARN\b.*STORY_REVIEW=false", rows["story review"])  # the runner's
    assert re.search(r"\bOK\b.*story\.gbnf", rows["story grammar"])
    assert "ffmpeg" in rows
    assert result.returncode in (0, 1)


def test_doctor_says_what_to_do(tmp_path: Path) -> None:
    missing = storybot("doctor", cwd=tmp_path, LLM_MODEL=str(tmp_path / "none.gguf"))
    assert missing.returncode == 1
    assert re.search(r"LLM model\s+FAIL\s+LLM model not found: .*Set LLM_MODEL", missing.stdout)
    remote = storybot("doctor", cwd=tmp_path, LLM_MODEL="hf:someone/some-repo/model.gguf")
    assert re.search(
        r"LLM model\s+WARN\s+hf:someone/some-repo/model\.gguf is not downloaded yet", remote.stdout
    )
    down = storybot("doctor", cwd=tmp_path, LLM_SERVER_URL="http://127.0.0.1:9")
    assert re.search(r"llama-server\s+FAIL\s+http://127\.0\.0\.1:9 is not reachable", down.stdout)


async def test_image_command_paints_through_comfyui(tmp_path: Path) -> None:
    import asyncio

    from tests.support.fake_comfyui import FakeComfyUI, png_size

    comfy = FakeComfyUI()
    url = await comfy.start()
    out = tmp_path / "rabbit.png"
    try:
        result = await asyncio.to_thread(
            storybot,
            "image",
            "a rabbit reading under a tree",
            "--out",
            str(out),
            "--seed",
            "42",
            "--comfyui-url",
            url,
            cwd=tmp_path,
        )
    finally:
        await comfy.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{out} (seed 42)"
    assert png_size(out.read_bytes()) == (1024, 1024)
    texts = [n["inputs"].get("text", "") for n in comfy.prompts[0]["prompt"].values()]
    assert any("a rabbit reading under a tree" in text for text in texts)


def test_image_command_with_comfyui_down_is_one_line(tmp_path: Path) -> None:
    result = storybot(
        "image",
        "a rabbit",
        "--out",
        str(tmp_path / "x.png"),
        "--comfyui-url",
        "http://127.0.0.1:9",
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(
        r"^storybot: ComfyUI at http://127\.0\.0\.1:9 is not reachable",
        result.stderr,
        flags=re.MULTILINE,
    )
    assert not (tmp_path / "x.png").exists()


def test_make_whole_book(tiny_gguf: Path, tiny_supertonic: Path, tmp_path: Path) -> None:
    import asyncio

    from tests.support.fake_comfyui import FakeComfyUI

    engines = {
        "LLM_MODEL": str(tiny_gguf),
        "TTS_MODEL_DIR": str(tiny_supertonic),
        "LLM_N_CTX": "4096",
        "IMAGE_WIDTH": "256",
        "IMAGE_HEIGHT": "256",
    }

    async def run() -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
        comfy = FakeComfyUI()
        url = await comfy.start()
        out = ["--out", str(tmp_path / "book")]
        try:
            first = await asyncio.to_thread(
                storybot, "make", *FIELDS, "--voice", "F1", *out, cwd=tmp_path,
                COMFYUI_URLS=url, **engines,
            )  # fmt: skip
            (run_id,) = [p.name for p in (tmp_path / "data" / "outputs").iterdir()]
            sequel = await asyncio.to_thread(
                storybot, "make", "--sequel", run_id, "--topic", "겨울 소풍",
                "--out", str(tmp_path / "next"), cwd=tmp_path, COMFYUI_URLS=url, **engines,
            )  # fmt: skip
            return first, sequel
        finally:
            await comfy.stop()

    result, sequel = asyncio.run(run())
    assert result.returncode == 0, result.stderr
    assert sequel.returncode == 0, sequel.stderr  # the next adventure of the same friends
    first_story = json.loads((tmp_path / "book" / "story.json").read_text(encoding="utf-8"))
    next_story = json.loads((tmp_path / "next" / "story.json").read_text(encoding="utf-8"))
    assert next_story["character_sheet"] == first_story["character_sheet"]
    assert result.stdout.strip().endswith(f": {tmp_path / 'book'}")
    names = {p.name for p in (tmp_path / "book").iterdir()}
    assert {"cover.png", "panel_4.png", "page_0.wav", "story.json", "book.mp4"} <= names
    assert "cover" in result.stderr  # pages are shown as they come
    assert (tmp_path / "data" / "storybot.sqlite3").is_file()


def test_make_needs_the_four_answers_or_a_sequel(tmp_path: Path) -> None:
    result = storybot("make", "--era", "현대", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "make needs --place, --characters, --topic (or --sequel RUN_ID)" in result.stderr
    unknown = storybot("make", "--sequel", "20260101_000000_abcdef", cwd=tmp_path)
    assert unknown.returncode == 1 and "there is no finished book" in unknown.stderr


def test_make_refuses_unsafe_requests(tmp_path: Path) -> None:
    result = storybot(
        "make",
        "--era",
        "현대",
        "--place",
        "학교",
        "--characters",
        "토끼",
        "--topic",
        "마약",
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "어린이 그림책으로 만들 수 없어요" in result.stderr


def test_say_parse_and_transcribe(tiny_supertonic: Path, tmp_path: Path) -> None:
    import soundfile

    out = tmp_path / "page.wav"
    said = storybot(
        "say",
        "옛날 옛적에 토끼가 살았어요.",
        "--out",
        str(out),
        "--voice",
        "F1",
        cwd=tmp_path,
        TTS_MODEL_DIR=str(tiny_supertonic),
    )
    assert said.returncode == 0, said.stderr
    assert soundfile.info(str(out)).samplerate == 44100 and "supertonic" in said.stdout

    parsed = storybot("parse", "--field", "characters", "토끼랑 거북이요", cwd=tmp_path)
    assert parsed.returncode == 0 and json.loads(parsed.stdout) == {"value": ["토끼", "거북이"]}
    refused = storybot("parse", "--field", "era", "음...", cwd=tmp_path)
    assert refused.returncode == 1 and "error" in json.loads(refused.stdout)

    missing = storybot("transcribe", str(tmp_path / "none.ogg"), cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("storybot: ")
