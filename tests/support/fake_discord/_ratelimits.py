"""Rate limits: route bucket headers, the global limit, 5 edits / 5 s per message, injections."""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass

from ._limits import ApiError


def rate_limited(
    retry_after: float,
    *,
    scope: str = "user",
    is_global: bool = False,
    via: bool = True,
    bucket: str | None = None,
) -> ApiError:
    """A 429 as Discord sends it: body `retry_after`/`global`, and `Via` (without it
    discord.py does not retry)."""
    headers = {"Retry-After": str(max(1, math.ceil(retry_after))), "X-RateLimit-Scope": scope}
    if via:
        headers["Via"] = "1.1 google"
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    elif bucket is not None:
        headers.update(
            {
                "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            }
        )
    extra = {"retry_after": round(retry_after, 3), "global": is_global}
    return ApiError(429, 0, "You are being rate limited.", headers=headers, extra=extra)


@dataclass
class Injection:
    key: str  # "PATCH /channels/{channel_id}/messages/{message_id}"
    error: ApiError
    times: int


class RateLimits:
    """Real-time (not the fake's offset clock) limits and their response headers."""

    def __init__(self) -> None:
        self.default: tuple[int, float] = (50, 1.0)  # (limit, per seconds) of every route bucket
        self.buckets: dict[str, tuple[int, float]] = {}  # route key → (limit, per)
        self.global_limit = 50  # requests per second over bot-token routes
        self.edit_limit, self.edit_window = 5, 5.0  # edits per message
        self.injections: list[Injection] = []
        self._windows: dict[tuple[str, str], list[float]] = {}  # → [start, count]
        self._global: deque[float] = deque()
        self._edits: dict[int, deque[float]] = {}

    @staticmethod
    def bucket_hash(key: str) -> str:
        return hashlib.sha1(key.encode()).hexdigest()[:16]

    def injected(self, key: str) -> ApiError | None:
        for inj in self.injections:
            if inj.key == key and inj.times > 0:
                inj.times -= 1
                return inj.error
        return None

    def check_global(self, exempt: bool) -> None:
        if exempt:
            return
        now = time.time()
        while self._global and now - self._global[0] >= 1.0:
            self._global.popleft()
        if len(self._global) >= self.global_limit:
            raise rate_limited(1.0 - (now - self._global[0]), scope="global", is_global=True)
        self._global.append(now)

    def hit(self, key: str, major: str) -> dict[str, str]:
        """Count a request in its bucket; returns the headers (or raises a 429 when over)."""
        limit, per = self.buckets.get(key, self.default)
        now = time.time()
        window = self._windows.setdefault((key, major), [now, 0])
        if now - window[0] >= per:
            window[0], window[1] = now, 0
        reset_after = per - (now - window[0])
        bucket = self.bucket_hash(key)
        if window[1] >= limit:
            raise rate_limited(reset_after, bucket=bucket)
        window[1] += 1
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - window[1]),
            "X-RateLimit-Reset": f"{window[0] + per:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def edit(self, message_id: int) -> None:
        """At most `edit_limit` edits per message per `edit_window` seconds, else a 429."""
        now = time.time()
        stamps = self._edits.setdefault(message_id, deque())
        while stamps and now - stamps[0] >= self.edit_window:
            stamps.popleft()
        if len(stamps) >= self.edit_limit:
            raise rate_limited(self.edit_window - (now - stamps[0]), scope="shared")
        stamps.append(now)
