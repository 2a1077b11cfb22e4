from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from storybot.config import PROJECT_ROOT, Settings
from storybot.errors import ConfigError

TOKEN = "MTIz.secret-token-value.abc"


def test_defaults_without_any_environment() -> None:
    settings = Settings.load(env={}, env_file=None)
    assert settings.discord_token is None
    assert settings.llm_temperature == 0.7 and settings.llm_top_p == 0.9
    assert settings.comfyui_urls == ["http://127.0.0.1:8188"]
    assert settings.tts_voice == "M2" and settings.stt_language == "ko"
    assert settings.keep_runs == 100 and settings.shared_gpu is True
    assert settings.llm_grammar == PROJECT_ROOT / "grammars" / "story.gbnf"


def test_env_file_then_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LLM_N_CTX=2048\nTTS_VOICE=F1\nDEV_GUILD_ID=\n", encoding="utf-8")
    settings = Settings.load(env={"TTS_VOICE": "F3"}, env_file=env_file)
    assert settings.llm_n_ctx == 2048
    assert settings.tts_voice == "F3"
    assert settings.dev_guild_id is None  # an empty value means "not set"


def test_comma_separated_comfyui_urls() -> None:
    env = {"COMFYUI_URLS": " http://gpu1:8188/ , http://gpu2:8188 ,"}
    assert Settings.load(env=env, env_file=None).comfyui_urls == [
        "http://gpu1:8188",
        "http://gpu2:8188",
    ]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TTS_VOICE": "Z9"}, r"TTS_VOICE='Z9': allowed: 'M1', 'M2'.*'F5'"),
        ({"LLM_N_CTX": "lots"}, r"LLM_N_CTX='lots': .*integer"),
        ({"LLM_TEMPERATURE": "7"}, r"LLM_TEMPERATURE='7': .*less than or equal to 2"),
        ({"COMFYUI_URLS": "gpu1:8188"}, r"COMFYUI_URLS=.*not an http\(s\) URL"),
        ({"STT_ENGINE": "vosk"}, r"STT_ENGINE='vosk': allowed: 'faster-whisper' or"),
        ({"SHARED_GPU": "maybe"}, r"SHARED_GPU='maybe'"),
        ({"LLM_SERVER_URL": "localhost:8080"}, r"LLM_SERVER_URL=.*not an http\(s\) URL"),
    ],
)
def test_bad_value_names_the_key_and_what_is_allowed(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        Settings.load(env=env, env_file=None)


def test_token_is_secret_in_repr_logs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.load(env={"DISCORD_TOKEN": TOKEN}, env_file=None)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == TOKEN
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings: %s %r", settings, settings)
    assert TOKEN not in caplog.text and TOKEN not in repr(settings) and TOKEN not in str(settings)
    with pytest.raises(ConfigError) as caught:
        Settings.load(env={"DISCORD_TOKEN": TOKEN, "KEEP_RUNS": "0"}, env_file=None)
    assert TOKEN not in str(caught.value)


def test_env_example_lists_every_setting_with_a_comment() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    keys = re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)
    assert sorted(keys) == sorted(name.upper() for name in Settings.model_fields)
    lines = text.splitlines()
    for key in keys:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}="))
        above = lines[index - 1]
        assert above.startswith("#") or lines[index - 2].startswith("#") or "=" in above, key


def test_env_example_loads_as_valid_settings() -> None:
    settings = Settings.load(env={}, env_file=PROJECT_ROOT / ".env.example")
    assert settings.llm_grammar.is_file()
    assert settings.comfyui_workflow.name == "flux_schnell.json"


# -- where values come from (pydantic-settings) -----------------------------------------------


def test_overrides_beat_the_environment_which_beats_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("IMAGE_WIDTH=512\nIMAGE_HEIGHT=512\nIMAGE_STEPS=8\n", encoding="utf-8")
    env = {"IMAGE_HEIGHT": "640", "IMAGE_STEPS": "12"}
    settings = Settings.load(env=env, env_file=env_file, image_steps=20, keep_runs=None)
    assert (settings.image_width, settings.image_height, settings.image_steps) == (512, 640, 20)
    assert settings.keep_runs == 100  # an override of None is not given


def test_the_real_environment_beats_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TTS_VOICE=F1\nSTT_LANGUAGE=en\n", encoding="utf-8")
    monkeypatch.setenv("TTS_VOICE", "F4")
    monkeypatch.setenv("COMFYUI_URLS", "http://gpu1:8188,http://gpu2:8188/")  # not JSON
    settings = Settings.load(env_file=env_file)
    assert (settings.tts_voice, settings.stt_language) == ("F4", "en")
    assert settings.comfyui_urls == ["http://gpu1:8188", "http://gpu2:8188"]


def test_env_given_to_load_is_for_that_call_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGE_WIDTH", raising=False)
    assert Settings.load(env={"IMAGE_WIDTH": "512"}, env_file=None).image_width == 512
    assert Settings(_env_file=None).image_width == 1024  # read os.environ again


@pytest.mark.parametrize("where", ["env", "env_file"])
def test_a_blank_value_means_not_set(tmp_path: Path, where: str) -> None:
    blank = {"DEV_GUILD_ID": "", "TTS_VOICE": "", "LLM_N_CTX": "", "DISCORD_TOKEN": ""}
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{key}=\n" for key in blank), encoding="utf-8")
    if where == "env":
        settings = Settings.load(env=blank, env_file=None)
    else:
        settings = Settings.load(env={}, env_file=env_file)
    assert settings.dev_guild_id is None and settings.discord_token is None  # None by default
    assert settings.tts_voice == "M2" and settings.llm_n_ctx == 8192  # the default, no error


def test_keys_in_any_case_and_a_missing_env_file(tmp_path: Path) -> None:
    env = {"tts_voice": "F2", "Log_Level": "debug"}
    settings = Settings.load(env=env, env_file=tmp_path / "absent.env")
    assert settings.tts_voice == "F2" and settings.log_level == "DEBUG"


def test_comma_separated_lists_from_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "COMFYUI_URLS=http://gpu1:8188/,https://gpu2\n"
        "PICTURE_CHECK_LABELS=anus_exposed , BUTTOCKS_EXPOSED\n",
        encoding="utf-8",
    )
    settings = Settings.load(env={}, env_file=env_file)
    assert settings.comfyui_urls == ["http://gpu1:8188", "https://gpu2"]
    assert settings.picture_check_labels == ("ANUS_EXPOSED", "BUTTOCKS_EXPOSED")
    # Given as Python values, the lists are taken as they are.
    given = Settings.load(env={}, env_file=None, comfyui_urls=["http://a:1", "http://b:2"])
    assert given.comfyui_urls == ["http://a:1", "http://b:2"]


def test_relative_paths_in_env_file_mean_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "LLM_GRAMMAR=grammars/story.gbnf\nCOMFYUI_WORKFLOW=workflows/flux_schnell.json\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    settings = Settings.load(env={}, env_file=env_file)
    assert settings.llm_grammar == PROJECT_ROOT / "grammars" / "story.gbnf"
    assert settings.comfyui_workflow == PROJECT_ROOT / "workflows" / "flux_schnell.json"


def test_each_bad_key_from_env_file_is_named_once(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "IMAGE_WIDTH=huge\nPICTURE_CHECK_LABELS=FACE_ALIEN\nLOG_LEVEL=loud\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        Settings.load(env={}, env_file=env_file)
    message = str(caught.value)
    assert message.startswith("bad setting: ") and "\n" not in message
    assert "IMAGE_WIDTH='huge': Input should be a valid integer" in message
    assert "PICTURE_CHECK_LABELS='FACE_ALIEN': Value error, unknown label FACE_ALIEN" in message
    assert "LOG_LEVEL='LOUD': allowed: 'DEBUG', 'INFO', 'WARNING' or 'ERROR'" in message
    named = re.findall(r"(?:^bad setting: |; )([A-Z_]+)=", message)
    assert named == ["IMAGE_WIDTH", "PICTURE_CHECK_LABELS", "LOG_LEVEL"]


def test_an_unreadable_env_file_is_a_config_error(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"IMAGE_WIDTH=\xff\xfe512\n")
    with pytest.raises(ConfigError, match=r"settings cannot be read \(.*\.env\): 'utf-8' codec"):
        Settings.load(env={}, env_file=env_file)


def test_the_words_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"FIELD_WORDS_FILE=.*none\.txt is not a file"):
        Settings.load(env={"FIELD_WORDS_FILE": str(tmp_path / "none.txt")}, env_file=None)


def test_settings_hold_the_styles_path_and_do_not_read_it(tmp_path: Path) -> None:
    # The styles file is read (and a bad one refused) where the presets are loaded, at start-up.
    missing = tmp_path / "nope.json"
    assert Settings.load(env={"IMAGE_STYLES": str(missing)}, env_file=None).image_styles == missing


@pytest.mark.parametrize(
    ("module", "below"),
    [("storybot.config", "storybot.engines"), ("storybot.models", "storybot.config")],
)
def test_layers_settings_do_not_import_engines_nor_the_domain_settings(
    module: str, below: str
) -> None:
    # A fresh interpreter: this one has imported everything already.
    code = (
        f"import sys, {module}\n"
        f"leaked = sorted(m for m in sys.modules if m.startswith({below!r}))\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, timeout=120)
