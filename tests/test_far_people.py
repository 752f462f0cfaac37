"""People far away (issue 11, round 24, h24person): a person smaller than ``person.MIN_PART`` of the photo is kept when
the COCO detector boxes them (``person.small_boxed``): darknet_kite's three people on the far beach, 0.0004-0.001 of the
photo, were dropped by the size floor though the ADE net and the detector both saw them. They get no clothes, skin or
hair parts (``clothes.far_people``), and a person far away no longer pulls the near people into one PAN pass over a box
reaching them (``clothes.pan_groups``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from segmenters import clothes, nets, person

H, W = 200, 300


def _small_piece() -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[40:55, 50:56] = True  # 90 px: under MIN_PART (120 px here), over MIN_SMALL
    assert person.MIN_SMALL * H * W < m.sum() < person.MIN_PART * H * W
    return m


TIGHT = (50.0, 40.0, 56.0, 55.0)  # the detector's box around it
LOOSE = (20.0, 10.0, 90.0, 90.0)  # a box the piece fills under SMALL_FILL of


def test_a_small_part_is_a_person_only_in_a_box_it_fills():
    part = _small_piece()
    assert person.small_boxed(part, [TIGHT])
    assert not person.small_boxed(part, [LOOSE])
    assert not person.small_boxed(part, [])
    assert not person.small_boxed(part, None)  # no detector: no far people


def test_split_people_keeps_a_boxed_far_person():
    part = _small_piece()
    kept = person.split_people(part, [], evidence=part, boxed=[TIGHT])
    assert len(kept.masks) == 1 and (kept.masks[0] == part).all()  # (before round 24: dropped by MIN_PART)
    assert person.split_people(part, [], evidence=part, boxed=[LOOSE]).masks == []
    assert person.split_people(part, [], evidence=part, boxed=None).masks == []
    tiny = np.zeros((H, W), bool)
    tiny[40:43, 50:53] = True  # under MIN_SMALL: nobody, box or not
    assert person.split_people(tiny, [], evidence=tiny, boxed=[(50.0, 40.0, 53.0, 43.0)]).masks == []


def test_ade_people_takes_a_small_boxed_piece_at_the_boxed_floor(monkeypatch):
    piece = _small_piece()
    labels = np.where(piece, nets.ADE_PERSON, 0).astype(np.int32)
    probs = np.zeros((H, W, 151), np.float32)
    sure = (person.BOXED_PERSON_P + person.ADE_PERSON_P) / 2  # sure enough with a box, not alone
    probs[..., nets.ADE_PERSON][piece] = sure
    monkeypatch.setattr(nets, "net_available", lambda name: True)
    monkeypatch.setattr(nets, "voc_labels", lambda ctx: np.zeros((H, W), np.int32))
    none = np.zeros((H, W), bool)

    def found(boxes):
        monkeypatch.setattr(person, "person_boxes", lambda ctx: boxes)
        ctx = SimpleNamespace(cache={"ade": {"probs": probs, "labels": labels, "person_views": []}})
        got = person.ade_people(ctx, none, none)
        assert got is not None
        return got

    assert found([TIGHT])[piece].all()
    assert not found([LOOSE]).any()
    assert not found(None).any()
    probs[..., nets.ADE_PERSON][piece] = person.BOXED_PERSON_P - 0.05
    assert not found([TIGHT]).any()


def test_far_people_get_no_parts():
    near = np.zeros((H, W), bool)
    near[60:180, 150:200] = True
    assert clothes.far_people([near, _small_piece()], (H, W)) == {1}


def test_pan_groups_pass_per_group(monkeypatch):
    calls: list[np.ndarray] = []

    def fake(ctx, mask, roi):
        calls.append(mask.copy())
        return np.zeros((3, H, W), np.float32)

    monkeypatch.setattr(clothes, "pan_maps", fake)
    ctx = SimpleNamespace(shape=(H, W))

    def body(x0: int, x1: int) -> np.ndarray:
        m = np.zeros((H, W), bool)
        m[50:150, x0:x1] = True
        return m

    a, b, c = body(10, 40), body(42, 70), body(200, 230)  # a and b touch, c stands apart
    got = clothes.pan_groups(ctx, [a, b])
    assert got == [None, None] and not calls  # at most GROUP people: a pass each (parse_person_nets)
    got = clothes.pan_groups(ctx, [a, b, c])
    assert len(calls) == 1 and (calls[0] == (a | b)).all()  # one pass for the group, c has its own
    assert got[0] is got[1] and got[2] is None
    calls.clear()
    empty = np.zeros((H, W), bool)  # a far person (no parts) counts for nothing
    assert clothes.pan_groups(ctx, [a, c, empty]) == [None, None, None] and not calls
