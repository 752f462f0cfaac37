"""Sky presets: replace the selected sky with a procedural one (winter, stormy, toxic, sunset, cartoon).

The new sky is a vertical colour gradient (top of the sky -> its horizon, measured on the mask) plus
seeded fractal-noise clouds, flattened towards the horizon and lit from above (from below at sunset).
The original sky's own luminance structure is kept on top (``keep_structure``: a high-pass of its L,
so existing clouds and haze detail show through), then composited with a feather.
Same seed, same sky.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from core.composite import check_mask, lab_to_rgb, masked_blur, rgb_to_lab
from editors import EDITORS
from editors.base import FEATHER, CropEditor, Param, as_pixels, validate_params


@dataclass(frozen=True)
class SkyPreset:
    top: str  # colour at the top of the sky
    mid: str  # colour half way down
    horizon: str  # colour at the horizon
    cloud: str  # lit side of the clouds
    cloud_shadow: str  # shaded side
    cover: float  # 0..1, how much of the sky is cloud
    softness: float  # cloud edge softness (0 = hard)
    lit_from_below: bool = False
    snow: bool = False
    bands: int = 0  # > 0: flat cartoon colour bands
    outline: bool = False
    sun: str | None = None  # colour of a low sun glow
    keep_structure: float = 0.5  # default share of the original sky's detail


PRESETS: dict[str, SkyPreset] = {
    "winter": SkyPreset("#8fa3b8", "#c3cfdb", "#e8edf1", "#f4f6f8", "#aab4c0", 0.65, 0.35, snow=True),
    "stormy": SkyPreset("#262c35", "#3f4853", "#6f777f", "#56606b", "#1c2128", 0.85, 0.7),
    "toxic": SkyPreset("#1e3314", "#6f9a1e", "#d6e85a", "#c8e04c", "#3d5a12", 0.45, 0.3),
    "sunset": SkyPreset("#2b2f6b", "#c2557a", "#ffb347", "#ff9a6a", "#6b3b6e", 0.35, 0.3,
                        lit_from_below=True, sun="#fff1b8"),
    "cartoon": SkyPreset("#1f7ae0", "#48a2f0", "#a6d8f7", "#ffffff", "#c9def0", 0.3, 0.0, bands=5, outline=True,
                         keep_structure=0.0),
}


def _col(hexstr: str) -> np.ndarray:
    h = hexstr.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], np.float32)


def fractal_noise(rng: np.random.Generator, h: int, w: int, base: float, octaves: int = 5,
                  stretch: float = 2.5) -> np.ndarray:
    """Seeded fractal noise, ~zero mean / unit std; features ``base`` px tall and ``stretch`` x wider."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cell_y = max(2.0, base / 2**o)
        cell_x = cell_y * stretch
        gh, gw = int(h / cell_y) + 3, int(w / cell_x) + 3
        grid = rng.standard_normal((gh, gw)).astype(np.float32)
        up = cv2.resize(grid, (int(gw * cell_x), int(gh * cell_y)), interpolation=cv2.INTER_CUBIC)
        oy, ox = rng.integers(0, max(1, up.shape[0] - h)), rng.integers(0, max(1, up.shape[1] - w))
        out += amp * up[oy:oy + h, ox:ox + w]
        total += amp
        amp *= 0.5
    out /= total
    return (out - out.mean()) / (out.std() + 1e-6)


def _shift_rows(a: np.ndarray, k: int) -> np.ndarray:
    """``a`` moved down by ``k`` rows (up if negative), edge rows repeated (no wrap-around)."""
    if k == 0:
        return a
    if k > 0:
        return np.concatenate([np.repeat(a[:1], k, 0), a[:-k]], 0)
    return np.concatenate([a[-k:], np.repeat(a[-1:], -k, 0)], 0)


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / max(e1 - e0, 1e-6), 0, 1)
    return t * t * (3 - 2 * t)


class SkyEditor(CropEditor):
    name = "sky"
    label = "Sky presets (winter, stormy, toxic, sunset, cartoon)"
    work_mb, crop_bytes = 150.0, 150.0  # peak memory estimate (editors.base.CropEditor)
    params_schema = {
        "preset": Param(str, "sunset", choices=tuple(PRESETS), help="which sky"),
        "clouds": Param(float, -1.0, -1.0, 1.0, help="cloud cover 0..1; -1 = the preset's"),
        "keep_structure": Param(float, -1.0, -1.0, 1.0,
                                help="how much of the original sky's detail shows through; -1 = the preset's"),
        "horizon_fade": Param(float, 0.12, 0.0, 0.5,
                              help="fade towards the original haze over this share of the sky's height"),
        "strength": Param(float, 1.0, 0.0, 1.0, help="blend between the original (0) and the new sky (1)"),
        "rim": Param(float, 0.0, -1.0, 32.0, help="cover a thin rim of the old sky left just outside the selection "
                                                 "(a halo along roofs and leaves) with the foreground next to it, "
                                                 "up to this many px; -1 = automatic, 0 = off"),
        "feather": FEATHER,
    }

    def process(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        pre = PRESETS[p["preset"]]
        h, w = mask.shape
        rows = np.flatnonzero(mask.any(axis=1))
        y_top, y_bot = float(rows[0]), float(rows[-1] + 1)
        ys = np.arange(h, dtype=np.float32)[:, None]
        t = np.clip((ys - y_top) / max(y_bot - y_top, 1.0), 0, 1)  # 0 at the top of the sky, 1 at its horizon
        t = np.broadcast_to(t, (h, w)).astype(np.float32)

        # gradient top -> mid -> horizon
        top, mid, hor = _col(pre.top), _col(pre.mid), _col(pre.horizon)
        g = t[..., None]
        sky = np.where(g < 0.5, top + (mid - top) * (g / 0.5), mid + (hor - mid) * ((g - 0.5) / 0.5))
        if pre.bands:
            tb = np.floor(t * pre.bands) / max(pre.bands - 1, 1)
            tb = tb[..., None]
            sky = np.where(tb < 0.5, top + (mid - top) * (tb / 0.5), mid + (hor - mid) * ((tb - 0.5) / 0.5))
        if pre.sun:
            sx = rng.uniform(0.25, 0.75) * w
            d = np.hypot((np.arange(w)[None, :] - sx) / w, (ys - y_bot) / max(y_bot - y_top, 1.0) * 1.5)
            glow = np.exp(-(d / 0.18) ** 2)[..., None]
            sky = sky + (_col(pre.sun) - sky) * 0.85 * glow

        # clouds: fractal noise, thinner towards the horizon (perspective), lit from one side
        cover = pre.cover if p["clouds"] < 0 else p["clouds"]
        if cover > 0:
            base = max(8.0, 0.18 * (y_bot - y_top))
            n = fractal_noise(rng, h, w, base, octaves=3 if pre.bands else 5)
            n = n * (1.0 - 0.35 * t) + 0.25 * (1 - t)  # a little denser up high, flatter at the horizon
            thr = float(np.quantile(n[mask], 1.0 - cover)) if mask.any() else 0.0
            soft = max(pre.softness, 0.02)
            c = smoothstep(thr - soft, thr + soft, n)
            shift = max(2, int(0.25 * base))
            shifted = _shift_rows(n, shift if not pre.lit_from_below else -shift)
            light = np.clip(0.5 + (n - shifted) * 0.8, 0, 1)[..., None]  # thicker above -> brighter edge
            ccol = _col(pre.cloud_shadow) + (_col(pre.cloud) - _col(pre.cloud_shadow)) * light
            if pre.bands:
                c = (c > 0.5).astype(np.float32)
                below = _shift_rows(c, -shift)  # flat shade on the underside of each cloud
                ccol = np.where(((c > 0) & (below == 0))[..., None], _col(pre.cloud_shadow), _col(pre.cloud))
            sky = sky + (ccol - sky) * c[..., None]
            if pre.outline:
                k = max(3, int(round(max(h, w) / 400)) * 2 + 1)
                edge = cv2.morphologyEx(c.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((k, k), np.uint8))
                line = cv2.GaussianBlur(edge.astype(np.float32), (0, 0), 0.8)[..., None]
                sky = sky + (_col("#2a4a70") - sky) * np.clip(line * 1.3, 0, 1)

        if pre.snow:
            sky = self._snow(sky, rng, h, w)

        new = np.clip(sky + 0.5, 0, 255).astype(np.uint8)
        # keep the original sky's luminance structure (high-pass of its L)
        lab_o = rgb_to_lab(crop)
        lab_n = rgb_to_lab(new)
        keep = pre.keep_structure if p["keep_structure"] < 0 else p["keep_structure"]
        if keep > 0:
            size = np.sqrt(float(mask.sum()))
            L = lab_o[..., 0]
            detail = L - masked_blur(L, mask.astype(np.float32), max(2.0, 0.05 * size))
            lab_n[..., 0] = np.clip(lab_n[..., 0] + keep * detail, 0, 100)
        if p["horizon_fade"] > 0:  # distant haze: the new sky melts into the original near the horizon
            fade = 0.7 * smoothstep(1.0 - p["horizon_fade"], 1.0, t)[..., None]
            lab_n = lab_n + fade * (lab_o - lab_n)
        if p["strength"] < 1:
            lab_n = lab_o + p["strength"] * (lab_n - lab_o)
        return lab_to_rgb(lab_n)

    # -- thin rim (editors/fill.py, issue 17): kept apart from the sky itself ----------------------------
    def apply(self, photo: Any, mask: np.ndarray, params: dict[str, Any] | None = None,
              seed: int | None = None) -> np.ndarray:
        rim = validate_params(self.name, self.params_schema, params)["rim"]
        if rim != 0:
            from editors.fill import cover_rim

            pixels = as_pixels(photo)
            photo, _ = cover_rim(pixels, check_mask(mask, pixels.shape), rim)
        return super().apply(photo, mask, params, seed)

    @staticmethod
    def _snow(sky: np.ndarray, rng: np.random.Generator, h: int, w: int) -> np.ndarray:
        flakes = np.zeros((h, w), np.float32)
        scale = max(h, w) / 512.0
        count = int(h * w / 900 / max(scale, 1) ** 2)
        xs, ys = rng.uniform(0, w, count), rng.uniform(0, h, count)
        rs = rng.uniform(0.6, 2.2, count) * max(scale, 1.0)
        for x, y, r in zip(xs, ys, rs):
            cv2.circle(flakes, (int(x * 4), int(y * 4)), max(1, int(r * 4)), 1.0, -1, cv2.LINE_AA, 2)
        flakes = cv2.GaussianBlur(flakes, (0, 0), 0.6 * max(scale, 1.0))
        return sky + (255 - sky) * np.clip(flakes, 0, 0.9)[..., None]


@EDITORS.register("sky")
def build_sky(manager=None) -> SkyEditor:
    return SkyEditor()
