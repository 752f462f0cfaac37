"""Textures and style images from assets/styles/ (manifest.json), or a user's image given as an array.

Never a file path from a caller: files reach editors only as arrays (see ``editors.base.ImageRef``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.errors import BadInput

STYLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "styles"


@lru_cache(maxsize=1)
def manifest() -> dict[str, dict]:
    """name -> manifest entry (name, kind, file, licence, description)."""
    path = STYLES_DIR / "manifest.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {e["name"]: e for e in data.get("styles", [])}


def names(kind: str | None = None) -> list[str]:
    return sorted(n for n, e in manifest().items() if kind is None or e.get("kind") == kind)


@lru_cache(maxsize=16)
def _read(path: str) -> np.ndarray:
    """Read an image file with the same checks as an uploaded photo (size limits, bombs, odd modes)."""
    from core.photo import load_photo

    return load_photo(path).pixels


def load_image(spec: str | np.ndarray, what: str = "texture") -> tuple[np.ndarray, str]:
    """A manifest name or an RGB uint8 array -> (RGB uint8 array, a label for it). File paths are refused."""
    if isinstance(spec, np.ndarray):
        if spec.dtype != np.uint8 or spec.ndim != 3 or spec.shape[2] != 3:
            raise BadInput(f"the {what} image must be RGB uint8 (H, W, 3)")
        if min(spec.shape[:2]) < 16:
            raise BadInput(f"the {what} image is too small ({spec.shape[1]}x{spec.shape[0]}); use at least 16x16")
        return spec, "uploaded image"
    entry = manifest().get(spec) if isinstance(spec, str) else None
    if entry is None:
        known = ", ".join(names()) or "(none installed)"
        raise BadInput(
            f"unknown {what} {str(spec)[:80]!r}: give a built-in name ({known}); file paths are not "
            f"read, upload your own image instead"
        )
    return _read(str(STYLES_DIR / entry["file"])), spec
