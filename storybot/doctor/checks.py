"""One row of `storybot doctor`'s table, and the shape of a check that makes rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from storybot.config import Settings

CheckStatus = Literal["OK", "WARN", "FAIL"]


@dataclass(frozen=True)
class Check:
    """One row of the doctor's table."""

    component: str
    status: CheckStatus
    detail: str


CheckFunction = Callable[[Settings], Awaitable[list[Check]]]
