"""Offline background fill: PatchMatch (pypatchmatch) for areas, OpenCV Telea for thin strokes.

What Remove uses without the hub (``editors/remove.py``) and what covers a thin rim of old sky in the sky
editor (``cover_rim``). Images are RGB uint8 HxWx3; masks bool HxW of the image's size.

PatchMatch (Barnes et al. 2009, the Wexler-style EM completion of the ``pypatchmatch`` wheel) copies whole
patches of the surroundings into the hole, so a brick wall stays a brick wall where a diffusion of the
border colours (Telea) leaves a smooth smudge. Its cost grows with the image it searches, so:

1. the search runs on the crop at full resolution while the crop has at most ``budget_px`` pixels;
2. a larger crop is searched downscaled (area ``budget_px``) and the result is upsampled (smooth);
3. then the fine detail the downscale lost is put back from the photo itself: for every filled pixel the
   low-resolution fill tells where its patch came from (a nearest-neighbour look-up of its 5x5 patch among
   the known pixels, ``scipy.spatial.cKDTree``), and the full-resolution detail layer (photo minus its own
   blur at the search scale) is copied from that place. Only where the ring around the hole has such
   detail (a smooth sky skips it).

What PatchMatch may copy from (``sources``): left to itself it takes patches from anywhere in the crop, so a
removed horse came back as the white horse in front of it (bench/fill_bench.py surround cases). Given the
photo's labelled parts (``avoid``: objects, the removed one's own label among them; ``regions``: surfaces), it
copies only from the surfaces the ring around the hole touches and never from an object; a restriction that
leaves too little to copy from (a hole filling most of the photo) is dropped.

Telea is kept where it is better: holes at most ``THIN_PX`` px from their border everywhere (scratches,
wires, a rim), where PatchMatch's 7x7 patches have nothing to gain and Telea is invisible.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from core.errors import BadInput

PATCHMATCH = "PatchMatch fill (offline)"
TELEA = "OpenCV Telea (thin-mask fill)"
METHODS = {"patchmatch": PATCHMATCH, "telea": TELEA}

BUDGET_PX = 160_000  # PatchMatch searches at most this many pixels (time and memory ~ linear in it)
SHADOW_BUDGET_PX = 300_000  # the shadow search runs at most at this size
THIN_PX = 3.5  # a hole whose every pixel is at most this far from its border is "thin": Telea
PATCH = 3  # PatchMatch patch radius (7x7 patches)
DETAIL_PATCH = 2  # radius of the patches that find where each low-resolution fill pixel came from
DETAIL_DIMS = 8  # PCA components those patches are compared on
DETAIL_COHERENCE = True  # median-filter the look-up's offsets (5x5)
DETAIL_MATCH = 24.0  # grey levels (see _detail)
DETAIL_CLAMP = 3.0  # copied detail is clipped at this many RMS
DETAIL_GAIN = 1.5  # at most this boost of the copied detail (see _detail)
DETAIL_SIGMA = 2.0  # the fine layer: the photo minus its Gaussian blur of this sigma (search-scale px)
MIN_SIDE = 24  # smaller crops: Telea (the PatchMatch pyramid needs room)
# where PatchMatch may copy from (``sources``): never ``avoid`` (other objects, the removed object's own label) and,
# with the photo's surfaces (``regions``: sky, grass, road... as ids), only the surfaces the ring around the hole
# touches (each at least REGION_SHARE of the labelled ring, REGION_RING px wide or 10 % of sqrt(hole area)); each
# restriction is dropped, ``avoid`` last, when it would leave fewer than SOURCE_MIN x the hole's area of whole 7x7
# patches to copy (a hole filling most of the photo)
SOURCE_MIN = 2.0
REGION_RING = 6.0
REGION_SHARE = 0.02

_LOCK = threading.Lock()  # pypatchmatch's seed is process-wide: seed + run under one lock

__all__ = [
    "BUDGET_PX",
    "PATCHMATCH",
    "TELEA",
    "Fill",
    "cover_rim",
    "fill",
    "hole_depth",
    "is_thin",
    "removal_mask",
    "shadow_of",
    "sources",
    "texture_ratio",
]


@dataclass(frozen=True)
class Fill:
    """A filled image and how: ``method`` (``patchmatch`` / ``telea``), the search ``scale`` (1 = full
    resolution), whether fine ``detail`` was copied back from the photo, and the ``seconds`` it took."""

    image: np.ndarray
    method: str
    scale: float
    detail: bool
    seconds: float

    @property
    def backend(self) -> str:
        return METHODS[self.method]


def hole_depth(hole: np.ndarray) -> float:
    """How far (px) the hole's deepest pixel lies from its border: half the width of a stroke."""
    if not hole.any():
        return 0.0
    pad = np.pad(hole.astype(np.uint8), 1)
    return float(cv2.distanceTransform(pad, cv2.DIST_L2, 5).max())


def is_thin(hole: np.ndarray) -> bool:
    """True when no pixel of ``hole`` lies deeper than about ``THIN_PX`` px from its border (a stroke at most
    ~7 px wide: a scratch, a wire, a rim): an erosion by a disc of that radius leaves nothing."""
    k = 2 * int(np.ceil(THIN_PX)) + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    return not cv2.erode(hole.view(np.uint8), disc, borderType=cv2.BORDER_CONSTANT, borderValue=0).any()


def _outside_within(mask: np.ndarray, px: float) -> np.ndarray:
    """``mask`` grown by ``px`` px (Euclidean, 5x5 chamfer: fast on big crops)."""
    if px <= 0:
        return mask.copy()
    d = cv2.distanceTransform((~mask).view(np.uint8), cv2.DIST_L2, 5)
    return d <= float(px)


def _check(image: np.ndarray, hole: np.ndarray, exclude: np.ndarray | None, **more: np.ndarray | None) -> None:
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
        raise BadInput("fill: the image must be RGB uint8 HxWx3")
    for name, m in (("hole", hole), ("exclude", exclude), *more.items()):
        if m is not None and (not isinstance(m, np.ndarray) or m.shape != image.shape[:2]):
            raise BadInput(f"fill: the {name} mask must be HxW like the image {image.shape[:2]}")


def fill(
    image: np.ndarray,
    hole: np.ndarray,
    method: str = "auto",
    seed: int = 0,
    exclude: np.ndarray | None = None,
    budget_px: int = BUDGET_PX,
    avoid: np.ndarray | None = None,
    regions: np.ndarray | None = None,
) -> Fill:
    """Fill ``hole`` (bool) of ``image`` (RGB uint8, usually a crop with context around the hole) from the
    rest of it. ``exclude`` (bool) marks pixels that are neither filled nor copied from (kept as they are).
    PatchMatch copies from the hole's surroundings only (``sources``): never from ``avoid`` (bool: other objects,
    the removed one's own label) and, given ``regions`` (int, 0 = none: the photo's surfaces), only from the
    surfaces around the hole; each restriction is dropped when it leaves too little to copy from.
    ``method``: ``auto`` (Telea for thin holes, else PatchMatch), ``patchmatch`` or ``telea``.
    Deterministic for a given ``seed``. Pixels outside ``hole`` keep their exact bytes."""
    _check(image, hole, exclude, avoid=avoid, regions=regions)
    hole = hole.astype(bool)
    if exclude is not None:
        exclude = exclude.astype(bool) & ~hole
    t0 = time.perf_counter()
    if method not in ("auto", "patchmatch", "telea"):
        raise BadInput(f"fill: unknown method {method!r}; use auto, patchmatch or telea")
    if not hole.any():
        return Fill(image.copy(), "telea" if method == "telea" else "patchmatch", 1.0, False, 0.0)
    if method == "auto":
        method = "telea" if is_thin(hole) or min(hole.shape) < MIN_SIDE else "patchmatch"
    if method == "patchmatch" and min(hole.shape) < MIN_SIDE:
        method = "telea"
    if method == "telea":
        out = telea(image, hole, exclude)
        return Fill(out, "telea", 1.0, False, time.perf_counter() - t0)
    out, scale, detail = _patchmatch(image, hole, sources(hole, exclude, avoid, regions), int(seed), int(budget_px))
    return Fill(out, "patchmatch", scale, detail, time.perf_counter() - t0)


def _touched(hole: np.ndarray, known: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """The surface ids (``regions`` > 0) that make at least REGION_SHARE of the labelled ring around ``hole``."""
    reach = max(REGION_RING, 0.1 * float(np.sqrt(hole.sum())))
    ring = known & _outside_within(hole, reach) & (regions > 0)
    if not ring.any():
        return np.zeros(0, regions.dtype)
    ids, counts = np.unique(regions[ring], return_counts=True)
    return ids[counts >= REGION_SHARE * counts.sum()]


# --------------------------------------------------------------------------- Telea


def _nearest_known(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``image`` with every unknown pixel set to the colour of its nearest known pixel."""
    _, labels = cv2.distanceTransformWithLabels(
        (~known).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(known)
    lut = np.zeros((int(labels.max()) + 1, 3), np.uint8)
    lut[labels[ys, xs]] = image[ys, xs]
    return lut[labels]


def telea(image: np.ndarray, hole: np.ndarray, exclude: np.ndarray | None = None, radius: float = 0.0) -> np.ndarray:
    """OpenCV Telea of ``hole`` drawing only on pixels outside ``hole`` and ``exclude``."""
    src = image
    if exclude is not None and exclude.any():  # excluded pixels must not bleed in: give them known colours
        known = ~(hole | exclude)
        if not known.any():
            raise BadInput("fill: nothing is left to fill from")
        src = image.copy()
        src[exclude] = _nearest_known(image, known)[exclude]
    r = radius if radius > 0 else max(3.0, min(12.0, 2.0 * hole_depth(hole)))
    filled = cv2.inpaint(np.ascontiguousarray(src), hole.astype(np.uint8) * 255, r, cv2.INPAINT_TELEA)
    out = image.copy()
    out[hole] = filled[hole]
    return out


# --------------------------------------------------------------------------- PatchMatch


def sources(
    hole: np.ndarray, exclude: np.ndarray | None, avoid: np.ndarray | None = None, regions: np.ndarray | None = None
) -> np.ndarray | None:
    """The pixels PatchMatch must not copy from (None = none): ``exclude``, ``avoid`` and the surfaces of
    ``regions`` the ring around the hole does not touch (``_touched``). A restriction that leaves fewer than
    SOURCE_MIN x the hole's area of pixels whose whole 7x7 patch may be copied is dropped: first the surfaces,
    then ``avoid`` (a hole filling most of the photo)."""
    hole = hole.astype(bool)
    base = np.zeros_like(hole) if exclude is None else exclude.astype(bool) & ~hole
    extra = []
    if avoid is not None and avoid.any():
        extra.append(avoid.astype(bool) & ~hole)
    if regions is not None and regions.any():
        touched = _touched(hole, ~(hole | base | (extra[0] if extra else base)), regions)
        if touched.size:
            extra.append((regions > 0) & ~np.isin(regions, touched) & ~hole)
    k = 2 * PATCH + 1
    disc = np.ones((k, k), np.uint8)
    area = float(hole.sum())
    for n in range(len(extra), -1, -1):  # all restrictions, then without the surfaces, then none
        out = base.copy()
        for m in extra[:n]:
            out |= m
        whole = cv2.erode((~(out | hole)).view(np.uint8), disc, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        if n == 0 or cv2.countNonZero(whole) >= SOURCE_MIN * area:
            return out if out.any() else None
    return None


def _pm(image: np.ndarray, hole: np.ndarray, exclude: np.ndarray | None, seed: int) -> np.ndarray:
    try:
        from patchmatch import patch_match
    except ImportError as exc:  # the wheel ships its library; without it the thin-mask fill still works
        raise BadInput("PatchMatch is not installed (pip install pypatchmatch==2.2.0)") from exc
    if not patch_match.patchmatch_available:
        raise BadInput("PatchMatch's native library did not load")
    gm = None if exclude is None or not exclude.any() else exclude.astype(np.uint8)
    with _LOCK:
        patch_match.set_random_seed(seed)
        return patch_match.inpaint(np.ascontiguousarray(image), hole.astype(np.uint8), global_mask=gm, patch_size=PATCH)


def _sample(
    img: np.ndarray, ys: np.ndarray, xs: np.ndarray, sx: float, sy: float, interp: int = cv2.INTER_LINEAR
) -> np.ndarray:
    """``img`` (a downscaled float32 HxWx3 image) read at full-resolution pixels (``ys``, ``xs``): N x 3.
    Only the pixels asked for are computed (no full-resolution image is made)."""
    n = ys.size
    cols = 4096
    rows = max(1, -(-n // cols))
    mx = np.full(rows * cols, -1.0, np.float32)
    my = np.full(rows * cols, -1.0, np.float32)
    mx[:n] = (xs + 0.5) * sx - 0.5
    my[:n] = (ys + 0.5) * sy - 0.5
    out = cv2.remap(img, mx.reshape(rows, cols), my.reshape(rows, cols), interp, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(-1, 3)[:n]


def _patchmatch(
    image: np.ndarray, hole: np.ndarray, exclude: np.ndarray | None, seed: int, budget_px: int
) -> tuple[np.ndarray, float, bool]:
    h, w = hole.shape
    s = min(1.0, float(np.sqrt(budget_px / float(h * w))))
    if s >= 0.999:
        small, hole_s, excl_s, sx, sy = image, hole, exclude, 1.0, 1.0
    else:
        size = (max(MIN_SIDE, round(w * s)), max(MIN_SIDE, round(h * s)))
        sx, sy = size[0] / w, size[1] / h
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        hole_s = cv2.resize(hole.view(np.uint8), size, interpolation=cv2.INTER_AREA) > 0  # any overlap
        excl_s = None
        if exclude is not None and exclude.any():
            excl_s = cv2.resize(exclude.view(np.uint8) * np.uint8(255), size, interpolation=cv2.INTER_AREA) > 127
            excl_s &= ~hole_s
    low = _pm(small, hole_s, excl_s, seed)
    py, px = np.nonzero(hole)
    res = image.copy()
    # PatchMatch's voting averages overlapping patches (a slight blur) and a downscale removed the rest of
    # the fine detail: keep the fill's coarse layer, take the fine layer from where each patch came from
    fine = _detail(image, hole, exclude, small, low, hole_s, excl_s, sx, sy, py, px)
    lowf = low.astype(np.float32)
    if fine is None:
        vals = lowf[py, px] if s >= 0.999 else _sample(lowf, py, px, sx, sy, cv2.INTER_CUBIC)
    else:
        vals = _sample(cv2.GaussianBlur(lowf, (0, 0), DETAIL_SIGMA), py, px, sx, sy) + fine
    res[py, px] = np.clip(vals + 0.5, 0, 255).astype(np.uint8)
    return res, min(sx, sy), fine is not None


def _detail(
    image: np.ndarray,
    hole: np.ndarray,
    exclude: np.ndarray | None,
    small: np.ndarray,
    low: np.ndarray,
    hole_s: np.ndarray,
    excl_s: np.ndarray | None,
    sx: float,
    sy: float,
    py: np.ndarray,
    px: np.ndarray,
) -> np.ndarray | None:
    """The fine layer (N x 3 float32) for the full-resolution hole pixels (``py``, ``px``), copied from where
    the low-resolution fill's patches came from; None when the ring around the hole has no fine detail."""
    from scipy.spatial import cKDTree

    h, w = hole.shape
    known = ~hole if exclude is None else ~(hole | exclude)
    smallf = small.astype(np.float32)
    small_c = cv2.GaussianBlur(smallf, (0, 0), DETAIL_SIGMA)
    # the fine detail in a ring around the hole (sampled), the photo minus its coarse layer
    ring = known & cv2.dilate(hole.view(np.uint8), np.ones((3, 3), np.uint8), iterations=8).astype(bool)
    ry, rx = np.nonzero(ring)
    if ry.size == 0:
        return None
    pick = np.linspace(0, ry.size - 1, min(ry.size, 20000)).astype(int)
    ry, rx = ry[pick], rx[pick]
    ring_fine = image[ry, rx].astype(np.float32) - _sample(small_c, ry, rx, sx, sy)
    ring_rms = float(np.sqrt((ring_fine**2).mean()))
    if ring_rms < 1.0:  # under 1 grey level of fine detail around the hole: nothing to add
        return None
    # where each low-resolution fill pixel came from: the nearest 5x5 patch among the known ones, compared
    # on their coarse layer (the fill is a little blurred; matching its detail level would pick the
    # smoothest look-alikes) through its first PCA components, computed as linear filters
    r = DETAIL_PATCH
    k = 2 * r + 1
    src_ok = ~hole_s if excl_s is None else ~(hole_s | excl_s)
    src_ok = cv2.erode(src_ok.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)  # whole patch known
    if src_ok.sum() < 16:
        return None
    sy_i, sx_i = np.nonzero(src_ok)
    qy, qx = np.nonzero(hole_s)
    low_c = cv2.GaussianBlur(low.astype(np.float32), (0, 0), DETAIL_SIGMA)
    pick = np.random.default_rng(0).choice(sy_i.size, min(4000, sy_i.size), replace=False)
    pad = cv2.copyMakeBorder(small_c, r, r, r, r, cv2.BORDER_REFLECT)
    windows = np.lib.stride_tricks.sliding_window_view(pad, (k, k), axis=(0, 1))  # (H, W, 3, k, k): no copy
    sample = windows[sy_i[pick], sx_i[pick]].transpose(0, 2, 3, 1).reshape(len(pick), -1)  # each patch (k, k, 3)
    mean = sample.mean(0)
    centred = (sample - mean).astype(np.float64)  # the principal axes: eigenvectors of the patches' scatter
    _, vecs = np.linalg.eigh(centred.T @ centred)  # (an SVD of the whole sample also makes its 4000 x 75 U: ~10x)
    comps = vecs[:, ::-1][:, :DETAIL_DIMS].T.astype(sample.dtype)

    def project(img: np.ndarray) -> np.ndarray:
        out = np.empty(img.shape[:2] + (len(comps),), np.float32)
        for i, c in enumerate(comps):
            kern = c.reshape(k, k, 3)
            acc = sum(cv2.filter2D(img[..., ch], -1, kern[..., ch], borderType=cv2.BORDER_REFLECT) for ch in range(3))
            out[..., i] = acc - float(c @ mean)
        return out

    tree = cKDTree(project(small_c)[sy_i, sx_i], balanced_tree=False, compact_nodes=False)
    _, idx = tree.query(project(low_c)[qy, qx], k=1, eps=3.0, workers=1)
    oy: np.ndarray = np.zeros(hole_s.shape, np.float32)
    ox: np.ndarray = np.zeros(hole_s.shape, np.float32)
    oy[qy, qx] = (sy_i[idx] - qy) / sy
    ox[qy, qx] = (sx_i[idx] - qx) / sx
    if DETAIL_COHERENCE:  # neighbours copy from neighbouring places: whole runs of bricks, not confetti
        oy = cv2.medianBlur(oy, 5)
        ox = cv2.medianBlur(ox, 5)
    # each full-resolution hole pixel blends the fine layers its 4 nearest low-resolution pixels point at
    # (bilinear weights: no block edges where neighbouring offsets differ), each taken only where it lands
    # on a known pixel whose coarse colour matches the fill there (within DETAIL_MATCH grey levels;
    # otherwise its detail belongs to something else, an edge next to a window)
    hs, ws = hole_s.shape
    fy = ((py + 0.5) * sy - 0.5).astype(np.float32)
    fx = ((px + 0.5) * sx - 0.5).astype(np.float32)
    y0 = np.clip(np.floor(fy), 0, hs - 1).astype(np.int32)
    x0 = np.clip(np.floor(fx), 0, ws - 1).astype(np.int32)
    wy = np.clip(fy - y0, 0.0, 1.0)
    wx = np.clip(fx - x0, 0.0, 1.0)
    here = _sample(low_c, py, px, sx, sy)
    oyi = np.rint(oy).astype(np.int32)
    oxi = np.rint(ox).astype(np.int32)
    flat = image.reshape(-1, 3)
    known_f = known.reshape(-1)
    acc = np.zeros((py.size, 3), np.float32)
    wsum = np.zeros(py.size, np.float32)
    for dy in (0, 1):
        for dx in (0, 1):
            ly = np.minimum(y0 + dy, hs - 1)
            lx = np.minimum(x0 + dx, ws - 1)
            ty = np.clip(py + oyi[ly, lx], 0, h - 1)
            tx = np.clip(px + oxi[ly, lx], 0, w - 1)
            t = ty * w + tx
            there = _sample(small_c, ty, tx, sx, sy)
            ok = hole_s[ly, lx] & known_f[t] & (np.abs(here - there).max(axis=1) <= DETAIL_MATCH)
            wgt = (wy if dy else 1.0 - wy) * (wx if dx else 1.0 - wx) * ok
            acc += wgt[:, None] * (flat[t] - there)
            wsum += wgt
    has = wsum > 0.05
    if not has.any():
        return None
    fine = np.zeros_like(acc)
    fine[has] = acc[has] / wsum[has, None]
    # the look-up favours calm patches a little (the fill it matches is a little smooth): bring the copied
    # detail up to the strength of the ring around the hole (at most DETAIL_GAIN x), no lone speckles
    rms = float(np.sqrt((fine[has] ** 2).mean()))
    if rms <= 0:
        return None
    gain = float(np.clip(ring_rms / rms, 1.0, DETAIL_GAIN))
    lim = DETAIL_CLAMP * rms
    return gain * np.clip(fine, -lim, lim)


# --------------------------------------------------------------------------- quality measure


def texture_ratio(result: np.ndarray, hole: np.ndarray, sigma: float = 1.5, gap: float = 3.0) -> float:
    """High-frequency energy inside a fill divided by that in a ring around it (1 = as textured as its
    surroundings, 0 = perfectly smooth).

    ``Y`` = grey level of ``result`` (0..255, OpenCV's RGB->GRAY); ``HF = Y - GaussianBlur(Y, sigma)``;
    energy of a region = mean of ``HF**2`` over it. Inside = hole pixels more than ``gap`` px from the
    hole's border (the seam itself is left out); ring = pixels outside the hole, more than ``gap`` and at
    most ``gap + width`` px from it, ``width = max(8, 0.25 * sqrt(hole area))``.
    """
    from core.composite import signed_distance

    hole = hole.astype(bool)
    sd = signed_distance(hole)
    width = max(8.0, 0.25 * float(np.sqrt(hole.sum())))
    inside = sd > gap
    ring = (sd < -gap) & (sd >= -(gap + width))
    if not inside.any() or not ring.any():
        raise BadInput("texture_ratio: the hole is too thin or has no surroundings")
    y = cv2.cvtColor(result, cv2.COLOR_RGB2GRAY).astype(np.float32)
    hf = y - cv2.GaussianBlur(y, (0, 0), sigma)
    return float((hf[inside] ** 2).mean() / max((hf[ring] ** 2).mean(), 1e-6))


# --------------------------------------------------------------------------- what Remove fills


def _spread(mask: np.ndarray, down: int, up: int, side: int) -> np.ndarray:
    """``mask`` dilated by a box reaching ``down`` px below, ``up`` px above and ``side`` px to each side."""
    kernel = np.ones((down + up + 1, 2 * side + 1), np.uint8)
    return cv2.dilate(mask.astype(np.uint8), kernel, anchor=(side, down)).astype(bool)


def shadow_of(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The object's shadow: pixels next to ``mask`` (mostly below it, some to the sides) that are clearly
    darker than the background a little further out, with about its hue, connected to the mask.

    The search reaches 45 % of the object's height below it, 20 % of its width to the sides and 4 % of
    its height above; "darker" = Lab lightness at most 82 % of the local background's (a masked blur of
    the band just beyond the search zone) and at least 6 units below it. Returns a bool mask (may be empty).
    """
    from core.composite import masked_blur, rgb_to_lab

    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return np.zeros_like(mask)
    bh, bw = int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)
    zone = _spread(mask, max(3, int(0.45 * bh)), max(1, int(0.04 * bh)), max(2, int(0.2 * bw))) & ~mask
    if not zone.any():
        return np.zeros_like(mask)
    reach = max(4, int(0.08 * max(bh, bw)))
    ref = cv2.dilate((zone | mask).astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool)
    ref &= ~(zone | mask)
    if ref.sum() < 16:
        return np.zeros_like(mask)
    lab = rgb_to_lab(image)
    L = lab[..., 0]
    sigma = max(4.0, 0.25 * max(bh, bw))
    bg = masked_blur(lab, ref.astype(np.float32), sigma)
    darker = (L <= 0.82 * bg[..., 0]) & (L <= bg[..., 0] - 6.0)
    chroma = np.hypot(lab[..., 1] - bg[..., 1], lab[..., 2] - bg[..., 2])
    cand = zone & darker & (chroma < 25.0)
    cand = cv2.morphologyEx(cand.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    cand = cv2.morphologyEx(cand, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool) & zone
    touch = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask)
    hit = np.unique(labels[touch & cand])
    hit = hit[hit > 0]
    # a shadow lies on the ground at the object's foot: below the object in its own columns, or beside
    # its lowest quarter; a dark thing that stands beside it (a wall, a door) reaches higher: not a shadow
    col_bottom = np.where(mask.any(axis=0), mask.shape[0] - 1 - np.argmax(mask[::-1], axis=0), -1)
    foot = int(ys.max()) - 0.25 * bh
    yy = np.arange(mask.shape[0])[:, None]
    low = np.where(col_bottom[None, :] >= 0, yy > col_bottom[None, :], yy >= foot)
    keep = [i for i in hit if low[labels == i].mean() >= 0.7]
    out = np.isin(labels, keep)
    if out.sum() > 1.5 * mask.sum():  # half the scene is "darker": no clear shadow, grow nothing
        return np.zeros_like(mask)
    return out


def removal_mask(image: np.ndarray, mask: np.ndarray, grow_px: float, shadow: bool = True) -> np.ndarray:
    """What Remove fills: the selection grown by ``grow_px`` (its outline, anti-aliased edge, a thin
    halo) plus its shadow (``shadow_of``), grown by the same margin and with small gaps closed."""
    from core.masks import fill_holes

    grown = _outside_within(mask.astype(bool), float(grow_px))
    if shadow:
        h, w = mask.shape
        s = min(1.0, float(np.sqrt(SHADOW_BUDGET_PX / (h * w))))
        if s < 1.0:  # a shadow is a big soft thing: look for it downscaled, then bring the mask back
            size = (max(8, round(w * s)), max(8, round(h * s)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            g = cv2.resize(grown.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
            sh = cv2.resize(shadow_of(small, g).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR) > 0
        else:
            sh = shadow_of(image, grown)
        if sh.any():
            sh = _outside_within(sh, max(1.0, 0.5 * float(grow_px)))
            grown |= sh
            grown = cv2.morphologyEx(grown.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)
            grown = fill_holes(grown, 0.25)  # gaps enclosed by object + shadow (a wheel's lighter hub)
    return grown


# --------------------------------------------------------------------------- a thin rim next to a replaced area


def cover_rim(image: np.ndarray, mask: np.ndarray, width: float = -1.0) -> tuple[np.ndarray, np.ndarray]:
    """Cover the thin rim of ``mask``'s old content that a selection left just outside itself (the bright
    halo of old sky along a roof or leaves when the sky is replaced) with the foreground next to it.

    Rim = pixels outside ``mask``, at most ``width`` px from it (``-1``: 0.4 % of the image's diagonal, at
    least 2 px), whose colour is closer to the mask's local colour than to the foreground's (both local
    means, Lab). They are filled from the foreground only (Telea, the mask excluded as a source), so
    the replacement then meets the real edge. Returns (the image with the rim covered, the rim mask);
    pixels outside the rim keep their exact bytes.
    """
    from core.composite import masked_blur, rgb_to_lab, signed_distance

    _check(image, mask, None)
    mask = mask.astype(bool)
    h, w = mask.shape
    width = float(width) if width >= 0 else max(2.0, 0.004 * float(np.hypot(h, w)))
    if width <= 0 or not mask.any() or mask.all():
        return image.copy(), np.zeros_like(mask)
    sd = signed_distance(mask)
    near = (sd < 0) & (sd >= -width)
    fg = (sd < -width) & (sd >= -3.0 * width - 2.0)  # foreground just beyond the rim
    inner = (sd > 0) & (sd <= 2.0 * width + 2.0)  # the mask's own colour just inside
    if not near.any() or not fg.any():
        return image.copy(), np.zeros_like(mask)
    lab = rgb_to_lab(image)
    sigma = max(3.0, 3.0 * width)
    c_in = masked_blur(lab, inner.astype(np.float32), sigma)
    c_fg = masked_blur(lab, fg.astype(np.float32), sigma)
    d_in = np.linalg.norm(lab - c_in, axis=2)
    d_fg = np.linalg.norm(lab - c_fg, axis=2)
    rim = near & (d_in < d_fg) & (np.linalg.norm(c_in - c_fg, axis=2) > 8.0)
    # only the rim touching the mask (a sky-coloured thing further away is foreground: keep it)
    n, labels = cv2.connectedComponents(rim.astype(np.uint8), connectivity=8)
    touch = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & rim
    rim = np.isin(labels, np.unique(labels[touch])) & rim if n > 1 else rim
    if not rim.any():
        return image.copy(), rim
    out = telea(image, rim, exclude=mask, radius=max(3.0, 2.0 * width))
    return out, rim
