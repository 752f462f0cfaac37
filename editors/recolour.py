"""Recolour: change hue, saturation and lightness under the mask, or paint it a target colour.

Works in CIE Lab / LCh, so the segment's own lightness variation (shading, folds, texture) stays:
- shift mode (no ``target``): rotate the hue by ``hue_shift`` degrees, multiply chroma by
  ``saturation``, add ``lightness`` to L (softly compressed so highlights and shadows do not clip);
- target mode (``target='#1e90ff'``): chroma and hue are replaced by the target's (scaled down towards
  black and white so dark folds stay dark and in gamut), and L is shifted so the segment's mean
  lightness moves to the target's while its local variation (detail) is kept; a little of the
  original colour variation is kept too. ``saturation`` and ``lightness`` still apply on top.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from core.composite import lab_to_rgb, rgb_to_lab
from core.errors import BadInput
from editors.registry import EDITORS
from editors.base import CLASSICAL, FEATHER, CropEditor, Param, Provenance

STRIP_PIXELS = 2_000_000  # bigger crops are recoloured in strips of rows of about this many pixels (memory)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def parse_hex(text: str) -> np.ndarray:
    """'#1e90ff' / '1e90ff' / '#18f' -> RGB uint8 (3,); raises BadInput."""
    m = _HEX.match(text.strip())
    if not m:
        raise BadInput(f"recolour: target colour {text!r} must be a hex colour like '#1e90ff'")
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], np.uint8)


def _soft_l(L: np.ndarray) -> np.ndarray:
    """Compress L smoothly into (0, 100) instead of clipping (keeps detail in highlights/shadows)."""
    lo, hi = 8.0, 92.0
    out = L.copy()
    over, under = L > hi, L < lo
    out[over] = hi + (100 - hi) * np.tanh((L[over] - hi) / (100 - hi))
    out[under] = lo - lo * np.tanh((lo - L[under]) / lo)
    return out


class RecolourEditor(CropEditor):
    name = "recolour"
    label = "Recolour (hue / saturation / lightness or a target colour)"
    provenance = Provenance(generative=False, models=CLASSICAL, c2pa_action="c2pa.color_adjustments")
    work_mb, crop_bytes = 300.0, 40.0  # peak memory estimate (editors.base.CropEditor)
    params_schema = {
        "target": Param(str, None, help="target colour as hex '#rrggbb'; empty = shift mode"),
        "hue_shift": Param(float, 0.0, -180.0, 180.0, help="hue rotation in degrees"),
        "saturation": Param(float, 1.0, 0.0, 3.0, help="chroma multiplier (0 = grey, 1 = unchanged)"),
        "lightness": Param(float, 0.0, -60.0, 60.0, help="lightness shift in L* units (-60..60)"),
        "keep_variation": Param(
            float, 0.35, 0.0, 1.0, help="target mode: how much of the original colour variation to keep"
        ),
        "strength": Param(float, 1.0, 0.0, 1.0, help="blend between the original (0) and the recolour (1)"),
        "feather": FEATHER,
    }

    def work_shape(self, h: int, w: int, params: dict[str, Any]) -> tuple[int, int]:
        return (h, w) if h * w <= STRIP_PIXELS else (min(h, max(1, STRIP_PIXELS // w)), w)

    def process(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = mask.shape
        if h * w <= STRIP_PIXELS:
            return self._recolour(crop, mask, p, None)
        # big crops (24 MP photos): the same per-pixel maths in strips of rows, so the float Lab copies
        # (about 80 bytes per pixel) exist for one strip at a time; target mode's segment means come first
        rows = self.work_shape(h, w, p)[0]
        strips = [(y, min(h, y + rows)) for y in range(0, h, rows)]
        means = None
        if p["target"]:
            total, count = np.zeros(3, np.float64), 0
            for y0, y1 in strips:
                m = mask[y0:y1]
                if m.any():
                    total += rgb_to_lab(crop[y0:y1])[m].sum(0, dtype=np.float64)
                    count += int(m.sum())
            means = total / max(count, 1)
        out = np.empty_like(crop)
        for y0, y1 in strips:
            out[y0:y1] = self._recolour(crop[y0:y1], mask[y0:y1], p, means)
        return out

    def _recolour(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], means: np.ndarray | None) -> np.ndarray:
        lab = rgb_to_lab(crop)
        L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
        target = p["target"]
        if target:
            t = rgb_to_lab(parse_hex(target)[None, None])[0, 0]
            if means is None:
                mean_l = float(L[mask].mean())
                mean_a, mean_b = float(a[mask].mean()), float(b[mask].mean())
            else:
                mean_l, mean_a, mean_b = (float(v) for v in means)
            L2 = _soft_l(L + (t[0] - mean_l))
            # chroma fades towards black/white the way real dyed surfaces do, relative to the target's L
            room_t = max(min(t[0], 100 - t[0]), 1.0)
            room = np.clip(np.minimum(L2, 100 - L2) / room_t, 0, 1.15) ** 0.7
            k = p["keep_variation"]
            a2 = t[1] * room + k * (a - mean_a)
            b2 = t[2] * room + k * (b - mean_b)
        else:
            L2, a2, b2 = L, a, b
        if p["hue_shift"] or p["saturation"] != 1.0:
            ang = np.radians(p["hue_shift"])
            c, s = np.cos(ang), np.sin(ang)
            a2, b2 = (a2 * c - b2 * s) * p["saturation"], (a2 * s + b2 * c) * p["saturation"]
        if p["lightness"]:
            L2 = _soft_l(L2 + p["lightness"])
        out = np.stack([L2, a2, b2], -1)
        if p["strength"] < 1.0:
            out = lab + p["strength"] * (out - lab)
        return lab_to_rgb(out)


@EDITORS.register("recolour")
def build_recolour(manager=None) -> RecolourEditor:
    return RecolourEditor()
