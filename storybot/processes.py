"""External programs (ffmpeg, ffprobe) as asyncio subprocesses that never outlive their caller.

Every run has a deadline. On timeout, on cancellation of the awaiting task, or on any error
while waiting, the process is killed and reaped before the exception goes on: a cancelled book
or a hostile voice clip leaves nothing running, and no worker thread is ever held by a program.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Completed:
    """A program that ran to its end (any exit code)."""

    returncode: int
    stdout: bytes
    stderr: bytes

    def last_lines(self, count: int = 1) -> str:
        """The last `count` lines of stderr, on one line (ffmpeg's complaint, if any)."""
        lines = self.stderr.decode("utf-8", "replace").strip().splitlines()
        return " ".join(line.strip() for line in lines[-count:])


async def run(command: Sequence[str], *, timeout: float) -> Completed:
    """Run `command` to its end within `timeout` seconds; raise TimeoutError past it.

    stdin is closed; stdout and stderr are collected. The process is killed when the deadline
    passes or the caller is cancelled. A missing program raises FileNotFoundError.
    """
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await process.communicate()
    except BaseException:  # timeout, cancellation, anything: the program must not stay behind
        await kill(process, command[0])
        raise
    assert process.returncode is not None  # communicate() returns after the exit
    return Completed(process.returncode, stdout, stderr)


async def kill(process: asyncio.subprocess.Process, name: str = "program") -> None:
    """Kill `process` (if it still runs) and wait until it is gone."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # it may have ended a moment ago
            process.kill()
        log.debug("Killed %s (pid %s)", name, process.pid)
    # Shielded: a second cancel while waiting must not stop the reaping, only our wait.
    await asyncio.shield(process.wait())
