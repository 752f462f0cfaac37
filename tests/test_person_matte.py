"""segmenters/person.py ``with_matte``: the matte moves the outline of people seen at portrait scale, near it only."""

from __future__ import annotations

import numpy as np

from faces.types import Face
from segmenters.person import MATTE_REACH, with_matte


def _face(x0: float, y0: float, x1: float, y1: float) -> Face:
    return Face(box=(x0, y0, x1, y1), kps=np.zeros((5, 2), np.float32), score=0.9)


def _scene(h: int = 200, w: int = 200):
    ys, xs = np.mgrid[0:h, 0:w]
    nets = ((xs - 100) / 40) ** 2 + ((ys - 110) / 60) ** 2 <= 1  # the nets' blob of a person
    alpha = (((xs - 100) / 47) ** 2 + ((ys - 110) / 64) ** 2 <= 1).astype(np.float32)  # the matte: hair beyond it
    alpha[20:30, 5:15] = 1.0  # a poster far from the person: the matte takes it for someone
    return nets, alpha


def test_the_matte_moves_a_portrait_outline_within_its_reach_only():
    nets, alpha = _scene()
    got = with_matte(nets, alpha, [_face(80, 70, 120, 115)])  # 40 px of 200: a portrait
    assert got[110, 57] and not nets[110, 57]  # hair beside the head, outside the nets' blob, is in now
    assert not got[20:30, 5:15].any()  # nothing far from the person is added
    assert (got == (alpha > 0.5))[nets].all()  # inside, the matte's outline (here it holds the blob)
    k = MATTE_REACH * 200
    ys, xs = np.nonzero(got & ~nets)
    assert len(ys) and np.hypot(xs - 100, (ys - 110) * 40 / 60).max() <= 40 + k + 2


def test_matte_trims_too_and_animals_stay_out():
    nets, alpha = _scene()
    cut = alpha.copy()
    cut[:, 137:] = 0.0  # the matte says the right edge of the blob is background
    animals = np.zeros_like(nets)
    animals[150:160, 90:110] = True
    got = with_matte(nets, cut, [_face(80, 70, 120, 115)], animals)
    assert not got[:, 137:].any() and nets[:, 137:].any()
    assert not (got & animals).any()


def test_small_faces_no_faces_or_no_matte_keep_the_nets_outline():
    nets, alpha = _scene()
    assert (with_matte(nets, alpha, [_face(95, 70, 105, 80)]) == nets).all()  # 10 px of 200: far away
    assert (with_matte(nets, alpha, []) == nets).all()
    assert (with_matte(nets, None, [_face(80, 70, 120, 115)]) == nets).all()


def test_portrait_person_floors_with_the_matte():
    """Person IoU of the parse on the two labelled portraits the matte draws (bench/parse_quality.py, nets backend:
    astronaut 0.872 -> 0.895, grace_hopper 0.951 -> 0.958 in round 6); skipped without the nets or the matte."""
    import pytest

    from segmenters import matte
    from segmenters.nets import ADE, VOC, net_available

    if not (matte.available() and net_available(VOC) and net_available(ADE)):
        pytest.skip("the parse nets or the packaged RVM files are not here")
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import labelset, photos

    for name, floor in (("astronaut", 0.885), ("grace_hopper", 0.955)):
        entry = labelset.load(name)
        rep = parse_report(Photo(photos.load(entry["photo"])), ModelManager(online=False))
        assert labelset.score(entry, labelset.predicted(rep.segments))["person"] >= floor, name


def test_a_small_person_seen_sure_in_one_view_stays(monkeypatch):
    """scenetext06 (issue 11, round 6): a person 25 px wide read 0.90 in the ADE net's tiles and 0.70 in the whole
    photo, but its mirror read 0.40 and the views' mean 0.66, under ``ADE_PERSON_P``: the person vanished when the
    mirror was averaged in. A piece sure in one view is kept; one no view is sure of, or the VOC net calls another
    object, is not."""
    from types import SimpleNamespace

    from segmenters import nets
    from segmenters.person import ADE_PERSON_P, ade_people

    h, w = 100, 120
    labels = np.zeros((h, w), np.int32)
    labels[40:60, 50:62] = nets.ADE_PERSON
    probs = np.zeros((h, w, 151), np.float32)
    probs[..., nets.ADE_PERSON][labels > 0] = 0.66

    def views(*values: float) -> list[np.ndarray]:
        out = []
        for v in values:
            m = np.zeros((h // 2, w // 2), np.float32)  # a view's own (coarser) grid
            m[20:30, 25:31] = v
            out.append(m)
        return out

    voc = np.zeros((h, w), np.int32)
    monkeypatch.setattr(nets, "net_available", lambda name: True)
    monkeypatch.setattr(nets, "voc_labels", lambda ctx: voc)
    none = np.zeros((h, w), bool)

    def found(person_views: list[np.ndarray]) -> np.ndarray:
        ctx = SimpleNamespace(cache={"ade": {"probs": probs, "labels": labels, "person_views": person_views}})
        got = ade_people(ctx, none, none)
        assert got is not None
        return got

    assert 0.66 < ADE_PERSON_P
    assert found(views(0.70, 0.40, 0.90))[labels > 0].all()
    assert not found(views(0.66, 0.60, 0.68)).any()
    assert not found([]).any()
    voc[labels > 0] = nets.VOC_CLASSES.index("dog")
    assert not found(views(0.70, 0.40, 0.90)).any()
