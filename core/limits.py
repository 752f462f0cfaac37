"""Flood limits: at most N actions of a kind per minute (a sliding one-minute window), per session and per
client address.

Each `EditorSession` owns one `RateLimiter` (``FACET_MAX_EDITS_PER_MINUTE``, ``FACET_MAX_CLICKS_PER_MINUTE``),
so one user's flood never slows down another; and the services hold one `ClientLimits`, a limiter per client
address over all of that address's sessions (``FACET_MAX_*_PER_MINUTE_PER_IP``), so a script that opens a new
session for every request is limited too. The address is the TCP peer; behind a reverse proxy it is taken
from X-Forwarded-For only when the peer is listed in ``FACET_TRUSTED_PROXIES`` (`client_address`). 0 turns a
limit off.
"""

from __future__ import annotations

import ipaddress
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
                raise RateLimited(f"Too many {what or kind}: at most {limit} per minute; try again in {wait} s.", wait)
            times.append(now)

    def idle(self, now: float) -> bool:
        """No action of any kind in the last window."""
        with self._lock:
            return all(not times or now - times[-1] >= self.window_s for times in self._times.values())

    def used(self, kind: str) -> int:
        """How many actions of ``kind`` count against the limit now."""
        now = self.clock()
        with self._lock:
            return sum(1 for t in self._times.get(kind, ()) if now - t < self.window_s)


# ------------------------------------------------------------------------------------------ per client address


def _networks(trusted: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for item in (trusted or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise BadInput(f"FACET_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR range") from None
    return nets


def _is_trusted(address: str, nets: list) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: str = "") -> str | None:
    """The address a request comes from: the TCP peer, unless the peer is one of ``trusted_proxies``
    (FACET_TRUSTED_PROXIES: comma-separated IPs / CIDR ranges); then the rightmost X-Forwarded-For entry that
    is not itself a trusted proxy (entries left of it can be forged by the client). None when unknown."""
    if not peer:
        return None
    nets = _networks(trusted_proxies)
    if not nets or not forwarded_for or not _is_trusted(peer, nets):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, nets):
            return hop
    return hops[0] if hops else peer


@dataclass
class ClientLimits:
    """One `RateLimiter` per client address, shared by all sessions of the process, so a script that opens
    new sessions is limited too. Addresses idle for a window are forgotten (memory stays bounded by the
    number of addresses active in the last minute)."""

    window_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _by_address: dict[str, RateLimiter] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_sweep: float = 0.0

    def take(self, address: str | None, kind: str, limit: int, what: str) -> None:
        """Count one action of ``kind`` for ``address`` or raise `RateLimited` (None or limit <= 0: no limit)."""
        if not address or limit <= 0:
            return
        now = self.clock()
        with self._lock:
            if now - self._last_sweep > self.window_s:
                self._last_sweep = now
                for key in [k for k, lim in self._by_address.items() if lim.idle(now)]:
                    del self._by_address[key]
            limiter = self._by_address.setdefault(address, RateLimiter(self.window_s, self.clock))
        try:
            limiter.take(kind, limit, what)
        except RateLimited as exc:
            raise RateLimited(
                f"Too many {what} from your address (all its sessions together): at most {limit} "
                f"per minute; try again in {exc.retry_after_s} s.",
                exc.retry_after_s,
            ) from None

    def used(self, address: str, kind: str) -> int:
        with self._lock:
            limiter = self._by_address.get(address)
        return limiter.used(kind) if limiter is not None else 0
