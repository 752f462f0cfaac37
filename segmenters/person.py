"""People: one mask per person (instances), from MediaPipe selfie segmentation (packaged tflite, Apache-2.0).

The selfie model is made for people at portrait scale, so it runs twice at most: once on the whole
photo (the landscape model for wide photos) and, for faces that are small in the photo, once more on a
crop around each such face (probabilities pasted back with ``max``). The union is split into people:
connected parts, and a part holding several faces is divided between them (each pixel goes to the face
nearest in x, measured in face widths). Parts without a detected face are dropped (see KEEP_FACELESS):
offline, a person seen from behind is not found.

With the offline PASCAL VOC net (the ``objects`` parser, segmenters/objects.py) the people are its
``person`` class, joined with the selfie parts that touch it or hold a face, minus the animals it sees
(no person parts on a dog). Parts without a face are then kept when the VOC net calls most of them a person:
people seen from behind or far away are found too. An arm held out, which the VOC net's blob cuts off at the
shoulder or the elbow, is joined back where both the selfie and the ADE nets follow it (``limbs``, people seen below
portrait scale only).

When the selfie files are missing but the full ``clothes`` backend is ready, everything it did not call
"Background" is the person mask instead.

Output ``data``: ``People`` (masks and which face belongs to whom), parts labelled ``person``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from core.errors import ModelUnavailable
from core.models import ModelManager
from segmenters.matte import available as matte_available
from segmenters.matte import ctx_alpha
from segmenters.parsing import AFTER_HOOKS, PARSERS, ParseContext, ParseOutput, Part, run_tflite

SOURCE = "selfie-segmentation (offline)"
FUSED_SOURCE = "deeplab-voc + selfie-segmentation (offline)"
VOC_NEAR = 0.02  # selfie pixels within this share of the longer side of a VOC person join it
MIN_VOC_SHARE = 0.5  # a part without a face is a person when the VOC net says so for this share of it
FRAGMENT_REACH = 0.35  # a faceless part this close (share of the longer side) to a person with a face ...
MAX_FRAGMENT = 0.05  # ... and smaller than this share of that person is a piece of them
THRESHOLD = 0.5
SMALL_FACE = 0.12  # faces narrower than this share of the longer side get a crop of their own
# The selfie model also fires on statues, buildings and furniture (china.jpg's temple scores 0.93), so a
# part without a detected face is not a person unless KEEP_FACELESS (then: large and confident).
KEEP_FACELESS = False
MIN_FACELESS = 0.02
MIN_FACELESS_PROB = 0.75
MIN_PART = 0.002
# a person smaller than MIN_PART (far away: darknet_kite's three on the beach, 65-190 work px, 0.0004-0.001 of the
# photo) is kept when the detector boxes them (small_boxed): the part fills SMALL_FILL of a person box, down to MIN_SMALL
MIN_SMALL = 0.0002
SMALL_FILL = 0.5
BOXED_PERSON_P = 0.6  # ... and the ADE net's mean person probability over it is this high (ADE_PERSON_P alone)
MIN_BOXED = 0.5  # a part without a face is a person only when this share of it lies in the detector's person boxes
BOX_SLACK = 0.1  # ... each widened by this share of its width and height on every side
# ... and a box is that part's only when the part's pixels in it fill at least BOX_FILL of it (its own size, before
# BOX_SLACK): a box around the whole photo is no witness for a patch in it (issue 11 round 20, h20offers:
# freespace_brushes, where the detector boxes a "person" 0.62 over 90 % of the photo and the ADE net calls a dark gap
# between the brushes a person (mean 0.7 or more; no face, no selfie or VOC person there): that 1.3 % patch fills 0.015
# of the box and was offered "person" and "upper clothes". The ADE-only people kept on the labelled photos and the
# presence dev half fill 0.62-0.75 of theirs (scenetext06's far walker, vtest's three), and no other labelled photo's
# people change (bench/parse_quality.py); 0.15 is objects.ON_BLOB, the share a blob fills of an animal box on it)
BOX_FILL = 0.15
ADE_PERSON_P = 0.7  # an ADE20K person piece no other net saw is a person when its mean probability is this high
SELFIE_VETO = 0.3
# a part holding a face-owned person and a detector person box that holds no face and lies mostly outside the boxes
# of the part's faced people (EXPLAINED) is two people or more, when the part fills SPLIT_FILL of that box outside
# them: it is cut along the border between them (_split_by_boxes: each pixel to the seed it is geodesically nearest,
# within the part, a colour edge costing EDGE_COST more than flat ground; seeds: the middle CORE of each box's width)
EXPLAINED = 0.5
SPLIT_FILL = 0.3
EDGE_COST = 20.0
CORE = 0.5
CROP_MAX = 8  # faceless people redrawn by the selfie net on a crop of their own, at most ...
CROP_PAD = 0.25  # ... with this margin around each (share of its longer side) ...
CROP_REACH = 0.15  # ... and the selfie's outline kept this close to the nets' (share of the longer side)
MATTE_FACE = SMALL_FACE  # the matte draws the people whose face is at least this share of the longer side wide
# (0.07 takes in t1's group: person 0.850 -> 0.867 there, but one head's hair 0.757 -> 0.387: the matte's soft blob
# beside her head joins the light wall to her outline; kept at the portrait scale)
# an arm the VOC net cuts off (limbs): where the selfie net is LIMB_SELFIE sure of a person and the ADE net LIMB_ADE,
# within LIMB_REACH face heights of a small face and beyond LIMB_HEAD of every face (the hair parsers own the head), in
# pieces joined to the person who owns the face and LIMB_THICK face widths thick somewhere (an arm, not a sliver)
LIMB_SELFIE = 0.3
LIMB_ADE = 0.5
LIMB_REACH = 6.0
LIMB_HEAD = 1.0
LIMB_THICK = 0.1
# ... and joined at one end: the pixels of a piece that touch its person at most LIMB_CONTACT x the piece's length (an
# arm held out meets the body at the shoulder or elbow; a bowl under the hands or a table edge lies along the outline:
# on t1 the rule had added a peanut bowl and a strip of table, contact 1.1 and 1.7 x their length, messi5's arms 0.4-0.5)
LIMB_CONTACT = 0.8
MATTE_REACH = 0.02  # the matte decides the person's outline this far (share of the longer side) either side of it
CROP_AGREE, CROP_SEEN = (
    0.8,
    0.25,
)  # see sharpen_faceless  # in a portrait, VOC person pixels the selfie net gives less than this are not the person


@dataclass
class People:
    masks: list[np.ndarray]  # bool, work size, one per person, left to right
    prob: np.ndarray | None  # float person probability, work size (None when derived from clothes)
    face_owner: dict[int, int] = field(default_factory=dict)  # face index -> person index

    def union(self, shape: tuple[int, int]) -> np.ndarray:
        out = np.zeros(shape, bool)
        for m in self.masks:
            out |= m
        return out


def selfie_probability(rgb: np.ndarray) -> np.ndarray:
    """Person probability (float32 HxW, the size of ``rgb``) from the selfie model (whole image, stretched)."""
    h, w = rgb.shape[:2]
    name, (ih, iw) = (
        ("selfie_segmentation_landscape", (144, 256)) if w > 1.3 * h else ("selfie_segmentation", (256, 256))
    )
    x = cv2.resize(rgb, (iw, ih), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    out = run_tflite(name, x[None])[0][0, :, :, 0]
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)


def person_probability(work: np.ndarray, faces: list) -> np.ndarray:
    prob = selfie_probability(work)
    h, w = work.shape[:2]
    for f in faces:
        if f.width >= SMALL_FACE * max(h, w):
            continue
        fw, fh = f.width, f.height
        cx = (f.box[0] + f.box[2]) / 2
        x0, x1 = int(max(0, cx - 2.5 * fw)), int(min(w, cx + 2.5 * fw))
        y0, y1 = int(max(0, f.box[1] - 0.8 * fh)), int(min(h, f.box[3] + 5.5 * fh))
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        crop = selfie_probability(np.ascontiguousarray(work[y0:y1, x0:x1]))
        prob[y0:y1, x0:x1] = np.maximum(prob[y0:y1, x0:x1], crop)
    return prob


def split_people(
    mask: np.ndarray,
    faces: list,
    prob: np.ndarray | None = None,
    evidence: np.ndarray | None = None,
    boxed: list[tuple[float, float, float, float]] | None = None,
    rgb: np.ndarray | None = None,
) -> People:
    """Split a person mask (bool, work size) into people using the faces (``segmenters.faces.Face``).

    A part without a face is kept when ``evidence`` (a trained person mask, e.g. the VOC net's) covers at
    least ``MIN_VOC_SHARE`` of it, and, with ``boxed`` (the detector's person boxes, XYXY work pixels, see
    :func:`person_boxes`), when at least ``MIN_BOXED`` of it lies in those of them it fills at least ``BOX_FILL`` of
    (each widened by ``BOX_SLACK``): a reddish stain on a wall that both segmentation nets call a person is no person
    the detector sees, nor a patch inside a box drawn around the whole photo.

    With ``boxed`` and ``rgb`` (the working copy), a part holding faces and a detector box that holds no face is cut
    between them (:func:`_split_by_boxes`): a man seen without a face, touching another, is a person of his own."""
    h, w = mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    pieces: list[tuple[np.ndarray, list[int]]] = []
    for comp in range(1, n):
        area = stats[comp, cv2.CC_STAT_AREA]
        if area < MIN_SMALL * h * w:
            continue
        part = labels == comp
        if area < MIN_PART * h * w and not small_boxed(part, boxed):  # a person far away needs a box of their own
            continue
        owned = [i for i, f in enumerate(faces) if _face_in(part, f)]
        if not owned:
            confident = prob is None or float(prob[part].mean()) >= MIN_FACELESS_PROB
            seen = boxed is None or float(_in_own_boxes(part, boxed)[part].mean()) >= MIN_BOXED
            if evidence is not None and float(evidence[part].mean()) >= MIN_VOC_SHARE and seen:
                pieces.append((part, []))
            elif KEEP_FACELESS and area >= MIN_FACELESS * h * w and confident:
                pieces.append((part, []))
            continue
        if boxed and rgb is not None:
            cut = _split_by_boxes(part, [faces[i] for i in owned], faces, boxed, rgb)
            if cut is not None:
                pieces.extend((sub, [owned[k]] if k is not None else []) for sub, k in cut)
                continue
        if len(owned) == 1:
            pieces.append((part, owned))
            continue
        xs = np.arange(w, dtype=np.float32)[None, :]
        dist = np.stack([np.abs(xs - faces[i].centre[0]) / max(faces[i].width, 1.0) for i in owned])
        nearest = np.argmin(np.broadcast_to(dist, (len(owned), h, w)), axis=0)
        for k, i in enumerate(owned):
            sub = part & (nearest == k)
            sub = _largest_with_face(sub, faces[i])
            if sub.any():
                pieces.append((sub, [i]))
    pieces = _merge_fragments(pieces, (h, w))
    pieces.sort(key=lambda p: float(np.flatnonzero(p[0].any(axis=0)).mean()))
    people = People(masks=[p[0] for p in pieces], prob=prob)
    for k, (_, owned) in enumerate(pieces):
        for i in owned:
            people.face_owner[i] = k
    return people


def _box_ints(box: tuple[float, float, float, float], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    h, w = shape
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def _split_by_boxes(
    part: np.ndarray, mine: list, faces: list, boxed: list[tuple[float, float, float, float]], rgb: np.ndarray
) -> list[tuple[np.ndarray, int | None]] | None:
    """``part`` (one connected person part holding the faces ``mine``) cut between its faced people and the detector
    person boxes in it that hold no face (of ``faces``) and that the faced people's own boxes do not explain (less
    than ``EXPLAINED`` of such a box lies in them) when ``part`` fills ``SPLIT_FILL`` of the box outside them; None
    when there is no such box, or when a faced person has no box of their own (the smallest box holding the face's
    centre). Seeds: the middle ``CORE`` of the width of each faced person's box and of each such faceless box, inside
    ``part``, minus where seeds meet; each pixel of ``part`` goes to the seed nearest along a path inside ``part`` where crossing a
    colour edge costs up to ``EDGE_COST`` more than flat ground (the border between two people is an edge), a faceless
    person's paths staying inside his box widened by ``BOX_SLACK`` (without it the bus's left-edge man took the coated
    man's shin and shoe, reached through his own hand), and each piece keeps its largest component. Returns (mask, index in ``mine`` or None for a faceless person)."""
    from skimage.graph import MCP_Geometric

    from segmenters.objects import box_mask

    shape = part.shape

    def holds(box, f) -> bool:
        return box[0] <= f.centre[0] <= box[2] and box[1] <= f.centre[1] <= box[3]

    def area(box) -> float:
        return max(1.0, (box[2] - box[0]) * (box[3] - box[1]))

    own_boxes: list = []
    for f in mine:
        held = [b for b in boxed if holds(b, f)]
        if not held:  # the detector missed this faced person, so a faceless box may be his own (basketball1: a
            return None  # 47 x 57 box around the left man's hands and ball; his body no box of its own)
        own_boxes.append(min(held, key=area))
    faced_area = np.zeros(shape, bool)
    for b in own_boxes:
        x0, y0, x1, y1 = _box_ints(b, shape)
        faced_area[y0:y1, x0:x1] = True
    extra = []
    for b in boxed:
        if any(holds(b, f) for f in faces):
            continue
        x0, y0, x1, y1 = _box_ints(b, shape)
        if x1 <= x0 or y1 <= y0:
            continue
        if float(faced_area[y0:y1, x0:x1].mean()) >= EXPLAINED:
            continue
        if float((part & ~faced_area)[y0:y1, x0:x1].sum()) < SPLIT_FILL * area(b):
            continue
        extra.append(b)
    if not extra:
        return None
    seeds = []
    for b in own_boxes + extra:
        x0, y0, x1, y1 = _box_ints(b, shape)
        cx, half = (x0 + x1) / 2, CORE * (x1 - x0) / 2
        s = np.zeros(shape, bool)
        s[y0:y1, int(cx - half) : int(np.ceil(cx + half)) + 1] = True
        seeds.append(s & part)
    both = np.sum(seeds, axis=0) > 1
    seeds = [s & ~both for s in seeds]
    if any(not s.any() for s in seeds):
        return None
    ys, xs = np.nonzero(part)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    sub = part[y0:y1, x0:x1]
    img = cv2.GaussianBlur(rgb[y0:y1, x0:x1].astype(np.float32), (3, 3), 0)
    grad = np.zeros(sub.shape, np.float32)
    for ch in range(img.shape[2]):
        gx = cv2.Sobel(img[..., ch], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(img[..., ch], cv2.CV_32F, 0, 1, ksize=3)
        grad = np.maximum(grad, np.hypot(gx, gy))
    scale = float(np.percentile(grad[sub], 90)) or 1.0
    cost = np.where(sub, 1.0 + EDGE_COST * np.minimum(grad / scale, 1.0), np.inf)
    dist = []
    ring = np.ones((3, 3), np.uint8)
    for k, s in enumerate(seeds):
        seed = s[y0:y1, x0:x1]
        edge = seed & ~cv2.erode(seed.astype(np.uint8), ring, borderValue=0).astype(bool)
        here = cost
        if k >= len(mine):  # a faceless person is only inside his box (widened by BOX_SLACK): it is all that saw him
            inside = box_mask(shape, extra[k - len(mine)], BOX_SLACK)[y0:y1, x0:x1]
            here = np.where(inside, cost, np.inf)
        d, _ = MCP_Geometric(here, fully_connected=True).find_costs(np.argwhere(edge))  # from the seed's rim only:
        d[seed] = 0.0  # a path from inside it leaves through the rim (MCP's cost grows with its number of starts)
        dist.append(d)
    nearest = np.argmin(np.stack(dist), axis=0)
    out: list[tuple[np.ndarray, int | None]] = []
    for k in range(len(seeds)):
        m = np.zeros(shape, bool)
        m[y0:y1, x0:x1] = sub & (nearest == k)
        if k < len(mine):
            m = _largest_with_face(m, mine[k])
        else:
            n, labels, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
            m = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) if n > 1 else m
            if m.sum() < MIN_PART * shape[0] * shape[1]:
                continue
        if m.any():
            out.append((m, k if k < len(mine) else None))
    return out


def person_boxes(ctx: ParseContext) -> list[tuple[float, float, float, float]] | None:
    """The boxes (XYXY, work pixels) where the COCO detector (segmenters/detector.py) sees a person on the working copy;
    None when the detector is not here (then no part is dropped for want of one)."""
    from segmenters.detector import available, ctx_detections

    if not available():
        return None
    return [
        (float(d.box[0]), float(d.box[1]), float(d.box[2]), float(d.box[3]))
        for d in ctx_detections(ctx)
        if d.label == "person"
    ]


def small_boxed(part: np.ndarray, boxes: list[tuple[float, float, float, float]] | None) -> bool:
    """Whether ``part`` (bool, work size), smaller than ``MIN_PART`` of the photo, is a person far away the detector
    sees: it fills ``SMALL_FILL`` of one of its person ``boxes`` (XYXY work px) and ``MIN_BOXED`` of it lies in that
    box widened by ``BOX_SLACK``. False without the detector (None)."""
    from segmenters.objects import box_mask

    if not boxes:
        return False
    total = max(1, int(part.sum()))
    for box in boxes:
        x0, y0, x1, y1 = box
        inside = int(part[box_mask(part.shape, box)].sum())
        if inside < SMALL_FILL * max(1.0, (x1 - x0) * (y1 - y0)):
            continue
        if int(part[box_mask(part.shape, box, BOX_SLACK)].sum()) >= MIN_BOXED * total:
            return True
    return False


def _in_own_boxes(part: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    """Bool, ``part``'s shape: the pixels of those ``boxes`` (each widened by ``BOX_SLACK``) whose own pixels ``part``
    fills at least ``BOX_FILL`` of."""
    from segmenters.objects import box_mask

    out = np.zeros(part.shape, bool)
    for box in boxes:
        x0, y0, x1, y1 = box
        if int(part[box_mask(part.shape, box)].sum()) >= BOX_FILL * max(1.0, (x1 - x0) * (y1 - y0)):
            box_mask(out.shape, box, BOX_SLACK, out=out)
    return out


def _merge_fragments(
    pieces: list[tuple[np.ndarray, list[int]]], shape: tuple[int, int]
) -> list[tuple[np.ndarray, list[int]]]:
    """A small part without a face next to a person with one is a piece of that person (a hand beyond a held
    helmet), not a person of its own: merge it into the nearest such person."""
    faced = [i for i, (_, owned) in enumerate(pieces) if owned]
    small = [
        j
        for j, (m, owned) in enumerate(pieces)
        if not owned and any(m.sum() < MAX_FRAGMENT * pieces[i][0].sum() for i in faced)
    ]
    if not small:
        return pieces
    reach = FRAGMENT_REACH * max(shape)
    # distance of every pixel to each person with a face (one distance transform each)
    dist = {i: cv2.distanceTransform((~pieces[i][0]).astype(np.uint8), cv2.DIST_L2, 3) for i in faced}
    out = [(m.copy(), list(o)) for m, o in pieces]
    dropped = set()
    for j in small:
        m = pieces[j][0]
        near = {i: float(dist[i][m].min()) for i in faced if m.sum() < MAX_FRAGMENT * pieces[i][0].sum()}
        near = {i: d for i, d in near.items() if d <= reach}
        if near:
            best = min(near, key=near.get)
            out[best][0][m] = True
            dropped.add(j)
    return [p for j, p in enumerate(out) if j not in dropped]


def _face_in(part: np.ndarray, face) -> bool:
    x0, y0, x1, y1 = (int(round(v)) for v in face.box)
    region = part[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    return region.size > 0 and region.mean() > 0.3


def _largest_with_face(mask: np.ndarray, face) -> np.ndarray:
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    cx, cy = (int(v) for v in face.centre)
    lab = labels[min(cy, mask.shape[0] - 1), min(cx, mask.shape[1] - 1)]
    if lab == 0:
        counts = np.bincount(labels.ravel())
        counts[0] = 0
        lab = int(np.argmax(counts))
    return labels == lab


def fuse_voc(
    selfie: np.ndarray, voc: np.ndarray, animals: np.ndarray, faces: list, prob: np.ndarray | None = None
) -> np.ndarray:
    """People mask from the VOC person class plus the selfie parts that touch it or hold a face, minus animals.

    - Selfie pixels away from the VOC person are added only around the faces the VOC net missed (a box below
      each such face, ``_face_zone``): where the VOC net found the person, the selfie net's extra reach is
      what the person holds or stands against (the astronaut's helmet), not the person.
    - With a portrait-sized face (``SMALL_FACE`` of the longer side or more) the selfie net sees the photo at
      its own scale, so VOC pixels where its probability ``prob`` is under ``SELFIE_VETO`` are dropped: the VOC
      net calls a striped flag beside a shoulder "person", the selfie net does not."""
    h, w = voc.shape
    k = max(3, int(VOC_NEAR * max(h, w))) | 1
    if prob is not None and any(f.width >= SMALL_FACE * max(h, w) for f in faces):
        voc = voc & (prob >= SELFIE_VETO)
    near = cv2.dilate(voc.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    n, labels = cv2.connectedComponents(selfie.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[near & selfie])] = True
    for f in faces:
        cx, cy = (int(v) for v in f.centre)
        keep[labels[min(max(cy, 0), h - 1), min(max(cx, 0), w - 1)]] = True
    keep[0] = False
    missed = [f for f in faces if not _face_in(voc, f)]
    return (voc | (keep[labels] & (near | _face_zone((h, w), missed)))) & ~animals


def limbs(prob: np.ndarray, seen: np.ndarray, mask: np.ndarray, faces: list) -> np.ndarray:
    """The limbs the VOC net cuts off a person seen below portrait scale (bool, work size: the pixels to add to
    ``mask``). The VOC net's blob ends at the shoulder or the elbow of an arm held out (messi5: neither bare arm in
    the person mask, so neither skin); the selfie net (``prob``, with its crop around each small face) and the ADE
    net (``seen``: its person probability) both follow the arm to the hand. Their agreement (over ``LIMB_SELFIE`` and ``LIMB_ADE``)
    outside ``mask``, within ``LIMB_REACH`` face heights of a face narrower than ``MATTE_FACE`` of the longer side
    (portraits get the matte's outline instead, ``with_matte``), in pieces touching the part of ``mask`` that holds
    that face, farther than ``LIMB_HEAD`` face heights from every face (the nets' blobs round a head: t1's hair
    0.756 -> 0.636 with them), in pieces ``LIMB_THICK`` face widths thick somewhere (a limb, not a sliver along the
    outline) and touching it along at most ``LIMB_CONTACT`` x their length (joined at one end, not lying along the
    outline), is added. Either net alone reaches too far: the selfie net over t1's wooden table, the ADE net into
    a crowd."""
    h, w = mask.shape
    out = np.zeros((h, w), bool)
    if LIMB_REACH <= 0 or not mask.any():
        return out
    cand = (prob > LIMB_SELFIE) & (seen > LIMB_ADE) & ~mask
    if not cand.any():
        return out
    n, parts = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    ys, xs = np.mgrid[0:h, 0:w]
    for f in faces:
        cand &= (xs - f.centre[0]) ** 2 + (ys - f.centre[1]) ** 2 > (LIMB_HEAD * f.height) ** 2
    m, pieces = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    half = cv2.distanceTransform(cand.astype(np.uint8), cv2.DIST_L2, 3)
    thick = np.zeros(m, np.float32)  # each piece's half-width at its thickest
    np.maximum.at(thick, pieces.ravel(), half.ravel())
    for f in faces:
        if f.width >= MATTE_FACE * max(h, w):
            continue
        cx, cy = int(min(max(f.centre[0], 0), w - 1)), int(min(max(f.centre[1], 0), h - 1))
        owner = parts[cy, cx]
        if owner == 0:
            continue
        touch = cv2.dilate((parts == owner).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        keep = np.zeros(m, bool)
        keep[np.unique(pieces[touch & cand])] = True
        keep &= thick >= LIMB_THICK * f.width
        keep[0] = False
        contact = np.bincount(pieces[touch & cand], minlength=m)
        for i in np.flatnonzero(keep):
            py, px = np.nonzero(pieces == i)
            (_, _), (rw, rh), _ = cv2.minAreaRect(np.column_stack([px, py]).astype(np.float32))
            keep[i] = contact[i] <= LIMB_CONTACT * max(rw, rh, 1.0)
        reach = (xs - f.centre[0]) ** 2 + (ys - f.centre[1]) ** 2 <= (LIMB_REACH * f.height) ** 2
        out |= keep[pieces] & reach
    return out


def _face_zone(shape: tuple[int, int], faces: list) -> np.ndarray:
    """Where the bodies of the detected faces can be: a box from the top of the head down, 3 faces wide."""
    h, w = shape
    out = np.zeros(shape, bool)
    for f in faces:
        cx = (f.box[0] + f.box[2]) / 2
        x0, x1 = int(max(0, cx - 1.8 * f.width)), int(min(w, cx + 1.8 * f.width))
        y0, y1 = int(max(0, f.box[1] - 0.6 * f.height)), int(min(h, f.box[3] + 8 * f.height))
        out[y0:y1, x0:x1] = True
    return out


def ade_people(ctx: ParseContext, found: np.ndarray, animals: np.ndarray) -> np.ndarray | None:
    """People the ADE20K net sees that the VOC and selfie nets missed (bool, work size; None without the net).

    Small people far away (a campus seen from a window) are a few dozen pixels wide at the nets' 513 px
    input; the VOC net gives them a handful of pixels, the selfie net nothing, but the ADE net (run anyway for
    the scene labels, so this costs nothing more) labels them "person". Its person pieces are added when they
    cover at least ``MIN_PART`` of the photo with a mean person probability of ``ADE_PERSON_P`` or more (in the
    views' mean or in one view alone: the whole photo, its mirror or the tiles, ``ade_answer``'s ``person_views``;
    averaging views blurs a person 25 px wide, whose piece then takes in its less sure rim: scenetext06's person
    read 0.75 in the whole photo's view, 0.66 in the mean with its mirror), touch
    no person already found and no animal, and the VOC net does not call them another object (the ADE net
    calls a cat, a squirrel, a dog's paw or an eagle's feet "person" at times; less sure pieces were a
    reflection in a helmet, a model rocket, a blurred crowd)."""
    from segmenters.nets import ADE, ADE_CLASSES, VOC_CLASSES, ade_answer, grid_to_size, net_available, voc_labels

    if not net_available(ADE):
        return None
    h, w = found.shape
    ade = ade_answer(ctx)
    index = ADE_CLASSES.index("person") + 1
    cand = ade["labels"] == index
    if not cand.any():
        return cand
    prob = grid_to_size(np.ascontiguousarray(ade["probs"][..., index]), (w, h))
    views = [grid_to_size(v, (w, h)) for v in ade.get("person_views", [])]  # (each on its own grid)
    voc = voc_labels(ctx)
    other = (voc != 0) & (voc != VOC_CLASSES.index("person"))  # the VOC net sees some other object here
    k = max(3, int(VOC_NEAR * max(h, w))) | 1
    taken = (found | animals).astype(np.uint8)
    near = cv2.dilate(taken, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    boxes = None
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA]
        if area < MIN_SMALL * h * w:
            continue
        piece = labels == i
        floor = ADE_PERSON_P
        if area < MIN_PART * h * w:  # a person far away: only where the detector boxes them (small_boxed) ...
            boxes = person_boxes(ctx) if boxes is None else boxes
            if not small_boxed(piece, boxes):
                continue
            floor = BOXED_PERSON_P  # ... and then two nets see them
        sure = max([float(prob[piece].mean())] + [float(v[piece].mean()) for v in views])
        keep[i] = sure >= floor and float(other[piece].mean()) < 0.5
    keep[np.unique(labels[near & cand])] = False
    keep[0] = False
    return keep[labels]


def ade_person(ctx: ParseContext) -> np.ndarray:
    """The ADE20K net's person probability per work pixel (zeros without the net)."""
    from segmenters.nets import ADE, ADE_CLASSES, ade_answer, grid_to_size, net_available

    h, w = ctx.shape
    if not net_available(ADE):
        return np.zeros((h, w), np.float32)
    probs = ade_answer(ctx)["probs"]
    return grid_to_size(np.ascontiguousarray(probs[..., ADE_CLASSES.index("person") + 1]), (w, h))


def sharpen_faceless(ctx: ParseContext, mask: np.ndarray, faces: list) -> np.ndarray:
    """People without a detected face (seen from behind, from the side, far away) redrawn by the selfie net on
    a crop around each of them (bool, work size).

    The VOC and ADE nets see a person 30 px wide as a blob; the selfie net, given a crop around that person
    (from the full-resolution photo, the person's box plus ``CROP_PAD`` of its longer side), draws the head,
    arms and legs. The selfie's outline replaces the blob within ``CROP_REACH`` of it when the two agree
    (``CROP_AGREE`` of the selfie's outline lies in the blob, and it covers ``CROP_SEEN`` of the blob or more);
    the largest ``CROP_MAX`` faceless parts are redrawn."""
    h, w = mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    order = sorted(range(1, n), key=lambda i: -stats[i, cv2.CC_STAT_AREA])
    out = mask.copy()
    s = 1.0 / ctx.scale
    H, W = ctx.photo.height, ctx.photo.width
    done = 0
    for i in order:
        if done >= CROP_MAX or stats[i, cv2.CC_STAT_AREA] < MIN_PART * h * w:
            break
        part = labels == i
        if any(_face_in(part, f) for f in faces):
            continue
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        pad = int(CROP_PAD * max(bw, bh)) + 2
        x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
        crop = ctx.photo.pixels[int(y0 * s) : min(H, int(round(y1 * s))), int(x0 * s) : min(W, int(round(x1 * s)))]
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            continue
        done += 1
        prob = cv2.resize(
            selfie_probability(np.ascontiguousarray(crop)), (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA
        )
        sil, sub = prob > THRESHOLD, part[y0:y1, x0:x1]
        inside = int((sil & sub).sum())
        if inside < CROP_AGREE * sil.sum() or inside < CROP_SEEN * sub.sum():
            continue  # the selfie net sees someone else, or hardly anyone: keep the nets' outline
        k = max(3, int(CROP_REACH * max(bw, bh))) | 1
        near = cv2.dilate(sub.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
        box = out[y0:y1, x0:x1]
        box &= ~sub
        box |= sil & near
    return out


def portrait_faces(faces: list, shape: tuple[int, int]) -> list:
    """The ``faces`` at least ``MATTE_FACE`` of the longer side of ``shape`` (h, w) wide: the ones the matte draws."""
    return [f for f in faces if f.width >= MATTE_FACE * max(shape)]


def portrait_people(mask: np.ndarray, faces: list) -> np.ndarray:
    """The parts of ``mask`` (bool) holding a face at least ``MATTE_FACE`` of the longer side wide: people seen
    at portrait scale (bool, mask's shape)."""
    big = portrait_faces(faces, mask.shape)
    if not big or not mask.any():
        return np.zeros(mask.shape, bool)
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    chosen = np.zeros(n, bool)
    for f in big:
        x0, y0, x1, y1 = (int(round(v)) for v in f.box)
        ids = labels[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
        if ids.size:
            chosen[np.bincount(ids.ravel(), minlength=n).argmax()] = True
    chosen[0] = False
    return chosen[labels]


def with_matte(
    mask: np.ndarray, alpha: np.ndarray | None, faces: list, animals: np.ndarray | None = None
) -> np.ndarray:
    """The outline of the people seen at portrait scale (``portrait_people``) from the matte
    (segmenters/matte.py, RVM's alpha at work size): within ``MATTE_REACH`` of the nets' outline a pixel is the
    person's where the alpha is over ``THRESHOLD``; deeper inside the nets' person stays theirs, farther out
    nothing is added (the matte alone takes statues and posters for people; the nets decide who is there, the
    matte where their edge and hair run). Grey hair below the ears, which the nets' blobs leave out, lies in
    that band. People with smaller faces keep the nets' outline: the matte sees the photo at ``SIDE * RATIO``
    px (segmenters/matte.py), where they are a few dozen pixels tall and its alpha is soft and loses arms and
    heads (vtest, darknet_kite, scenetext01, t1's group: looked at)."""
    if alpha is None or not mask.any():
        return mask
    h, w = mask.shape
    portrait = portrait_people(mask, faces)
    if not portrait.any():
        return mask
    k = 2 * max(1, int(MATTE_REACH * max(h, w))) + 1
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    m = portrait.astype(np.uint8)
    near = cv2.dilate(m, ker).astype(bool) & ~(mask & ~portrait)
    core = cv2.erode(m, ker).astype(bool)
    out = (mask & ~near) | core | (near & (alpha > THRESHOLD))
    return out & ~animals if animals is not None else out


def clean(mask: np.ndarray) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)


class PersonParser:
    name = "person"

    def __init__(self, manager: ModelManager):
        self.manager = manager

    def run(self, ctx: ParseContext) -> ParseOutput:
        fo = ctx.need("faces")
        faces = fo.data if fo is not None else []
        oo = ctx.need("objects")
        things = oo.data if oo is not None else None
        try:
            prob = person_probability(ctx.work, faces)
            mask, source = clean(prob > THRESHOLD), SOURCE
            if things is not None:
                mask = clean(fuse_voc(mask, things.person, things.animals, faces, prob))
                mask |= limbs(prob, ade_person(ctx), mask, faces) & ~things.animals
                evidence = things.person
                small = ade_people(ctx, mask, things.animals)
                if small is not None and small.any():
                    mask, evidence = mask | small, evidence | small
                mask = sharpen_faceless(ctx, mask, faces) & ~things.animals
                if portrait_people(mask, faces).any():  # the matte runs only for people seen at portrait scale
                    alpha = ctx_alpha(ctx)
                    mask = with_matte(mask, alpha, faces, things.animals)
                    if alpha is not None:  # their outline is the matte's: they get its soft edge (parsing.assemble)
                        ctx.cache["matte_people"] = mask & portrait_people(mask, faces)
                people = split_people(mask, faces, prob, evidence=evidence, boxed=person_boxes(ctx), rgb=ctx.work)
                parts = [Part("person", m, FUSED_SOURCE, None, person=i) for i, m in enumerate(people.masks)]
                return ParseOutput(parts=parts, data=people, source=FUSED_SOURCE)
        except ModelUnavailable:
            if not self.manager.ready("clothes"):
                raise
            co = ctx.need("clothes")
            if co is None or co.data is None:
                raise
            prob, mask, source = None, clean(co.data.person), co.source
        people = split_people(mask, faces, prob)
        parts = [Part("person", m, source, None, person=i) for i, m in enumerate(people.masks)]
        return ParseOutput(parts=parts, data=people, source=source)


def start_matte(ctx: ParseContext, found: ParseOutput | None) -> None:
    """``AFTER_HOOKS["faces"]`` (segmenters/parsing.py): when a face is seen at portrait scale (``MATTE_FACE``), the
    person parser will ask for the matte (``with_matte``, through ``portrait_people``), so its pass (about 0.3 s of
    one core at 1 MP, onnxruntime on one thread) begins now on a background thread, while the objects parser waits for
    the scene nets, instead of after them on the parse's own thread (issue 11: a portrait's parse under 1.5 s). The
    same ``ctx_alpha`` the person parser runs: its answer, only sooner. Not with the nets off (the person parser then
    has no VOC people and asks for no matte) nor without the matte's files."""
    from segmenters.nets import VOC, net_available

    faces = found.data if found is not None and found.data is not None else []
    if "person" not in ctx.parsers or not portrait_faces(faces, ctx.shape):
        return
    if net_available(VOC) and matte_available():
        ctx.start(lambda: ctx_alpha(ctx))


AFTER_HOOKS.setdefault("faces", []).append(start_matte)


@PARSERS.register("person")
def build(manager: ModelManager) -> PersonParser:
    return PersonParser(manager)
