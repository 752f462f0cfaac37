"""The editor protocol: restyle the pixels under a mask (see the editor issues)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from core.types import Photo


@runtime_checkable
class Editor(Protocol):
    name: str

    def apply(self, photo: Photo, mask: np.ndarray, params: dict[str, Any], seed: int | None) -> np.ndarray:
        """Return an RGB uint8 image of the photo's size; pixels outside ``mask`` plus feather stay identical."""
