"""Recolour: change hue, saturation and lightness under the mask, or paint it a target colour.

Works in CIE Lab / LCh, so the segment's own lightness variation (shading, folds, texture) stays:
- shift mode (no ``target``): rotate the hue by ``hue_shift`` degrees, multiply chroma by
  ``saturation``, add ``lightness`` to L (softly compressed so highlights and shadows do not clip);
- target mode (``target='#1e90ff'``): every pixel takes the target's hue exactly and the target's chroma
  (scaled down towards black and white so dark folds stay dark), and L is shifted so the segment's mean
  lightness moves to the target's while its local variation (shading, detail) is kept; ``keep_variation``
  keeps some of the original *chroma* variation (a vivid stripe stays a little more vivid than a dull one),
  never its hue: round 24's drive painted a red-and-black motorbike "blue" and got purple paint, because the
  old rule added ``k * (a - mean_a, b - mean_b)``, which carries a strongly coloured part's own hue (the red)
  into the result. Colours outside sRGB lose chroma at their hue and lightness (bisection) instead of being
  clipped per channel, which turns hues (a light blue clipped to cyan). ``saturation`` and ``lightness``
  still apply on top.
"""

from __future__ import annotations

import re
from typing import Any

import cv2
import numpy as np

from core.composite import lab_to_rgb, rgb_to_lab
from core.errors import BadInput
from editors.registry import EDITORS
from editors.base import CLASSICAL, FEATHER, CropEditor, Param, Provenance

STRIP_PIXELS = 2_000_000  # bigger crops are recoloured in strips of rows of about this many pixels (memory)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
# target mode: a pixel's chroma stays within these multiples of the target's (after the fade to black / white),
# whatever the original chroma's variation adds or takes (a grey tyre in a red segment still turns a dull blue)
VARIATION_RANGE = (0.5, 1.5)
GAMUT_STEPS, GAMUT_TOL = 14, 0.5  # bisection steps of the gamut's chroma (150 / 2**14); Delta E still "in gamut"
_GAMUT_L = np.linspace(0.0, 100.0, 401)  # the L grid of the gamut's edge at the target's hue (interpolated between)


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


def _max_chroma(cos_h: float, sin_h: float) -> np.ndarray:
    """The most chroma sRGB holds at the hue (cos, sin) for L = ``_GAMUT_L``: (len(_GAMUT_L),) float32 (a bisection of
    ``GAMUT_STEPS`` steps; "inside" = OpenCV's Lab -> RGB, which clips R, G, B, and back moves it < ``GAMUT_TOL``)."""
    lo, hi = np.zeros(len(_GAMUT_L), np.float32), np.full(len(_GAMUT_L), 150.0, np.float32)
    for _ in range(GAMUT_STEPS):
        mid = (lo + hi) / 2
        lab = np.stack([_GAMUT_L, mid * cos_h, mid * sin_h], -1)[:, None].astype(np.float32)
        back = cv2.cvtColor(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), cv2.COLOR_RGB2Lab)
        inside = ((back - lab) ** 2).sum(-1)[:, 0] <= GAMUT_TOL**2
        lo, hi = np.where(inside, mid, lo), np.where(inside, hi, mid)
    return lo


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
            float, 0.35, 0.0, 1.0, help="target mode: how much of the original chroma variation to keep (never its hue)"
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
            total, count = np.zeros(4, np.float64), 0  # mean L, a, b, chroma
            for y0, y1 in strips:
                m = mask[y0:y1]
                if m.any():
                    lab = rgb_to_lab(crop[y0:y1])[m]
                    total[:3] += lab.sum(0, dtype=np.float64)
                    total[3] += np.hypot(lab[:, 1], lab[:, 2]).sum(dtype=np.float64)
                    count += int(m.sum())
            means = total / max(count, 1)
        out = np.empty_like(crop)
        for y0, y1 in strips:
            out[y0:y1] = self._recolour(crop[y0:y1], mask[y0:y1], p, means)
        return out

    def _recolour(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], means: np.ndarray | None) -> np.ndarray:
        lab = rgb_to_lab(crop)
        if p["target"]:
            out = self._to_target(lab, mask, p, means)
        else:
            L2, a2, b2 = lab[..., 0], lab[..., 1], lab[..., 2]
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

    @staticmethod
    def _to_target(lab: np.ndarray, mask: np.ndarray, p: dict[str, Any], means: np.ndarray | None) -> np.ndarray:
        """Target mode (module docstring): Lab (HxWx3) -> the recoloured Lab, one hue for every pixel."""
        L = lab[..., 0]
        C = np.hypot(lab[..., 1], lab[..., 2])
        t = rgb_to_lab(parse_hex(p["target"])[None, None])[0, 0]
        mean_l, mean_c = (float(L[mask].mean()), float(C[mask].mean())) if means is None else (means[0], means[3])
        L2 = _soft_l(L + (t[0] - mean_l))
        # chroma fades towards black/white the way real dyed surfaces do, relative to the target's L
        room_t = max(min(t[0], 100 - t[0]), 1.0)
        base = float(np.hypot(t[1], t[2])) * np.clip(np.minimum(L2, 100 - L2) / room_t, 0, 1.15) ** 0.7
        # the original chroma's variation around the segment's mean chroma, radially: the hue is the target's alone
        c2 = np.clip(base + p["keep_variation"] * (C - mean_c), VARIATION_RANGE[0] * base, VARIATION_RANGE[1] * base)
        if p["saturation"] != 1.0:
            c2 *= p["saturation"]
        if p["lightness"]:
            L2 = _soft_l(L2 + p["lightness"])
        ang = float(np.arctan2(t[2], t[1]) + np.radians(p["hue_shift"]))
        cos_h, sin_h = np.cos(ang), np.sin(ang)
        # colours beyond sRGB lose chroma down to the gamut's edge at their L and hue, instead of lab_to_rgb
        # clipping R, G, B one by one (which turns the hue: a light blue clipped towards cyan)
        np.minimum(c2, np.interp(L2, _GAMUT_L, _max_chroma(cos_h, sin_h)).astype(np.float32), out=c2)
        return np.stack([L2, c2 * cos_h, c2 * sin_h], -1)


@EDITORS.register("recolour")
def build_recolour(manager=None) -> RecolourEditor:
    return RecolourEditor()
