"""Prometheus metrics for whoever runs the GPU box: how long each stage takes, how books end,
how long the line is, and whether the ComfyUI servers are up.

`Metrics` owns its own `CollectorRegistry` (never the global one, so tests and several
makers in one process do not clash). Stage times are observed when a book ends, from the
timings its run record keeps; the state of the queue and of the painters is read when
Prometheus scrapes, so it is never stale. Nothing here knows about Discord: labels are fixed
stage and outcome names, and lanes are hashed, so no run id, page number or Discord id ever
becomes a label.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storybot import __version__
from storybot.books.store import RunRecord, own_lane
from storybot.models import Event, PageImage, Status

log = logging.getLogger(__name__)

STAGES = ("llm", "picture", "narration", "video", "picture_check", "first_page", "book")
OUTCOMES = {
    Status.DONE: "done",
    Status.FAILED: "failed",
    Status.CANCELLED: "cancelled",
    Status.INTERRUPTED: "interrupted",
}
# Half a second (a picture check) to half an hour (a long book on a busy shared GPU).
BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 900, 1200, 1800)
# A run record's timing key without its page number → the stage it measures.
TIMING_STAGES = {
    "llm": "llm",
    "image": "picture",
    "narration": "narration",
    "video": "video",
    "picture_check": "picture_check",
}
OWN_LANE = "own"  # every lane of one run (DMs, the CLI): one label, not one per run id
OWN_LANE_PREFIX = own_lane("")


class Lanes(Protocol):
    """The scheduler, as metrics see it."""

    @property
    def running(self) -> list[str]: ...

    def depth_by_lane(self) -> dict[str, int]: ...


class Painters(Protocol):
    """The ComfyUI pool, as metrics see it: (url, up, busy) for each server."""

    def status(self) -> list[tuple[str, bool, bool]]: ...


def stage_of(key: str) -> str | None:
    """The stage a timing key measures (`image_3` → `picture`); None for others (`total`)."""
    name, _, page = key.rpartition("_")
    return TIMING_STAGES.get(name if page.isdigit() else key)


def installation_salt(data_dir: Path) -> bytes:
    """This installation's secret for lane labels, made once and kept in DATA_DIR: without it
    anyone who knows the guild ids could hash them and read which guild is busy."""
    path = data_dir / "metrics.salt"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        salt = secrets.token_bytes(16)
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(salt.hex(), encoding="ascii")
        return salt


def lane_label(lane: str, salt: bytes) -> str:
    """A lane as a label: a short keyed hash, so a lane named after a guild never shows its id
    and cannot be matched to one; the lanes runs have to themselves share one label."""
    if lane.startswith(OWN_LANE_PREFIX):
        return OWN_LANE
    return hmac.new(salt, lane.encode(), hashlib.sha256).hexdigest()[:12]


def server_label(url: str) -> str:
    """A ComfyUI URL without any user or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class _Run:
    """What a book had when it started: its clock, and the timings made before this run."""

    started: float
    before: dict[str, float]
    fresh: bool  # no story yet, so its first page is still to come
    first_page_seen: bool = False


class _LiveState(Collector):
    """The line and the painters, read when Prometheus scrapes. That happens on the server's
    thread: both sources only read lists and flags, which the event loop's changes cannot
    break mid-read (at worst a scrape is one change behind)."""

    def __init__(self, lanes: Lanes | None, painters: Painters | None, salt: bytes) -> None:
        self.salt = salt
        self.lanes = lanes
        self.painters = painters

    def collect(self) -> Iterator[Metric]:
        running = GaugeMetricFamily("storybot_books_running", "Books being made now.")
        waiting = GaugeMetricFamily("storybot_books_waiting", "Books waiting for their turn.")
        depth = GaugeMetricFamily(
            "storybot_queue_depth", "Books waiting in each lane.", labels=["lane"]
        )
        if self.lanes is not None:
            by_lane = self.lanes.depth_by_lane()
            running.add_metric([], len(self.lanes.running))
            waiting.add_metric([], sum(by_lane.values()))
            for lane, count in sorted(_merge_labels(by_lane, self.salt)):
                depth.add_metric([lane], count)
        yield from (running, waiting, depth)
        up = GaugeMetricFamily(
            "storybot_comfyui_up", "Whether a ComfyUI server answers.", labels=["server"]
        )
        busy = GaugeMetricFamily(
            "storybot_comfyui_busy", "Whether a ComfyUI server is painting.", labels=["server"]
        )
        for url, is_up, is_busy in self.painters.status() if self.painters else []:
            up.add_metric([server_label(url)], float(is_up))
            busy.add_metric([server_label(url)], float(is_busy))
        yield from (up, busy)


def _merge_labels(by_lane: Mapping[str, int], salt: bytes) -> Iterable[tuple[str, int]]:
    merged: dict[str, int] = {}
    for lane, count in by_lane.items():
        label = lane_label(lane, salt)
        merged[label] = merged.get(label, 0) + count
    return merged.items()


class MetricsServer:
    """The `/metrics` HTTP server `Metrics.serve` started; `close()` stops it."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port: int = server.server_port

    def close(self) -> None:
        """Stop serving and free the port (waits up to half a second: the server's poll)."""
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        log.info("Metrics server on port %d stopped", self.port)


class Metrics:
    """Every metric of one `BookMaker`, in a registry of its own."""

    def __init__(
        self,
        lanes: Lanes | None = None,
        painters: Painters | None = None,
        *,
        salt: bytes,
        version: str = __version__,
    ) -> None:
        """`salt` keys the lane labels (`installation_salt`)."""
        self.salt = salt
        self.registry = CollectorRegistry()
        self.stage_seconds = Histogram(
            "storybot_stage_seconds",
            "Seconds each stage of a book took (first_page: start to the cover's picture).",
            ["stage"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.books = Counter(
            "storybot_books", "Books that ended, by how.", ["outcome"], registry=self.registry
        )
        info = Info("storybot", "The storybot that serves these metrics.", registry=self.registry)
        info.info({"version": version})
        for stage in STAGES:  # every series exists from the start, at zero
            self.stage_seconds.labels(stage=stage)
        for outcome in OUTCOMES.values():
            self.books.labels(outcome=outcome)
        self.registry.register(_LiveState(lanes, painters, salt))
        # The bot's own memory, CPU, open files and Python version, as every exporter has.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self._runs: dict[str, _Run] = {}
        self._servers: list[MetricsServer] = []

    # --- a book's life (called by the service, on the event loop) ------------------------

    def book_started(self, record: RunRecord) -> None:
        """The book has its slot: start its clock and remember the timings it already has."""
        self._runs[record.run_id] = _Run(
            started=time.perf_counter(),
            before=dict(record.timings),
            fresh=record.story is None,
        )

    def saw(self, run_id: str, event: Event) -> None:
        """Watch the book's events for its first page: the cover's picture, shown."""
        run = self._runs.get(run_id)
        if run is None or not run.fresh or run.first_page_seen:
            return
        if isinstance(event, PageImage) and event.page == 0:
            run.first_page_seen = True
            self.stage_seconds.labels(stage="first_page").observe(time.perf_counter() - run.started)

    def book_ended(
        self, record: RunRecord, status: Status, seconds: float, *, redraw: bool = False
    ) -> None:
        """Observe the stages this run measured; count the book (a redraw is not a book).
        Never raises: it runs in the service's end of a run, which nothing may cut short."""
        try:
            self._book_ended(record, status, seconds, redraw=redraw)
        except Exception:
            log.exception("Book %s: its metrics could not be recorded", record.run_id)

    def _book_ended(
        self, record: RunRecord, status: Status, seconds: float, *, redraw: bool
    ) -> None:
        run = self._runs.pop(record.run_id, None)
        before = run.before if run is not None else dict(record.timings)
        for key, value in record.timings.items():
            stage = stage_of(key)
            if stage is not None and before.get(key) != value:  # measured in this run
                self.stage_seconds.labels(stage=stage).observe(value)
        if redraw:
            return
        self.books.labels(outcome=OUTCOMES.get(status, "failed")).inc()
        if status is Status.DONE and run is not None:
            self.stage_seconds.labels(stage="book").observe(seconds)

    # --- serving ----------------------------------------------------------------------

    def serve(self, port: int, addr: str = "127.0.0.1") -> MetricsServer:
        """Serve `/metrics` on `port` (0: any free port) until `close()`."""
        server, thread = start_http_server(port, addr=addr, registry=self.registry)
        handle = MetricsServer(server, thread)
        self._servers.append(handle)
        log.info("Serving Prometheus metrics on http://%s:%d/metrics", addr, handle.port)
        return handle

    def close(self) -> None:
        """Stop every server `serve` started (safe to call more than once)."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
