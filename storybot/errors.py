"""Errors that reach a user or an operator as one clear line, never as a traceback."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (library errors often span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


class StorybotError(Exception):
    """Base of every error storybot expects and explains."""


class ConfigError(StorybotError):
    """A setting is missing or has a value that is not allowed."""


class StoryError(StorybotError):
    """The story could not be written: invalid output after every retry, or no LLM."""


class UnsafeRequestError(StoryError):
    """The safety guard (a model's second look) refused the request itself."""

    code = "unsafe_request"


class UnsafeStoryError(StoryError):
    """Every attempt wrote something the safety screen refuses; nothing of it was shown."""

    code = "unsafe_story"


class LLMUnavailableError(StoryError):
    """The LLM cannot be used at all: model file missing or corrupt, llama-server down."""


class LLMServerError(StoryError):
    """llama-server answered, but with an error; another attempt may succeed."""
