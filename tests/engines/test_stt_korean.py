"""The Korean speech path: a Korean voice message through the bot's real transcription engine.

The multilingual faster-whisper `base` (tests/support/korean_whisper.py) hears a clip spoken by
espeak-ng's Korean voice and encoded as Discord sends voice messages (ogg/opus), with the
language the bot uses, ko; the field parser then reads the transcript. espeak's Korean is too
robotic for the words to come back right ("조선시대요" was heard as "소소한 시맨요"), so the test
asserts the path (Hangul, the language, a confidence in 0..1, a parsed value or a Korean
refusal), not word accuracy.
"""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from storybot.answers.fields import FieldError, parse_field
from storybot.cli.engine_commands import transcribe_command
from storybot.config import Settings
from storybot.engines.stt import FasterWhisperTranscriber
from storybot.wiring import make_transcriber
from tests.support.korean_whisper import whisper_base  # noqa: F401  (the session fixture)
from tests.support.tiny_whisper import speak

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng (apt-get install ffmpeg espeak-ng)",
)

HANGUL = re.compile(r"[가-힣]")


@pytest.fixture(scope="module")
def korean_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A child's answer for the characters, as a Discord voice message."""
    folder = tmp_path_factory.mktemp("ko")
    return speak("뽀로로랑 크롱이요", folder / "voice-message.ogg", voice="ko")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model is a local folder: any attempt to reach the internet fails at once."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network is disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


async def test_a_korean_voice_answer_is_heard_in_hangul_and_parsed(
    whisper_base: Path,  # noqa: F811  (the fixture imported above)
    korean_clip: Path,
    no_network: None,
) -> None:
    # As the bot builds it: STT_MODEL is the folder, STT_LANGUAGE keeps its default, ko.
    settings = Settings(stt_model=str(whisper_base), stt_threads=2)
    engine = make_transcriber(settings)
    assert isinstance(engine, FasterWhisperTranscriber) and engine.language == "ko"
    try:
        heard = await engine.transcribe(korean_clip.read_bytes(), filename="voice-message.ogg")
        assert heard.language == "ko"
        assert HANGUL.search(heard.text), heard.text
        assert 0.0 <= heard.confidence <= 1.0
        assert 1.0 < heard.duration < 5.0

        # The parser reads the transcript: names cut from it, or a refusal in Korean.
        try:
            names = parse_field("characters", heard.text, language=heard.language)
        except FieldError as exc:
            assert exc.language == "ko" and "다시 말하거나 입력해 주세요" in exc.reason
        else:
            assert isinstance(names, list) and names
            for name in names:  # cut from the transcript, never made up
                assert HANGUL.search(name) and set(name) - {" "} <= set(heard.text), names

        # `storybot transcribe --field characters` on the same warm engine.
        out = await transcribe_command(
            korean_clip, settings, field="characters", transcriber=engine
        )
        assert out["language"] == "ko" and out["field"] == "characters"
        assert HANGUL.search(out["text"]) and 0.0 <= out["confidence"] <= 1.0
        assert out["value"] or "다시 말하거나" in out["error"]
    finally:
        await engine.close()
