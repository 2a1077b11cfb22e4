from __future__ import annotations

import re

import pytest

from storybot.models import StoryRequest
from storybot.story.grammar import BAND_BOUNDS
from storybot.story.prompt import band_of, build_messages, grammar_key


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


# What each band's page rule says, in each language (the words the tests look for).
BAND_WORDS = {
    ("ko", "3-5"): ("3~5세", "아주 짧고 쉬운 문장 두~세 개", "120자 이내"),
    ("ko", "4-8"): ("4~8세", "쉬운 한국어 문장 두~네 개", "200자 이내"),
    ("ko", "7-10"): ("7~10세", "문장 세~다섯 개", "280자 이내"),
    ("en", "3-5"): ("aged 3 to 5", "two or three very short sentences", "at most 250 characters"),
    ("en", "4-8"): ("aged 4 to 8", "two to four short sentences", "at most 400 characters"),
    ("en", "7-10"): ("aged 7 to 10", "three to five sentences", "at most 550 characters"),
}


@pytest.mark.parametrize(("language", "band"), list(BAND_WORDS))
def test_the_prompt_follows_the_age_band(
    ko_request: StoryRequest, en_request: StoryRequest, language: str, band: str
) -> None:
    base = ko_request if language == "ko" else en_request
    request = base.model_copy(update={"age": band, "style": "colored_pencil"})
    messages = build_messages(request)
    system = messages[0]["content"]
    for words in BAND_WORDS[(language, band)]:
        assert words in system
    others = [
        w for (lang, b), ws in BAND_WORDS.items() if lang == language and b != band for w in ws
    ]
    assert not any(words in system for words in others)
    # the page bound it states is the grammar's
    assert str(BAND_BOUNDS[(language, band)].text) in system  # type: ignore[index]
    # the picture style, in words, for the image prompts
    assert "painted in this style: colored pencil" in system
    # the writers read the language and the band back from the messages
    assert grammar_key(messages) == (language, band)
    assert (language == "ko") == bool(re.search(r"[가-힣]", system))


def test_the_prompt_names_the_styles_english_label(en_request: StoryRequest) -> None:
    request = en_request.model_copy(update={"style": "minhwa"})
    system = build_messages(request, "Minhwa (Korean folk painting)")[0]["content"]
    assert "painted in this style: Minhwa (Korean folk painting)." in system
    assert "painted in this style: watercolor." in build_messages(en_request)[0]["content"]


def test_messages_that_name_no_band_get_the_default() -> None:
    assert band_of([{"role": "system", "content": "You are helpful."}]) == "4-8"
    assert band_of([]) == "4-8"
    # a band named later in the message (a user's words) is not the audience
    other = [{"role": "system", "content": "Stories.\nfor children aged 3 to 5"}]
    assert band_of(other) == "4-8"
