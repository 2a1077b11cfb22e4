"""The Discord adapter: a thin layer that renders the pipeline's events (no logic of its own)."""

from storybot.bot.client import ShardedStoryBot, StoryBot, make_bot, run_bot

__all__ = ["ShardedStoryBot", "StoryBot", "make_bot", "run_bot"]
