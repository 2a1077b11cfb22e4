from __future__ import annotations

import json
import random

import pytest

from storybot.story.stream import (
    DocumentClosed,
    FieldClosed,
    PageClosed,
    StoryStreamParser,
    StreamError,
)
from tests.support.stories import dumps, story, with_page


def feed_all(chunks: list[str] | list[bytes]) -> list[object]:
    parser = StoryStreamParser()
    events: list[object] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    return events


def check_events(events: list[object]) -> None:
    data = story()
    assert events[0] == FieldClosed("title", data["title"])
    assert events[1] == FieldClosed("character_sheet", data["character_sheet"])
    pages = [e for e in events[2:7]]
    assert pages == [PageClosed(i, data["pages"][i]) for i in range(5)]
    assert events[7] == DocumentClosed(data)
    assert len(events) == 8


def test_whole_document_in_one_chunk() -> None:
    check_events(feed_all([dumps(story())]))


def test_character_by_character() -> None:
    check_events(feed_all(list(dumps(story()))))


@pytest.mark.parametrize("seed", range(5))
def test_bytes_split_at_random_points_even_inside_utf8(seed: int) -> None:
    raw = dumps(story()).encode("utf-8")
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(raw)), 60))
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    # At least one cut falls inside a 3-byte Hangul character.
    assert any(_splits_character(chunk) for chunk in chunks)
    check_events(feed_all(chunks))


def _splits_character(chunk: bytes) -> bool:
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_each_page_closes_before_the_next_arrives() -> None:
    text = dumps(story())
    parser = StoryStreamParser()
    page_ends = []
    for position, char in enumerate(text):
        for event in parser.feed(char):
            if isinstance(event, PageClosed):
                page_ends.append(position)
    assert len(page_ends) == 5
    for end in page_ends:
        assert text[end] == "}"  # reported on the closing brace itself, not later


def test_quotes_braces_and_escapes_inside_strings() -> None:
    tricky = with_page(story(), 2, text='토끼가 말했어요. \\"안녕!\\" {괄호} [대괄호] \\\\ 끝')
    raw = json.dumps(tricky, ensure_ascii=False)
    events = feed_all(list(raw))
    page = next(e for e in events if isinstance(e, PageClosed) and e.index == 2)
    assert page.data["text"] == tricky["pages"][2]["text"]


def test_ascii_escapes_from_a_server_are_decoded() -> None:
    raw = json.dumps(story())  # \uXXXX escapes, as some servers send
    events = feed_all([raw])
    assert events[0] == FieldClosed("title", story()["title"])


def test_text_before_the_root_and_after_it_is_ignored() -> None:
    events = feed_all(["```json\n", dumps(story()), "\n```\nThe end."])
    check_events(events)


def test_whitespace_between_tokens() -> None:
    check_events(feed_all([json.dumps(story(), ensure_ascii=False, indent=2)]))


def test_invalid_json_is_a_stream_error() -> None:
    parser = StoryStreamParser()
    parser.feed('{"title": "제목", "character_sheet": "x", "pages": [{"page": 0, "text": ')
    with pytest.raises(StreamError, match="invalid JSON"):
        parser.feed('"a" "b"}')


def test_invalid_utf8_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="invalid UTF-8"):
        StoryStreamParser().feed(b'{"title": "\xff\xfe"}')
