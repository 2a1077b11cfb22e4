"""The safety guard's calibration: where P(unsafe) starts to mean "unsafe" for this model, and
whether the model can tell at all.

The guard's verdict is the model's probability that a request (or story) is unsafe
(storybot/story/verdicts.py). A small model's probabilities sit wherever they sit — a 135M
model says about 0.08 for everything, harmless or not — so no fixed threshold serves every
model. Calibration scores the innocent corpus (storybot/story/guard_corpus.py: requests and two
finished stories) and the plainly unsafe one with the configured model, then:

- the threshold is the highest innocent score plus a margin of `MARGIN` in log-odds (odds
  times e): no calibration request, and very likely no request like them, is refused;
- the model can tell innocent from unsafe (is `usable`) only when the unsafe scores are clearly
  higher: the AUC (the chance that an unsafe request scores above an innocent one) is at least
  `MIN_AUC` and at least `MIN_CAUGHT` of the unsafe requests reach the threshold. A model that
  fails is not used as a guard: the keyword screen still runs, and `storybot doctor` says so.

The result is cached per model identity (`Completer.fingerprint`: the GGUF's path, size and
modification time, or the server's URL and what its /v1/models says) and per corpus size, in
DATA_DIR/guard_calibration.json; a change of prompt, corpus or rule makes a new key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from storybot.models import Story, StoryRequest
from storybot.story.guard_corpus import INNOCENT, STORIES, UNSAFE

log = logging.getLogger(__name__)

MARGIN = 1.0  # log-odds above the highest innocent score
MIN_AUC = 0.8
MIN_CAUGHT = 0.5
VERSION = 1  # of the rule and the way scores are read: a change makes new cache keys
CACHE_FILE = "guard_calibration.json"


@dataclass(frozen=True)
class Calibration:
    """What calibration found for one model: `threshold` is the P(unsafe) at or above which a
    check refuses; `usable` is False for a model that cannot tell innocent from unsafe."""

    model: str  # the fingerprint (the model's name, then " | " and what identifies it)
    threshold: float
    auc: float
    caught: float  # the share of the unsafe requests at or above the threshold
    innocent: int  # how many innocent requests were scored
    stories: int  # and innocent stories
    unsafe: int
    innocent_max: float
    unsafe_median: float
    seconds: float
    usable: bool

    def describe(self) -> str:
        """One line for the log and the doctor."""
        if self.usable:
            return (
                f"calibrated threshold {self.threshold:.2f} on {self.innocent} innocent requests "
                f"and {self.stories} stories (AUC {self.auc:.2f}; {self.caught:.0%} of "
                f"{self.unsafe} unsafe requests refused)"
            )
        return (
            f"model {self.model.split(' | ')[0]} cannot tell innocent from unsafe (AUC "
            f"{self.auc:.2f}, "
            f"{self.caught:.0%} of {self.unsafe} unsafe requests above the innocent ones): not "
            "used as a guard; the keyword screen still runs"
        )


def corpus(size: int) -> tuple[list[StoryRequest], list[tuple[Story, str]], list[StoryRequest]]:
    """At most `size` texts of the corpus: two thirds innocent (the two stories among them),
    one third unsafe, each the first rows of its list (they alternate languages and kinds)."""
    size = max(6, min(size, len(INNOCENT) + len(STORIES) + len(UNSAFE)))
    unsafe = min(len(UNSAFE), size // 3)
    requests = min(len(INNOCENT), size - unsafe - len(STORIES))
    return list(INNOCENT[:requests]), list(STORIES), list(UNSAFE[:unsafe])


def auc(innocent: list[float], unsafe: list[float]) -> float:
    """The chance that an unsafe score is above an innocent one (ties count half)."""
    if not innocent or not unsafe:
        return 0.5
    wins = sum((u > i) + 0.5 * (u == i) for u in unsafe for i in innocent)
    return wins / (len(innocent) * len(unsafe))


def calibrated(
    model: str, innocent: list[float], stories: list[float], unsafe: list[float], seconds: float
) -> Calibration:
    """The threshold and the verdict on the model from its scores (module docstring)."""
    highest = max(innocent + stories)
    threshold = _probability(_log_odds(highest) + MARGIN)
    caught = sum(score >= threshold for score in unsafe) / len(unsafe)
    area = auc(innocent + stories, unsafe)
    return Calibration(
        model=model,
        threshold=threshold,
        auc=area,
        caught=caught,
        innocent=len(innocent),
        stories=len(stories),
        unsafe=len(unsafe),
        innocent_max=highest,
        unsafe_median=sorted(unsafe)[len(unsafe) // 2],
        seconds=seconds,
        usable=area >= MIN_AUC and caught >= MIN_CAUGHT,
    )


def cache_key(fingerprint: str, size: int, prompt: str) -> str:
    """The cache entry for a model, a corpus size and the guard's prompt (and this rule)."""
    text = json.dumps(
        [VERSION, MARGIN, MIN_AUC, MIN_CAUGHT, fingerprint, size, prompt, repr(corpus(size))],
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class CalibrationCache:
    """Calibrations by key in one JSON file; an unreadable file counts as empty."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: str) -> Calibration | None:
        entry = self._read().get(key)
        try:
            return Calibration(**entry) if isinstance(entry, dict) else None
        except TypeError:  # written by another version
            return None

    def put(self, key: str, calibration: Calibration) -> None:
        entries = self._read()
        entries[key] = asdict(calibration)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            part = self.path.with_name(f"{self.path.name}.{os.getpid()}.part")
            part.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
            part.replace(self.path)
        except OSError as exc:  # the calibration still holds for this run
            log.warning("Could not keep the guard's calibration in %s: %s", self.path, exc)

    def _read(self) -> dict[str, object]:
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return entries if isinstance(entries, dict) else {}


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _probability(log_odds: float) -> float:
    return 1 / (1 + math.exp(-log_odds))
