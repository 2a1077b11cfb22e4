"""The story writer: prompt, LLM writers, streaming parse and validation."""

from storybot.story.author import DraftPage, StoryAuthor, WrittenStory
from storybot.story.writers import LlamaCppWriter, LlamaServerWriter, StoryWriter, make_writer

__all__ = [
    "DraftPage",
    "LlamaCppWriter",
    "LlamaServerWriter",
    "StoryAuthor",
    "StoryWriter",
    "WrittenStory",
    "make_writer",
]
