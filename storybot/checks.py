"""One row of `storybot doctor`'s table: engines report their health in these, and the doctor
(which imports the engines) collects them — so engines never import the doctor."""

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
