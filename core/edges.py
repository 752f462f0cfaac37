"""Soft, exact mask edges at full resolution: a guided filter (He, Sun and Tang, "Guided Image Filtering",
ECCV 2010 / TPAMI 2013) and its fast sub-sampled form (He and Sun, "Fast Guided Filter", 2015), written
with ``cv2.boxFilter`` (no opencv-contrib).

Why: parsers and click segmenters work on a small copy of the photo (512 px). Upscaling their masks makes
a staircase along every edge and misses hair, fur and leaves. :func:`refine_alpha` takes a low-resolution
(or full-size but blocky) mask and the full-size photo and returns a float alpha in [0, 1] whose edges
follow the photo's own edges: hard where the photo has a hard edge, soft where it is soft (hair, fur,
foliage against the sky). ``alpha >= 0.5`` is the refined bool mask.

Only a band around the coarse boundary is refined: pixels deeper than ``band`` px inside (outside) the
coarse mask keep alpha 1 (0), so a refinement can move an edge, never invent a far-away region.

Conventions: images RGB uint8 HxWx3; masks bool HxW; alphas float32 HxW in [0, 1].
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

EPS = 1e-4  # guided filter regularisation on a [0, 1] guide: edges with a contrast of ~1 % still count


def _box(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window (normalised box filter, replicated border)."""
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def guided_filter(
    guide: np.ndarray,
    src: np.ndarray,
    radius: int,
    eps: float = EPS,
    subsample: int = 1,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Colour guided filter: ``src`` (float HxW) smoothed while keeping the edges of ``guide`` (RGB).

    ``guide`` is RGB uint8 (or float in [0, 1]) HxWx3; ``radius`` in guide pixels; ``eps`` the
    regularisation (larger: smoother, fewer edges kept). ``subsample`` > 1 computes the linear
    coefficients on a copy ``subsample`` times smaller and applies them at full size (fast guided filter).
    ``where`` (bool HxW, optional): only these pixels are filtered, the others keep ``src``.
    Returns float32 HxW.
    """
    scale = 1.0 / 255.0 if guide.dtype == np.uint8 else 1.0
    p = src.astype(np.float32)
    h, w = p.shape
    s = max(1, int(subsample))
    if s > 1:
        size = (max(1, w // s), max(1, h // s))
        gs = cv2.resize(guide, size, interpolation=cv2.INTER_AREA).astype(np.float32) * scale
        ps = cv2.resize(p, size, interpolation=cv2.INTER_AREA)
        r = max(1, round(radius / s))
    else:
        gs, ps, r = guide.astype(np.float32) * scale, p, max(1, int(radius))
    if s > 1 and where is not None:  # the coefficients only near the pixels asked for (the same values)
        near = cv2.resize(where.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        near = cv2.dilate(near.view(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        mean_a, mean_b = (
            _coefficients_on_tiles(gs, ps, near, r, eps) if near.mean() < 0.5 else _coefficients(gs, ps, r, eps)
        )
    else:
        mean_a, mean_b = _coefficients(gs, ps, r, eps)
    if s > 1:
        mean_a = cv2.resize(mean_a, (w, h), interpolation=cv2.INTER_LINEAR)
        mean_b = cv2.resize(mean_b, (w, h), interpolation=cv2.INTER_LINEAR)
    if where is None:
        g = guide.astype(np.float32) * scale
        return (np.einsum("hwc,hwc->hw", mean_a, g) + mean_b).astype(np.float32)
    out = p.copy()
    out[where] = (mean_a[where] * (guide[where].astype(np.float32) * scale)).sum(axis=1) + mean_b[where]
    return out


def _coefficients(gs: np.ndarray, ps: np.ndarray, r: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's box-averaged linear coefficients (``mean_a`` HxWx3, ``mean_b`` HxW) for the float
    guide ``gs`` (HxWx3 in [0, 1]) and ``src`` ``ps`` (HxW), window radius ``r``."""
    mean_i = _box(gs, r)  # (h, w, 3)
    mean_p = _box(ps, r)
    mean_ip = _box(gs * ps[..., None], r)
    cov_ip = mean_ip - mean_i * mean_p[..., None]

    # per-pixel 3x3 covariance of the guide, regularised, and its inverse (closed form by cofactors)
    def var(a: int, b: int) -> np.ndarray:
        v = _box(gs[..., a] * gs[..., b], r) - mean_i[..., a] * mean_i[..., b]
        return v + eps if a == b else v

    rr, rg, rb, gg, gb, bb = var(0, 0), var(0, 1), var(0, 2), var(1, 1), var(1, 2), var(2, 2)
    i_rr, i_rg, i_rb = gg * bb - gb * gb, gb * rb - rg * bb, rg * gb - gg * rb
    i_gg, i_gb, i_bb = rr * bb - rb * rb, rb * rg - rr * gb, rr * gg - rg * rg
    det = rr * i_rr + rg * i_rg + rb * i_rb
    c0, c1, c2 = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    coef = (
        np.stack(
            [i_rr * c0 + i_rg * c1 + i_rb * c2, i_rg * c0 + i_gg * c1 + i_gb * c2, i_rb * c0 + i_gb * c1 + i_bb * c2],
            axis=-1,
        )
        / det[..., None]
    )  # (h, w, 3): a
    b0 = mean_p - np.einsum("hwc,hwc->hw", coef, mean_i)
    mean_a = _box(coef, r)
    mean_b = _box(b0, r)
    return mean_a, mean_b


def _tile_runs(need: np.ndarray, tile: int) -> Iterator[tuple[int, int, int, int]]:
    """(ya, yb, xa, xb) of each run of neighbouring ``tile`` x ``tile`` tiles in a row that hold ``need`` pixels."""
    h, w = need.shape
    ty, tx = -(-h // tile), -(-w // tile)
    padded = np.zeros((ty * tile, tx * tile), bool)
    padded[:h, :w] = need
    occupied = np.asarray(padded.reshape(ty, tile, tx, tile).any(axis=(1, 3)))
    for i in range(ty):
        row = np.flatnonzero(occupied[i])
        if row.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(row) > 1)
        for j0, j1 in zip(np.r_[row[0], row[breaks + 1]], np.r_[row[breaks], row[-1]], strict=True):
            yield i * tile, min(h, (i + 1) * tile), int(j0) * tile, min(w, (int(j1) + 1) * tile)


def _coefficients_on_tiles(
    gs: np.ndarray, ps: np.ndarray, need: np.ndarray, r: int, eps: float, tile: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_coefficients` worked out only on the tiles that hold ``need`` pixels (0 elsewhere): the same
    values there, for the reason given in :func:`guided_on_tiles`."""
    h, w = ps.shape
    m = 2 * r + 1
    gp = cv2.copyMakeBorder(gs, m, m, m, m, cv2.BORDER_REFLECT)
    pp = cv2.copyMakeBorder(ps, m, m, m, m, cv2.BORDER_REFLECT)
    mean_a = np.zeros((h, w, 3), np.float32)
    mean_b = np.zeros((h, w), np.float32)
    for ya, yb, xa, xb in _tile_runs(need, tile):
        a, b = _coefficients(gp[ya : yb + 2 * m, xa : xb + 2 * m], pp[ya : yb + 2 * m, xa : xb + 2 * m], r, eps)
        mean_a[ya:yb, xa:xb] = a[m:-m, m:-m]
        mean_b[ya:yb, xa:xb] = b[m:-m, m:-m]
    return mean_a, mean_b


def band_morphology(hard: np.ndarray, kernel: np.ndarray, tile: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``(cv2.dilate(hard, kernel), cv2.erode(hard, kernel, borderType=cv2.BORDER_REPLICATE))`` of a bool mask, as
    bool arrays: the same answer, worked out only on the ``tile`` x ``tile`` tiles near the mask's edge.

    Why: the edge band of a big photo's masks is a wide ellipse (37 px at 24 MP), whose dilation and erosion over
    the whole box of a mask took most of a refinement's time, while they change only pixels near the edge.
    Exact: a tile whose 3 x 3 tile neighbourhood is all inside (or all outside) the mask has every pixel's window
    (at most ``tile`` px from it when the kernel's half size is at most ``tile``) in that neighbourhood, so both
    answers there are the mask itself; the other tiles are worked out in runs along each row of tiles, with a margin
    of the kernel's half size (at the photo's sides the crop's own border is the photo's, so the border rules are
    the same as on the whole)."""
    h, w = hard.shape
    ry, rx = kernel.shape[0] // 2, kernel.shape[1] // 2
    u = np.ascontiguousarray(hard).view(np.uint8)
    if ry > tile or rx > tile or h <= 2 * tile or w <= 2 * tile:
        dilated = cv2.dilate(u, kernel)
        return dilated.view(bool), cv2.erode(u, kernel, borderType=cv2.BORDER_REPLICATE).view(bool)
    ty, tx = -(-h // tile), -(-w // tile)
    tiles = cv2.copyMakeBorder(u, 0, ty * tile - h, 0, tx * tile - w, cv2.BORDER_REPLICATE).reshape(ty, tile, tx, tile)
    top, bottom = np.ascontiguousarray(tiles.max(axis=(1, 3))), np.ascontiguousarray(tiles.min(axis=(1, 3)))
    del tiles  # (a copy of the mask: not kept while the answers are made)
    three = np.ones((3, 3), np.uint8)
    hi = cv2.dilate(top, three, borderType=cv2.BORDER_REPLICATE)  # 1: some tile around holds an inside pixel
    lo = cv2.erode(bottom, three, borderType=cv2.BORDER_REPLICATE)  # 0: some tile around holds an outside pixel
    grown, shrunk = hard.copy(), hard.copy()
    for i in range(ty):
        row = np.flatnonzero(hi[i] != lo[i])
        if row.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(row) > 1)
        for j0, j1 in zip(np.r_[row[0], row[breaks + 1]], np.r_[row[breaks], row[-1]], strict=True):
            ya, yb, xa, xb = i * tile, min(h, (i + 1) * tile), int(j0) * tile, min(w, (int(j1) + 1) * tile)
            ca, cb, da, db = max(0, ya - ry), min(h, yb + ry), max(0, xa - rx), min(w, xb + rx)
            crop = u[ca:cb, da:db]
            inner = (slice(ya - ca, yb - ca), slice(xa - da, xb - da))
            grown[ya:yb, xa:xb] = cv2.dilate(crop, kernel)[inner].view(bool)
            shrunk[ya:yb, xa:xb] = cv2.erode(crop, kernel, borderType=cv2.BORDER_REPLICATE)[inner].view(bool)
    return grown, shrunk


def _reach(hard: np.ndarray, k: int) -> np.ndarray:
    """Bool: the pixels ``p`` with a True pixel of ``hard`` in ``p`` + OpenCV's elliptic structuring element of
    half size ``k`` (``cv2.dilate(hard, ellipse)``; pixels beyond the array count as False). See
    :func:`ellipse_morphology`."""
    h, w = hard.shape
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)).astype(bool)
    half = (ker.sum(axis=1) - 1) // 2  # each kernel row's half width (the rows are symmetric), dy = -k .. k
    yy, xx = np.mgrid[-k : k + 1, -k : k + 1]
    d2 = xx * xx + yy * yy
    lo = min(int(d2[~ker].min()) if (~ker).any() else (k + 1) ** 2, (k + 1) ** 2) - 1  # every offset this near is in
    hi = int(d2[ker].max())  # no offset farther is in
    dist = cv2.distanceTransform((~hard).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    sq = dist * dist  # squared distances are integers: compare with half-integers (float32 rounding)
    del dist
    out = sq < lo + 0.5
    ys, xs = np.nonzero((sq > lo + 0.5) & (sq < hi + 0.5))  # nearest hard pixel on the shell: look row by row
    del sq
    if ys.size == 0:
        return out
    r0, r1 = max(0, int(ys.min()) - k), min(h, int(ys.max()) + k + 1)
    part = hard[r0:r1]
    cols = np.arange(w, dtype=np.int32)
    left = np.where(part, cols, np.int32(-(2**30)))
    np.maximum.accumulate(left, axis=1, out=left)
    right = np.where(part[:, ::-1], cols[::-1], np.int32(2**30))
    np.minimum.accumulate(right, axis=1, out=right)
    hd = np.minimum(cols - left, right[:, ::-1] - cols)  # each pixel's distance to the nearest hard one in its row
    del left, right
    hit = np.zeros(ys.size, bool)
    for dy in range(-k, k + 1):
        rows = ys + dy
        ok = (rows >= 0) & (rows < h)
        hit |= ok & (hd[np.clip(rows, r0, r1 - 1) - r0, xs] <= half[dy + k])
    out[ys, xs] = hit
    return out


ELLIPSE_EDT_MIN = 40  # half size from which :func:`ellipse_morphology` is faster than :func:`band_morphology` (27 MP: 0.8 vs 2.0 s at 60)


def ellipse_morphology(hard: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``band_morphology(hard, ellipse)`` for OpenCV's elliptic structuring element of half size ``k``: the same two
    bool arrays (dilation; erosion with a replicated border), read from two Euclidean distance transforms.

    Exact: the ellipse holds every offset nearer than its nearest outside offset and none farther than its farthest
    inside one, so a pixel whose nearest True (False) pixel is nearer or farther than that shell is settled by the
    distance alone; the few pixels on the shell (about half a pixel thick) are checked against each kernel row with
    each row's distance to its nearest True (False) pixel. A replicated border adds no nearer False pixel (the ellipse
    shrinks along each axis towards its centre), so the erosion is the complement of the reach of the False pixels.
    Cost: linear in the pixels, whatever ``k`` (cv2's ellipse morphology grows with its area)."""
    hard = np.ascontiguousarray(hard, dtype=bool)
    if not hard.any():
        return hard.copy(), hard.copy()
    if hard.all():
        return hard.copy(), hard.copy()
    return _reach(hard, k), ~_reach(~hard, k)


TILE = 64  # side of the tiles :func:`guided_on_tiles` works on


def guided_on_tiles(
    guide: np.ndarray, src: np.ndarray, where: np.ndarray, radius: int, eps: float = EPS, tile: int = TILE
) -> np.ndarray:
    """``guided_filter(guide, src, radius, eps, where=where)`` (no subsampling), worked out only on the
    ``tile`` x ``tile`` tiles that hold ``where`` pixels: the same answer (float32 HxW; pixels outside
    ``where`` keep ``src``) for a cost that grows with the length of a mask's edge, not the photo's area.

    Exact, not an approximation: the filter's value at a pixel depends only on the guide and ``src``
    within ``2 * radius`` of it (two box filters of that radius), so each run of neighbouring tiles is
    filtered with a margin of ``2 * radius + 1`` px; at the photo's sides that margin is the photo
    mirrored (``BORDER_REFLECT``, the border the box filters of :func:`guided_filter` use), which gives the
    box means the filter sees there on the whole photo.
    """
    h, w = src.shape
    out = src.astype(np.float32)
    if not where.any():
        return out
    m = 2 * max(1, int(radius)) + 1
    g = cv2.copyMakeBorder(np.ascontiguousarray(guide), m, m, m, m, cv2.BORDER_REFLECT)
    p = cv2.copyMakeBorder(out, m, m, m, m, cv2.BORDER_REFLECT)
    for ya, yb, xa, xb in _tile_runs(where, tile):  # runs of neighbouring tiles in a row go together
        rows, cols = np.flatnonzero(where[ya:yb, xa:xb].any(axis=1)), np.flatnonzero(where[ya:yb, xa:xb].any(axis=0))
        ya, yb, xa, xb = ya + int(rows[0]), ya + int(rows[-1]) + 1, xa + int(cols[0]), xa + int(cols[-1]) + 1
        inside = where[ya:yb, xa:xb]  # the box around ``where``'s pixels in the run: the same values there
        local = np.zeros((yb - ya + 2 * m, xb - xa + 2 * m), bool)
        local[m:-m, m:-m] = inside
        q = guided_filter(
            g[ya : yb + 2 * m, xa : xb + 2 * m], p[ya : yb + 2 * m, xa : xb + 2 * m], radius, eps, where=local
        )
        out[ya:yb, xa:xb][inside] = q[m:-m, m:-m][inside]
    return out


def upscale_soft(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear upscale of a bool (or float) mask to ``width`` x ``height``: float32 in [0, 1]."""
    m = mask.astype(np.float32)
    if m.shape == (height, width):
        return m
    return cv2.resize(m, (width, height), interpolation=cv2.INTER_LINEAR)


def refine_alpha(
    photo: np.ndarray,
    mask: np.ndarray,
    band: float | None = None,
    radius: int | None = None,
    eps: float = EPS,
    fixed: np.ndarray | None = None,
    colour: bool = False,
) -> np.ndarray:
    """A soft alpha (float32 HxW of ``photo``'s size) for ``mask`` whose edges follow the photo's edges.

    ``mask`` is bool (any size; a low-resolution mask is upscaled first). ``band``: how far (photo px) the
    edge may move, default 1.5x the upscale factor (at least 3 px). ``radius``: the filter window, default
    ``band``. Pixels farther than ``band`` from the coarse edge keep the coarse answer (1 inside, 0 outside);
    only the box around the band is processed, so a small object on a big photo costs little. ``fixed``
    (bool, photo size, optional) marks pixels that must end at 0 whatever the filter says (e.g. another
    object's inside). ``colour``: also unmix each band pixel's colour between the local colours of the
    sure inside and the sure outside (:func:`colour_alpha`), so an edge that is a few px off moves to
    the photo's real edge where the two sides differ in colour. Returns float32 in [0, 1]; ``>= 0.5``
    is the refined mask.
    """
    h, w = photo.shape[:2]
    (y0, y1, x0, x1), a = refine_alpha_box(photo, mask, band, radius, eps, fixed, colour)
    if (y0, y1, x0, x1) == (0, h, 0, w):
        return a
    alpha = np.zeros((h, w), np.float32)
    alpha[y0:y1, x0:x1] = a
    return alpha


def refine_alpha_box(
    photo: np.ndarray,
    mask: np.ndarray,
    band: float | None = None,
    radius: int | None = None,
    eps: float = EPS,
    fixed: np.ndarray | None = None,
    colour: bool = False,
) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """:func:`refine_alpha` as ((y0, y1, x0, x1), alpha on that box of the photo): 0 outside the box."""
    h, w = photo.shape[:2]
    factor = max(h / mask.shape[0], w / mask.shape[1], 1.0)
    band = float(band if band is not None else max(3.0, 1.5 * factor))
    radius = int(radius if radius is not None else max(2, round(band)))
    soft = upscale_soft(mask, w, h)
    crop = _work_box(mask, h, w, band, radius, factor)
    if crop is not None:  # a part of the photo: the same answer, worked out on the box around it only
        y0, y1, x0, x1 = crop
        return crop, _refine_box(
            photo[y0:y1, x0:x1],
            soft[y0:y1, x0:x1],
            factor,
            band,
            radius,
            eps,
            None if fixed is None else fixed[y0:y1, x0:x1],
            colour,
        )
    return (0, h, 0, w), _refine_box(photo, soft, factor, band, radius, eps, fixed, colour)


def _work_box(
    mask: np.ndarray, h: int, w: int, band: float, radius: int, factor: float
) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of the photo-size box outside which :func:`refine_alpha` answers 0 for ``mask`` (its
    upscaled extent, grown by the band, the filter's window and its padding); None when that is (nearly)
    the whole photo or the mask is empty."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    fy, fx = h / mask.shape[0], w / mask.shape[1]
    m = int(np.ceil(band)) + 2 * radius + 4 + int(np.ceil(factor))
    y0, y1 = max(0, int(rows[0] * fy) - m), min(h, int(np.ceil((rows[-1] + 1) * fy)) + m)
    x0, x1 = max(0, int(cols[0] * fx) - m), min(w, int(np.ceil((cols[-1] + 1) * fx)) + m)
    if (y1 - y0) * (x1 - x0) > 0.8 * h * w:
        return None
    return y0, y1, x0, x1


def _refine_box(
    photo: np.ndarray,
    soft: np.ndarray,
    factor: float,
    band: float,
    radius: int,
    eps: float,
    fixed: np.ndarray | None,
    colour: bool,
) -> np.ndarray:
    """:func:`refine_alpha` on a box of the photo (``soft``: the upscaled mask there)."""
    h, w = photo.shape[:2]
    hard = soft >= 0.5
    alpha = soft.copy() if factor > 1 else hard.astype(np.float32)
    if not hard.any() or hard.all():
        return np.clip(alpha, 0, 1)
    k = int(np.ceil(band))
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    grown, shrunk = ellipse_morphology(hard, k) if k >= ELLIPSE_EDT_MIN else band_morphology(hard, ker)
    ring = grown & ~shrunk
    ys = np.flatnonzero(ring.any(axis=1))
    xs = np.flatnonzero(ring.any(axis=0))
    pad = 2 * radius + 2
    y0, y1 = max(0, ys[0] - pad), min(h, ys[-1] + 1 + pad)
    x0, x1 = max(0, xs[0] - pad), min(w, xs[-1] + 1 + pad)
    sub = int(np.clip(radius // 2, 1, 4))  # the coefficients are smooth: compute them on a smaller copy
    r = ring[y0:y1, x0:x1]
    if sub == 1:  # the exact filter: only on the tiles the ring crosses (the same values, far less work)
        q = guided_on_tiles(photo[y0:y1, x0:x1], soft[y0:y1, x0:x1], r, radius, eps)
    else:
        q = guided_filter(photo[y0:y1, x0:x1], soft[y0:y1, x0:x1], radius, eps, subsample=sub, where=r)
    # stretch: the filter keeps the coarse map's ramp width in flat areas; a contrast curve around 0.5
    # makes edges that the photo supports crisp, while truly mixed pixels (hair, fur) stay in between
    q = np.clip((q - 0.5) * 1.6 + 0.5, 0.0, 1.0)
    if colour:
        ca, weight = colour_alpha(photo[y0:y1, x0:x1], shrunk[y0:y1, x0:x1], ~grown[y0:y1, x0:x1], band, where=r)
        q = weight * ca + (1.0 - weight) * q
    alpha[y0:y1, x0:x1][r] = q[r]
    alpha[shrunk] = 1.0
    alpha[~grown] = 0.0
    if fixed is not None:
        alpha[fixed] = 0.0
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def colour_alpha(
    image: np.ndarray, inside: np.ndarray, outside: np.ndarray, sigma: float, where: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel alpha from colour: each pixel's colour projected on the line between the local mean
    colour of the sure ``inside`` pixels and of the sure ``outside`` pixels (normalised convolutions of
    width ``sigma``): 1 = the inside's colour, 0 = the outside's. Also returns the trust in it (0..1: how
    different the two local colours are, 1 from 40 RGB units apart, and how close the pixel's colour is
    to a mix of them). Float32 HxW each. ``where`` (bool HxW, optional): only these pixels are worked out (the
    same values there), the others are 0 (a band's pixels: the per-pixel work is not done on the whole box)."""
    from core.composite import masked_blur

    f = image.astype(np.float32)
    s = max(2.0, float(sigma))
    mi = masked_blur(f, inside.astype(np.float32), s)
    mo = masked_blur(f, outside.astype(np.float32), s)
    if where is not None:
        f, mi, mo = f[where], mi[where], mo[where]
    d = mi - mo
    n2 = np.maximum((d * d).sum(axis=-1), 1e-3)
    a = np.clip(((f - mo) * d).sum(axis=-1) / n2, 0.0, 1.0)
    # a colour far off the line between the two (a beige trim between a blue sky and a green roof) is
    # neither a mix of them: trust the projection less there
    res = np.sqrt(((f - mo - a[..., None] * d) ** 2).sum(axis=-1))
    trust = np.clip(np.sqrt(n2) / 40.0, 0.0, 1.0) * np.clip(1.0 - res / (0.35 * np.sqrt(n2)), 0.0, 1.0)
    if not inside.any() or not outside.any():
        trust[:] = 0.0
    if where is None:
        return a.astype(np.float32), trust.astype(np.float32)
    a_out, trust_out = np.zeros(where.shape, np.float32), np.zeros(where.shape, np.float32)
    a_out[where], trust_out[where] = a, trust
    return a_out, trust_out


def refine_mask(photo: np.ndarray, mask: np.ndarray, **kwargs) -> np.ndarray:
    """Bool HxW of ``photo``'s size: :func:`refine_alpha` thresholded at 0.5."""
    return refine_alpha(photo, mask, **kwargs) >= 0.5


def soft_edge(photo: np.ndarray, mask: np.ndarray, width: float) -> np.ndarray:
    """The soft alpha an edit of a full-size bool ``mask`` is composited with: within ``width`` px of the
    boundary it follows the photo (crisp at a hard edge, in between on hair, fur and leaves, a ramp like a
    feather where the photo is flat); 1 deeper inside, 0 farther out. Float32 HxW."""
    width = max(1.0, float(width))
    return refine_alpha(photo, mask, band=width, radius=max(2, round(width)))


class EdgeRefiner:
    """:func:`refine_alpha` (default band and radius, no ``colour`` or ``fixed``) for many masks of one photo
    that share a working size (a parse: people, their parts, face features, scene classes), with the work
    shared and kept to the edge band.

    Why: a parse of a group photo refines a dozen or more masks; :func:`refine_alpha` works out the guide's
    statistics (its box means and the inverse of its 3x3 colour covariance, the larger half of the filter)
    for each mask again, on a grid that moves with each mask's box, and upsamples and applies the
    coefficients over the whole box around the band even when the band is a few thin rings (the eyes of six
    faces). Here the guide's statistics are computed once, on one grid of ``sub`` x ``sub`` blocks of the
    photo (the fast guided filter's subsampled copy, ``sub`` as :func:`refine_alpha` picks it), and each
    mask's coefficients are computed, upsampled and applied only on the runs of ``tile`` x ``tile`` tiles its
    band crosses (each with the margin the two box filters and the bilinear upsampling read).

    The band, its ring, the sure inside (1) and outside (0), the stretch around 0.5 and the window are
    :func:`refine_alpha`'s; inside the band the values differ from it only by where the subsampled grid sits
    (one grid for the photo instead of one per mask's box) and float rounding: the same filter.
    """

    def __init__(self, photo: np.ndarray, work_shape: tuple[int, int], eps: float = EPS, tile: int = TILE):
        self.photo = photo
        h, w = photo.shape[:2]
        self.h, self.w = h, w
        self.work_shape = work_shape
        self.factor = max(h / work_shape[0], w / work_shape[1], 1.0)
        self.band = max(3.0, 1.5 * self.factor)
        self.radius = max(2, round(self.band))
        self.sub = int(np.clip(self.radius // 2, 1, 4))
        self.eps = eps
        s = self.sub
        self.tile = max(s, tile - tile % s)
        self.r = max(1, round(self.radius / s)) if s > 1 else self.radius  # the window on the grid
        self.m = 2 * self.r + 2  # grid margin around a run: two box filters and the bilinear upsampling
        self._stats: tuple[np.ndarray, ...] | None = None
        k = int(np.ceil(self.band))
        self._ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))

    def _grid_shape(self) -> tuple[int, int]:
        return -(-self.h // self.sub), -(-self.w // self.sub)

    def _guide_stats(self) -> tuple[np.ndarray, ...]:
        """The guide on the grid (margin ``m`` mirrored around it), its box means and the inverse of its
        regularised colour covariance (six planes, symmetric), computed once."""
        if self._stats is None:
            m, r = self.m, self.r
            # the block means of the uint8 photo, as guided_filter's subsampled guide (rounded to integers)
            g = self._blocks(self.photo).astype(np.float32) * (1.0 / 255.0)
            gs = cv2.copyMakeBorder(np.ascontiguousarray(g), m, m, m, m, cv2.BORDER_REFLECT)
            mean_i = _box(gs, r)

            def var(a: int, b: int) -> np.ndarray:
                v = _box(gs[..., a] * gs[..., b], r) - mean_i[..., a] * mean_i[..., b]
                return v + self.eps if a == b else v

            rr, rg, rb, gg, gb, bb = var(0, 0), var(0, 1), var(0, 2), var(1, 1), var(1, 2), var(2, 2)
            i_rr, i_rg, i_rb = gg * bb - gb * gb, gb * rb - rg * bb, rg * gb - gg * rb
            i_gg, i_gb, i_bb = rr * bb - rb * rb, rb * rg - rr * gb, rr * gg - rg * rg
            det = rr * i_rr + rg * i_rg + rb * i_rb
            inv = np.stack([i_rr, i_rg, i_rb, i_gg, i_gb, i_bb], axis=-1) / det[..., None]
            self._stats = (gs, mean_i, inv.astype(np.float32))
        return self._stats

    def alpha_box(self, mask: np.ndarray) -> tuple[tuple[int, int, int, int], np.ndarray]:
        """((y0, y1, x0, x1), alpha): the refined alpha of work-size bool ``mask`` on the box of the photo
        outside which it is 0 (float32, ``refine_alpha``'s answer there)."""
        h, w = self.h, self.w
        if mask.shape != self.work_shape:
            raise ValueError(f"mask {mask.shape} is not the work size {self.work_shape}")
        if self.sub == 1:  # no subsampled grid to share: refine_alpha's own tiles are as cheap
            return refine_alpha_box(self.photo, mask, eps=self.eps)
        crop = _work_box(mask, h, w, self.band, self.radius, self.factor)
        if crop is None:
            if not mask.any():
                return (0, h, 0, w), np.zeros((h, w), np.float32)
            crop = (0, h, 0, w)
        y0, y1, x0, x1 = crop
        s = self.sub
        y0, x0 = y0 - y0 % s, x0 - x0 % s  # on the grid
        whole = upscale_soft(mask, w, h)
        soft = whole[y0:y1, x0:x1]
        hard = soft >= 0.5
        alpha = soft.copy() if self.factor > 1 else hard.astype(np.float32)
        if not hard.any() or hard.all():
            return (y0, y1, x0, x1), np.clip(alpha, 0, 1)
        grown, shrunk = band_morphology(hard, self._ker)
        ring = grown & ~shrunk
        q = self._filter(whole, ring, (y0, x0))
        alpha[ring] = np.clip((q - 0.5) * 1.6 + 0.5, 0.0, 1.0)  # refine_alpha's stretch
        alpha[shrunk] = 1.0
        alpha[~grown] = 0.0
        return (y0, y1, x0, x1), np.clip(alpha, 0.0, 1.0)

    def warm(self) -> None:
        """Work out the guide's statistics now (they are kept): before threads share the refiner, so that none of
        them works them out again."""
        if self.sub > 1:
            self._guide_stats()

    def alpha(self, mask: np.ndarray) -> np.ndarray:
        """The refined alpha of work-size bool ``mask`` at the photo's size (float32)."""
        (y0, y1, x0, x1), a = self.alpha_box(mask)
        out = np.zeros((self.h, self.w), np.float32)
        out[y0:y1, x0:x1] = a
        return out

    def mask(self, mask: np.ndarray) -> np.ndarray:
        """Bool HxW of the photo's size: the refined ``mask`` (alpha >= 0.5)."""
        (y0, y1, x0, x1), a = self.alpha_box(mask)
        out = np.zeros((self.h, self.w), bool)
        out[y0:y1, x0:x1] = a >= 0.5
        return out

    def _blocks(self, img: np.ndarray) -> np.ndarray:
        """``img`` (photo size) on the grid: the mean of each ``sub`` x ``sub`` block (the last ones reach past
        the photo: its edge is replicated there)."""
        s = self.sub
        if s == 1:
            return img
        gh, gw = self._grid_shape()
        if gh * s != self.h or gw * s != self.w:
            img = cv2.copyMakeBorder(img, 0, gh * s - self.h, 0, gw * s - self.w, cv2.BORDER_REPLICATE)
        return cv2.resize(img, (gw, gh), interpolation=cv2.INTER_AREA)

    def _filter(self, soft: np.ndarray, ring: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
        """The fast guided filter of ``soft`` (the mask's upscale, photo size) at the ``ring`` pixels (bool, a
        box of the photo at ``origin``, on the grid): float32, one value per ring pixel in row-major order."""
        gs, mean_i, inv = self._guide_stats()
        s, m, r = self.sub, self.m, self.r
        oy, ox = origin
        ps = self._blocks(soft)  # the mask's upscale on the grid (block means, as the guide's)
        pp = cv2.copyMakeBorder(ps, m, m, m, m, cv2.BORDER_REFLECT)
        out = np.zeros(ring.shape, np.float32)
        for ya, yb, xa, xb in _tile_runs(ring, self.tile):  # photo px inside the box, multiples of the tile
            # only the box around the band's pixels in the run (its start on the grid): the same values there
            rows = np.flatnonzero(ring[ya:yb, xa:xb].any(axis=1))
            cols = np.flatnonzero(ring[ya:yb, xa:xb].any(axis=0))
            ya, yb = ya + int(rows[0]) // s * s, ya + int(rows[-1]) + 1
            xa, xb = xa + int(cols[0]) // s * s, xa + int(cols[-1]) + 1
            Ya, Yb, Xa, Xb = oy + ya, oy + yb, ox + xa, ox + xb  # photo px; Ya, Xa on the grid
            ga, gb_ = Ya // s, -(-Yb // s)  # grid rows of the run
            ha, hb = Xa // s, -(-Xb // s)
            sl = (slice(ga, gb_ + 2 * m), slice(ha, hb + 2 * m))  # with the margin (pp, gs are padded by m)
            p, g, mi, iv = pp[sl], gs[sl], mean_i[sl], inv[sl]
            mean_p = _box(p, r)
            cov = _box(g * p[..., None], r) - mi * mean_p[..., None]
            c0, c1, c2 = cov[..., 0], cov[..., 1], cov[..., 2]
            coef = np.stack(
                [
                    iv[..., 0] * c0 + iv[..., 1] * c1 + iv[..., 2] * c2,
                    iv[..., 1] * c0 + iv[..., 3] * c1 + iv[..., 4] * c2,
                    iv[..., 2] * c0 + iv[..., 4] * c1 + iv[..., 5] * c2,
                ],
                axis=-1,
            )
            b0 = mean_p - np.einsum("hwc,hwc->hw", coef, mi)
            e = m - 1  # keep one grid cell beyond the run for the bilinear upsampling
            ab = _box(np.concatenate([coef, b0[..., None]], axis=-1), r)[e:-e, e:-e]  # a (3) and b, one pass
            if s > 1:  # grid cell j (here j + 1) covers photo px s*j .. s*j + s - 1: an exact s-times upsample
                ab = cv2.resize(ab, (ab.shape[1] * s, ab.shape[0] * s), interpolation=cv2.INTER_LINEAR)
            ly, lx = Ya - ga * s + s, Xa - ha * s + s  # the run's first photo px in the upsampled arrays
            ab = ab[ly : ly + Yb - Ya, lx : lx + Xb - Xa]
            mean_a, mean_b = ab[..., :3], ab[..., 3]
            inside = ring[ya:yb, xa:xb]
            # a * I + b over the whole run (dense planes are cheaper than gathering the ring's pixels first;
            # the same sums in the same order as over the colour axis)
            guide = self.photo[Ya:Yb, Xa:Xb]
            q = mean_a[..., 0] * (guide[..., 0].astype(np.float32) * (1.0 / 255.0))
            q += mean_a[..., 1] * (guide[..., 1].astype(np.float32) * (1.0 / 255.0))
            q += mean_a[..., 2] * (guide[..., 2].astype(np.float32) * (1.0 / 255.0))
            q += mean_b
            out[ya:yb, xa:xb][inside] = q[inside]
        return out[ring]
