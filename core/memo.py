"""The last few answers of an expensive function of a photo's pixels (a net's output), kept by the pixels.

The parse runs a net on the working copy, and a click asks for the same answer on the same copy a moment later:
``PixelMemo`` keeps it under (tag, shape, a digest of the pixels), least recently used dropped first, thread-safe.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np


def digest(*arrays: np.ndarray | None) -> bytes:
    """A 16-byte BLAKE2b digest of ``arrays`` (their shapes, dtypes and bytes; None counts too)."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(repr((a.shape, a.dtype.str)).encode())
        h.update(a.data)
    return h.digest()


class PixelMemo:
    """At most ``size`` answers, each under :meth:`key` of the pixels it was computed from."""

    def __init__(self, size: int):
        self.size = size
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(rgb: np.ndarray, *tag: Any) -> tuple:
        """(``*tag``, shape, :func:`digest` of the pixels)."""
        return (*tag, rgb.shape, digest(rgb))

    def get(self, key: tuple) -> Any:
        """The answer kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None:
                self._kept.move_to_end(key)
            return hit

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._kept[key] = value
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
