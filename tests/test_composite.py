"""Unit tests for core.composite: crop box, feather, harmonisation, composite, seam measure."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest

from core.composite import (
    affected_region,
    composite,
    composite_crop,
    crop_box,
    feather_alpha,
    harmonize,
    seam_delta_e,
    signed_distance,
)
from core.errors import BadInput


def disc(h: int = 120, w: int = 160, cx: int = 80, cy: int = 60, r: int = 30) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def noise_image(h: int = 120, w: int = 160, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- crop_box


def test_crop_box_margin_and_clipping():
    m = np.zeros((100, 200), bool)
    m[10:20, 30:60] = True
    assert crop_box(m, 0) == (30, 10, 60, 20)
    assert crop_box(m, 5) == (25, 5, 65, 25)
    assert crop_box(m, 50) == (0, 0, 110, 70)  # clipped to the photo


def test_crop_box_rejects_empty_mask_and_negative_margin():
    with pytest.raises(BadInput, match="empty"):
        crop_box(np.zeros((10, 10), bool), 2)
    with pytest.raises(BadInput, match="margin"):
        crop_box(disc(), -1)


# --------------------------------------------------------------------------- feather


def test_signed_distance_signs():
    m = disc()
    sd = signed_distance(m)
    assert (sd[m] > 0).all() and (sd[~m] < 0).all()


def test_feather_alpha_profile():
    m = disc(r=30)
    a = feather_alpha(m, 6)
    assert a.dtype == np.float32 and a.min() == 0.0 and a.max() == 1.0
    assert a[60, 80] == 1.0  # centre
    assert a[60, 80 + 30 + 7] == 0.0  # beyond the band outside
    assert 0.0 < a[60, 80 + 30] < 1.0  # on the boundary: partial
    row = a[60, 80:160]
    assert (np.diff(row) <= 1e-6).all()  # monotone going outwards


def test_feather_zero_is_the_hard_mask():
    m = disc()
    np.testing.assert_array_equal(feather_alpha(m, 0) > 0.5, m)
    np.testing.assert_array_equal(affected_region(m, 0), m)


def test_no_feather_at_the_photo_border():
    m = np.zeros((50, 50), bool)
    m[:20] = True  # the sky touches the top
    a = feather_alpha(m, 5)
    assert (a[0] == 1.0).all()  # no fade towards the photo's edge
    assert (a[14] == 1.0).all() and (a[25] == 0.0).all()


# --------------------------------------------------------------------------- composite


@pytest.mark.parametrize("feather", [0, 1.5, 4, 12])
def test_composite_outside_band_is_bit_identical(feather):
    orig, edit = noise_image(seed=1), noise_image(seed=2)
    m = disc()
    out = composite(orig, edit, m, feather)
    outside = ~affected_region(m, feather)
    assert outside.sum() > 0
    np.testing.assert_array_equal(out[outside], orig[outside])
    core = signed_distance(m) >= feather + 0.5  # deep inside: exactly the edit
    np.testing.assert_array_equal(out[core], edit[core])


def test_composite_band_is_a_blend():
    orig = np.zeros((120, 160, 3), np.uint8)
    edit = np.full((120, 160, 3), 200, np.uint8)
    m = disc()
    out = composite(orig, edit, m, 8)
    band = out[60, 80 + 22 : 80 + 40, 0]
    assert band[0] == 200 and band[-1] == 0
    assert (np.diff(band.astype(int)) <= 0).all() and len(set(band.tolist())) > 5  # smooth ramp


def test_composite_crop_matches_full_composite():
    orig, edit = noise_image(seed=3), noise_image(seed=4)
    m = disc()
    box = crop_box(m, 10)
    x0, y0, x1, y1 = box
    a = composite(orig, edit, m, 5)
    b = composite_crop(orig, edit[y0:y1, x0:x1], box, m, 5)
    np.testing.assert_array_equal(a, b)


def test_composite_validates_inputs():
    orig = noise_image()
    with pytest.raises(BadInput, match="mask"):
        composite(orig, orig, np.ones((10, 10), bool), 2)
    with pytest.raises(BadInput, match="empty"):
        composite(orig, orig, np.zeros(orig.shape[:2], bool), 2)
    with pytest.raises(BadInput, match="RGB uint8"):
        composite(orig.astype(np.float32), orig, disc(), 2)
    with pytest.raises(BadInput, match="feather"):
        composite(orig, orig, disc(), -3)


def test_composite_does_not_modify_inputs():
    orig, edit = noise_image(seed=5), noise_image(seed=6)
    o2, e2 = orig.copy(), edit.copy()
    composite(orig, edit, disc(), 4, harmonize_strength=1.0)
    np.testing.assert_array_equal(orig, o2)
    np.testing.assert_array_equal(edit, e2)


# --------------------------------------------------------------------------- harmonize


def test_harmonize_nudges_lightness_only_near_the_boundary():
    orig = np.full((120, 160, 3), 120, np.uint8)
    edit = np.full((120, 160, 3), 160, np.uint8)  # brighter patch
    m = disc(r=40)
    out = harmonize(orig, edit, m, band_px=6, strength=1.0)
    edge_px, centre_px = out[60, 80 + 39].astype(int), out[60, 80].astype(int)
    assert edge_px[0] < 160  # pulled towards the darker surroundings at the seam ...
    assert edge_px[0] > 120  # ... but capped: not undone
    assert abs(centre_px[0] - 160) <= 1  # the inside stays as edited
    np.testing.assert_array_equal(out[~m], edit[~m])
    np.testing.assert_array_equal(harmonize(orig, edit, m, 6, strength=0.0), edit)


# --------------------------------------------------------------------------- seam measure


def test_seam_delta_e_on_photo_and_hard_paste():
    from skimage import data

    img = data.astronaut()
    m = np.zeros(img.shape[:2], bool)
    m[380:480, 330:430] = True  # a square on the helmet / background
    rep = seam_delta_e(img, img, m, 4)
    assert rep.samples > 100
    assert rep.result == pytest.approx(rep.original) and rep.increase == pytest.approx(0.0)
    pasted = img.copy()
    pasted[m] = (40, 200, 60)  # a green square, hard edges
    hard = seam_delta_e(img, pasted, m, 4)
    assert hard.increase > 20


def test_feathering_lowers_the_seam():
    from skimage import data

    img = data.astronaut()
    m = disc(512, 512, 256, 150, 60)
    edit = np.clip(img.astype(int) + 45, 0, 255).astype(np.uint8)  # brighter everywhere
    hard = seam_delta_e(img, composite(img, edit, m, 0), m, 4)
    soft = seam_delta_e(img, composite(img, edit, m, 8, harmonize_strength=1.0), m, 4)
    assert soft.increase < hard.increase


def test_seam_skips_the_photo_border():
    img = noise_image(seed=7)
    m = np.ones(img.shape[:2], bool)
    m[-10:] = False  # only the bottom edge is a real boundary
    rep = seam_delta_e(img, img, m, 3)
    assert 0 < rep.samples <= img.shape[1]
