"""Sentence by sentence narration: the sentences of a page, and the timing sidecar beside its WAV
(tiny Supertonic models and the real espeak-ng)."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from storybot.engines.tts import (
    SENTENCE_PAUSE,
    EspeakNarrator,
    Narrator,
    SupertonicNarrator,
    TimedSentence,
    read_sidecar,
    sidecar_path,
    split_sentences,
)
from storybot.keepsakes.read_along import sentence_spans

KO_PAGE = (
    "옛날 옛적에 작은 숲속 마을에 토끼 토토가 살았어요. "
    '어느 날 토토는 "안녕!" 하고 다람쥐에게 인사했답니다! '
    "둘은 함께 반짝이는 돌멩이를 찾아 떠났어요?"
)
KO_SENTENCES = [
    "옛날 옛적에 작은 숲속 마을에 토끼 토토가 살았어요.",
    '어느 날 토토는 "안녕!" 하고 다람쥐에게 인사했답니다!',
    "둘은 함께 반짝이는 돌멩이를 찾아 떠났어요?",
]
EN_PAGE = 'Once upon a time, Mr. Fox lived in a den. "Hello!" said the rabbit. They became friends.'
EN_SENTENCES = [
    "Once upon a time, Mr. Fox lived in a den.",
    '"Hello!" said the rabbit.',
    "They became friends.",
]
HAS_ESPEAK = shutil.which("espeak-ng") is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (KO_PAGE, KO_SENTENCES),
        (EN_PAGE, EN_SENTENCES),
        (
            "제목\n\n첫 문장이에요. 둘째 문장…  셋째。 넷째",
            ["제목", "첫 문장이에요.", "둘째 문장…", "셋째。", "넷째"],
        ),
        ("소수 3.5와 물음표?없이 붙은 글", ["소수 3.5와 물음표?없이 붙은 글"]),
        ("  ", []),
    ],
)
def test_sentences_of_a_page(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


async def supertonic(model_dir: Path) -> Narrator:
    return SupertonicNarrator(model_dir, voice="F1", workers=1)


async def espeak(model_dir: Path) -> Narrator:
    if not HAS_ESPEAK:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return EspeakNarrator(voice="F2")


ENGINES = [supertonic, espeak]


def assert_timings_cover(wav: Path, timings: list[TimedSentence], texts: list[str]) -> None:
    """The sidecar's sentences are the text's, in order, back to back from 0 to the WAV's end,
    and every sentence's stretch of the WAV has voice in it."""
    samples, rate = sf.read(wav, dtype="float32")
    assert [t.text for t in timings] == texts
    assert timings[0].start == 0.0
    for before, after in itertools.pairwise(timings):
        assert before.start < before.end == after.start
        assert before.end - before.start > SENTENCE_PAUSE  # a voice, not only the pause
    assert timings[-1].end == pytest.approx(len(samples) / rate, abs=1e-3)
    for timing in timings:
        stretch = samples[int(timing.start * rate) : int(timing.end * rate)]
        assert np.abs(stretch).max() > 0.05, f"no voice while {timing.text!r} is read"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("language", "text", "sentences"),
    [("ko", KO_PAGE, KO_SENTENCES), ("en", EN_PAGE, EN_SENTENCES)],
)
async def test_sidecar_times_each_sentence(
    engine, tiny_supertonic: Path, tmp_path: Path, language: str, text: str, sentences: list[str]
) -> None:
    narrator = await engine(tiny_supertonic)
    try:
        result = await narrator.narrate(text, tmp_path / "page_1.wav", language=language)  # type: ignore[arg-type]
    finally:
        await narrator.close()
    assert sidecar_path(result.path) == tmp_path / "page_1.json"
    rows = json.loads((tmp_path / "page_1.json").read_text(encoding="utf-8"))
    assert list(rows[0]) == ["text", "start", "end"]
    timings = read_sidecar(result.path)
    assert timings is not None
    assert_timings_cover(result.path, timings, sentences)
    assert timings[-1].end == pytest.approx(result.seconds, abs=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page_1.json", "page_1.wav"]
    # The sentences are found again in the text the page shows.
    assert sentence_spans(text, timings) is not None


async def test_one_sentence_is_as_long_as_alone(tiny_supertonic: Path, tmp_path: Path) -> None:
    narrator = SupertonicNarrator(tiny_supertonic, voice="F1", workers=1)
    try:
        alone = await narrator.narrate(KO_SENTENCES[0], tmp_path / "alone.wav")
        page = await narrator.narrate(KO_PAGE, tmp_path / "page.wav")
    finally:
        await narrator.close()
    timings = read_sidecar(page.path)
    assert timings is not None
    first = timings[0].end - timings[0].start - SENTENCE_PAUSE
    assert first == pytest.approx(alone.seconds, abs=0.02)


@pytest.mark.parametrize("engine", ENGINES)
async def test_emoji_only_sentences_ride_with_a_neighbour(
    engine, tiny_supertonic: Path, tmp_path: Path
) -> None:
    text = "🐰✨. 토끼가 깡충깡충 뛰었어요! 🌟! 정말 신나요."
    narrator = await engine(tiny_supertonic)
    try:
        result = await narrator.narrate(text, tmp_path / "page.wav")
    finally:
        await narrator.close()
    timings = read_sidecar(result.path)
    assert timings is not None
    assert_timings_cover(
        result.path, timings, ["🐰✨. 토끼가 깡충깡충 뛰었어요! 🌟!", "정말 신나요."]
    )


@pytest.mark.parametrize("engine", ENGINES)
async def test_nothing_speakable_is_one_silent_sentence(
    engine, tiny_supertonic: Path, tmp_path: Path
) -> None:
    narrator = await engine(tiny_supertonic)
    try:
        result = await narrator.narrate("🐰🌟 ❤️", tmp_path / "page.wav")
    finally:
        await narrator.close()
    assert read_sidecar(result.path) == [TimedSentence("🐰🌟 ❤️", 0.0, round(result.seconds, 3))]


def test_unreadable_or_disordered_sidecars_are_ignored(tmp_path: Path) -> None:
    wav = tmp_path / "page.wav"
    assert read_sidecar(wav) is None  # none at all
    sidecar_path(wav).write_text("not json")
    assert read_sidecar(wav) is None
    rows = [{"text": "a", "start": 1.0, "end": 2.0}, {"text": "b", "start": 0.5, "end": 3.0}]
    sidecar_path(wav).write_text(json.dumps(rows))
    assert read_sidecar(wav) is None
    sidecar_path(wav).write_text(json.dumps([{"text": "a", "begin": 0}]))
    assert read_sidecar(wav) is None


def test_sentences_are_found_in_the_page_text() -> None:
    timed = [
        TimedSentence("호랑이와 토끼의 우정.", 0, 1),
        TimedSentence("궁궐에 사는 이야기", 1, 2),
    ]
    shown = "🐯 호랑이와 토끼의 우정\n궁궐에 사는 이야기"
    spans = sentence_spans(shown, timed)
    assert spans is not None
    assert [shown[a:b] for a, b in spans] == ["🐯 호랑이와 토끼의 우정\n", "궁궐에 사는 이야기"]
    assert sentence_spans("호랑이와 토끼의 우정\n다른 이야기", timed) is None  # text changed
    assert sentence_spans(shown + " 더 있어요", timed) is None  # not all of it is timed
