from __future__ import annotations

import logging
import re
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
