"""Round 23 (h23skin, issue 11 skin and lower clothes): segmenters/clothes.py bare_legs tells a leg's bare skin and
its footwear from the garment worn at the hips, on a drawn figure (no nets): a pose's hip, knee and ankle, shorts
over the thigh, a bare calf under them, a sock round the ankle."""

from __future__ import annotations

import cv2
import numpy as np

from segmenters import clothes
from segmenters.pose import NAMES, Pose


def _figure(calf_rgb, sock_rgb, shorts_rgb=(40, 60, 150)):
    """A 120 x 60 leg: hip (30, 10), knee (30, 60), ankle (30, 100); shorts to y 55, calf to y 85, sock below."""
    rgb = np.full((120, 60, 3), 200, np.uint8)
    rgb[5:55, 22:38] = shorts_rgb
    rgb[55:85, 24:36] = calf_rgb
    rgb[85:110, 24:36] = sock_rgb
    body = np.zeros((120, 60), bool)
    body[5:55, 22:38] = True
    body[55:110, 24:36] = True
    xy = np.zeros((len(NAMES), 2), np.float32)
    score = np.zeros(len(NAMES), np.float32)
    for side in ("left", "right"):
        for name, pt in (("hip", (30, 10)), ("knee", (30, 60)), ("ankle", (30, 100))):
            xy[NAMES.index(f"{side}_{name}")] = pt
            score[NAMES.index(f"{side}_{name}")] = 0.9
    return clothes._lab(rgb), body, Pose(xy, score)


def test_a_bare_calf_under_shorts_is_skin_and_a_sock_is_footwear():
    lab, body, pose = _figure(calf_rgb=(205, 150, 120), sock_rgb=(30, 30, 30))
    skin, feet = clothes.bare_legs(lab, body, np.zeros(body.shape, np.float32), pose, None)
    calf = np.zeros(body.shape, bool)
    calf[58:83, 25:35] = True
    sock = np.zeros(body.shape, bool)
    sock[88:108, 25:35] = True
    assert skin[calf].mean() > 0.9 and not skin[sock].any()
    assert feet[sock].mean() > 0.9 and not feet[calf].any()
    assert not (skin | feet)[:45].any()  # the shorts stay the garment


def test_trousers_all_the_way_down_are_neither_skin_nor_footwear():
    lab, body, pose = _figure(calf_rgb=(40, 60, 150), sock_rgb=(40, 60, 150))
    shade = cv2.GaussianBlur(np.random.default_rng(0).normal(0, 6, body.shape), (5, 5), 0)  # folds: lightness only
    lab[..., 0] += shade.astype(np.float32)
    skin, feet = clothes.bare_legs(lab, body, np.zeros(body.shape, np.float32), pose, None)
    assert not skin.any() and not feet.any()


def test_pan_sure_of_clothes_keeps_a_skin_coloured_leg_clothes():
    """A beige trouser leg under dark shorts (PAN sure it is clothes) is not skin."""
    lab, body, pose = _figure(calf_rgb=(205, 150, 120), sock_rgb=(30, 30, 30))
    skin, _ = clothes.bare_legs(lab, body, np.ones(body.shape, np.float32), pose, None)
    assert not skin.any()
