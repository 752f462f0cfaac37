"""Sky presets: replace the selected sky with a procedural one (winter, stormy, toxic, sunset, cartoon).

The new sky is a vertical colour gradient (top of the sky -> its horizon, measured on the mask) plus
seeded fractal-noise clouds, flattened towards the horizon and lit from above (from below at sunset).
A little of the original sky's fine luminance detail is kept (``keep_structure``: a high-pass of its L,
clipped so old clouds never show through as white patches). Same seed, same sky.

What makes it believable (``SkyEditor.apply``):
1. the matte (:func:`sky_matte`): the selected sky plus the clouds in it (enclosed bright, grey-white
   holes and cloud banks hanging off it), with a soft edge refined on the full-size photo
   (``core.edges``): crisp against a roof, fine against leaves;
2. no halo: along the edge, a pixel is a mix of foreground and old sky; the old sky's colour behind the
   edge is estimated (:func:`fill_thin_rim`) and swapped for the new sky's:
   ``out = photo + alpha * (new_sky - old_sky)``, so no rim of the old bright sky stays around roofs
   and trees, and no staircase from a low-resolution mask shows;
3. relight (``relight``, on by default): the foreground is gently pulled towards the new sky's colour
   and brightness (a per-channel gain, ``relight_strength``). With relight on, the foreground changes
   on purpose; with it off, pixels outside the sky matte + feather stay bit-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from core.composite import (
    box_slices,
    crop_box,
    lab_to_rgb,
    masked_blur,
    rgb_to_lab,
)
from editors.registry import EDITORS
from editors.base import (
    CLASSICAL,
    FEATHER,
    CropEditor,
    Param,
    Provenance,
    auto_feather,
    rng_for,
)

DETAIL_CLIP = 6.0  # Lab L units: the most the original sky's detail may lift or darken the new sky
CLOUD_CHROMA = 16.0  # Lab chroma below which a bright region may be cloud
CLOUD_L = 55.0  # Lab L above which a grey-white region may be cloud
CLOUD_TOUCH = 0.35  # share of a cloud candidate's outline that must lie against the sky
CLOUD_MIN = 0.002  # share of the photo a cloud candidate must cover
CLOUD_HOLE = 0.35  # share of cloud-coloured pixels that makes a hole in the sky a cloud (soft edges, a bird)
DRAW_PIXELS = 1_000_000  # the new sky is drawn at most this many pixels big and enlarged (SkyEditor.process)
BUSY_STD = 18.0  # local grey-level std (0..255) above which an edge counts as busy (foliage, lattice)


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
    "sunset": SkyPreset(
        "#2b2f6b", "#c2557a", "#ffb347", "#ff9a6a", "#6b3b6e", 0.35, 0.3, lit_from_below=True, sun="#fff1b8"
    ),
    "cartoon": SkyPreset(
        "#1f7ae0", "#48a2f0", "#a6d8f7", "#ffffff", "#c9def0", 0.3, 0.0, bands=5, outline=True, keep_structure=0.0
    ),
}


def _col(hexstr: str) -> np.ndarray:
    h = hexstr.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], np.float32)


def fractal_noise(
    rng: np.random.Generator, h: int, w: int, base: float, octaves: int = 5, stretch: float = 2.5
) -> np.ndarray:
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
        out += amp * up[oy : oy + h, ox : ox + w]
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


def _sky_rows(mask: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
    """For a sky ``mask`` (bool HxW): its top row, the row below its lowest, each row's index (float32 Hx1) and ``t``
    (float32 HxW): 0 at the top of the sky, 1 at its horizon."""
    h, w = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    y_top, y_bot = float(rows[0]), float(rows[-1] + 1)
    ys = np.arange(h, dtype=np.float32)[:, None]
    t = np.clip((ys - y_top) / max(y_bot - y_top, 1.0), 0, 1)
    return y_top, y_bot, ys, np.broadcast_to(t, (h, w)).astype(np.float32)


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / max(e1 - e0, 1e-6), 0, 1)
    return t * t * (3 - 2 * t)


class SkyEditor(CropEditor):
    name = "sky"
    label = "Sky presets (winter, stormy, toxic, sunset, cartoon)"
    provenance = Provenance(generative=False, models=CLASSICAL)  # procedural clouds and colour, no trained model
    work_mb, crop_bytes = 150.0, 150.0  # peak memory estimate (editors.base.CropEditor)
    params_schema = {
        "preset": Param(str, "sunset", choices=tuple(PRESETS), help="which sky"),
        "clouds": Param(float, -1.0, -1.0, 1.0, help="cloud cover 0..1; -1 = the preset's"),
        "keep_structure": Param(
            float, -1.0, -1.0, 1.0, help="how much of the original sky's detail shows through; -1 = the preset's"
        ),
        "horizon_fade": Param(
            float, 0.12, 0.0, 0.5, help="fade towards the original haze over this share of the sky's height"
        ),
        "strength": Param(float, 1.0, 0.0, 1.0, help="blend between the original (0) and the new sky (1)"),
        "rim": Param(
            float,
            0.0,
            -1.0,
            32.0,
            help="cover a thin rim of the old sky left just outside the selection "
            "(a halo along roofs and leaves) with the foreground next to it, "
            "up to this many px; -1 = automatic, 0 = off",
        ),
        "relight": Param(bool, True, help="gently relight the foreground towards the new sky's colour and brightness"),
        "relight_strength": Param(float, 0.35, 0.0, 1.0, help="how strongly the foreground is relit (0..1)"),
        "feather": FEATHER,
    }

    def render(
        self, pixels: np.ndarray, mask: np.ndarray, p: dict[str, Any], seed: int | None, alpha: np.ndarray | None
    ) -> np.ndarray:
        """The photo with its sky replaced (RGB uint8, full size); see the module docstring."""
        if p["rim"] != 0:  # optional: cover a thin rim of old sky left outside the selection (editors/fill.py)
            from editors.fill import cover_rim

            pixels, _ = cover_rim(pixels, mask, p["rim"])
        feather = auto_feather(pixels.shape, p.get("feather", -1.0))
        matte = sky_matte(pixels, mask, feather, alpha)
        sky = matte > 0
        box = crop_box(sky, math.ceil(feather) + 2)
        sl = box_slices(box)
        crop, a = pixels[sl], matte[sl]
        new = self.process(np.ascontiguousarray(crop), a >= 0.5, p, rng_for(seed))
        old_sky = fill_thin_rim(crop, a >= 0.98, (a > 0) & (a < 0.98))
        # decontaminated blend: where a pixel mixes foreground and old sky, swap only the sky's share (float32 on
        # the matte's pixels only, N x 3: no float copy of the whole crop)
        on = a > 0
        mixed = crop[on].astype(np.float32)
        mixed += a[on][:, None] * (new[on].astype(np.float32) - old_sky[on].astype(np.float32))
        out = pixels.copy()
        out[sl][on] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        del mixed, old_sky
        if p["relight"] and p["relight_strength"] > 0:
            pure = a >= 0.98
            relight(out, pixels, matte, old=crop[pure], new=new[pure], strength=p["relight_strength"])
        return out

    def process(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        pre = PRESETS[p["preset"]]
        h, w = mask.shape
        rows_in = np.flatnonzero(mask.any(axis=1))
        y_top, y_bot = float(rows_in[0]), float(rows_in[-1] + 1)  # as _sky_rows, without its HxW map
        ys = np.arange(h, dtype=np.float32)
        t = np.clip((ys - y_top) / max(y_bot - y_top, 1.0), 0, 1)  # per row: 0 at the top of the sky, 1 at its horizon
        # the new sky is smooth (a gradient, soft clouds): on a big crop it is drawn at most ``DRAW_PIXELS`` big and
        # enlarged, in a fraction of the time (the clouds differ from a full-size draw's, the look does not:
        # tests/test_editors.py); crops up to that size are drawn as before
        k = min(1.0, math.sqrt(DRAW_PIXELS / (h * w)))
        small = mask
        if k < 1.0:
            dsize = (max(1, round(w * k)), max(1, round(h * k)))
            small = cv2.resize(mask.view(np.uint8), dsize, interpolation=cv2.INTER_NEAREST).astype(bool)
        if small is not mask and small.any():
            sky = cv2.resize(self._draw(pre, small, p, rng), (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            sky = self._draw(pre, mask, p, rng)

        sky += 0.5  # in place: the same values as np.clip(sky + 0.5, 0, 255), no float temporaries
        new = np.clip(sky, 0, 255, out=sky).astype(np.uint8)
        del sky
        # keep the original sky's luminance structure (high-pass of its L)
        lab_o = rgb_to_lab(crop)
        lab_n = rgb_to_lab(new)
        keep = pre.keep_structure if p["keep_structure"] < 0 else p["keep_structure"]
        if keep > 0:  # fine haze and texture only: old clouds must not show through as bright patches
            size = np.sqrt(float(mask.sum()))
            L = lab_o[..., 0]
            detail = L - masked_blur(L, mask.astype(np.float32), max(2.0, 0.02 * size))
            lab_n[..., 0] = np.clip(lab_n[..., 0] + keep * np.clip(detail, -DETAIL_CLIP, DETAIL_CLIP), 0, 100)
        if p["horizon_fade"] > 0:  # distant haze: the new sky melts into the original near the horizon
            fade = 0.7 * smoothstep(1.0 - p["horizon_fade"], 1.0, t)
            rows = slice(int(np.argmax(fade > 0)), h) if fade.any() else slice(h, h)  # only the rows it touches
            f = fade[rows, None, None]
            lab_n[rows] += f * (lab_o[rows] - lab_n[rows])
        if p["strength"] < 1:
            lab_n = lab_o + p["strength"] * (lab_n - lab_o)
        return lab_to_rgb(lab_n)

    def _draw(self, pre: SkyPreset, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        """The preset's new sky (float32 RGB, 0..255) for a sky ``mask`` (bool) of the crop's size or smaller."""
        h, w = mask.shape
        y_top, y_bot, ys, t = _sky_rows(mask)

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
            d = np.hypot(
                (np.arange(w, dtype=np.float32)[None, :] - sx) / w, (ys - y_bot) / max(y_bot - y_top, 1.0) * 1.5
            )
            glow = np.exp(-((d / 0.18) ** 2)).astype(np.float32)[..., None]
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
        return sky.astype(np.float32, copy=False)

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


def sky_matte(photo: np.ndarray, mask: np.ndarray, feather: float, alpha: np.ndarray | None = None) -> np.ndarray:
    """Float32 HxW in [0, 1]: how much of each pixel is sky. ``mask`` (bool, photo size) is the selected
    sky; the clouds in it are added (:func:`add_clouds`), and the edge is refined on the photo within
    ``max(3, feather)`` px (``core.edges.soft_edge``), or ``alpha`` (the selection's own soft edge) is
    used where it is given and the clouds did not change the mask."""
    from core.edges import refine_alpha

    full = add_clouds(photo, mask)
    if alpha is not None and alpha.shape == mask.shape and not (full & ~mask).any():
        return np.clip(alpha.astype(np.float32), 0, 1)
    h, w = mask.shape
    diag = float(np.hypot(h, w))
    # a parsed sky's edge is often a few px off the real one: let the refinement move it that far
    width = max(3.0, float(feather), 0.008 * diag)
    fine = refine_alpha(photo, full, band=width, radius=max(2, round(width)), colour=True)
    # foliage and other fine, busy edges: sky shows through the gaps deeper than a thin band reaches, so a
    # wide guided filter (it keeps the photo's edges) decides there; smooth edges keep the fine answer
    band = max(8.0, 0.015 * diag)
    gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY).astype(np.float32)
    k = max(3, round(band / 2)) | 1
    mean = cv2.blur(gray, (k, k))
    busy = np.sqrt(np.maximum(cv2.blur(gray * gray, (k, k)) - mean * mean, 0)) > BUSY_STD
    del gray, mean
    busy &= ~full  # only on the foreground side
    wide = refine_alpha(photo, full, band=band, radius=max(4, round(band / 2)))
    wide = np.clip((wide - 0.3) / 0.4, 0.0, 1.0)  # a gap between leaves is sky, a leaf is not: decide more firmly
    out = fine
    out[busy] = np.maximum(fine[busy], wide[busy])
    return out


def add_clouds(photo: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The sky ``mask`` plus its clouds: holes in it and regions hanging off it that are bright and
    grey-white (Lab L > CLOUD_L, chroma < CLOUD_CHROMA) and share most of their outline with the sky.
    Works on a copy at most 512 px wide; bool HxW of the photo's size."""
    h, w = mask.shape
    s = min(1.0, 512 / max(h, w))
    size = (max(1, round(w * s)), max(1, round(h * s)))
    small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA) if s < 1 else photo
    m = cv2.resize(mask.view(np.uint8), size, interpolation=cv2.INTER_AREA) > 0 if s < 1 else mask.copy()
    if not m.any():
        return mask
    lab = rgb_to_lab(small)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    # grey-white, or (in a deep blue sky) much paler than the sky around it
    sky_chroma = float(np.median(chroma[m]))
    sky_l = float(np.median(lab[..., 0][m]))
    cloudish = (lab[..., 0] > min(CLOUD_L, sky_l + 10)) & (chroma < max(CLOUD_CHROMA, 0.75 * sky_chroma))
    rows = np.flatnonzero(m.any(axis=1))
    below = np.zeros_like(m)
    below[rows[-1] + 1 :] = True  # nothing under the sky's lowest row is cloud
    cand = cloudish & ~m & ~below
    # smooth (clouds have no fine texture), and thin links cut (a cloud touching a white dome is two things)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(gray, (5, 5))
    smooth = np.sqrt(np.maximum(cv2.blur(gray * gray, (5, 5)) - mean * mean, 0)) < BUSY_STD / 2
    cand = cv2.morphologyEx((cand & smooth).view(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)).astype(bool)
    n, comp, stats, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    ring = cv2.dilate(m.view(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~m
    edge_pix = cv2.morphologyEx((comp > 0).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    touch = np.bincount(comp[ring], minlength=n)
    perim = np.bincount(comp[edge_pix & (comp > 0)], minlength=n)
    # a cloud: most of its outline is against the sky (a white wall has a roof and a ground around it)
    # and it is not a speck (a bright trim on a roof, a white sign)
    keep = (touch > 0) & (touch >= CLOUD_TOUCH * np.maximum(perim, 1)) & (stats[:, 4] >= CLOUD_MIN * m.size)
    keep[0] = False
    add = keep[comp]
    # holes in the sky that are mostly cloud-coloured: the whole hole is cloud (whatever its size)
    nh, holes, hstats, _ = cv2.connectedComponentsWithStats((~m).view(np.uint8), connectivity=4)
    hh, hw = m.shape
    inner = (
        (hstats[:, 0] > 0)
        & (hstats[:, 1] > 0)
        & (hstats[:, 0] + hstats[:, 2] < hw)
        & (hstats[:, 1] + hstats[:, 3] < hh)
    )
    share = np.bincount(holes.ravel(), weights=cloudish.ravel(), minlength=nh) / np.maximum(hstats[:, 4], 1)
    fill = inner & (share > CLOUD_HOLE)
    fill[0] = False  # label 0: the sky itself
    add |= fill[holes] & ~m
    if not add.any():
        return mask
    grown = cv2.resize(add.view(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR) > 0 if s < 1 else add
    return mask | grown


def fill_thin_rim(image: np.ndarray, known: np.ndarray, rim: np.ndarray) -> np.ndarray:
    """The old sky behind the edge: ``image`` (RGB uint8 crop) with the pixels of ``rim`` (bool, the
    soft edge between sky and foreground) replaced by the sky's colour there, estimated from the
    ``known`` pure-sky pixels near them (normalised convolution). RGB uint8, same size.

    The one place the sky editor fills the thin rim: a patch-based fill can replace this function."""
    out = image.copy()
    if not rim.any() or not known.any():
        return out
    ys = np.flatnonzero(rim.any(axis=1))
    xs = np.flatnonzero(rim.any(axis=0))
    width = float(max(2, min(ys[-1] - ys[0] + 1, xs[-1] - xs[0] + 1)))
    sigma = float(np.clip(0.01 * width, 3.0, 12.0))
    est = masked_blur(image.astype(np.float32), known.astype(np.float32), sigma)
    out[rim] = np.clip(est[rim] + 0.5, 0, 255).astype(np.uint8)
    return out


def relight(
    out: np.ndarray, original: np.ndarray, matte: np.ndarray, old: np.ndarray, new: np.ndarray, strength: float
) -> None:
    """Pull the foreground (``1 - matte``) of ``out`` gently towards the new sky's light, in place: a
    per-channel gain ``(mean new sky / mean old sky) ** (0.3 * strength)`` (clipped to 0.8..1.25), applied
    with a lookup table. ``old``/``new``: the old and new pure-sky pixels (N x 3)."""
    if old.size == 0 or new.size == 0:
        return
    # float64 sums without a float64 copy of the sky (integer-valued pixels: the same sums in any order)
    mo = np.maximum(np.mean(old.reshape(-1, 3), axis=0, dtype=np.float64), 8.0)
    mn = np.maximum(np.mean(new.reshape(-1, 3), axis=0, dtype=np.float64), 8.0)
    gain = np.clip((mn / mo) ** (0.3 * strength), 0.8, 1.25)
    # brightness follows the sky's, colour its tint: keep a fraction of the neutral (mean) gain
    x = np.arange(256, dtype=np.float64)
    luts = [np.clip(x * g + 0.5, 0, 255).astype(np.uint8) for g in gain]
    lit = cv2.merge([cv2.LUT(np.ascontiguousarray(original[..., c]), luts[c]) for c in range(3)])
    np.copyto(out, lit, where=(matte <= 0.0)[..., None])  # pure foreground: the lookup table alone
    edge = (matte > 0.0) & (matte < 1.0)  # the soft edge: only the foreground's share is relit
    w = (1.0 - matte[edge])[:, None]
    cur = out[edge].astype(np.float32)
    out[edge] = np.clip(
        cur + w * (lit[edge].astype(np.float32) - original[edge].astype(np.float32)) + 0.5, 0, 255
    ).astype(np.uint8)


@EDITORS.register("sky")
def build_sky(manager=None) -> SkyEditor:
    return SkyEditor()
