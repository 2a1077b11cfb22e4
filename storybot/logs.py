"""Logging: every record carries the run id it belongs to; stages log `[TIMING]` lines."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar

run_id_var: ContextVar[str] = ContextVar("run_id", default="-")

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [run=%(run_id)s] %(message)s"


class RunIdFilter(logging.Filter):
    """Adds `record.run_id` from the current context (asyncio tasks copy it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "run_id"):
            record.run_id = run_id_var.get()
        return True


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr with run ids; quiet the chattiest libraries."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RunIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("discord.gateway", "discord.http", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))


@contextlib.contextmanager
def run_context(run_id: str) -> Iterator[None]:
    """Tag every log record inside the block with `run_id`."""
    token = run_id_var.set(run_id)
    try:
        yield
    finally:
        run_id_var.reset(token)


@contextlib.contextmanager
def timing(logger: logging.Logger, what: str) -> Iterator[None]:
    """Log `[TIMING] <what> completed in N.NNs` (or failed after) around the block."""
    started = time.perf_counter()
    logger.info("[TIMING] Starting %s...", what)
    try:
        yield
    except BaseException:
        logger.info("[TIMING] %s stopped after %.2fs", what, time.perf_counter() - started)
        raise
    logger.info("[TIMING] %s completed in %.2fs", what, time.perf_counter() - started)
