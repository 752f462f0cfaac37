"""Anonymize: hide who everyone is, face by face, through face-shaped masks.

Methods
- ``blur``: a strong Gaussian blur of the face (sigma = ``strength`` x face size / 6);
- ``pixelate``: blocks of about face size / (12 / ``strength``) px;
- ``solid``: the face filled with one colour (``colour``: "#rrggbb", or "auto" = the face's mean colour);
- ``swap``: the face replaced by a SYNTHETIC identity that keeps the expression. Offline: the gallery's
  synthetic faces or the face's own anti-face (``assets/faces``: generated from two public-domain photos, varied in skin age, nose and
  brows, no glasses; never a real person), farthest from this face first (dlib descriptors), warped onto
  the face's own mesh (an open mouth's teeth the synthetic face's too, over the photo's light layout there:
  ``faces.blend.mouth_texture``) with its identity-bearing proportions moved (``reshape``: smaller eyes set closer,
  narrower nose, wider mouth; halved when the mouth / eyes / brows would move ``EXPRESSION_LIMIT`` of the
  face size), matched to the photo's lighting, skin tone, sharpness and grain, pasted with a soft edge;
  glasses frames are painted out of the photo first (:func:`without_frames`: the swap's light is read without
  them, the temples left in view are filled with the photo's own texture), a closed eye keeps the photo's own
  (``faces.eyes``), the new brows are no darker than the person's own and in their colour (:func:`_bound_brows`),
  a fringe over the forehead is kept.
  Full backend: inswapper_128 with a synthetic identity vector at cosine ``ARCFACE_TARGET_COS`` to the
  face's own ArcFace embedding (drawn from ``seed``).
  ``verify`` (default on): offline, each swap is checked with dlib's 128-D recogniser and kept only at a
  distance >= ``VERIFY_MARGIN`` (0.75; dlib's same-person line is 0.6), else up to ``MAX_TRIES`` candidates
  (:func:`_candidates`: the farthest synthetic face (unless dlib places it under ``FAR_NEAR`` from the face),
  the face's own anti-face (its texture reflected
  through a mean face of several people, ``faces.gallery.anti_target``), then the better of those two
  with its outline taken to the target's proportions (``SHAPE_GAIN``, :func:`faces.geometry.shape_target`:
  jaw width, chin and forehead length; the expression landmarks pinned, the photo around the head warped
  with it, other faces kept still; faces of ``SHAPE_MIN_SIZE`` px or more), then with other brows
  (``BROWS``: thicker and darker, never darker than the person's own darkest brow hairs, or paler and
  thinner; :func:`_restyle_brows`; the paler first for clearly dark brows, ``BROWS_PALE_FIRST``, and the other
  weight skipped once the first took the face ``BROWS_ENOUGH`` further; only when no try reaches the margin, a last one lets the darker brows
  past that bound, ``LAST_RESORT_BROWS``: a heavier brow is a smaller loss than a hidden face), then
  with another face outline (broader with a shorter chin, narrower with a longer one: the head's edge
  moves, fading out within ``HEAD_REACH`` of the face size; pixels farther out stay identical; the one that goes
  the way to its texture's jaw and chin first, the other skipped once the first passes the margin, or once
  the face is past it and the first did not go the wrong way, ``OTHER_OUTLINE_SHORT``: :func:`_outline_first`), then,
  for a face still short of the margin, other proportions (mouth lower, nose wider, eyes higher) and the
  second-farthest synthetic face (the first of these: the best try with ``STRONG_GAIN`` times the proportions
  and outline); the tries go on until one reaches ``SEEK_MARGIN`` (0.78, headroom for
  other recognisers) or the outlines are tried, and the farthest try at or past 0.75 is kept; the first try
  (the farthest gallery face) never ends them alone: the anti-face is tried too and the farther kept);
  full, with ArcFace (cosine <= ``ARCFACE_MARGIN``). A face that does not reach the margin (or is under
  ``MIN_SWAP_SIZE`` px, or has no mesh) is hidden on purpose: its whole head blurred with a soft edge
  (:func:`conceal_face`), more strongly, then over more of its hair (``HIDE_WIDE``, never over another face), while
  dlib places it under ``HIDE_SEEK`` (the margin with headroom), the farthest blur kept; filled with its mean colour
  when no blur reached the margin and the fill does, or dlib still calls the blur the same person and not the fill
  (else the status says how near dlib still places the blurred head, and the fill). ``last_report`` lists per face what was done and why, the
  distances of the tries, the expression movement and the seconds.
Faces: all (``faces`` = "all") or chosen numbers, and only those inside the selection mask. Only the
faces are changed: a "faces + background" or "faces + background + clothes" level is for the UI to
compose with other editors (e.g. blur / cartoon on the person or background segments).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from core.composite import check_mask
from core.errors import BadInput, ModelUnavailable
from core.models import ModelManager, default_manager
from core.types import Photo
from editors.base import (
    FACE_ANONYMIZED,
    FEATHER,
    Param,
    Provenance,
    ReportingEditor,
    as_pixels,
    auto_feather,
    check_seed,
    validate_params,
)
from editors.registry import EDITORS
from faces import attributes, eyes, geometry, measures
from core.memo import digest
from faces.blend import (
    COLOUR_MIN_SIZE,
    alpha_paste,
    centre_colour,
    finish,
    light_layout,
    full_swap,
    mesh_swap,
    photo_light,
    strong_blur,
    swap_geometry,
    swap_grain_blocks,
)
from faces.detect import THRESHOLD as FACE_SCORE
from faces.detect import selected_faces
from faces.gallery import (
    ANTI_STRENGTH,
    Target,
    anti_target,
    even_skin,
    gallery_names,
    load_target,
    ridge_cut,
    skin_age,
    wanted_skin_age,
)
from faces.landmarks import LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE, mesh_for
from faces.insight import BACKENDS, FULL_MODELS, OFFLINE_MODELS, choose_backend
from faces.occluders import hidden_points, occluder_side, occluders
from faces.masks import cover_mask, face_mask, frame_lines, inner_alpha, lens_areas, lens_rims, mesh_parts
from faces.types import Face, normed
from segmenters.nets import PAN_SIDE, pan_probabilities

log = logging.getLogger(__name__)

METHODS = ("blur", "pixelate", "solid", "swap")
MIN_SWAP_SIZE = 28  # px: smaller faces are blurred when verifying (too small to swap and check)
SAME_PERSON = 0.6  # dlib's own same-person line
VERIFY_MARGIN = 0.75  # a swapped face must end up at least this far from the original (dlib distance)
SEEK_MARGIN = 0.78  # the tries go on until one reaches this (headroom for other recognisers); the best >= 0.75 wins
HEAD_GROW = 0.3  # the fallback's second step covers the face mask grown by this x face size (hair, ears)
HOPELESS_GAP = 0.1  # when the best of the first two tries is this far under the margin, the tries end (bench)
MOVES_GAP = 0.04  # ... and when the best after the outline tries is this far under it (the moves add less)
MAX_TRIES = 12  # offline: (texture, head shape, proportions) candidates tried per face before blurring
FULL_TRIES = 11  # full: synthetic identities tried per face before blurring
HEADS: tuple[dict[str, float], ...] = (  # face outlines tried per face (faces.geometry.head_reshape)
    {"width": 0.08, "chin": -0.05},  # broader, shorter chin
    {"width": -0.08, "chin": 0.05},  # narrower, longer chin
)
SHAPE_GAIN = 2.0  # the face's jaw / chin / forehead proportions are taken this many times the way to its
# target's (geometry.shape_target: 2 = as far past the target as the face is short of it; within SHAPE_LIMITS)
SHAPE_MIN_SIZE = 50  # px: smaller faces keep their outline (the change would move it a pixel or two)
HEAD_REACH = 0.25  # x face size: a new outline fades into the photo within this much outside the face mask
STRONG_GAIN = 1.5  # a face still short of the margin after the outlines: its best try with the proportions (and the
# outline) moved this many times ``reshape`` (glasses faces: grace_hopper and her copies sat at 0.73-0.75 after the
# outlines, the 1x moves add 0.01; bench/faces_seeds.py); not halved: a halved one repeats a try
STRONGER_GAIN = 2.0  # a face the nose light and FINISH_SHORT left short of the margin, by FINISH_GAP or less: the
# nose light again (and FINISH_SHORT), on the tries with the strong outline try moved this many times ``reshape``
# instead (0: none); checked as every try (the expression holds). t1 #2 on the 12 / 24 MP upscales ended 0.72-0.74
# (hidden at 0.68); of its tries the outline moves it most (0.59 -> 0.64, 0.68 at STRONG_GAIN; 2.5 moved the expression)
MOVES: tuple[dict[str, float], ...] = (  # proportions tried besides the default (eyes, mouth, nose narrower)
    {"mouth_down": 0.025},
    {"nose": -1.0},
    {"eyes_up": 0.025},
)
BROWS: tuple[float, ...] = (0.35, -0.4)  # brow tones tried (_restyle_brows): darker and thicker, lighter and thinner
BROW_REACH = 0.03  # x face size: the brow band reaches this far around the brow landmarks
LAST_RESORT_BROWS = True  # a face no try takes past the margin gets one more: darker brows without the bound of
# its own brows (grace_hopper: 0.72 bounded, hidden; 0.77 with heavier brows, swapped; bench/faces_bench.py)
BROW_FLOOR_PCT = 10  # darker brows stop at this percentile of the original brows' grey level (their darkest hairs)
BROW_FRAME_KERNEL = 0.1  # x face size: frames left out of the person's own brows are found with this wide a
# black-hat (a thick rim over the brows, e.g. grace_hopper's copies at 62-103 px, whose frames read as their
# "darkest brow hairs" at 0.05: floor 36-39 grey, black brows allowed; the full-size photo 139)
ANTI_RAW = False
ANTI_AHEAD = True  # the anti-face is made on the check thread while the first try (the farthest gallery face) renders
RIDGE_FIRST = True  # the anti-face is tried without its nose-ridge streak first (faces.gallery.ridge_cut), then as
# reflected ("lit": the streak kept), and the farther of the two is the texture of the tries after them. Issue 14,
# round 17: the reflected mean face's ridge highlight is a light streak from between the brows to the nose tip on a
# face whose photo has no such light (t1 #0); cut on every face, it took t1 #0 / #1 / #3's best tries from 0.774 /
# 0.752 / 0.758 to 0.825 / 0.782 / 0.788, but t1 #5 and grace_hopper (0.764 / 0.758) under the margin, hidden: some
# faces' distance leans on the streak, so it is kept where the face's own tries say it must be (one try more a face)
ANTI_EVEN_FIRST = True  # the anti-face tried first (the cut one, RIDGE_FIRST) is also without the faint light patches
# of its skin (faces.gallery.even_skin; issue 14, round 23: the mean face's mottle made t1's swaps blotchy,
# faces.measures.blotch t1 #0 / #1 / #3 1.02 / 1.78 / 1.17 -> 0.93 / 1.44 / 1.10, the astronaut 0.86 -> 0.68; dlib
# 0.829 / 0.804 / 0.780 -> 0.839 / 0.794 / 0.783, #1 one try more); the lit one, tried when that one falls short,
# keeps them (grace_hopper's and t1 #5's distance leans on them: evened there too, grace_hopper was hidden, 0.740)
LIT_GAP = 0.05  # dlib distance: the lit anti-face is tried only when the cut one ended more than this under the margin.
# A cut try that close went on to pass in every seed run (t1 #0 0.716, #1 0.738, #3 0.739, the astronaut 0.750, the
# composite's 64 px copy 0.735, tom_hanks 0.764: bench/faces_seeds.py, 3 x 3), and without the lit try those faces run
# no more tries than before the cut; the faces whose distance leans on the streak end their cut try further short
# (t1 #5 0.631, grace_hopper 0.649, the composite's glasses copies 0.669 / 0.682-0.698), and pay one try for it
RIDGE_MIN_SIZE = 50  # px: a smaller face tries its anti-face as before (its streak a pixel or two wide; the
# project's small-face line, as SHAPE_MIN_SIZE and LOOK_GATE_SIZE: messi5's 36 px face keeps its tries and status)
RIDGE_LEAD = 0.01  # dlib distance: the lit anti-face is kept over the clean one only when this much farther: a try's
# distance moves about this much with the grain drawn (bench/faces_seeds.py: the same try over 3 x 3 seeds), so a
# smaller lead does not tell the two apart (the astronaut 0.755 against 0.750, the composite's 64 px copy 0.739 / 0.733)
BROW_SHAPE = True  # the chosen swap's brows drawn in the brow's own outline (_shaped_brows), kept when it still
# clears the margin (_in_shaped_brows). Issue 14, round 22: the darker-brows restyle and the gallery face's broad brows
# left a flat bar over each eye (t1 #5: faces.measures.brow_fill 0.83 / 0.56 against her photo's 0.43 / 0.25;
# with it 0.62 / 0.38, dlib 0.758 -> 0.757)
BROW_SHAPE_FALLOFF = 0.7  # x the brow reach: darkness outside the brow's outline fades out as a Gaussian this wide
# (1.0 opened t1 #5's closed eyes to 0.022, held back by BROW_SHAPE_EYES: her bars stayed)
BROW_SHAPE_EYES = 0.02  # ... nor when it opens the eyes past this (eye openness vs the photo's) or the swap's own
# (the lid landmarks read the lightened skin above the lids: t1 #5's closed eyes 0.010 -> 0.022)
BROW_SHAPE_MIN_SIZE = 50  # px: only for a face this large (issue 14's faces; a smaller one's brow is a few pixels)
BOUND_BROWS = True  # the new face's brows no darker than the person's own, in their colour (_bound_brows)
KEEP_EYES = True  # a closed or nearly closed eye keeps the photo's own (faces.eyes.keep_eye_state)
EXPRESSION_LIMIT = 0.03  # mouth / eye / brow landmarks may move this fraction of the face size
AGE_MIN_SIZE = 50  # px: smaller faces show no skin texture to age (faceres reads a 36 px face upscaled 6x)
AGE_STEP = 0.5  # skin-age bands (young 0, mid 0.5, old 1) a target may lie from the face's before it ranks later
CENTRE_COLOUR = True  # the chosen swap of a try that moved the head takes back the person's own skin colour where it
# came out greyer (faces.blend.centre_colour, _in_own_colour), kept when it still clears the margin. Issue 14, round
# 22: t1's pale swaps (faces.measures.skin_fade pale_share 0.229 / 0.301 / 0.149 on #0 / #2 / #5 -> 0.047 / 0.099 /
# 0.014), no try changed
PHOTO_LIGHT = (1.0, 0.5)  # the chosen swap takes the photo's own light pattern (faces.blend.photo_light) at the first
# of these shares that keeps the face past the margin and the headroom (_in_photo_light; none: the swap as it was).
# Issue 14, round 24: t1's swaps read as pale, flat masks (faces.measures.shading; bench/results/faces.json look_shade_*)
PHOTO_LIGHT_HEADROOM = True  # ... and no nearer than SEEK_MARGIN, nor than the swap itself when it was nearer: the
# photo's shading carries its identity. Kept down to the margin alone, t1 #1 went 0.794 -> 0.774 and the held-out
# MobileFace called it the same person (0.477 -> 0.536, its line 0.51); every kept face's MobileFace score rose
PHOTO_LIGHT_MIN_SIZE = 50  # px: only for a face this large (a smaller one's shading band is a pixel or two)
NOSE_LIGHT = True  # a face every try left short of the margin gets one more before the blur (_nose_light_try): the
# farthest try with every try run and the nose not narrowed, the anti-face's light layout put on its nose (no warp)
FINISH_SHORT = True  # a face still short of the margin after the nose light, by FINISH_GAP or less: its farthest
# swap is judged as it would be saved, with the person's own centre colour and brows in their outline (the steps every
# swap past the margin gets), each kept when it takes the face FINISH_STEP further; a swap when that clears the margin
FINISH_GAP = 0.05  # dlib distance (the two steps took t1 #2 at 1x 0.751 -> 0.766; a face further short is hidden)
FINISH_STEP = 0.001  # dlib distance: a finishing step kept under the margin only when it takes the face this further
NOSE_LIGHT_MIN_SIZE = 50  # px: only for a face this large (issue 14's faces; a smaller one's nose is a few pixels)
NOSE_LIGHT_SIGMA = 0.025  # x face size: the donor's lightness below a Gaussian this wide (faces.blend.light_layout)
NOSE_LIGHT_GROW = 0.03  # x face size: the nose region (faces.masks.mesh_parts' nose) grown this much ...
NOSE_LIGHT_EDGE = 0.03  # ... and put in with a soft edge this wide inside it
NOSE_LIGHT_DONORS = ("lit", "plain")  # the anti-face as the editor reflects it, and without the gallery face's
# detail (bench/faces_nose.py's): the farther that passes kept (the cut one never won: t1 #2 0.737-0.744)
NOSE_LIGHT_KEY = 1000  # the donor render's generator key (face_rng; past every try's place in the plan)
NOSE_LIGHT_PALE = 0.02  # look gate: the share of pale skin (faces.measures.skin_fade) may rise this much over the
# base's, ...
NOSE_LIGHT_GREY = 1.0  # ... its greyest tenth (grey_p10, C*) fall this much under it
NOSE_LIGHT_TINT = 1.0  # ... and the nose's colour stray this much (Lab a, b) further than the base's from the colour
# the photo's skin takes at that lightness (faces.measures.tint_mismatch): no blotch
ARCFACE_SAME = 0.28  # full path: cosine similarity over which ArcFace (buffalo_l) calls two faces the same person
ARCFACE_MARGIN = 0.10  # full path: a swapped face must end at or under this cosine similarity to the original
ARCFACE_TARGET_COS = -0.3  # full path: the synthetic identity's cosine to the original (far side of the sphere)


def _paste(out: np.ndarray, edited: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], soft: float) -> None:
    x0, y0, x1, y1 = box
    m = mask[y0:y1, x0:x1]
    alpha_paste(out[y0:y1, x0:x1], edited, m, inner_alpha(m, soft))


def hide_face(
    out: np.ndarray, photo: np.ndarray, face: Face, method: str, strength: float, colour: str, grow: float = 0.04
) -> np.ndarray:
    """blur / pixelate / solid one face in place on ``out``; returns the face-shaped mask used.

    ``grow``: the face-shaped mask grown by this fraction of the face size (0.3 covers hair and ears too).
    """
    mask = cover_mask(photo.shape, face, grow)
    box = geometry.mask_box(mask, 2)
    x0, y0, x1, y1 = box
    crop = photo[y0:y1, x0:x1]
    if method == "blur":
        edited = strong_blur(crop, max(1.0, strength * face.size / 6.0))
    elif method == "pixelate":
        block = max(2, int(round(face.size * strength / 12.0)))
        h, w = crop.shape[:2]
        small = cv2.resize(crop, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA)
        edited = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    else:  # solid
        m = mask[y0:y1, x0:x1]
        rgb = crop[m].mean(0) if colour == "auto" else _hex(colour)
        edited = np.empty_like(crop)
        edited[:] = np.asarray(rgb, np.float32).round().astype(np.uint8)
    _paste(out, edited, mask, box, soft=max(1.5, 0.03 * face.size))
    return mask


CONCEAL_FEATHER = 0.12  # x face size: the concealing blur fades into the photo over this band, inside the head mask
CONCEAL_STEPS = (
    5.0,
    3.0,
    2.0,
)  # the concealing blur's sigma: face size / these, in turn, until dlib places it HIDE_SEEK away
HIDE_SEEK = 0.78  # dlib distance: a hidden face's blur grows (CONCEAL_STEPS, then HIDE_WIDE) until one reaches this
# (the swap's SEEK_MARGIN: headroom over VERIFY_MARGIN, a blur's distance moves ~0.01 with the seeds); the farthest stays.
# Issue 14, round 23: the composite's 88 px half-hidden copy stopped at the first step past 0.75 (0.755; 0.753-0.760
# over 9 seed runs: bench/faces_seeds.py)
HIDE_WIDE = 0.5  # x face size: then the same steps blur the head grown this much (more of the hair and the outline
# dlib reads around a blurred face), unless that reaches another face. (A sigma of the face size took the composite's
# copy to 0.777 and basketball1's 36 px face to 0.781, but reads as a flat disc: a sticker, not a blur)


def conceal_face(
    out: np.ndarray, photo: np.ndarray, face: Face, sigma_div: float, grow: float = HEAD_GROW
) -> np.ndarray:
    """Hide a face that cannot be swapped with the margin, in place on ``out``, and plainly on purpose: the whole
    head (the face mask grown by ``grow`` x face size, ``HEAD_GROW`` by default: hair, ears and the outline a recogniser
    reads too) blurred (Gaussian sigma = face size / ``sigma_div``, two passes, drawn from ``photo`` around it, not from
    a replicated edge: the photo, or the photo with a swap try pasted in) and faded in over ``CONCEAL_FEATHER`` x face
    size inside that mask: a soft privacy blur, not a flat sticker. Returns the bool mask of the pixels that may have
    changed."""
    mask = cover_mask(photo.shape, face, grow)
    sigma = max(1.5, face.size / sigma_div)
    x0, y0, x1, y1 = geometry.mask_box(mask, 2)
    px0, py0, px1, py1 = geometry.mask_box(mask, 2 * sigma + 2)  # the blur reads the photo around
    blurred = strong_blur(photo[py0:py1, px0:px1], sigma)[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
    m = mask[y0:y1, x0:x1]
    alpha_paste(out[y0:y1, x0:x1], blurred, m, inner_alpha(m, max(2.0, CONCEAL_FEATHER * face.size)))
    return mask


def _hex(value: str) -> tuple[int, int, int]:
    v = value.strip().lstrip("#")
    if len(v) != 6 or any(c not in "0123456789abcdefABCDEF" for c in v):
        raise BadInput(f"anonymize: colour must be 'auto' or '#rrggbb', got {value!r}")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def _brow_band(
    shape: tuple[int, ...], mesh: np.ndarray, size: float, pasted: np.ndarray
) -> tuple[tuple[int, int, int, int], int, np.ndarray, np.ndarray] | None:
    """Where a swap's brows are restyled: the box (x0, y0, x1, y1) around ``mesh``'s brow landmarks, the reach
    ``rad`` (``BROW_REACH`` x ``size``, px), the pasted mask in the box (uint8) and the soft weight ``w`` in the box:
    the brow hulls grown by ``rad``, blurred, and faded off the paste's edge; None when the box is degenerate."""
    rad = max(1, int(round(BROW_REACH * size)))
    pts = np.concatenate([mesh[LEFT_BROW], mesh[RIGHT_BROW]])
    x0, y0, x1, y1 = geometry.padded_box(pts, shape, 3 * rad + 2)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    hull = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for idx in (LEFT_BROW, RIGHT_BROW):
        cv2.fillConvexPoly(hull, cv2.convexHull(np.round(mesh[idx] - (x0, y0)).astype(np.int32)), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rad + 1, 2 * rad + 1))
    band = cv2.dilate(hull, kernel).astype(np.float32)
    inside = pasted[y0:y1, x0:x1].astype(np.uint8)
    soft = max(1.0, rad / 2)
    fade = cv2.GaussianBlur(cv2.erode(inside, kernel).astype(np.float32), (0, 0), soft)  # off the paste's edge
    w = cv2.GaussianBlur(band, (0, 0), soft) * fade
    return (x0, y0, x1, y1), rad, inside, w


def _restyle_brows(
    out: np.ndarray, mesh: np.ndarray, size: float, pasted: np.ndarray, tone: float, floor: float | None = None
) -> None:
    """Eyebrows of another weight (in place on ``out``, only inside the bool ``pasted`` mask), in a soft band
    ``BROW_REACH`` x ``size`` around the brow landmarks of ``mesh``: ``tone`` > 0: thicker and darker (the
    brow's own dark hairs spread outwards by a grey erosion, then darkened by (their lightness / the skin's)
    ** ``tone``, hue kept); < 0: paler, thinner-looking (the brow's smooth part moved ``-tone`` of the way to the
    skin). Either way the hair strands (the detail finer than the reach) are kept on top. Brow
    weight is one of the features recognisers read; the landmarks (the expression) do not move.

    ``floor``: the grey level of the person's own darkest brow hairs (:func:`_brow_floor`): darker brows are
    bounded by the person's own: no pixel is darkened below it (nor below what the paste put there when that is
    darker already), so pale or grey brows get thicker, never heavy and black (grace_hopper)."""
    band = _brow_band(out.shape, mesh, size, pasted)
    if band is None:
        return
    (x0, y0, x1, y1), rad, inside, w = band
    crop = out[y0:y1, x0:x1].astype(np.float32)
    skin = crop[(w < 0.05) & (inside > 0)]
    ref = np.median(skin, 0) if len(skin) else crop.reshape(-1, 3).mean(0)
    # the hair strands (detail finer than the band's reach) go through the restyle unchanged: the grey erosion spread
    # the darkest hairs into a flat slab and the paling faded them (faces.measures.brow_texture: the astronaut's
    # brows +0.35 read 13 against her photo's 28)
    strands = crop - cv2.GaussianBlur(crop, (0, 0), float(rad))
    away = cv2.erode(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * rad + 1, 4 * rad + 1)))
    # none at the paste's edge: the composite's 64 px face (#0) has its brows at the paste's top, under the fringe,
    # where the kept strands raised its seam 0.06 -> 0.40 (ΔE)
    strands *= cv2.GaussianBlur(away.astype(np.float32), (0, 0), float(rad))[..., None]
    if tone >= 0:  # the brow's own hairs spread outwards (grey erosion), then their contrast to the skin deepened
        src = np.where(inside[..., None] > 0, crop, ref).astype(np.float32)  # no hair from beyond the paste
        grown = cv2.erode(src, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (rad + 1 | 1, rad + 1 | 1)))
        grey = np.array([0.299, 0.587, 0.114], np.float32)
        ratio = np.clip((grown @ grey) / max(float(ref @ grey), 1.0), 0.05, 1.0)[..., None]
        new = np.minimum((grown + strands) * ratio**tone, crop)  # darker where the brow is darker, in its own hue
        if floor is not None:  # never darker than the person's own darkest brow hairs (nor than the paste already is)
            lc, ln = crop @ grey, new @ grey  # the restyled pixel only part of the way from the crop's: to the bound
            t = np.clip((lc - np.minimum(lc, floor)) / np.maximum(lc - ln, 1e-3), 0.0, 1.0)
            new = crop + np.where(ln < np.minimum(lc, floor), t, 1.0)[..., None] * (new - crop)
    else:  # brow pixels towards the skin around them: paler, thinner-looking brows
        new = crop + -tone * (ref - (crop - strands)).clip(0, None)
    crop += w[..., None] * (new - crop)
    out[y0:y1, x0:x1] = np.clip(crop + 0.5, 0, 255).astype(np.uint8)


FRAME_REACH = 0.3  # x face size: glasses frames are looked for (and painted out) this far around the face mesh (the
# temples run on to the ears)
FRAME_KERNEL_PAINT = 0.08  # x face size: the black-hat kernel of the frames painted out (faces.masks.frame_lines;
# its 0.05 misses the thick rims of grace_hopper's copies at 62-103 px, left as a dark band over the new eyes)
FRAME_HEAD = 0.15  # x face size: frames are painted out only this near the face mask (temples up to the ears; a dark
# line of the backdrop that touches them is not a frame)
FRAME_DEEP = 0.07  # x face size: a frame shows up to this far inside the face mask (the new face's soft edge is
# 0.06 wide: faces.blend.mesh_swap); deeper the new face covers it
LENS_RIMS = True  # without_frames paints the lenses' whole rims (faces.masks.lens_rims), not only the eye band's
FILL_SKIN_ONLY = True  # a painted-out frame under the eyes takes the light of the skin around the glasses (the face
# oval without the eyes, brows and what the lens rims enclose), not of the eyes and the lenses' tint: with the lower
# lens rims painted too (LENS_RIMS) the old fill read them there, and the swap, which takes its light from this photo,
# came out 3-9 L darker than the neck (grace_hopper and her copies)
FILL_SKIN_FROM = -0.03  # x face size: ... from this far under the lower lids (here: above them) down, fading in over
FILL_SKIN_RAMP = 0.08  # this x face size (unless FILL_SKIN_EYES)
FILL_SKIN_EYES = True  # ... and at eye level too: the photo around the frames there is the lenses' tint, the eyes and
# (at 62-103 px, where the top rim is a third of the fill's reach) the hat: a fill of it left a band darker than the
# skin across the eyes and brows, and the swap, which takes its light from this photo, drew it on the new face (the
# glasses ghost, faces.measures.glasses_ghost). Their dlib margin had come from that band (round 7); the darker-brows
# tries now give it (UNSEEN_BROWS_FREE)
FRAME_FILL = 0.03  # x face size: a painted-out frame is filled with the photo around it, Gaussian-weighted this wide
# (3 and 9 x as wide where nothing of the photo is that near)


def _smooth_fill(src: np.ndarray, keep: np.ndarray, size: float) -> np.ndarray:
    """``src`` (float RGB) filled from the pixels of ``keep`` (bool): normalised Gaussian convolution ``FRAME_FILL`` x
    ``size`` wide, 3 and 9 x as wide where nothing of ``keep`` is that near, the mean of ``keep`` beyond."""
    w = keep.astype(np.float32)
    filled = np.zeros_like(src)
    left = np.ones(keep.shape, bool)
    for sigma in (FRAME_FILL * size, 3 * FRAME_FILL * size, 9 * FRAME_FILL * size):
        den = cv2.GaussianBlur(w, (0, 0), max(1.0, sigma))
        num = cv2.GaussianBlur(src * w[..., None], (0, 0), max(1.0, sigma))
        ok = left & (den > 0.05)
        filled[ok] = num[ok] / den[ok][:, None]
        left &= ~ok
    filled[left] = src[keep].mean(0) if keep.any() else src[left]
    return filled


_FRAMES_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="frames")  # without_frames beside the tries


def _frames_timed(pixels: np.ndarray, face: Face, seed: int) -> tuple[np.ndarray, np.ndarray | None, float]:
    """:func:`without_frames` and the CPU seconds of the thread it ran on (added to the face's ``cpu_seconds``)."""
    c0 = time.thread_time()
    clean, frames = without_frames(pixels, face, seed)
    return clean, frames, time.thread_time() - c0


_CHECK_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check")  # beside the tries (the 2nd core):
# each try's dlib descriptor while its expression is checked, a face's occluders (PAN) while its age and brows are read


PAIR_TRIES = False  # the independent tries of a face two at a time (far || anti-face, the two brows, the two outlines):
# the same bytes (tests/test_anonymize_speed), but on this 2-core host under others' load (1-4) it saved no time:
# per-face wall t1 #0,#3,#5 0.736 -> 0.684 and 0.760 -> 0.728 s, t1 #1,#5 0.794 -> 0.922, astronaut 0.363 -> 0.459
# (a face that stops at a pair's first try pays for the second); worth turning on only where a core is idle
_TRY_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="try")  # the second of a pair (bounded: shared by
# every face and user; a face has at most one try there, so at most two of its tries run at once)


def _pair(a: int, b: int) -> bool:
    """Whether tries ``a`` and ``b`` (places in :func:`_candidates`' plan) may run side by side: neither reads what
    the other finds (the far and anti-face textures; the brows tries, and the outline tries, take the same best try
    whichever of the pair wins). ``_swap_verified`` still keeps the second's result only when the first leaves it
    the same try: the same kept try and stop as one after the other. The brows and the outlines in either order
    (``BROWS_PALE_FIRST``, ``OUTLINE_ORDER``)."""
    groups = [(0, 1), tuple(range(3, 3 + len(BROWS))), tuple(range(3 + len(BROWS), 3 + len(BROWS) + len(HEADS)))]
    return (b == a + 1 or (b == a - 1 and a not in groups[0])) and any(a in g and b in g for g in groups)


def face_rng(seed: int, index: int, key: int | None = None) -> np.random.Generator:
    """The generator of face ``index`` (and of its try ``key``, a place in the plan) under the user's ``seed``:
    derived from the three alone, so a face's draws do not depend on the faces before it or on the order its tries
    run in."""
    return np.random.default_rng(np.random.SeedSequence([seed, index] + ([] if key is None else [1000 + key])))


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    """``fn(*args)`` and the CPU seconds of the thread it ran on (a :data:`_CHECK_POOL` or :data:`_TRY_POOL` job:
    added to the face's ``cpu_seconds``)."""
    c0 = time.thread_time()
    value = fn(*args)
    return value, time.thread_time() - c0


AHEAD = True  # each try's geometry (faces.blend.swap_geometry: its target warped onto its mesh, the normals, the
# teeth) done on the ahead thread while the try before it renders (or, for the first, while the person's brows are
# read): the same bytes (tests/test_anonymize_speed; bench/faces_seeds.py's 117 runs unchanged); the render then finds
# it done. Round 14, in-process A/B on a host under load 19 (min of 3, alternating): the main thread's CPU per face
# (the tries' critical path) t1 #0 0.545 -> 0.348 s, #3 0.547 -> 0.355, #5 0.395 -> 0.334, group #1 0.406 -> 0.253;
# all threads' CPU +0..0.12 s (predicted work a try then does not read). False: as before, byte for byte
_AHEAD_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ahead")


class _Early:
    """One piece of work filed ahead (:class:`_AheadMemo`): done by whichever asks first, the ahead thread or the
    render; the render never waits for a piece the ahead thread has not begun (a busy host), only for one under way."""

    def __init__(self, make: Any):
        self.make = make
        self.claimed = False
        self.lock = threading.Lock()
        self.done: Future = Future()

    def run(self) -> bool:
        """Do the work unless begun already (True: done here)."""
        with self.lock:
            if self.claimed:
                return False
            self.claimed = True
        make, self.make = self.make, None  # (what it holds, a photo's copy for a head warp, freed once done)
        try:
            self.done.set_result(_read_only(make()))
        except BaseException as exc:  # noqa: BLE001  (raised where the render reads it)
            self.done.set_exception(exc)
        return True

    def value(self) -> Any:
        self.run()
        return self.done.result()


class _AheadMemo(dict):
    """A try memo (faces.blend.reuse) that may hold work filed ahead (:class:`_Early`): reading it does it, or waits
    for it when it is under way."""

    def __getitem__(self, key: Any) -> Any:
        value = super().__getitem__(key)
        if isinstance(value, _Early):
            value = value.value()
            super().__setitem__(key, value)
        return value


def _read_only(value: Any) -> Any:
    """``value`` (an array or a tuple of them) made read-only, as faces.blend.reuse keeps its work."""
    for a in value if isinstance(value, tuple) else (value,):
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return value


def _warm_ahead(
    memo: dict, shape: tuple[int, ...], face: Face, target: Target | Future, teeth: Target | None
) -> Future | None:
    """:func:`faces.blend.swap_geometry` of ``face`` (its moved mesh) and ``target`` done on the ahead thread, filed in
    ``memo`` under mesh_swap's own keys (each a Future until done: a render that reads it first waits for it). A
    ``target`` still being made (the anti-face's job) is waited for there, its work filed when done. Returns the job
    (its result: the thread's CPU seconds), None when everything is in ``memo`` already."""
    if isinstance(target, Future):

        def later() -> float:
            c0 = time.thread_time()
            try:
                made = target.result()[0]
            except Exception:  # noqa: BLE001  (the render that wants it raises the same)
                return time.thread_time() - c0
            for key, make in swap_geometry(shape, face, made, teeth):
                if key not in memo:
                    memo.setdefault(key, _read_only(make()))
            return time.thread_time() - c0

        return _AHEAD_POOL.submit(later)
    pending = []
    for key, make in swap_geometry(shape, face, target, teeth):
        early = _Early(make)
        if memo.setdefault(key, early) is early:
            pending.append(early)
    if not pending:
        return None

    def now() -> float:
        c0 = time.thread_time()
        for early in pending:
            early.run()
        return time.thread_time() - c0

    return _AHEAD_POOL.submit(now)


def _frames_job(pixels: np.ndarray, face: Face, verify: bool = True) -> Future | None:
    """:func:`without_frames` of ``face`` started on a worker thread (None for a face that is not swapped: no mesh,
    or too small to swap and check). It reads only the photo, not the other faces' swaps, so it runs while this
    face's descriptor, age and brows are measured, or while the face before it is tried (apply starts the next
    face's too: one ahead, so at most two copies of the photo are held); its PatchMatch (native code) and most of
    its OpenCV work leave the interpreter free. Seeded per face and under editors.fill's lock: the same bytes as
    inline."""
    if face.mesh is None or (verify and face.size < MIN_SWAP_SIZE):
        return None
    return _FRAMES_POOL.submit(_frames_timed, pixels, face, face.index)


def without_frames(pixels: np.ndarray, face: Face, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """``pixels`` with ``face``'s glasses frames painted out, and the bool photo-size mask of what was painted (None,
    and ``pixels`` itself, when there are none): the thin dark lines at eye level that cross the face's edge
    (:func:`faces.masks.frame_lines`, looked for within ``FRAME_REACH`` x face size of the mesh, so the temples up to
    the ears are found too), filled with the photo around them (normalised Gaussian convolution of the pixels off
    the frames, ``FRAME_FILL`` x face size wide: the light and colour of the skin and hair there, smooth, no flat
    patches, no frame and no lens highlight smeared in), with the photo's noise level of the ring around them added
    back (seeded). The swap takes its light from this photo, its anti-face is made from it,
    and its painted temples stay in the result: round 5 read the frames' light from a narrow grey-level closing
    that left a thick rim as grey smudges (a dark band of the frame's shape over grace_hopper's new eyes), and
    painted only inside the paste's box (the temples beyond it stayed)."""
    if face.mesh is None:
        return pixels, None
    box = geometry.padded_box(face.mesh, pixels.shape, FRAME_REACH * face.size)
    lines = frame_lines(pixels, face, face_mask(pixels.shape, face), box, FRAME_KERNEL_PAINT, rims=True)
    if lines is None:
        return pixels, None
    if LENS_RIMS:  # the lenses' lower rims too, under frame_lines' eye band (faint lens outlines otherwise)
        lines = lens_rims(pixels, face, lines, box, FRAME_KERNEL_PAINT)
    x0, y0, x1, y1 = box
    lines &= cover_mask(pixels.shape, face, FRAME_HEAD)[y0:y1, x0:x1]  # the head's, not the backdrop's dark lines
    oval, parts = mesh_parts(lines.shape, face.mesh - np.array([x0, y0], np.float32))
    g = 2 * max(1, round(0.02 * face.size)) + 1  # the eyes themselves stay (a closed eye is kept from this photo,
    lines &= ~cv2.dilate(parts["eyes"].astype(np.uint8), np.ones((g, g), np.uint8)).astype(bool)
    # and an eye at a turned face's edge can pass for a frame); a rim over the brows goes (it read as heavy brows)
    if not lines.any():
        return pixels, None
    crop = pixels[y0:y1, x0:x1]
    k = lines.astype(np.uint8)
    keep = cv2.dilate(k, np.ones((3, 3), np.uint8)) == 0  # the photo around the frames
    src = crop.astype(np.float32)
    filled = _smooth_fill(src, keep, face.size)
    if FILL_SKIN_ONLY:  # ... under the eyes, of its skin: in the face oval, not the eyes, brows or the lenses
        feats = cv2.dilate((parts["eyes"] | parts["eyebrows"]).astype(np.uint8), np.ones((g, g), np.uint8)) > 0
        lenses = lens_areas(lines, face, box) & oval  # a lens lies on the face (off it: the backdrop, a flag)
        lines |= lenses & ~feats  # a lens's highlight or a patch of tinted skin left inside a rim: painted too
        k = lines.astype(np.uint8)
        skin = (cv2.dilate(k, np.ones((3, 3), np.uint8)) == 0) & oval & ~feats & ~lenses
        if skin.sum() >= 16:
            lids = face.mesh[LEFT_EYE + RIGHT_EYE][:, 1].max() - y0 + FILL_SKIN_FROM * face.size
            yy = np.arange(lines.shape[0], dtype=np.float32)[:, None, None]
            on = 1.0 if FILL_SKIN_EYES else np.clip((yy - lids) / max(1.0, FILL_SKIN_RAMP * face.size), 0.0, 1.0)
            filled += on * (_smooth_fill(src, skin, face.size) - filled)
        else:
            filled = _smooth_fill(src, cv2.dilate(k, np.ones((3, 3), np.uint8)) == 0, face.size)
    ring = (cv2.dilate(k, np.ones((9, 9), np.uint8)) > 0) & ~lines
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    noise = measures.noise_sigma(grey, ring) if ring.sum() >= 16 else 0.0
    if noise > 0.3:
        gen = np.random.default_rng(seed)
        filled += gen.standard_normal(grey.shape).astype(np.float32)[..., None] * noise
    w = np.maximum(cv2.GaussianBlur(lines.astype(np.float32), (0, 0), 1.0), lines)[..., None]
    painted = np.clip(crop + w * (filled - crop) + 0.5, 0, 255).astype(np.uint8)
    # where the frame stays in view (outside the new face and its soft edge: the temples over hair and skin) the
    # photo's own texture is copied in (PatchMatch, editors.fill), not a smooth fill: hair stays hair
    dk = max(1, round(FRAME_DEEP * face.size))
    deep = cv2.erode(
        face_mask(pixels.shape, face)[y0:y1, x0:x1].astype(np.uint8),
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dk + 1, 2 * dk + 1)),
    ).astype(bool)
    seen = cv2.dilate(k, np.ones((3, 3), np.uint8)).astype(bool) & ~deep
    if seen.any():
        from editors.fill import fill

        far = ~cover_mask(pixels.shape, face, HEAD_GROW)[y0:y1, x0:x1]  # copied from the head's ring only
        got = fill(crop, seen, seed=seed, exclude=deep | (far & ~seen)).image
        painted[seen] = got[seen]
    out = pixels.copy()
    out[y0:y1, x0:x1] = painted
    mask = np.zeros(pixels.shape[:2], bool)
    mask[y0:y1, x0:x1] = cv2.dilate(k, np.ones((5, 5), np.uint8)) > 0
    return out, mask


def _own_brow_pixels(pixels: np.ndarray, face: Face) -> np.ndarray | None:
    """The RGB pixels (float32 N x 3) of ``face``'s own brows in ``pixels`` (the photo before the swap): inside the
    brow landmarks' hulls, glasses frames left out (:func:`faces.masks.frame_lines`: a frame over the brows is not
    the brows' tone; only on a face frame_lines' lens-rim test finds glasses on); None without a mesh, or when under
    ``BROW_SEEN`` of the hulls is left (hidden behind glasses frames: unknown)."""
    if face.mesh is None:
        return None
    box = geometry.padded_box(face.mesh, pixels.shape, 0.06 * face.size + 4)
    x0, y0, x1, y1 = box
    brows = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for idx in (LEFT_BROW, RIGHT_BROW):
        cv2.fillConvexPoly(brows, cv2.convexHull(np.round(face.mesh[idx] - (x0, y0)).astype(np.int32)), 1)
    keep = brows > 0
    lines = frame_lines(pixels, face, face_mask(pixels.shape, face), box, BROW_FRAME_KERNEL, rims=True)
    if lines is not None:
        keep &= ~lines
    if keep.sum() < max(4.0, BROW_SEEN * float((brows > 0).sum())):  # hidden behind glasses frames: unknown
        return None
    return pixels[y0:y1, x0:x1][keep].astype(np.float32)


_NOT_READ = object()  # (_brow_floor / _brow_colour: the brow pixels not read yet)


def _brow_floor(pixels: np.ndarray, face: Face, own: Any = _NOT_READ) -> float | None:
    """The grey level of ``face``'s own darkest brow hairs in ``pixels`` (the photo before the swap): the
    ``BROW_FLOOR_PCT`` percentile inside the brow landmarks' hulls, glasses frames left out
    (:func:`faces.masks.frame_lines`: a frame over the brows is not the brows' tone); None without a mesh or
    when nothing of the brows is left. ``own``: :func:`_own_brow_pixels` when the caller read them already."""
    rgb = _own_brow_pixels(pixels, face) if own is _NOT_READ else own
    if rgb is None:
        return None
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(np.percentile(grey, BROW_FLOOR_PCT))


UNSEEN_BROWS_FREE = True  # brows hidden behind glasses frames (_brow_floor None): the darker-brows tries run,
# bounded at UNSEEN_BROW_TONE x the skin's grey (their own tone unknown). Without it they were skipped (bounded by
# unseen brows they darkened nothing) and a glasses face's margin came from the frames' ghost, a dark band read as
# heavy brows; with the ghost gone (FILL_SKIN_EYES) and no darker brows grace_hopper passed the margin in 6 of 9 seed
# runs
UNSEEN_BROW_TONE: float | None = 0.3  # (None: no bound). Chosen on grace_hopper and her copies' seed runs
# (bench/faces_seeds.py 3 x 3, in-sample): 0.54 (the median of the glasses-free bench faces' darkest brow hairs over
# their skin, 0.22-0.72) 6 of 9 for her, 0.44 5 of 9, 0.3 9 / 9 / 9 for her and her 103 / 62 px copies; no bound 9 of
# 9 but black brows (10th percentile 10 grey: what BOUND_BROWS exists against)


def _unseen_brow_floor(pixels: np.ndarray, face: Face) -> float:
    """The darker-brows tries' floor for brows hidden behind glasses frames: ``UNSEEN_BROW_TONE`` x the median grey
    level of the face's skin (faces.measures.skin_region); 0 (no bound) when that is None or there is no skin."""
    if UNSEEN_BROW_TONE is None or face.mesh is None:
        return 0.0
    grey = _skin_grey(pixels, face)
    return 0.0 if grey is None else UNSEEN_BROW_TONE * grey


def _skin_grey(pixels: np.ndarray, face: Face) -> float | None:
    """The median grey level of ``face``'s skin in ``pixels`` (faces.measures.skin_region; read on the skin's box,
    not the whole photo); None without a mesh or with under 16 skin pixels."""
    if face.mesh is None:
        return None
    skin = measures.skin_region(pixels.shape, face.mesh, face.size)
    if skin.sum() < 16:
        return None
    x0, y0, x1, y1 = geometry.mask_box(skin, 0)
    return float(np.median(cv2.cvtColor(pixels[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)[skin[y0:y1, x0:x1]]))


BROWS_PALE_FIRST = 0.8  # the paler-brows try goes before the darker one when the person's own brows are this dark
# or darker (their hulls' median grey / the skin's): a clearly dark brow gains little from darker brows, bounded by
# its own darkest hairs (t1 #0, #1, #3: 0.68-0.74, the paler try won), faint or unseen brows a lot (t1 #5, the
# astronaut, the composite's #0: 0.93-0.98, and grace_hopper's glasses faces: the darker one won; bench/faces_seeds.py,
# all 13 faces of 50 px or more, in-sample)
BROWS_ENOUGH = 0.01  # ... and the other brows try is skipped once the first took the face this much further than
# the best try before it (about one try's spread over the seeds' grain): the opposite weight never won then (every
# run of bench/faces_seeds.py; the same kept try and bytes, one try fewer: t1 #0, #1, #3, #5, grace_hopper and her
# copies)


def _pale_brows_first(pixels: np.ndarray, face: Face, own: np.ndarray | None) -> bool:
    """Whether ``face``'s own brows (``own``: :func:`_own_brow_pixels`, None when unseen) are dark enough that the
    paler-brows try goes first (``BROWS_PALE_FIRST``)."""
    skin = _skin_grey(pixels, face) if own is not None and len(own) else None
    if own is None or skin is None or skin <= 0:
        return False
    grey = own @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(np.median(grey)) / skin < BROWS_PALE_FIRST


BROW_SEEN = 0.25  # the person's own brows are measured only when this share of their hulls is not glasses frames:
# grace_hopper's (and her copies') lie 96-98 % under the frames' top rims, and the 2-4 % left (the rim's blurred,
# lens-tinted edge: Lab 57/24/29) bounded the new brows to her skin's lightness: flat, pale bands, no brows. Frames
# are left out only where frame_lines' lens-rim test finds glasses (rims=True): without it t1 #3 and #5 (no glasses)
# lost 31-36 % of their brows to "frames" (a brow's tail into the hair at the face's edge).
BROW_OWN_PCT = 25  # the person's own brow colour: the mean Lab colour of their brow pixels up to this grey percentile


def _brow_colour(pixels: np.ndarray, face: Face, own: Any = _NOT_READ) -> np.ndarray | None:
    """The Lab colour (float32 L 0-100, a, b) of ``face``'s own brow hairs in ``pixels`` (the photo before the swap):
    the mean of the brow hulls' pixels up to the ``BROW_OWN_PCT`` grey percentile, glasses frames left out; None
    without a mesh or brows. ``own``: as :func:`_brow_floor`."""
    rgb = _own_brow_pixels(pixels, face) if own is _NOT_READ else own
    if rgb is None:
        return None
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    dark = rgb[grey <= np.percentile(grey, BROW_OWN_PCT)]
    return cv2.cvtColor((dark.mean(0) / 255.0)[None, None].astype(np.float32), cv2.COLOR_RGB2Lab)[0, 0]


def _bound_brows(out: np.ndarray, mesh: np.ndarray, size: float, pasted: np.ndarray, own: np.ndarray) -> None:
    """The new face's brows (in place on ``out``, only inside the bool ``pasted`` mask; a soft band ``BROW_REACH`` x
    ``size`` around the brow landmarks of ``mesh``) bounded by the person's own (``own``: their brow hairs' Lab
    colour, :func:`_brow_colour`): their darkness below the skin around scaled down (texture kept) so that their
    darkest hairs (``BROW_FLOOR_PCT`` percentile) are no darker than the person's, and in the person's brow colour
    as far as a pixel is brow (its darkness between the skin around and the person's brow). A gallery face's dark grey-brown brows pasted over
    pale, red-blond ones (t1 #5) looked pasted on; a brow's weight and shape stay the new face's."""
    band = _brow_band(out.shape, mesh, size, pasted)
    if band is None:
        return
    (x0, y0, x1, y1), rad, inside, w = band
    lab = cv2.cvtColor(out[y0:y1, x0:x1].astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    skin = lab[(w < 0.05) & (inside > 0)]
    if len(skin) < 8:
        return
    ref = np.median(skin, 0)
    depth = max(float(ref[0] - own[0]), 1.0)  # how much darker than the skin the person's brows are
    brow = w > 0.5
    dark = float(np.percentile(lab[..., 0][brow], BROW_FLOOR_PCT)) if brow.sum() >= 4 else float(lab[..., 0].min())
    gain = min(1.0, depth / max(float(ref[0]) - dark, 1.0))  # the new brows' darkness scaled into the person's range
    new = lab.copy()
    new[..., 0] = ref[0] - gain * (ref[0] - lab[..., 0])  # (their texture kept: a scale, not a clip)
    browness = np.clip((ref[0] - new[..., 0]) / depth, 0.0, 1.0)
    new[..., 1:] += browness[..., None] * (own[1:] - lab[..., 1:])
    lab += w[..., None] * (new - lab)
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255.0
    out[y0:y1, x0:x1] = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def _warp_head(
    out: np.ndarray,
    clean: np.ndarray,
    face: Face,
    moved: np.ndarray,
    reach: float,
    others: np.ndarray | None,
    box: tuple[int, int, int, int],
    memo: dict,
) -> np.ndarray:
    """A try's new outline (in place on ``out``; the swap's photo, ``clean`` warped the same way, returned): the head
    around ``face`` warped with its mesh moved to ``moved`` (:func:`faces.geometry.warp_around`, fading out within
    ``reach`` px of the face mask; ``others`` kept still). The tries that differ only in their brows warp the same
    head the same way: kept in ``memo`` under the moved mesh and ``out``'s pixels in ``box`` (what the warp reads
    besides ``clean``, which is fixed for a face); only the last one (a whole photo's copy: a 12 MP photo's is 36 MB)."""
    x0, y0, x1, y1 = box
    key = digest(moved, out[y0:y1, x0:x1])
    entry = memo.get("head", (None,))  # (read once: a try run beside this one may put its own head there)
    if entry[0] != key:
        early = ("head ahead", key)  # (_warm_head: made on the ahead thread)
        entry = memo[early] if early in memo else _head_entry(key, out, clean, face, moved, reach, others)
        memo["head"] = entry
    _, photo, warped, (wx0, wy0, wx1, wy1) = entry
    out[wy0:wy1, wx0:wx1] = warped
    return photo


def _head_entry(
    key: bytes, out: np.ndarray, clean: np.ndarray, face: Face, moved: np.ndarray, reach: float, others: Any
) -> tuple:
    """:func:`_warp_head`'s memo entry: (``key``, ``clean`` warped, ``out`` warped in the box that changed, that box)."""
    (photo, warped), (wx0, wy0, wx1, wy1) = geometry.warp_around(
        [clean, out], face.mesh, moved, face_mask(out.shape, face), reach, others
    )
    photo.flags.writeable = False
    return key, photo, np.ascontiguousarray(warped[wy0:wy1, wx0:wx1]), (wx0, wy0, wx1, wy1)


def _warm_head(
    memo: dict,
    out: np.ndarray,
    before: np.ndarray,
    box: tuple[int, int, int, int],
    clean: np.ndarray,
    face: Face,
    moved: np.ndarray,
    reach: float,
    others: Any,
) -> Future | None:
    """A try's new outline (:func:`_warp_head`) made on the ahead thread, from a copy of ``out`` as the try will find
    it (``before`` in ``box``; a face with nothing in front of it: no try writes outside ``box``), filed in ``memo``
    where _warp_head looks for it; then the grain blocks around the moved face in that warped photo
    (faces.blend.swap_grain_blocks). Returns the job (its result: the thread's CPU seconds), None when filed already."""
    x0, y0, x1, y1 = box
    key = digest(moved, before)
    if ("head ahead", key) in memo:
        return None
    snap = out.copy()
    snap[y0:y1, x0:x1] = before
    early = _Early(lambda: _head_entry(key, snap, clean, face, moved, reach, others))
    if memo.setdefault(("head ahead", key), early) is not early:
        return None

    def job() -> float:
        c0 = time.thread_time()
        if not early.run() or early.done.exception() is not None:
            return time.thread_time() - c0  # (the try got there first)
        entry = early.done.result()
        for k, make in swap_grain_blocks(entry[1], replace(face, mesh=moved)):
            if k not in memo:
                memo.setdefault(k, _read_only(make()))
        return time.thread_time() - c0

    return _AHEAD_POOL.submit(job)


OCCLUDERS = True  # what lies in front of a face (faces.occluders) stays the photo's, out of the colour statistics
OCC_PAD = 0.5  # x face size: the crop around the mesh PAN reads (_in_front)


def _in_front(pixels: np.ndarray, face: Face) -> np.ndarray | None:
    """Bool photo-size mask of what lies in front of ``face`` (:func:`faces.occluders.occluders`, from PAN's skin and
    hair on a crop ``OCC_PAD`` x face size around the mesh, PAN's input at :func:`faces.occluders.occluder_side`);
    None when nothing does, or PAN is missing (logged)."""
    if not OCCLUDERS or face.mesh is None:
        return None
    x0, y0, x1, y1 = geometry.padded_box(face.mesh, pixels.shape, OCC_PAD * face.size)
    crop = pixels[y0:y1, x0:x1]
    try:
        pan = pan_probabilities(crop, side=occluder_side(crop.shape, PAN_SIDE))
    except ModelUnavailable as exc:
        log.warning("anonymize: occluders not looked for (%s)", exc)
        return None
    occ = occluders(crop, face, (x0, y0), pan[0], pan[2])
    if not occ.any():
        return None
    mask = np.zeros(pixels.shape[:2], bool)
    mask[y0:y1, x0:x1] = occ
    return mask


def _either(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """The union of two optional bool masks (None when both are None)."""
    return b if a is None else a if b is None else a | b


def _expression(rgb: np.ndarray, face: Face, hidden: np.ndarray | None = None) -> dict[str, float] | None:
    """How far the swap on ``rgb`` moved ``face``'s expression: the mouth / eye / brow landmarks relative to the
    face (:func:`faces.geometry.expression_shift`, fractions of the face size, "max" the largest) and
    ``eyes_opened``: how much more open the more open eye is (lid gap / eye width,
    :func:`faces.measures.eye_openness`; a closed or downcast eye drawn open changes the expression too). One
    face-mesh run on the result; None when no mesh is found there. ``hidden``: bool photo-size mask of what lies in
    front of the face (:func:`_in_front`): the landmarks under it are not counted."""
    after = mesh_for(rgb, face)
    if after is None or face.mesh is None:
        return None
    under = None if hidden is None else hidden_points(face.mesh, hidden)
    out = {k: round(v, 4) for k, v in geometry.expression_shift(face.mesh, after, face.size, under).items()}
    out["eyes_opened"] = round(max(measures.eye_openness(after)) - max(measures.eye_openness(face.mesh)), 4)
    return out


def _kept(expression: dict[str, float]) -> bool:
    """Whether a swap kept the expression: its landmarks moved under ``EXPRESSION_LIMIT``. (``eyes_opened`` is
    reported, not enforced: as a check it hid t1 #5, whose anti-face opens her downcast eyes by 0.08 before the
    lowered lids of faces.blend are enough; tests/test_faces checks it on the result.)"""
    return expression["max"] < EXPRESSION_LIMIT


def synthetic_targets() -> list[Target]:
    names = gallery_names(synthetic=True)
    if not names:
        raise BadInput("anonymize: no synthetic faces in assets/faces (run `python assets/faces/build_gallery.py`)")
    return [load_target(n) for n in names]


def far_identity(rng: np.random.Generator, avoid: np.ndarray | None, cos: float = ARCFACE_TARGET_COS) -> np.ndarray:
    """A synthetic unit 512-D identity: a random direction (no real person's embedding) placed at cosine
    ``cos`` to ``avoid`` (the face's own ArcFace embedding), i.e. on the far side of the ArcFace sphere."""
    v = rng.standard_normal(512).astype(np.float32)
    if avoid is None:
        return normed(v)
    a = normed(avoid)
    v = normed(v - (v @ a) * a)
    return normed(cos * a + math.sqrt(max(0.0, 1 - cos * cos)) * v)


@dataclass(frozen=True)
class Candidate:
    """One offline try: the texture ("far": the synthetic face farthest from this face, "next": the one
    after it, "anti": its own anti-face, "best": the texture of the best try so far), the face outline (a
    ``HEADS`` entry, "best": the best try's, "outline": the farthest ``HEADS`` try's, and its texture, brows and
    gain with it; None: the face's own), the proportion move (a ``MOVES``
    entry or {}), the brows and ``shape``: the face's outline taken to its target's proportions
    (:func:`faces.geometry.shape_target`; True, False or "best"; only with the face's own outline, head None)."""

    texture: str
    head: dict[str, float] | str | None = None
    move: dict[str, float] = field(default_factory=dict)
    brows: float | str = 0.0  # a ``BROWS`` entry, 0 (as the texture has them) or "best" (the best try's)
    shape: bool | str = False
    brow_floor: bool = True  # darker brows stop at the person's own darkest brow hairs (False: the last resort)
    gain: float | str = 1.0  # the proportions (and outline) moved this many times ``reshape`` ("best": the best try's)


OUTLINE_ORDER = True  # the two outline tries (HEADS) in the order :func:`_outline_first` predicts, and the second
# skipped when the first took the face past the margin (t1 #0, #1, #5, group #1, #4: 7 -> 6 and 5 -> 4 tries, the same
# distances; bench/faces_seeds.py)

OTHER_OUTLINE_SHORT = True  # ... and skipped too when a try before the outlines took the face past the margin and
# the first outline did not go the wrong way (it ended within OUTLINE_WRONG_WAY of the best): the other way is then a
# rescue for a face short of it. bench/faces_seeds.py, 3 x 3 seeds, in-sample: run after a pass with the first outline
# within 0.024 of the best, it never beat the best try (0.707-0.758 against 0.755-0.770: grace_hopper and her 103 /
# 62 px copies, one try fewer in 16 of their 27 runs); t1 #3's first outline went the wrong way (0.705 against 0.750)
# and its other one, 0.752, is still tried and kept
OUTLINE_WRONG_WAY = 0.03  # dlib distance: a first outline this far under the best went the wrong way for the face


def _outline_first(mesh: np.ndarray, target_mesh: np.ndarray | None) -> list[int]:
    """The places in ``HEADS`` in the order they are tried: the outline that goes most the way from this face's jaw
    width and chin length (:func:`faces.geometry.shape_of`, relative) to its texture's first: each outline scored by
    its own width and chin changes times how much wider the texture's jaw and longer its chin are. A cheap
    signal, read before rendering: the dlib distances of the tries do not depend on the order (each try has its own
    generator), so a face where the guess is wrong runs both, as before; where it is right, the other is skipped
    once the first took it past the margin. Without a target mesh: ``HEADS``' own order."""
    if target_mesh is None:
        return list(range(len(HEADS)))
    own, tgt = geometry.shape_of(mesh), geometry.shape_of(target_mesh)
    jaw = (tgt["jaw"] - own["jaw"]) / max(abs(own["jaw"]), 1e-6)
    chin = (tgt["chin"] - own["chin"]) / max(abs(own["chin"]), 1e-6)
    return sorted(range(len(HEADS)), key=lambda i: -(HEADS[i]["width"] * jaw + HEADS[i]["chin"] * chin))


def _candidates(strong_gain: float = STRONG_GAIN) -> list[Candidate]:
    """The offline swap's tries, in order, ``MAX_TRIES`` in all: what identifies a face to a recogniser is
    its texture (the synthetic face farthest from it, or its own anti-face), the outline of its head and
    the proportions between its features; which of these moves a face furthest depends on the face
    (bench/faces_bench.py), so each is tried per face and the best kept."""
    plan = [Candidate("far"), Candidate("anti"), Candidate("best", shape=True)]
    plan += [Candidate("best", brows=b, shape="best") for b in BROWS]
    plan += [Candidate("best", h, brows="best") for h in HEADS]
    # a face still short of the margin: the farthest try with another outline, its proportions and outline moved further
    plan.append(Candidate("best", "outline", brows="best", gain=strong_gain))
    plan += [Candidate("best", "best", m, brows="best", shape="best", gain="best") for m in MOVES]
    plan.append(Candidate("next", "best", brows="best", shape="best"))  # the second-farthest synthetic face
    plan = plan[:MAX_TRIES]
    if LAST_RESORT_BROWS:  # run only for a face still short of the margin after every other try
        plan.append(Candidate("best", brows=BROWS[0], shape="best", brow_floor=False))
    return plan


FAR_NEAR = 0.7  # dlib distance: a farthest synthetic face nearer than this to the face is not tried as a texture
# (a swap to it lands within about 0.1 of its own distance: -0.06..+0.12 on the bench faces; at 0.52-0.66, group #0,
# #1, #4, grace_hopper and the astronaut, it never won, 0.60-0.67; tom_hanks' at 0.74 won at 0.79; t1's 0.77-0.86)


def _far_is_near(target: Target, original: np.ndarray | None) -> bool:
    """Whether the farthest synthetic face (``target``) lies within ``FAR_NEAR`` of the face's own dlib descriptor
    (``original``; False when either is unknown): its try is skipped, the anti-face comes first."""
    if original is None or target.descriptor is None:
        return False
    return float(np.linalg.norm(np.asarray(target.descriptor) - original)) < FAR_NEAR


def _age_gap(target: Target, age: float | None) -> float:
    """How far ``target``'s skin age is from what a face of apparent ``age`` wants, in ``AGE_STEP`` steps
    (0: the same band; 0 for every target when the age or the target's skin age is unknown)."""
    skin = skin_age(target.name)
    if age is None or skin is None:
        return 0.0
    return round(abs(skin - wanted_skin_age(age)) / AGE_STEP)


def _rank_targets(
    pixels: np.ndarray, face: Face, targets: list[Target], original: np.ndarray | None, age: float | None = None
) -> list[Target]:
    """Targets of the face's age first (``age``: its apparent age, :mod:`faces.attributes`; gallery skin young /
    mid / old, :func:`faces.gallery.wanted_skin_age`), within an age band farthest from this face first: by
    dlib descriptor when both are known, else by texture. Targets dlib places within ``SAME_PERSON`` of the face
    come last whatever their age (the gallery's old skin is grace_hopper's own: for her, an old target is
    herself; it took her best try from 0.78 to 0.74, blurred)."""
    if len(targets) < 2:
        return targets
    if original is not None and all(t.descriptor is not None for t in targets):

        def key(t: Target) -> tuple[bool, float, float]:  # a target dlib calls this person ranks last, age aside
            d = float(np.linalg.norm(np.asarray(t.descriptor) - original))
            return d < SAME_PERSON, 0.0 if d < SAME_PERSON else _age_gap(t, age), -d

        return sorted(targets, key=key)
    if any(t.face.mesh is None for t in targets):  # a gallery target always has its mesh (load_target)
        return targets
    return sorted(
        targets,
        key=lambda t: (
            _age_gap(t, age),
            measures.texture_similarity(pixels, face, t.image, np.asarray(t.face.mesh), t.tris),
        ),
    )


class AnonymizeEditor(ReportingEditor):
    name = "anonymize"
    label = "Anonymize faces"
    # method swap (a synthetic identity) is generative; blur / pixelate / solid are classical (apply says which)
    provenance = Provenance(generative=True, face_edit=FACE_ANONYMIZED, models=OFFLINE_MODELS + FULL_MODELS)
    params_schema = {
        "method": Param(str, "swap", choices=METHODS, help="blur | pixelate | solid | swap (synthetic identity)"),
        "faces": Param(str, "all", help="which faces, by number: 'all' or e.g. '0,2'"),
        "strength": Param(float, 1.0, 0.2, 3.0, help="blur size / pixel block size (x face size / 6 or / 12)"),
        "colour": Param(str, "auto", help="solid: '#rrggbb' or 'auto' (the face's mean colour)"),
        "reshape": Param(
            float,
            1.0,
            0.0,
            1.5,
            help="swap: how far the identity-bearing proportions move (0 = none; "
            "halved when the expression would move 3 % or more)",
        ),
        "identity": Param(
            str,
            "auto",
            help="swap offline: 'auto' (the synthetic face farthest from each face) or a synthetic gallery name",
        ),
        "backend": Param(str, "auto", choices=BACKENDS, help="swap: auto = inswapper when downloaded, else offline"),
        "verify": Param(
            bool,
            True,
            help="swap: check each face with a face recogniser (dlib offline, ArcFace full); "
            "retry, then blur, a face that is not past the margin",
        ),
        "feather": FEATHER,
    }

    def __init__(self, manager: ModelManager | None = None):
        self.manager = manager
        self.model_ids: tuple[str, ...] = OFFLINE_MODELS
        self.last_report: list[dict[str, Any]] = []

    def apply(
        self,
        photo: Photo | np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> np.ndarray:
        """RGB uint8 photo with the chosen faces anonymized; pixels outside the face masks stay identical.

        ``last_report`` then lists, per swapped face: what was done, the recogniser's distance and margin,
        the tries, the expression movement (mouth / eyes / brows, fraction of the face size) and, for a
        face that was blurred instead, why.
        """
        pixels = as_pixels(photo)
        sel = None if mask is None else check_mask(mask, pixels.shape)
        p = validate_params(self.name, self.params_schema, params)
        if p["method"] == "solid" and p["colour"] != "auto":
            _hex(p["colour"])
        manager = self.manager or default_manager()
        backend = "offline"
        if p["method"] == "swap":
            backend = choose_backend(p["backend"], manager)
        faces, chosen = selected_faces(pixels, sel, p["faces"], manager, backend, self.name)
        out = pixels.copy()
        base_seed = check_seed(seed)
        self.model_ids = FULL_MODELS if backend == "full" else OFFLINE_MODELS
        self.result_generative = p["method"] == "swap"
        self.last_report = []
        targets: list[Target] = []
        if p["method"] == "swap" and backend == "offline":
            if p["identity"] == "auto":
                targets = synthetic_targets()
            elif p["identity"] in gallery_names(synthetic=True):
                targets = [load_target(p["identity"])]
            else:
                raise BadInput(
                    f"anonymize: identity must be 'auto' or one of {', '.join(gallery_names(synthetic=True))} "
                    f"(synthetic faces only), got {p['identity']!r}"
                )
        jobs: dict[int, Future | None] = {}  # the frame fills started ahead (_frames_job): this face's and the next's
        ahead = p["method"] == "swap" and backend == "offline"
        for n, i in enumerate(chosen):
            face = faces[i]
            t0, c0 = time.perf_counter(), time.thread_time()
            if ahead:  # (a face swapped on a working copy, _bounded, starts its own on that copy)
                if i not in jobs and not _bounded(face):
                    jobs[i] = _frames_job(pixels, face, p["verify"])
                if n + 1 < len(chosen) and not _bounded(faces[chosen[n + 1]]):
                    jobs[chosen[n + 1]] = _frames_job(pixels, faces[chosen[n + 1]], p["verify"])
            if p["method"] != "swap":
                hide_face(out, pixels, face, p["method"], p["strength"], p["colour"])
                continue
            if backend == "full":
                row = self._full_verified(out, pixels, face, face_rng(base_seed, face.index), manager, p["verify"])
            else:
                others = np.zeros(pixels.shape[:2], bool)  # the other faces: not moved with this one's outline, not
                for j, g in enumerate(faces):  # under its wider blur
                    if j != i:
                        others |= cover_mask(pixels.shape, g, 0.04)
                if face.mesh is None:  # too small / hidden for a mesh: never leave it recognisable
                    original = None
                    if p["verify"]:
                        with contextlib.suppress(ModelUnavailable):
                            original = measures.identity_descriptor(pixels, face)
                    row = self._hide_instead(
                        out, pixels, face, original, "no face mesh (too small, hidden or in profile)", others=others
                    )
                elif face.score < FACE_SCORE:  # found only as a face the photo's edge cuts (faces.detect
                    # FRAME_THRESHOLD): half a face takes no made-up one, and its measures of eyes and lips have
                    # nothing to read outside the photo (round 24's drive: an IndexError); hidden instead
                    original = None
                    if p["verify"]:
                        with contextlib.suppress(ModelUnavailable):
                            original = measures.identity_descriptor(pixels, face)
                    row = self._hide_instead(out, pixels, face, original, "cut by the photo's edge", others=others)
                elif _bounded(face):  # a face over WORK_FACE px: swapped on a working copy, pasted back at full size
                    row = self._swap_bounded(out, pixels, face, targets, p["reshape"], p["verify"], base_seed, others)
                else:
                    row = self._swap_verified(
                        out, pixels, face, targets, p["reshape"], p["verify"], base_seed, others, jobs.pop(i, None)
                    )
            row["seconds"] = round(time.perf_counter() - t0, 3)
            worker = row.pop("frames_cpu_seconds", 0.0) + row.pop("check_cpu_seconds", 0.0)
            row["cpu_seconds"] = round(time.thread_time() - c0 + worker, 3)  # this thread's
            # CPU and the frame fill's (_frames_job): less inflated on a busy host than the wall clock
            self.last_report.append(row)
        return finish(pixels, out, sel, auto_feather(pixels.shape, p["feather"]))

    def _hide_instead(
        self,
        out: np.ndarray,
        pixels: np.ndarray,
        face: Face,
        original: np.ndarray | None,
        why: str,
        made: tuple[tuple[int, int, int, int], np.ndarray] | None = None,
        others: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Hide a face that a swap cannot anonymize with the margin (in place); the report says which and why.

        The whole head is blurred with a soft edge (:func:`conceal_face`, sigma face size / ``CONCEAL_STEPS[0]``);
        with the recogniser at hand the blur is checked too: while dlib places it under ``HIDE_SEEK`` (the margin with
        headroom) the blur grows (the next ``CONCEAL_STEPS``, then the same over the head grown ``HIDE_WIDE``: more of
        the hair, unless that reaches one of ``others``, the other faces' mask); on a blurred head dlib reads only the
        outline and colours that are left: a flat fill of t1 #2's head still measures 0.67, of the 12 MP t1's #4 0.55
        (issue 14, round 23: filled over its whole chip, in any colour but near-black, 0.55-0.63), so the margin is
        a reason to blur more, not a bar a hidden face always clears: the status says when no blur reached it); the
        farthest step stays. ``made``: the swap's farthest try (its box and crop), when
        one was made; the blur is then drawn from the photo with that try pasted in, a made-up face that carries none
        of the person's detail (issue 14: the group's 88 px half-hidden copy, its tries 0.62-0.65, ended 0.709-0.731
        blurred from the photo and 0.755 from its farthest try at the first step). Only a face still within dlib's
        same-person line after the blurs is filled with its mean colour (a face found with no mesh: its oval is a
        guess around its keypoints), and only when the fill takes it past that line; else the blur stays and the
        report says so.
        """
        row: dict[str, Any] = {
            "face": face.index,
            "size_px": round(face.size),
            "verified": original is not None,
            "why": why,
        }
        grows = [HEAD_GROW]
        wide = cover_mask(pixels.shape, face, HIDE_WIDE)
        if original is not None and (others is None or not (wide & others).any()):  # (never over another face)
            grows.append(HIDE_WIDE)
        x0, y0, x1, y1 = geometry.mask_box(wide if len(grows) > 1 else cover_mask(pixels.shape, face, HEAD_GROW), 2)
        before = out[y0:y1, x0:x1].copy()
        source = pixels
        if made is not None:  # the blur is drawn from the farthest try: a made-up face, none of the person's detail
            (mx0, my0, mx1, my1), crop = made
            source = pixels.copy()
            source[my0:my1, mx0:mx1] = crop
            row["blur_of"] = "the farthest try"
        kept: tuple[float, float, float, np.ndarray] | None = None  # (distance, sigma divisor, grow, the head) farthest
        tried: list[float] = []
        for grow in grows:
            for div in CONCEAL_STEPS:
                out[y0:y1, x0:x1] = before  # each step blurs the head afresh over what was there
                conceal_face(out, source, face, div, grow)
                if original is None:
                    kept = (float("nan"), div, grow, out[y0:y1, x0:x1])
                    break
                d = round(float(np.linalg.norm(original - measures.identity_descriptor(out, face))), 3)
                tried.append(d)
                if kept is None or d > kept[0]:
                    kept = (d, div, grow, out[y0:y1, x0:x1].copy())
                if d >= HIDE_SEEK:
                    break
            if original is None or kept is None or kept[0] >= HIDE_SEEK:
                break
        assert kept is not None
        out[y0:y1, x0:x1] = kept[3]  # (a stronger blur is not always farther: the farthest step stays)
        hair = " with the hair around it" if kept[2] != HEAD_GROW else ""
        row["done"] = f"blur of the head ({why})"
        row["blur_sigma"] = round(face.size / kept[1], 1)
        row["blur_reach"] = kept[2]
        if original is not None:
            row["distance"] = kept[0]
            row["blurs"] = tried
            row["done"] = (  # (how far the blur took it, and from what)
                f"blur of the head ({why}; blurred{hair}{' from its farthest try' if made is not None else ''}: "
                f"dlib {kept[0]:.3f})"
            )
        if original is not None and row["distance"] < VERIFY_MARGIN:  # the stronger hide: a flat fill of the head
            blurred, blur_d = out[y0:y1, x0:x1].copy(), row["distance"]
            hide_face(out, pixels, face, "solid", 1.0, "auto", HEAD_GROW)
            fill_d = round(float(np.linalg.norm(original - measures.identity_descriptor(out, face))), 3)
            row["fill_distance"] = fill_d
            if fill_d >= VERIFY_MARGIN or (blur_d <= SAME_PERSON < fill_d):  # kept when it reaches the margin, or
                row["distance"] = fill_d  # takes a face dlib still calls the same person past that line
                reason = "still dlib's same person" if blur_d <= SAME_PERSON else f"short of {VERIFY_MARGIN}"
                row["done"] = f"solid of the head ({why}; {reason} blurred, {blur_d:.2f}; filled: dlib {fill_d:.3f})"
            else:  # the fill does not help either (dlib reads what lies around): the cleaner blur stays, and the report
                out[y0:y1, x0:x1] = blurred  # says dlib still finds it that near
                row["distance"] = blur_d
                row["done"] = (
                    f"blur of the head ({why}; dlib still places it at {blur_d:.2f}, even filled)"
                    if blur_d <= SAME_PERSON
                    else f"{row['done'][:-1]}; no blur reached {VERIFY_MARGIN}, nor a flat fill ({fill_d:.3f}): dlib "
                    "reads the outline and colours around a hidden head)"
                )
        log.info("anonymize: face %d (%d px): %s", face.index, face.size, row["done"])
        return row

    def _swap_verified(
        self,
        out: np.ndarray,
        pixels: np.ndarray,
        face: Face,
        targets: list[Target],
        reshape: float,
        verify: bool,
        face_seed: int,
        others: np.ndarray | None = None,
        job: Future | None = None,
        nose_free: bool = False,
        strong_gain: float = STRONG_GAIN,
    ) -> dict[str, Any]:
        """Offline synthetic swap of one face (in place on ``out``), checked by dlib's recogniser when ``verify``.
        ``job``: its :func:`_frames_job`, when one was started. ``nose_free``: the tries of :meth:`_nose_light_try`'s
        base instead (every try run, none stopping the others, the nose not narrowed): their farthest returned, with
        what the nose light needs, and ``out`` left as it was.

        The face's proportions are moved (:func:`faces.geometry.identity_reshape`), its outline too for the
        candidates that say so (:func:`faces.geometry.head_reshape`; both halved, then dropped, while the
        mouth, eyes or brows would move ``EXPRESSION_LIMIT`` or more); the candidates of :func:`_candidates`
        are tried in turn, and the first one that ends at least ``VERIFY_MARGIN`` from the original wins;
        after ``MAX_TRIES`` (or when the first two end ``HOPELESS_GAP`` short, or the outline tries
        ``MOVES_GAP`` short) the nose light is tried (:meth:`_nose_light_try`); a face still short by ``FINISH_GAP`` or
        less is judged as it would be saved (``FINISH_SHORT``), then the nose light runs again on the tries with the
        strong outline moved ``STRONGER_GAIN`` x (``strong_gain``: that gain, for the nose light's tries); a face still
        short is blurred instead. Each try draws from its own generator (:func:`face_rng`:
        ``face_seed``, the face's number, the try's place), and the independent ones can run two at a time
        (``PAIR_TRIES``, :func:`_pair`): the same tries, kept try and bytes as one after the other.
        """
        verify_at, seek_at = (2.0, 2.0) if nose_free else (VERIFY_MARGIN, SEEK_MARGIN)  # (the tries' early ends:
        hopeless_gap, moves_gap = (5.0, 5.0) if nose_free else (HOPELESS_GAP, MOVES_GAP)  # none for nose_free)
        original = None
        if job is None:  # the frame fill runs meanwhile (apply may have started it already)
            job = _frames_job(pixels, face, verify)
        frames_job = job  # (the nose light's tries read the same fill)
        # what lies in front of the face (PAN) is read on the check thread meanwhile (while the face's own descriptor,
        # age and brows are measured here; not for a face that will be too small to swap)
        pan = None
        # a face whose apparent age is read (here, below) has its own descriptor made on the check thread meanwhile
        aged = len(targets) > 1 and face.size >= AGE_MIN_SIZE
        own: Future | None = None
        if AHEAD and verify and aged and face.mesh is not None:
            own = _CHECK_POOL.submit(_timed, measures.identity_descriptor, pixels, face)
        if face.mesh is not None and not (verify and face.size < MIN_SWAP_SIZE):
            pan = _CHECK_POOL.submit(_timed, _in_front, pixels, face)
        age = None  # None without faceres, with one target, or for a face too small to show its skin's age
        if own is not None:
            age = attributes.apparent_age(pixels, face)
        own_cpu = 0.0
        if verify:
            try:
                if own is not None:
                    original, own_cpu = own.result()
                else:
                    original = measures.identity_descriptor(pixels, face)
            except ModelUnavailable as exc:  # dlib not installed: swap unverified, say so in the log
                log.warning("anonymize: identity check skipped (%s)", exc)
        if original is not None and face.size < MIN_SWAP_SIZE:
            return self._hide_instead(
                out, pixels, face, original, f"under {MIN_SWAP_SIZE} px: too small to swap and check", others=others
            )
        if pan is None and face.mesh is not None:  # (a small face swapped unchecked: dlib missing)
            pan = _CHECK_POOL.submit(_timed, _in_front, pixels, face)
        check_cpu = own_cpu  # the check thread's CPU for this face
        if own is None and aged:
            age = attributes.apparent_age(pixels, face)
        ranked = _rank_targets(pixels, face, targets, original, age)
        full_plan = _candidates(strong_gain) if original is not None else [Candidate("far")]
        at = next((n for n, c in enumerate(full_plan) if c.texture == "anti"), None)
        ridge = RIDGE_FIRST and at is not None and face.size >= RIDGE_MIN_SIZE
        if ridge:  # the anti-face as reflected ("lit") keeps the anti-face try's place and generator (its draws, its
            full_plan[at] = Candidate("lit")  # distance and every try after it as without the cut); the cut
            full_plan.append(Candidate("anti"))  # anti-face gets a key past the others' ...
        plan = list(enumerate(full_plan))  # (the try's place in the whole plan: its generator's key, its pair)
        if ridge:
            plan.insert(at, plan.pop())  # ... and is tried first
        if len(targets) == 1 and original is not None:  # a named gallery face: its tries keep that texture
            plan = [(k, c) for k, c in plan if c.texture not in ("anti", "lit", "next")]
        lit_at = next((n for n, (_, c) in enumerate(plan) if c.texture == "lit"), None)
        textures_end = 2 if lit_at is None else lit_at + 1  # the plan's places past the texture tries
        if face.mesh is None:
            raise BadInput(f"face {face.index} has no face mesh: it cannot be swapped")
        textures: dict[str, Target] = {"far": ranked[0], "next": ranked[1] if len(ranked) > 1 else ranked[0]}
        anti_job: Future | None = None  # the anti-face, made on the check thread while the first try renders here
        memo: dict = _AheadMemo()  # the work one try repeats of another (faces.blend.reuse): byte-identical, sooner
        meshes: dict[tuple, np.ndarray] = {}  # the moved meshes by their moves (the brows tries repeat the same)
        early: list[Future] = []  # the tries' geometry done ahead (_warm_ahead), on the ahead thread

        def moved_mesh(key: tuple, move: Any, *args: Any) -> np.ndarray:
            if key not in meshes:
                meshes[key] = move(*args)
            return meshes[key]

        def try_shape(target: Target, with_shape: bool) -> dict[str, float]:
            """A try's outline proportions (its target's, ``SHAPE_GAIN`` x the way; {} for none)."""
            if with_shape and SHAPE_GAIN and face.size >= SHAPE_MIN_SIZE:
                return geometry.shape_target(face.mesh, target.face.mesh, SHAPE_GAIN)
            return {}

        def try_mesh(head: Any, move: dict, amount: float, shape: dict, shape_amount: float) -> np.ndarray:
            """A try's moved mesh: its proportions (``amount``, ``move``), outline proportions and outline."""
            nose = 0.0 if nose_free else move.get("nose", 1.0) * amount  # (nose_free: the photo's nose width)
            moves = (amount, nose, move.get("eyes_up", 0.0), move.get("mouth_down", 0.0))
            moved = moved_mesh(moves, geometry.identity_reshape, face.mesh, face.size, *moves)
            if shape_amount > 0:  # the face's own outline to the target's proportions (jaw, chin, forehead)
                outline_moves = (moves, tuple(sorted(shape.items())), shape_amount)
                moved = moved_mesh(outline_moves, geometry.shape_reshape, moved, shape, shape_amount)
            if isinstance(head, dict) and amount > 0:  # another outline on top
                head_moves = (moves, tuple(sorted(shape.items())), shape_amount, head["width"], head["chin"])
                moved = moved_mesh(
                    head_moves, geometry.head_reshape, moved, face.size, head["width"] * amount, head["chin"] * amount
                )
            return moved

        def warm(spec: tuple) -> None:
            """Try ``spec``'s geometry (its target warped onto its mesh, ...) started on the ahead thread
            (:func:`_warm_ahead`); its first render, at full change, finds it in ``memo``."""
            if not AHEAD:
                return
            _, texture, head, _, with_shape, gain, move, _ = spec
            target = textures.get(texture)
            if target is None and (texture != "anti" or anti_job is None or with_shape):
                return  # (the anti-face not made yet: its shape unknown)
            shape = {} if target is None else try_shape(target, with_shape)
            moved = try_mesh(head, move, reshape * float(gain), shape, 1.0 if shape else 0.0)
            teeth = textures["far"] if texture in ("anti", "lit") else None
            job = _warm_ahead(memo, pixels.shape, replace(face, mesh=moved), target or anti_job, teeth)
            if job is not None:
                early.append(job)
            if (shape or (isinstance(head, dict) and reshape * float(gain) > 0)) and front is None:
                job = _warm_head(memo, out, before, box, clean, face, moved, reach, others)
                if job is not None:  # (the outline: its head warped ahead too)
                    early.append(job)

        cand0 = plan[0][1] if plan else None
        if (
            cand0 is not None
            and cand0.texture == "far"
            and not (_far_is_near(ranked[0], original) and len(targets) > 1)
        ):
            warm((plan[0][0], "far", cand0.head, 0, cand0.shape is True, cand0.gain, cand0.move, True))
        own_pixels = _own_brow_pixels(pixels, face)  # (read once: the floor, the colour and the brows' order)
        floor = _brow_floor(pixels, face, own_pixels)  # the darker-brows try stops at the person's own darkest hairs
        unseen = floor is None  # brows behind glasses frames: unknown, so the darker-brows tries are unbounded
        # (UNSEEN_BROWS_FREE; no last resort: it would repeat them), else the new face's brows as the paste draws
        # them (an anti-face's are never darker than the mean face's), never darkened past that
        if unseen:
            floor = _unseen_brow_floor(pixels, face) if UNSEEN_BROWS_FREE else 255.0
        own_brows = _brow_colour(pixels, face, own_pixels)  # and every try's brows at their colour (_bound_brows)
        brows_at = [n for n, (_, c) in enumerate(plan) if c.brows in BROWS and c.head is None and c.brow_floor]
        if len(brows_at) == 2 and _pale_brows_first(pixels, face, own_pixels):  # the paler try first (each keeps its
            a, b = brows_at  # generator, keyed by its place in the whole plan: the same draws in either order)
            plan[a], plan[b] = plan[b], plan[a]
        reach = HEAD_REACH * face.size
        box = geometry.padded_box(face.mesh, pixels.shape, 0.06 * face.size + 6 + reach)
        x0, y0, x1, y1 = box
        if job is not None:  # glasses frames painted out: the swap's photo
            clean, frames, frames_cpu = job.result()
        else:
            clean, frames = without_frames(pixels, face, face.index)
            frames_cpu = 0.0
        if frames is not None:
            out[frames] = clean[frames]
        front, pan_cpu = pan.result() if pan is not None else (None, 0.0)  # a hand, a microphone, a bar: kept on
        check_cpu += pan_cpu  # top of every try
        before = out[y0:y1, x0:x1].copy()
        anti_args = (pixels if ANTI_RAW else clean, face, ANTI_STRENGTH, ranked[0].image, _either(frames, front))
        lit: list[Target] = []  # the anti-face as reflected ("lit": its nose-ridge streak kept), when tried too

        def make_anti(*args: Any) -> Target:
            """The anti-face tried first: without its ridge streak when ``lit`` is tried after it (RIDGE_FIRST)."""
            made = anti_target(*args)
            if lit_at is None:
                return made
            lit.append(replace(made, name="anti-face lit"))
            return even_skin(ridge_cut(made)) if ANTI_EVEN_FIRST else ridge_cut(made)

        def anti_made(texture: str) -> None:
            """``textures`` given the anti-face (and its lit version) for a try of ``texture`` that wants it."""
            if texture in textures or texture not in ("anti", "lit"):
                return
            if anti_job is not None:
                textures["anti"], anti_cpu[0] = anti_job.result()
            else:
                textures["anti"] = make_anti(*anti_args)
            if lit:
                textures["lit"] = lit[0]

        if ANTI_AHEAD and any(c.texture == "anti" for _, c in plan):
            anti_job = _CHECK_POOL.submit(_timed, make_anti, *anti_args)
        best: tuple[float, str, np.ndarray, dict | None] | None = None
        best_try = Candidate("far")
        outline: tuple[float, Candidate] | None = None  # the farthest of the tries with another outline (HEADS)
        best_amount = reshape
        best_shape: dict[str, float] = {}
        best_head: np.ndarray | None = None  # the best try's mesh when it moved the head (_in_own_colour)
        distances: list[float | None] = []
        tried: list[str] = []
        hopeless = False
        anti_cpu = [0.0]  # the check thread's CPU for the anti-face (anti_job)
        cut_at: list[float | None] = [None]  # the cut anti-face's try's distance (None: not run, or not valid)

        seed_of = {id(c): k for k, c in enumerate(full_plan)}  # a try's generator: the seed, the face, the try

        def resolve(n: int, cand: Candidate) -> tuple[str, tuple | None]:
            """What try ``n`` of the plan is, given the tries before it (``best_try``, ``best``, ``outline``):
            ("break", None), ("skip", None) or ("run", its spec). Reads the state only (and makes a texture)."""
            if n == textures_end and best is not None and best[0] < verify_at - hopeless_gap:
                return "break", None  # no outline or proportion closes such a gap (bench): stop here
            if n == textures_end + 1 + len(BROWS) + len(HEADS) and best is not None and best[0] < verify_at - moves_gap:
                return "break", None  # the stronger proportions and the moves add 0.03 at most after the outlines
            if (
                cand.texture == "lit"
                and cut_at[0] is not None
                and cut_at[0] >= verify_at - LIT_GAP
                and best_try.texture == "anti"
            ):
                return "skip", None  # the cut anti-face came near enough the margin, ahead of the gallery face: the
                # streak is not wanted back (behind it, the lit one is tried: tom_hanks' gallery face, 0.777 against
                # the cut 0.764, would be kept with its nose crease; lit, 0.792, his anti-face is kept as before)
            if n == 0 and cand.texture == "far" and _far_is_near(ranked[0], original) and len(targets) > 1:
                return "skip", None  # a synthetic face dlib itself places this near the face: no swap past the margin
            if not cand.brow_floor and (unseen or (best is not None and best[0] >= verify_at)):
                return "skip", None  # the last resort: only for a face no bounded try took past the margin
            darker = cand.brows not in (0, "best") and float(cand.brows) > 0
            if unseen and not UNSEEN_BROWS_FREE and cand.brow_floor and darker:
                return "skip", None  # darker brows bounded by brows hidden behind frames (floor 255) darken nothing:
                # the try would only draw the last one's grain again (grace_hopper and her copies: 0.72-0.73)
            if (cand.texture == "next" or cand.move or cand.gain != 1.0) and best is not None and best[0] >= verify_at:
                return "break", None  # stronger proportions, their moves and another texture only for a face still
                # short of the margin (time: three more tries took t1 #1 to 0.62 s for +0.001; bench/results/faces.json)
            base = outline[1] if cand.head == "outline" and outline is not None else best_try  # what "best" means
            texture = base.texture if cand.texture == "best" else cand.texture
            head = base.head if cand.head in ("best", "outline") else cand.head
            brows = base.brows if cand.brows == "best" else cand.brows
            with_shape = bool(base.shape if cand.shape == "best" else cand.shape) and head is None
            if cand.shape is True and not (SHAPE_GAIN and face.size >= SHAPE_MIN_SIZE):
                return "skip", None  # the shape try would repeat the best try unchanged
            gain = float(base.gain if cand.gain == "best" else cand.gain)
            return "run", (seed_of[id(cand)], texture, head, brows, with_shape, gain, cand.move, cand.brow_floor)

        def run_try(spec: tuple, buf: np.ndarray, stop: threading.Event | None = None) -> dict[str, Any] | None:
            """Try ``spec`` on ``buf`` (``out``, or a copy of it for a try run beside another: only its ``box``
            changes, and it is ``before`` again on return). Its own generator: the same draws in either order.
            None when ``stop`` is set before its descriptor is asked for (the tries ended, or passed its place)."""
            key, texture, head, brows, with_shape, gain, move, brow_floor = spec
            gen = face_rng(face_seed, face.index, key)
            if stop is not None and stop.is_set():
                return None
            anti_made(texture)  # the anti-face: made ahead (anti_job), else by the first try that wants it
            target = textures[texture]
            cpu = 0.0
            amount = reshape * gain  # each try starts at its full change (halved below while the expression moves)
            shape = try_shape(target, with_shape)
            shape_amount = 1.0 if shape else 0.0  # the outline pins the expression: it goes last, after the rest
            while True:  # the expression moved too much: half the change, then none, then the outline's too
                moved = try_mesh(head, move, amount, shape, shape_amount)
                photo = clean
                if shape_amount > 0 or (isinstance(head, dict) and amount > 0):  # the head's edge moves with it
                    photo = _warp_head(buf, clean, face, moved, reach, others, (x0, y0, x1, y1), memo)
                    if front is not None:  # the object in front does not bend with the head
                        buf[front] = clean[front]
                pasted = mesh_swap(
                    buf,
                    photo,
                    replace(face, mesh=moved),
                    target,
                    keep_mouth=False,
                    rng=gen,
                    teeth=textures["far"] if texture in ("anti", "lit") else None,  # an anti-face mouth: a blurred mean
                    memo=memo,
                    keep=front,
                )
                if KEEP_EYES:  # a closed eye stays closed: the photo's own, where the swap drew it
                    eyes.keep_eye_state(buf, clean, face.mesh, moved, face.size, pasted)
                if BOUND_BROWS and own_brows is not None and brow_floor:  # no darker / other-hued than hers
                    _bound_brows(buf, moved, face.size, pasted, own_brows)
                if brows:
                    _restyle_brows(buf, moved, face.size, pasted, float(brows), floor if brow_floor else None)
                if stop is not None and stop.is_set():
                    buf[y0:y1, x0:x1] = before
                    return None
                # the try's dlib descriptor on the check thread while its expression is checked here (both only read
                # ``buf``); wanted only when the expression is kept, so joined (or cancelled) before ``buf`` changes
                ident = (
                    None if original is None else _CHECK_POOL.submit(_timed, measures.identity_descriptor, buf, face)
                )
                expression = _expression(buf, face, front)
                descriptor = None
                if ident is not None and not (expression is None or _kept(expression)) and ident.cancel():
                    ident = None
                if ident is not None:
                    descriptor, ident_cpu = ident.result()
                    cpu += ident_cpu
                if (amount <= 0 and shape_amount <= 0) or expression is None or _kept(expression) or gain > 1.0:
                    break  # (halved, the stronger proportions would only repeat a try: not valid, next candidate)
                if amount > 0:
                    amount = 0.0 if amount < 0.3 else amount * 0.5
                else:
                    shape_amount = 0.0
                buf[y0:y1, x0:x1] = before
            kept = expression is None or _kept(expression)
            crop = buf[y0:y1, x0:x1].copy() if kept else None
            buf[y0:y1, x0:x1] = before
            return {
                "head": moved - np.array([x0, y0], np.float32) if photo is not clean else None,  # a moved head's mesh
                # (box px: _in_own_colour)
                "expression": expression,
                "descriptor": descriptor,
                "crop": crop,
                "amount": amount,
                "shape": {k: v * shape_amount for k, v in shape.items() if shape_amount > 0},
                "cpu": cpu,
            }

        def collect(fut: Future) -> dict[str, Any] | None:
            """A pair's second try (:data:`_TRY_POOL`): its result, its thread's and descriptor's CPU counted; None
            when it had not begun (cancelled: the pool was busy with other faces' tries) or gave up (``stop``)."""
            nonlocal check_cpu
            if fut.cancel():
                return None
            res, cpu2 = fut.result()
            check_cpu += cpu2 + (res["cpu"] if res is not None else 0.0)
            return res

        ahead: dict[int, tuple[tuple, Future, threading.Event]] = {}  # the second try of a pair, started beside
        # the first, with its own stop: set when the tries end, or when the loop passes its place without it

        def give_up(m: int) -> None:
            """The second try started for place ``m`` stopped (it gives up at its next check) and waited for: it
            writes ``spare``, which the next pair's second try writes too (two on it at once gave t1 #3's last
            outline try 0.16 instead of 0.756 on a busy host, the bytes of another kept try in CI)."""
            _, fut, halt = ahead.pop(m)
            halt.set()
            collect(fut)

        spare: np.ndarray | None = None  # its copy of ``out`` (one per face, reused)
        heads_at = [n for n, (_, c) in enumerate(plan) if isinstance(c.head, dict)]  # the outline tries' places
        ordered = False
        brows_from, brows_gain = math.inf, -math.inf  # the best before the first brows try, and how far it went past

        def warm_next(n: int, spec: tuple) -> None:
            """The geometry of the try after ``n`` (``spec``) started ahead while try ``n`` renders, as the tries so
            far say it will be (:func:`resolve`; the outlines in :func:`_outline_first`'s order) and as they would if
            try ``n`` became the best (its texture, outline and shape the next one's base). What try ``n`` makes of
            it (another best, the end of the tries) decides which is read: the same bytes either way, only the ahead
            thread's time spent on the other."""
            nonlocal best_try, outline
            if not AHEAD or (n >= 1 and best is not None and best[0] >= seek_at):
                return  # (the tries end before the next whatever try n gives)
            for m in (n + 1, n + 2) if n + 1 in brows_at[1:] else (n + 1,):  # (the other brows may be skipped)
                if m < len(plan):
                    warm_at(m, spec)

        def warm_at(m: int, spec: tuple) -> None:
            """:func:`warm_next` for place ``m`` of the plan (``spec``: the try before it, now rendering)."""
            nonlocal best_try, outline
            _, texture, head, brows, with_shape, gain, move, _ = spec
            now = (best_try, outline)
            if_best = Candidate(texture, head, move, brows, with_shape, brow_floor=True, gain=gain)
            for base in (now, (if_best, (0.0, if_best) if isinstance(head, dict) else outline)):
                best_try, outline = base
                try:
                    cand = plan[m][1]
                    if OUTLINE_ORDER and not ordered and m in heads_at and len(heads_at) == len(HEADS):
                        tex = textures.get(best_try.texture)
                        if tex is None:
                            continue
                        cand = plan[heads_at[_outline_first(face.mesh, tex.face.mesh)[0]]][1]
                    act, nxt = resolve(m, cand)
                finally:
                    best_try, outline = now
                if act == "run" and nxt is not None:
                    warm(nxt)

        for n, (_, cand) in enumerate(plan):
            if n >= 2 and best is not None and best[0] >= seek_at:
                break  # (after the anti-face try, even when it was skipped)
            if OUTLINE_ORDER and not ordered and n in heads_at and len(heads_at) == len(HEADS):
                ordered = True  # the outlines in the predicted order (their generators, keyed by their place, kept)
                outline_plan = [plan[k] for k in heads_at]
                order = _outline_first(face.mesh, textures[best_try.texture].face.mesh)
                for k, i in zip(heads_at, order, strict=True):
                    plan[k] = outline_plan[i]
                cand = plan[n][1]
            elif (
                OUTLINE_ORDER
                and ordered
                and n in heads_at[1:]
                and best is not None
                and best[0] >= verify_at
                and (
                    isinstance(best_try.head, dict)
                    or (OTHER_OUTLINE_SHORT and outline is not None and outline[0] >= best[0] - OUTLINE_WRONG_WAY)
                )
            ):
                continue  # the first outline took the face past the margin (or it was past it already and the first
                # outline went the right way): the other way is not tried
            if n in brows_at[1:] and brows_gain >= BROWS_ENOUGH:
                continue  # the first brows try took the face further: the other weight is not tried
            if brows_at and n == brows_at[0] and best is not None:
                brows_from = best[0]  # (what the first brows try is measured against)
            act, spec = resolve(n, cand)
            got = None
            if n in ahead:  # started beside the try before: its result stands when the tries before it say the same
                spec_ahead, fut, _ = ahead.pop(n)
                res = collect(fut)  # (None when not begun: it runs here)
                if act == "run" and spec == spec_ahead and res is not None:
                    got = res
            if act == "break":
                hopeless = n == textures_end  # the texture tries ended HOPELESS_GAP short (resolve): said in the status
                break
            if act == "skip" or spec is None:
                continue
            if got is None:
                if PAIR_TRIES and n + 1 < len(plan) and _pair(plan[n][0], plan[n + 1][0]):
                    act2, spec2 = resolve(n + 1, plan[n + 1][1])
                    if act2 == "run" and spec2 is not None:
                        if spare is None:
                            spare = out.copy()
                        for m in list(ahead):  # one the loop skipped past (BROWS_ENOUGH, the other outline):
                            give_up(m)  # done with ``spare`` before the next one starts on it
                        halt = threading.Event()
                        ahead[n + 1] = (spec2, _TRY_POOL.submit(_timed, run_try, spec2, spare, halt), halt)
                if AHEAD and spec[1] not in textures and anti_job is not None:  # (as run_try would, first)
                    anti_made(spec[1])
                warm_next(n, spec)
                got = run_try(spec, out)
                assert got is not None
                check_cpu += got["cpu"]
            key, texture, head, brows, with_shape, gain, move, brow_floor = spec
            target = textures[texture]
            label = " ".join(
                [target.name]
                + ([f"{k} {v:+g}" for k, v in head.items()] if isinstance(head, dict) else [])
                + [f"{k} {v:+g}" for k, v in move.items()]
                + ([f"brows {brows:+g}" + ("" if brow_floor else " unbounded")] if brows else [])
                + (["shape"] if with_shape else [])
            )
            tried.append(label)
            expression = got["expression"]
            if expression is not None and not _kept(expression):
                distances.append(None)  # this target changes the expression by itself: not a valid swap
                continue
            if original is None:
                best = (float("nan"), target.name, got["crop"], expression)
                break
            assert got["descriptor"] is not None  # (joined for every try whose expression was kept)
            d = float(np.linalg.norm(original - got["descriptor"]))
            distances.append(round(d, 3))
            if texture == "anti" and lit_at is not None:
                cut_at[0] = d
            if brows_at and n == brows_at[0]:
                brows_gain = d - brows_from
            tried_as = Candidate(texture, head, move, brows, with_shape, brow_floor=True, gain=gain)
            if isinstance(head, dict) and (outline is None or d > outline[0]):
                outline = (d, tried_as)
            lead = RIDGE_LEAD if texture == "lit" and best_try.texture == "anti" else 0.0  # (the clean one kept
            if best is None or d > best[0] + lead:  # unless the lit one is clearly farther)
                best = (d, target.name, got["crop"], expression)
                best_try, best_amount = tried_as, got["amount"]
                best_shape, best_head = got["shape"], got["head"]
            if d >= seek_at and n >= 1:
                break  # a gallery face past it still meets the anti-face: the farther is kept (a gallery nose warped
                # onto a turned face leaves a dark crease the anti-face, made from the face itself, does not:
                # tom_hanks, look.nose_line; and the issue asks for the target that moves a face the furthest)
        for _, _, halt in ahead.values():  # the tries have ended: a second try still running gives up
            halt.set()
        if anti_job is not None and "anti" not in textures and not anti_job.cancel():  # made, never used
            anti_cpu[0] = anti_job.result()[1]
        check_cpu += anti_cpu[0]
        for m in list(ahead):  # a pair's second try when the first stopped: not used (given up at once)
            give_up(m)
        for job in early:  # the geometry done ahead: its thread's CPU (one still running is not waited for)
            if not job.cancel() and job.done():
                check_cpu += job.result()
        if nose_free:  # (the nose light's base: the farthest try, what its light is drawn from, the cost)
            return {
                "best": best,
                "tried": tried,
                "distances": distances,
                "textures": {**textures, **({"lit": lit[0]} if lit else {})},
                "clean": clean,
                "front": front,
                "unknown": _either(frames, front),
                "box": box,
                "original": original,
                "best_try": best_try,
                "amount": best_amount,
                "shape": best_shape,
                "head": best_head,
                "cpu": check_cpu,
            }
        row: dict[str, Any] = {
            "face": face.index,
            "size_px": round(face.size),
            "verified": original is not None,
            "margin": VERIFY_MARGIN,
            "tries": distances,
            "tried": tried,
            "reshape": round(best_amount, 3),
            "apparent_age": age,
            "frames_cpu_seconds": round(frames_cpu, 3),  # the frame fill's thread (apply adds it to cpu_seconds)
            "check_cpu_seconds": round(check_cpu, 6),  # and the check thread's
        }
        if front is not None:  # the share of the face oval something in front of it hides (kept, not swapped)
            row["in_front"] = round(float(front[face_mask(pixels.shape, face)].mean()), 3)
        if best is None:
            row.update(
                self._hide_instead(
                    out,
                    pixels,
                    face,
                    original,
                    f"every synthetic face moved the expression {EXPRESSION_LIMIT:.0%} or more",
                    others=others,
                )
            )
            return row
        d, name, crop, expression = best
        late = None
        finished = False  # the centre colour and shaped brows already judged (FINISH_SHORT)
        for gain in (STRONG_GAIN, STRONGER_GAIN) if STRONGER_GAIN else (STRONG_GAIN,):  # (the second pass: a face
            # still short after the first, its strong outline try moved STRONGER_GAIN x instead)
            if original is None or d >= VERIFY_MARGIN or not NOSE_LIGHT or face.size < NOSE_LIGHT_MIN_SIZE:
                break
            late = self._nose_light_try(
                out, pixels, face, targets, reshape, verify, face_seed, others, frames_job, gain
            )
            first = gain == STRONG_GAIN
            row["nose_light" if first else "nose_light_stronger"] = late["report"]
            check_cpu += late["cpu"]
            row["check_cpu_seconds"] = round(check_cpu, 6)
            if late["crop"] is not None:
                d, name, crop, expression = late["distance"], late["name"], late["crop"], late["expression"]
                distances.append(round(d, 3))
                tried.append(late["label"] + ("" if first else f" (the outline x{gain:g})"))
                best_try, best_amount, best_shape = late["best_try"], late["amount"], late["shape"]
                best_head = late["head"]
                row["reshape"] = round(best_amount, 3)
                break
            short = late.get("short")
            if short is not None and not (short["distance"] > d and short["box"] == box):
                short = None  # (the nose light's farthest, when farther than the tries)
            if not (FINISH_SHORT and VERIFY_MARGIN - FINISH_GAP <= max(d, short["distance"] if short else 0)):
                break  # (further short: hidden, as before)
            if short is not None:
                f_crop, f_d, f_expr, f_head = short["crop"], short["distance"], short["expression"], short["head"]
            else:
                f_crop, f_d, f_expr, f_head = crop, d, expression, best_head
            said: dict[str, Any] = {"from": round(f_d, 3)}
            if f_head is not None and CENTRE_COLOUR and face.size >= COLOUR_MIN_SIZE and frames is None:
                f_crop, f_d, f_expr, said["centre_colour"] = _in_own_colour(
                    out, clean, face, f_crop, f_head, box, original, front, f_d, f_expr, floor=f_d + FINISH_STEP
                )
            if BROW_SHAPE and face.size >= BROW_SHAPE_MIN_SIZE:
                f_crop, f_d, f_expr, said["brow_shape"] = _in_shaped_brows(
                    out, face, f_crop, box, original, front, f_d, f_expr, floor=f_d + FINISH_STEP
                )
            said["distance"] = round(f_d, 3)
            row["finished_short" if first else "finished_short_stronger"] = said
            if f_d >= VERIFY_MARGIN:  # the face as it would be saved clears the margin: a swap
                finished = True
                if short is not None:
                    name = short["name"]
                    distances.append(round(short["distance"], 3))
                    tried.append(short["label"] + ("" if first else f" (the outline x{gain:g})"))
                    best_try, best_amount, best_shape = short["best_try"], short["amount"], short["shape"]
                    best_head = short["head"]
                    row["reshape"] = round(best_amount, 3)
                crop, d, expression = f_crop, f_d, f_expr
                for k in ("centre_colour", "brow_shape"):
                    if k in said:
                        row[k] = said[k]
                break
        if original is not None and d < VERIFY_MARGIN:
            out[y0:y1, x0:x1] = before
            row.update(
                self._hide_instead(
                    out,
                    pixels,
                    face,
                    original,
                    f"the best of {len(distances)} tries ({', '.join(tried)}) reached only {d:.3f} < {VERIFY_MARGIN}"
                    + ("; too far under it for an outline or proportions to close" if hopeless else "")
                    + (
                        f"; with the nose's light changed {late['report']['best']:.3f}"
                        if late is not None and late["report"].get("best") is not None
                        else ""
                    ),
                    made=(box, crop),
                    others=others,
                )
            )
            return row
        if not finished and best_head is not None and CENTRE_COLOUR and face.size >= COLOUR_MIN_SIZE and frames is None:
            # a moved
            # head: the person's own skin colour in place, kept when the face still clears the margin with it (checked
            # as a try); not on a small face (its face size / 20 is the JPEG's colour grid: faces.blend.
            # COLOUR_MIN_SIZE) nor behind glasses (the lenses' tint is in the photo's colour there: a ghost of them)
            crop, d, expression, row["centre_colour"] = _in_own_colour(
                out, clean, face, crop, best_head, box, original, front, d, expression
            )
        if not finished and BROW_SHAPE and face.mesh is not None and face.size >= BROW_SHAPE_MIN_SIZE:  # the brows
            crop, d, expression, row["brow_shape"] = _in_shaped_brows(
                out, face, crop, box, original, front, d, expression
            )
        if PHOTO_LIGHT and face.mesh is not None and face.size >= PHOTO_LIGHT_MIN_SIZE:  # the photo's own light on it
            crop, d, expression, row["photo_light"] = _in_photo_light(
                out, clean, face, crop, best_head, box, original, front, d, expression
            )
        pasted = _looks_pasted(pixels, crop, box, face) if original is not None else None
        if pasted is not None:  # a small face's swap that reads worse than the photo: hidden as one under the margin
            out[y0:y1, x0:x1] = before
            row.update(self._hide_instead(out, pixels, face, original, pasted, made=(box, crop), others=others))
            return row
        out[y0:y1, x0:x1] = crop
        row.update(done=f"swap to {name}", expression=expression)
        if best_shape:
            row["shape"] = {k: round(v, 3) for k, v in best_shape.items()}
        if isinstance(best_try.head, dict):
            row["outline"] = {k: round(v * best_amount, 3) for k, v in best_try.head.items()}
        if best_try.brows:
            row["brows"] = best_try.brows
        if original is not None:
            row["distance"] = round(d, 3)
        return row

    def _swap_bounded(
        self,
        out: np.ndarray,
        pixels: np.ndarray,
        face: Face,
        targets: list[Target],
        reshape: float,
        verify: bool,
        face_seed: int,
        others: np.ndarray,
    ) -> dict[str, Any]:
        """:meth:`_swap_verified` of a face over ``WORK_FACE`` px on a working copy (in place on ``out``).

        The photo around the face (``WORK_REACH`` x face size each side of its box) is scaled down (area) so that the
        face is ``WORK_SIZES[0]`` px, the face's box, points and mesh with it; the whole swap runs there (detection is not
        redone: the face found on the photo, scaled). What the swap changed is scaled back up (cubic) and pasted
        over the photo with a soft edge, with the photo's own grain (:func:`_photo_grain`) put back on it. On a big
        photo each face's work is then that of a small photo's, whatever the photo's size (a 24 MP upscale of the
        group photo: ~550 px faces). With the recogniser at hand the pasted face is checked again at full size; one
        that is not past ``VERIFY_MARGIN`` there (dlib reads a face at 350 px differently from its copy at 128: on a 12 MP
        t1, 0.765 -> 0.694) is swapped again at the next of ``WORK_SIZES``; when none clears it, the farthest blurred
        head stays if dlib no longer calls it the same person (``SAME_PERSON``), else the face is swapped at full size,
        as before (the report's ``bounded`` says why).
        """
        h, w = pixels.shape[:2]
        reach = WORK_REACH * face.size
        bx0, by0, bx1, by1 = face.box
        x0, y0 = max(0, math.floor(bx0 - reach)), max(0, math.floor(by0 - reach))
        x1, y1 = min(w, math.ceil(bx1 + reach)), min(h, math.ceil(by1 + reach))
        region = pixels[y0:y1, x0:x1]
        base = out[y0:y1, x0:x1].copy()  # the result so far: the neighbours swapped before this face, kept under its
        # paste and put back when a try is undone (pasting over, or undoing to, ``region`` put a neighbour's old face
        # back after its check: 24 MP t1 #1 reported 0.763, read 0.742 on the result)
        original: list[np.ndarray | None] = []  # the person's descriptor at full size (read once, when needed)
        short: list[str] = []  # the working sizes whose swap fell short at full size

        def at(size: int) -> tuple[dict[str, Any], float | None]:
            """The swap on a copy with the face ``size`` px, pasted into ``out``; its full-size dlib distance."""
            k = size / face.size
            sw, sh = max(1, round((x1 - x0) * k)), max(1, round((y1 - y0) * k))
            kx, ky = sw / (x1 - x0), sh / (y1 - y0)
            small = cv2.resize(region, (sw, sh), interpolation=cv2.INTER_AREA)

            def to_small(pts: np.ndarray) -> np.ndarray:
                return ((pts - np.array([x0, y0], np.float32)) * np.array([kx, ky], np.float32)).astype(pts.dtype)

            box = np.array(face.box, np.float32).reshape(2, 2)
            work = replace(
                face,
                box=tuple(float(v) for v in to_small(box).ravel()),  # type: ignore[arg-type]
                kps=to_small(face.kps),
                mesh=None if face.mesh is None else to_small(face.mesh),
                mesh_depth=None
                if face.mesh_depth is None
                else (face.mesh_depth * (kx + ky) / 2).astype(face.mesh_depth.dtype),
            )
            small_others = cv2.resize(others[y0:y1, x0:x1].view(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST)
            small_out = small.copy()
            row = self._swap_verified(small_out, small, work, targets, reshape, verify, face_seed, small_others > 0)
            changed = np.any(small_out != small, axis=2)
            row["size_px"] = round(face.size)
            row["work_px"] = round(work.size)
            if not changed.any():
                return row, None
            alpha = cv2.resize(changed.astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
            soft = max(1.0, 0.5 / min(kx, ky))  # half a working pixel: the working copy's own edge, no wider
            alpha = np.clip(cv2.GaussianBlur(alpha, (0, 0), soft), 0.0, 1.0)[..., None]
            up = cv2.resize(small_out, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC).astype(np.float32)
            if str(row.get("done", "")).startswith("swap") or not HIDDEN_NO_GRAIN:  # (a hidden head takes none of
                up += _photo_grain(region, small)  # the photo's fine detail back: HIDDEN_NO_GRAIN)
            pasted = base.astype(np.float32) * (1.0 - alpha) + up * alpha
            out[y0:y1, x0:x1] = np.clip(np.rint(pasted), 0, 255).astype(np.uint8)
            if not (verify and "distance" in row and row.get("verified")):
                return row, None
            if not original:
                with contextlib.suppress(ModelUnavailable):
                    original.append(measures.identity_descriptor(pixels, face))
            if not original or original[0] is None:
                return row, None
            d = round(float(np.linalg.norm(original[0] - measures.identity_descriptor(out, face))), 3)
            row["work_distance"], row["distance"] = row["distance"], d
            return row, d

        hidden: tuple[float, dict[str, Any], np.ndarray] | None = None  # the farthest blurred head so far
        for size in WORK_SIZES:
            row, d = at(size)
            if d is None or d >= VERIFY_MARGIN:
                if short:
                    row["bounded"] = "; ".join(short)
                return row
            swapped = str(row.get("done", "")).startswith("swap")
            if not swapped and (hidden is None or d > hidden[0]):
                hidden = (d, row, out[y0:y1, x0:x1].copy())
            out[y0:y1, x0:x1] = base  # dlib reads the full-size face differently from its copy: the next size
            short.append(
                f"{'swapped' if swapped else 'hidden'} at {size} px it reached {row['work_distance']:.3f} there, "
                f"{d:.3f} at full size"
            )
        if hidden is not None and hidden[0] > SAME_PERSON:  # hidden past dlib's same-person line: that blur stays
            out[y0:y1, x0:x1] = hidden[2]
            hidden[1]["bounded"] = "; ".join(short)
            return hidden[1]
        row = self._swap_verified(out, pixels, face, targets, reshape, verify, face_seed, others)  # as before
        row["work_px"] = None
        row["bounded"] = "; ".join(short)
        return row

    def _nose_light_try(
        self,
        out: np.ndarray,
        pixels: np.ndarray,
        face: Face,
        targets: list[Target],
        reshape: float,
        verify: bool,
        face_seed: int,
        others: np.ndarray | None,
        job: Future | None,
        strong_gain: float = STRONG_GAIN,
    ) -> dict[str, Any]:
        """The last try of a face every try left short of the margin (issue 14: t1 #2, a turned head, ended 0.565;
        bench/faces_nose.py): the farthest of every try with the nose not narrowed (:meth:`_swap_verified`,
        ``nose_free``; the narrowing is what held it back: 0.695 against 0.670), and on its nose the anti-face's
        light layout (:func:`faces.blend.light_layout`: the lightness below ``NOSE_LIGHT_SIGMA`` x face size of the
        anti-face swapped onto the face's mesh with its nose moved to the anti-face's, the colour following it as
        the photo's skin does; only a change of light and colour, so it cannot tear the nose). Checked as every try
        (the expression, dlib) and by the look measures against the base: nothing newly pasted-looking
        (:func:`faces.measures.looks_pasted`), no paler or greyer skin (:func:`faces.measures.skin_fade`), no
        colour the photo's skin does not take (:func:`faces.measures.tint_mismatch`). ``crop`` is None when it
        does not pass; ``report`` says what it reached either way; ``short``: its farthest result that passes the look
        checks but not the margin, when farther than its base (for FINISH_SHORT). ``strong_gain``: the base's strong
        outline try's gain (STRONGER_GAIN on the second pass)."""
        base = self._swap_verified(
            out.copy(),
            pixels,
            face,
            targets,
            reshape,
            verify,
            face_seed,
            others,
            job,
            nose_free=True,
            strong_gain=strong_gain,
        )
        found: dict[str, Any] = {"crop": None, "cpu": base["cpu"], "report": {}}
        textures, original, best = base["textures"], base["original"], base["best"]
        if "plain" in NOSE_LIGHT_DONORS and "anti" in textures and face.mesh is not None:  # (without the gallery
            textures["plain"] = replace(  # face's fine detail: only its light is taken)
                anti_target(base["clean"], face, ANTI_STRENGTH, None, base["unknown"]), name="anti-face plain"
            )
        donors = [textures[k] for k in NOSE_LIGHT_DONORS if k in textures]
        if best is None or original is None or not donors or face.mesh is None:
            found["report"] = {"why": "no base try or no anti-face"}
            return found
        d0, name, crop, _ = best
        base_try = base["tried"][base["distances"].index(round(d0, 3))]
        x0, y0, x1, y1 = base["box"]
        clean, front = base["clean"], base["front"]
        size = face.size
        photo = pixels[y0:y1, x0:x1]
        shift = np.array([x0, y0], np.float32)
        local = replace(face, box=(face.box[0] - x0, face.box[1] - y0, face.box[2] - x0, face.box[3] - y0))
        local = replace(local, mesh=face.mesh - shift, kps=face.kps - shift)
        skin = measures.skin_region(photo.shape, local.mesh, size)
        slopes = measures.skin_tint_slopes(cv2.cvtColor(photo, cv2.COLOR_RGB2Lab).astype(np.float32), skin)
        k = 2 * max(1, round(NOSE_LIGHT_GROW * size)) + 1
        nose = mesh_parts(pixels.shape[:2], face.mesh)[1]["nose"].astype(np.uint8)
        grown = cv2.dilate(nose, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0
        fade0 = measures.skin_fade(photo, crop, local)
        pasted0 = set(measures.looks_pasted(measures.pasted_defects(photo, crop, local)))
        report: dict[str, Any] = {"base": round(d0, 3), "base_try": base_try, "donors": {}}
        found["report"] = report
        buf = out.copy()
        for donor_t in donors:
            moved = geometry.nose_toward(face.mesh, donor_t.face.mesh, size)
            donor = clean.copy()
            rng = face_rng(face_seed, face.index, NOSE_LIGHT_KEY)
            mesh_swap(donor, clean, replace(face, mesh=moved), donor_t, keep_mouth=False, rng=rng)
            region = grown | mesh_parts(pixels.shape[:2], moved)[1]["nose"].astype(bool)  # (the moved nose too)
            if front is not None:
                region &= ~front
            m = region[y0:y1, x0:x1]
            result = crop.copy()
            lit = light_layout(crop, donor[y0:y1, x0:x1], NOSE_LIGHT_SIGMA * size, slopes)
            alpha_paste(result, lit, m, inner_alpha(m, max(2.0, NOSE_LIGHT_EDGE * size)))
            buf[y0:y1, x0:x1] = result
            said: dict[str, Any] = {}
            report["donors"][donor_t.name] = said
            expression = _expression(buf, face, front)
            if expression is not None and not _kept(expression):
                said["why"] = f"the expression moved {expression['max']:.3f}"
                continue
            d = float(np.linalg.norm(original - measures.identity_descriptor(buf, face)))
            fade = measures.skin_fade(photo, result, local)
            pasted = set(measures.looks_pasted(measures.pasted_defects(photo, result, local))) - pasted0
            nose_m = m & skin
            tint0 = tint = 0.0
            if slopes is not None and nose_m.sum() >= 32:
                tint0 = measures.tint_mismatch(cv2.cvtColor(crop, cv2.COLOR_RGB2Lab).astype(np.float32), nose_m, slopes)
                tint = measures.tint_mismatch(
                    cv2.cvtColor(result, cv2.COLOR_RGB2Lab).astype(np.float32), nose_m, slopes
                )
            said.update(
                distance=round(d, 3),
                pale_share=[fade0["pale_share"], fade["pale_share"]],
                grey_p10=[fade0["grey_p10"], fade["grey_p10"]],
                tint=[round(tint0, 2), round(tint, 2)],
                pasted=sorted(pasted),
            )
            looks = ["looks pasted"] if pasted else []
            if (
                fade["pale_share"] > fade0["pale_share"] + NOSE_LIGHT_PALE
                or fade["grey_p10"] < fade0["grey_p10"] - NOSE_LIGHT_GREY
            ):
                looks.append("paler skin")
            if tint > tint0 + NOSE_LIGHT_TINT:
                looks.append("off-colour nose")
            if looks:
                said["why"] = ", ".join(looks)
                continue
            made = {
                "crop": result,
                "distance": d,
                "name": name,
                "expression": expression,
                "label": f"{base_try} nose light of {donor_t.name}",
                "best_try": base["best_try"],
                "amount": base["amount"],
                "shape": base["shape"],
                "head": base["head"],
                "clean": clean,
                "front": front,
                "box": base["box"],
            }
            if d >= VERIFY_MARGIN and (found["crop"] is None or d > found["distance"]):
                found.update(made)
            elif d > d0 and ("short" not in found or d > found["short"]["distance"]):
                found["short"] = made  # short of the margin, but farther than its base (FINISH_SHORT)
        tried_d = [v["distance"] for v in report["donors"].values() if "distance" in v]
        report["best"] = max(tried_d) if tried_d else None
        return found

    def _full_verified(
        self,
        out: np.ndarray,
        pixels: np.ndarray,
        face: Face,
        rng: np.random.Generator,
        manager: ModelManager,
        verify: bool,
    ) -> dict[str, Any]:
        """inswapper to a synthetic identity far from the face on the ArcFace sphere, checked by ArcFace."""
        original = None if face.embedding is None else normed(face.embedding)
        row: dict[str, Any] = {
            "face": face.index,
            "size_px": round(face.size),
            "margin": ARCFACE_MARGIN,
            "verified": bool(verify and original is not None),
            "tries": [],
        }
        box = geometry.padded_box(np.array(face.box, np.float32).reshape(2, 2), pixels.shape, 0.1 * face.size + 4)
        x0, y0, x1, y1 = box
        before = out[y0:y1, x0:x1].copy()
        best: tuple[float, np.ndarray] | None = None
        for _ in range(FULL_TRIES if row["verified"] else 1):
            full_swap(out, pixels, face, far_identity(rng, original), manager)
            if not row["verified"] or original is None:
                row.update(done="swap to a synthetic identity")
                return row
            sim = measures.arcface_similarity(manager, out, face, original)
            row["tries"].append(round(sim, 3))
            if best is None or sim < best[0]:
                best = (sim, out[y0:y1, x0:x1].copy())
            if sim <= ARCFACE_MARGIN:
                break
            out[y0:y1, x0:x1] = before
        assert best is not None
        sim, crop = best
        row["similarity"] = round(sim, 3)
        if sim > ARCFACE_MARGIN:
            out[y0:y1, x0:x1] = before
            why = f"ArcFace still found it {sim:.2f} similar (margin {ARCFACE_MARGIN}) after {len(row['tries'])} identities"
            conceal_face(out, pixels, face, CONCEAL_STEPS[1])
            row.update(done=f"blur of the head ({why})", why=why)
            return row
        out[y0:y1, x0:x1] = crop
        row.update(done="swap to a synthetic identity")
        return row


LOOK_GATE_SIZE = 50  # px: a smaller face's swap is hidden when it looks pasted (_looks_pasted); it is not required to
# reach the margin either (its few pixels leave dlib little to read, and at that size a defect is a good share of it)


def _check_in_place(
    out: np.ndarray,
    box: tuple[int, int, int, int],
    new: np.ndarray,
    face: Face,
    front: np.ndarray | None,
    original: np.ndarray,
    floor: float = VERIFY_MARGIN,
) -> tuple[dict[str, float] | None, float, bool]:
    """A finished swap's later change ``new`` (in ``box``) checked as a try: put in ``out`` for the expression and dlib
    and taken out again (``out`` left as it was). Returns (the expression's movement, the dlib distance from
    ``original``, whether it passes: at least ``VERIFY_MARGIN`` and the expression kept)."""
    x0, y0, x1, y1 = box
    before = out[y0:y1, x0:x1].copy()
    out[y0:y1, x0:x1] = new
    try:
        moved_by = _expression(out, face, front)
        descriptor = measures.identity_descriptor(out, face)
    finally:
        out[y0:y1, x0:x1] = before
    d2 = float(np.linalg.norm(original - descriptor))
    return moved_by, d2, d2 >= floor and (moved_by is None or _kept(moved_by))


def _in_own_colour(
    out: np.ndarray,
    clean: np.ndarray,
    face: Face,
    crop: np.ndarray,
    moved: np.ndarray,
    box: tuple[int, int, int, int],
    original: np.ndarray | None,
    front: np.ndarray | None,
    d: float,
    expression: dict[str, float] | None,
    floor: float = VERIFY_MARGIN,
) -> tuple[np.ndarray, float, dict[str, float] | None, dict[str, Any]]:
    """The chosen swap ``crop`` (in ``box``; ``d``: its dlib distance) of a try that moved the head (``moved``: its
    mesh, box px) with the person's own skin
    colour put back in place (:func:`faces.blend.centre_colour`, from ``clean``: the photo without frames), checked as
    a try (``out``'s box holds the face's before; left so): kept when the expression holds and dlib still sets it at
    least ``VERIFY_MARGIN`` from the ``original`` descriptor (always without one). Returns (crop, distance,
    ``expression`` (its own when kept and checked), what was done: ``distance``, ``kept``). On the calling thread (its
    CPU is the face's own)."""
    x0, y0, x1, y1 = box
    mesh = face.mesh - np.array([x0, y0], np.float32)
    new = centre_colour(
        crop, clean[y0:y1, x0:x1], mesh, moved, face.size, None if front is None else front[y0:y1, x0:x1]
    )
    if original is None:
        return new, d, expression, {"kept": True}
    moved_by, d2, kept = _check_in_place(out, box, new, face, front, original, floor)
    said = {"distance": round(d2, 3), "kept": kept}
    return (new, d2, moved_by, said) if kept else (crop, d, expression, said)


def _in_photo_light(
    out: np.ndarray,
    clean: np.ndarray,
    face: Face,
    crop: np.ndarray,
    moved: np.ndarray | None,
    box: tuple[int, int, int, int],
    original: np.ndarray | None,
    front: np.ndarray | None,
    d: float,
    expression: dict[str, float] | None,
) -> tuple[np.ndarray, float, dict[str, float] | None, dict[str, Any]]:
    """The chosen swap ``crop`` (in ``box``; ``d``: its dlib distance; ``moved``: its mesh in box px when its head was
    moved, else None) with the photo's own light pattern on its skin (:func:`faces.blend.photo_light`, from ``clean``:
    the photo without frames) at the first share of ``PHOTO_LIGHT`` that passes the check of a try (the expression
    kept, dlib still at least ``VERIFY_MARGIN`` from the ``original`` descriptor, and with ``PHOTO_LIGHT_HEADROOM`` at
    least ``SEEK_MARGIN`` or ``d`` when that is nearer; the first share always without one);
    none passing: the swap as it was. Returns (crop, distance, expression, what was done: ``share`` (0: none),
    ``distances``). On the calling thread (its CPU is the face's own)."""
    x0, y0, x1, y1 = box
    mesh = face.mesh - np.array([x0, y0], np.float32)
    keep = None if front is None else front[y0:y1, x0:x1]
    said: dict[str, Any] = {"share": 0.0, "distances": []}
    for share in PHOTO_LIGHT:
        new = photo_light(crop, clean[y0:y1, x0:x1], mesh, moved, face.size, share, keep)
        if original is None:
            said["share"] = share
            return new, d, expression, said
        moved_by, d2, kept = _check_in_place(out, box, new, face, front, original)
        said["distances"].append(round(d2, 3))
        if kept and (not PHOTO_LIGHT_HEADROOM or d2 >= min(d, SEEK_MARGIN)):
            said["share"] = share
            return new, d2, moved_by, said
    return crop, d, expression, said


def _shaped_brows(crop: np.ndarray, mesh: np.ndarray, size: float) -> np.ndarray:
    """``crop`` (uint8 RGB) with its brows drawn in their own outline: in the soft band :func:`_brow_band` restyles
    (around ``mesh``'s brow landmarks, in ``crop``'s pixels; the face oval as the paste), each pixel's darkness below
    the skin just above the brows (median L of the band's outer rim) kept in full inside the brow's outline (the
    polygon of its landmarks: the brow's curve, not its convex hull) and fading out as a Gaussian
    ``BROW_SHAPE_FALLOFF`` x the reach wide outside it; texture and colour kept. A gallery face's broad brows and the
    darker-brows restyle's spread (a grey erosion) filled the band around the brow: a flat, square-ended bar (t1
    #5, faces.measures.brow_fill)."""
    from faces.landmarks import FACE_OVAL
    from faces.masks import polygon_mask

    pasted = polygon_mask(crop.shape, mesh[FACE_OVAL][:, :2])
    band = _brow_band(crop.shape, mesh, size, pasted)
    if band is None:
        return crop
    (x0, y0, x1, y1), rad, inside, w = band
    lab = cv2.cvtColor(crop[y0:y1, x0:x1].astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    skin = lab[..., 0][(w < 0.05) & (inside > 0)]
    if len(skin) < 8:
        return crop
    ref = float(np.median(skin))
    outline = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for idx in (LEFT_BROW, RIGHT_BROW):  # lower edge out -> in, upper edge in -> out: the brow's own curve
        cv2.fillPoly(outline, [np.round(mesh[idx][:, :2] - (x0, y0)).astype(np.int32)], 1)
    dist = cv2.distanceTransform(1 - outline, cv2.DIST_L2, 3)
    keep = np.exp(-((dist / max(BROW_SHAPE_FALLOFF * rad, 0.5)) ** 2))
    new = lab.copy()
    new[..., 0] = ref - keep * np.clip(ref - lab[..., 0], 0.0, None) + np.clip(lab[..., 0] - ref, 0.0, None)
    lab += w[..., None] * (new - lab)
    out = crop.copy()
    out[y0:y1, x0:x1] = np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def _in_shaped_brows(
    out: np.ndarray,
    face: Face,
    crop: np.ndarray,
    box: tuple[int, int, int, int],
    original: np.ndarray | None,
    front: np.ndarray | None,
    d: float,
    expression: dict[str, float] | None,
    floor: float = VERIFY_MARGIN,
) -> tuple[np.ndarray, float, dict[str, float] | None, dict[str, Any]]:
    """The chosen swap ``crop`` (in ``box``; ``d``: its dlib distance) with its brows in their own outline
    (:func:`_shaped_brows`, on the face's mesh), checked as :func:`_in_own_colour` checks its colour: kept when the
    expression holds, the eyes open no further than ``BROW_SHAPE_EYES`` or the swap's own, and dlib still sets it
    at least ``VERIFY_MARGIN`` from the ``original`` descriptor (always without one). Returns (crop, distance,
    expression, what was done: ``distance``, ``kept``)."""
    x0, y0, x1, y1 = box
    new = _shaped_brows(crop, face.mesh - np.array([x0, y0], np.float32), face.size)
    if front is not None:  # what lies in front of the face stays as it was
        new[front[y0:y1, x0:x1]] = crop[front[y0:y1, x0:x1]]
    if original is None:
        return new, d, expression, {"kept": True}
    moved_by, d2, kept = _check_in_place(out, box, new, face, front, original, floor)
    if kept and moved_by is not None and expression is not None:  # nor the eyes any more open than the swap had them
        kept = moved_by["eyes_opened"] <= max(expression["eyes_opened"], BROW_SHAPE_EYES)
    said = {"distance": round(d2, 3), "kept": kept}
    return (new, d2, moved_by, said) if kept else (crop, d, expression, said)


def _looks_pasted(pixels: np.ndarray, crop: np.ndarray, box: tuple[int, int, int, int], face: Face) -> str | None:
    """Why the swap ``crop`` (the result in ``box``) of a face under ``LOOK_GATE_SIZE`` px is hidden: the defects of
    :func:`faces.measures.pasted_defects` that read worse than the photo's own (:func:`faces.measures.looks_pasted`: a
    halo over an eye, a dark line beside the nose, a light line along the lips); None to keep it (or a larger face).
    messi5's 36 px face passed the margin at 0.751 with a halo over its left eye (58.6 against the photo's 26.1)."""
    if face.size >= LOOK_GATE_SIZE or face.mesh is None:
        return None
    x0, y0, x1, y1 = box
    shift = np.array([x0, y0], np.float32)
    local = replace(face, box=(face.box[0] - x0, face.box[1] - y0, face.box[2] - x0, face.box[3] - y0))
    local = replace(local, mesh=face.mesh - shift, kps=face.kps - shift)
    defects = measures.pasted_defects(pixels[y0:y1, x0:x1], crop, local)
    worse = measures.looks_pasted(defects)
    if not worse:
        return None
    said = ", ".join(
        f"{k.replace('_', ' ')} {defects[k][0]:.1f} against the photo's {defects[k][1]:.1f}" for k in worse
    )
    return f"under {LOOK_GATE_SIZE} px and its swap looks pasted ({said})"


WORK_FACE = 192  # px: a face larger than this (no bench photo has one: grace_hopper's 185 px) is swapped on a copy of
# the photo around it scaled down (AnonymizeEditor._swap_bounded) ...
WORK_SIZES = (128, 192)  # px: ... so that the face is this large there (t1's faces are 103-127 px, where every swap is
# checked by the bench; at 192 alone three of a 12 MP t1's six faces ended blurred, one at dlib 0.53); a swap that falls
# short of the margin at full size is made again at the next size, then at full size, as before; then pasted back
WORK_REACH = 1.0  # x face size: the working copy reaches this far around the face's box (the head, its hair, the
# frames, what lies in front: HEAD_GROW, FRAME_REACH, OCC_PAD all lie within it)
HIDDEN_NO_GRAIN = True  # a face hidden on the working copy (blurred, filled) is pasted back without the photo's grain
# (_photo_grain): under its clip the grain carries the face's own fine detail (lashes, glasses frames, pores) back into
# the blur, and dlib reads the person again at full size: the 12 MP composite's 317 px grace_hopper copy, blurred to
# 0.767 on the copy, read 0.690 at full size with it, 0.767 without (a blur is smooth at 1x too: it blurs the grain)
GRAIN_CLIP = 2.5  # x the grain's robust deviation: the photo's own fine detail put back on a pasted face is clipped
# here (its grain stays; an edge of the old face, a glasses frame painted out, does not come back)


def _bounded(face: Face) -> bool:
    """Whether a face is swapped on a scaled-down working copy (:meth:`AnonymizeEditor._swap_bounded`)."""
    return face.mesh is not None and face.size > WORK_FACE


def _photo_grain(region: np.ndarray, small: np.ndarray) -> np.ndarray:
    """The photo's own grain on ``region`` (float32, per channel): what its scaled-down copy ``small`` lacks (the
    region minus ``small`` scaled back up), clipped at ``GRAIN_CLIP`` times its robust deviation (1.4826 x the
    median absolute value) so that only the noise and fine texture remain, not the edges of the face it was on."""
    up = cv2.resize(small, region.shape[1::-1], interpolation=cv2.INTER_CUBIC).astype(np.float32)
    fine = region.astype(np.float32) - up
    step = max(1, int(math.sqrt(fine.shape[0] * fine.shape[1] / 250_000)))  # (the deviation from a sample)
    dev = 1.4826 * np.median(np.abs(fine[::step, ::step]), axis=(0, 1))
    lim = GRAIN_CLIP * np.maximum(dev, 0.5).astype(np.float32)
    return np.clip(fine, -lim, lim)


@EDITORS.register("anonymize")
def build_anonymize(manager: ModelManager | None = None) -> AnonymizeEditor:
    return AnonymizeEditor(manager)
