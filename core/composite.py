"""Crop, feather, harmonise and paste back: how every editor puts its result into the photo.

Conventions: images RGB ``uint8`` HxWx3; masks ``bool`` HxW of the photo's size; boxes XYXY
``(x0, y0, x1, y1)`` in photo pixels, inclusive-exclusive (ints here).

The contract editors rely on: :func:`composite` changes only pixels that lie inside the mask or
less than ``feather_px`` pixels outside it (the *affected region*, see :func:`affected_region`).
Every other pixel of the result is bit-identical to the original.

Feathering is distance based: with ``d`` the signed Euclidean distance to the mask's boundary
(positive inside, negative outside), ``alpha = smoothstep((d + f) / (2 f))`` for ``f = feather_px``.
So alpha is 0.5 on the boundary, reaches 1 at ``f`` px inside and 0 at ``f`` px outside.
Where the mask meets the photo's border there is no "outside", and no feathering happens there.
"""

from __future__ import annotations

import math

from dataclasses import dataclass

import cv2
import numpy as np

from core.errors import BadInput

XYXY = tuple[int, int, int, int]


# --------------------------------------------------------------------------- checks and boxes


def check_image(image: np.ndarray, what: str = "photo") -> np.ndarray:
    """Raise ``BadInput`` unless ``image`` is RGB uint8 HxWx3."""
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
        got = f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}"
        raise BadInput(f"the {what} must be an RGB uint8 image of shape (H, W, 3), got {got}")
    return image


def check_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Raise ``BadInput`` unless ``mask`` is a non-empty bool HxW array matching ``shape[:2]``."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise BadInput("the mask must be a 2-D (H, W) array")
    if mask.shape != tuple(shape[:2]):
        raise BadInput(f"the mask is {mask.shape[1]}x{mask.shape[0]} but the photo is {shape[1]}x{shape[0]}")
    if mask.dtype != bool:
        mask = mask > 0
    if not mask.any():
        raise BadInput("the selection is empty: select a part of the photo first")
    return mask


def crop_box(mask: np.ndarray, margin: int) -> XYXY:
    """XYXY box (ints, inclusive-exclusive) of the mask's True pixels grown by ``margin`` px, clipped to the photo."""
    if margin < 0:
        raise BadInput(f"crop margin must be >= 0, got {margin}")
    ys = np.flatnonzero(mask.any(axis=1))
    if ys.size == 0:
        raise BadInput("the selection is empty: select a part of the photo first")
    xs = np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    m = int(np.ceil(margin))
    return (max(0, int(xs[0]) - m), max(0, int(ys[0]) - m), min(w, int(xs[-1]) + 1 + m), min(h, int(ys[-1]) + 1 + m))


def box_slices(box: XYXY) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return slice(y0, y1), slice(x0, x1)


# --------------------------------------------------------------------------- distances and alpha


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Float32 signed distance to the mask's boundary: > 0 inside (>= 1), < 0 outside (<= -1).

    Beyond the array's edge counts as "same as the nearest edge pixel" (replicated), so a mask that
    touches the edge is not treated as having a boundary there.
    """
    m = np.pad(mask.astype(np.uint8), 1, mode="edge")
    d_in = cv2.distanceTransform(m, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    d_out = cv2.distanceTransform(1 - m, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return (d_in - d_out)[1:-1, 1:-1]


def _alpha_from_sd(sd: np.ndarray, feather_px: float) -> np.ndarray:
    if feather_px <= 0:
        return (sd > 0).astype(np.float32)
    t = np.clip((sd + feather_px) / (2.0 * feather_px), 0.0, 1.0)
    a = t * t * (3.0 - 2.0 * t)
    a[sd <= -feather_px] = 0.0  # exact zero at and beyond the band's outer edge
    return a.astype(np.float32)


def feather_alpha(mask: np.ndarray, feather_px: float) -> np.ndarray:
    """Float32 alpha in [0, 1], HxW: 0.5 on the boundary, 1 from ``feather_px`` inside, 0 from ``feather_px`` outside."""
    return _alpha_from_sd(signed_distance(mask), float(feather_px))


def affected_region(mask: np.ndarray, feather_px: float) -> np.ndarray:
    """Bool HxW: the pixels :func:`composite` may change (mask plus the feather band outside it)."""
    return feather_alpha(mask, feather_px) > 0


# --------------------------------------------------------------------------- colour


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 (or float in [0, 1]) -> float32 CIE Lab (D65; L 0..100, a/b about -128..127)."""
    if rgb.dtype == np.uint8:  # in place: one float copy of a big photo, not two (the same values)
        f = np.divide(rgb, np.float32(255.0), dtype=np.float32)
    else:
        f = rgb.astype(np.float32, copy=False)
    return cv2.cvtColor(f, cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Float Lab -> RGB uint8 (out-of-gamut colours are clipped)."""
    f = cv2.cvtColor(lab.astype(np.float32, copy=False), cv2.COLOR_Lab2RGB)
    np.multiply(f, 255.0, out=f)  # in place (the same values as ``np.clip(f * 255 + 0.5, 0, 255)``, no temporaries)
    np.add(f, 0.5, out=f)
    return np.clip(f, 0, 255, out=f).astype(np.uint8)


def masked_blur(values: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``values`` (HxW or HxWxC float) using only pixels where ``weight`` > 0.

    Normalised convolution; large sigmas are computed at a reduced size (fast on 12 MP crops).
    """
    h, w = weight.shape
    wt = weight.astype(np.float32, copy=False)  # read only: no copy of a float input
    v = values.astype(np.float32, copy=False)
    scale = min(1.0, 8.0 / max(sigma, 1e-6))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        wt_s = cv2.resize(wt, size, interpolation=cv2.INTER_AREA)
        v_s = cv2.resize(v * (wt[..., None] if v.ndim == 3 else wt), size, interpolation=cv2.INTER_AREA)
        s = sigma * scale
    else:
        wt_s, v_s, s = wt, v * (wt[..., None] if v.ndim == 3 else wt), sigma
    num = cv2.GaussianBlur(v_s, (0, 0), s, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(wt_s, (0, 0), s, borderType=cv2.BORDER_REFLECT)
    out: np.ndarray = num / np.maximum(den, 1e-6)[..., None] if num.ndim == 3 else num / np.maximum(den, 1e-6)
    if scale < 1.0:
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def harmonize(
    original: np.ndarray,
    edited: np.ndarray,
    mask: np.ndarray,
    band_px: float,
    strength: float = 0.5,
    channels: str = "L",
    max_shift: float = 8.0,
    sd: np.ndarray | None = None,
) -> np.ndarray:
    """Pull the edit's colour statistics towards the original's, only near the boundary.

    In the band of ``band_px`` just inside the mask, the mean and standard deviation (Lab, per channel
    in ``channels``, a subset of "Lab") of ``edited`` are matched to ``original``'s in the same band.
    The mean shift is capped at ``max_shift`` Lab units and the contrast gain to 0.8..1.25, so an edit that
    changes colour on purpose is nudged, not undone. The correction is applied with weight
    ``strength * exp(-d / band_px)`` (``d``: distance inside the mask), so it fades out towards the
    inside: the edit stays intact away from the seam, and its brightness drifts smoothly towards the
    surroundings' at the seam. ``strength=0`` is a no-op. Arrays are crops of the same size
    (``sd``: their :func:`signed_distance`, if already computed); returns RGB uint8.
    """
    if strength <= 0 or band_px <= 0 or not channels:
        return edited
    sd = signed_distance(mask) if sd is None else sd
    # beyond ``reach`` the correction (at most ~20 Lab units: shift + contrast) times its weight is under
    # half a unit, i.e. invisible after rounding; skipping those pixels keeps 12 MP edits fast
    reach = band_px * max(1.0, math.log(40.0 * strength))
    near = (sd > 0) & (sd <= reach)
    band = near & (sd <= band_px)
    if band.sum() < 16:
        return edited
    lab_o = rgb_to_lab(original[band][:, None])[:, 0]
    lab_e_near = rgb_to_lab(edited[near][:, None])[:, 0]
    lab_e_band = lab_e_near[band[near]]
    corrected = lab_e_near.copy()
    for c, name in enumerate("Lab"):
        if name not in channels:
            continue
        mo, so = float(lab_o[:, c].mean()), float(lab_o[:, c].std())
        me, se = float(lab_e_band[:, c].mean()), float(lab_e_band[:, c].std())
        gain = np.clip(so / max(se, 1e-3), 0.8, 1.25)
        shift = float(np.clip(mo - me, -max_shift, max_shift))  # subtle: never a halo of the old colour
        corrected[:, c] = (lab_e_near[:, c] - me) * gain + me + shift
    w = (strength * np.exp(-sd[near] / band_px)).astype(np.float32)[:, None]
    out = edited.copy()
    out[near] = lab_to_rgb((lab_e_near + w * (corrected - lab_e_near))[:, None])[:, 0]
    return out


# --------------------------------------------------------------------------- paste back


def soft_edge_alpha(sd: np.ndarray, feather_px: float, edge: np.ndarray) -> np.ndarray:
    """Blend weights from a soft edge alpha (``core.edges``; float HxW in [0, 1]) for a mask with signed
    distance ``sd``: the soft alpha, and exactly 0 outside the affected region (mask + ``feather_px``),
    so the composite contract holds with or without a soft edge."""
    a = np.clip(edge.astype(np.float32), 0.0, 1.0)
    a[sd <= -float(feather_px)] = 0.0
    return a


def composite_crop(
    original: np.ndarray,
    edited_crop: np.ndarray,
    box: XYXY,
    mask: np.ndarray,
    feather_px: float,
    harmonize_strength: float = 0.0,
    harmonize_channels: str = "L",
    alpha: np.ndarray | None = None,
) -> np.ndarray:
    """Paste ``edited_crop`` (the edit of ``original[box]``) back into a copy of ``original``.

    ``box`` must contain the mask plus ``feather_px`` (use ``crop_box(mask, margin >= feather_px + 1)``).
    Pixels outside the mask + feather band are bit-identical to ``original``. ``alpha`` (optional, float32
    HxW of the photo's size): the mask's soft edge (hair, fur: see ``core.edges.refine_alpha``), used as
    the blend weight instead of the distance feather (still never beyond the feather band).
    """
    sl = box_slices(box)
    crop_o = original[sl]
    if edited_crop.shape != crop_o.shape:
        raise BadInput(f"edited crop is {edited_crop.shape}, expected {crop_o.shape}")
    m = mask[sl]
    if int(m.sum()) != int(mask.sum()):
        raise BadInput("the crop box does not contain the whole mask")
    edited_crop = check_image(edited_crop, "edited image")
    sd = signed_distance(m)
    if harmonize_strength > 0:
        edited_crop = harmonize(
            crop_o,
            edited_crop,
            m,
            band_px=max(4.0, 3.0 * feather_px),
            strength=harmonize_strength,
            channels=harmonize_channels,
            sd=sd,
        )
    if alpha is not None:
        if alpha.shape != mask.shape:
            raise BadInput(
                f"the soft alpha is {alpha.shape[1]}x{alpha.shape[0]}, the mask {mask.shape[1]}x{mask.shape[0]}"
            )
        alpha = soft_edge_alpha(sd, feather_px, alpha[sl])
    else:
        alpha = _alpha_from_sd(sd, float(feather_px))
    out = original.copy()
    region = out[sl]
    full = alpha >= 1.0
    np.copyto(region, edited_crop, where=full[:, :, None])
    part = (alpha > 0) & ~full  # only the feather band needs blending; the rest keeps its exact bytes
    a = alpha[part][:, None]
    o = crop_o[part].astype(np.float32)
    region[part] = np.clip(o + a * (edited_crop[part].astype(np.float32) - o) + 0.5, 0, 255).astype(np.uint8)
    return out


def composite(
    original: np.ndarray,
    edited: np.ndarray,
    mask: np.ndarray,
    feather_px: float,
    harmonize_strength: float = 0.0,
    harmonize_channels: str = "L",
    alpha: np.ndarray | None = None,
) -> np.ndarray:
    """Blend full-size ``edited`` into ``original`` under ``mask`` with a ``feather_px`` distance feather.

    Pixels outside the mask + feather band (see :func:`affected_region`) are bit-identical to
    ``original``. ``harmonize_strength`` (0..1) optionally matches the edit's Lab statistics to the
    original's near the boundary (see :func:`harmonize`). ``alpha``: an optional soft edge (see
    :func:`composite_crop`).
    """
    check_image(original)
    check_image(edited, "edited image")
    if edited.shape != original.shape:
        raise BadInput(f"edited image is {edited.shape}, the photo is {original.shape}")
    mask = check_mask(mask, original.shape)
    if feather_px < 0:
        raise BadInput(f"feather must be >= 0 px, got {feather_px}")
    box = crop_box(mask, int(np.ceil(feather_px)) + 1)
    return composite_crop(
        original, edited[box_slices(box)], box, mask, feather_px, harmonize_strength, harmonize_channels, alpha
    )


def keep_transparent(
    original: np.ndarray, edited: np.ndarray, mask: np.ndarray, opacity: np.ndarray | None
) -> np.ndarray:
    """``edited`` with the change outside ``mask`` scaled by the upload's ``opacity`` (core.types.Photo): a pixel
    the file left transparent (placed on white at upload) stays bit-identical to ``original`` unless it is in the
    part; a half-transparent one takes half the change. Round 20: a recolour of a person next to a PNG's
    transparent border tinted the white border along the feather band (137 px on the astronaut with a 40 px
    border, up to 14 levels). Returns ``edited`` itself when nothing needs keeping."""
    if opacity is None or opacity.shape != mask.shape or edited.shape != original.shape:
        return edited
    reach = ~mask & (opacity < 255)
    if not reach.any():
        return edited
    reach &= (edited != original).any(axis=2)
    if not reach.any():
        return edited
    out = edited.copy()
    o = original[reach].astype(np.float32)
    a = opacity[reach].astype(np.float32)[:, None] / 255.0
    out[reach] = np.clip(o + a * (edited[reach].astype(np.float32) - o) + 0.5, 0, 255).astype(np.uint8)
    return out


# --------------------------------------------------------------------------- seam measure


@dataclass(frozen=True)
class SeamReport:
    """How strongly colour jumps across the mask's boundary (mean CIEDE2000, in ΔE units).

    ``original``: the jump in the untouched photo (the real edge between the object and its
    surroundings). ``result``: the same in the edited photo. ``increase = result - original``.
    Roughly: ΔE < 1 is invisible, 2-3 barely noticeable side by side, > 10 a clearly different colour.
    An edit that changes an object's colour on purpose raises ``result`` (the object now contrasts
    differently with its surroundings); an edit that *reduces* it, or keeps it close, blends in.
    A hard, unfeathered paste of a mismatched patch shows up as a large increase.
    """

    original: float
    result: float
    band_px: int
    samples: int

    @property
    def increase(self) -> float:
        return self.result - self.original


def _boundary_jump(lab: np.ndarray, inner: np.ndarray, outer: np.ndarray, at: np.ndarray, sigma: float) -> float:
    from skimage.color import deltaE_ciede2000

    mean_in = masked_blur(lab, inner, sigma)[at]
    mean_out = masked_blur(lab, outer, sigma)[at]
    return float(np.mean(deltaE_ciede2000(mean_in.astype(np.float64), mean_out.astype(np.float64))))


def seam_delta_e(original: np.ndarray, result: np.ndarray, mask: np.ndarray, band_px: int = 4) -> SeamReport:
    """Mean CIEDE2000 between the colour just inside and just outside the mask's boundary.

    At each boundary pixel (inside the mask, touching the outside), the local mean Lab colour of the
    band ``band_px`` px deep inside the mask is compared with the local mean of the band ``band_px``
    px wide outside it (means taken over a Gaussian window of sigma ``2 * band_px`` restricted to each
    band, so noise and texture average out). Boundary pixels on the photo's border, where there is no
    outside, are skipped. Returns the measure on ``original`` and on ``result`` (see :class:`SeamReport`).
    """
    check_image(original)
    check_image(result, "result")
    mask = check_mask(mask, original.shape)
    box = crop_box(mask, 4 * band_px + 2)
    sl = box_slices(box)
    m = mask[sl]
    sd = signed_distance(m)
    inner = ((sd > 0) & (sd <= band_px)).astype(np.float32)
    outer = ((sd < 0) & (sd >= -band_px)).astype(np.float32)
    at = (sd > 0) & (sd < 1.5)
    at &= cv2.GaussianBlur(outer, (0, 0), 2 * band_px) > 0.05
    n = int(at.sum())
    if n == 0:
        return SeamReport(0.0, 0.0, band_px, 0)
    ys, xs = np.nonzero(at)
    if n > 20000:  # subsample long boundaries deterministically
        keep = np.linspace(0, n - 1, 20000).astype(int)
        sub = np.zeros_like(at)
        sub[ys[keep], xs[keep]] = True
        at = sub
    from skimage.color import rgb2lab

    lab_o = rgb2lab(original[sl]).astype(np.float32)
    lab_r = rgb2lab(result[sl]).astype(np.float32)
    sigma = 2.0 * band_px
    return SeamReport(
        original=_boundary_jump(lab_o, inner, outer, at, sigma),
        result=_boundary_jump(lab_r, inner, outer, at, sigma),
        band_px=band_px,
        samples=int(at.sum()),
    )
