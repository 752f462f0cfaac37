"""Edit layers: each applied edit is a layer over the photo; undo / redo / hide; render; export.

A layer stores only the pixels its edit changed (inside a box), so rendering is a series of exact
pastes: pixels no visible layer touched are bit-identical to the uploaded photo.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from core.errors import BadInput
from core.types import Box, Photo, mask_bbox


@dataclass(eq=False)
class Layer:
    id: int
    segment: str  # label of the segment it was applied to
    editor: str
    params: dict[str, Any]
    seed: int | None
    box: tuple[int, int, int, int]  # XYXY of the changed pixels
    changed: np.ndarray  # bool, box-sized: which pixels this layer sets
    pixels: np.ndarray  # RGB uint8, box-sized
    seconds: float
    models: tuple[str, ...] = ()  # model ids used (for provenance)
    visible: bool = True

    @property
    def title(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.params.items() if k not in ("texture_path", "style_path"))
        return f"#{self.id} {self.editor} on {self.segment}" + (f" ({shown})" if shown else "")

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "segment": self.segment, "editor": self.editor, "params": self.params,
                "seed": self.seed, "box": list(self.box), "seconds": round(self.seconds, 4),
                "models": list(self.models), "visible": self.visible}


def layer_from_result(layer_id: int, segment: str, editor: str, params: dict[str, Any], seed: int | None,
                      before: np.ndarray, after: np.ndarray, seconds: float, models: tuple[str, ...] = ()) -> Layer:
    """Keep only what changed between ``before`` and ``after`` (both RGB uint8, same size)."""
    diff = np.any(before != after, axis=2)
    box = mask_bbox(diff)
    if box is None:
        x0 = y0 = 0
        x1 = y1 = 1
    else:
        x0, y0, x1, y1 = (int(v) for v in box)
    sl = (slice(y0, y1), slice(x0, x1))
    return Layer(layer_id, segment, editor, dict(params), seed, (x0, y0, x1, y1), diff[sl].copy(),
                 after[sl].copy(), seconds, models)


@dataclass
class LayerStack:
    layers: list[Layer] = field(default_factory=list)
    redo_stack: list[Layer] = field(default_factory=list)
    _next_id: int = 1
    _cache_key: tuple = ()
    _cache: np.ndarray | None = None

    def next_id(self) -> int:
        n = self._next_id
        self._next_id += 1
        return n

    def push(self, layer: Layer) -> None:
        self.layers.append(layer)
        self.redo_stack.clear()

    def undo(self) -> Layer:
        if not self.layers:
            raise BadInput("no edit to undo")
        layer = self.layers.pop()
        self.redo_stack.append(layer)
        return layer

    def redo(self) -> Layer:
        if not self.redo_stack:
            raise BadInput("no edit to redo")
        layer = self.redo_stack.pop()
        self.layers.append(layer)
        return layer

    def set_visible(self, visible_ids: set[int]) -> None:
        for layer in self.layers:
            layer.visible = layer.id in visible_ids

    def render(self, photo: Photo) -> np.ndarray:
        """The photo with every visible layer pasted in order (cached; treat the result as read-only)."""
        key = (photo.id,) + tuple(layer.id for layer in self.layers if layer.visible)
        if self._cache is not None and key == self._cache_key:
            return self._cache
        out = photo.pixels.copy()
        for layer in self.layers:
            if layer.visible:
                x0, y0, x1, y1 = layer.box
                region = out[y0:y1, x0:x1]
                region[layer.changed] = layer.pixels[layer.changed]
        out.setflags(write=False)
        self._cache_key, self._cache = key, out
        return out

    def clear(self) -> None:
        self.layers.clear()
        self.redo_stack.clear()
        self._cache, self._cache_key = None, ()


def encode_image(pixels: np.ndarray, fmt: str, icc_profile: bytes | None = None, quality: int = 95) -> bytes:
    """RGB uint8 -> PNG or JPEG bytes at full size, keeping the photo's ICC profile."""
    fmt = fmt.upper()
    if fmt == "JPG":
        fmt = "JPEG"
    if fmt not in ("PNG", "JPEG"):
        raise BadInput(f"export format must be PNG or JPEG, not {fmt}")
    if not 1 <= int(quality) <= 100:
        raise BadInput("JPEG quality must be between 1 and 100")
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if icc_profile:
        kwargs["icc_profile"] = icc_profile
    if fmt == "JPEG":
        kwargs.update(quality=int(quality), subsampling=0 if quality >= 90 else 2)
    else:
        kwargs.update(compress_level=3)
    Image.fromarray(pixels).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def grow_shrink(mask: np.ndarray, px: int) -> np.ndarray:
    """Grow (px > 0) or shrink (px < 0) a bool mask by |px| pixels (Euclidean distance)."""
    import cv2

    if px == 0:
        return mask.copy()
    if abs(px) > 500:
        raise BadInput("grow/shrink by at most 500 px")
    src = (~mask if px > 0 else mask).astype(np.uint8)
    dist = cv2.distanceTransform(src, cv2.DIST_L2, 5)
    return (mask | (dist <= px)) if px > 0 else (dist > -px)


def combine(a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    """Combine two bool masks: add (union), subtract (a minus b), intersect."""
    if op == "add":
        return a | b
    if op == "subtract":
        return a & ~b
    if op == "intersect":
        return a & b
    raise BadInput(f"unknown combine operation {op!r}; use add, subtract or intersect")


__all__ = ["Box", "Layer", "LayerStack", "combine", "encode_image", "grow_shrink", "layer_from_result"]
