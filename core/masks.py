"""Mask helpers: resizing, cleaning, and drawing masks over a photo preview.

Masks are bool HxW at the photo's size; images RGB uint8 HxWx3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from core.types import Box, Point, mask_bbox

# Distinct, readable colours for segment overlays (RGB).
PALETTE: tuple[tuple[int, int, int], ...] = (
    (30, 144, 255),
    (255, 99, 71),
    (50, 205, 50),
    (255, 215, 0),
    (186, 85, 211),
    (0, 206, 209),
    (255, 140, 0),
    (240, 128, 128),
)


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a bool mask to ``width`` x ``height`` (area-averaged when shrinking, smooth when enlarging)."""
    if mask.shape == (height, width):
        return mask.copy()
    shrinking = width * height < mask.shape[0] * mask.shape[1]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    # 0/1 uint8 in, 0/1 uint8 out: OpenCV rounds the average, which is the >= 0.5 threshold (and 4x faster
    # than float32)
    out = cv2.resize(np.ascontiguousarray(mask).view(np.uint8), (width, height), interpolation=interp)
    return out.astype(bool)


def shrink_for_display(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """A bool mask shrunk to ``width`` x ``height`` for display (the labelled parts' legend): as `resize_mask`
    (area average >= 0.5), with a whole-number area reduction first when the mask is at least three times as big.

    OpenCV's area resize by a whole factor takes a fast path, by any other factor a general one: a 24 MP mask
    to a 1280 px preview took 40 ms, 2.5x more than the two steps, on each of a group photo's 40-odd parts at every
    upload. The two steps differ from one only by rounding on a few edge pixels (mean 0.002 %, at most 0.015 % of
    the preview's pixels over a 24 MP group photo's 43 parts): nothing computed from the masks uses these, only the eye."""
    # the second step shrinks at least 1.5x (a step near 1x blurs each edge over a pixel more: 0.18 % of the
    # pixels moved with a 0.8x second step, 0.02 % with 1.05x, 0.012 % with 1.57x); the whole factor divides both
    # sides (the fast path needs it, and a crop to its multiples would shift the whole picture by a fraction of a
    # display pixel: 0.4 % moved); phone photos' sides are multiples of 4 or 8
    scale = min(mask.shape[1] / max(1, width), mask.shape[0] / max(1, height))
    top = int(scale / 1.5)
    f = next((f for f in range(top, 1, -1) if mask.shape[0] % f == 0 and mask.shape[1] % f == 0), 1)
    if f < 2:
        return resize_mask(mask, width, height)
    grey = np.ascontiguousarray(mask, dtype=bool).view(np.uint8) * np.uint8(255)
    step = cv2.resize(grey, (mask.shape[1] // f, mask.shape[0] // f), interpolation=cv2.INTER_AREA)
    return cv2.resize(step, (width, height), interpolation=cv2.INTER_AREA) >= 128


def resize_logits(logits: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a float map to ``width`` x ``height``; threshold the result at 0 for a mask."""
    return cv2.resize(logits.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def keep_components(mask: np.ndarray, seeds: Sequence[tuple[int, int]]) -> np.ndarray:
    """Keep only the connected components of ``mask`` that contain one of the ``(x, y)`` seeds."""
    if not seeds:
        return mask
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = {int(labels[y, x]) for x, y in seeds if 0 <= y < mask.shape[0] and 0 <= x < mask.shape[1]}
    keep.discard(0)
    if not keep:
        return mask
    return np.isin(labels, list(keep))


def fill_holes(mask: np.ndarray, max_hole_fraction: float = 0.01) -> np.ndarray:
    """Fill enclosed holes smaller than ``max_hole_fraction`` of the mask's area."""
    inv = (~mask).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    out = mask.copy()
    limit = max(1, int(mask.sum() * max_hole_fraction))
    h, w = mask.shape
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches_border = x == 0 or y == 0 or x + bw == w or y + bh == h
        if not touches_border and area <= limit:
            out[labels == i] = True
    return out


def render_overlay(
    preview: np.ndarray,
    masks: Iterable[tuple[np.ndarray, tuple[int, int, int], bool]],
    points: Sequence[Point] = (),
    box: Box | None = None,
    scale: float = 1.0,
) -> np.ndarray:
    """Draw masks over a preview image.

    ``masks`` yields ``(mask, colour, active)``; masks may be at full size, they are resized to the preview.
    The active mask is filled at 50 % with a solid outline; others get a light tint and outline.
    ``points`` and ``box`` are in photo pixels and drawn scaled by ``scale``.
    """
    img = preview.copy()
    h, w = img.shape[:2]
    contours_to_draw = []
    for mask, colour, active in masks:
        small = resize_mask(mask, w, h)
        bbox = mask_bbox(small)
        if bbox is None:
            continue
        x0, y0, x1, y1 = (int(v) for v in bbox)
        region, inside = img[y0:y1, x0:x1], small[y0:y1, x0:x1]
        alpha = 0.5 if active else 0.22
        tinted = cv2.addWeighted(region, 1 - alpha, np.full_like(region, colour), alpha, 0)
        np.copyto(region, tinted, where=inside[:, :, None])
        contours, _ = cv2.findContours(
            inside.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=(x0, y0)
        )
        contours_to_draw.append((contours, colour, 2 if active else 1))
    for contours, colour, thickness in contours_to_draw:
        cv2.drawContours(img, contours, -1, tuple(int(c) for c in colour), thickness, lineType=cv2.LINE_AA)
    if box is not None:
        x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
        cv2.rectangle(img, (x0, y0), (x1, y1), (255, 255, 255), 3, lineType=cv2.LINE_AA)
        cv2.rectangle(img, (x0, y0), (x1, y1), (20, 20, 20), 1, lineType=cv2.LINE_AA)
    radius = max(5, int(round(min(h, w) / 90)))
    for p in points:
        c = (int(round(p.x * scale)), int(round(p.y * scale)))
        colour = (40, 200, 60) if p.positive else (230, 40, 40)
        cv2.circle(img, c, radius + 2, (255, 255, 255), -1, lineType=cv2.LINE_AA)
        cv2.circle(img, c, radius, colour, -1, lineType=cv2.LINE_AA)
        arm = max(2, radius // 2)
        cv2.line(img, (c[0] - arm, c[1]), (c[0] + arm, c[1]), (255, 255, 255), 2)
        if p.positive:
            cv2.line(img, (c[0], c[1] - arm), (c[0], c[1] + arm), (255, 255, 255), 2)
    return img


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Shrink an RGB image so its longer side is at most ``max_side``; return it and the factor used."""
    h, w = image.shape[:2]
    s = min(1.0, max_side / max(h, w))
    if s >= 1.0:
        return image, 1.0
    size = (max(1, int(round(w * s))), max(1, int(round(h * s))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), s
