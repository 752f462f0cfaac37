"""Edit layers: each applied edit is a layer over the photo; undo / redo / hide; render; export.

A layer stores only the pixels its edit changed (inside a box), so rendering is a series of exact
pastes: pixels no visible layer touched are bit-identical to the uploaded photo.

A long session must not grow without bound: with ``max_layers`` set (``FACET_MAX_LAYERS``, default 50), pushing
one more layer merges the oldest into a single base layer (as it was shown: a hidden one is dropped), which can no
longer be undone or hidden. The base covers at most the photo, so memory stays bounded however many edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput
from core.types import Box, Photo, mask_bbox

MAX_HISTORY = 1000  # provenance records kept for merged layers (face edits are always kept)


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
    generative: bool = False  # pixels made by a trained generative model (the editor says so; see provenance)

    @property
    def title(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.params.items() if k not in ("texture_path", "style_path"))
        return f"#{self.id} {self.editor} on {self.segment}" + (f" ({shown})" if shown else "")

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "segment": self.segment,
            "editor": self.editor,
            "params": self.params,
            "seed": self.seed,
            "box": list(self.box),
            "seconds": round(self.seconds, 4),
            "models": list(self.models),
            "visible": self.visible,
            "generative": self.generative,
        }


def recordable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Params as a layer records them (titles, provenance): an image given as an array (an upload) becomes
    'uploaded image WxH sha256:<12 hex>'; a dict (e.g. a face mapping with arrays) is recorded the same way."""
    import hashlib

    def one(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            digest = hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()[:12]
            return f"uploaded image {v.shape[1]}x{v.shape[0]} sha256:{digest}"
        if isinstance(v, dict):
            return "; ".join(f"{k}={one(x)}" for k, x in v.items())
        return v

    return {k: one(v) for k, v in params.items()}


def layer_from_result(
    layer_id: int,
    segment: str,
    editor: str,
    params: dict[str, Any],
    seed: int | None,
    before: np.ndarray,
    after: np.ndarray,
    seconds: float,
    models: tuple[str, ...] = (),
    generative: bool = False,
) -> Layer:
    """Keep only what changed between ``before`` and ``after`` (both RGB uint8, same size). ``generative``: the
    editor's own flag (its result holds pixels made by a trained generative model)."""
    d: np.ndarray = np.asarray(
        cv2.absdiff(before, after), np.uint8
    )  # the channels ORed: ~15x faster than np.any(before != after, axis=2) on 12 MP
    diff = (d[..., 0] | d[..., 1] | d[..., 2]) > 0
    del d
    box = mask_bbox(diff)
    if box is None:
        x0 = y0 = 0
        x1 = y1 = 1
    else:
        x0, y0, x1, y1 = (int(v) for v in box)
    sl = (slice(y0, y1), slice(x0, x1))
    return Layer(
        layer_id,
        segment,
        editor,
        recordable_params(params),
        seed,
        (x0, y0, x1, y1),
        diff[sl].copy(),
        after[sl].copy(),
        seconds,
        models,
        generative=bool(generative),
    )


def _merge(base: Layer, layer: Layer) -> Layer:
    """``layer`` pasted over ``base`` as one layer (``base`` is updated in place when it covers ``layer``'s box)."""
    bx0, by0, bx1, by1 = base.box
    lx0, ly0, lx1, ly1 = layer.box
    box = (min(bx0, lx0), min(by0, ly0), max(bx1, lx1), max(by1, ly1))
    if box != base.box:
        x0, y0, x1, y1 = box
        changed = np.zeros((y1 - y0, x1 - x0), bool)
        pixels = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
        sl = (slice(by0 - y0, by1 - y0), slice(bx0 - x0, bx1 - x0))
        changed[sl], pixels[sl] = base.changed, base.pixels
        base = Layer(0, "merged", "merged", {}, None, box, changed, pixels, base.seconds, generative=base.generative)
    x0, y0 = base.box[:2]
    base.generative = base.generative or layer.generative
    sl = (slice(ly0 - y0, ly1 - y0), slice(lx0 - x0, lx1 - x0))
    base.changed[sl] |= layer.changed
    np.copyto(base.pixels[sl], layer.pixels, where=layer.changed[..., None])
    base.seconds += layer.seconds
    return base


@dataclass
class LayerStack:
    layers: list[Layer] = field(default_factory=list)
    redo_stack: list[Layer] = field(default_factory=list)
    max_layers: int = 0  # 0: unbounded; else the oldest layers beyond it are merged into ``base``
    base: Layer | None = None  # the merged oldest layers (pasted first; cannot be undone)
    merged: int = 0  # how many layers were merged into ``base``
    history: list = field(default_factory=list)  # provenance records of the merged visible layers (capped)
    _next_id: int = 1
    _cache_key: tuple = ()
    _cache: np.ndarray | None = None

    def next_id(self) -> int:
        n = self._next_id
        self._next_id += 1
        return n

    def push(self, layer: Layer) -> None:
        on_top = self._cache_is_current()
        self.layers.append(layer)
        self.redo_stack.clear()
        while self.max_layers > 0 and len(self.layers) > self.max_layers:
            oldest = self.layers.pop(0)
            if oldest.visible:
                from studio.provenance import face_edit_of, layer_record

                if len(self.history) < MAX_HISTORY or face_edit_of(oldest.editor) is not None:
                    self.history.append(layer_record(oldest))  # what it did stays in the export's manifest
            if oldest.visible and self.base is None:  # a copy: the base is then updated in place
                self.base = Layer(
                    0,
                    "merged",
                    "merged",
                    {},
                    None,
                    oldest.box,
                    oldest.changed.copy(),
                    oldest.pixels.copy(),
                    oldest.seconds,
                    generative=oldest.generative,
                )
            elif oldest.visible and self.base is not None:
                self.base = _merge(self.base, oldest)
            self.merged += 1
        if on_top and layer.visible:
            self._paste_on_cache(layer)

    def _key(self, photo_id: Any) -> tuple:
        return (photo_id, self.merged) + tuple(layer.id for layer in self.layers if layer.visible)

    def _cache_is_current(self) -> bool:
        return self._cache is not None and self._cache_key == self._key(self._cache_key[0])

    def _paste_on_cache(self, layer: Layer) -> None:
        """The cached render plus one new top layer (merging the oldest changes nothing that is shown), so an
        edit costs one paste instead of re-pasting every layer."""
        assert self._cache is not None
        out = self._cache.copy()
        x0, y0, x1, y1 = layer.box
        np.copyto(out[y0:y1, x0:x1], layer.pixels, where=layer.changed[..., None])
        out.setflags(write=False)
        self._cache_key, self._cache = self._key(self._cache_key[0]), out

    def undo(self) -> Layer:
        if not self.layers:
            merged = f" (the {self.merged} oldest are merged into the photo)" if self.merged else ""
            raise BadInput(f"no edit to undo{merged}")
        layer = self.layers.pop()
        self.redo_stack.append(layer)
        return layer

    def redo(self) -> Layer:
        if not self.redo_stack:
            raise BadInput("no edit to redo")
        on_top = self._cache_is_current()
        layer = self.redo_stack.pop()
        self.layers.append(layer)
        if on_top and layer.visible:
            self._paste_on_cache(layer)
        return layer

    def set_visible(self, visible_ids: set[int]) -> None:
        for layer in self.layers:
            layer.visible = layer.id in visible_ids

    def render(self, photo: Photo) -> np.ndarray:
        """The photo with every visible layer pasted in order (cached; treat the result as read-only)."""
        key = self._key(photo.id)
        if self._cache is not None and key == self._cache_key:
            return self._cache
        out = photo.pixels.copy()
        for layer in ([self.base] if self.base is not None else []) + self.layers:
            if layer.visible:
                x0, y0, x1, y1 = layer.box
                region = out[y0:y1, x0:x1]
                np.copyto(region, layer.pixels, where=layer.changed[..., None])
        out.setflags(write=False)
        self._cache_key, self._cache = key, out
        return out

    def clear(self) -> None:
        self.layers.clear()
        self.redo_stack.clear()
        self.base, self.merged = None, 0
        self.history.clear()
        self._cache, self._cache_key = None, ()


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


__all__ = ["Box", "Layer", "LayerStack", "combine", "grow_shrink", "layer_from_result"]
