from __future__ import annotations

import re

from storybot.models import StoryRequest
from storybot.story.prompt import build_messages


def test_korean_prompt_carries_the_request_and_the_rules(ko_request: StoryRequest) -> None:
    system, user = build_messages(ko_request)
    assert system["role"] == "system" and user["role"] == "user"
    for value in ("조선시대", "궁궐", "호랑이, 토끼", "우정"):
        assert value in user["content"]
    text = system["content"]
    assert re.search(r"[가-힣]", text)
    assert "4~8세" in text and "다섯 쪽" in text and "두~네" in text
    for key in ('"title"', '"character_sheet"', '"pages"', '"image_prompt"'):
        assert key in text
    assert "at most 300 characters" in text and "Never use a name" in text
    assert "폭력" in text  # the safety intent


def test_english_prompt_when_the_request_is_english(en_request: StoryRequest) -> None:
    system, user = build_messages(en_request)
    assert not re.search(r"[가-힣]", system["content"] + user["content"])
    assert "aged 4 to 8" in system["content"] and "Characters: Mia" in user["content"]
