"""The Discord adapter: a thin layer that renders the pipeline's events (no logic of its own)."""

from storybot.bot.client import StoryBot, run_bot

__all__ = ["StoryBot", "run_bot"]
