"""The story writer: prompt, LLM writers, streaming parse and validation."""

from storybot.story.author import DraftPage, StoryAuthor, WrittenStory
from storybot.story.llama import LlamaCppWriter
from storybot.story.server import LlamaServerWriter
from storybot.story.writers import StoryWriter

__all__ = [
    "DraftPage",
    "LlamaCppWriter",
    "LlamaServerWriter",
    "StoryAuthor",
    "StoryWriter",
    "WrittenStory",
]
