"""Offline face detection gives a photo's faces at any size (faces.detect.detect_offline, bench/detect_scales.py).

Round 23: on photos between ~1000 and 2048 px the 640 px tiles cut a big face, and a tile calling the part it sees a
face added false faces ("Anonymize everyone" swapped them, the faces tab counted them): the astronaut at 2.5x gave 2,
Grace Hopper at 2.5x 3, t1 at 1.25x 7. A tile's face cut by its side is now dropped where a face found whole covers
it; the tiles still find small faces that a tile's side cuts (they lie whole in the next tile)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faces.detect import TILE_SIDE, _tiles, detect_bounded, detect_faces
from tests import photos


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize(("name", "scale"), [("astronaut", 2.5), ("grace_hopper", 2.5), ("t1", 1.25)])
def test_a_scaled_photo_gives_its_1x_faces(name, scale):
    """Each face found at 1x (the whole-photo pass, no tiles) is found once at ``scale``, its box on the 1x one
    scaled (IoU over 0.5), and nothing else."""
    img = photos.load(name)
    want = [np.array(f.box) * scale for f in detect_faces(img)]
    big = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    assert 1000 <= max(big.shape[:2]) <= 2048  # tiled, not bounded
    found = [f.box for f in detect_bounded(big)]
    assert len(found) == len(want), [tuple(round(v) for v in b) for b in found]
    for b in want:
        assert max(_iou(b, f) for f in found) > 0.5, (b, found)


def test_small_faces_cut_by_a_tile_are_still_found():
    """t1 at 0.4x (faces 37-52 px, too small for the whole-photo pass at this size) set into an 1800x1200 photo
    where the tiles' sides cut some of them: all six are found, each once."""
    t1 = photos.load("t1")
    canvas = cv2.resize(photos.load("china"), (1800, 1200), interpolation=cv2.INTER_CUBIC)
    small = cv2.resize(t1, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    x, y = 420, 380
    canvas[y : y + small.shape[0], x : x + small.shape[1]] = small
    want = [np.array(f.box) * 0.4 + [x, y, x, y] for f in detect_faces(t1)]
    sides = {v for t in _tiles(1200, 1800, TILE_SIDE) for v in (t[0], t[2]) if 0 < v < 1800}
    assert any(b[0] < v < b[2] for b in want for v in sides)  # a tile's side cuts a face
    found = [f.box for f in detect_bounded(canvas)]
    assert len(found) == 6, [tuple(round(v) for v in b) for b in found]
    for b in want:
        assert max(_iou(b, f) for f in found) > 0.5, (b, found)


def test_a_face_the_photos_edge_cuts_in_half_is_found_and_anonymized():
    """Round 24's drive: t1 turned 8 degrees, at 60 % light and cropped so that the left edge cuts the card player's
    face in half. CenterFace scored what is left 0.42, under the 0.5 a face needs, and "Anonymize everyone" left her
    face as it was; a face the photo's edge cuts now needs 0.35 (faces.detect.FRAME_THRESHOLD). It is found, its six
    faces with it, and "Anonymize everyone" hides it with a blur (editors.anonymize: half a face takes no made-up one).
    """
    from PIL import Image, ImageEnhance

    from editors.anonymize import AnonymizeEditor

    t1 = Image.fromarray(photos.load("t1"))
    crop = ImageEnhance.Brightness(t1.rotate(8, resample=Image.BICUBIC)).enhance(0.6).crop((100, 60, 1180, 830))
    img = np.asarray(crop)
    found = [f.box for f in detect_bounded(img)]
    assert len(found) == 6, [tuple(round(v) for v in b) for b in found]
    cut = [b for b in found if b[0] <= 1]
    assert len(cut) == 1 and 250 <= (cut[0][1] + cut[0][3]) / 2 <= 430, found
    x0, y0, x1, y1 = (round(v) for v in cut[0])
    ed = AnonymizeEditor()  # the swap (the page's default): half a face is hidden, not swapped (it raised an
    out = ed.apply(img, None, {"method": "swap"}, seed=0)  # IndexError measuring the eye outside the photo)
    change = np.abs(out[y0:y1, x0:x1].astype(np.int16) - img[y0:y1, x0:x1]).mean()
    assert change > 8, change
    assert ed.last_report[0]["why"] == "cut by the photo's edge" and ed.last_report[0]["done"].startswith("blur")
