"""Faces: detection on real photos, face swap and anonymize (offline paths measured with dlib), tiny insightface.

Measures (see faces/measures.py): identity = dlib 128-D descriptor distance (same person < 0.6);
expression = mean movement of the 468 face-mesh points between the original and the result, as a fraction
of the face size (must stay < 3 %); recall on photos assembled from the real ones.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from core.errors import BadInput
from faces.detect import find_faces
from faces.draw import draw_face_numbers
from faces.geometry import expression_shift, identity_reshape, padded_box
from faces.masks import face_mask, polygon_mask
from faces.measures import identity_distance, landmark_shift, noise_sigma
from faces.types import Face

pytest.importorskip("dlib", reason="dlib-bin + face-recognition-models measure identity")

SAME_PERSON = 0.6
MAX_SHIFT = 0.03


def load_real() -> dict[str, np.ndarray]:
    from pathlib import Path

    import matplotlib
    from PIL import Image
    from skimage import data

    hopper = Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    return {"astronaut": data.astronaut(), "grace_hopper": np.array(Image.open(hopper).convert("RGB"))}


def assemble_group(photos: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """A 1280x720 'group photo' of the real photos tiled at several scales (one mirrored, one half hidden).

    Returns the photo and the expected face boxes (XYXY), from detections on the full-size originals.
    """
    canvas = np.full((720, 1280, 3), 200, np.uint8)
    layout = [
        ("astronaut", 0.62, 0, 20, False),
        ("grace_hopper", 0.55, 330, 0, False),
        ("astronaut", 0.34, 640, 40, True),
        ("grace_hopper", 0.30, 840, 60, False),
        ("astronaut", 0.22, 1040, 80, False),
        ("grace_hopper", 0.45, 640, 380, False),
    ]
    boxes = []
    for name, s, x, y, flip in layout:
        img = photos[name][:, ::-1] if flip else photos[name]
        f = find_faces(np.ascontiguousarray(img), mesh=False)[0]
        small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        h, w = small.shape[:2]
        h, w = min(h, 720 - y), min(w, 1280 - x)
        canvas[y : y + h, x : x + w] = small[:h, :w]
        boxes.append(tuple(v * s + o for v, o in zip(f.box, (x, y, x, y))))
    # partly hidden: a bar over the lower half of the last face
    x0, y0, x1, y1 = (int(v) for v in boxes[-1])
    canvas[(y0 + y1) // 2 + 8 : (y0 + y1) // 2 + 30, x0 - 10 : x1 + 10] = (40, 60, 90)
    return canvas, boxes


def recall(found: list[Face], expected: list[tuple[float, float, float, float]]) -> float:
    hit = 0
    for b in expected:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        hit += any(f.box[0] <= cx <= f.box[2] and f.box[1] <= cy <= f.box[3] for f in found)
    return hit / len(expected)


@pytest.fixture(scope="module")
def real() -> dict[str, np.ndarray]:
    return load_real()


@pytest.fixture(scope="module")
def faces(real) -> dict[str, list[Face]]:
    return {k: find_faces(v) for k, v in real.items()}


def test_one_face_with_mesh_on_each_portrait(faces):
    for name, fs in faces.items():
        assert len(fs) == 1, name
        assert fs[0].mesh is not None and fs[0].mesh.shape == (468, 2)
        assert fs[0].size > 80


def test_recall_on_an_assembled_group_photo(real):
    group, expected = assemble_group(real)
    found = find_faces(group, mesh=False)
    assert recall(found, expected) >= 5 / 6
    assert len(found) <= len(expected) + 1  # few false positives
    numbered = draw_face_numbers(group, found)
    assert numbered.shape == group.shape and (numbered != group).any()


def _outside_faces_identical(before, after, fs, grow: float = 0.0, reach: dict | None = None):
    """Only pixels near the faces changed (``grow`` x face size more: the head-wide fallback's ring; ``reach``: by face
    number, a larger ``grow`` for a face hidden by a wider blur, its report's ``blur_reach``)."""
    allowed = np.zeros(before.shape[:2], bool)
    for f in fs:
        k = 15 + 2 * int(max(grow, (reach or {}).get(f.index, 0.0)) * f.size + 0.5)
        allowed |= cv2.dilate(face_mask(before.shape, f).astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    changed = (before != after).any(2)
    assert changed.any()
    assert not (changed & ~allowed).any()


def changed_region(img, out, f):
    """Bool mask: the pixels the edit changed around face ``f`` (closed, so a pixel left equal by chance is no
    hole), within 0.3 x face size of its outline. Its boundary is where a paste ends: the seam metric's place
    (the face outline itself is often left as it was)."""
    k = 2 * round(0.3 * f.size) + 1
    near = cv2.dilate(face_mask(img.shape, f).astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    changed = cv2.morphologyEx((out != img).any(2).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    return (changed > 0) & near


LOOK_FLOORS = {
    "grain": (0.75, 1.4),
    "sharpness": (0.5, 1.6),
    "chroma": (0.85, 1.2),
    # a guard only: main 50311a1 measured 2.8-9.0 (t1 #0 9.0: a greyish-tan cheek); it scores the distance to the
    # original's own colour map, so the photo's shadow colour (SKIN_TINT) took t1 #0 to 11.1 while its grey
    # patches turned warm (the former SKIN_CHROMA, which copied that map, scored low but turned t1 #0's nose orange)
    "colour": (0.0, 12.0),
    # the skin's shadows / highlights in the colour the photo's skin has at that lightness: main 8d3f70b measured
    # up to 0.55 (t1 #3), with SKIN_TINT at most 0.01; with round 13's _skin_colour (the photo's own colour that its
    # lightness does not explain put back) t1 #3 reads 0.39: that colour, unsigned, at the new face's shadows and
    # highlights; its shadows are less grey than before (their chroma against the slopes' -1.79 -> -1.26). Round 16's
    # blend.PALE_KEEP keeps the person's colour where the new face is lighter than the photo (not the colour the
    # slopes give that lightness, which greyed those patches), on purpose off the slopes: t1 #3 0.39 -> 0.51. Round 22's
    # blend.centre_colour (a moved head's swap takes back the person's colour where it came out greyer, again off the
    # slopes: t1's pale patches, faces.measures.skin_fade pale_share 0.30 -> 0.10 on #2): t1 #2 / #3 0.51 / 0.52 ->
    # 0.74 / 0.80. Round 23's evened anti-face (editors.anonymize.ANTI_EVEN_FIRST: its faint light patches out, the
    # new face's lightness detail and with it the colour the slopes give it changed): t1 #3 0.80 -> 0.96 (its
    # faces.measures.blotch 1.17 -> 1.10)
    "tint": (-5.0, 1.0),
    "eyes_open": (-1.0, 0.08),
    # the lips' colour, result vs original (Lab): main 292136c measured 5.9-39 (t1 #1's red lips came out pale pink).
    # Round 17 (the ridge cut, editors.anonymize.RIDGE_FIRST): the composite's 64 px copy keeps its cut anti-face with
    # the photo's own outline (its outline-shape try no longer the farthest) and reads 10.25 (8.55 with the lit one's
    # shape try; one swap of either anti-face on the same mesh reads 8.35 / 8.43: the try kept, not the cut; the lips
    # look alike at 4x): 10.5. Round 23's evened anti-face (editors.anonymize.ANTI_EVEN_FIRST): the same copy 10.25 ->
    # 10.74 (its skin's faces.measures.blotch 0.81 -> 0.65; the lips' own colour step unchanged): 11.0
    "lips": (0.0, 11.0),
}
# the skin's texture band, result / original (faces.measures.texture; issue 14, round 18): the bench's swaps read 0.80
# (grace_hopper; main 0.76) to 1.67 (t1 #4, grainier than the soft photo); a face smoothed at 2 px reads ~0.6
TEXTURE_MIN = 0.7
RING_EXCESS_MAX = 5.0  # Lab: the face skin vs the person's own skin around it, result's difference vs original's
# (faces.measures.ring_match; main 292136c measured 1.2-5.0 on the bench's swaps, this tree 0.9-3.7)


def _check_look(img, out, f):
    """A swapped face looks photographed (faces.measures.look, on its skin): grain and sharpness near the
    photo's, skin colour not greyer, eyes not opened. Before the photo's own grain and the lowered lids (main
    50311a1) these failed: Grace Hopper's grain 0.65 (plastic), t1 #0/#1/#4 1.48-1.64 (grainier than the soft
    photo), t1 #4/#5 eyes opened by 0.082-0.088; now 0.79, 1.12-1.33 and at most 0.07."""
    from faces.measures import look, ring_match

    got = look(img, out, f)
    for k, (lo, hi) in LOOK_FLOORS.items():
        assert lo <= got[k] <= hi, (f.index, k, got)
    ring = ring_match(img, out, f)
    assert ring is None or ring["ring_excess"] <= RING_EXCESS_MAX, (f.index, ring)
    from faces.measures import texture

    tex = texture(img, out, f)["texture"]
    assert TEXTURE_MIN <= tex, (f.index, tex)


def _check_report(img, out, found, report):
    """Every face: past dlib's same-person line (measured here), and as the editor reported: a swap past the
    margin with the expression kept, no seam (the colour jump across the edge of what changed, CIEDE2000, at
    most 1.0 over the photo's own there: t1's swaps measure 0.1-0.6, and 1.5-2.8 pasted without matching the
    photo's colour and light) and a photographic look (:func:`_check_look`), or hidden (blur / pixelate /
    solid) with the reason given."""
    from core.composite import seam_delta_e
    from editors.anonymize import EXPRESSION_LIMIT, VERIFY_MARGIN

    rows = {r["face"]: r for r in report}
    for f in found:
        r = rows[f.index]
        assert r["verified"], r
        assert identity_distance(img, f, out) > SAME_PERSON, (f.index, r)
        if r["done"].startswith("swap"):
            assert r["distance"] >= VERIFY_MARGIN, r
            assert r["expression"]["max"] < EXPRESSION_LIMIT, r
            assert seam_delta_e(img, out, changed_region(img, out, f), 3).increase < 1.0, r
            _check_look(img, out, f)
        else:
            assert r["done"].split()[0] in ("blur", "pixelate", "solid") and r["why"], r


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_anonymize_swap_removes_identity_with_margin(real, faces, name):
    from editors.anonymize import HEAD_GROW, AnonymizeEditor

    img = real[name]
    ed = AnonymizeEditor()
    out = ed.apply(img, None, {"method": "swap"}, seed=0)
    _check_report(img, out, faces[name], ed.last_report)
    _outside_faces_identical(img, out, faces[name], HEAD_GROW)


def test_expression_measure_and_reshape(faces):
    f = faces["astronaut"][0]
    assert expression_shift(f.mesh, f.mesh, f.size)["max"] < 1e-6
    moved = expression_shift(f.mesh, identity_reshape(f.mesh, f.size, 1.0), f.size)
    assert 0.005 < moved["max"] < 0.03 and set(moved) == {"mouth", "eyes", "brows", "max"}
    # a moved and scaled head is not an expression change
    rot = np.array([[0.9, -0.2], [0.2, 0.9]], np.float32)
    assert expression_shift(f.mesh, f.mesh @ rot.T + 40, f.size)["max"] < 1e-3
    # the proportion moves the anonymizer tries per face: eyes (with brows) up, mouth down, by that much
    from faces.landmarks import FACE_OVAL, LEFT_EYE, LIPS

    base = identity_reshape(f.mesh, f.size, 1.0)
    up = identity_reshape(f.mesh, f.size, 1.0, eyes_up=0.02)
    down = identity_reshape(f.mesh, f.size, 1.0, mouth_down=0.02)
    assert np.allclose((base - up)[LEFT_EYE, 1], 0.02 * f.size, rtol=0.1) and np.allclose(up[LIPS], base[LIPS])
    assert np.allclose((down - base)[LIPS, 1], 0.02 * f.size, rtol=0.1) and np.allclose(down[LEFT_EYE], base[LEFT_EYE])
    assert np.array_equal(up[FACE_OVAL], f.mesh[FACE_OVAL]) and np.array_equal(down[FACE_OVAL], f.mesh[FACE_OVAL])


def test_warp_draws_the_near_surface_where_a_turned_face_folds():
    """Two source triangles (red, blue) warped onto overlapping places: with depth the nearer one is drawn."""
    from faces.geometry import warp_mesh

    src = np.zeros((40, 80, 3), np.uint8)
    src[:, :40] = (255, 0, 0)
    src[:, 40:] = (0, 0, 255)
    src_pts = np.array([[2, 2], [37, 2], [2, 37], [42, 2], [77, 2], [42, 37]], np.float32)
    dst_pts = np.array([[0, 0], [30, 0], [0, 30], [0, 0], [30, 0], [0, 30]], np.float32)  # both on one place
    tris = np.array([[0, 1, 2], [3, 4, 5]], np.int32)
    for near, colour in ((0, (255, 0, 0)), (1, (0, 0, 255))):
        depth = np.full(6, 5.0, np.float32)
        depth[3 * near : 3 * near + 3] = -5.0  # smaller = nearer the camera
        out, covered = warp_mesh(src, src_pts, dst_pts, tris, (0, 0, 40, 40), depth)
        assert covered[5, 5] and tuple(out[5, 5]) == colour


def test_anonymize_tries_texture_outline_and_proportions_per_face():
    """The offline tries: the farthest synthetic face, the face's own anti-face, then the better of those
    with its outline taken to the target's proportions (shape), then with each brow weight (and the best
    shape so far), then with each face outline, then the best with stronger proportions, then the proportion moves (each with the best brows
    and shape so far), then the next synthetic face."""
    import editors.anonymize as an

    plan = an._candidates()
    assert len(plan) == an.MAX_TRIES + 1 and an.LAST_RESORT_BROWS
    last = plan.pop()  # the last resort, for a face no other try takes past the margin: darker brows, unbounded
    assert last == an.Candidate("best", brows=an.BROWS[0], shape="best", brow_floor=False) and an.BROWS[0] > 0
    assert all(c.brow_floor for c in plan)
    assert [c.texture for c in plan[:2]] == ["far", "anti"] and plan[0].head is None and not plan[0].move
    assert not plan[0].shape and not plan[1].shape and plan[2] == an.Candidate("best", shape=True)
    n = 3 + len(an.BROWS)
    assert [c.brows for c in plan[3:n]] == list(an.BROWS) and all(c.texture == "best" for c in plan[3:n])
    assert all(c.shape == "best" for c in plan[3:n])
    assert [c.head for c in plan[n : n + len(an.HEADS)]] == list(an.HEADS)
    assert not any(c.shape for c in plan[n : n + len(an.HEADS)])  # another outline instead of the target's
    strong = plan[n + len(an.HEADS)]  # a face short of the margin: its best try's proportions moved further
    assert strong == an.Candidate("best", "outline", brows="best", gain=an.STRONG_GAIN)  # on the farthest outline
    assert an.STRONG_GAIN > 1 and all(c.gain == 1.0 for c in plan[: n + len(an.HEADS)])
    moves = plan[n + len(an.HEADS) + 1 : -1]
    assert moves and all(c.texture == "best" and c.head == "best" and c.move in an.MOVES for c in moves)
    assert all(c.gain == "best" for c in moves)  # on top of the best try's proportions
    assert all(c.brows == "best" for c in plan[n:])
    assert plan[-1] == an.Candidate("next", "best", brows="best", shape="best")  # the second-farthest synthetic face


def test_brow_weight_changes_only_the_brows_inside_the_paste(real, faces):
    """``_restyle_brows``: darker/thicker (> 0) darkens the band around the brows, paler (< 0) lightens it;
    nothing changes outside the paste mask or far from the brows, and the face mesh found on the result
    (the expression) stays within the limit."""
    import editors.anonymize as an
    from faces.landmarks import LEFT_BROW, RIGHT_BROW
    from faces.measures import expression_of

    img, f = real["astronaut"], faces["astronaut"][0]
    pasted = face_mask(img.shape, f)
    brows = np.zeros(img.shape[:2], np.uint8)
    for idx in (LEFT_BROW, RIGHT_BROW):
        cv2.fillConvexPoly(brows, cv2.convexHull(np.round(f.mesh[idx]).astype(np.int32)), 1)
    near = cv2.dilate(brows, np.ones((int(0.2 * f.size),) * 2, np.uint8)) > 0
    grey = lambda x: x.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)  # noqa: E731
    for tone in an.BROWS:
        out = img.copy()
        an._restyle_brows(out, f.mesh, f.size, pasted, tone)
        changed = (out != img).any(2)
        assert changed.any() and not (changed & ~pasted).any() and not (changed & ~near).any()
        shift = float((grey(out) - grey(img))[brows > 0].mean())
        assert (shift < -3) if tone > 0 else (shift > 1), (tone, shift)
        assert expression_of(out, f)["max"] < an.EXPRESSION_LIMIT


def test_darker_brows_stop_at_the_persons_own_darkest_brow_hairs(real, faces):
    """The darker-brows try is bounded by the person's own brows (``_brow_floor``: their darkest hairs, glasses
    frames left out): with the floor no pixel ends darker than min(itself, floor); without it the same try goes
    well below (the heavy black brows grace_hopper's grey ones turned into). Grace's brows lie under her frames'
    top rims (over 90 % of their hulls): unmeasured (None, not the frames' ~35); a bound of 255 (never darker than the
    paste) would darken nothing, so the swap runs her darker-brows tries unbounded (UNSEEN_BROWS_FREE)."""
    import editors.anonymize as an

    grey = lambda x: x.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)  # noqa: E731
    g_img, g = real["grace_hopper"], faces["grace_hopper"][0]
    assert an._brow_floor(g_img, g) is None and an._brow_colour(g_img, g) is None
    for name in ("astronaut", "grace_hopper"):
        img, f = real[name], faces[name][0]
        pasted = face_mask(img.shape, f)
        floor = an._brow_floor(img, f) if name != "grace_hopper" else 255.0
        assert floor is not None and floor > 100, (name, floor)  # light-brown brows, not the frames (~35)
        free, bounded = img.copy(), img.copy()
        an._restyle_brows(free, f.mesh, f.size, pasted, max(an.BROWS))
        an._restyle_brows(bounded, f.mesh, f.size, pasted, max(an.BROWS), floor)
        limit = np.minimum(grey(img), floor)
        assert (grey(bounded) >= limit - 1.0).all(), name
        assert ((grey(free) < limit - 10) & pasted).sum() > 20, name  # the try without the bound: heavier
        assert (grey(bounded) <= grey(img) + 1.0).all()  # the bound only stops darkening, never lightens


def _teeth(shape, period, phase):
    """A mouth crop: skin, an open mouth 12 px high (a bright teeth row over a dark cavity) with vertical tooth gaps
    every ``period`` px."""
    img = np.full((*shape, 3), (200, 150, 130), np.float32)
    img[20:26, 10:70] = (235, 230, 220)  # teeth
    img[26:32, 10:70] = (60, 20, 25)  # the dark inside
    gaps = (np.arange(shape[1]) + phase) % period == 0
    img[20:26, gaps] = (150, 140, 130)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_mouth_texture_keeps_the_photos_light_layout_with_the_targets_teeth():
    """``mouth_texture``: inside an open mouth the result keeps the photo's light layout (teeth row over a dark
    cavity, the mouth-scale band) but the tooth edges are the target's; outside the mouth nothing changes; a mouth
    opened less than ``MOUTH_MIN_HEIGHT`` keeps the photo's own pixels."""
    from faces.blend import MOUTH_MIN_HEIGHT, _masked_low, mouth_texture

    shape = (50, 80)
    orig, new = _teeth(shape, 7, 0), _teeth(shape, 11, 5)
    new = np.clip(new.astype(np.int16) + (25, 0, -10), 0, 255).astype(np.uint8)  # the target's own colour too
    lips = np.array([[10, 20], [40, 19], [69, 20], [69, 31], [40, 32], [10, 31]], np.float32)
    inner = np.zeros(shape, bool)
    inner[20:32, 10:70] = True
    out = mouth_texture(new, orig, inner, lips)
    outside = ~(cv2.dilate(inner.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    assert (out[outside] == new[outside]).all()
    w = inner.astype(np.float32)
    f = lambda x: x.astype(np.float32)  # noqa: E731
    sigma = 0.5 * 12
    core = np.zeros(shape, bool)
    core[21:31, 12:68] = True
    low_err = np.abs(_masked_low(f(out), w, sigma) - _masked_low(f(orig), w, sigma))[core].mean()
    assert low_err < 6, low_err  # the photo's teeth row and dark inside, where they were
    row = (slice(21, 25), slice(12, 68))  # tooth edges: the target's gaps, not the photo's
    hi = lambda x: f(x)[row].mean(2) - cv2.GaussianBlur(f(x), (0, 0), sigma)[row].mean(2)  # noqa: E731
    c_new = np.corrcoef(hi(out).ravel(), hi(new).ravel())[0, 1]
    c_orig = np.corrcoef(hi(out).ravel(), hi(orig).ravel())[0, 1]
    assert c_new > 0.8 and c_orig < 0.3, (c_new, c_orig)
    thin = np.array([[10, 25], [40, 24.5], [69, 25], [69, 27], [40, 27.5], [10, 27]], np.float32)
    assert cv2.contourArea(thin) / 59 < MOUTH_MIN_HEIGHT
    inner_thin = np.zeros(shape, bool)
    inner_thin[25:28, 10:70] = True
    kept = mouth_texture(new, orig, inner_thin, thin)
    to_orig, to_new = (np.abs(f(kept) - f(x))[26, 12:68].mean() for x in (orig, new))
    assert to_orig < 0.2 * to_new, (to_orig, to_new)  # the photo's own dark gap (softly faded in at its lips)


def test_anonymize_pastes_new_teeth_into_an_open_mouth_only(real, faces):
    """The anonymizer's swap takes the open mouth's teeth from the target (t1 #3 smiles with teeth: the inside
    of her mouth no longer matches the photo's fine detail), keeps the photo's own pixels in a closed or barely
    open mouth (grace_hopper), and the expression under the limit."""
    from editors.anonymize import EXPRESSION_LIMIT
    from faces.blend import mesh_swap
    from faces.gallery import load_target
    from faces.masks import mouth_open_mask
    from faces.measures import expression_of
    from tests import photos

    img = photos.load("t1")
    f = max((g for g in find_faces(img) if g.mesh is not None), key=lambda g: _mouth_height(g))
    mouth = mouth_open_mask(img.shape, f)
    assert mouth is not None and _mouth_height(f) >= 3
    target = load_target("synthetic_young_narrow_dark")
    kept, pasted = img.copy(), img.copy()
    mesh_swap(kept, img, f, target, rng=np.random.default_rng(0))
    mesh_swap(pasted, img, f, target, keep_mouth=False, rng=np.random.default_rng(0))
    core = cv2.erode(mouth.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    hi = lambda x: (x.astype(np.float32) - cv2.GaussianBlur(x.astype(np.float32), (0, 0), 1.5)).mean(2)  # noqa: E731
    same_kept = np.corrcoef(hi(kept)[core], hi(img)[core])[0, 1]
    same_pasted = np.corrcoef(hi(pasted)[core], hi(img)[core])[0, 1]
    assert same_kept > 0.9 and same_pasted < 0.6, (same_kept, same_pasted)
    assert expression_of(pasted, f)["max"] < EXPRESSION_LIMIT
    other = img.copy()  # another face's teeth (``teeth``: the anonymizer's anti-face takes the gallery face's)
    mesh_swap(other, img, f, target, keep_mouth=False, rng=np.random.default_rng(0), teeth=load_target("astronaut"))
    changed = (other != pasted).any(2)
    assert (
        changed[core].mean() > 0.3 and not (changed & ~(cv2.dilate(mouth.astype(np.uint8), np.ones((3, 3))) > 0)).any()
    )
    g_img, g = real["grace_hopper"], faces["grace_hopper"][0]
    assert _mouth_height(g) < 3
    out = g_img.copy()
    mesh_swap(out, g_img, g, target, keep_mouth=False, rng=np.random.default_rng(0))
    gap = mouth_open_mask(g_img.shape, g)
    if gap is not None:
        core = cv2.erode(gap.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        diff = np.abs(out.astype(np.int16) - g_img.astype(np.int16))[core]
        assert len(diff) == 0 or diff.mean() < 3


def _mouth_height(f):
    from faces.landmarks import MOUTH_INNER

    lips = f.mesh[MOUTH_INNER].astype(np.float32)
    return cv2.contourArea(lips) / max(float(np.ptp(lips[:, 0])), 1.0)


def test_head_outline_moves_the_edge_and_keeps_the_rest(real, faces):
    """A new face outline: the jaw line moves, the expression stays under the limit, and pixels farther than
    ``HEAD_REACH`` x the face size outside the face mask stay bit-identical."""
    from editors.anonymize import EXPRESSION_LIMIT, HEAD_REACH, HEADS
    from faces.geometry import head_reshape, warp_around
    from faces.landmarks import FACE_OVAL

    img, f = real["astronaut"], faces["astronaut"][0]
    for head in HEADS:
        moved = head_reshape(f.mesh, f.size, **head)
        assert expression_shift(f.mesh, moved, f.size)["max"] < EXPRESSION_LIMIT
        width = lambda m: np.ptp(m[FACE_OVAL][:, 0])  # noqa: E731
        assert np.sign(width(moved) - width(f.mesh)) == np.sign(head["width"])
        region = face_mask(img.shape, f)
        reach = HEAD_REACH * f.size
        (out,), box = warp_around([img], f.mesh, moved, region, reach)
        changed = (out != img).any(2)
        near = cv2.dilate(region.astype(np.uint8), np.ones((2 * int(reach) + 5,) * 2, np.uint8)) > 0
        assert changed.any() and not (changed & ~near).any()


def test_thin_plate_spline_is_scipys(faces):
    """The outline warp's spline (numpy, no scipy.interpolate import on first use) is the interpolant of
    scipy's RBFInterpolator(kernel="thin_plate_spline", smoothing=1) on a real face's points."""
    from scipy.interpolate import RBFInterpolator

    from faces.geometry import head_reshape, thin_plate_spline

    f = faces["astronaut"][0]
    src = f.mesh[::2].astype(np.float64)
    dst = head_reshape(f.mesh, f.size, 0.08, -0.05)[::2].astype(np.float64)
    gy, gx = np.mgrid[150:350:7, 150:350:5]
    q = np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float64)
    ref = RBFInterpolator(dst, src - dst, kernel="thin_plate_spline", smoothing=1.0)(q)
    ours = thin_plate_spline(dst, src - dst, smoothing=1.0)(q)
    assert np.abs(ref).max() > 1.0 and np.abs(ours - ref).max() < 0.01  # px (float32 kernel sums)


def test_anti_face_is_far_from_the_face_and_photo_like(real, faces):
    """The anti-face: made from the face alone, on the gallery canvas, not a copy of the mean face."""
    from faces.gallery import anti_target, mean_face

    img, f = real["grace_hopper"], faces["grace_hopper"][0]
    t = anti_target(img, f)
    mean = mean_face()[0]
    assert t.image.shape == mean.shape and t.image.dtype == np.uint8 and t.face.mesh is not None
    assert np.abs(t.image.astype(np.float32) - mean).mean() > 1.0
    assert np.array_equal(t.image, anti_target(img, f).image)  # deterministic


def test_anti_face_brows_are_never_darker_than_the_mean_faces(real, faces):
    """Grace Hopper's grey brows reflected through the mean face used to come out heavy and black: the anti-face's
    brows are at most as dark as the mean face's (a dark-browed face's may still turn paler). Their tone is compared
    smoothed over the hair strands drawn into them (faces.gallery.brow_strands: dark hairs, zero on average)."""
    from faces.gallery import anti_target, mean_face
    from faces.landmarks import LEFT_BROW, RIGHT_BROW

    mean, mesh, _ = mean_face()
    grey = np.array([0.299, 0.587, 0.114], np.float32)
    brows = np.zeros(mean.shape[:2], np.uint8)
    for idx in (LEFT_BROW, RIGHT_BROW):
        cv2.fillConvexPoly(brows, cv2.convexHull(np.round(mesh[idx]).astype(np.int32)), 1)
    inside = brows > 0
    for name in ("grace_hopper", "astronaut"):
        t = anti_target(real[name], faces[name][0])
        tone = cv2.GaussianBlur(mean @ grey, (0, 0), 3.0) - cv2.GaussianBlur(
            t.image.astype(np.float32) @ grey, (0, 0), 3.0
        )
        darker = tone[inside]
        assert np.percentile(darker, 90) < 4.0 and darker.mean() < 0.5, (name, np.percentile(darker, [50, 90]))


def _swap_seam(img, f, target_name):
    from core.composite import seam_delta_e
    from faces.blend import mesh_swap
    from faces.gallery import load_target

    out = img.copy()
    mask = mesh_swap(out, img, f, load_target(target_name), rng=np.random.default_rng(0))
    return out, mask, seam_delta_e(img, out, mask, 3)


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_swap_has_no_seam_and_keeps_grain(real, faces, name):
    """Seam metric: the colour jump across the paste boundary (CIEDE2000) stays close to the original's;
    the noise level inside the face stays close to the original's too."""
    img, f = real[name], faces[name][0]
    out, mask, seam = _swap_seam(img, f, "synthetic_mid_narrow_light")
    assert seam.samples > 50
    assert seam.increase < 1.0, seam  # the boundary follows the jaw and hairline: their own jump is kept, none added
    inner = cv2.erode(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)

    def grey(x):
        return cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32)

    n0, n1 = noise_sigma(grey(img), inner), noise_sigma(grey(out), inner)
    assert 0.5 * n0 <= n1 <= 2.0 * n0 + 0.5, (n0, n1)


def _frame_edges(t) -> float:
    """99th percentile of vertical edge strength between the eyes and the nose tip, inside the face:
    where the lower rims of glasses run."""
    from faces.landmarks import FACE_OVAL, LEFT_EYE, RIGHT_EYE

    m = t.face.mesh
    y0, y1 = int(m[LEFT_EYE + RIGHT_EYE][:, 1].max()) + 3, int(m[1][1]) - 4
    oval = cv2.erode(polygon_mask(t.image.shape, m[FACE_OVAL]).astype(np.uint8), np.ones((15, 15), np.uint8)).astype(
        bool
    )
    band = np.zeros_like(oval)
    band[y0:y1] = True
    g = cv2.cvtColor(t.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.percentile(np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3))[band & oval], 99))


def test_gallery_is_synthetic_glasses_free_and_varied():
    """Synthetic gallery faces: no glasses (the eye band has no dark frame lines the real glasses photo has),
    licence and provenance recorded, and targets that differ (dlib descriptors apart)."""
    from faces.gallery import gallery, gallery_names, load_target

    names = gallery_names(synthetic=True)
    assert len(names) >= 12
    desc = []
    for n in names:
        e = gallery()[n]
        assert e["licence"].startswith("public domain") and e["provenance"] and len(e["dlib"]) == 128
        desc.append(np.array(e["dlib"]))
        assert _frame_edges(load_target(n)) < 120, n
    assert _frame_edges(load_target("grace_hopper")) > 200  # the measure sees real glasses
    d = np.linalg.norm(np.array(desc)[:, None] - np.array(desc)[None], axis=2)
    assert np.median(d[np.triu_indices(len(desc), 1)]) > 0.2


GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


@pytest.mark.parametrize(
    "name,target", [("astronaut", "synthetic_young_wide_light"), ("grace_hopper", "synthetic_old_narrow_dark")]
)
def test_swap_goldens(real, faces, name, target):
    """Visual goldens: the swapped face (crop, 128 px) against a reviewed PNG; regenerate with FACET_UPDATE_GOLDEN=1."""
    img, f = real[name], faces[name][0]
    out, _, _ = _swap_seam(img, f, target)
    _compare_golden(out, f, name)


def test_reshaped_swap_golden():
    """The anonymizer's own swap: Tom Hanks (turned) with the identity-bearing proportions moved (nose narrower,
    eyes smaller, mouth wider): no crease along the far side of the nose, no pixel-stepped nose outline."""
    from dataclasses import replace

    from faces.blend import mesh_swap
    from faces.gallery import load_target

    from tests import photos

    img = photos.load("tom_hanks")
    f = find_faces(img)[0]
    moved = replace(f, mesh=identity_reshape(f.mesh, f.size, 1.0))
    out = img.copy()
    mesh_swap(out, img, moved, load_target("synthetic_old_narrow_light"), rng=np.random.default_rng(0))
    _compare_golden(out, f, "tom_hanks_reshaped")


def _compare_golden(out, f, name):
    """The face's crop (128 px) against ``tests/golden/faces_<name>.png``. Tight: mean difference at most 1 grey
    level, and no 8x8 block off by more than 4 on average (a glasses-frame ghost, a crease or a colour patch is
    local: the glasses fix moved one block by 28, the crease by the nose one by 10 at a mean of 0.75)."""
    x0, y0, x1, y1 = padded_box(f.mesh, out.shape, 0.1 * f.size)
    crop = cv2.resize(out[y0:y1, x0:x1], (128, 128), interpolation=cv2.INTER_AREA)
    path = os.path.join(GOLDEN, f"faces_{name}.png")
    if os.environ.get("FACET_UPDATE_GOLDEN") or not os.path.exists(path):
        cv2.imwrite(path, crop[..., ::-1])
    want = cv2.imread(path)[..., ::-1]
    diff = np.abs(crop.astype(np.int16) - want.astype(np.int16)).mean(2)
    block = float(diff.reshape(16, 8, 16, 8).mean((1, 3)).max())
    if diff.mean() > 1.0 or block > 4.0:
        os.makedirs("artifacts/golden-failures", exist_ok=True)
        cv2.imwrite(f"artifacts/golden-failures/faces_{name}.png", np.hstack([crop, want])[..., ::-1])
    assert diff.mean() <= 1.0 and block <= 4.0, (diff.mean(), block)


@pytest.mark.parametrize("method", ["blur", "pixelate", "solid"])
def test_anonymize_classic_methods_remove_identity(real, faces, method):
    from editors.anonymize import AnonymizeEditor

    img, f = real["astronaut"], faces["astronaut"][0]
    out = AnonymizeEditor().apply(img, None, {"method": method})
    assert identity_distance(img, f, out) > SAME_PERSON
    _outside_faces_identical(img, out, faces["astronaut"])


def test_anonymize_every_face_of_the_group(real):
    """Every meshed face of the assembled group photo (the ~60 px one and the half-hidden one included) ends
    past dlib's same-person line, swapped past the 0.75 margin with the expression kept, or hidden with a
    reason: the editor checks each swap, tries other synthetic faces, then blurs / pixelates."""
    from editors.anonymize import AnonymizeEditor

    group, _ = assemble_group(real)
    found = [f for f in find_faces(group) if f.mesh is not None and f.size >= 40]
    assert len(found) >= 3
    editor = AnonymizeEditor()
    out = editor.apply(group, None, {"method": "swap"})
    _check_report(group, out, found, editor.last_report)
    reach = {r["face"]: r["blur_reach"] for r in editor.last_report if "blur_reach" in r}  # (a hidden face's blur
    # takes in the hair around its head when the head alone leaves dlib under HIDE_SEEK: the half-hidden copy's)
    _outside_faces_identical(group, out, find_faces(group), 0.3, reach)  # a new outline fades out within the head ring


def test_anonymize_swaps_most_faces_of_t1_past_the_margin():
    """A floor on the margin goal (issue 14): of t1's six faces (103-127 px), at least five stay swapped
    (a synthetic face, the face's anti-face, brow weight, a new outline, proportions) at dlib distance >= 0.75
    with the expression kept, median >= 0.77; the rest are hidden with a reason. Before the anti-face and
    outline tries: two or three; before the brow tries: five, median 0.755."""
    from editors.anonymize import AnonymizeEditor
    from tests import photos

    img = photos.load("t1")
    found = [f for f in find_faces(img) if f.mesh is not None]
    editor = AnonymizeEditor()
    out = editor.apply(img, None, {"method": "swap"}, seed=0)
    _check_report(img, out, found, editor.last_report)
    swapped = [r for r in editor.last_report if r["done"].startswith("swap")]
    assert len(swapped) >= 5, [(r["face"], r.get("tries")) for r in editor.last_report]
    # headroom past the line (tries go on to SEEK_MARGIN 0.78): median 0.785 when written, 0.755 before; 0.769
    # with the darker brows bounded by the person's own, 0.786 with the open mouth's teeth from the target too;
    # 0.761 in round 6 (lead's call, measured by h14f switching each off in turn): the look costs margin, a closed
    # eye kept closed (KEEP_EYES off: 0.775) and the skin's lightness matched to the photo (LEVEL_SKIN off: 0.769).
    # Every swapped face still passes 0.75 (_check_report); this floor guards the headroom left.
    assert np.median([r["distance"] for r in swapped]) >= 0.755, [r["distance"] for r in swapped]
    _outside_faces_identical(img, out, find_faces(img), 0.3)


def test_anonymize_a_real_group_photo():
    """insightface's t1 (six people, 100-130 px faces, several turned): every face ends past dlib's line; the
    swapped ones (at least one) past the margin, with the expression kept and no seam at the face's outline."""
    from editors.anonymize import AnonymizeEditor

    from tests import photos

    img = photos.load("t1")
    found = find_faces(img)
    assert len(found) == 6 and all(f.mesh is not None for f in found)
    editor = AnonymizeEditor()
    out = editor.apply(img, None, {"method": "swap"}, seed=0)
    _check_report(img, out, found, editor.last_report)
    assert any(r["done"].startswith("swap") for r in editor.last_report), editor.last_report


def test_faceswap_keeps_expression_and_outside(real, faces):
    from editors.faceswap import FaceSwapEditor

    img, f = real["astronaut"], faces["astronaut"][0]
    out = FaceSwapEditor().apply(img, None, {"target": "grace_hopper"})
    assert landmark_shift(img, out, f) < MAX_SHIFT
    _outside_faces_identical(img, out, faces["astronaut"])
    # the selection limits the edit: a selection elsewhere finds no face to swap
    sel = np.zeros(img.shape[:2], bool)
    sel[400:, :100] = True
    with pytest.raises(BadInput, match="selection"):
        FaceSwapEditor().apply(img, sel, {"target": "grace_hopper"})


def test_bad_inputs(real, tmp_path):
    from skimage import data

    from editors.anonymize import AnonymizeEditor
    from editors.faceswap import FaceSwapEditor

    img = real["astronaut"]
    noface = tmp_path / "coffee.png"
    cv2.imwrite(str(noface), data.coffee()[..., ::-1])
    with pytest.raises(BadInput, match="no face found in the target"):
        FaceSwapEditor().apply(img, None, {"target": data.coffee()})  # an upload reaches the editor as an array
    with pytest.raises(BadInput, match="must be one of the built-in names.*file paths and URLs are not read"):
        FaceSwapEditor().apply(img, None, {"target": str(noface)})  # a path is never read
    with pytest.raises(BadInput, match="must be one of the built-in names"):
        FaceSwapEditor().apply(img, None, {"target": "nobody"})
    with pytest.raises(BadInput, match="no face 3"):
        FaceSwapEditor().apply(img, None, {"faces": "3"})
    with pytest.raises(BadInput, match="method"):
        AnonymizeEditor().apply(img, None, {"method": "erase"})
    with pytest.raises(BadInput, match="colour"):
        AnonymizeEditor().apply(img, None, {"method": "solid", "colour": "red"})
    with pytest.raises(BadInput, match="synthetic faces only"):
        AnonymizeEditor().apply(img, None, {"identity": "grace_hopper"})
    with pytest.raises(BadInput, match="no face found in this photo"):
        AnonymizeEditor().apply(data.coffee(), None, {})
    with pytest.raises(BadInput, match="full face backend"):
        FaceSwapEditor(_offline_manager()).apply(img, None, {"backend": "full"})


def _offline_manager():
    from core.models import ModelManager

    for k in ("FACET_MODEL_FACE_ANALYSIS", "FACET_MODEL_INSWAPPER"):
        os.environ.pop(k, None)
    return ModelManager(online=False)


# -- full backend through the real insightface loader, with tiny graphs -----------------------------------


@pytest.fixture()
def tiny_manager(tmp_path, monkeypatch):
    from core.models import ModelManager
    from tests.tiny_models import make_tiny_insightface

    fa, sw = make_tiny_insightface(tmp_path)
    monkeypatch.setenv("FACET_MODEL_FACE_ANALYSIS", str(fa))
    monkeypatch.setenv("FACET_MODEL_INSWAPPER", str(sw))
    return ModelManager(online=False)


def _tiny_photo() -> np.ndarray:
    img = np.zeros((640, 640, 3), np.uint8)
    img[320:352, 320:352] = 230  # a "face" for the tiny detector at stride 32
    img[96:128, 160:192] = 200
    return img


def test_tiny_insightface_full_path(tiny_manager, tmp_path, capsys):
    from editors.anonymize import AnonymizeEditor
    from editors.faceswap import FaceSwapEditor

    img = _tiny_photo()
    found = find_faces(img, tiny_manager, "full")
    assert len(found) == 2 and all(f.embedding is not None and f.embedding.shape == (512,) for f in found)
    assert [f.index for f in found] == [0, 1] and found[0].centre[0] < found[1].centre[0]
    ed = FaceSwapEditor(tiny_manager)
    out = ed.apply(img, None, {"target": img.copy(), "faces": "1"})  # auto -> full (weights "here")
    assert ed.model_ids[0].startswith("face_analysis")
    assert out.shape == img.shape and (out != img).any()
    allowed = cv2.dilate(face_mask(img.shape, found[1]).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert not ((out != img).any(2) & ~allowed).any()
    a1 = AnonymizeEditor(tiny_manager).apply(img, None, {"method": "swap", "verify": False}, seed=3)
    a2 = AnonymizeEditor(tiny_manager).apply(img, None, {"method": "swap", "verify": False}, seed=3)
    a3 = AnonymizeEditor(tiny_manager).apply(img, None, {"method": "swap", "verify": False}, seed=4)
    assert np.array_equal(a1, a2) and not np.array_equal(a1, a3)
    assert "inswapper-shape" not in capsys.readouterr().out  # insightface's prints are swallowed


def test_tiny_full_path_checks_arcface_margin(tiny_manager, monkeypatch):
    """Full path: each face gets a synthetic identity at cosine -0.3 to its own embedding, checked by the
    (tiny) ArcFace recogniser; not past the margin after the tries -> blurred with the reason reported."""
    import editors.anonymize as an

    rng = np.random.default_rng(0)
    own = rng.standard_normal(512).astype(np.float32)
    v = an.far_identity(rng, own)
    assert abs(float(np.linalg.norm(v)) - 1) < 1e-5 and abs(float(v @ an.normed(own)) - an.ARCFACE_TARGET_COS) < 1e-4
    img = _tiny_photo()
    ed = an.AnonymizeEditor(tiny_manager)
    ed.apply(img, None, {"method": "swap"}, seed=1)
    assert len(ed.last_report) == 2
    for r in ed.last_report:  # the tiny recogniser's bias keeps every face "similar": hidden, reason given
        assert (
            r["verified"]
            and len(r["tries"]) == an.FULL_TRIES
            and r["done"].startswith("blur")
            and "ArcFace" in r["why"]
        )
    monkeypatch.setattr(an, "ARCFACE_MARGIN", 1.0)
    ed.apply(img, None, {"method": "swap"}, seed=1)
    assert all(r["done"] == "swap to a synthetic identity" and len(r["tries"]) == 1 for r in ed.last_report)


def test_dlib_resnet_in_onnxruntime_gives_dlibs_descriptors(real, faces):
    """The anonymizer's check runs dlib's ResNet in onnxruntime (faces/dlib_net.py, weights read from dlib's
    file): its descriptors equal dlib's own forward pass on real faces and on swapped ones."""
    from faces import dlib_net
    from faces.measures import identity_descriptor

    from tests import photos

    img = photos.load("t1")
    cases = [(img, f) for f in find_faces(img)] + [(real[n], faces[n][0]) for n in real]
    swapped, _, _ = _swap_seam(real["astronaut"], faces["astronaut"][0], "synthetic_old_wide_dark")
    cases.append((swapped, faces["astronaut"][0]))
    for rgb, f in cases:
        fast, ref = identity_descriptor(rgb, f), identity_descriptor(rgb, f, engine="dlib")
        assert np.linalg.norm(fast - ref) < 1e-4, f.index
        assert np.linalg.norm(ref) > 0.5
    layers = dlib_net.read_layers(dlib_net_path())
    assert [k for k, *_ in layers].count("con") == 29 and layers[-1][1].shape == (256, 128)


def dlib_net_path():
    from faces.measures import RESNET_FILE, _dlib

    return _dlib()["root"] / RESNET_FILE


def _frame_pixels(rgb, f, mask) -> int:
    """Thin near-black line pixels (grey-level black-hat > 30, grey < 80) from 0.15 x face size above eye level to
    0.05 under it, in a ring of 0.08 x face size on both sides of the swap mask's edge: where a glasses frame's
    temples and hinges run (grey hair's dark gaps are rarely that dark)."""
    from faces.landmarks import LEFT_EYE, RIGHT_EYE

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    k = max(3, round(0.05 * f.size) | 1)
    hat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    lines = (hat > 30) & (grey < 80)
    r = 2 * round(0.08 * f.size) + 1
    m = mask.astype(np.uint8)
    ring = (cv2.dilate(m, np.ones((r, r), np.uint8)) > 0) & ~(cv2.erode(m, np.ones((r, r), np.uint8)) > 0)
    eye_y = f.mesh[LEFT_EYE + RIGHT_EYE][:, 1].mean()
    band = np.zeros_like(ring)
    band[int(eye_y - 0.15 * f.size) : int(eye_y + 0.05 * f.size)] = True
    return int((lines & ring & band).sum())


def test_swap_leaves_no_glasses_ghost(real, faces):
    """Grace Hopper's glasses: after a swap to a glasses-free face, the frame's dark lines are gone around the
    face's edge too (inside the soft edge and where the temples run on outside), not a faint ghost. The code
    before the frames were painted out of the photo first left 37 % of them here (the faint ghost at her
    right temple)."""
    img, f = real["grace_hopper"], faces["grace_hopper"][0]
    for target in ("synthetic_old_narrow_dark", "synthetic_young_wide_light"):
        out, mask, _ = _swap_seam(img, f, target)
        before, after = _frame_pixels(img, f, mask), _frame_pixels(out, f, mask)
        assert before > 500, before  # the measure sees the frames on the photo
        assert after <= 0.25 * before, (target, before, after)


def test_strong_blur_matches_the_full_size_blur(real):
    """The anonymizer's fallback blur runs at a reduced scale (faces.blend.strong_blur): within 3 grey levels
    on average (and 16 at most) of the two full-size Gaussian passes it stands for, on real face crops."""
    from faces.blend import strong_blur

    for img in real.values():
        crop = np.ascontiguousarray(img[80:420, 120:420])
        for sigma in (2.0, 12.0, 40.0):
            full = cv2.GaussianBlur(crop, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
            full = cv2.GaussianBlur(full, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
            diff = np.abs(strong_blur(crop, sigma).astype(np.int16) - full)
            assert diff.mean() < 3.0 and diff.max() <= 16, (sigma, diff.mean(), diff.max())


def test_wide_blur_matches_the_full_size_blur(real):
    """The swap's lighting bands (faces.blend.wide_blur: a wide Gaussian at a reduced scale) within half a grey
    level on average and 1 at most of the full-size Gaussian, on real face crops (float Lab lightness, 0-100),
    more than 2 sigma in from the crop's edge (edges are extrapolated differently at the two scales)."""
    from faces.blend import WIDE_SIGMA, wide_blur

    for img in real.values():
        crop = np.ascontiguousarray(img[80:420, 120:420]).astype(np.float32) / 255.0
        light = cv2.cvtColor(crop, cv2.COLOR_RGB2Lab)[..., 0]
        for sigma in (WIDE_SIGMA, 14.0, 25.0):
            m = int(2 * sigma)
            diff = np.abs(wide_blur(light, sigma) - cv2.GaussianBlur(light, (0, 0), sigma))[m:-m, m:-m]
            assert diff.mean() < 0.2 and diff.max() < 1.0, (sigma, diff.mean(), diff.max())


def test_photo_grain_comes_from_around_the_face(real, faces):
    """The grain added to a swapped face is the photo's own: blocks of its finest band from flat places around
    the face (never from the face), zero mean, on the photo's 8 px grid, about the photo's noise level there;
    None when every place around is the face."""
    from faces.blend import photo_grain

    img, f = real["grace_hopper"], faces["grace_hopper"][0]
    box = padded_box(f.mesh, img.shape, 10)
    face = face_mask(img.shape, f)
    g = photo_grain(img, face, box, f.size, np.random.default_rng(0))
    assert g is not None and g.shape == (box[3] - box[1], box[2] - box[0], 3) and g.dtype == np.float32
    assert np.abs(g.mean((0, 1))).max() < 1e-3
    level = noise_sigma(g.mean(2), np.ones(g.shape[:2], bool))
    assert 0.3 < level < 8.0, level
    assert np.array_equal(g, photo_grain(img, face, box, f.size, np.random.default_rng(0)))  # by seed
    assert photo_grain(img, np.ones(img.shape[:2], bool), box, f.size, np.random.default_rng(0)) is None


def test_eye_openness_and_lowered_lids(real, faces):
    """Eye openness from the face mesh: the astronaut's open eyes read over 0.3, t1 #5's downcast ones under
    0.2. The target's upper lids come down only on the eyes that are less open (inside the eyes, nowhere
    else), and an open eye is left as it is."""
    from faces.blend import lower_lids
    from faces.landmarks import LEFT_EYE, RIGHT_EYE
    from faces.measures import eye_openness

    from tests import photos

    a = faces["astronaut"][0]
    assert min(eye_openness(a.mesh)) > 0.3
    t1 = photos.load("t1")
    f = [f for f in find_faces(t1) if f.index == 5][0]
    assert max(eye_openness(f.mesh)) < 0.2
    crop_box = padded_box(f.mesh, t1.shape, 8)
    crop = np.ascontiguousarray(real["astronaut"][: crop_box[3] - crop_box[1], : crop_box[2] - crop_box[0]])
    assert np.array_equal(lower_lids(crop, a.mesh, (0, 0), a.size), crop)  # open eyes: untouched
    lowered = lower_lids(crop, f.mesh, crop_box[:2], f.size)
    changed = (lowered != crop).any(2)
    eyes = polygon_mask(t1.shape, f.mesh[LEFT_EYE]) | polygon_mask(t1.shape, f.mesh[RIGHT_EYE])
    eyes = cv2.dilate(eyes.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    x0, y0, x1, y1 = crop_box
    assert changed.sum() > 20 and not (changed & ~eyes[y0:y1, x0:x1]).any()


def test_skin_tint_slopes_recover_the_photo_skins_lightness_to_colour_relation():
    from faces.measures import skin_tint_slopes, tint_mismatch

    rng = np.random.default_rng(0)
    light = cv2.GaussianBlur(rng.normal(60, 12, (80, 80)).astype(np.float32), (0, 0), 3.0) * 4 - 180
    lab = np.dstack([light, 14 - 0.3 * (light - 60), 20 - 0.5 * (light - 60)]).astype(np.float32)
    skin = np.zeros((80, 80), bool)
    skin[10:70, 10:70] = True
    slopes = skin_tint_slopes(lab, skin)
    np.testing.assert_allclose(slopes, [-0.3, -0.5], atol=1e-3)
    assert tint_mismatch(lab, skin, slopes) < 0.05  # the photo's own skin follows its relation
    grey = lab.copy()
    grey[..., 1:] = lab[..., 1:].mean((0, 1))  # the same lightness, one colour: grey shadows
    assert tint_mismatch(grey, skin, slopes) > 1.0
    assert skin_tint_slopes(np.dstack([np.full((80, 80), 50.0)] * 3).astype(np.float32), skin) is None  # flat


def test_skin_tint_gives_the_new_skin_the_photo_skins_shadow_colour(monkeypatch):
    """faces.blend.SKIN_TINT: the new skin's colour detail follows the photo skin's lightness -> colour relation
    (t1 #1: the gallery face's grey-tan shadows on her warm, pale skin); look "tint" falls, nothing outside the
    paste changes."""
    from dataclasses import replace

    import faces.blend as fb
    from faces.gallery import load_target
    from faces.measures import look

    from tests import photos

    img = photos.load("t1")
    f = [f for f in find_faces(img) if f.index == 1][0]
    moved = replace(f, mesh=identity_reshape(f.mesh, f.size, 1.0))
    tints, outs = [], []
    monkeypatch.setattr(fb, "SKIN_COLOUR", 0.0)  # (it puts back much of the same colour: the tint step alone here)
    for share in (0.0, 1.0):
        monkeypatch.setattr(fb, "SKIN_TINT", share)
        out = img.copy()
        mask = fb.mesh_swap(out, img, moved, load_target("synthetic_young_narrow_dark"), rng=np.random.default_rng(0))
        assert np.array_equal(out[~mask], img[~mask])
        tints.append(look(img, out, f)["tint"])
        outs.append(out)
    assert tints[1] < tints[0] - 0.5, tints
    assert not np.array_equal(outs[0], outs[1])


def test_lips_take_the_photos_own_colour(monkeypatch):
    """faces.blend._lip_colour: the new lips are the photo's own lip colour and shading with the new lips' detail
    (t1 #1: the skin's broad band with the gallery lips' own difference on it made her red lips pale pink; look
    ``lips`` 39 on main 292136c). Off, the lips' colour stays far from hers; on, it is close; nothing outside the
    paste changes."""
    from dataclasses import replace

    import faces.blend as fb
    from faces.gallery import load_target
    from faces.measures import look

    from tests import photos

    img = photos.load("t1")
    f = [f for f in find_faces(img) if f.index == 1][0]
    moved = replace(f, mesh=identity_reshape(f.mesh, f.size, 1.0))
    gaps = []
    for on in (False, True):
        if not on:
            monkeypatch.setattr(fb, "_lip_colour", lambda out, ln, lo, lips, size: out)
        else:
            monkeypatch.undo()
        out = img.copy()
        mask = fb.mesh_swap(out, img, moved, load_target("synthetic_young_narrow_dark"), rng=np.random.default_rng(0))
        assert np.array_equal(out[~mask], img[~mask])
        gaps.append(look(img, out, f)["lips"])
    # round 9 (h9look): the colour fades in over a pixel inside the lips' outline and none reaches the skin (it lit the
    # skin beside the lips: a light line, faces.measures.lip_rim); the outline's own pixels keep part of the new lips'
    # colour, so t1 #1's lips read 10.3 against 5.8 before (off: 40.3)
    assert gaps[0] > 15.0 and gaps[1] < 12.0, gaps


def test_ring_match_reads_the_persons_own_skin_around_the_face(real, faces):
    """faces.measures.ring_match: the original against itself matches exactly; a face made grey (its skin's
    colour halved towards neutral) stands far off its neck and ears; the ring is the person's own skin (most
    of it inside the skin colour model, none of it inside the face)."""
    from faces.measures import ring_match, skin_ring

    img = real["astronaut"]
    f = faces["astronaut"][0]
    ring = skin_ring(img, f)
    assert ring.sum() > 500 and not (ring & face_mask(img.shape, f)).any()
    same = ring_match(img, img, f)
    assert same["ring_excess"] == 0.0 and same["ring_ab"] == same["ring_ab_orig"]
    lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    m = face_mask(img.shape, f)
    lab[m, 1:] *= 0.4
    grey = np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255 + 0.5, 0, 255).astype(np.uint8)
    got = ring_match(img, grey, f)
    assert got["ring_excess"] > 5.0 and got["ring_ab"] > got["ring_ab_orig"] + 5.0, got


def test_grainier_new_face_is_smoothed_to_the_photos_grain(monkeypatch):
    """faces.blend._match_grain: a gallery face grainier than a soft photo is smoothed until its grain is the
    photo's (read on the skin away from the face's edge). One pass (main 292136c) left t1 #0 at 1.35 x the photo's
    grain (look ``grain``), t1 #1 at 1.39; now about 1.1-1.2."""
    from dataclasses import replace

    import faces.blend as fb
    from faces.gallery import load_target
    from faces.measures import look

    from tests import photos

    img = photos.load("t1")
    f = [f for f in find_faces(img) if f.index == 0][0]
    moved = replace(f, mesh=identity_reshape(f.mesh, f.size, 1.0))
    grains = []
    for passes in (1, fb.GRAIN_PASSES):
        monkeypatch.setattr(fb, "GRAIN_PASSES", passes)
        out = img.copy()
        fb.mesh_swap(out, img, moved, load_target("synthetic_young_narrow_dark"), rng=np.random.default_rng(0))
        grains.append(look(img, out, f)["grain"])
    assert grains[1] < grains[0] - 0.1 and 0.9 <= grains[1] <= 1.2, grains


def test_mesh_normals_face_the_camera_and_follow_a_tilted_plane():
    """faces.blend.mesh_normals: a flat mesh tilted about the vertical axis (depth growing to the right) has one
    normal, pointing at the camera (z < 0) and to the right; pixels off the mesh are zero."""
    import faces.blend as fb

    ys, xs = np.mgrid[10:60:10, 10:60:10]
    mesh = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    depth = (0.5 * mesh[:, 0]).astype(np.float32)
    from scipy.spatial import Delaunay

    tris = Delaunay(mesh).simplices.astype(np.int32)
    n = fb.mesh_normals(mesh, depth, tris, (0, 0), (70, 70))
    want = np.array([0.5, 0.0, -1.0]) / np.sqrt(1.25)  # receding to the right: it faces right
    np.testing.assert_allclose(n[30, 30], want, atol=1e-5)
    assert not n[65, 65].any() and not n[5, 5].any()


def test_relight_takes_the_photos_light_direction_not_its_shading_map():
    """faces.blend._relight: on one normal field, a new face lit from the left (shading = normals . l_new in the
    shading band) takes the photo's light from the right: afterwards its normal-explained shading is the photo's,
    and what the normals do not explain (the new face's own pattern) stays."""
    import faces.blend as fb

    h = w = 96
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-(((xx - 48) / 8) ** 2 + ((yy - 48) / 8) ** 2))  # a dome: normals vary over the face
    gx, gy = np.gradient(6 * bump)
    n = np.dstack([-gx, -gy, -np.ones_like(gx)])
    n /= np.linalg.norm(n, axis=2, keepdims=True)
    pattern = cv2.GaussianBlur(np.random.default_rng(0).normal(0, 3, (h, w)).astype(np.float32), (0, 0), 3)
    l_new, l_photo = np.array([-30.0, 0, -10]), np.array([30.0, 5, -10])
    ln = (60 + n @ l_new + pattern).astype(np.float32)
    lo = (60 + n @ l_photo).astype(np.float32)
    skin = np.zeros((h, w), bool)
    skin[8:-8, 8:-8] = True
    out = fb._relight(ln, lo, skin, n.astype(np.float32), size=90.0)
    inner = np.zeros_like(skin)
    inner[24:-24, 24:-24] = True

    def band(x):  # the shading band _relight works in (above it, match_photo takes the photo's own broad band)
        return cv2.GaussianBlur(x, (0, 0), 90.0 / 40) - cv2.GaussianBlur(x, (0, 0), 10.0)

    want = band((60 + n @ l_photo + pattern).astype(np.float32))
    before, after = np.abs(band(ln) - want)[inner].mean(), np.abs(band(out) - want)[inner].mean()
    assert after < 0.45 * before, (before, after)  # measured 3.2 -> 1.2
    assert np.array_equal(out[~skin], ln[~skin])


def test_skin_level_puts_the_new_face_at_the_photo_faces_lightness(monkeypatch):
    """faces.blend.LEVEL_SKIN: the closing-based light estimate left a mottled gallery skin darker than the photo's
    smooth one (t1 #0: its face 10.5 L lighter than its neck and ears in the photo, 6.5 after the swap on main
    292136c); with the skin's own level matched again, t1's faces stand to their surrounding skin nearer to how
    the originals did (faces.measures.ring_match ``ring_l``, result minus original)."""
    from dataclasses import replace

    import faces.blend as fb
    from faces.gallery import load_target
    from faces.measures import ring_match

    from tests import photos

    img = photos.load("t1")
    gaps: dict[bool, list[float]] = {False: [], True: []}
    for f in find_faces(img):
        moved = replace(f, mesh=identity_reshape(f.mesh, f.size, 1.0))
        for on in (False, True):
            monkeypatch.setattr(fb, "LEVEL_SKIN", on)
            out = img.copy()
            fb.mesh_swap(out, img, moved, load_target("synthetic_young_narrow_dark"), rng=np.random.default_rng(0))
            r = ring_match(img, out, f)
            gaps[on].append(r["ring_l"] - r["ring_l_orig"])
    off, on_ = np.abs(gaps[False]).mean(), np.abs(gaps[True]).mean()  # measured 2.31 -> 1.57 L
    assert on_ < 0.75 * off, gaps
    assert all(b > a for a, b in zip(gaps[False], gaps[True]) if a < 0), gaps  # every darker face: lighter


def test_recognizer_light_bench_variants():
    """bench/recognizer_light.py's light variants are what it reports: a quadratic / a plane fitted over the
    skin weights reproduce such a field exactly (off the skin too), ``mean`` is flat, ``band9`` is the editor's
    own light (the same swap, bit for bit), and putting a variant in does change the swap inside its mask only."""
    import importlib.util
    from dataclasses import replace
    from pathlib import Path

    import faces.blend as fb
    from faces.gallery import load_target

    from tests import photos

    path = Path(__file__).resolve().parent.parent / "bench" / "recognizer_light.py"
    spec = importlib.util.spec_from_file_location("recognizer_light", path)
    bench = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(bench)

    gy, gx = np.mgrid[0:60, 0:80].astype(np.float32)
    u, v = (gx - 40) / 50, (gy - 30) / 50
    field = np.stack([50 + 8 * u - 5 * v + 6 * u * u - 3 * u * v + 4 * v * v, 3 + 2 * u, 9 - v], -1)
    w = np.zeros((60, 80), np.float32)
    w[10:45, 15:60] = 1.0
    assert np.abs(bench.poly_light(field, w, 50.0, 2) - field).max() < 1e-3
    assert np.abs(bench.poly_light(field[..., 1:], w, 50.0, 1) - field[..., 1:]).max() < 1e-3
    flat = bench.light_fn("mean", 50.0, fb._masked_low)(field, w, 5.0)
    assert np.allclose(flat, field[w > 0].mean(0), atol=1e-3)

    img = photos.load("t1")
    f = [f for f in find_faces(img) if f.index == 0][0]
    moved = replace(f, mesh=identity_reshape(f.mesh, f.size, 1.0))
    target = load_target("synthetic_young_narrow_light")
    outs, masks = [], []
    for variant in (None, "band9", "mean"):
        low = fb._masked_low
        if variant is not None:
            fb._masked_low = bench.light_fn(variant, f.size, low)
        try:
            out = img.copy()
            masks.append(fb.mesh_swap(out, img, moved, target, rng=np.random.default_rng(0)))
        finally:
            fb._masked_low = low
        outs.append(out)
    assert np.array_equal(outs[0], outs[1])
    diff = (outs[2] != outs[0]).any(2)
    assert diff.sum() > 500 and not (diff & ~masks[0]).any()
