from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from storybot.models import (
    Event,
    PageImage,
    Progress,
    RunState,
    Stage,
    Status,
    Story,
    StoryRequest,
)
from tests.stories import story


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
