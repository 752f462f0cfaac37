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


class PixelMemo:
    """At most ``size`` answers, each under :meth:`key` of the pixels it was computed from."""

    def __init__(self, size: int):
        self.size = size
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(rgb: np.ndarray, *tag: Any) -> tuple:
        """(``*tag``, shape, 16-byte BLAKE2b digest of the pixels)."""
        return (*tag, rgb.shape, hashlib.blake2b(np.ascontiguousarray(rgb).data, digest_size=16).digest())

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
