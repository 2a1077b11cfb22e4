"""Narration: Supertonic's real pipeline on tiny synthetic ONNX models, and espeak-ng."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from supertonic import UnicodeProcessor

from storybot.cli.engine_commands import say_command
from storybot.config import Settings
from storybot.doctor.speech import check_tts
from storybot.engines.tts import (
    EspeakNarrator,
    SupertonicNarrator,
    TTSError,
    clean_text,
    trim_trailing_silence,
)
from storybot.wiring import make_narrator
from tests.support.tiny_supertonic import build_tiny_supertonic

KO_SHORT = "옛날 옛적에 작은 토끼가 살았어요."
KO_LONG = (
    "옛날 옛적에 작은 숲속 마을에 호기심 많은 토끼 토토가 살았어요. "
    "어느 날 토토는 반짝이는 돌멩이를 발견하고 친구 다람쥐에게 달려갔답니다. "
    "두 친구는 함께 돌멩이의 비밀을 찾아 모험을 떠나기로 했어요."
)
EN_SHORT = "Once upon a time, a little rabbit lived in the forest."
EN_LONG = EN_SHORT + " One day it found a shining stone and ran to tell its friend the squirrel."
EMOJI = "🐰 토끼가 깡충깡충 뛰었어요! 🌟✨ 정말 신나요 ❤️👍🏽 👨‍👩‍👧 ①"
HAS_ESPEAK = shutil.which("espeak-ng") is not None


def settings_for(**values: object) -> Settings:
    return Settings.load(env={}, env_file=None, **values)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_supertonic(tmp_path_factory.mktemp("supertonic"))


@pytest.fixture
async def narrator(model_dir: Path) -> AsyncIterator[SupertonicNarrator]:
    narrator = SupertonicNarrator(model_dir, voice="M2", workers=2)
    yield narrator
    await narrator.close()


def audio_seconds(path: Path) -> float:
    info = sf.info(path)
    return info.frames / info.samplerate


async def test_korean_page_is_44k_16bit_mono(narrator: SupertonicNarrator, tmp_path: Path) -> None:
    result = await narrator.narrate(KO_SHORT, tmp_path / "page_0.wav", language="ko")
    info = sf.info(result.path)
    assert (info.samplerate, info.channels, info.subtype) == (44100, 1, "PCM_16")
    assert result.sample_rate == 44100 and result.engine == "supertonic"
    assert result.seconds == pytest.approx(audio_seconds(result.path), abs=1e-3)
    assert result.seconds > 1.0
    samples, _ = sf.read(result.path)
    assert np.abs(samples).max() > 0.05  # sound, not silence
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    ("language", "short", "long"), [("ko", KO_SHORT, KO_LONG), ("en", EN_SHORT, EN_LONG)]
)
async def test_duration_grows_with_the_text(
    narrator: SupertonicNarrator, tmp_path: Path, language: str, short: str, long: str
) -> None:
    a = await narrator.narrate(short, tmp_path / "short.wav", language=language)  # type: ignore[arg-type]
    b = await narrator.narrate(long, tmp_path / "long.wav", language=language)  # type: ignore[arg-type]
    assert audio_seconds(b.path) > 1.5 * audio_seconds(a.path)


async def test_every_voice_narrates(narrator: SupertonicNarrator, tmp_path: Path) -> None:
    for voice in ("M1", "M5", "F1", "F5"):
        result = await narrator.narrate(EN_SHORT, tmp_path / f"{voice}.wav", voice=voice)  # type: ignore[arg-type]
        assert result.seconds > 1.0


async def test_emoji_laden_text_is_narrated(narrator: SupertonicNarrator, tmp_path: Path) -> None:
    await narrator.load()
    spoken = narrator.clean(EMOJI)
    assert spoken == "토끼가 깡충깡충 뛰었어요! 정말 신나요 1"
    result = await narrator.narrate(EMOJI, tmp_path / "emoji.wav")
    plain = await narrator.narrate(spoken, tmp_path / "plain.wav")
    assert result.seconds > 1.0
    assert result.seconds == pytest.approx(plain.seconds, rel=0.05)


async def test_hanja_and_other_unsupported_characters_are_cleaned(
    narrator: SupertonicNarrator, model_dir: Path, tmp_path: Path
) -> None:
    raw = "王子 왕자님이 café에 갔어요 ~ «안녕»™ ☃ 𝔸"
    await narrator.load()
    processor = UnicodeProcessor(str(model_dir / "onnx" / "unicode_indexer.json"))
    assert not processor.validate_text(raw)[0]  # the model itself would refuse this page
    spoken = narrator.clean(raw)
    assert spoken == "왕자님이 cafe에 갔어요 ~ 안녕 TM A"
    assert processor.validate_text(spoken)[0]
    result = await narrator.narrate(raw, tmp_path / "hanja.wav")
    assert result.seconds > 1.0


async def test_page_with_nothing_speakable_is_short_silence(
    narrator: SupertonicNarrator, tmp_path: Path
) -> None:
    result = await narrator.narrate("🐰🌟 漢字 ❤️", tmp_path / "empty.wav")
    samples, rate = sf.read(result.path)
    assert rate == 44100 and 0 < result.seconds < 1.0
    assert np.abs(samples).max() == 0


def test_clean_text_without_a_model_drops_only_symbols() -> None:
    assert clean_text("  안녕 😀\n\n\n세상 ✨ 漢字 . ") == "안녕\n\n세상 漢字."
    assert clean_text("Ｆｕｌｌ　ｗｉｄｔｈ！") == "Full width!"


def test_trailing_silence_is_trimmed() -> None:
    rate = 44100
    tone = 0.5 * np.sin(np.linspace(0, 2000 * np.pi, rate)).astype(np.float32)
    padded = np.concatenate([tone, np.zeros(2 * rate, dtype=np.float32)])
    trimmed = trim_trailing_silence(padded, rate)
    assert 1.0 < len(trimmed) / rate < 1.2
    assert len(trim_trailing_silence(np.zeros(rate, np.float32), rate)) < rate


async def test_model_is_loaded_once(
    narrator: SupertonicNarrator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storybot.engines.tts")
    pages = [narrator.narrate(KO_SHORT, tmp_path / f"page_{i}.wav") for i in range(3)]
    await asyncio.gather(*pages)
    await narrator.narrate(EN_SHORT, tmp_path / "again.wav", language="en")
    loads = [r for r in caplog.records if "Starting Supertonic model load" in r.getMessage()]
    assert len(loads) == 1


async def test_five_pages_in_parallel(
    narrator: SupertonicNarrator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storybot.engines.tts")
    await narrator.load()
    texts = [KO_LONG * (1 + page % 2) for page in range(5)]
    results = await asyncio.gather(
        *(narrator.narrate(text, tmp_path / f"page_{i}.wav") for i, text in enumerate(texts))
    )
    assert [r.path.name for r in results] == [f"page_{i}.wav" for i in range(5)]
    for result in results:
        assert sf.info(result.path).samplerate == 44100 and result.seconds > 5
    # Up to `workers` pages synthesise at the same time: some page starts before another ends.
    events = [
        r.getMessage()
        for r in caplog.records
        if "] Starting TTS" in r.getMessage()
        or ("TTS page_" in r.getMessage() and "completed" in r.getMessage())
    ]
    running = peak = 0
    for message in events:
        running += 1 if "Starting" in message else -1
        peak = max(peak, running)
    assert peak == 2


async def test_event_loop_stays_free_during_synthesis(
    narrator: SupertonicNarrator, tmp_path: Path
) -> None:
    await narrator.load()
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await narrator.narrate(KO_LONG * 20, tmp_path / "long.wav")
    elapsed = time.perf_counter() - started
    ticker.cancel()
    assert len(gaps) >= 5, f"synthesis took {elapsed:.2f}s but the loop ticked {len(gaps)} times"
    assert max(gaps) < 0.1


async def test_missing_model_folder_fails_fast_and_clearly(tmp_path: Path) -> None:
    narrator = SupertonicNarrator(tmp_path / "no-model-here")
    started = time.perf_counter()
    with pytest.raises(TTSError) as caught:
        await narrator.narrate(KO_SHORT, tmp_path / "page.wav")
    assert time.perf_counter() - started < 5  # no download attempt, no DNS wait
    message = str(caught.value)
    assert "TTS_MODEL_DIR" in message and "400 MB" in message and "vocoder.onnx" in message
    assert not (tmp_path / "page.wav").exists()
    await narrator.close()


async def test_incomplete_model_folder_names_the_missing_file(
    model_dir: Path, tmp_path: Path
) -> None:
    partial = shutil.copytree(model_dir, tmp_path / "partial")
    (partial / "onnx" / "vector_estimator.onnx").unlink()
    narrator = SupertonicNarrator(partial)
    with pytest.raises(TTSError, match=r"missing onnx/vector_estimator\.onnx\)"):
        await narrator.load()
    await narrator.close()


async def test_corrupt_model_is_a_clear_error(model_dir: Path, tmp_path: Path) -> None:
    corrupt = shutil.copytree(model_dir, tmp_path / "corrupt")
    (corrupt / "onnx" / "vocoder.onnx").write_bytes(b"not an onnx model")
    narrator = SupertonicNarrator(corrupt)
    with pytest.raises(TTSError, match="could not be loaded"):
        await narrator.load()
    await narrator.close()


async def test_without_tts_model_dir_supertonic_cache_is_used(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supertonic import loader

    def no_download(*args: object) -> None:
        raise AssertionError("the cached model must not be downloaded again")

    monkeypatch.setattr(loader, "download_model", no_download)
    monkeypatch.setenv("SUPERTONIC_CACHE_DIR", str(model_dir))
    narrator = SupertonicNarrator(None)
    result = await narrator.narrate(KO_SHORT, tmp_path / "cached.wav")
    assert result.seconds > 1.0
    await narrator.close()


def test_failed_download_says_what_to_do(tmp_path: Path) -> None:
    """The real download path, with the hub unreachable (offline mode), through `storybot say`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTS_")}
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HOME=str(tmp_path / "hf"),
        SUPERTONIC_CACHE_DIR=str(tmp_path / "empty-cache"),
        LOG_LEVEL="ERROR",
    )
    result = subprocess.run(
        [sys.executable, "-m", "storybot", "say", "안녕", "--out", str(tmp_path / "x.wav")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "400 MB" in result.stderr and "TTS_MODEL_DIR" in result.stderr
    assert not (tmp_path / "x.wav").exists()


async def test_bad_voice_and_language_are_refused(narrator: SupertonicNarrator) -> None:
    with pytest.raises(TTSError, match="unknown voice 'X9'"):
        await narrator.narrate(KO_SHORT, Path("x.wav"), voice="X9")  # type: ignore[arg-type]
    with pytest.raises(TTSError, match="unknown language 'jp'"):
        await narrator.narrate(KO_SHORT, Path("x.wav"), language="jp")  # type: ignore[arg-type]


@pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng is not installed (apt-get install espeak-ng)")
async def test_espeak_korean_wav(tmp_path: Path) -> None:
    narrator = EspeakNarrator(voice="F2")
    short = await narrator.narrate(KO_SHORT, tmp_path / "short.wav", language="ko")
    long = await narrator.narrate(KO_LONG + " 🐰✨", tmp_path / "long.wav", language="ko")
    english = await narrator.narrate(EN_SHORT, tmp_path / "en.wav", language="en", voice="M1")
    info = sf.info(long.path)
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
    assert long.engine == "espeak-ng" and long.seconds == pytest.approx(audio_seconds(long.path))
    assert 1.0 < short.seconds < long.seconds and long.seconds > 8
    assert english.seconds > 1.0
    # Each WAV with its sentence timings beside it, and nothing else left behind.
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{n}.{e}" for n in ("en", "long", "short") for e in ("json", "wav"))


async def test_espeak_missing_names_the_package(tmp_path: Path) -> None:
    narrator = EspeakNarrator(program="espeak-ng-not-installed")
    with pytest.raises(TTSError, match="apt-get install espeak-ng"):
        await narrator.narrate(KO_SHORT, tmp_path / "page.wav")


def test_factory_follows_tts_engine(model_dir: Path) -> None:
    supertonic = make_narrator(settings_for(tts_model_dir=str(model_dir), tts_voice="F3"))
    assert isinstance(supertonic, SupertonicNarrator)
    assert supertonic.voice == "F3" and supertonic.speed == 1.05 and supertonic.steps == 10
    espeak = make_narrator(settings_for(tts_engine="espeak", tts_workers="3", tts_speed="1.2"))
    assert isinstance(espeak, EspeakNarrator) and espeak.speed == 1.2


async def test_doctor_rows(model_dir: Path, tmp_path: Path) -> None:
    rows = {row.component: row for row in await check_tts(settings_for(tts_model_dir=model_dir))}
    assert rows["tts supertonic"].status == "OK"
    assert "selected" in rows["tts supertonic"].detail
    assert rows["tts espeak-ng"].status == ("OK" if HAS_ESPEAK else "WARN")
    assert "fallback" in rows["tts espeak-ng"].detail

    missing = settings_for(tts_model_dir=tmp_path / "nothing")
    rows = {row.component: row for row in await check_tts(missing)}
    assert rows["tts supertonic"].status == "FAIL"
    assert "TTS_MODEL_DIR" in rows["tts supertonic"].detail

    fallback = settings_for(tts_model_dir=tmp_path / "nothing", tts_engine="espeak")
    rows = {row.component: row for row in await check_tts(fallback)}
    assert rows["tts supertonic"].status == "WARN"
    assert rows["tts espeak-ng"].status == ("OK" if HAS_ESPEAK else "FAIL")


async def test_say_command(model_dir: Path, tmp_path: Path) -> None:
    settings = settings_for(tts_model_dir=model_dir)
    result = await say_command(KO_LONG, tmp_path / "out" / "say.wav", settings, "F1", "ko")
    assert result.path.is_file() and sf.info(result.path).samplerate == 44100
    assert result.seconds == pytest.approx(audio_seconds(result.path), abs=1e-3)
