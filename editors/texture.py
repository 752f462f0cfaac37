"""Texture transfer: dress the selected part in a texture (denim, leopard, ... or the user's own image).

How it avoids the pasted-on look:
1. the texture is tiled at a size that follows the segment's (``scale`` = 1: one tile spans half of
   the square root of the segment's area), rotated by ``angle``;
2. its coordinates are warped (``warp``): slow seeded noise, plus a displacement along the gradient
   of the segment's smoothed lightness, so the pattern bends over folds and round surfaces;
3. the segment's own lighting is put back: ``L = L_texture + shading * (L_segment - blur(L_segment))``
   (a high-pass of the segment's lightness: folds, creases and shadows remain, the original's overall
   brightness/colour does not), with chroma fading in the shadows;
4. a distance feather and light lightness harmonisation at the seam (``core.composite``).
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from core.budget import fits, work_size
from core.composite import lab_to_rgb, masked_blur, rgb_to_lab
from editors import assets
from editors.registry import EDITORS
from editors.base import CLASSICAL, FEATHER, CropEditor, ImageRef, Param, Provenance
from editors.recolour import _soft_l

MAX_TILE = 4096
MIN_TILE = 16


def tileable(img: np.ndarray, is_tileable: bool) -> np.ndarray:
    """A texture that tiles: as is when made tileable, else mirrored into a 2x2 block (seamless)."""
    if is_tileable:
        return img
    top = np.concatenate([img, img[:, ::-1]], axis=1)
    return np.concatenate([top, top[::-1]], axis=0)


def smooth_noise(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """Seeded smooth noise in about [-1, 1], features about ``cell`` px wide."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC) * 0.6


WORK_PIXELS = 2_500_000  # crops larger than this are textured at a working size, then upscaled


class TextureEditor(CropEditor):
    name = "texture"
    label = "Texture (denim, leopard, crocodile, ... or your own image)"
    provenance = Provenance(generative=False, models=CLASSICAL)  # a texture image laid on the shading, no model
    harmonize_strength = 0.25
    work_mb, crop_bytes = 450.0, 16.0  # work: up to 2.5 MP of float arrays plus a tile of up to 4096 px
    params_schema = {
        "texture": Param(
            ImageRef,
            "denim",
            choices=tuple(assets.names("texture")),
            help="a built-in texture name, or your own texture as an RGB array (an upload)",
        ),
        "scale": Param(float, 1.0, 0.05, 8.0, help="pattern size relative to the segment (1 = default)"),
        "angle": Param(float, 0.0, -180.0, 180.0, help="pattern rotation in degrees"),
        "shading": Param(float, 0.8, 0.0, 2.0, help="how much of the segment's folds and shadows to keep"),
        "warp": Param(float, 0.4, 0.0, 1.0, help="bend the pattern with the surface (0 = flat)"),
        "strength": Param(float, 1.0, 0.0, 1.0, help="blend between the original (0) and the texture (1)"),
        "harmonize": Param(float, 0.25, 0.0, 1.0, help="match lightness to the original near the seam"),
        "feather": FEATHER,
    }

    def check(self, p: dict[str, Any]) -> None:
        assets.load_image(p["texture"], "texture")  # fail early with a clear message

    def work_shape(self, h: int, w: int, params: dict[str, Any]) -> tuple[int, int]:
        ww, wh = work_size(w, h, WORK_PIXELS)
        return wh, ww

    def process(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = mask.shape
        if fits(w, h, WORK_PIXELS):
            return self._texture(crop, mask, p, rng)
        # Large crops (12 MP photos): synthesise at a working size and upscale. The pattern tile is already
        # larger than the 512 px texture there, so this costs no pattern detail; the mask's edge stays exact
        # because compositing happens at full size. ``work_size`` guarantees the cap after rounding (no retry).
        size = self.work_shape(h, w, p)[::-1]
        small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        small_mask = cv2.resize(mask.view(np.uint8), size, interpolation=cv2.INTER_AREA).astype(bool)
        if not small_mask.any():
            small_mask = cv2.resize(mask.view(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
        if not small_mask.any():  # a selection thinner than one working pixel: keep its brightest trace
            small_mask = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        out = self._texture(small, small_mask, p, rng)
        del small, small_mask
        return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)

    def _texture(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = mask.shape
        tex, label = assets.load_image(p["texture"], "texture")
        entry = assets.manifest().get(label, {})
        tex = tileable(tex, bool(entry.get("tileable", False)))
        size = math.sqrt(float(mask.sum()))
        natural = float(entry.get("scale", 1.0))  # per-texture hint from the manifest (knit stitches are big)
        tile = int(np.clip(round(natural * p["scale"] * 0.5 * size * max(tex.shape[:2]) / 512), MIN_TILE, MAX_TILE))
        th = max(MIN_TILE, round(tile * tex.shape[0] / max(tex.shape[:2])))
        tw = max(MIN_TILE, round(tile * tex.shape[1] / max(tex.shape[:2])))
        interp = cv2.INTER_AREA if tw < tex.shape[1] else cv2.INTER_CUBIC
        tex_lab = rgb_to_lab(cv2.resize(np.ascontiguousarray(tex), (tw, th), interpolation=interp))

        lab = rgb_to_lab(crop)
        L = lab[..., 0]
        wt = mask.astype(np.float32)
        low = masked_blur(L, wt, max(2.0, 0.12 * size))  # the segment's broad lighting
        high = L - low  # folds, creases, shadow edges

        # texture coordinates: rotate, then warp with noise and along the surface's lightness gradient
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        ang = math.radians(p["angle"])
        u = xs * math.cos(ang) + ys * math.sin(ang)
        v = -xs * math.sin(ang) + ys * math.cos(ang)
        if p["warp"] > 0:
            amp = p["warp"] * tile * 0.06
            cell = max(8.0, 0.4 * size)
            u += amp * smooth_noise(rng, h, w, cell)
            v += amp * smooth_noise(rng, h, w, cell)
            sig = max(1.5, 0.03 * size)
            surf = masked_blur(L, wt, sig)
            gy, gx = np.gradient(surf)
            k = p["warp"] * sig * 0.15
            u += np.clip(k * gx, -tile * 0.1, tile * 0.1)
            v += np.clip(k * gy, -tile * 0.1, tile * 0.1)
        sampled = cv2.remap(
            tex_lab,
            np.mod(u, tw).astype(np.float32),
            np.mod(v, th).astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_WRAP,
        )

        Lt = sampled[..., 0]
        L2 = _soft_l(Lt + p["shading"] * high)
        chroma_gain = np.clip((L2 + 5.0) / (Lt + 5.0), 0.35, 1.15)
        out = np.stack([L2, sampled[..., 1] * chroma_gain, sampled[..., 2] * chroma_gain], -1)
        if p["strength"] < 1.0:
            out = lab + p["strength"] * (out - lab)
        return lab_to_rgb(out)


@EDITORS.register("texture")
def build_texture(manager=None) -> TextureEditor:
    return TextureEditor()
