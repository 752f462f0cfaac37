"""The open-vocabulary backends of Select by words through their real loaders: tiny random CLIPSeg and SAM 3
models saved to a temporary folder and injected with FACET_MODEL_CLIPSEG / FACET_MODEL_SAM3. Random weights
segment nothing in particular: these check the loading, shapes, thresholds, instance choice, determinism and
the fallback order, not the quality of a model."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import BadInput
from core.models import ModelManager
from core.settings import Settings
from core.types import Photo, mask_bbox
from segmenters.parsing import parse_report
from segmenters.text_select import select_text
from tests import photos


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    from tests.tiny_models import make_tiny_clipseg, make_tiny_sam3

    return (
        make_tiny_clipseg(tmp_path_factory.mktemp("tiny-clipseg")),
        make_tiny_sam3(tmp_path_factory.mktemp("tiny-sam3")),
    )


@pytest.fixture()
def manager(tiny_dirs, monkeypatch):
    monkeypatch.setenv("FACET_MODEL_CLIPSEG", str(tiny_dirs[0]))
    monkeypatch.setenv("FACET_MODEL_SAM3", str(tiny_dirs[1]))
    return ModelManager(Settings(), online=False)


@pytest.fixture(scope="module")
def china():
    return Photo(pixels=np.ascontiguousarray(photos.load("china")), name="china")


def test_clipseg_loads_through_the_manager_and_is_deterministic(manager, china):
    from segmenters.text_models import ClipSegSelector, load_clipseg

    seg = ClipSegSelector(manager)
    prob = seg.probabilities(china, "a red lantern")
    assert prob.dtype == np.float32 and prob.ndim == 2 and 0 <= prob.min() <= prob.max() <= 1
    assert manager.loaded("clipseg") and isinstance(manager.get("clipseg", load_clipseg).size, tuple)
    a = select_text("the red lantern", [], china, manager, backend="clipseg")
    b = select_text("the red lantern", [], china, manager, backend="clipseg")
    assert a.mask.dtype == bool and a.mask.shape == (427, 640) and a.mask.any()
    assert np.array_equal(a.mask, b.mask) and a.backend == "CLIPSeg (clipseg-rd64-refined)"
    assert a.message.startswith("selected: red lantern")


def test_clipseg_regions_are_the_instances_for_positions(manager, china, monkeypatch):
    from segmenters import text_models

    probs = np.zeros((40, 60), np.float32)
    probs[10:30, 5:15] = 0.9  # three blobs, left to right
    probs[10:30, 25:35] = 0.8
    probs[10:30, 45:55] = 0.7
    monkeypatch.setattr(text_models.ClipSegSelector, "probabilities", lambda self, photo, text: probs)
    left = select_text("the lantern on the left", [], china, manager, backend="clipseg")
    right = select_text("the right lantern", [], china, manager, backend="clipseg")
    second = select_text("the second lantern", [], china, manager, backend="clipseg")
    every = select_text("lanterns", [], china, manager, backend="clipseg")
    centre = [(mask_bbox(m.mask)[0] + mask_bbox(m.mask)[2]) / 2 for m in (left, second, right)]
    assert centre[0] < 640 / 3 < centre[1] < 2 * 640 / 3 < centre[2]
    assert every.mask.sum() == left.mask.sum() + second.mask.sum() + right.mask.sum()
    assert "of 3 found" in left.understood
    with pytest.raises(BadInput, match="only 3"):
        select_text("the fifth lantern", [], china, manager, backend="clipseg")


def test_sam3_loads_through_the_manager_and_picks_instances(manager, china, monkeypatch):
    from segmenters.text_models import Sam3Selector, load_sam3, sam3_preprocessing

    seg = Sam3Selector(manager)
    scores, probs = seg.raw(china, "a red lantern")
    assert scores.shape == (8,) and probs.shape[0] == 8 and probs.ndim == 3
    assert ((0 <= scores) & (scores <= 1)).all()
    assert manager.get("sam3", load_sam3).size == (56, 56) == sam3_preprocessing(manager.resolve("sam3"))[0]
    # random weights score about 0.25: keep every instance to check the choice among them
    monkeypatch.setattr(Sam3Selector, "threshold", 0.0)
    found = seg.instances(china, "red lantern")  # what "the leftmost red lantern" asks the model
    assert found and all(m.shape == (427, 640) and m.dtype == bool for m, _ in found)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    every = select_text("red lantern", [], china, manager, backend="sam3")
    union = np.zeros((427, 640), bool)
    for m, _ in found:
        union |= m
    assert np.array_equal(every.mask, union) and every.backend == "SAM 3 (sam3)"
    left = select_text("the leftmost red lantern", [], china, manager, backend="sam3")
    xs = [(mask_bbox(m)[0] + mask_bbox(m)[2]) / 2 for m, _ in found]
    assert np.array_equal(left.mask, found[int(np.argmin(xs))][0])
    again = select_text("the leftmost red lantern", [], china, manager, backend="sam3")
    assert np.array_equal(left.mask, again.mask)
    monkeypatch.setattr(Sam3Selector, "threshold", 0.99)
    with pytest.raises(BadInput, match="found no 'red lantern'"):
        select_text("red lantern", [], china, manager, backend="sam3")


def test_auto_uses_labels_first_and_a_model_for_other_words(manager, china):
    parts = parse_report(china, manager).segments
    sky = next(p for p in parts if p.label == "sky")
    got = select_text("the sky", parts, china, manager)  # a label: the chip's mask, not the model's
    assert got.backend == "offline labels" and np.array_equal(got.mask, sky.mask)
    other = select_text("the red lantern", parts, china, manager)  # no label: CLIPSeg (SAM 3 needs a GPU)
    assert other.backend.startswith("CLIPSeg") and other.mask.shape == (427, 640)


def test_session_and_services_with_the_tiny_clipseg(manager, china):
    from studio.services import build_services
    from studio.session import EditorSession

    services = build_services(Settings(), manager)
    assert "clipseg" not in services.degraded  # its weights are here
    rows = {r["role"]: r for r in services.models_status()}
    assert rows["clipseg"]["state"] in ("ready", "loaded") and rows["sam3"]["in_use"] == "not used on this device"
    s = EditorSession()
    s.load(china, services)
    seg = s.select_text("the red lantern", services)
    assert seg.mask.any() and s.status.startswith("Selected: red lantern") and "CLIPSeg" in s.status
    s.close()
