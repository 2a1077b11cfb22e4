"""An incremental parser for the story JSON as it streams out of the LLM.

It reports the top-level strings (`title`, `character_sheet`) and each page object the moment
its closing brace arrives, so narration and painting can start before the story is finished.
Input may be `str` chunks or raw `bytes` split anywhere, even inside a UTF-8 character.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldClosed:
    """A top-level string value is complete."""

    key: str
    value: str


@dataclass(frozen=True)
class PageClosed:
    """An object inside the top-level `pages` array is complete (not yet validated)."""

    index: int
    data: dict[str, Any]


@dataclass(frozen=True)
class DocumentClosed:
    """The root object is complete; anything after it is ignored."""

    data: dict[str, Any]


ParseEvent = FieldClosed | PageClosed | DocumentClosed


class StreamError(ValueError):
    """The stream is not the story JSON."""


@dataclass
class StoryStreamParser:
    """Feed chunks with `feed`; each call returns the events the chunk completed."""

    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="strict")
    )
    _text: list[str] = field(default_factory=list)  # everything from the root's `{` on
    _depth: int = 0
    _in_string: bool = False
    _escaped: bool = False
    _string_start: int = 0
    _last_key: str | None = None  # key of the current top-level member
    _expect_key: bool = True
    _page_start: int | None = None
    _pages_seen: int = 0
    _position: int = 0
    done: bool = False

    def feed(self, chunk: str | bytes) -> list[ParseEvent]:
        """Consume a chunk and return what it completed, in order."""
        if self.done:
            return []
        if isinstance(chunk, bytes):
            try:
                chunk = self._decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise StreamError(f"the model wrote invalid UTF-8: {exc.reason}") from None
        events: list[ParseEvent] = []
        for char in chunk:
            event = self._step(char)
            if event is not None:
                events.append(event)
            if self.done:
                break
        return events

    def text(self) -> str:
        """The JSON text received so far, from the root's opening brace."""
        return "".join(self._text)

    def _step(self, char: str) -> ParseEvent | None:
        if self._depth == 0 and not self._text:
            if char == "{":  # skip anything before the root (e.g. a ```json fence)
                self._append(char)
                self._depth = 1
            return None
        self._append(char)
        position = self._position - 1
        if self._in_string:
            return self._string_char(char, position)
        if char == '"':
            self._in_string = True
            self._string_start = position
        elif char in "{[":
            self._depth += 1
            if char == "{" and self._depth == 3 and self._last_key == "pages":
                self._page_start = position
        elif char in "}]":
            return self._close(char, position)
        elif char == ":" and self._depth == 1:
            self._expect_key = False
        elif char == "," and self._depth == 1:
            self._expect_key = True
        return None

    def _string_char(self, char: str, position: int) -> ParseEvent | None:
        if self._escaped:
            self._escaped = False
        elif char == "\\":
            self._escaped = True
        elif char == '"':
            self._in_string = False
            if self._depth == 1:
                value = self._decode(self.text()[self._string_start : position + 1])
                if self._expect_key:
                    self._last_key = value
                elif self._last_key is not None:
                    return FieldClosed(self._last_key, value)
        return None

    def _close(self, char: str, position: int) -> ParseEvent | None:
        self._depth -= 1
        if char == "}" and self._depth == 2 and self._page_start is not None:
            data = self._decode(self.text()[self._page_start : position + 1])
            self._page_start = None
            self._pages_seen += 1
            if not isinstance(data, dict):
                raise StreamError("a page is not a JSON object")
            return PageClosed(self._pages_seen - 1, data)
        if self._depth == 0:
            self.done = True
            data = self._decode(self.text())
            if not isinstance(data, dict):
                raise StreamError("the story is not a JSON object")
            return DocumentClosed(data)
        if self._depth < 0:
            raise StreamError("unbalanced brackets in the story JSON")
        return None

    def _append(self, char: str) -> None:
        self._text.append(char)
        self._position += 1

    @staticmethod
    def _decode(fragment: str) -> Any:
        try:
            return json.loads(fragment)
        except json.JSONDecodeError as exc:
            raise StreamError(f"the model wrote invalid JSON: {exc.msg}") from None
