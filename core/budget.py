"""Memory for edits on big photos: working sizes that never exceed their cap, and a budget checked before work.

- :func:`work_size` is the one place that shrinks an image to a pixel cap. Every editor that works at a
  reduced size uses it (or a side cap); the size it returns is guaranteed to fit the cap, so an editor
  never has to try again (the texture editor once recursed without end when rounding overshot its cap).
- :class:`MemoryBudget` refuses an edit whose estimated peak memory is over ``FACET_MEMORY_BUDGET_MB``
  before any work starts, and reserves the estimate while the edit runs, so two big edits at once cannot
  together exceed the budget either (the second waits up to ``FACET_MEMORY_WAIT_S``, then is refused).
  Editors estimate their own peak (``estimate_bytes``); the factors are calibrated with
  ``bench/memory_bench.py`` (peak RSS per editor at 12, 24 and 48 MP).
- :func:`trim_heap` hands freed heap memory back to the OS after a big edit.
"""

from __future__ import annotations

import ctypes
import functools
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from core.errors import BadInput

MB = 1024 * 1024


def work_size(width: int, height: int, max_pixels: int | None = None, max_side: int | None = None) -> tuple[int, int]:
    """(w, h) of ``width`` x ``height`` shrunk, aspect kept, so that ``w * h <= max_pixels`` and
    ``max(w, h) <= max_side`` (either cap may be None); unchanged when it already fits. Never enlarges,
    each side is at least 1, and the caps hold after rounding (sides are floored, then checked)."""
    if width < 1 or height < 1:
        raise BadInput(f"an image of {width}x{height} px has nothing to work on")
    s = 1.0
    if max_pixels is not None:
        if max_pixels < 1:
            raise ValueError(f"max_pixels must be >= 1, got {max_pixels}")
        s = min(s, math.sqrt(max_pixels / (width * height)))
    if max_side is not None:
        if max_side < 1:
            raise ValueError(f"max_side must be >= 1, got {max_side}")
        s = min(s, max_side / max(width, height))
    if s >= 1.0:
        return width, height
    w, h = max(1, math.floor(width * s)), max(1, math.floor(height * s))
    # a 1-px side of a very thin image can push the area over the cap: shave the other side
    while max_pixels is not None and w * h > max_pixels and max(w, h) > 1:
        if w >= h:
            w -= 1
        else:
            h -= 1
    return w, h


def fits(width: int, height: int, max_pixels: int | None = None, max_side: int | None = None) -> bool:
    return (max_pixels is None or width * height <= max_pixels) and (max_side is None or max(width, height) <= max_side)


class MemoryRefused(BadInput):
    """An edit would need more memory than the server allows (``FACET_MEMORY_BUDGET_MB``)."""


def _gb(n: float) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 0.1 * 1024**3 else f"{n / MB:.0f} MB"


class MemoryBudget:
    """Process-wide accounting of the memory edits may take at once (bytes). ``budget_mb <= 0``: no limit."""

    def __init__(self, budget_mb: float, wait_s: float = 30.0):
        self.budget = int(budget_mb * MB) if budget_mb > 0 else 0
        self.wait_s = float(wait_s)
        self._in_use = 0
        self._cond = threading.Condition()

    @property
    def in_use(self) -> int:
        return self._in_use

    def check(self, need: int, what: str) -> None:
        """Refuse (``MemoryRefused``) work that alone needs more than the budget."""
        if self.budget and need > self.budget:
            raise MemoryRefused(
                f"{what} would need about {_gb(need)} of memory, more than this server allows for one edit "
                f"({_gb(self.budget)}, FACET_MEMORY_BUDGET_MB); select a smaller part or use a smaller photo"
            )

    @contextmanager
    def reserve(self, need: int, what: str) -> Iterator[None]:
        """Hold ``need`` bytes while the block runs; waits while other edits hold too much, refuses after
        ``wait_s``. Frees the heap (``trim_heap``) when the block ends."""
        self.check(need, what)
        need = min(need, self.budget) if self.budget else need
        if self.budget:
            deadline = time.monotonic() + self.wait_s
            with self._cond:
                while self._in_use + need > self.budget:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise MemoryRefused(
                            f"the server is busy with other large edits ({what} needs about "
                            f"{_gb(need)}); try again in a minute"
                        )
                    self._cond.wait(left)
                self._in_use += need
        try:
            yield
        finally:
            if self.budget:
                with self._cond:
                    self._in_use -= need
                    self._cond.notify_all()
            trim_heap()


_budgets: dict[tuple[float, float], MemoryBudget] = {}
_budgets_lock = threading.Lock()


def budget_for(settings: Any) -> MemoryBudget:
    """The process-wide budget for these settings (one per (budget, wait) pair, shared by every session)."""
    key = (float(getattr(settings, "memory_budget_mb", 0.0)), float(getattr(settings, "memory_wait_s", 30.0)))
    with _budgets_lock:
        if key not in _budgets:
            _budgets[key] = MemoryBudget(*key)
        return _budgets[key]


GENERIC_BYTES_PER_PIXEL = 40  # an editor without its own estimate: a conservative 40 bytes per photo pixel


class Budgeted(Protocol):
    """What the budget needs of an editor (part of the editor contract, editors/base.py)."""

    name: str

    def estimate_bytes(self, shape: tuple[int, ...], mask: Any) -> int:
        """Estimated peak memory (bytes) of one edit of ``mask`` on a photo of ``shape``."""
        ...


def estimate(editor: Budgeted, shape: tuple[int, ...], mask: Any) -> int:
    """An editor's estimated peak memory (bytes) for an edit of ``mask`` on a photo of ``shape``."""
    return int(editor.estimate_bytes(shape, mask))


@contextmanager
def guarded(
    editor: Budgeted, shape: tuple[int, ...], mask: Any, settings: Any, what: str | None = None
) -> Iterator[int]:
    """Check and reserve the editor's estimate for one edit (refused before it starts when too big)."""
    need = estimate(editor, shape, mask)
    label = what or f"this {editor.name} edit on {shape[1]}x{shape[0]} px"
    with budget_for(settings).reserve(need, label):
        yield need


def trim_heap() -> None:
    """Hand freed heap memory back to the OS (glibc's ``malloc_trim``; a no-op without it). glibc keeps freed
    memory for reuse, and with Gradio's worker threads a server's idle RSS kept rising session after session
    although the sessions were freed (bench/soak_bench.py: +20 % over 20 sessions; after a trim it was back
    under its first idle level). After a big edit it returns the edit's temporary arrays
    (bench/memory_bench.py: RSS after the edit)."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        pass


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)
