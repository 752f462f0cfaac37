"""Where the DeepLab nets' grids land on the photo (issue 11: soft, exact edges). A cell of the ADE / VOC nets' grid
is the net's answer at one pixel of its input (cell k at pixel 4k: the decoder's map with its corners aligned);
``cv2.resize`` of the grid puts its cells at the centres of equal parts of the photo instead, which moved the maps'
edges up to 1.5 px of the net's 513 px input toward the middle (segmenters/nets.py ``grid_to_size``).

The net is stood in for by the identity: each grid cell answers the input's pixel there. The photo is a ramp (each
pixel holds 4 x its own column, or row, index, wrapping every 64 px), so an exact pipeline (photo -> 513 px input
with zero padding, the mirrored pass, the enlarged tiles -> grid -> the photo's size) gives each pixel back its own
index, away from the wraps, to the uint8 rounding of the resized inputs (cv2's uint8 bilinear resize reads a ramp up
to 0.3 low: 0.08 px here)."""

from __future__ import annotations

import numpy as np
import pytest

from segmenters import nets

SKY = nets.ADE_CLASSES.index("sky") + 1
TREE = nets.ADE_CLASSES.index("tree") + 1


def _identity_net(monkeypatch) -> None:
    """The ADE net stood in for: "sky" is the input's first channel and "tree" its second, at each grid cell asked for,
    as [0, 1] (the input is scaled to [-1, 1]); the other classes 0."""

    def fake(x, rows, cols, mirrored=False):
        z = np.zeros((129, 129, len(nets.ADE_CLASSES) + 1), np.float32)
        z[..., SKY] = (x[:: nets.ADE_STRIDE, :: nets.ADE_STRIDE, 0] + 1) / 2
        z[..., TREE] = (x[:: nets.ADE_STRIDE, :: nets.ADE_STRIDE, 1] + 1) / 2
        z = z[rows, cols]
        return (z[:, ::-1] if mirrored else z).copy()

    monkeypatch.setattr(nets, "_ade_logit_probs", fake)


SLOPE = 4  # the ramp's units a pixel
PERIOD = 256 // SLOPE  # it wraps every 64 px


def _ramp_photo(w: int, h: int) -> np.ndarray:
    """Red holds 4 x the column index, green 4 x the row index (mod 256)."""
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 0] = (np.arange(w)[None, :] * SLOPE) % 256
    rgb[..., 1] = (np.arange(h)[:, None] * SLOPE) % 256
    return rgb


def _errors(found: np.ndarray, n: int) -> list[float]:
    """The mean signed error (px) of ``found`` (a profile that should read the ramp: 0, 4, 8, ... mod 256) in the four
    quarters of the photo's ``n`` px, 6 px either side of the ramp's wraps and the photo's ends apart (the maps are
    smooth across a wrap; the grid's last cell may stop short of the end)."""
    i = np.arange(n)
    err = (found - (i * SLOPE) % 256) / SLOPE
    far = np.minimum(i % PERIOD, PERIOD - i % PERIOD)
    keep = (far >= 6) & (i >= 6) & (i < n - 6)
    parts = np.array_split(i, 4)
    return [float(err[p][keep[p]].mean()) for p in parts if keep[p].any()]


@pytest.mark.parametrize("flip, tiles", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("size", [(240, 180), (256, 171), (200, 200), (150, 240)])
def test_the_scene_maps_land_on_their_pixels(size, flip, tiles, monkeypatch):
    """Each pass (the whole photo, its mirror, the tiles) and their mean, through ``group_probabilities`` (the scene
    labels' maps): every pixel reads its own column and row, within 0.1 px on the mean over each quarter of the photo
    (cv2's resize of the grid was 0.7 px off at the top-left of a 240 x 180 photo: 1.5 px of the 513 px input)."""
    _identity_net(monkeypatch)
    w, h = size
    probs = nets.ade_probabilities(_ramp_photo(w, h), flip=flip, tiles=tiles)
    names, maps = nets.group_probabilities(probs, {"sky": "x", "tree": "y"}, (w, h))
    assert maps.shape[:2] == (h, w)
    x = maps[h // 2, :, names.index("x")] * 255
    y = maps[:, w // 2, names.index("y")] * 255
    for err in _errors(x, w) + _errors(y, h):
        assert abs(err) < 0.1, (_errors(x, w), _errors(y, h))


def test_each_view_lands_on_its_pixels(monkeypatch):
    """The person parser reads each view on its own grid (the whole photo's, its mirror's, the tiles'): each, at the
    photo's size, reads its own columns."""
    _identity_net(monkeypatch)
    w, h = 240, 180
    views: list[np.ndarray] = []
    nets.ade_probabilities(_ramp_photo(w, h), flip=True, tiles=True, views_of=SKY, views=views)
    assert len(views) == 3 and views[0].shape != views[2].shape
    for v in views:
        x = nets.grid_to_size(v, (w, h))[h // 2] * 255
        assert max(abs(e) for e in _errors(x, w)) < 0.1


def test_labels_take_the_nearest_cell(monkeypatch):
    """The ADE labels at the photo's size (``ade_answer``) are the grid's argmax read at the nearest cell to each
    pixel's centre: a slanted edge between "tree" and "sky" (every phase against the grid) stays where it is drawn,
    within 0.3 px on the mean over the rows (cv2's nearest resize took the cell at or before each pixel's left edge:
    the labels' edges sat about 1.2 px of this 240 x 180 photo right of it)."""
    from types import SimpleNamespace

    _identity_net(monkeypatch)
    monkeypatch.setattr(nets, "net_available", lambda name: False)
    w, h = 240, 180
    edge = 100 + 0.3 * np.arange(h)  # the edge, in the photo's continuous columns (pixel c spans c .. c + 1)
    sky = (np.arange(w)[None, :] + 0.5) > edge[:, None]
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 0] = np.where(sky, 255, 0)
    rgb[..., 1] = np.where(sky, 0, 255)
    ctx = SimpleNamespace(work=rgb, photo=SimpleNamespace(pixels=rgb), shape=(h, w), cache={})
    labels = nets._ade_answer(ctx)["labels"]
    assert set(np.unique(labels)) == {SKY, TREE}
    first = np.argmax(labels == SKY, axis=1)  # the first sky pixel of each row: ideally floor(edge - 0.5) + 1
    rows = np.arange(5, h - 5)
    assert abs(float(np.mean(first[rows] - edge[rows]))) < 0.3, float(np.mean(first[rows] - edge[rows]))


def test_voc_grid_lands_on_its_pixels():
    """The VOC net's grid (every 4th pixel of its 513 px answer, from pixel 0) at the photo's size: a ramp grid reads
    each pixel's own column."""
    w, h = 240, 180
    rw, rh = nets.deeplab_span((w, h))
    cols = (np.arange(0, rw, nets.VOC_STRIDE) + 0.5) * w / rw - 0.5  # the photo column under each cell's pixel
    grid = np.tile(cols[None, :, None], (nets._cells(rh), 1, 1)).astype(np.float32)
    x = nets.voc_probabilities(grid, [0], (w, h))[h // 2, :, 0]
    assert np.abs(x - np.arange(w))[2:-2].max() < 0.01


def test_grids_of_other_sizes_resize_as_before():
    """A grid that is neither the net's 513 px input's nor the tiles' (a test's stand-in) is resized by cv2."""
    import cv2

    g = np.random.default_rng(0).random((3, 5, 2), dtype=np.float32)
    assert np.array_equal(nets.grid_to_size(g, (10, 6)), cv2.resize(g, (10, 6), interpolation=cv2.INTER_LINEAR))
