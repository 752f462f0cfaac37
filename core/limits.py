"""Flood limits: at most N actions of a kind per minute, per session (a sliding one-minute window).

Each `EditorSession` owns one `RateLimiter`; nothing here is global, so one user's flood never slows
down or locks out another. The limits themselves are settings (``FACET_MAX_EDITS_PER_MINUTE``,
``FACET_MAX_CLICKS_PER_MINUTE``); 0 turns a limit off.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import BadInput


class RateLimited(BadInput):
    """Too many actions of one kind in the last minute; nothing was computed."""

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class RateLimiter:
    """Per-kind sliding windows of action times. ``take`` records one action or raises `RateLimited`."""

    window_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _times: dict[str, deque] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, kind: str, limit: int, what: str | None = None) -> None:
        """Count one action of ``kind`` (``what`` names it in the message, e.g. 'edits'), or raise
        `RateLimited` when ``limit`` of them happened in the last minute. ``limit`` <= 0: no limit."""
        if limit <= 0:
            return
        now = self.clock()
        with self._lock:
            times = self._times.setdefault(kind, deque())
            while times and now - times[0] >= self.window_s:
                times.popleft()
            if len(times) >= limit:
                wait = max(1, math.ceil(self.window_s - (now - times[0])))
                raise RateLimited(f"Too many {what or kind}: at most {limit} per minute; try again in {wait} s.",
                                  wait)
            times.append(now)

    def used(self, kind: str) -> int:
        """How many actions of ``kind`` count against the limit now."""
        now = self.clock()
        with self._lock:
            return sum(1 for t in self._times.get(kind, ()) if now - t < self.window_s)
