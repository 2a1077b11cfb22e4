"""Where on Discord a book was asked for, kept in the run's opaque `origin`.

The core store keeps `origin` as a JSON object it never reads; this is the one place that
writes and reads the bot's ids in it, so the book message can be found again after a restart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from storybot.books.store import RunRecord


@dataclass(frozen=True)
class DiscordOrigin:
    """The server, channel and book message of a run (None where there is none)."""

    guild_id: int | None
    channel_id: int | None
    message_id: int | None = None

    @property
    def lane(self) -> str | None:
        """One book at a time per server; a DM book gets a lane of its own (None)."""
        return f"guild:{self.guild_id}" if self.guild_id is not None else None

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored as the run's origin."""
        return dataclasses.asdict(self)

    def with_message(self, channel_id: int, message_id: int) -> DiscordOrigin:
        """The same origin, now pointing at the book message just posted."""
        return dataclasses.replace(self, channel_id=channel_id, message_id=message_id)

    @classmethod
    def from_record(cls, record: RunRecord) -> DiscordOrigin:
        """The run's origin; ids missing (a CLI run) or unreadable are None."""
        return cls(*(_id(record.origin.get(f.name)) for f in dataclasses.fields(cls)))


def _id(value: object) -> int | None:
    """A Discord id from JSON (an int; a digit string is accepted too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
