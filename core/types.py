"""The types that cross every boundary.

Conventions (everywhere in Facet):
- images are RGB ``uint8`` arrays of shape ``(H, W, 3)``, EXIF-upright, at the photo's full size;
- masks are ``bool`` arrays of shape ``(H, W)``, the photo's size;
- points are ``(x, y)`` in the photo's own pixels (x to the right, y down);
- boxes are ``(x0, y0, x1, y1)`` (XYXY) in the photo's own pixels, inclusive-exclusive.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import BadInput


OPAQUE_FROM = 128  # a transparent upload's alpha (Photo.opacity) from which a pixel belongs to the picture


def opaque_area(opacity: np.ndarray | None) -> np.ndarray | None:
    """Where a transparent upload shows its picture (bool HxW: alpha >= `OPAQUE_FROM`, a mask file's own > 127 rule);
    None for a photo without transparency (all of it is the picture). No part, click or edit mask reaches outside it."""
    return None if opacity is None else opacity >= OPAQUE_FROM


@dataclass(frozen=True, eq=False)
class Photo:
    """An uploaded photo: RGB uint8 HxWx3, upright, at the original resolution."""

    pixels: np.ndarray
    name: str = "photo"
    icc_profile: bytes | None = None
    notes: tuple[str, ...] = ()  # what loading did to the file (first frame of an animation, 16-bit scaled, ...)
    id: str = field(default="")
    source_sha256: str = ""  # SHA-256 of the uploaded file's bytes (the ingredient of an export's Content Credentials)
    source_format: str = ""  # the uploaded file's format as PIL names it (JPEG, PNG, ...)
    # the file's alpha (uint8 HxW, 0 = transparent) where some pixel was not opaque, else None: its transparent
    # area was placed on white (core/photo.py) and an edit leaves it as it is outside the part (core/composite.py)
    opacity: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        px = self.pixels
        if not (isinstance(px, np.ndarray) and px.dtype == np.uint8 and px.ndim == 3 and px.shape[2] == 3):
            raise TypeError("Photo.pixels must be an RGB uint8 array of shape (H, W, 3)")
        px.setflags(write=False)
        if self.opacity is not None:
            op = self.opacity
            if not (isinstance(op, np.ndarray) and op.dtype == np.uint8 and op.shape == px.shape[:2]):
                raise TypeError("Photo.opacity must be a uint8 array of the photo's height and width")
            op.setflags(write=False)
        if not self.id:
            digest = hashlib.sha1(np.ascontiguousarray(px).data, usedforsecurity=False)
            digest.update(repr(px.shape).encode())
            object.__setattr__(self, "id", digest.hexdigest()[:16])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


@dataclass(frozen=True)
class Point:
    """A click in photo pixels; ``positive`` includes the spot, negative excludes it."""

    x: float
    y: float
    positive: bool = True


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ClickPrompt:
    """What the user has said about one segment so far: clicks and at most one box."""

    points: tuple[Point, ...] = ()
    box: Box | None = None

    @property
    def empty(self) -> bool:
        return not self.points and self.box is None

    def validate(self, width: int, height: int) -> None:
        """Raise ``BadInput`` when a point or the box lies outside a ``width`` x ``height`` photo."""
        for p in self.points:
            if not (0 <= p.x < width and 0 <= p.y < height):
                raise BadInput(f"point ({p.x:g}, {p.y:g}) is outside the {width}x{height} photo")
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
                raise BadInput(
                    f"box {tuple(round(v) for v in self.box)} must satisfy 0 <= x0 < x1 <= {width} "
                    f"and 0 <= y0 < y1 <= {height}"
                )


@dataclass(frozen=True, eq=False)
class MaskResult:
    """A segmenter's answer for one prompt."""

    mask: np.ndarray  # bool HxW, the photo's size
    backend: str  # which backend made it, e.g. "sam (Zigeng/SlimSAM-uniform-77)" or "grabcut (offline)"
    seconds: float
    score: float | None = None  # predicted IoU or None
    state: Any = None  # backend-private data fed back on the next click (SAM's low-res logits)
    alpha: np.ndarray | None = None  # optional soft edge: float32 HxW in [0, 1], ``mask == (alpha >= 0.5)``
    model_ids: tuple[str, ...] = ()  # the trained models that made it (``repo@rev8``); empty: a classical backend


def mask_bbox(mask: np.ndarray) -> Box | None:
    """XYXY box of the True pixels, or None for an empty mask."""
    ys = np.flatnonzero(mask.any(axis=1))
    if ys.size == 0:
        return None
    xs = np.flatnonzero(mask.any(axis=0))
    return (float(xs[0]), float(ys[0]), float(xs[-1] + 1), float(ys[-1] + 1))


@dataclass(eq=False)
class Segment:
    """A named part of the photo: its mask plus how it was made (so it can be refined again)."""

    id: int
    label: str
    mask: np.ndarray
    source: str = ""
    score: float | None = None
    prompt: ClickPrompt = ClickPrompt()
    history: list[tuple[ClickPrompt, MaskResult | None, np.ndarray]] = field(default_factory=list)
    last: MaskResult | None = None
    base: np.ndarray | None = None  # a labelled part or combined mask that clicks refine (None: clicks only)
    # optional soft edge of ``mask`` (float32 HxW in [0, 1]: hair, fur, leaves get values in between); it
    # belongs to the mask array it was made with, so a mask changed later (clicks, undo, grow) simply has none
    alpha: np.ndarray | None = None
    _alpha_of: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.alpha is not None:
            self.set_alpha(self.alpha)

    def set_alpha(self, alpha: np.ndarray | None) -> None:
        """Attach a soft edge to the current ``mask`` (None removes it)."""
        if alpha is not None and alpha.shape != self.mask.shape:
            raise ValueError(f"alpha is {alpha.shape}, the mask {self.mask.shape}")
        self.alpha, self._alpha_of = alpha, (self.mask if alpha is not None else None)

    @property
    def edge_alpha(self) -> np.ndarray | None:
        """The soft edge for compositing when it still belongs to ``mask``; None otherwise (use the bool mask)."""
        return self.alpha if self.alpha is not None and self._alpha_of is self.mask else None

    @property
    def bbox(self) -> Box | None:
        return mask_bbox(self.mask)

    @property
    def area(self) -> int:
        return int(self.mask.sum())
