"""Sentence by sentence narration: splitting a page, joining the voices, the timing sidecar.

A page is narrated one sentence at a time so the read-along video knows when each sentence is
read. The sentences' voices are joined into the page's one WAV with a short pause between
them, and `page.json` beside `page.wav` says which sentence plays when:

    [{"text": "옛날 옛적에 토끼가 살았어요.", "start": 0.0, "end": 2.31}, ...]

Times are seconds in the WAV; each sentence runs until the next one starts (the pause belongs
to the sentence before it) and the last one ends with the WAV. `text` is the page's own text
of the sentence (before cleaning), so it can be found again in what the page shows.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storybot.engines.tts._common import has_words, trim_trailing_silence, write_wav

log = logging.getLogger("storybot.engines.tts")

SENTENCE_PAUSE = 0.35  # seconds of silence between two sentences of a page

# After . ! ? 。 ！ ？ … (and any closing quotes or brackets) when a space follows; and at line
# breaks. Korean endings without punctuation ("…했어요 그리고") are not split: "다"/"요" before a
# space is too often mid-sentence ("모두 다 먹었어요").
_ENDS, _CLOSERS = ".!?。！？…", "\"'”’»)]」』"
_ABBREVIATIONS = "".join(rf"(?<!\b{word}\.)" for word in ("Mr", "Mrs", "Ms", "Dr", "St"))
# A sentence goes on after a quote's "!" when 하고/라고 or a small letter follows:
# "안녕!" 하고 외쳤어요. / "Hello!" said the rabbit.
_GOES_ON = r"(?!\s|[a-z]|(?:하고|하며|하면서|하자|하는|라고|이라고)(?:\s|$))"
_SENTENCE_END = re.compile(
    rf"(?:(?<=[{_ENDS}])|(?<=[{_ENDS}][{re.escape(_CLOSERS)}])){_ABBREVIATIONS}"
    rf"\s+{_GOES_ON}|\s*\n\s*"
)


@dataclass(frozen=True)
class TimedSentence:
    """One sentence of a page and when its voice plays in the page's WAV, in seconds."""

    text: str
    start: float
    end: float


def split_sentences(text: str) -> list[str]:
    """The page's sentences, in order, stripped; none empty. Korean and English alike."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def speakable_sentences(text: str, clean: Callable[[str], str]) -> list[tuple[str, str]]:
    """(shown, spoken) for each sentence with something to read; a sentence with nothing
    speakable (only emoji, say) is shown with its neighbour instead of being a silent one."""
    pairs: list[tuple[str, str]] = []
    waiting = ""  # unspeakable sentences before the first speakable one
    for sentence in split_sentences(text):
        spoken = clean(sentence)
        if has_words(spoken):
            pairs.append((f"{waiting} {sentence}".strip(), spoken))
            waiting = ""
        elif pairs:
            shown, said = pairs[-1]
            pairs[-1] = (f"{shown} {sentence}", said)
        else:
            waiting = f"{waiting} {sentence}".strip()
    return pairs


def sidecar_path(wav: Path) -> Path:
    """Where the timings of `wav` are kept: beside it, `.json` for `.wav`."""
    return wav.with_suffix(".json")


def join_sentences(
    clips: Sequence[tuple[str, np.ndarray]], sample_rate: int, pause: float = SENTENCE_PAUSE
) -> tuple[np.ndarray, list[TimedSentence]]:
    """One voice from the sentences' voices, with a pause between them, and their times.

    Each clip is trimmed of its quiet tail first, so the pauses are even; the result ends the
    way `write_wav` will write it, so the last sentence ends exactly with the file."""
    gap = np.zeros(round(pause * sample_rate), np.float32)
    parts: list[np.ndarray] = []
    starts: list[int] = []
    position = 0
    for index, (_, samples) in enumerate(clips):
        mono = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
        mono = trim_trailing_silence(mono, sample_rate)
        if index:
            parts.append(gap)
            position += len(gap)
        starts.append(position)
        parts.append(mono)
        position += len(mono)
    joined = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    joined = trim_trailing_silence(joined, sample_rate)
    ends = [*starts[1:], len(joined)]
    timings = [
        TimedSentence(text, round(start / sample_rate, 3), round(end / sample_rate, 3))
        for (text, _), start, end in zip(clips, starts, ends, strict=True)
    ]
    return joined, timings


def write_sidecar(wav: Path, sentences: Sequence[TimedSentence]) -> Path:
    """Write the timings beside `wav` (through a temporary name, so it appears whole)."""
    path = sidecar_path(wav)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    rows = [{"text": s.text, "start": s.start, "end": s.end} for s in sentences]
    partial.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def write_narration(
    out: Path, clips: Sequence[tuple[str, np.ndarray]], sample_rate: int
) -> tuple[float, list[TimedSentence]]:
    """The page's WAV from its sentences' voices, and its sidecar; returns seconds and times.

    The sidecar is written first: whoever sees the WAV appear finds its timings beside it."""
    joined, timings = join_sentences(clips, sample_rate)
    write_sidecar(out, timings)
    seconds = write_wav(out, joined, sample_rate)
    return seconds, timings


def write_silent_sidecar(wav: Path, text: str, seconds: float) -> None:
    """The sidecar of a page with nothing speakable: its text, for as long as the silence."""
    shown = " ".join(text.split())
    write_sidecar(wav, [TimedSentence(shown, 0.0, round(seconds, 3))] if shown else [])


def read_sidecar(wav: Path) -> list[TimedSentence] | None:
    """The timings beside `wav`, or None when there are none or they make no sense."""
    path = sidecar_path(wav)
    if not path.is_file():
        return None
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        sentences = [
            TimedSentence(str(row["text"]), float(row["start"]), float(row["end"])) for row in rows
        ]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("Timings %s cannot be read (%s); the page shows its whole text", path, exc)
        return None
    previous = 0.0
    for sentence in sentences:
        if not previous <= sentence.start <= sentence.end:
            log.warning("Timings %s are out of order; the page shows its whole text", path)
            return None
        previous = sentence.start
    return sentences
