"""Run the storybot Discord bot with the settings from `.env` and the environment."""

from __future__ import annotations

import sys

from storybot.bot import run_bot
from storybot.config import Settings
from storybot.errors import StorybotError
from storybot.logs import setup_logging


def main() -> int:
    try:
        settings = Settings.load()
        setup_logging(settings.log_level)
        run_bot(settings)
    except StorybotError as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
