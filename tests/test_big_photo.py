"""Round 18, big phone photos: the faster steps of upload -> parts -> pick -> Apply give the answers they replaced.

- ``core.edges.band_morphology`` (the refinement band's dilation and erosion, worked out near the edge only) is
  exactly OpenCV's dilate / erode of the whole mask, so every refined mask and soft edge is unchanged;
- ``core.photo.mask_to_png`` writes the same PNG bytes as before (0/255 grey, zlib level 1);
- the legend's part layers (``app.photo_panel.quick_layers``, palette PNGs) decode to the same RGBA pixels as Gradio's
  own (RGBA PNGs);
- ``core.masks.shrink_for_display`` (the legend's masks) is ``resize_mask`` but for rounding on a few edge pixels.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from core.edges import band_morphology, refine_alpha
from core.masks import resize_mask, shrink_for_display
from core.photo import mask_to_png


def _coarse_mask(rng: np.random.Generator, h: int, w: int, cell: int = 12) -> np.ndarray:
    """A blobby mask as the parsers' upscaled masks are (a small random mask, upscaled and thresholded)."""
    small = rng.random((max(2, h // cell), max(2, w // cell))) > rng.uniform(0.2, 0.8)
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5


@pytest.mark.parametrize("tile", [16, 32, 64])
def test_band_morphology_is_opencvs_dilate_and_erode(tile):
    rng = np.random.default_rng(18)
    cases = 0
    for n in range(60):
        h, w = (int(v) for v in rng.integers(8, 420, 2))
        k = int(rng.integers(1, tile + 4))  # also kernels wider than a tile (the whole-mask fallback)
        mask = _coarse_mask(rng, h, w) if n % 4 else rng.random((h, w)) > 0.97  # specks: every tile busy
        if n % 10 == 0:
            mask[:] = n % 20 == 0  # all inside / all outside
        ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        grown, shrunk = band_morphology(mask, ker, tile)
        assert grown.dtype == bool and shrunk.dtype == bool
        assert np.array_equal(grown, cv2.dilate(mask.view(np.uint8), ker).astype(bool)), (n, h, w, k)
        assert np.array_equal(
            shrunk, cv2.erode(mask.view(np.uint8), ker, borderType=cv2.BORDER_REPLICATE).astype(bool)
        ), (n, h, w, k)
        cases += 1
    assert cases == 60


def test_refined_edge_of_a_big_mask_is_unchanged():
    """refine_alpha through band_morphology against the same refinement with OpenCV's whole-mask morphology."""
    import core.edges as edges

    rng = np.random.default_rng(7)
    h, w = 900, 1300
    photo = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 3)
    mask = _coarse_mask(rng, 70, 100)
    fast = refine_alpha(photo, mask)

    def whole(hard: np.ndarray, kernel: np.ndarray, tile: int = 64) -> tuple[np.ndarray, np.ndarray]:
        u = hard.view(np.uint8)
        return cv2.dilate(u, kernel).astype(bool), cv2.erode(u, kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)

    real = edges.band_morphology
    edges.band_morphology = whole
    try:
        slow = refine_alpha(photo, mask)
    finally:
        edges.band_morphology = real
    assert np.array_equal(fast, slow)


def test_mask_png_is_the_same_file():
    rng = np.random.default_rng(3)
    mask = _coarse_mask(rng, 301, 457)
    old = io.BytesIO()
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(old, format="PNG", compress_level=1)
    assert mask_to_png(mask) == old.getvalue()
    assert mask_to_png(mask[::2, 1::3]) == mask_to_png(np.ascontiguousarray(mask[::2, 1::3]))  # a view


def test_legend_layers_decode_to_gradios_pixels(tmp_path):
    import gradio as gr

    from app.photo_panel import quick_layers

    rng = np.random.default_rng(5)
    base = rng.integers(0, 255, (120, 170, 3), dtype=np.uint8)
    masks = [
        (_coarse_mask(rng, 120, 170), "sky"),
        (_coarse_mask(rng, 120, 170), "person 1"),
        (np.zeros((120, 170), bool), "x"),
    ]
    theirs = gr.AnnotatedImage(format="jpeg", color_map={"sky": "#3080f0"})
    ours = gr.AnnotatedImage(format="jpeg", color_map={"sky": "#3080f0"})
    quick_layers(ours)
    a, b = theirs.postprocess((base, masks)), ours.postprocess((base, masks))
    assert a.image.path == b.image.path  # the base image: Gradio's own
    assert [x.label for x in a.annotations] == [x.label for x in b.annotations] == ["sky", "person 1", "x"]
    for x, y in zip(a.annotations, b.annotations, strict=True):
        px, py = (np.asarray(Image.open(f.image.path).convert("RGBA")) for f in (x, y))  # as a browser decodes them
        assert px.shape == py.shape == (120, 170, 4) and np.array_equal(px, py)


def test_display_masks_differ_from_resize_mask_by_rounding_only():
    rng = np.random.default_rng(11)
    for h, w in ((4076, 5888), (3024, 4032), (6048, 8064), (3001, 4003), (1500, 1000)):  # 24, 12, 48 MP, odd, small
        mask = _coarse_mask(rng, h, w, cell=150)  # parts of a few dozen blobs, as a parse's
        s = 1280 / max(h, w)
        pw, ph = round(w * s), round(h * s)
        a, b = resize_mask(mask, pw, ph), shrink_for_display(mask, pw, ph)
        assert a.shape == b.shape == (ph, pw)
        assert (a ^ b).mean() < 0.001, (h, w, (a ^ b).mean())  # edge pixels only (0.04 % at most on a 24 MP parse)
    small = _coarse_mask(rng, 300, 400)
    assert np.array_equal(shrink_for_display(small, 200, 150), resize_mask(small, 200, 150))  # under 2x: the same
