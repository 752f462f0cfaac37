"""Anonymize: how a face the swap cannot take past the margin is hidden (editors.anonymize.conceal_face), and how
the swap keeps the original's eye state (a closed eye stays closed)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faces.detect import find_faces
from faces.masks import cover_mask
from faces.measures import identity_descriptor, identity_distance
from tests import photos

SAME_PERSON = 0.6


@pytest.fixture(scope="module")
def t1():
    img = photos.load("t1")
    return img, {f.index: f for f in find_faces(img)}


def test_a_hidden_face_is_a_soft_blur_of_the_head_no_recogniser_knows(t1):
    """t1 #2 (126 px), the face no swap takes past 0.75: hidden as a soft-edged blur of the whole head, not a
    flat sticker (round 5: a solid brown oval with a hard edge). Checked: the report says what and why; pixels
    change only inside the head mask; the edit fades in (just inside the mask's edge it changes the photo far
    less than deep inside: a feather, no hard line); the inside is not one flat colour; dlib no longer calls it
    the same person, nor do the hold-out recognisers (MobileFaceNet, MobileFace) where setup fetched them."""
    from editors.anonymize import CONCEAL_FEATHER, HEAD_GROW, HIDE_WIDE, AnonymizeEditor

    img, faces = t1
    f = faces[2]
    out = img.copy()
    original = identity_descriptor(img, f)
    row = AnonymizeEditor()._hide_instead(out, img, f, original, "test")
    assert row["done"].startswith("blur of the head") and row["why"] == "test" and row["distance"] > SAME_PERSON, row
    assert row["blur_reach"] in (HEAD_GROW, HIDE_WIDE), row
    head = cover_mask(img.shape, f, row["blur_reach"])
    diff = np.abs(out.astype(np.int16) - img).max(2)
    assert not (diff[~head] > 0).any()
    m = head.astype(np.uint8)
    depth = cv2.distanceTransform(np.pad(m, 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    rim = head & (depth <= 2)
    deep = depth > CONCEAL_FEATHER * f.size + 2
    assert diff[rim].mean() < 0.25 * diff[deep].mean(), (diff[rim].mean(), diff[deep].mean())
    inside = out[deep].astype(np.float32)
    assert inside.std(0).max() > 3.0  # a blur of the photo, not a flat fill
    assert identity_distance(img, f, out) > SAME_PERSON

    from faces import recognizer

    for spec in (recognizer.MOBILEFACENET, recognizer.MOBILEFACE):
        if not recognizer.available(spec):
            continue
        again = [g for g in find_faces(out) if np.hypot(*(np.subtract(g.centre, f.centre))) < 0.3 * f.size]
        a = recognizer.embed_faces(img, [f], spec)[0]
        b = recognizer.embed_faces(out, [again[0] if again else f], spec)[0]
        assert float(a @ b) < spec.same_person, (spec.model_id, float(a @ b))


def test_the_half_hidden_copy_is_blurred_past_the_margin_from_its_farthest_try():
    """Issue 14's Done-when on the composite group photo (tests.test_faces.assemble_group): its 88 px grace_hopper
    copy with a bar over the lower half of the face, whose swap tries end short (0.62-0.65), is hidden by a blur of
    the head drawn from its farthest try (a made-up face, none of her detail: ``blur_of``), not from the photo, and
    that blur ends past the dlib margin with headroom, measured again here. Round 23: the blurs went on only until
    one cleared the margin (0.755 at the first step; 0.753-0.760 over seeds 0-2 x fill seeds 0/100/200); they now go
    on to ``HIDE_SEEK`` (0.78), over the head grown ``HIDE_WIDE`` (more of the hair) when the head alone falls short
    (0.755 / 0.774 / 0.737, then 0.785), the farthest kept. The photo's own head blurred at the same sigma and reach
    stays under it. Still a soft privacy blur of the head: pixels change only inside the blurred mask, the edit fades
    in at its edge, the inside is no flat fill; the status says what the blur was drawn from, that it took in the hair
    and how far it took her; the hold-out recognisers (where setup fetched them) do not know her either."""
    from editors.anonymize import (
        CONCEAL_FEATHER,
        HEAD_GROW,
        HIDE_SEEK,
        HIDE_WIDE,
        VERIFY_MARGIN,
        AnonymizeEditor,
        conceal_face,
    )
    from tests.test_faces import assemble_group, load_real

    group, _ = assemble_group(load_real())
    bar = (group == (40, 60, 90)).all(2)
    (g,) = [g for g in find_faces(group) if g.mesh is not None and bar[cover_mask(group.shape, g, 0.0)].any()]
    assert 80 <= g.size <= 95, g.size
    editor = AnonymizeEditor()
    out = editor.apply(group, None, {"method": "swap", "faces": str(g.index)}, seed=0)
    (row,) = editor.last_report
    assert row["done"].startswith("blur of the head (the best of"), row
    assert row["blur_of"] == "the farthest try" and row["blur_reach"] == HIDE_WIDE, row
    assert max(d for d in row["tries"] if d is not None) < VERIFY_MARGIN, row
    assert VERIFY_MARGIN <= row["blurs"][0] < HIDE_SEEK, row  # (the first step clears the margin: not enough)
    assert row["distance"] >= HIDE_SEEK and row["distance"] == max(row["blurs"]), row
    said = f"; blurred with the hair around it from its farthest try: dlib {row['distance']:.3f})"
    assert row["done"].endswith(said), row
    d = identity_distance(group, g, out)
    assert d >= HIDE_SEEK - 0.005, d
    photo_blur = group.copy()
    conceal_face(photo_blur, group, g, g.size / row["blur_sigma"], row["blur_reach"])
    assert identity_distance(group, g, photo_blur) < d  # (what the farthest try adds over the photo's own blur)
    head = cover_mask(group.shape, g, row["blur_reach"])
    diff = np.abs(out.astype(np.int16) - group).max(2)
    assert not (diff[~head] > 0).any()
    assert (diff[~cover_mask(group.shape, g, HEAD_GROW)] > 0).any()  # (the hair around the head is blurred too)
    depth = cv2.distanceTransform(np.pad(head.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    rim, deep = head & (depth <= 2), depth > CONCEAL_FEATHER * g.size + 2
    assert diff[rim].mean() < 0.25 * diff[deep].mean(), (diff[rim].mean(), diff[deep].mean())
    assert out[deep].astype(np.float32).std(0).max() > 3.0  # a blur, not a flat fill

    from faces import recognizer

    for spec in (recognizer.MOBILEFACENET, recognizer.MOBILEFACE):
        if not recognizer.available(spec):
            continue
        again = [h for h in find_faces(out) if np.hypot(*(np.subtract(h.centre, g.centre))) < 0.3 * g.size]
        a = recognizer.embed_faces(group, [g], spec)[0]
        b = recognizer.embed_faces(out, [again[0] if again else g], spec)[0]
        assert float(a @ b) < spec.same_person, (spec.model_id, float(a @ b))


def test_the_wider_blur_never_reaches_another_face(t1):
    """A hidden face's blur over the head grown ``HIDE_WIDE`` (tried when the head's own blurs end under
    ``HIDE_SEEK``) is left out when that mask meets another face (``others``): the blur then stays within the head
    (``HEAD_GROW``), and its steps are the head's alone. Without ``others`` the same face (t1 #2 blurred from the
    photo: 0.69-0.72, under HIDE_SEEK) tries the wider steps too."""
    from editors.anonymize import CONCEAL_STEPS, HEAD_GROW, HIDE_WIDE, AnonymizeEditor

    img, faces = t1
    f = faces[2]
    original = identity_descriptor(img, f)
    free = AnonymizeEditor()._hide_instead(img.copy(), img, f, original, "test")
    assert free["distance"] < 0.78 and len(free["blurs"]) == 2 * len(CONCEAL_STEPS), free
    wide = cover_mask(img.shape, f, HIDE_WIDE)
    others = np.zeros(img.shape[:2], bool)
    ys, xs = np.nonzero(wide & ~cover_mask(img.shape, f, HEAD_GROW))  # a face just inside the wider mask's reach
    others[ys[0], xs[0]] = True
    out = img.copy()
    row = AnonymizeEditor()._hide_instead(out, img, f, original, "test", others=others)
    assert row["blur_reach"] == HEAD_GROW and len(row["blurs"]) == len(CONCEAL_STEPS), row
    assert not ((out != img).any(2) & ~cover_mask(img.shape, f, HEAD_GROW)).any()


def test_a_closed_eye_stays_closed_and_an_open_one_is_the_new_faces(t1):
    """faces.eyes.keep_eye_state: t1 #5's closed eyes (openness 0.15-0.18) are the photo's own on the swapped face
    (round 5: the gallery face's open eyes, blue irises showing; ``eyes_opened`` +0.07), changed only around the
    eyes; the astronaut's open eyes (0.33) are left to the new face. Through the editor: the swap still ends past
    the margin and the eye openness on the result is within 0.02 of the original's."""
    from editors.anonymize import VERIFY_MARGIN, AnonymizeEditor
    from faces.eyes import eye_weights, keep_eye_state
    from faces.landmarks import LEFT_EYE, RIGHT_EYE
    from faces.masks import polygon_mask

    img, faces = t1
    f = faces[5]
    assert min(eye_weights(f.mesh)) > 0.95
    astronaut = photos.load("astronaut")
    a = find_faces(astronaut)[0]
    assert max(eye_weights(a.mesh)) == 0.0
    canvas = np.full_like(img, 128)
    everywhere = np.ones(img.shape[:2], bool)
    out = canvas.copy()
    assert keep_eye_state(out, img, f.mesh, f.mesh, f.size, everywhere) == list(eye_weights(f.mesh))
    eyes = polygon_mask(img.shape, f.mesh[LEFT_EYE]) | polygon_mask(img.shape, f.mesh[RIGHT_EYE])
    near = cv2.dilate(eyes.astype(np.uint8), np.ones((31, 31), np.uint8)).astype(bool)
    changed = (out != canvas).any(2)
    assert changed[eyes].mean() > 0.99 and not (changed & ~near).any()
    near_photo = np.abs(out[eyes].astype(np.int16) - img[eyes]).mean()
    assert near_photo < 0.15 * np.abs(canvas[eyes].astype(np.int16) - img[eyes]).mean()  # the photo's own eye
    out = canvas.copy()
    keep_eye_state(out, astronaut, a.mesh, a.mesh, a.size, np.ones(astronaut.shape[:2], bool))
    assert np.array_equal(out, canvas)

    ed = AnonymizeEditor()
    ed.apply(img, None, {"method": "swap", "faces": "5"}, seed=0)
    (row,) = ed.last_report
    assert row["done"].startswith("swap") and row["distance"] >= VERIFY_MARGIN, row
    assert row["expression"]["eyes_opened"] < 0.02, row


def _thin_dark(rgb, f):
    """Grey-level black-hat (thin dark structures: frames, hair strands) at 0.08 x face size, photo size."""
    k = max(3, round(0.08 * f.size) | 1)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(
        np.float32
    )


def test_glasses_frames_are_found_on_glasses_only_and_painted_out_with_the_photos_texture():
    """faces.masks.frame_lines finds grace_hopper's frames and none on the glasses-free faces (t1's six, tom_hanks,
    the astronaut: a squinting eye or a brow at a turned face's edge was once taken for a frame and painted out);
    editors.anonymize.without_frames paints Grace's frames out where they stay in view after a swap (the temples
    over her hair): thin dark structures there about as strong as in the hair and skin around (under 1.5 x; the
    photo: over 2 x), nothing
    changes farther than 0.3 x face size + 2 px from the mesh, and the fill there is not a flat patch (the photo's
    texture, PatchMatch: its fine detail at least a third of the photo's around it)."""
    from editors.anonymize import FRAME_REACH, without_frames
    from faces.geometry import padded_box
    from faces.masks import face_mask, frame_lines

    for name in ("t1", "tom_hanks", "astronaut"):
        img = photos.load(name)
        for f in find_faces(img):
            if f.mesh is not None:
                box = padded_box(f.mesh, img.shape, FRAME_REACH * f.size)
                assert frame_lines(img, f, face_mask(img.shape, f), box) is None, (name, f.index)
                assert without_frames(img, f)[1] is None
    from tests.test_faces import assemble_group, load_real

    group, _ = assemble_group(load_real())  # her copies of 62-103 px: their thick rims are found too
    assert sum(without_frames(group, g)[1] is not None for g in find_faces(group) if g.mesh is not None) == 3
    img = photos.load("grace_hopper")
    (f,) = find_faces(img)
    clean, painted = without_frames(img, f)
    assert painted is not None and painted.sum() > 2000
    dk = round(0.07 * f.size)  # in view after a swap: outside the face mask pulled in by the new face's soft edge
    deep = cv2.erode(
        face_mask(img.shape, f).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dk + 1, 2 * dk + 1))
    )
    seen = painted & (deep == 0)
    ring = (cv2.dilate(seen.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0) & ~painted & (deep == 0)
    ring &= cover_mask(img.shape, f, 0.3)
    before, after, around = _thin_dark(img, f)[seen].mean(), _thin_dark(clean, f)[seen].mean(), _thin_dark(img, f)[ring]
    assert seen.sum() > 1000 and before > 2.0 * around.mean() and after < 1.5 * around.mean(), (
        before,
        after,
        around.mean(),
    )
    x0, y0, x1, y1 = padded_box(f.mesh, img.shape, FRAME_REACH * f.size + 2)
    changed = (clean != img).any(2)
    changed[y0:y1, x0:x1] = False
    assert not changed.any()
    seen = painted & ~face_mask(img.shape, f)
    ring = (cv2.dilate(seen.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0) & ~painted & ~face_mask(img.shape, f)

    def fine(x, m):
        g = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(np.abs(g - cv2.GaussianBlur(g, (0, 0), 1.5))[m].mean())

    assert fine(clean, seen) > fine(img, ring) / 3, (fine(clean, seen), fine(img, ring))


def test_new_brows_are_bounded_by_the_persons_own(t1):
    """editors.anonymize._bound_brows on t1 #5 (pale red-blond brows) after a gallery face is pasted and its brows
    made heavy and dark:
    the brows' darkest hairs (10th grey percentile in the brow hulls) end no darker than her own (within 8 grey
    levels; before: over 20 darker), their colour nearer hers in hue (Lab a/b) than the pasted ones, and nothing changes outside the brow
    band; the brows keep texture (not a flat fill: grey spread at least half the pasted one's)."""
    from dataclasses import replace

    from editors.anonymize import BROW_FLOOR_PCT, _bound_brows, _brow_colour, _brow_floor, _restyle_brows
    from faces.blend import mesh_swap
    from faces.gallery import load_target
    from faces.landmarks import LEFT_BROW, RIGHT_BROW
    from faces.masks import polygon_mask

    img, faces = t1
    f = faces[5]
    out = img.copy()
    pasted = mesh_swap(out, img, replace(f), load_target("synthetic_young_narrow_dark"), keep_mouth=False)
    _restyle_brows(out, f.mesh, f.size, pasted, 0.6)  # heavy dark brows (unbounded), as a gallery face may have
    own, floor = _brow_colour(img, f), _brow_floor(img, f)
    assert own is not None and floor is not None
    bounded = out.copy()
    _bound_brows(bounded, f.mesh, f.size, pasted, own)
    brows = polygon_mask(img.shape, f.mesh[LEFT_BROW]) | polygon_mask(img.shape, f.mesh[RIGHT_BROW])
    brows &= pasted
    grey = np.array([0.299, 0.587, 0.114], np.float32)
    g_out, g_b = out[brows].astype(np.float32) @ grey, bounded[brows].astype(np.float32) @ grey
    assert np.percentile(g_out, BROW_FLOOR_PCT) < floor - 20, (np.percentile(g_out, BROW_FLOOR_PCT), floor)
    # bounded in the brow band around the landmarks, measured here in their hulls: a few grey levels apart
    assert np.percentile(g_b, BROW_FLOOR_PCT) >= floor - 8, (np.percentile(g_b, BROW_FLOOR_PCT), floor)
    assert g_b.std() > 0.5 * g_out.std() or g_b.std() > 3.0

    def ab(x):
        lab = cv2.cvtColor(x[brows].astype(np.float32)[None] / 255.0, cv2.COLOR_RGB2Lab)[0]
        return lab[:, 1:].mean(0)

    assert np.linalg.norm(ab(bounded) - own[1:]) < np.linalg.norm(ab(out) - own[1:])
    changed = (bounded != out).any(2)
    band = cv2.dilate(brows.astype(np.uint8), np.ones((31, 31), np.uint8)) > 0
    assert changed.any() and not (changed & ~band).any()


def test_a_persons_own_brows_leave_their_glasses_out_at_every_size():
    """editors.anonymize._brow_floor / _brow_colour (how dark and what colour the person's own brow hairs are: the
    bound of the darker-brows try and of the new brows) on grace_hopper and her copies of 62-103 px in the composite
    group photo: her brows lie under the frames' top rims (over 90 % of their hulls at every size), so they read as
    unseen (None: BROW_SEEN), never as the black frame (at the narrower frame kernel of faces.masks the copies read
    36-39: black brows allowed) nor as the rim's lens-tinted edge (Lab 57/24/29: flat pale bands over the new eyes);
    a glasses-free face at the same sizes keeps its measured brows."""
    from editors.anonymize import _brow_colour, _brow_floor
    from tests.test_faces import assemble_group, load_real

    real = load_real()
    (g,) = find_faces(real["grace_hopper"])
    assert _brow_floor(real["grace_hopper"], g) is None and _brow_colour(real["grace_hopper"], g) is None
    group, _ = assemble_group(real)
    found = [f for f in find_faces(group) if f.mesh is not None and 60 <= f.size]
    grace = [f for f in found if abs(f.size - 88) < 2 or abs(f.size - 103) < 2 or abs(f.size - 62) < 2]
    assert len(grace) >= 3, [round(f.size) for f in found]
    for f in grace:
        assert _brow_floor(group, f) is None and _brow_colour(group, f) is None, round(f.size)
    others = [f for f in found if f not in grace]  # the astronaut's copy (64 px): brows in view, measured
    assert others and all(_brow_floor(group, f) is not None and _brow_floor(group, f) > 100 for f in others)


def test_brow_frames_are_found_behind_glasses_only():
    """The frames left out of a person's own brows (editors.anonymize._own_brow_pixels: faces.masks.frame_lines at
    BROW_FRAME_KERNEL, with its lens-rim test) on faces with glasses and without: grace_hopper, her three copies in
    the composite group and ultralytics_bus's two sunglasses wearers (held out: never tuned on) have most of their
    brow hulls under frames; no glasses-free face (t1's six, the astronaut, tom_hanks, camera) has over 5 % of its
    brow hulls taken (without the rim test t1 #3 and #5 lost 36 % and 31 % of their brows to "frames")."""
    from editors.anonymize import _own_brow_pixels
    from faces.landmarks import LEFT_BROW, RIGHT_BROW
    from faces.masks import polygon_mask
    from tests.test_faces import assemble_group, load_real

    def taken(img, f):  # the share of the brow hulls left out as frames (all of it: unseen, None)
        own = _own_brow_pixels(img, f)
        brows = polygon_mask(img.shape, f.mesh[LEFT_BROW]) | polygon_mask(img.shape, f.mesh[RIGHT_BROW])
        return 1.0 if own is None else 1.0 - len(own) / float(brows.sum())

    group, _ = assemble_group(load_real())
    with_glasses = [
        (group, f) for f in find_faces(group) if f.mesh is not None and f.size >= 60 and abs(f.size - 64) > 2
    ]
    with_glasses += [
        (photos.load(n), f) for n in ("grace_hopper", "ultralytics_bus") for f in find_faces(photos.load(n))
    ]
    assert len(with_glasses) == 6
    for img, f in with_glasses:
        assert taken(img, f) > 0.3, (round(f.size), taken(img, f))
    for name in ("t1", "astronaut", "tom_hanks", "camera"):
        img = photos.load(name)
        for f in find_faces(img):
            if f.mesh is not None:
                assert taken(img, f) < 0.05, (name, f.index, taken(img, f))


def test_a_swapped_face_behind_glasses_has_brows():
    """grace_hopper swapped (her brows under the frames' top rims: unseen, BROW_SEEN): the new face has brows with
    hair texture, not flat pale bands (main fa4ab61, bounded by the rim's lens-tinted edge: brow hulls' 10th grey
    percentile 11 under the skin around them, spread 8; now 74 and 33), and not black (above the frames' ~35)."""
    from editors.anonymize import AnonymizeEditor
    from faces.landmarks import LEFT_BROW, RIGHT_BROW
    from faces.masks import polygon_mask
    from tests import photos

    img = photos.load("grace_hopper")
    (f,) = find_faces(img)
    # her swap clears the dlib margin in 7 of 9 seed runs on the round-7 tree (bench/faces_seeds.py; best tries
    # 0.747-0.761): a seed whose best try falls short is hidden, and says why; the brows are checked on a swap
    editor = AnonymizeEditor()
    for seed in range(3):
        out = editor.apply(img, None, {"method": "swap"}, seed=seed)
        (row,) = editor.last_report
        if row["done"].startswith("swap"):
            break
        assert row["done"].startswith("blur of the head (the best of"), row
    assert row["done"].startswith("swap"), row
    # her darker-brows try runs (bounded at UNSEEN_BROW_TONE x her skin's grey: main 8b75021 skipped it, bounded by
    # unseen brows it darkened nothing, and her margin came from the frames' ghost)
    assert any("brows +" in t for t in row["tried"]), row["tried"]
    brows = polygon_mask(img.shape, f.mesh[LEFT_BROW]) | polygon_mask(img.shape, f.mesh[RIGHT_BROW])
    ring = (cv2.dilate(brows.astype(np.uint8), np.ones((25, 25), np.uint8)) > 0) & ~(
        cv2.dilate(brows.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    )
    g = out.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    dark = float(np.percentile(g[brows], 10))
    assert np.median(g[ring]) - dark > 30, (dark, np.median(g[ring]))
    assert g[brows].std() > 16, g[brows].std()
    assert dark > 40, dark
    # and no ghost of her frames on the editor's own swap (faces.measures.glasses_ghost, seed 0: main 8b75021 6.4 L,
    # over every glasses-free face's 5.7; see test_a_face_behind_glasses_leaves_no_ghost_of_its_frames)
    from faces.measures import glasses_ghost

    ghost = glasses_ghost(img, out, f)
    assert ghost is not None and ghost[0] <= _ghost_ceiling(), ghost


def test_lens_rims_are_painted_out_and_not_reflected_into_the_anti_face():
    """Glasses behind a swap leave no lens outlines (main 62529b0: faint pale arcs under grace_hopper's new eyes):
    - faces.masks.lens_rims takes in the lenses' lower rims under frame_lines' eye band (0.15 face sizes under the
      eyes; her rims reach 0.2), only inside the face oval (an ear's outline against the backdrop is no rim), and
      editors.anonymize.without_frames paints them out;
    - faces.gallery.anti_target(unknown=painted) reflects nothing where frames were painted (a painted rim reflected
      through the mean face is a pale outline): on the anti-face's canvas its fine band (grey minus its Gaussian
      blur of 3 px) there is under 0.8 x the one without ``unknown``, for her and her copies of 62-103 px, and the
      anti-face is unchanged away from the painted frames."""
    from editors.anonymize import FRAME_KERNEL_PAINT, FRAME_REACH, without_frames
    from faces.gallery import anti_target, mean_face
    from faces.geometry import padded_box, warp_mesh
    from faces.landmarks import FACE_OVAL, LEFT_EYE, RIGHT_EYE
    from faces.masks import face_mask, frame_lines, lens_rims, polygon_mask
    from tests.test_faces import assemble_group, load_real

    img = photos.load("grace_hopper")
    (f,) = find_faces(img)
    box = padded_box(f.mesh, img.shape, FRAME_REACH * f.size)
    x0, y0, x1, y1 = box
    lines = frame_lines(img, f, face_mask(img.shape, f), box, FRAME_KERNEL_PAINT, rims=True)
    assert lines is not None
    rims = lens_rims(img, f, lines, box, FRAME_KERNEL_PAINT)
    eye_y = float(f.mesh[LEFT_EYE + RIGHT_EYE][:, 1].mean()) - y0
    added = rims & ~lines
    assert added[int(eye_y + 0.15 * f.size) :].sum() > 500  # the lower rims, under frame_lines' band
    oval = polygon_mask(added.shape, f.mesh[FACE_OVAL] - (x0, y0)).astype(np.uint8)
    near = (cv2.dilate(oval, np.ones((5, 5), np.uint8)) > 0) | (cv2.dilate(lines.astype(np.uint8), np.ones((5, 5))) > 0)
    assert not (added & ~near).any()  # off the face only the found frames' own 2 px growth
    painted = without_frames(img, f)[1]
    assert painted is not None and painted[y0:y1, x0:x1][int(eye_y + 0.15 * f.size) :].sum() > 500

    real = load_real()
    group, _ = assemble_group(real)
    faces = [(img, f)] + [(group, g) for g in find_faces(group) if g.mesh is not None and g.size >= 60]
    mean, mesh, tris = mean_face()
    h, w = mean.shape[:2]
    n = 0
    for pixels, g in faces:
        clean, frames = without_frames(pixels, g)
        if frames is None:
            continue
        n += 1
        on = warp_mesh(frames.astype(np.float32)[..., None], g.mesh, mesh, tris, (0, 0, w, h))[0].reshape(h, w) > 0.5
        oval = polygon_mask(mean.shape, mesh[FACE_OVAL])

        def fine(a):
            grey = cv2.cvtColor(a.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
            return np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 3.0))

        plain, blind = anti_target(clean, g), anti_target(clean, g, unknown=frames)
        assert fine(blind)[on & oval].mean() < 0.8 * fine(plain)[on & oval].mean(), round(g.size)
        far = cv2.dilate(on.astype(np.uint8), np.ones((15, 15), np.uint8)) == 0
        assert np.abs(blind.image.astype(int) - plain.image)[far & oval].max() <= 1, round(g.size)
    assert n == 4


def _grace_and_copies():
    """grace_hopper and her copies of 62 and 103 px in the composite (every face with glasses but the 88 px copy
    whose lower half a bar hides: its skin and neck are the bar's, and it is always hidden by a blur)."""
    from tests.test_faces import assemble_group, load_real

    img = photos.load("grace_hopper")
    group, boxes = assemble_group(load_real())
    x0, y0, x1, y1 = boxes[-1]
    faces = [(img, f) for f in find_faces(img)]
    faces += [
        (group, g)
        for g in find_faces(group)
        if g.mesh is not None and g.size >= 60 and not (x0 <= g.centre[0] <= x1 and y0 <= g.centre[1] <= y1)
    ]
    return faces


def _swap_over_filled_frames(pixels, f, target, flag, on):
    """``f``'s glasses frames painted out (editors.anonymize.without_frames with its fill switch ``flag`` set to
    ``on``) and ``target`` swapped in over the filled photo (seed 0); None when the face wears no glasses."""
    import editors.anonymize as an
    from faces.blend import mesh_swap

    saved = getattr(an, flag)
    setattr(an, flag, on)
    try:
        clean, frames = an.without_frames(pixels, f, f.index)
    finally:
        setattr(an, flag, saved)
    if frames is None:
        return None
    out = pixels.copy()
    out[frames] = clean[frames]
    mesh_swap(out, clean, f, target, keep_mouth=False, rng=np.random.default_rng(0))
    return out


def test_a_face_behind_glasses_takes_the_light_of_its_skin_not_of_its_lenses():
    """editors.anonymize.without_frames fills what it paints (frames, lens rims) under the eyes from the skin around
    the glasses (the face oval without eyes, brows and what the rims enclose: FILL_SKIN_ONLY), not from the eyes and
    the lenses' tint. With the lower lens rims painted (LENS_RIMS) the old fill read them there, and a swap, which
    takes its light from the cleaned photo, came out darker than the neck: faces.measures.ring_match ``ring_l``, result
    minus original, one gallery face on grace_hopper and her 103 / 62 px copies: -0.8 / -3.9 / -8.9 L without,
    +0.7 / -0.4 / -3.5 with (main f8145ea, no lower rims painted: +2.3 / +1.2 / +0.9)."""
    from faces.gallery import load_target
    from faces.measures import ring_match

    target = load_target("synthetic_young_narrow_dark")
    n = 0
    for pixels, f in _grace_and_copies():
        gaps = {}
        for on in (False, True):
            out = _swap_over_filled_frames(pixels, f, target, "FILL_SKIN_ONLY", on)
            if out is None:
                break
            r = ring_match(pixels, out, f)
            gaps[on] = r["ring_l"] - r["ring_l_orig"]
        if not gaps:
            continue
        n += 1
        assert gaps[True] > -4.0, (round(f.size), gaps)
        assert gaps[True] > gaps[False] + 1.0, (round(f.size), gaps)
    assert n == 3


def test_the_paste_over_frames_fades_out_at_its_edge():
    """faces.blend.mesh_swap covers a glasses frame inside the face fully (a filled frame showed as a smudge), but
    no longer up to the paste's border: full cover there cut the new face off hard (grace_hopper's vertical edge at
    her temple). Every alpha on the paste mask's outer pixel ring stays at most 0.5 (main f8145ea: 1.0 there)."""
    import faces.blend as fb
    from editors.anonymize import without_frames
    from faces.gallery import load_target

    img = photos.load("grace_hopper")
    (f,) = find_faces(img)
    clean, frames = without_frames(img, f, f.index)
    assert frames is not None
    seen = {}
    real_paste = fb.alpha_paste

    def spy(crop, edited, m, alpha):
        seen["m"], seen["alpha"] = m.copy(), np.asarray(alpha, np.float32).copy()
        real_paste(crop, edited, m, alpha)

    out = img.copy()
    try:
        fb.alpha_paste = spy
        fb.mesh_swap(out, clean, f, load_target("synthetic_young_narrow_dark"), rng=np.random.default_rng(0))
    finally:
        fb.alpha_paste = real_paste
    m = seen["m"]
    rim = m & (cv2.erode(m.astype(np.uint8), np.ones((3, 3), np.uint8)) == 0)
    assert rim.sum() > 100
    assert seen["alpha"][rim].max() <= 0.5, seen["alpha"][rim].max()


def test_a_hidden_faces_status_names_the_tries_it_ran(t1, monkeypatch):
    """t1 #2 (without the nose light's last try, which takes it past the margin): the status says which tries ran
    and, when the first two end too far under the margin for the rest, that this is why the others did not run
    (before: "the best of 2 tries (synthetic face, outline, proportions)", naming kinds of tries that never ran)."""
    from editors import anonymize
    from editors.anonymize import HOPELESS_GAP, VERIFY_MARGIN, AnonymizeEditor

    monkeypatch.setattr(anonymize, "NOSE_LIGHT", False)
    img, _ = t1
    editor = AnonymizeEditor()
    editor.apply(img, None, {"method": "swap", "faces": "2"}, seed=0)
    (row,) = editor.last_report
    assert row["done"].startswith(f"blur of the head (the best of {len(row['tries'])} tries ("), row
    for name in row["tried"]:
        assert name in row["done"], (name, row["done"])
    best = max(d for d in row["tries"] if d is not None)
    early = len(row["tries"]) == 3 and best < VERIFY_MARGIN - HOPELESS_GAP  # (far, the cut and the lit anti-face)
    assert ("too far under it" in row["done"]) == early, row


@pytest.mark.parametrize("seed", [0, 2])
def test_a_face_every_try_left_short_gets_the_nose_light_of_its_anti_face(t1, seed):
    """Issue 14: t1 #2 (126 px, a turned head) ended 0.565 after its tries and was blurred. Its last try
    (editors.anonymize._nose_light_try): the farthest of every try with the nose not narrowed (0.695) and the
    anti-face's light layout on its nose (faces.blend.light_layout: a low-pass change of light and colour, no warp)
    takes it past the margin (0.751 / 0.753 / 0.753, seeds 0-2), the expression kept, no pasted-looking defect, no
    paler or greyer skin, no off-colour nose than its base; the status names the try; nothing outside the head
    changes. Without the try it is blurred as before."""
    from editors.anonymize import EXPRESSION_LIMIT, HEAD_GROW, NOSE_LIGHT_PALE, VERIFY_MARGIN, AnonymizeEditor

    img, faces = t1
    editor = AnonymizeEditor()
    out = editor.apply(img, None, {"method": "swap", "faces": "2"}, seed=seed)
    (row,) = editor.last_report
    assert row["done"].startswith("swap"), row
    coloured = row.get("centre_colour") or {}  # (its colour put back after the tries: the distance is then of that,
    shaped = row.get("brow_shape") or {}  # and of its brows drawn in their outline after that, when kept)
    assert row["distance"] >= VERIFY_MARGIN and row["tries"][-1] >= VERIFY_MARGIN, row
    last = shaped if shaped.get("kept") else coloured if coloured.get("kept") else {"distance": row["tries"][-1]}
    lit = row.get("photo_light") or {}  # (and of the photo's light on it after that, when kept: its last share's)
    if lit.get("share"):
        last = {"distance": lit["distances"][-1]}
    assert row["distance"] == last["distance"], row
    assert " nose light of anti-face" in row["tried"][-1] and "width" in row["tried"][-1], row["tried"]
    assert row["expression"]["max"] < EXPRESSION_LIMIT, row
    kept = [v for v in row["nose_light"]["donors"].values() if v.get("distance") == row["tries"][-1]]
    assert kept and not kept[0]["pasted"], row["nose_light"]
    assert kept[0]["pale_share"][1] <= kept[0]["pale_share"][0] + NOSE_LIGHT_PALE, kept
    assert identity_distance(img, faces[2], out) >= VERIFY_MARGIN - 0.005  # (found again on the result)
    head = cover_mask(img.shape, faces[2], HEAD_GROW)
    assert not (np.abs(out.astype(np.int16) - img).max(2)[~head] > 0).any()


def test_the_light_layout_moves_light_not_detail():
    """faces.blend.light_layout: a donor that differs from the base only in its broad light gives the base that
    light (the difference of the two below the Gaussian mostly gone) and keeps the base's fine detail (its high-pass
    unchanged); a donor whose light is the base's leaves the base as it was (up to rounding)."""
    from faces.blend import light_layout

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:80, 0:80].astype(np.float32)
    skin = np.stack([np.full((80, 80), c, np.float32) for c in (200, 150, 120)], -1)
    detail = rng.normal(0, 6, (80, 80, 1)).astype(np.float32)
    base = np.clip(skin + detail, 0, 255).astype(np.uint8)
    ramp = (30 * np.exp(-((xx - 40) ** 2 + (yy - 40) ** 2) / (2 * 12.0**2)))[..., None]  # a broad light patch
    donor = np.clip(skin + ramp, 0, 255).astype(np.uint8)
    out = light_layout(base, donor, 3.0, None)
    lum = lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2Lab)[..., 0].astype(np.float32)  # noqa: E731
    low = lambda a: cv2.GaussianBlur(a, (0, 0), 3.0)  # noqa: E731
    inner = (slice(15, 65), slice(15, 65))
    before = np.abs(low(lum(base)) - low(lum(donor)))[inner].mean()
    after = np.abs(low(lum(out)) - low(lum(donor)))[inner].mean()
    assert after < 0.25 * before, (before, after)
    high = lambda a: lum(a) - low(lum(a))  # noqa: E731
    assert np.abs(high(out) - high(base))[inner].mean() < 1.0
    same = light_layout(base, base, 3.0, np.array([0.3, 0.5], np.float32))
    assert np.abs(same.astype(np.int16) - base).max() <= 2


def test_a_small_face_whose_swap_looks_pasted_is_hidden_and_the_status_says_why():
    """messi5's 36 px face (under editors.anonymize.LOOK_GATE_SIZE): its best swap passes the margin (0.751, seed 0)
    but reads worse than the photo (faces.measures.looks_pasted: a halo over the left eye, 58.6 against the photo's
    26.1, and a dark line across the cheek beside the nose, 31.1 against 8.5: what shows at 5x zoom as a light patch
    and a dark line), so it is hidden like a face under the margin, and the status names the defects and both
    readings. A dark line across a face of 50 px or more leaves its swap alone (the gate is for small faces only)."""
    from editors.anonymize import LOOK_GATE_SIZE, AnonymizeEditor, _looks_pasted

    img = photos.load("messi5")
    editor = AnonymizeEditor()
    editor.apply(img, None, {"method": "swap"}, seed=0)
    (row,) = [r for r in editor.last_report if r["size_px"] < LOOK_GATE_SIZE]
    assert row["done"].startswith(f"blur of the head (under {LOOK_GATE_SIZE} px and its swap looks pasted ("), row
    assert "against the photo's" in row["why"], row
    tom = photos.load("tom_hanks")
    (f,) = [f for f in find_faces(tom) if f.mesh is not None]
    assert f.size >= LOOK_GATE_SIZE
    h, w = tom.shape[:2]
    lined = tom.copy()
    cv2.line(lined, (0, h // 2), (w - 1, h // 2), (0, 0, 0), 1)  # a dark line across the whole face
    assert _looks_pasted(tom, lined, (0, 0, w, h), f) is None


def _ghost_ceiling() -> float:
    """The darkest a face that never had glasses reads along glasses frames (faces.measures.frame_ghost along
    grace_hopper's frames, faces.measures.glasses_lines, mapped onto each glasses-free photo face of 50 px or more by
    the similarity that takes her mesh onto its mesh): the astronaut, t1's six faces and tom_hanks, their own eye
    sockets and creases (-4.2 to +5.7 L; t1 #0, looking down, and tom_hanks' deep-set eyes the darkest)."""
    from faces.measures import frame_ghost, glasses_lines

    img = photos.load("grace_hopper")
    (g,) = find_faces(img)
    lines = glasses_lines(img, g)
    assert lines is not None and lines.sum() > 500
    values = []
    for name in ("astronaut", "t1", "tom_hanks"):
        pic = photos.load(name)
        for f in find_faces(pic):
            if f.mesh is None or f.size < 50:
                continue
            assert glasses_lines(pic, f) is None, (name, f.index)  # no glasses found on them
            a, _ = cv2.estimateAffinePartial2D(g.mesh, f.mesh)
            on = cv2.warpAffine(lines.astype(np.uint8), a, pic.shape[1::-1], flags=cv2.INTER_NEAREST) > 0
            values.append(frame_ghost(pic, f, on))
    assert len(values) == 8 and None not in values
    return max(values)


def test_a_face_behind_glasses_leaves_no_ghost_of_its_frames():
    """No glasses ghost (issue 14, round 12): the photo without_frames paints out fills the frames at eye level too
    with the skin around the glasses (FILL_SKIN_EYES), not with the lenses' tint, the eyes and (at 62-103 px) the hat
    around them; the swap takes its light from that photo and drew their band across the new eyes (the 62 px copy's
    "dark band where the frames were"). Two gallery faces pasted (faces.blend.mesh_swap, seeded) on grace_hopper and
    her 103 / 62 px copies: along her frames (faces.measures.glasses_ghost) no darker than any glasses-free face reads
    along the same lines (:func:`_ghost_ceiling`, 5.7 L), and at least 1.5 L under the old fill's (main 8b75021:
    2.1-6.0 L; now -2.9 to +2.4); the photo with its glasses reads 11-17 L."""
    from faces.gallery import load_target
    from faces.measures import glasses_ghost

    ceiling = _ghost_ceiling()
    assert 3.0 < ceiling < 8.0, ceiling
    n = 0
    for name in ("synthetic_young_narrow_dark", "synthetic_old_wide_light"):
        target = load_target(name)
        for pixels, f in _grace_and_copies():
            ghosts = {}
            for on in (False, True):
                out = _swap_over_filled_frames(pixels, f, target, "FILL_SKIN_EYES", on)
                if out is None:
                    break
                ghosts[on] = glasses_ghost(pixels, out, f)
            if not ghosts:
                continue
            n += 1
            (new, photo), (old, _) = ghosts[True], ghosts[False]
            assert photo > 10.0, (name, round(f.size), ghosts)  # the frames themselves read
            assert new <= ceiling, (name, round(f.size), ghosts, ceiling)
            assert new < old - 1.5, (name, round(f.size), ghosts)
    assert n == 6
