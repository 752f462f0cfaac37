"""Hair from the person's silhouette on the head: a second source beside the two hair nets (issue 11).

Both hair nets (MediaPipe's hair net and PAN's hair class, segmenters/nets.py) learnt hair mostly as dark or
coloured strands: on grey and white hair they give almost nothing, and the head's top was then left to the
hat rule (segmenters/clothes.py). The head itself is still there: the person mask (VOC person class + selfie
segmentation, segmenters/person.py) covers it. Above and beside the face mesh's oval, what belongs to the
person and is neither face, skin, a collar, nor a hat can only be hair. :func:`silhouette_hair` takes those
pixels where the hair nets were unsure, in a band around the head set by the face's own axes
(``segmenters.clothes.Frame``), as whole pieces joined to the nets' hair or to the top of the face. It uses
no colour rule: the pieces are judged by where they lie, their size and what PAN calls them. It is the
second source where the nets are unsure: where neither calls hair (white hair) and where they disagree (the
MediaPipe net calls hair, PAN does not: the fusion drops such a piece as a dark hat).

Measured on the portrait sets of tests/portraits.py (bench/parse_quality.py ``--hair-only``): the grey and
white recolours go from 0.28 to 0.59 mean hair IoU, the five new portraits from 0.71 to 0.72, the four old
ones are unchanged (0.585).

:func:`hair_under_brim` (round 5) keeps the hair beside the face out of a hat's brim: on Grace Hopper the hair net's
piece runs from her cap's brim down her temples, and ``segmenters.clothes.hat_under_clothes`` dropped it whole.
A brim lies above the face (over the face mesh's top, point 10, and straight over the oval's top, where its
lower edge curves down over the oval's upper corners); what hangs beside the face below that line is hair unless
PAN calls it clothes (a beanie or a hood comes down there too). grace_hopper 0.05 -> 0.23; no other
portrait of the three sets changes.

:func:`light_fringe` (round 8) gives the hair a white or grey fringe inside the face mesh's oval: the oval runs
up to the hairline, and the nets' fusion takes a fringe out of it only where the MediaPipe hair net is sure, which
it is not on white hair. Above the brows, pieces lighter than the face's own skin and far from its colour that
touch the hair are hair. astronaut~white 0.764 -> 0.808 (in-sample: the band between her white hair and her brows
was the case looked at); no other photo of the three sets changes, nor Tom Hanks' bare forehead.

What is left on Grace Hopper (round 10, measured at the parse's work size, 4244 labelled hair px; hair 0.206): the
968 px found are the tufts under the cap's brim. Of the 3276 missed, 957 lie inside the face mesh's oval (its upper
corners run over her temples) and 2897 inside the person, 82 % of them PAN skin, with both hair nets' median
probability under 0.01 (90th percentile 0.25). Colour does not separate them: the hair the nets found, which
:func:`_grow_beside` samples, is the brim's shadow (median L 19 of 255), and even GrabCut seeded with the labelled
temple hair itself grows 646 px beside the face of which 38 are hair; against the pixels beside the face that are
not hair, L, chroma, :func:`skin_distance`, a colour distance to the oval's rim at the same height and side, PAN
skin and either hair net give AUCs of 0.32-0.68. So neither a colour rule nor a better sample reaches her grey
hair; only a rule from where hair lies could, and that is not evidence while she is the one head it fires on.

Round 18 measured texture again, at the photo's full size (fine-scale lightness deviation, gradient energy,
structure-tensor coherence): on the pixels around the face mesh's oval that the nets and :func:`grow_hair` leave, it
parts missed hair from the rest with AUCs 0.68-0.91 on t1's heads, astronaut and the cameraman, but 0.55 on Grace
Hopper (her wrinkled skin is as busy as her fine grey curls) and 0.46-0.59 on messi5 and basketball1. As GrabCut's
third channel or as a "textured and joined to the hair" rule it moved the mean over 32 heads by -0.005 to +0.001
(Grace 0.271 -> 0.264-0.265), so it was dropped. Grace's false hair (899 px, precision 0.669) is mostly outside the
person mask (70 %) and dark (median L 23 of 255): the navy flag's strip between the flagpole and her head and the
cap's edge. What the round kept is a precision rule, :func:`unlike_crown`: below the chin, hair keeps the colour of
the person's crown, so a dark garment the hair net takes for long hair is dropped.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from core.edges import guided_filter

HEAD_FROM = 0.3  # the band starts this many face heights (hairline to chin) above the chin ...
HEAD_TO = 2.0  # ... and ends this high
HEAD_ACROSS = 1.15  # half its width, in face widths (cheek to cheek) from the face's centre line
SKIN = 0.5  # PAN's skin probability over this (and over its clothes): skin (a bald crown, ears, a neck)
CLOTH = 0.5  # PAN's clothes probability over this ...
CLOTH_LINE = 0.75  # ... below this height (face heights above the chin): a collar, not hair
HAT_CLOTH = 0.75  # a piece whose mean PAN clothes probability is this high is a hat, not hair (white hair
# scored 0.21-0.63 on the recoloured portraits: PAN takes it for a white cap more than for hair)
OPEN = 0.1  # the candidates are opened with a disc this many face heights wide (the thin rims between parts go)
ANCHOR_GAP = 0.15  # face heights: a piece this near the nets' hair or the face's top is joined to them (PAN often
# calls the hairline skin, a band that parted white hair from the forehead on t1~white: 0.413 -> 0.481)
MIN_PIECE = 0.3  # a piece smaller than this share of the face (width x height) is left out: on heads whose
# hair the nets found, what is left are rims and the loose edge of the person mask (0.13-0.24), not hair


def silhouette_hair(
    person: np.ndarray,
    net_hair: np.ndarray,
    face: np.ndarray,
    skin_p: np.ndarray,
    cloth_p: np.ndarray,
    above: np.ndarray,
    across: np.ndarray,
    frame: Any,
    brim: np.ndarray | None = None,
) -> np.ndarray:
    """Bool mask of hair the nets missed, from the silhouette (all maps the same shape: one person's box).

    ``person``: the person's mask; ``net_hair``: the hair the nets found; ``face``: the face mesh's oval;
    ``skin_p``, ``cloth_p``: PAN's probabilities; ``above`` / ``across``: each pixel's height above the chin in face heights and distance from the face's
    centre line in face widths (``frame.coords``; ``frame`` is a ``segmenters.clothes.Frame``, its ``fw`` and
    ``fh`` are used); ``brim``: the brim of a hat found under clothing (``hat_under_clothes``).

    Candidates are the person's pixels in the head band that the nets' fusion left (also where the MediaPipe
    net alone called hair and PAN gave it no support: a small dark head on a dark ground, which the fusion
    takes for a hat) and that are not face, skin or a collar, opened so that the thin rims between the nets' hair, the face and the
    background go. A piece at least ``MIN_PIECE`` of the face's size, joined to the nets' hair or to the top
    of the face (within ``ANCHOR_GAP``: PAN takes a hairline for skin), not touching a hat's brim (what sits on a
    brim is the hat's crown) and not clothes to PAN
    (``HAT_CLOTH``), is hair."""
    fw, fh = float(frame.fw), float(frame.fh)
    band = (above > HEAD_FROM) & (above < HEAD_TO) & (np.abs(across) < HEAD_ACROSS)
    skin = (skin_p > SKIN) & (skin_p >= cloth_p)
    collar = (cloth_p > CLOTH) & (above < CLOTH_LINE)
    cand = person & band & ~net_hair & ~face & ~skin & ~collar
    if brim is not None:
        cand &= ~brim
    out = np.zeros(cand.shape, bool)
    min_area = MIN_PIECE * fw * fh
    if cand.sum() < min_area:
        return out
    k = max(3, int(OPEN * fh)) | 1
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    cand = cv2.morphologyEx(cand.astype(np.uint8), cv2.MORPH_OPEN, ker).astype(bool)
    kg = max(k, int(2 * ANCHOR_GAP * fh) | 1)
    anchor = cv2.dilate(
        (net_hair | (face & (above > 0.7))).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kg, kg))
    ).astype(bool)
    on_brim = np.zeros(cand.shape, bool)
    if brim is not None and brim.any():
        on_brim = cv2.dilate(brim.astype(np.uint8), ker).astype(bool)
    n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        piece = labels == i
        if piece.sum() < min_area or not (piece & anchor).any() or (piece & on_brim).any():
            continue
        if float(cloth_p[piece].mean()) < HAT_CLOTH:
            out |= piece
    return out


BRIM_LINE = 1.0  # face heights over the chin: the face mesh's top (point 10, near the hairline). A hat's brim
# sits on the head above it; what lies below it beside the face is not a brim
BRIM_COLUMN = 0.05  # the oval's top is read in columns this many face widths wide ...
BRIM_EDGE = 0.1  # ... and over all of its width but this much at each side, what lies over the oval is the brim's
# (the brim's lower edge curves down over the oval's upper corners; the temples lie beyond them)


def beside_face(face: np.ndarray, above: np.ndarray, across: np.ndarray, line: float = BRIM_LINE) -> np.ndarray:
    """Bool mask of the pixels beside the face: outside the face mesh's oval ``face``, above the chin, below
    ``line`` and not straight over the oval (``above`` / ``across``: each pixel's height over the chin in face
    heights and distance from the face's centre line in face widths; over the oval = in a column of the oval
    at least ``BRIM_EDGE`` inside its sides, at or above the oval's top there)."""
    out = ~face & (above > 0.0) & (above < line)
    if not face.any():
        return out
    cols = np.round(across / BRIM_COLUMN).astype(np.int32)  # columns symmetric about the centre line
    lo, hi = int(cols[face].min()), int(cols[face].max())
    top = np.full(hi - lo + 1, -np.inf, np.float32)
    np.maximum.at(top, cols[face] - lo, above[face])
    top[~np.isfinite(top)] = np.inf  # a column without oval pixels: nothing in it is over the oval
    edge = int(round(BRIM_EDGE / BRIM_COLUMN))
    inner = (cols >= lo + edge) & (cols <= hi - edge)
    over = inner & (above >= top[np.clip(cols - lo, 0, hi - lo)])
    return out & ~over


def hair_under_brim(
    worn: np.ndarray, face: np.ndarray, above: np.ndarray, across: np.ndarray, cloth_p: np.ndarray
) -> np.ndarray:
    """The pixels of ``worn`` (hair-net pieces taken for a hat's brim, ``segmenters.clothes.hat_under_clothes``)
    that are hair after all: those beside the face (:func:`beside_face`) that PAN does not call clothes
    (``cloth_p`` at most ``CLOTH``). The hair net's piece can run from a cap's brim down the temples (Grace
    Hopper); a hat that itself comes down beside the face (a beanie, a hood) is clothes to PAN and stays hat."""
    return worn & beside_face(face, above, across) & (cloth_p <= CLOTH)


BRIM_BAND = 0.12  # face heights: how far the geometric cut between a brim and the hair under it may move


def follow_image(kept: np.ndarray, worn: np.ndarray, rgb: np.ndarray, fh: float) -> np.ndarray:
    """``kept`` (the hair :func:`hair_under_brim` takes out of ``worn``, a piece the hair net saw from a brim down
    the temples) with its cut lines moved onto the photo's own edges (bool, the maps' shape; ``rgb`` the same
    box of the photo, ``fh`` the face's height in pixels).

    :func:`beside_face` cuts along a height and along the oval's columns: straight lines that run through the
    brim and the hair alike, so a recolour painted blocks with straight edges (Grace Hopper). Within
    ``BRIM_BAND`` of those lines GrabCut decides (colour models of the sure hair and the sure brim on either
    side, and its smoothness term, which puts the boundary where the colour changes); the rest of ``worn`` stays
    as the rule put it, and nothing outside ``worn`` is taken."""
    rest = worn & ~kept
    if not kept.any() or not rest.any():
        return kept
    k = max(3, int(BRIM_BAND * fh)) | 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    # the cut: where the kept hair touches the rest of the worn piece (not the piece's own outline)
    cut = cv2.dilate(kept.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & rest
    if not cut.any():
        return kept
    band = cv2.dilate(cut.astype(np.uint8), disc).astype(bool) & worn
    rows, cols = np.nonzero(cv2.dilate(worn.astype(np.uint8), disc))
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    init = np.full((y1 - y0, x1 - x0), cv2.GC_BGD, np.uint8)
    sub = (slice(y0, y1), slice(x0, x1))
    init[kept[sub]] = cv2.GC_FGD
    init[(band & kept)[sub]] = cv2.GC_PR_FGD
    init[(band & rest)[sub]] = cv2.GC_PR_BGD
    if not (init == cv2.GC_FGD).any():  # GrabCut needs sure pixels on both sides
        return kept
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    img = np.ascontiguousarray(rgb[sub][..., ::-1])
    cv2.grabCut(img, init, None, bgd, fgd, 3, cv2.GC_INIT_WITH_MASK)
    out = kept.copy()
    out[sub] = (init == cv2.GC_FGD) | (init == cv2.GC_PR_FGD)
    return out & worn


GROW_RING = 0.35  # face widths around the face mesh's oval: where hair beside the face is grown ...
GROW_FROM = 0.2  # ... from this many face heights over the chin up
GROW_NEAR = 0.05  # ... and at most this many face widths outside the person mask
GROW_SIDE = 200  # GrabCut runs on the head's box shrunk to this longer side
GROW_ITERS = 3
GROW_SEED = 0  # the same photo gives the same hair whatever ran before


def side_zone(
    face: np.ndarray,
    person: np.ndarray,
    above: np.ndarray,
    across: np.ndarray,
    frame: Any,
    brim: np.ndarray | None = None,
) -> np.ndarray:
    """Where hair beside the face may lie (bool, the maps' shape): within ``GROW_RING`` face widths around the
    face mesh's oval ``face`` (never on it: the nets' fringe rule owns the oval), higher than ``GROW_FROM`` face
    heights over the chin, near the ``person``; with a hat's ``brim``, only beside the face below it
    (:func:`beside_face`: what lies over a brim is the hat's crown)."""
    fw = float(frame.fw)
    k = max(3, int(2 * GROW_RING * fw)) | 1
    ring = cv2.dilate(face.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    kp = max(3, int(2 * GROW_NEAR * fw)) | 1
    near = cv2.dilate(person.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kp, kp))).astype(bool)
    zone = ring & ~face & near & (above > GROW_FROM)
    if brim is not None and brim.any():
        zone &= beside_face(face, above, across) & ~brim
    return zone


def _joined_by_grabcut(
    rgb: np.ndarray,
    init: np.ndarray,
    sub: tuple[slice, slice],
    hair: np.ndarray,
    zone: np.ndarray,
    backgrounds: tuple[int, ...],
) -> np.ndarray | None:
    """GrabCut on the box ``sub`` of ``rgb`` from the labels ``init`` (that box, shrunk to ``GROW_SIDE`` on its
    longer side) and the pixels of ``zone`` it gives to the sure ``hair`` that stay joined to it; None when
    ``init`` has no sure hair or none of the ``backgrounds`` labels (GrabCut needs a sample of both sides)."""
    img = np.ascontiguousarray(rgb[sub][..., ::-1])
    bh, bw = init.shape
    s = min(1.0, GROW_SIDE / max(bh, bw))
    if s < 1.0:
        size = (max(1, round(bw * s)), max(1, round(bh * s)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        init = cv2.resize(init, size, interpolation=cv2.INTER_NEAREST)
    if not (init == cv2.GC_FGD).any() or not np.isin(init, backgrounds).any():
        return None
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(GROW_SEED)  # GrabCut's colour models start from k-means on OpenCV's global generator
    cv2.grabCut(img, init, None, bgd, fgd, GROW_ITERS, cv2.GC_INIT_WITH_MASK)
    fg = ((init == cv2.GC_FGD) | (init == cv2.GC_PR_FGD)).astype(np.uint8)
    if s < 1.0:
        fg = cv2.resize(fg, (bw, bh), interpolation=cv2.INTER_NEAREST)
    grown = np.zeros(hair.shape, bool)
    grown[sub] = fg.astype(bool)
    grown = (grown & zone) | hair
    n, labels = cv2.connectedComponents(grown.astype(np.uint8), connectivity=8)
    joined = np.unique(labels[hair])
    return np.isin(labels, joined[joined > 0]) & zone


def _grow_beside(
    hair: np.ndarray,
    person: np.ndarray,
    face: np.ndarray,
    rgb: np.ndarray,
    above: np.ndarray,
    across: np.ndarray,
    frame: Any,
    brim: np.ndarray | None = None,
) -> np.ndarray:
    """``hair`` (bool, one person's box) grown beside the face by the colour of the person's own hair (``rgb``:
    the photo there; the other maps as in :func:`silhouette_hair`).

    The nets often find only part of a head's hair: the dark or coloured strands, or (Grace Hopper) the tufts
    under a cap's brim, and miss the rest of the same hair down the temples and behind the ears, where it is
    thinner, greyer or in shadow. The hair they did find is the best sample of this person's hair colour. In
    the band beside the face (:func:`side_zone`) GrabCut decides, pixel by pixel, between that hair (its sure
    pixels; the band starts as probable hair) and everything else around (the face's skin, the background,
    the clothes and a brim: sure background), with its smoothness term keeping the boundary on the photo's
    edges. Only what stays joined to the sure hair is taken; nothing is grown without it (no sample)."""
    if hair.sum() < 20 or not face.any():
        return hair
    zone = side_zone(face, person, above, across, frame, brim) & ~hair
    if not zone.any():
        return hair
    rows, cols = np.nonzero(zone | hair)
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    sub = (slice(y0, y1), slice(x0, x1))
    init = np.full((y1 - y0, x1 - x0), cv2.GC_BGD, np.uint8)
    init[zone[sub]] = cv2.GC_PR_FGD
    init[hair[sub]] = cv2.GC_FGD
    joined = _joined_by_grabcut(rgb, init, sub, hair, zone, (cv2.GC_BGD,))
    return hair if joined is None else hair | joined


FRINGE_LINE = 0.75  # face heights over the chin: the brows; the face mesh's oval above them is forehead or fringe
FRINGE_Z = 3.0  # a pixel this many of the face skin's own deviations (Lab) away from it, and lighter, is not skin
FRINGE_MIN = 0.04  # a light piece smaller than this share of the face's oval is a highlight, not a fringe


def skin_distance(rgb: np.ndarray, face: np.ndarray, above: np.ndarray) -> np.ndarray | None:
    """Each pixel's distance from the face's own skin colour (float, the maps' shape; None when the face is too
    small to sample): the Euclidean distance in CIE Lab with each channel in units of the skin's spread, signed
    + where the pixel is lighter than the skin and - where darker.

    The skin is sampled on the face mesh's oval ``face`` between the mouth and the brows (``above`` 0.15-0.7 face
    heights over the chin), its rim eroded and the darkest and lightest 15 % left out (nostrils, eyes, glasses
    frames, a highlight); the spread has 2 units added per channel, so a grey photo's flat a and b count little."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32) * np.array([100 / 255, 1, 1], np.float32)
    core = cv2.erode(face.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & (above > 0.15) & (above < 0.7)
    if core.sum() < 30:
        return None
    px = lab[core]
    lo, hi = np.percentile(px[:, 0], [15, 85])
    px = px[(px[:, 0] >= lo) & (px[:, 0] <= hi)]
    mean, spread = px.mean(0), px.std(0) + 2.0
    dist = np.sqrt((((lab - mean) / spread) ** 2).sum(-1))
    return np.where(lab[..., 0] >= mean[0], dist, -dist)


def light_fringe(hair: np.ndarray, face: np.ndarray, rgb: np.ndarray, above: np.ndarray) -> np.ndarray:
    """``hair`` (bool, one person's box) with the light hair over the forehead added: the pieces of the face
    mesh's oval ``face`` above the brows (``FRINGE_LINE``) that are lighter than the face's own skin and far from
    its colour (:func:`skin_distance` over ``FRINGE_Z``), touch ``hair``, and are at least ``FRINGE_MIN`` of the
    oval (``rgb``: the photo there; ``above``: each pixel's height over the chin in face heights).

    The oval runs up to the hairline and often under a fringe; the nets' fusion gives its fringe to the hair only
    where the MediaPipe hair net is sure (segmenters/clothes.py), and that net misses white and grey hair, so a
    white fringe stayed face (a band between the hair and the brows). Dark pixels (brows, glasses frames, the
    shadow under a dark fringe) are never taken here; a bald forehead has the face's own colour; a highlight on
    it is small or does not touch the hair."""
    if not hair.any() or not face.any():
        return hair
    rows, cols = np.nonzero(face)  # all the work is in the oval's box (and the hair 1 px around it)
    h, w = face.shape
    sub = (slice(max(0, rows.min() - 2), min(h, rows.max() + 3)), slice(max(0, cols.min() - 2), min(w, cols.max() + 3)))
    f, a, near_hair = face[sub], above[sub], hair[sub]
    dist = skin_distance(np.ascontiguousarray(rgb[sub]), f, a)
    if dist is None:
        return hair
    cand = f & (a > FRINGE_LINE) & (dist > FRINGE_Z) & ~near_hair
    cand = cv2.morphologyEx(cand.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
    n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    if n <= 1:
        return hair
    areas = np.bincount(labels.ravel(), minlength=n)
    touching = np.unique(labels[cv2.dilate(near_hair.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & cand])
    keep = [i for i in touching if i > 0 and areas[i] >= FRINGE_MIN * float(face.sum())]
    out = hair.copy()
    out[sub] |= np.isin(labels, keep)
    return out


def grow_hair(
    hair: np.ndarray,
    person: np.ndarray,
    face: np.ndarray,
    rgb: np.ndarray,
    above: np.ndarray,
    across: np.ndarray,
    frame: Any,
    brim: np.ndarray | None = None,
) -> np.ndarray:
    """``hair`` (bool, one person's box) grown beside the face by the colour of the person's own hair
    (:func:`_grow_beside`), then with the light fringe over the forehead (:func:`light_fringe`); the maps as in
    :func:`silhouette_hair`, ``rgb`` the photo there."""
    grown = _grow_beside(hair, person, face, rgb, above, across, frame, brim)
    return light_fringe(grown, face, rgb, above)


CROWN_ACROSS = 1.25  # the head's dome: an ellipse this many face widths to each side of the face's centre line ...
CROWN_MID = 1.0  # ... centred this many face heights over the chin (the face mesh's top, near the hairline) ...
CROWN_UP = 1.1  # ... reaching this many face heights over its centre (the skull's top and a head of hair)
CROWN_IN = 0.8  # a hat lies on the skull: this share of its piece inside the dome
CROWN_GAP = 0.15  # face heights: a hat rests on the forehead, this near the face mesh's top ...
CROWN_SPAN = 0.5  # ... over this many face widths of it (a piece that touches the oval at a point sits on the hair)
CROWN_FOREHEAD = 0.8  # the face mesh's oval over this many face heights over the chin: its top, the forehead
CROWN_INIT = cv2.GC_PR_BGD
CROWN_MIN = 0.12  # a piece smaller than this share of the face (width x height) is no hat


def head_dome(above: np.ndarray, across: np.ndarray) -> np.ndarray:
    """Bool mask of the head's dome over the face (``CROWN_ACROSS``, ``CROWN_MID``, ``CROWN_UP``): where a head of
    hair or a hat lies (``above`` / ``across`` as in :func:`silhouette_hair`)."""
    return (across / CROWN_ACROSS) ** 2 + (np.maximum(above - CROWN_MID, 0.0) / CROWN_UP) ** 2 < 1.0


def _grow_crown(
    hair: np.ndarray, zone: np.ndarray, person: np.ndarray, face: np.ndarray, rgb: np.ndarray, brim: np.ndarray
) -> np.ndarray:
    """The pixels of ``zone`` that GrabCut gives to the person's ``hair`` (its sure sample), against the face, a
    brim and everything outside the person (sure background) and the rest of the person beyond the zone (probable
    background); only what stays joined to the sure hair."""
    if hair.sum() < 20 or not zone.any():
        return np.zeros(hair.shape, bool)
    rows, cols = np.nonzero(zone | hair)
    h, w = hair.shape
    pad = 4
    y0, y1 = max(0, rows.min() - pad), min(h, rows.max() + pad + 1)
    x0, x1 = max(0, cols.min() - pad), min(w, cols.max() + pad + 1)
    sub = (slice(y0, y1), slice(x0, x1))
    init = np.full((y1 - y0, x1 - x0), cv2.GC_BGD, np.uint8)
    init[person[sub]] = cv2.GC_PR_BGD
    init[zone[sub]] = CROWN_INIT
    init[(face | brim)[sub]] = cv2.GC_BGD
    init[hair[sub]] = cv2.GC_FGD
    joined = _joined_by_grabcut(rgb, init, sub, hair, zone, (cv2.GC_BGD, cv2.GC_PR_BGD))
    return np.zeros(hair.shape, bool) if joined is None else joined


def crown_rest(
    rest: np.ndarray,
    hair: np.ndarray,
    person: np.ndarray,
    face: np.ndarray,
    above: np.ndarray,
    across: np.ndarray,
    frame: Any,
    brim: np.ndarray,
    rgb: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(hair, hat) from ``rest``: what is left of the head over the forehead once the hair and the face are found
    (bool, one person's box; the other maps as in :func:`silhouette_hair`, ``brim`` from
    ``segmenters.clothes.hat_under_clothes``, ``rgb`` the photo there). What is neither stays the body's.

    Round 16: all of it used to be a hat, and PAN calls grey and white hair clothes, so the top of a grey head was
    a hat chip; so were a neighbour's shirt or the wall the person mask ran over above a head whose hair was found.
    - Hair: without a brim, the pieces in the head's dome (:func:`head_dome`) that GrabCut gives to the person's own
      found hair (its colour model learnt from that hair alone, everything else probable background), joined to it.
    - Hat: what lies on a brim (the hat's crown), or a piece at least ``CROWN_MIN`` of the face that rests on the
      forehead (within ``CROWN_GAP`` of the oval's top over ``CROWN_SPAN`` face widths: a hat sits on the skull,
      what touches the oval at a point sits on the hair) with ``CROWN_IN`` of it inside the dome (a hat does not run
      out over the wall).
    Measured (bench/parse_quality.py --hair-only): t1~white 0.490 -> 0.542 (person 6 0.289 -> 0.607), t1~grey 0.678 ->
    0.685, camera~white 0.835 -> 0.856, t1 0.755 -> 0.756, t1_right 0.689 -> 0.692, the rest equal; hat chips on
    hatless heads of tests/hats.py 5 -> 0 (bench/hat_chips.py), Grace Hopper's cap kept. Risk: a hat without a brim
    in the colour of the hair beside the temples (a grey beanie on grey hair) is grown into hair."""
    fw, fh = float(frame.fw), float(frame.fh)
    dome = head_dome(above, across)
    more = np.zeros(rest.shape, bool)
    if not brim.any():
        more = _grow_crown(hair, rest & dome, person, face, rgb, brim)
    left = rest & ~more
    k = max(3, int(2 * CROWN_GAP * fh) | 1)
    forehead = cv2.dilate(
        (face & (above > CROWN_FOREHEAD)).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    ).astype(bool)
    on_brim = cv2.dilate(brim.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) if brim.any() else brim
    hat = brim.copy()
    n, labels = cv2.connectedComponents(left.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        piece = labels == i
        area = float(piece.sum())
        if area < CROWN_MIN * fw * fh:
            continue
        rests = piece & forehead
        if (piece & on_brim).any() or (
            rests.any() and np.ptp(across[rests]) >= CROWN_SPAN and (piece & dome).sum() >= CROWN_IN * area
        ):
            hat |= piece
    return more, hat


LENGTH_LINE = 0.2  # face heights over the chin: hair below this line hangs down beside the neck and on the shoulders
LENGTH_FROM = 0.9  # the person's own hair colour is sampled on their hair above this line (the crown and temples) ...
LENGTH_SAMPLE = 0.02  # ... when it holds at least this share of the face (width x height)
LENGTH_Z = 4.5  # a pixel below LENGTH_LINE this many of the sample's own spreads (Lab) from its colour is not hair
LENGTH_SMOOTH = 5  # work px: the distance is averaged over a box this wide (JPEG noise, single strands)


def unlike_crown(hair: np.ndarray, rgb: np.ndarray, above: np.ndarray, frame: Any) -> np.ndarray:
    """The pixels of ``hair`` (bool, one person's box) below the chin line (``LENGTH_LINE``) whose colour is far from
    the person's own hair on the crown (``rgb``: the photo there; ``above``: each pixel's height over the chin in
    face heights; ``frame``: a ``segmenters.clothes.Frame``, its ``fw`` and ``fh`` are used).

    Hair keeps its colour along its length, and its top, above the face mesh's top (``LENGTH_FROM``), is where the
    nets find it best. Below the chin the hair net also takes a dark garment touching long hair for hair (t1_right: a
    blonde woman's black dress strap and neckline; the repainted white heads' dark collars), and PAN's clothes do not
    veto where the net is sure. Such pixels are over ``LENGTH_Z`` of the crown hair's own spreads away from its Lab
    colour (the spread has 2 units added per channel, as :func:`skin_distance`); the distance is averaged over
    ``LENGTH_SMOOTH`` px and the result opened (3 px), so a stray dark strand in light hair stays. Without a crown
    sample (a hat, a bald head: under ``LENGTH_SAMPLE`` of the face) nothing is taken."""
    out = np.zeros(hair.shape, bool)
    crown = hair & (above > LENGTH_FROM)
    low = hair & (above < LENGTH_LINE)
    if not low.any() or crown.sum() < max(30.0, LENGTH_SAMPLE * float(frame.fw) * float(frame.fh)):
        return out
    px = cv2.cvtColor(rgb[crown][None], cv2.COLOR_RGB2LAB)[0].astype(np.float32)
    mean, spread = np.median(px, axis=0), px.std(0) + 2.0
    rows, cols = np.nonzero(low)  # the rest is worked out on the box of the hair below the line (and a margin)
    h, w = hair.shape
    sub = (
        slice(max(0, rows.min() - LENGTH_SMOOTH), min(h, rows.max() + LENGTH_SMOOTH + 1)),
        slice(max(0, cols.min() - LENGTH_SMOOTH), min(w, cols.max() + LENGTH_SMOOTH + 1)),
    )
    lab = cv2.cvtColor(np.ascontiguousarray(rgb[sub]), cv2.COLOR_RGB2LAB).astype(np.float32)
    dist = np.sqrt((((lab - mean) / spread) ** 2).sum(-1))
    far = low[sub] & (cv2.blur(dist, (LENGTH_SMOOTH, LENGTH_SMOOTH)) > LENGTH_Z)
    out[sub] = cv2.morphologyEx(far.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
    return out


TUFT_MP = 0.5  # a small piece whose mean MediaPipe hair probability is under this is one only PAN called hair


def side_tufts(small: np.ndarray, ring: np.ndarray, mp: np.ndarray) -> np.ndarray:
    """The pieces of ``small`` (bool, one person's box: the nets' fused hair that the size rule dropped, each piece
    under 2 % of the face box's area) that touch ``ring`` (beside the face, chin up: the ring the fusion keeps PAN's
    own hair in) and that the MediaPipe hair net does not call hair (mean of ``mp`` under ``TUFT_MP``).

    The size rule drops the specks the nets leave on a collar or the background; grey and white hair beside the face
    that only PAN sees comes in small tufts too (Grace Hopper's grey hair below her cap's brim, which the fusion had
    already kept as PAN's hair beside the face: 269 of 297 work px hair). A speck the MediaPipe net calls hair away
    from a head of hair (a dark button, a shadow) is not PAN's alone and stays dropped. Measured round 20
    (bench/parse_quality.py --hair-only): grace_hopper 0.270 -> 0.347, camera 0.832 -> 0.836, no other head of the
    three portrait sets moves."""
    out = np.zeros(small.shape, bool)
    if not small.any():
        return out
    n, labels = cv2.connectedComponents(small.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        piece = labels == i
        if (piece & ring).any() and float(mp[piece].mean()) < TUFT_MP:
            out |= piece
    return out


OFF_PERSON_MP = 0.5  # off the person mask, hair needs the MediaPipe hair net over this


def off_person(hair: np.ndarray, person: np.ndarray, mp: np.ndarray) -> np.ndarray:
    """The pixels of ``hair`` (bool, one person's box) off the ``person`` mask where the MediaPipe hair net's
    probability ``mp`` is at most ``OFF_PERSON_MP``: not hair.

    Hair may reach a quarter of a face width beyond the person mask (segmenters.clothes.HAIR_REACH: the person nets
    cut fine or fluffy hair short), and there the MediaPipe net, run on the head's own crop, follows the strands. PAN's
    hair, the GrabCut growth by the hair's colour and the silhouette rules spread there too, onto what is behind the
    head: a dark flag beside Grace Hopper's head (449 of her 492 work px off the person were not hair), a wall or
    shelf beside t1's heads. Measured round 20 (work px off the person mask over the 31 heads of the three portrait
    sets: hair 537, not hair 1550; with the net over 0.5 kept: 78 hair and 903 not hair dropped): grace_hopper 0.270
    -> 0.283, t1_back 0.706 -> 0.715, t1_left 0.749 -> 0.755, astronaut~white 0.901 -> 0.910, t1 person 1 0.740 ->
    0.744; messi5~grey 0.833 -> 0.832 and camera 0.832 -> 0.831 the only heads down."""
    return hair & ~person & (mp <= OFF_PERSON_MP)


TEMPLE_LINE = 0.8  # face heights over the chin (just over the brows, where a glasses frame lies): the oval above ...
TEMPLE_SIDE = 0.4  # ... and this many face widths or more from its centre line: its upper corners, the temples
TEMPLE_PAN = 0.5  # PAN's hair probability over this there is hair when it joins the hair beside the face


def temple_hair(
    hair: np.ndarray, face: np.ndarray, pan: np.ndarray, above: np.ndarray, across: np.ndarray
) -> np.ndarray:
    """The pixels of the face mesh's oval ``face`` at the temples that are hair (bool, one person's box): above the
    brows (``TEMPLE_LINE``), out at the oval's sides (``TEMPLE_SIDE``), where PAN's hair probability ``pan`` (its
    tight head crop, ``segmenters.clothes.pan_head_hair``) is over ``TEMPLE_PAN``, in pieces joined to ``hair`` (the
    hair found outside the oval; ``above`` / ``across`` as in :func:`silhouette_hair`).

    The oval is fitted to the face's outline and its upper corners run over the temples, where hair lies beside the
    forehead; the nets' fusion leaves the oval to the face unless the MediaPipe hair net is sure (a dark fringe), and
    :func:`light_fringe` takes only what is lighter than the skin. Hair in shadow under a brim or grey hair at the
    temples was left as face, a notch between the hair beside the head and the brows: Grace Hopper's label has 1042
    work px of hair inside the oval's two upper corners, where PAN's mean hair is 0.40-0.53 and the MediaPipe net's
    0.24-0.29. Measured round 23 (bench/parse_quality.py --no-time): grace_hopper 0.365 -> 0.389 (precision 0.809 ->
    0.817), t1_left 0.759 -> 0.760, t1 person 1 0.744 -> 0.745; astronaut 0.838 -> 0.836, t1 person 3 0.821 -> 0.818 and
    t1 person 6 0.727 -> 0.726 down (a few pixels at an edge the hand label draws a little inside the hair). A line at
    0.75 face heights took glasses frames (Grace Hopper's precision 0.79); sides from 0.35 face widths cost astronaut's
    face 0.005."""
    out = np.zeros(hair.shape, bool)
    cand = face & (above > TEMPLE_LINE) & (np.abs(across) > TEMPLE_SIDE) & (pan > TEMPLE_PAN) & ~hair
    if not cand.any() or not hair.any():
        return out
    n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    near = cv2.dilate(hair.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & cand
    joined = np.unique(labels[near])
    return np.isin(labels, joined[joined > 0])


SNAP_EPS = 0.01  # the guided filter's regularisation (on a [0, 1] guide): edges of about 10 % contrast hold the mask
SNAP_AT = 0.4  # the filtered mask over this is hair


def snap_to_edges(hair: np.ndarray, rgb: np.ndarray, radius: int, face: np.ndarray | None = None) -> np.ndarray:
    """``hair`` (bool, one person's box) grown out to the photo's own edges: with the pixels where the mask, filtered
    by a colour guided filter (``core.edges.guided_filter``, ``radius`` px, ``SNAP_EPS``) with ``rgb`` (the photo
    there) as its guide, is over ``SNAP_AT``; never more than ``radius`` px out, never into the face mesh's oval
    ``face`` (inside it the fringe rules decide: a forehead under a blonde hairline has the hair's colour), and
    nothing is taken away (a small grey tuft would fade under the filter).

    The hair nets' maps are thresholded at 0.5 after an upscale from their 512 px input, and the rules after them
    cut on heights, rings and openings: on a photo the parse does not shrink, the outline stops a pixel or two
    inside the strands (fine or fluffy hair against a light ground: the cameraman's crown against the sky, messi5's
    curls; the hair IoU of the small portraits rose by 0.03-0.04 with the mask dilated by one pixel, t1's, refined on
    its own edges when it is upscaled, did not). The guided filter is the mask's local linear fit to the photo's
    colours: where the hair and what lies beside it differ, the mask spreads up to where the colour changes, and
    where they do not (grey hair on a grey wall) it hardly moves; the threshold under 0.5 gives the hair its soft
    rim of strands over the ground, as the hand labels do. Measured round 22 (bench/parse_quality.py, --hair-only
    and --no-time) in segmenters/clothes.py at HAIR_SNAP."""
    if not hair.any():
        return hair
    out = hair | (guided_filter(rgb, hair.astype(np.float32), radius, SNAP_EPS) >= SNAP_AT)
    return out & (hair | ~face) if face is not None else out
