from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import get_args

import pytest
from pydantic import TypeAdapter, ValidationError

from storybot import config
from storybot.cli import build_parser
from storybot.config import Settings
from storybot.models import (
    FIELD_NAMES,
    LANGUAGES,
    VOICES,
    Event,
    FieldType,
    Language,
    PageImage,
    Progress,
    RunState,
    Stage,
    Status,
    Story,
    StoryRequest,
    Voice,
)
from tests.support.stories import story


def test_request_fields_are_trimmed() -> None:
    request = StoryRequest(
        era="  조선시대 ", place="궁궐\n", characters=" 호랑이, 토끼", topic="우정"
    )
    assert (request.era, request.place, request.characters) == ("조선시대", "궁궐", "호랑이, 토끼")
    assert request.language == "ko" and request.narration is True


@pytest.mark.parametrize("bad", ["", "   ", "가" * 101])
def test_request_fields_are_1_to_100_characters(bad: str) -> None:
    with pytest.raises(ValidationError):
        StoryRequest(era=bad, place="궁궐", characters="토끼", topic="우정")


def test_request_language_and_voice_are_checked() -> None:
    with pytest.raises(ValidationError):
        StoryRequest(era="a", place="b", characters="c", topic="d", language="fr")
    with pytest.raises(ValidationError):
        StoryRequest(era="a", place="b", characters="c", topic="d", voice="X1")


def test_story_needs_five_pages_in_order() -> None:
    assert len(Story.model_validate(story()).pages) == 5
    data = story()
    data["pages"] = data["pages"][:4]
    with pytest.raises(ValidationError):
        Story.model_validate(data)
    data = story()
    data["pages"][1], data["pages"][2] = data["pages"][2], data["pages"][1]
    with pytest.raises(ValidationError, match=r"numbered 0\.\.4 in order"):
        Story.model_validate(data)


def test_run_state_starts_like_the_original() -> None:
    request = StoryRequest(era="a", place="b", characters="c", topic="d")
    state = RunState(run_id="20261125_101010_abcdef", request=request)
    assert state.status is Status.QUEUED and state.stage is Stage.LLM
    assert state.ready_max_page == -1 and state.ready_max_audio_page == -1
    assert [p.page for p in state.pages] == [0, 1, 2, 3, 4]
    assert not state.status.finished and Status.INTERRUPTED.finished


def test_stage_for_image() -> None:
    assert [Stage.for_image(i) for i in range(5)] == [
        Stage.COVER,
        Stage.PANEL_1,
        Stage.PANEL_2,
        Stage.PANEL_3,
        Stage.PANEL_4,
    ]


def test_events_round_trip_through_json() -> None:
    adapter = TypeAdapter(list[Event])
    events = [
        PageImage(page=2, path=Path("out/panel_2.png")),
        Progress(stage="COVER", step=3, total=4),
    ]
    decoded = adapter.validate_json(adapter.dump_json(events))
    assert decoded == events
    assert isinstance(decoded[0], PageImage) and decoded[1].stage is Stage.COVER


# -- one definition per list ------------------------------------------------------------------

SOURCE = Path(__file__).resolve().parents[1] / "storybot"
# Literal copies of the lists that models.py defines once.
COPIES = {
    "voices": re.compile(r'"M1",\s*"M2"|"F1",\s*"F2"|for kind in "MF"'),
    "languages": re.compile(r'[(\[]\s*"ko",\s*"en"\s*[)\]]'),
    "fields": re.compile(r'"era",\s*"place",\s*"characters",\s*"topic"'),
}
# Left to the change that owns storybot/story/ (it should import LANGUAGES from models).
NOT_YET: set[tuple[str, str]] = set()


def test_the_lists_are_the_literals() -> None:
    assert VOICES == get_args(Voice) == tuple(f"{kind}{n}" for kind in "MF" for n in range(1, 6))
    assert LANGUAGES == get_args(Language) == ("ko", "en")
    assert FIELD_NAMES == tuple(FieldType) == ("era", "place", "characters", "topic")
    assert all(type(name) is str for name in FIELD_NAMES)
    # StoryRequest asks for the four answers in the same order.
    assert tuple(StoryRequest.model_fields)[: len(FIELD_NAMES)] == FIELD_NAMES


def test_settings_and_requests_share_the_definitions() -> None:
    assert config.Voice is Voice and config.Language is Language
    assert Settings.model_fields["tts_voice"].annotation is Voice
    assert Settings.model_fields["stt_language"].annotation is Language
    with pytest.raises(ValidationError):
        StoryRequest(era="a", place="b", characters="c", topic="d", voice="F6")


def test_the_cli_offers_the_models_lists() -> None:
    choices = {
        (command, action.dest): tuple(action.choices)
        for command, sub in _subcommands(build_parser()).items()
        for action in sub._actions
        if action.choices is not None and action.dest in ("voice", "language", "field")
    }
    assert choices, "no --voice/--language/--field options found"
    expected = {"voice": VOICES, "language": LANGUAGES, "field": FIELD_NAMES}
    for (command, dest), offered in choices.items():
        assert offered == expected[dest], (command, dest)


def test_no_copies_of_the_lists_in_the_code() -> None:
    found = [
        (kind, path.relative_to(SOURCE).as_posix())
        for path in sorted(SOURCE.rglob("*.py"))
        if path.name != "models.py"
        for kind, pattern in COPIES.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert set(found) <= NOT_YET, found


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's subcommands by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}
