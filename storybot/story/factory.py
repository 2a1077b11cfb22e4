"""The one place that picks a story writer from the settings (writers.py only defines what a
writer is, so the implementations can import it without a cycle)."""

from __future__ import annotations

from storybot.config import Settings
from storybot.story.llama import LlamaCppWriter
from storybot.story.server import LlamaServerWriter
from storybot.story.writers import StoryWriter


def make_writer(settings: Settings) -> StoryWriter:
    """llama-server when LLM_SERVER_URL is set, else llama.cpp in this process."""
    if settings.llm_server_url:
        return LlamaServerWriter.from_settings(settings)
    return LlamaCppWriter.from_settings(settings)
