"""Books: how four answers become a finished book, and where books are kept.

`maker` (BookMaker: screen, record, queue, run, cancel, retry, redraw; one ActiveBook per book
being made) · `queue` (one book per lane, a cap per user) · `store` (SQLite records and the
book folders) · `pipeline` (one book as one coroutine: story, pictures, narration) with its
`parts`, `narration` and `picture_review` · `finishing` (the keepsakes of a made book) ·
`metrics` (Prometheus) · `desk` (the small protocol the bot and the CLI use to ask for books).
"""

from storybot.books.active import ActiveBook, CancelOutcome
from storybot.books.desk import BookDesk
from storybot.books.maker import BookMaker, PainterDownError, RequestRefused
from storybot.books.metrics import Metrics
from storybot.books.parts import Painter, PipelineOptions
from storybot.books.pipeline import Pipeline
from storybot.books.queue import Scheduler, UserBusyError
from storybot.books.store import RunRecord, RunStore

__all__ = [
    "ActiveBook",
    "BookDesk",
    "BookMaker",
    "CancelOutcome",
    "Metrics",
    "Painter",
    "PainterDownError",
    "Pipeline",
    "PipelineOptions",
    "RequestRefused",
    "RunRecord",
    "RunStore",
    "Scheduler",
    "UserBusyError",
]
