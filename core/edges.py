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
        inside = where[ya:yb, xa:xb]
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
    factor = max(h / mask.shape[0], w / mask.shape[1], 1.0)
    band = float(band if band is not None else max(3.0, 1.5 * factor))
    radius = int(radius if radius is not None else max(2, round(band)))
    soft = upscale_soft(mask, w, h)
    crop = _work_box(mask, h, w, band, radius, factor)
    if crop is not None:  # a part of the photo: the same answer, worked out on the box around it only
        y0, y1, x0, x1 = crop
        alpha = np.zeros((h, w), np.float32)
        alpha[y0:y1, x0:x1] = _refine_box(
            photo[y0:y1, x0:x1],
            soft[y0:y1, x0:x1],
            factor,
            band,
            radius,
            eps,
            None if fixed is None else fixed[y0:y1, x0:x1],
            colour,
        )
        return alpha
    return _refine_box(photo, soft, factor, band, radius, eps, fixed, colour)


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
    grown = cv2.dilate(hard.view(np.uint8), ker).astype(bool)
    shrunk = cv2.erode(hard.view(np.uint8), ker, borderType=cv2.BORDER_REPLICATE).astype(bool)
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
        ca, weight = colour_alpha(photo[y0:y1, x0:x1], shrunk[y0:y1, x0:x1], ~grown[y0:y1, x0:x1], band)
        q = weight * ca + (1.0 - weight) * q
    alpha[y0:y1, x0:x1][r] = q[r]
    alpha[shrunk] = 1.0
    alpha[~grown] = 0.0
    if fixed is not None:
        alpha[fixed] = 0.0
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def colour_alpha(
    image: np.ndarray, inside: np.ndarray, outside: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel alpha from colour: each pixel's colour projected on the line between the local mean
    colour of the sure ``inside`` pixels and of the sure ``outside`` pixels (normalised convolutions of
    width ``sigma``): 1 = the inside's colour, 0 = the outside's. Also returns the trust in it (0..1: how
    different the two local colours are, 1 from 40 RGB units apart, and how close the pixel's colour is
    to a mix of them). Float32 HxW each."""
    from core.composite import masked_blur

    f = image.astype(np.float32)
    s = max(2.0, float(sigma))
    mi = masked_blur(f, inside.astype(np.float32), s)
    mo = masked_blur(f, outside.astype(np.float32), s)
    d = mi - mo
    n2 = np.maximum((d * d).sum(axis=2), 1e-3)
    a = np.clip(((f - mo) * d).sum(axis=2) / n2, 0.0, 1.0)
    # a colour far off the line between the two (a beige trim between a blue sky and a green roof) is
    # neither a mix of them: trust the projection less there
    res = np.sqrt(((f - mo - a[..., None] * d) ** 2).sum(axis=2))
    trust = np.clip(np.sqrt(n2) / 40.0, 0.0, 1.0) * np.clip(1.0 - res / (0.35 * np.sqrt(n2)), 0.0, 1.0)
    if not inside.any() or not outside.any():
        trust[:] = 0.0
    return a.astype(np.float32), trust.astype(np.float32)


def refine_mask(photo: np.ndarray, mask: np.ndarray, **kwargs) -> np.ndarray:
    """Bool HxW of ``photo``'s size: :func:`refine_alpha` thresholded at 0.5."""
    return refine_alpha(photo, mask, **kwargs) >= 0.5


def soft_edge(photo: np.ndarray, mask: np.ndarray, width: float) -> np.ndarray:
    """The soft alpha an edit of a full-size bool ``mask`` is composited with: within ``width`` px of the
    boundary it follows the photo (crisp at a hard edge, in between on hair, fur and leaves, a ramp like a
    feather where the photo is flat); 1 deeper inside, 0 farther out. Float32 HxW."""
    width = max(1.0, float(width))
    return refine_alpha(photo, mask, band=width, radius=max(2, round(width)))
