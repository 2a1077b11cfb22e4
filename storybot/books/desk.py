"""`BookDesk`: everything a front door (the bot's views and commands, the CLI) may ask of
books. The bot holds a desk, never the maker's store, queue or sets, so what it can do to a
book is this short list; `BookMaker` is the one implementation."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from storybot.books.active import ActiveBook, CancelOutcome
from storybot.books.store import RunRecord
from storybot.models import Book, StoryRequest


class BookDesk(Protocol):
    """What a view may ask of a book; every change to a book goes through its maker."""

    def submit(
        self,
        request: StoryRequest,
        *,
        requester_id: int | None = None,
        origin: dict[str, Any] | None = None,
        lane: str | None = None,
        locale: str = "ko",
        screen_first: bool = True,
    ) -> ActiveBook: ...

    async def warm_up(self, korean: bool = True) -> None: ...

    def retry(self, run_id: str) -> ActiveBook: ...

    def redraw(self, run_id: str, page: int) -> ActiveBook: ...

    def cancel(self, run_id: str) -> CancelOutcome: ...

    def is_active(self, run_id: str) -> bool: ...

    def record(self, run_id: str) -> RunRecord | None: ...

    def finished_book(self, run_id: str) -> Book | None: ...

    def folder(self, run_id: str) -> Path: ...

    def recent(self, requester_id: int, limit: int = 10) -> list[RunRecord]: ...

    def followable(self, requester_id: int) -> list[RunRecord]: ...

    def sequel_request(self, run_id: str, **answers: Any) -> StoryRequest: ...

    def note_origin(self, run_id: str, origin: dict[str, Any]) -> None: ...

    def typical_seconds(self) -> float | None: ...

    def delivery(
        self, run_id: str, *, remake: bool = False
    ) -> AbstractAsyncContextManager[Book | None]: ...

    def serve_metrics(self, port: int, host: str = "127.0.0.1") -> None: ...

    def recover(self) -> list[RunRecord]: ...

    async def close(self) -> list[RunRecord]: ...
