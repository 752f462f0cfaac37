"""Offline click segmentation: the photo's labelled parts and edges as priors, GrabCut for the border.

``prepare`` (once per photo) shrinks the photo to a working size, converts it to Lab, splits it into
SLIC superpixels (mean colours, neighbours, and how strong the photo's edge is between each pair of
neighbours). ``attach_parts`` (once per photo, after parsing) adds the labelled parts (the parse output:
people, animals, cars, sky, road, ...) at working size, sorted into *things* (objects a click means:
``person 2``, ``car``, ``dog``, ...) and *stuff* (sky, road, grass, building, ...).

Each click then finds the region it *hits*:
1. on a thing: the connected piece of that thing under the click (one car of the "car" part, one person);
   Where two or more of the detector's boxes (segmenters/detector.py) lie on that piece (touching cars painted
   as one "car", a crowd), the share of it the box under the click takes (``objects.click_piece``); where the
   person parser's straight line parts it from a touching person, the band by that line is the cut's to decide
   (``_loose``);
2. on what the VOC net calls an object (any class) that no part names: that object (``_net_object``);
3. inside a box that holds a labelled thing of its kind (between a horse's legs): that thing (``objects.boxed_piece``);
4. elsewhere: the superpixels connected to the clicked one whose colour is close to it and that are not
   separated from it by a strong edge, never entering a thing or a stuff part that the click is not on
   (so a click on a horse does not flow into the hillside, nor one on a car into the road).

Positive clicks' regions are the object; negative clicks' regions are removed (they become fixed
background). GrabCut (colour models + graph cut) then settles the border inside a band around the region;
pixels of other labelled parts and everything beyond the band are fixed background, so the cut cannot
jump across the scene. The connected pieces that contain a positive click are kept, small holes filled,
and the mask brought to the photo's size with edge-aware refinement (``core.edges``: no staircase).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from core.errors import BadInput
from core.masks import fill_holes, keep_components
from core.types import ClickPrompt, MaskResult, Photo, Segment
from segmenters.registry import SEGMENTERS

log = logging.getLogger(__name__)

WORK_SIDE = 512  # working resolution of the longer side
N_SUPERPIXELS = 700
LIGHTNESS_WEIGHT = 0.5  # shading changes lightness more than hue: count it for less
COLOUR_TOLERANCE = 16.0  # weighted Lab distance to the clicked superpixel's colour
STEP_TOLERANCE = 14.0  # weighted Lab distance between two neighbouring superpixels of one region
EDGE_TOLERANCE = 0.8  # edge strength (0..1, relative to the photo's strong edges) a region does not cross
MAX_GROW_FRACTION = 0.35  # a region grown without a labelled thing stays under this share of the photo
GRABCUT_ITERS = 3
MEMO_SIZE = 64  # regions kept per photo (hit_region)
CUT_PIXELS = 25_000  # GrabCut runs on at most this many pixels (a bigger box is cut on a smaller copy)
BOX_STEPS = (0.12, 0.2, 0.3, 0.42)  # half sizes (share of the shorter side) of the boxes tried around a click
BOX_TOUCH = 0.06
BOX_FILL = 0.06  # a cut filling less of its box than this is a speck, not the object: try a bigger box
OBJECT = "object"  # what hit_region names a piece found by the VOC net's objectness (no labelled part there)
OBJECT_NECK = 0.03  # an opening this wide (share of the shorter side) splits an object from what it touches
MAX_OBJECT_FRACTION = 0.5  # a net's "object" covering more of the photo than this is not one object
HOLLOW = 0.4  # a click on the VOC net's object (``OBJECT``: no labelled part there) whose cut keeps less than this
# share of it found no object there: the net's blob was a guess the photo's colours and edges do not bear out, and the
# click takes the enclosing cut instead (``_enclosed``, as off the net's objects). Round 23's drive: a click on a
# dahlia's heart (sklearn's flower.jpg, a class the VOC net does not know) hit a 561 px blob of weak objectness (median
# 0.56) in the middle of the petals, which the cut shrank to a 27 px speck; now the dahlia (~59,000 px). Not where the
# colour region grown from the click is a big even region (over ``REGION_FRACTION``: the sky around a rocket tower's
# lattice, a black helmet on a black backdrop): that region is no object either, and the click keeps the cut it had
WEAK_OBJECT = 0.7  # ... and so did one on a blob the net is unsure of (median probability of any object under this:
# the dahlia's two blobs 0.55-0.57, a rocket tower's 0.52-0.61, a lemon's 0.59; the squirrel, the eagle, the robin, a
# nuthatch, china's temple 0.80-1.0) when the enclosing cut there holds WEAK_HELD of the blob and is bigger (a blob that
# is a piece of a bigger object: at twice flower.jpg's size the cut kept 0.70 of a heart blob, 1.1 % of the photo)
WEAK_HELD = 0.9
VOC_UNSURE = 0.9  # an outlined region's pixels the VOC net is less sure of than this share of its median there are
# not fixed object in the cut (``voc_unsure``: horse 4 0.59 / 0.30 -> 0.62 / 0.18, the squirrel 0.80 / 0.14 -> 0.83 /
# 0.11; the dog by the bicycle 0.86 -> 0.84, its white chest; 0.85: horse 4 keeps 0.21 of leak; 0.95: the same leaks,
# the eagle, the giraffe and the other horses lose 0.006-0.023 of IoU). Not on people or vehicles: ``_outlined_by_voc``
TOUCH_BAND = 0.4  # a clicked person's pixels within this x the square root of its area of the line the person parser
# drew to a touching person, and the other person's pixels as near it, are left for the cut to decide (``_loose``; t1's
# six people, one click each: IoU 0.692 -> 0.741, leak max 0.391 -> 0.178; the same for 0.3-0.5, but 0.2 is narrower
# than the seated man's sleeve in the woman's share: about 0.51 for her)
LOOSE_MAX = 0.7  # ... but at most this share of the clicked person's pixels (nearest the line first), so a narrow
# person keeps a sure core (without it and the face rule, at 0.4, the standing man kept 0.005 of himself)
UNBOUNDED = 0.75  # ... but where the cut takes this share of the touching person's side of that band, it found no
# border in it (the band's reach is none in the photo: the next man's suit in the clicked one's colours) and that side
# goes back to its person (``_unbounded``; ultralytics_zidane's pointing man, three clicks: IoU / leak 0.664 / 0.301 ->
# 0.792 / 0.113; on t1's six people the cut takes at most 0.50 of a side: a sleeve, a shoulder, kept)
OWN_BOX_IOU = 0.5  # a clicked animal's own box (``_own_box``): the detector's box around the click most like the
# region's bounding box, at least this IoU; below the region's middle row the box is open to the cut (not fixed
# background, not a stuff part's: the scene net calls a giraffe's legs "grass"), since the VOC net's coarse outline
# misses the legs (in-sample one click: the white horse 0.749 -> 0.794, the dog 0.842 -> 0.869, the giraffe 0.648 ->
# 0.670, the zebra 0.466 -> 0.490, the eagle 0.864 -> 0.880)
TRUSTED = ("person", "car", "bus", "truck", "van")  # things whose labelled outline (the person parse; the VOC, scene
# net and detector's vehicles) follows the photo's edges: a click on one, where it is a whole piece (not a share the
# detector's boxes parted, not by a line to a touching person), keeps its pixels sure object up to TRUSTED_ERODE
# working pixels from its edge (the default, half the cut's band: 5-6), so the cut keeps the windows, tyres, a dark
# shirt whose colours differ from the rest (in-sample one click: the kneeling man 0.738 -> 0.798, the cars 0.791 ->
# 0.826, 0.755 -> 0.775, 0.914 -> 0.920, basketball1's men 0.757 -> 0.772, 0.750 -> 0.767; 3: the silver car 0.910
# with leak 0.079, 2: 0.897 / 0.095)
TRUSTED_ERODE = 4
RIM_WINDOW = 2  # a herd's share (``_herd_share``): the rim pixels the cut kept whose colour is nearer the mean of the
# fixed background than of the sure object within this x the cut's band on each side go (``_local_rim``): the brown
# horse's head in the grey horse's share, 0.616 / 0.175 -> 0.617 / 0.106; the brown horse 0.680 -> 0.674; on every
# animal (not shares only) the robin's back and the squirrel went too (0.899 -> 0.866, 0.833 -> 0.824)
RIM_MIN = 0.05  # ... where both hold at least this share of the window
LEG_WIDTH = 0.02  # ... and what the cut takes there beyond the usual band is kept only where thinner than twice this
# share of the shorter side (legs): a broad wedge is background of the animal's colours (the robin's perch: 0.859
# without this rule, 0.899 with it, 0.907 before; 0.015 and 0.03 the same elsewhere)
BOX_OWN = 0.8  # a click inside a detector's box adds its own enclosed cut to the boxed thing when this share of
# the cut lies inside the box
CLAIM_MARGIN = (
    0.25  # an exclude click's object takes selected pixels of its colours this far beyond its box (``_claimed``)
)
CLAIM_SPECK = 12  # claimed pieces smaller than this many working pixels are noise, not the object
CLAIM_CLUSTERS = 5  # colours (k-means in Lab) that stand for the object and for what is around it there
SPLIT_NEAR = 0.1  # an exclude click's split (``_split``): another thing's pixels nearer the object hit than this
# share of the photo's shorter side may still be the object's
SPLIT_MIN = 50  # ... and a split needs this many working pixels of the object and of the rest
SUB_PART_NEAR = 0.3  # an exclude click inside the selected object (``_sub_part``): the selected pixels this near the
# click (geodesic, inside the selection; share of the selection's side, the square root of its area) are probably
# the part removed, those beyond ``SUB_PART_FAR`` surely stay
SUB_PART_FAR = 0.6
SUB_PART_MIN = 0.14  # ... and what it removes is at least the superpixels this near the click (never a tiny disc)
SUB_PART_MAX = 0.45  # ... and at most this share of the selection
SUB_PART_PIXELS = (
    10_000  # ... and its cut runs on at most this many pixels (a coarse part: ~50 ms less than CUT_PIXELS)
)
# A click on a small thing of its own inside a labelled thing (the mission patch on a suit, a badge, a logo): that
# thing, not the whole person. The colour region grown from the click is an island inside the thing's piece, at
# most INNER_MAX of it and at least INNER_MIN of the photo, unlike its surroundings by INNER_CONTRAST (weighted Lab),
# and no labelled part of the thing (an eye, the face, hair: the person is meant, their chips pick them) holds it.
INNER_MAX = 0.1
INNER_MIN = 0.002
INNER_SPECK = 0.0005  # ... the colour region under the click at least this share (a letter of the patch's text)
INNER_CONTRAST = 25.0
INNER_RING = 6  # working pixels around the island: inside the thing (it touches no outer edge), its surroundings
REGION_FRACTION = 0.08  # a colour region grown from a click bigger than this share of the photo is the answer  # a cut covering less than this share of the box's inner sides is enclosed by the box

# Labels (or their first word: "person 2" -> "person") that name a whole object a click means.
THINGS = frozenset(
    {
        "person",
        "dog",
        "horse",
        "cat",
        "cow",
        "sheep",
        "bird",
        "car",
        "bus",
        "bicycle",
        "motorbike",
        "motorcycle",
        "boat",
        "airplane",
        "aeroplane",
        "train",
        "truck",
        "animal",
        "bear",
        "elephant",
        "zebra",
        "giraffe",
        "van",
        "chair",
        "sofa",
        "bottle",
        "potted plant",
    }
)
UNIONS = frozenset({"all faces"})
# Labels of regions (stuff): a click may grow inside the one it is on, never into another.
STUFF = frozenset(
    {
        "sky",
        "building",
        "tree",
        "grass",
        "road",
        "water",
        "mountain",
        "sand",
        "sea",
        "river",
        "field",
        "floor",
        "wall",
        "ceiling",
        "sidewalk",
        "earth",
        "rock",
        "snow",
        "plant",
        "fence",
        "hill",
        "path",
        "dirt",
        "ground",
        "house",
        "background",
    }
)


@dataclass(frozen=True)
class LabelledPart:
    label: str
    kind: str  # "thing" or "stuff"
    mask: np.ndarray  # bool, working size


@dataclass(frozen=True)
class GrabCutPrepared:
    small: np.ndarray  # RGB uint8 at working size
    labels: np.ndarray  # int superpixel label per working pixel
    means: np.ndarray  # (n, 3) mean Lab colour per superpixel
    scale: float  # working pixels per photo pixel
    neighbours: tuple[np.ndarray, ...] = ()  # per superpixel: its neighbours
    edge_between: tuple[np.ndarray, ...] = ()  # per superpixel: edge strength towards each neighbour
    parts: tuple[LabelledPart, ...] = ()  # labelled parts at working size (see ``attach_parts``)
    objects: np.ndarray | None = None  # bool, working size: what the VOC net calls any object (see ``_objectness``)
    objectness: np.ndarray | None = None  # float32, working size: the VOC net's probability of any object there
    boxes: tuple = ()  # the detector's objects on ``small`` (segmenters/detector.py; see ``attach_parts``)
    # what earlier clicks on this photo hit (``hit_region``): a segment's every click re-reads its earlier ones
    memo: dict = field(default_factory=dict, compare=False, repr=False)


def part_kind(label: str) -> str | None:
    """ "thing" for whole objects (people, animals, vehicles), "stuff" for regions, "part" for the rest
    (parts of a thing: hair, clothes, face features); None for labels that repeat other parts' pixels."""
    base = label.strip().lower()
    if " · " in base or base in UNIONS:  # "person 2 · hair", "all faces": the same pixels as other parts
        return None
    word = base.rstrip("0123456789 ").strip()
    if word in THINGS:
        return "thing"
    if word in STUFF:
        return "stuff"
    return "part"


def attach_parts(prepared: object, parts: Sequence[Segment]) -> object:
    """``prepared`` with the photo's labelled parts as click priors (GrabCut backend only; any other
    backend's prepared data comes back unchanged). Things and stuff from trained models only: the
    approximate offline colour rules (``segmenters.parsing.is_approximate``) are not trusted to fence a
    click in; their sub-parts (a hat) are kept for what an exclude click on them removes. Also adds the
    VOC net's outline of objects (``_objectness``) for clicks on things no part names (a squirrel)."""
    if not isinstance(prepared, GrabCutPrepared):
        return prepared
    h, w = prepared.small.shape[:2]
    out = []
    for seg in parts:
        kind = part_kind(seg.label)
        if kind is None or not seg.mask.any() or ("approximate" in seg.source and kind != "part"):
            continue  # hand-made colour rules guess too often to fence a click in (sub-parts fence nothing:
            # they only say what an exclude click on them removes, e.g. the hat from a picked person)
        m = (
            cv2.resize(seg.mask.view(np.uint8), (w, h), interpolation=cv2.INTER_AREA) > 0
            if seg.mask.shape != (h, w)
            else seg.mask.copy()
        )
        if m.any():
            out.append(LabelledPart(seg.label, kind, m))
    sure = _object_probability(prepared.small)  # first: it keeps the VOC answer ``_objectness`` reads
    return replace(
        prepared,
        parts=tuple(out),
        objects=_objectness(prepared.small),
        objectness=sure,
        boxes=_boxes(prepared.small),
        memo={},
    )


def _boxes(small: np.ndarray) -> tuple:
    """The detector's objects on the working copy (the parse's own working copy, so its cached answer), or none
    when the detector is not here: boxes part touching things for a click (``objects.click_piece``). Down to
    ``objects.WEAK_SCORE``: an animal hidden in a herd is boxed less surely (``objects.herd_boxes``); every other use
    keeps to the detector's ``MIN_SCORE``."""
    from segmenters.detector import safe_detect
    from segmenters.objects import WEAK_SCORE

    return tuple(safe_detect(small, min_score=WEAK_SCORE))


def _edge_map(lab: np.ndarray) -> np.ndarray:
    """Edge strength per working pixel, 0..1 (1 = as strong as the photo's strongest 2 % of edges)."""
    blur = cv2.GaussianBlur(lab, (0, 0), 1.0)
    g = np.zeros(lab.shape[:2], np.float32)
    for c, wgt in enumerate((LIGHTNESS_WEIGHT, 1.0, 1.0)):
        gx = cv2.Sobel(blur[..., c], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(blur[..., c], cv2.CV_32F, 0, 1, ksize=3)
        g += wgt * wgt * (gx * gx + gy * gy)
    g = np.sqrt(g)
    top = float(np.percentile(g, 98)) or 1.0
    return np.clip(g / top, 0.0, 1.0)


def _graph(labels: np.ndarray, edge: np.ndarray, n: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Neighbouring superpixel pairs and the mean edge strength along their shared border."""
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()])
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()])
    e = np.concatenate([np.maximum(edge[:, :-1], edge[:, 1:]).ravel(), np.maximum(edge[:-1, :], edge[1:, :]).ravel()])
    diff = a != b
    a, b, e = a[diff], b[diff], e[diff]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo.astype(np.int64) * n + hi
    uniq, inv = np.unique(key, return_inverse=True)
    strength = np.bincount(inv, weights=e) / np.bincount(inv)
    pa, pb = (uniq // n).astype(np.int64), (uniq % n).astype(np.int64)
    src = np.concatenate([pa, pb])
    dst = np.concatenate([pb, pa])
    st = np.concatenate([strength, strength]).astype(np.float32)
    order = np.argsort(src, kind="stable")
    src, dst, st = src[order], dst[order], st[order]
    bounds = np.searchsorted(src, np.arange(n + 1))
    nbrs = tuple(dst[bounds[i] : bounds[i + 1]] for i in range(n))
    strengths = tuple(st[bounds[i] : bounds[i + 1]] for i in range(n))
    return nbrs, strengths


class GrabCutSegmenter:
    name = "grabcut"
    label = "GrabCut (offline, classical)"
    models: tuple[str, ...] = ()  # OpenCV's GrabCut: no trained model

    def prepare(self, photo: Photo) -> GrabCutPrepared:
        from skimage.color import rgb2lab
        from skimage.segmentation import slic

        h, w = photo.height, photo.width
        scale = min(1.0, WORK_SIDE / max(h, w))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(photo.pixels, size, interpolation=cv2.INTER_AREA) if scale < 1 else photo.pixels.copy()
        small = np.ascontiguousarray(small)
        lab = rgb2lab(small).astype(np.float32)
        labels = slic(small, n_segments=N_SUPERPIXELS, compactness=10, start_label=0)
        n = int(labels.max()) + 1
        flat = labels.ravel()
        counts = np.maximum(np.bincount(flat, minlength=n), 1)
        means = np.stack([np.bincount(flat, weights=lab[..., c].ravel(), minlength=n) / counts for c in range(3)], 1)
        nbrs, strengths = _graph(labels, _edge_map(lab), n)
        return GrabCutPrepared(
            small=small,
            labels=labels,
            means=means.astype(np.float32),
            scale=scale,
            neighbours=nbrs,
            edge_between=strengths,
        )

    # -- what one click hits ---------------------------------------------------------------------------
    def hit_region(self, prepared: GrabCutPrepared, x: int, y: int) -> tuple[np.ndarray, str | None]:
        """Bool working-size region a click at working pixel (x, y) means, and the thing's label if it
        landed on one (None: grown from colour and edges). Read-only: kept for the photo's next clicks (each
        click of a segment re-reads the earlier ones; a click off a labelled thing costs up to five cuts)."""
        key = ("hit", x, y)
        if key not in prepared.memo:
            self._settle(prepared, key, self._hit_region(prepared, x, y))
        return prepared.memo[key]

    @staticmethod
    def _settle(prepared: GrabCutPrepared, key: tuple, hit: tuple[np.ndarray, str | None]) -> None:
        """Keep ``hit`` (region, label) as what a click (``key``) hits on this photo, read-only (``hit_region``)."""
        hit[0].flags.writeable = False
        _remember(prepared, key, hit)

    def _hollow(self, prepared: GrabCutPrepared, fg: np.ndarray, hit: np.ndarray, x: int, y: int) -> bool:
        """Whether a click at (x, y) that hit the VOC net's unnamed object ``hit`` (cut to ``fg``) found no object
        there (``HOLLOW``, ``WEAK_OBJECT``): then what it hits from now on is the enclosing cut (``_enclosed``)."""
        if (fg & hit).sum() < HOLLOW * hit.sum():
            if self._grow(prepared, x, y).mean() > REGION_FRACTION:
                return False
            enclosed: np.ndarray | None = self._enclosed(prepared, x, y)
        else:  # the weak blob's answer does not depend on the cut: kept (a segment's every click re-reads it)
            key = ("weak", x, y)
            if key not in prepared.memo:
                _remember(prepared, key, self._around_weak(prepared, hit, x, y))
            enclosed = prepared.memo[key]
        if enclosed is None:
            return False
        self._settle(prepared, ("hit", x, y), (enclosed, None))
        return True

    def _around_weak(self, prepared: GrabCutPrepared, hit: np.ndarray, x: int, y: int) -> np.ndarray | None:
        """The enclosing cut at (x, y) when ``hit`` is a blob the VOC net is unsure of (``WEAK_OBJECT``) that the cut
        holds (``WEAK_HELD``) and is bigger than, not a big even colour region (``REGION_FRACTION``); else None."""
        if prepared.objectness is None or float(np.median(prepared.objectness[hit])) >= WEAK_OBJECT:
            return None
        if self._grow(prepared, x, y).mean() > REGION_FRACTION:
            return None
        enclosed = self._enclosed(prepared, x, y)
        if enclosed.sum() > hit.sum() and (enclosed & hit).sum() >= WEAK_HELD * hit.sum():
            return enclosed
        return None

    def _hit_region(self, prepared: GrabCutPrepared, x: int, y: int) -> tuple[np.ndarray, str | None]:
        from segmenters.objects import boxed_piece, click_piece

        thing = _thing_piece(prepared, x, y)
        if thing is not None:
            label, piece = thing
            inner = self._inner_object(prepared, piece, x, y)
            if inner is not None:
                return inner, None
            return click_piece(piece, prepared.small, label, list(prepared.boxes), x, y), label
        obj = self._net_object(prepared, x, y)
        if obj is not None:
            return obj, OBJECT
        if prepared.boxes:  # no object there, but inside a box of a labelled thing (between a horse's legs): that thing
            pieces = []
            for p in prepared.parts:
                if p.kind == "thing":
                    n, comp = cv2.connectedComponents(p.mask.view(np.uint8), connectivity=8)
                    pieces += [(p.label, comp == i) for i in range(1, n)]
            boxed = boxed_piece(pieces, prepared.small, list(prepared.boxes), x, y)
            if boxed is not None:  # with what the click itself encloses when that lies in the box (a zebra's
                piece, label, (bx0, by0, bx1, by1) = boxed  # rump the VOC net missed), not when it spreads
                own = self._enclosed(prepared, x, y)  # beyond it (the ground between a horse's legs)
                inside = own[max(0, int(by0)) : int(np.ceil(by1)), max(0, int(bx0)) : int(np.ceil(bx1))].sum()
                if own.any() and inside >= BOX_OWN * own.sum():
                    piece = piece | own
                elif own.any() and not _in_hull(piece, x, y):
                    # beside the thing, not in a gap of it (between its legs, its wheels): the surface the click is
                    # on, as off any box (round 24's drive: the floor by a motorbike's back wheel took the motorbike,
                    # which the cut then dropped as not the click's: "only 2719 px selected (0.01% of the photo)")
                    return own, None
                return piece, label
        return self._enclosed(prepared, x, y), None

    def _inner_at(self, prepared: GrabCutPrepared, x: int, y: int) -> np.ndarray | None:
        """The small thing of its own under (x, y) inside the labelled thing there (``_inner_object``), or None.
        Read-only and kept, as ``hit_region``: an exclude click looks for it first (``_exclusion``)."""
        key = ("inner", x, y)
        if key not in prepared.memo:
            thing = _thing_piece(prepared, x, y)
            inner = self._inner_object(prepared, thing[1], x, y) if thing is not None else None
            if inner is not None:
                inner.flags.writeable = False
            while len(prepared.memo) >= MEMO_SIZE:  # the oldest first
                prepared.memo.pop(next(iter(prepared.memo)))
            prepared.memo[key] = inner
        return prepared.memo[key]

    def _inner_object(self, prepared: GrabCutPrepared, piece: np.ndarray, x: int, y: int) -> np.ndarray | None:
        """A small thing of its own under (x, y) inside the labelled thing's ``piece`` (see ``INNER_MAX``), cut by
        ``_enclosed``; None where the click is just on the thing."""
        grown = self._grow(prepared, x, y)
        n, total = int(grown.sum()), int(piece.sum())
        if n < INNER_SPECK * grown.size or n > INNER_MAX * total or not _island(grown, piece):
            return None  # a speck, or a big share of the thing, or it reaches the thing's edge (a sleeve, a mane)
        for p in prepared.parts:
            if p.kind == "part" and p.mask.sum() < 0.5 * total and (p.mask & grown).sum() > 0.5 * n:
                return None
        inner = self._enclosed(prepared, x, y) & piece
        if (
            not inner[y, x]
            or not INNER_MIN * inner.size <= inner.sum() <= INNER_MAX * total
            or not _island(inner, piece)
        ):
            return None
        k = 2 * INNER_RING + 1
        ring = cv2.dilate(inner.view(np.uint8), np.ones((k, k), np.uint8)).astype(bool) & ~inner
        lab = cv2.cvtColor(prepared.small, cv2.COLOR_RGB2LAB).astype(np.float32)
        lab[..., 0] *= 100 / 255 * LIGHTNESS_WEIGHT
        lab[..., 1:] -= 128
        if np.linalg.norm(lab[inner].mean(axis=0) - lab[ring].mean(axis=0)) < INNER_CONTRAST:
            return None  # like what is around it: a fold or a shadow of the thing, not a thing of its own
        return inner

    def _net_object(self, prepared: GrabCutPrepared, x: int, y: int) -> np.ndarray | None:
        """The object under (x, y) as the VOC net outlines it (any of its classes: a squirrel it calls a bird
        is still an object), where no labelled part says what is there: the connected piece of its objects
        under the click, minus labelled things the click is not on, split from what it merely touches (a
        branch the animal holds) by an opening (``OBJECT_NECK`` of the shorter side); None when the net sees
        no object there or the piece is too big to be one."""
        if prepared.objects is None or not prepared.objects[y, x]:
            return None
        h, w = prepared.objects.shape
        mask = prepared.objects.copy()
        for p in prepared.parts:  # other labelled objects stay out; stuff does not (the scene net often
            if p.kind == "thing" and not p.mask[y, x]:  # calls part of an animal it does not know "water")
                mask &= ~p.mask
        if not mask[y, x]:
            return None
        _, comp = cv2.connectedComponents(mask.view(np.uint8), connectivity=8)
        piece = comp == comp[y, x]
        r = max(2, round(OBJECT_NECK * min(h, w)))
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        core = cv2.erode(piece.view(np.uint8), disc)
        n, cores = cv2.connectedComponents(core, connectivity=8)
        if n > 2:  # the opening splits it: keep the core nearest the click, grown back inside the piece
            if cores[y, x]:
                k = int(cores[y, x])
            else:  # the click is on a thin part: the core nearest to it
                ys, xs = np.nonzero(cores)
                k = int(cores[ys, xs][np.argmin((ys - y) ** 2 + (xs - x) ** 2)])
            grown = cv2.dilate((cores == k).astype(np.uint8), disc).astype(bool) & piece
            _, again = cv2.connectedComponents(grown.view(np.uint8), connectivity=8)
            if grown[y, x]:
                piece = again == again[y, x]
        if piece.mean() > MAX_OBJECT_FRACTION:
            return None
        return piece

    def _exclusion(
        self,
        prepared: GrabCutPrepared,
        x: int,
        y: int,
        keep: Sequence[tuple[int, int]] = (),
        keep_mask: np.ndarray | None = None,
        within: np.ndarray | None = None,
    ) -> tuple[np.ndarray, bool]:
        """(bool working-size region an exclude click at (x, y) removes, whether it is a small thing inside a labelled
        thing): a small thing of its own under the click inside the labelled thing there (``_inner_at``: the mission
        patch on the astronaut's suit, as an include click takes it) unless it holds a ``keep`` point or nearly all of
        ``keep_mask``; else the piece of the labelled object under it (a person, a car) unless it does, else the
        piece of its smallest labelled sub-part (a hat) that does not, else the object an include click there
        would find (the VOC net's object, the enclosing cut), else its colour region; always at least a
        small disc around it. A click on the selection itself (``keep_mask``, else ``within``: what the include clicks
        hit) where none of these is more than a speck of it takes the part of it around the click (``_sub_part``).
        Round 18, a stranger's drive: with the person picked, an exclude click on the patch took the whole upper
        clothes (the smallest labelled sub-part under it), 84 % of the person."""
        h, w = prepared.small.shape[:2]
        inner = self._inner_at(prepared, x, y)
        if inner is not None and not any(inner[ky, kx] for kx, ky in keep) and not _covers(inner, keep_mask):
            out = inner.copy()
            cv2.circle(out.view(np.uint8), (x, y), max(2, round(min(h, w) / 100)), 1, -1)
            return out, True
        out = np.zeros((h, w), bool)
        found = False
        # the whole object first (a person, a car), then its sub-parts from the smallest (a hat): an object
        # that holds an include click or (nearly) all of the starting selection is not removed whole
        for p in sorted(
            (p for p in prepared.parts if p.kind != "stuff" and p.mask[y, x]),
            key=lambda p: (p.kind != "thing", int(p.mask.sum())),
        ):
            _, comp = cv2.connectedComponents(p.mask.view(np.uint8), connectivity=8)
            piece = comp == comp[y, x]
            if p.kind == "thing":  # the clicked one's share where boxes part it (one of touching cars)
                from segmenters.objects import click_piece

                piece = click_piece(piece, prepared.small, p.label, list(prepared.boxes), x, y)
            if not any(piece[ky, kx] for kx, ky in keep) and not _covers(piece, keep_mask):
                out, found = piece, True
                break
        if not found:  # the object there (as an include click would find it), else its colour region
            obj = self._net_object(prepared, x, y)
            candidates = ([obj] if obj is not None else []) + [
                self._enclosed(prepared, x, y),
                self._grow(prepared, x, y),
                np.zeros((h, w), bool),
            ]
            for candidate in candidates:
                # never an include click's own spot, nor all of the part the selection started from
                # (an unlabelled region taking half the selection is not the bit a click inside it meant)
                if not any(candidate[ky, kx] for kx, ky in keep) and not _covers(candidate, keep_mask, 0.5):
                    out = candidate
                    break
        sel = keep_mask if keep_mask is not None else within
        if (
            not found and sel is not None and sel[y, x] and (out & sel).sum() < (SUB_PART_MIN**2 * sel.sum())
        ):  # the click is on the selected object itself and no label names the bit under it (a horse's head)
            sub = self._sub_part(prepared, sel, x, y)
            if not any(sub[ky, kx] for kx, ky in keep):  # never an include click's own spot
                out = out | sub
        cv2.circle(out.view(np.uint8), (x, y), max(2, round(min(h, w) / 100)), 1, -1)
        return out, False

    def _sub_part(self, prepared: GrabCutPrepared, keep: np.ndarray, x: int, y: int) -> np.ndarray:
        """Bool (working size): the part of the selection (``keep``) around an exclude click at (x, y) on the selected
        object itself, where no labelled sub-part says what the click meant (a picked horse, a click on its head):
        GrabCut whose colour models see the selection only parts it in two, the selected pixels near the click
        (geodesic distance inside the selection under ``SUB_PART_NEAR`` of its side) probably going, those beyond
        ``SUB_PART_FAR`` surely staying, a disc at the click surely going; the piece joined to the click, at least
        the superpixels within ``SUB_PART_MIN`` of the side (edge-aware, never only a tiny disc) and at most
        ``SUB_PART_MAX`` of the selection."""
        from skimage.graph import MCP_Geometric

        h, w = keep.shape
        area = int(keep.sum())
        side = float(np.sqrt(area))
        costs = np.where(keep, 1.0, np.inf)
        costs[y, x] = 1.0
        dist, _ = MCP_Geometric(costs).find_costs([(y, x)])
        dist = np.where(np.isfinite(dist), dist, np.inf)
        # the least it removes: the clicked superpixel and those mostly within SUB_PART_MIN of the side (edge-aware)
        near_min = keep & (dist <= SUB_PART_MIN * side)
        labels = prepared.labels
        n = int(labels.max()) + 1
        share = np.bincount(labels.ravel(), weights=near_min.ravel(), minlength=n) / np.maximum(
            np.bincount(labels.ravel(), minlength=n), 1
        )
        least = (share >= 0.5)[labels] & keep & (dist <= 2 * SUB_PART_MIN * side)
        least |= near_min & (labels == labels[y, x])
        seed = np.full((h, w), cv2.GC_BGD, np.uint8)
        seed[keep] = cv2.GC_PR_BGD
        seed[keep & (dist <= SUB_PART_NEAR * side)] = cv2.GC_PR_FGD
        seed[least] = cv2.GC_FGD
        seed[keep & (dist > SUB_PART_FAR * side)] = cv2.GC_BGD
        # outside the selection: one colour unlike any selected one, so the colour models are the selection's
        img = prepared.small.copy()
        sel = img[keep].astype(np.float32)
        corners = np.array([[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)], np.float32)
        far_colour = corners[np.argmax(np.linalg.norm(sel.mean(axis=0)[None] - corners, axis=1))]
        img[~keep] = far_colour.astype(np.uint8)
        fg = self._cut(img, seed, limit=SUB_PART_PIXELS) & keep
        fg = keep_components(fg, [(x, y)]) if fg[y, x] else np.zeros((h, w), bool)
        if fg.sum() > SUB_PART_MAX * area:  # the cut took most of the object: the part near the click only
            fg &= dist <= SUB_PART_NEAR * side
        return fg | least

    def region_at(
        self, photo: Photo, prepared: GrabCutPrepared, x: float, y: float, keep: np.ndarray | None = None
    ) -> np.ndarray:
        """Bool HxW (photo size): what an exclude click at photo pixel (x, y) removes from a selection;
        ``keep`` (bool HxW, optional): the part the selection started from, which it never takes whole."""
        s = prepared.scale
        h, w = prepared.small.shape[:2]
        keep_small = (
            cv2.resize(keep.astype(np.uint8), (w, h), interpolation=cv2.INTER_AREA) > 0 if keep is not None else None
        )
        sx, sy = min(w - 1, int(x * s)), min(h - 1, int(y * s))
        small, inner = self._exclusion(prepared, sx, sy, keep_mask=keep_small)
        if keep_small is not None and not inner:  # a small thing inside a thing goes alone (not its thing's pieces)
            small = small | self._claimed(prepared, small, keep_small, sx, sy)
            small = small | self._split(prepared, small, keep_small, sx, sy)
        if keep_small is not None and keep_small[sy, sx] and not inner:
            # a selection of separate pieces (two people, a player and a ball): the piece clicked goes whole
            _, comp = cv2.connectedComponents(keep_small.view(np.uint8), connectivity=8)
            piece = comp == comp[sy, sx]
            if not _covers(piece, keep_small, 0.98):  # not the whole selection: one of its pieces
                small |= piece
        big = cv2.resize(small.view(np.uint8), (photo.width, photo.height), interpolation=cv2.INTER_LINEAR) > 0
        from core.edges import refine_mask

        return big | refine_mask(photo.pixels, small)

    def _claimed(self, prepared: GrabCutPrepared, hit: np.ndarray, keep: np.ndarray, x: int, y: int) -> np.ndarray:
        """Bool (working size): the selected pixels (``keep``) an exclude click's object (``hit``, a labelled thing's
        piece under (x, y)) also takes, beyond what the nets labelled: inside the object's box (the detector's surest
        box around the click that ``hit`` fills, widened by ``CLAIM_MARGIN``), the selected pixels no other labelled
        thing holds whose colour is nearer the object's own colours than the colours around it (``keep``'s other
        labelled things and the unselected surroundings of the box; ``CLAIM_CLUSTERS`` k-means colours each). The zebra
        behind the giraffe: the VOC net labels its head and chest, its striped rump and legs stay selected otherwise.
        Nothing when no box holds the object."""
        from segmenters.detector import MIN_SCORE

        h, w = hit.shape
        if not hit[y, x] or not any(p.kind == "thing" and p.mask[y, x] for p in prepared.parts):
            return np.zeros((h, w), bool)
        around = [
            d.box
            for d in prepared.boxes
            if d.score >= MIN_SCORE and d.box[0] <= x < d.box[2] and d.box[1] <= y < d.box[3]
        ]
        from segmenters.objects import box_fill, box_mask, box_overlap

        around = [b for b in around if box_fill(hit, b) >= 0.15]
        if not around:
            return np.zeros((h, w), bool)
        x0, y0, x1, y1 = box = min(around, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        kind = next(d.label for d in prepared.boxes if d.box == box)
        zone = box_mask((h, w), box, CLAIM_MARGIN)
        inside = box_mask((h, w), box)
        others = self._other_things(prepared, x, y)
        for d in prepared.boxes:  # what another object's box holds (down to the weak boxes: the zebra's rump is boxed
            # 0.20 zebra and 0.15 giraffe; the dark horse beside the white one) is not claimed by colour alone,
            # unless that box holds the object's own box (the giraffe's, for the zebra's legs) or is a box of its kind
            # inside its box (the object found again, or its head)
            holds = box_overlap(box, d.box)
            own = d.label == kind and box_fill(inside, d.box) >= 0.8  # the object found again, or a part of it
            if d.box != box and not own and holds < 0.8 * (x1 - x0) * (y1 - y0):
                box_mask((h, w), d.box, out=others)
        rest = keep & zone & ~hit & ~others
        own = hit & zone
        away = [m for m in (zone & keep & others & ~hit, zone & ~keep & ~hit) if m.sum() >= CLAIM_CLUSTERS * 10]
        if not rest.any() or own.sum() < CLAIM_CLUSTERS * 10 or not away:
            return np.zeros((h, w), bool)
        lab = cv2.cvtColor(prepared.small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)

        def centres(m: np.ndarray) -> np.ndarray:
            pts = lab[m].astype(np.float32)
            if len(pts) > 4000:
                pts = pts[np.linspace(0, len(pts) - 1, 4000).astype(int)]
            cv2.setRNGSeed(0)
            crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
            _, _, c = cv2.kmeans(pts, CLAIM_CLUSTERS, None, crit, 2, cv2.KMEANS_PP_CENTERS)
            return c

        px = lab[rest]
        near_own = np.linalg.norm(px[:, None, :] - centres(own)[None], axis=-1).min(axis=1)
        away_c = np.concatenate([centres(m) for m in away])  # the other things' colours and the surroundings', each
        near_away = np.linalg.norm(px[:, None, :] - away_c[None], axis=-1).min(axis=1)
        out = np.zeros((h, w), bool)
        out[rest] = near_own < near_away
        n, comp, stats, _ = cv2.connectedComponentsWithStats(out.view(np.uint8), connectivity=8)
        big = stats[:, cv2.CC_STAT_AREA] >= CLAIM_SPECK
        big[0] = False
        return big[comp]

    @staticmethod
    def _other_things(prepared: GrabCutPrepared, x: int, y: int) -> np.ndarray:
        """Bool (working size): the labelled things' pixels but those of the thing(s) at (x, y)."""
        others = np.zeros(prepared.small.shape[:2], bool)
        for p in prepared.parts:
            if p.kind == "thing" and not p.mask[y, x]:
                others |= p.mask
        return others

    def _split(self, prepared: GrabCutPrepared, hit: np.ndarray, keep: np.ndarray, x: int, y: int) -> np.ndarray:
        """Bool (working size): the selected pixels (``keep``) that go with the object an exclude click at (x, y) hit
        (``hit``, a labelled thing's piece there), found by parting the selection in two with GrabCut whose colour
        models see the selection only: the object's piece is the object (probably; a disc at the click surely), the
        other labelled things' pieces are the rest (surely where they lie farther than ``SPLIT_NEAR`` of the photo's
        shorter side from the object, probably nearer: the nets often give one animal's body to the animal in front
        of it), the selected pixels no thing holds are open. The pieces joined to the click. Nothing when the click
        is on no labelled thing (a sub-part or an unlabelled region goes as ``_exclusion`` found it)."""
        h, w = keep.shape
        none = np.zeros((h, w), bool)
        if not hit[y, x] or not any(p.kind == "thing" and p.mask[y, x] for p in prepared.parts):
            return none
        own, rest = hit & keep, keep & ~hit
        if own.sum() < SPLIT_MIN or rest.sum() < SPLIT_MIN:
            return none
        others = self._other_things(prepared, x, y) & rest
        far = cv2.distanceTransform((~hit).view(np.uint8), cv2.DIST_L2, 3) > SPLIT_NEAR * min(h, w)
        seed = np.full((h, w), cv2.GC_BGD, np.uint8)
        seed[rest] = cv2.GC_PR_FGD  # what no thing holds starts with the object (the zebra's rump behind the giraffe)
        seed[others] = cv2.GC_PR_BGD
        seed[others & far] = cv2.GC_BGD
        seed[own] = cv2.GC_PR_FGD
        cv2.circle(seed, (x, y), max(2, round(min(h, w) / 100)), cv2.GC_FGD, -1)
        if not (seed == cv2.GC_BGD)[keep].any() and not (seed == cv2.GC_PR_BGD).any():
            return none  # nothing in the selection says what the rest looks like
        # outside the selection: one colour unlike any selected one, so the background's colour model is the rest's
        img = prepared.small.copy()
        sel = img[keep].astype(np.float32)
        corners = np.array([[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)], np.float32)
        far_colour = corners[np.argmax(np.linalg.norm(sel.mean(axis=0)[None] - corners, axis=1))]
        img[~keep] = far_colour.astype(np.uint8)
        fg = self._cut(img, seed) & keep
        return keep_components(fg, [(x, y)]) if fg[y, x] else none

    def _enclosed(self, prepared: GrabCutPrepared, x: int, y: int) -> np.ndarray:
        """The object around (x, y) where no labelled thing says what it is: box GrabCut (inside the box
        may be object, outside is background) on boxes around the click that widen until the cut no
        longer runs into the box's sides (an object the box encloses); the colour region grown from the
        click is kept, and labelled parts the click is not on stay out."""
        full_h, full_w = prepared.small.shape[:2]
        grown_full = self._grow(prepared, x, y)
        if grown_full.mean() > REGION_FRACTION:  # a big even region (wall, sky, a suit): the colour region is it
            return grown_full
        forbid = self._forbidden(prepared, x, y) & ~grown_full if prepared.parts else None
        # the box search runs at half the working size (4 GrabCuts at most); the final cut refines the border
        h, w = max(1, full_h // 2), max(1, full_w // 2)
        small = cv2.resize(prepared.small, (w, h), interpolation=cv2.INTER_AREA)
        grown = cv2.resize(grown_full.view(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
        forbid = (
            cv2.resize(forbid.view(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
            if forbid is not None
            else np.zeros((h, w), bool)
        )
        x, y = min(w - 1, x // 2), min(h - 1, y // 2)
        radius = max(2, round(min(h, w) / 100))
        best, best_touch = grown, 1.0
        for frac in BOX_STEPS:
            m = round(frac * min(h, w))
            x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + m + 1), min(h, y + m + 1)
            seed = np.full((h, w), cv2.GC_BGD, np.uint8)
            seed[y0:y1, x0:x1] = cv2.GC_PR_FGD
            seed[forbid] = cv2.GC_BGD
            seed[grown] = cv2.GC_FGD
            cv2.circle(seed, (x, y), radius, cv2.GC_FGD, -1)
            fg = keep_components(self._cut(small, seed, limit=None), [(x, y)]) | grown
            sides = []  # the box's sides that lie inside the photo (an object may run off the photo's edge)
            if x0 > 0:
                sides.append(fg[y0:y1, x0 : x0 + 2])
            if x1 < w:
                sides.append(fg[y0:y1, x1 - 2 : x1])
            if y0 > 0:
                sides.append(fg[y0 : y0 + 2, x0:x1])
            if y1 < h:
                sides.append(fg[y1 - 2 : y1, x0:x1])
            touching = sum(int(s.sum()) for s in sides) / max(1, sum(s.size for s in sides))
            if touching < best_touch:
                best, best_touch = fg, touching
            if touching < BOX_TOUCH and fg.sum() >= BOX_FILL * (x1 - x0) * (y1 - y0):
                break  # enclosed, and not just a speck (a click on a dark streak of fur cuts out the streak)
        if best_touch > 3 * BOX_TOUCH:  # no box encloses it: not an object of its own, keep the colour region
            return grown_full
        return (
            cv2.resize(best.view(np.uint8), (full_w, full_h), interpolation=cv2.INTER_LINEAR).astype(bool) | grown_full
        )

    def _forbidden(self, prepared: GrabCutPrepared, x: int, y: int) -> np.ndarray:
        """Working pixels a region grown from (x, y) must not enter: labelled parts the click is not on."""
        out = np.zeros(prepared.labels.shape, bool)
        for p in prepared.parts:
            if p.kind != "part" and not p.mask[y, x]:
                out |= p.mask
        return out

    def _grow(self, prepared: GrabCutPrepared, x: int, y: int) -> np.ndarray:
        """Connected superpixels around (x, y): close in colour to the clicked one and to their neighbour,
        not across a strong edge, not into a labelled part the click is not on, and not too big."""
        labels, means = prepared.labels, prepared.means
        n = means.shape[0]
        start = int(labels[y, x])
        if not prepared.neighbours:  # prepared by an older version: colour only
            d = means - means[start]
            dist = np.sqrt((LIGHTNESS_WEIGHT * d[:, 0]) ** 2 + d[:, 1] ** 2 + d[:, 2] ** 2)
            cand = (dist < COLOUR_TOLERANCE)[labels].astype(np.uint8)
            _, comp = cv2.connectedComponents(cand, connectivity=8)
            return comp == comp[y, x]
        blocked = np.zeros(n, bool)
        if prepared.parts:
            forbid = self._forbidden(prepared, x, y)
            share = np.bincount(labels.ravel(), weights=forbid.ravel(), minlength=n) / np.maximum(
                np.bincount(labels.ravel(), minlength=n), 1
            )
            blocked = share > 0.5
            blocked[start] = False
        sizes = np.bincount(labels.ravel(), minlength=n)
        limit = MAX_GROW_FRACTION * labels.size
        wl = np.array([LIGHTNESS_WEIGHT, 1.0, 1.0], np.float32)
        col = means * wl
        near_ref = np.linalg.norm(col - col[start], axis=1) <= COLOUR_TOLERANCE  # close to the clicked colour
        ok = near_ref & ~blocked
        seen = np.zeros(n, bool)
        seen[start] = True
        queue, total = deque([start]), int(sizes[start])
        while queue:
            i = queue.popleft()
            nb, e = prepared.neighbours[i], prepared.edge_between[i]
            cand = nb[(e <= EDGE_TOLERANCE) & ok[nb] & ~seen[nb]]
            if cand.size == 0:
                continue
            cand = cand[np.linalg.norm(col[cand] - col[i], axis=1) <= STEP_TOLERANCE]
            for j in cand:
                if seen[j] or total + sizes[j] > limit:
                    continue
                seen[j] = True
                total += int(sizes[j])
                queue.append(int(j))
        return seen[labels]

    # -- the mask --------------------------------------------------------------------------------------
    def segment(
        self,
        photo: Photo,
        prepared: GrabCutPrepared,
        prompt: ClickPrompt,
        previous: MaskResult | None,
        *,
        recheck: bool = True,
    ) -> MaskResult:
        """The mask of ``prompt``'s clicks (and box). ``recheck``: whether a click on the VOC net's unnamed object that
        found none there (``_hollow``) may run it again on the enclosing cut (once: the second run does not)."""
        if prompt.empty:
            raise BadInput("add a click or a box first")
        prompt.validate(photo.width, photo.height)
        t0 = time.perf_counter()
        small, s = prepared.small, prepared.scale
        h, w = small.shape[:2]

        def to_small(x: float, y: float) -> tuple[int, int]:
            return min(w - 1, int(x * s)), min(h - 1, int(y * s))

        pos = [to_small(p.x, p.y) for p in prompt.points if p.positive]
        neg = [to_small(p.x, p.y) for p in prompt.points if not p.positive]
        radius = max(2, round(min(h, w) / 100))

        region = np.zeros((h, w), bool)
        on_thing = np.zeros((h, w), bool)
        outlined = np.zeros((h, w), bool)  # regions the VOC net's outline drew (animals, unnamed objects)
        bands = []  # near the line the parse drew to a touching person: the cut decides (``_loose``)
        trusted = np.zeros((h, w), bool)  # a whole person or vehicle: sure nearer its edge (``TRUSTED_ERODE``)
        shares = np.zeros((h, w), bool)  # an animal's share of a herd's blob (``_local_rim``)
        opened = np.zeros((h, w), bool)  # the lower part of a clicked animal's box: open to the cut (``_own_box``)
        beside = []  # what include clicks hit that does not hold the click (a thing whose box it is in): kept whole
        guesses = []  # what the clicks on the VOC net's unnamed objects hit (``HOLLOW``)
        for x, y in pos:
            if region[y, x]:  # a click inside what earlier clicks hit adds nothing new
                continue
            r, thing = self.hit_region(prepared, x, y)
            if not r[y, x]:
                beside.append((x, y, r))
            if thing == OBJECT:
                guesses.append((x, y, r))
            region |= r
            if thing is not None:
                bands.append((r, _loose(prepared, thing, r)))
                if not bands[-1][1].any() and _trusted(prepared, thing, r, x, y):
                    trusted |= r
            on_thing |= r  # an object (a labelled thing or an enclosed cut): its border moves only a little
            if thing is not None and _outlined_by_voc(thing):
                outlined |= r
                if _herd_share(prepared, thing, r, x, y):
                    shares |= r
                box = _own_box(prepared, thing, r, x, y)
                if box is not None:  # below the region's middle: its legs, which the VOC net's coarse outline misses
                    from segmenters.objects import box_mask

                    mid = float(np.flatnonzero(r.any(axis=1)).mean())
                    box_mask((h, w), (box[0], max(mid, box[1]), box[2], box[3]), out=opened)
        unwanted = np.zeros((h, w), bool)
        for x, y in neg:
            unwanted |= self._exclusion(prepared, x, y, pos, within=region)[0]  # what the includes hit
        region &= ~unwanted
        inside = np.ones((h, w), bool)
        if prompt.box is not None:
            x0, y0 = to_small(prompt.box[0], prompt.box[1])
            x1, y1 = to_small(prompt.box[2], prompt.box[3])
            inside[:] = False
            inside[y0 : y1 + 1, x0 : x1 + 1] = True
            region = region & inside if pos else inside & ~unwanted

        # labelled parts no positive click is on: fixed background (the cut never jumps into them)
        others = np.zeros((h, w), bool)
        things_else = np.zeros((h, w), bool)  # ... of them the things (the opened box stays shut to them)
        for p in prepared.parts:
            if p.kind != "part" and not any(p.mask[y, x] for x, y in pos) and not (p.mask & on_thing).any():
                others |= p.mask & ~region
                if p.kind == "thing":
                    things_else |= p.mask & ~region
        band = max(3, round(min(h, w) * (0.03 if on_thing.any() else 0.06)))
        near = cv2.dilate(region.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1,) * 2))
        erode = max(2, band // 2) if on_thing.any() else 2
        core = cv2.erode(region.astype(np.uint8), np.ones((2 * erode + 1,) * 2, np.uint8)).astype(bool)
        if trusted.any():
            core |= cv2.erode(trusted.astype(np.uint8), np.ones((2 * TRUSTED_ERODE + 1,) * 2, np.uint8)).astype(bool)
        loose = np.zeros((h, w), bool)  # but not where another include click hit another object (two touching
        # people, both wanted); a click that hit the same person again (``_elsewhere``) leaves the band as it was
        for i, (r_i, band_i) in enumerate(bands):
            loose |= band_i & ~_elsewhere([r for j, (r, _) in enumerate(bands) if j != i], r_i)
        core &= ~loose
        near[loose & ~region] = 1  # the touching person's side of the line: open to the cut too
        others &= ~loose
        if prepared.objectness is not None:  # where the VOC net that drew it is unsure: the cut decides, not the seed
            core &= ~voc_unsure(outlined & region, prepared.objectness)
        seed = np.full((h, w), cv2.GC_BGD, np.uint8)
        seed[(near > 0) & inside & ~others] = cv2.GC_PR_BGD
        seed[opened & inside & ~things_else] = cv2.GC_PR_BGD
        seed[region] = cv2.GC_PR_FGD
        if pos:
            seed[core] = cv2.GC_FGD
        seed[unwanted] = cv2.GC_BGD
        for x, y in pos:
            cv2.circle(seed, (x, y), radius, cv2.GC_FGD, -1)
        for x, y in neg:
            cv2.circle(seed, (x, y), radius, cv2.GC_BGD, -1)
        if not ((seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD)).any():
            raise BadInput("the negative clicks leave nothing to select; add a positive click or a box")

        # with a box, the background's colour model needs the photo around the box, not just a thin ring
        fg = self._cut(small, seed, pad=round(0.12 * min(h, w)) if prompt.box is not None else 8)
        if opened.any():  # what the cut took in the opened box beyond the usual band: legs, thin (``LEG_WIDTH``)
            added = fg & opened & ~(near > 0)
            r_leg = max(2, round(LEG_WIDTH * min(h, w)))
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r_leg + 1,) * 2)
            thick = cv2.dilate(cv2.erode(added.view(np.uint8), disc), disc).astype(bool)
            fg &= ~thick
        if shares.any():  # a herd's share's rim: where the photo's colour there is nearer the background's around it
            fg = _local_rim(small, fg, seed == cv2.GC_FGD, (seed == cv2.GC_BGD) & ~others, shares & ~core, band)
        if loose.any():  # a touching person's side of the band that the cut filled: it found no border there
            fg = _unbounded(prepared, fg, loose & ~region, pos)
        if pos:
            fg = _keep_clicked(fg, pos, beside)
        fg = fill_holes(fg) & ~unwanted
        hollow = False
        for x, y, r in guesses if recheck else ():  # the net's object was no object the cut found: the enclosing cut
            if self._hollow(prepared, fg, r, x, y):
                hollow = True
        if hollow:  # (the click now hits that: this second run finds no net's object under it)
            return self.segment(photo, prepared, prompt, previous, recheck=False)
        from core.edges import refine_alpha

        alpha = refine_alpha(photo.pixels, fg)
        fixed = None
        if unwanted.any():  # an exclude click always removes what it hit, also after the edge refinement
            fixed = cv2.resize(
                unwanted.view(np.uint8), (photo.width, photo.height), interpolation=cv2.INTER_NEAREST
            ).astype(bool)
            alpha[fixed] = 0.0
        mask = alpha >= 0.5
        return MaskResult(mask=mask, backend=self.label, seconds=time.perf_counter() - t0, score=None, alpha=alpha)

    @staticmethod
    def _cut(small: np.ndarray, seed: np.ndarray, pad: int = 8, limit: int | None = CUT_PIXELS) -> np.ndarray:
        """GrabCut on the box around the undecided pixels only (the rest of the seed is fixed anyway)."""
        undecided = (seed == cv2.GC_PR_FGD) | (seed == cv2.GC_PR_BGD)
        fg = (seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD)
        if not undecided.any():
            return fg
        h, w = seed.shape
        ys = np.flatnonzero(undecided.any(axis=1))
        xs = np.flatnonzero(undecided.any(axis=0))
        y0, y1 = max(0, ys[0] - pad), min(h, ys[-1] + 1 + pad)
        x0, x1 = max(0, xs[0] - pad), min(w, xs[-1] + 1 + pad)
        sub = np.ascontiguousarray(seed[y0:y1, x0:x1])
        img = np.ascontiguousarray(small[y0:y1, x0:x1])
        k = min(1.0, (limit / sub.size) ** 0.5) if limit else 1.0  # GrabCut's time grows faster than its area: cap it
        if k < 1.0:
            size = (max(1, round(sub.shape[1] * k)), max(1, round(sub.shape[0] * k)))
            cut, img = _shrink_seed(sub, size), cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        else:
            cut = sub.copy()
        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        try:
            cv2.setRNGSeed(0)  # GrabCut's GMM init draws from OpenCV's per-thread RNG: same input, same mask
            cv2.grabCut(img, cut, None, bgd, fgd, GRABCUT_ITERS, cv2.GC_INIT_WITH_MASK)
        except cv2.error:  # one colour model is empty (e.g. a box covering the whole photo): keep the seed
            pass
        cut_fg = (cut == cv2.GC_FGD) | (cut == cv2.GC_PR_FGD)
        if k < 1.0:  # back to the working size: the cut decides only where the seed left it open
            up = cv2.resize(cut_fg.astype(np.float32), (sub.shape[1], sub.shape[0]), interpolation=cv2.INTER_LINEAR)
            open_ = (sub == cv2.GC_PR_FGD) | (sub == cv2.GC_PR_BGD)
            cut_fg = np.where(open_, up >= 0.5, sub == cv2.GC_FGD)
        out = fg.copy()
        out[y0:y1, x0:x1] = cut_fg
        out = cv2.morphologyEx(out.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)
        return out


def _keep_clicked(
    fg: np.ndarray, pos: Sequence[tuple[int, int]], beside: Sequence[tuple[int, int, np.ndarray]]
) -> np.ndarray:
    """The pieces of the cut ``fg`` that the include clicks ``pos`` are on and, for a click that hit a thing beside
    it (``beside``: x, y and the thing's region; a click in a gap of a thing, between a motorbike's wheels), the
    pieces on that thing too: where the cut did not join the click's own disc to the thing, the disc alone was kept
    (round 24's drive: "only 2719 px selected (0.01% of the photo)" for a click by a motorbike's wheel)."""
    if not beside:
        return keep_components(fg, pos)
    n, labels = cv2.connectedComponents(fg.view(np.uint8), connectivity=8)
    keep = {int(labels[y, x]) for x, y in pos}
    for _, _, r in beside:
        keep.update(int(v) for v in np.unique(labels[r & fg]))
    keep.discard(0)
    if not keep:
        return fg
    return np.isin(labels, list(keep))


def _remember(prepared: GrabCutPrepared, key: tuple, value: object) -> None:
    """Keep ``value`` under ``key`` in the photo's memo (replacing what it held), the oldest going past ``MEMO_SIZE``."""
    prepared.memo.pop(key, None)
    while len(prepared.memo) >= MEMO_SIZE:  # the oldest first
        prepared.memo.pop(next(iter(prepared.memo)))
    prepared.memo[key] = value


def _loose(prepared: GrabCutPrepared, label: str, region: np.ndarray) -> np.ndarray:
    """Bool (working size): the pixels of ``region`` (what a click on person ``label`` hit) within ``TOUCH_BAND`` x
    the square root of its area (at most ``LOOSE_MAX`` of it) of the line it shares with another person of the parse,
    and that other person's pixels as near the line. The person parser parts touching people by straight lines between
    their faces (a group photo), so that band holds the next one's sleeve or shoulder, or gives this one's to the next:
    the cut decides it by colour and edges instead of keeping it as sure object, or as sure background. A face in it
    stays sure (it says whose the person is). Empty for other things (a herd's band traded recall for leak: horses 4
    and 5 lost 0.06 and 0.04) and for a person who touches no other."""
    if _word(label) != "person" or not region.any():
        return np.zeros(region.shape, bool)
    ring = np.ones((3, 3), np.uint8)
    near = cv2.dilate(region.view(np.uint8), ring).astype(bool) & ~region
    line = np.zeros(region.shape, bool)
    rivals = np.zeros(region.shape, bool)
    for p in prepared.parts:
        if p.kind == "thing" and _word(p.label) == "person" and p.label != label and (p.mask & near).any():
            line |= region & cv2.dilate(p.mask.view(np.uint8), ring).astype(bool)
            rivals |= p.mask & ~region
    if not line.any():
        return line
    far = cv2.distanceTransform((~line).view(np.uint8), cv2.DIST_L2, 3)
    reach = min(TOUCH_BAND * float(np.sqrt(region.sum())), float(np.quantile(far[region], LOOSE_MAX)))
    faces = np.zeros(region.shape, bool)
    for p in prepared.parts:
        if p.kind == "part" and p.label.strip().lower() == "face":
            faces |= p.mask
    return (region | rivals) & (far <= reach) & ~(faces & region)


def _elsewhere(regions: Sequence[np.ndarray], own: np.ndarray) -> np.ndarray:
    """Bool: the pixels of ``regions`` (what other include clicks hit) beyond ``own`` (what this click hit): another
    object's. A second click on the same person (ultralytics_zidane's pointing man, the third click on the photo's
    bottom row, off the person parse by one row, hit his piece plus 106 working pixels) is no touching person wanted
    too, so the band by his line stays open to the cut on both sides (three clicks: IoU / leak 0.792 / 0.113 -> 0.855 /
    0.011; no other row of bench/click_bench.py moves)."""
    out = np.zeros(own.shape, bool)
    for r in regions:
        out |= r & ~own
    return out


def _unbounded(
    prepared: GrabCutPrepared, fg: np.ndarray, opened: np.ndarray, pos: Sequence[tuple[int, int]]
) -> np.ndarray:
    """``fg`` (the cut) without what it took of a touching person's pixels that the band by the parse's line opened to it
    (``opened``: ``_loose``'s other side, for people no include click ``pos`` is on) where it took ``UNBOUNDED`` of that
    person's side or more: the band's reach is no border in the photo, so a cut that fills the band found no border in
    it (the next person's suit in the clicked one's colours) and that person keeps the side. A border the cut found
    inside the band (the clicked one's sleeve or shoulder in the next one's share) is kept."""
    for p in prepared.parts:
        if p.kind != "thing" or _word(p.label) != "person" or any(p.mask[y, x] for x, y in pos):
            continue
        side = opened & p.mask
        took = fg & side
        if not took.any():
            continue
        if took.sum() >= UNBOUNDED * side.sum():
            fg = fg & ~side
    return fg


def _thing_piece(prepared: GrabCutPrepared, x: int, y: int) -> tuple[str, np.ndarray] | None:
    """(label, piece) of the most specific labelled thing under working pixel (x, y): the connected piece of the
    smallest thing there (where boxes part it, touching cars or a crowd: the clicked one's share); None off things."""
    things = [p for p in prepared.parts if p.kind == "thing" and p.mask[y, x]]
    if not things:
        return None
    part = min(things, key=lambda p: int(p.mask.sum()))
    _, comp = cv2.connectedComponents(part.mask.view(np.uint8), connectivity=8)
    return part.label, comp == comp[y, x]


def _herd_share(prepared: GrabCutPrepared, label: str, region: np.ndarray, x: int, y: int) -> bool:
    """True when ``region`` (what a click at (x, y) hit, animal ``label``) is one animal's share of a herd's blob: the
    rest of the blob's piece fills a box of the detector's animals (down to ``objects.WEAK_SCORE``) at least
    ``objects.ON_BLOB`` and more than ``region`` does (another animal), not merely what its own box left out (the
    branch a squirrel holds)."""
    from segmenters.objects import ON_BLOB, WEAK_SCORE, box_classes, box_fill

    classes = box_classes(label)
    rest = _rest(prepared, label, region, x, y)
    if not classes or not rest.any():
        return False
    for d in prepared.boxes:
        if float(d.score_of(classes).max()) >= WEAK_SCORE:
            theirs = box_fill(rest, d.box)
            if theirs >= ON_BLOB and theirs > box_fill(region, d.box):
                return True
    return False


def _trusted(prepared: GrabCutPrepared, label: str, region: np.ndarray, x: int, y: int) -> bool:
    """True when ``region`` (what a click at (x, y) hit, thing ``label``) is a whole connected piece of a ``TRUSTED``
    thing's labelled part (not one share of it that the detector's boxes parted)."""
    return _word(label) in TRUSTED and not _rest(prepared, label, region, x, y).any()


def _local_rim(
    small: np.ndarray, fg: np.ndarray, sure: np.ndarray, away: np.ndarray, rim: np.ndarray, band: int
) -> np.ndarray:
    """``fg`` without the pixels of ``rim`` whose colour is nearer the mean colour of the background (``away``) around
    them than of the sure object (``sure``) around them (windows of ``RIM_WINDOW`` x ``band`` on each side, each
    holding at least ``RIM_MIN`` of both): GrabCut's colour models are the whole object's and the whole surroundings',
    so the ground and the next animal's coat in the clicked one's colours stay on it; beside it the two differ."""
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    k = (2 * RIM_WINDOW * band + 1,) * 2

    def local_mean(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mf = m.astype(np.float32)
        n = cv2.boxFilter(mf, -1, k, normalize=False)
        sums = np.stack([cv2.boxFilter(lab[..., c] * mf, -1, k, normalize=False) for c in range(3)], axis=-1)
        return sums / np.maximum(n, 1.0)[..., None], n

    mine, n_mine = local_mean(sure)
    theirs, n_theirs = local_mean(away)
    least = RIM_MIN * k[0] * k[1]
    decided = rim & fg & (n_mine >= least) & (n_theirs >= least)
    d_mine = np.linalg.norm(lab - mine, axis=-1)
    d_theirs = np.linalg.norm(lab - theirs, axis=-1)
    return fg & ~(decided & (d_theirs < d_mine))


def _rest(prepared: GrabCutPrepared, label: str, region: np.ndarray, x: int, y: int) -> np.ndarray:
    """Bool (working size): the pixels of the connected piece of thing ``label``'s labelled part under (x, y) that
    ``region`` (what a click there hit) leaves out: the other animals' shares of a herd, touching cars', what the box
    left out; empty when ``region`` is the whole piece."""
    for p in prepared.parts:
        if p.label == label and p.mask[y, x]:
            _, comp = cv2.connectedComponents(p.mask.view(np.uint8), connectivity=8)
            return (comp == comp[y, x]) & ~region
    return np.zeros(region.shape, bool)


def _own_box(
    prepared: GrabCutPrepared, label: str, region: np.ndarray, x: int, y: int
) -> tuple[float, float, float, float] | None:
    """The detector's box of the object a click at (x, y) hit (``region``, thing ``label``): of the boxes of its classes
    around the click (down to ``objects.WEAK_SCORE``: a herd's hidden animal), the one most like the region's own
    bounding box (IoU at least ``OWN_BOX_IOU``); None when none is."""
    from segmenters.objects import WEAK_SCORE, box_area, box_classes, box_overlap

    classes = box_classes(label)
    if not classes or not prepared.boxes or not region.any():
        return None
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    own = (float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1))
    best, best_iou = None, OWN_BOX_IOU
    for d in prepared.boxes:
        b = d.box
        if not (b[0] <= x < b[2] and b[1] <= y < b[3]) or float(d.score_of(classes).max()) < WEAK_SCORE:
            continue
        both = box_overlap(b, own)
        iou = both / (box_area(b) + box_area(own) - both)
        if iou >= best_iou:
            best, best_iou = b, iou
    return best


def _in_hull(piece: np.ndarray, x: int, y: int) -> bool:
    """Whether working pixel (x, y) lies inside the convex hull of ``piece`` (bool): in a gap of the thing (between
    a horse's legs, under a car's roof), not beside it."""
    contours, _ = cv2.findContours(piece.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return False
    hull = cv2.convexHull(np.concatenate(contours))
    return cv2.pointPolygonTest(hull, (float(x), float(y)), False) >= 0


def _island(region: np.ndarray, piece: np.ndarray) -> bool:
    """Whether ``region`` with ``INNER_RING`` pixels around it lies inside ``piece`` (touches none of its edges)."""
    k = 2 * INNER_RING + 1
    return bool(piece[cv2.dilate(region.view(np.uint8), np.ones((k, k), np.uint8)).astype(bool)].all())


def _word(label: str) -> str:
    """A part's label without its number (``person 2`` -> ``person``)."""
    return label.strip().lower().rstrip("0123456789 ").strip()


def _shrink_seed(seed: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A GrabCut seed (GC_* per pixel) at ``size`` = (w, h): each small pixel takes the class that covers
    most of it, except that any fixed-object pixel (a click's disc) stays fixed object and any fixed
    background (an exclude click, another object) stays fixed background."""
    cover = [cv2.resize((seed == c).astype(np.float32), size, interpolation=cv2.INTER_AREA) for c in range(4)]
    out = np.argmax(np.stack(cover), axis=0).astype(np.uint8)  # GC_BGD 0, GC_FGD 1, GC_PR_BGD 2, GC_PR_FGD 3
    out[cover[cv2.GC_FGD] > 0] = cv2.GC_FGD
    out[cover[cv2.GC_BGD] >= 0.5] = cv2.GC_BGD
    return out


def _outlined_by_voc(label: str) -> bool:
    """True for a region ``hit_region`` names ``label`` that the VOC net's outline drew: an animal's (its blob, parted
    by the detector's boxes) or an unnamed object's (``OBJECT``); a person's or a vehicle's comes from other nets
    too (the person parse, the scene net's vehicles), where the VOC net's doubt (a face, a flowered shirt) is no rim."""
    from segmenters.objects import ANIMALS

    return label == OBJECT or label.strip().lower().rstrip("0123456789 ").strip() in ANIMALS


def _objectness(small: np.ndarray) -> np.ndarray | None:
    """Bool (working size): pixels the offline PASCAL VOC net (segmenters/nets.py) puts in any object class
    (person, animals, vehicles, furniture). Its class is often wrong on things it was not trained on (a
    squirrel is a "bird"), but its outline of *an object* is usually right; None without the net."""
    try:
        from segmenters.nets import VOC, deeplab_labels, net_available

        if not net_available(VOC):
            return None
        return deeplab_labels(VOC, small) > 0
    except Exception:  # a broken net file must not break clicking: colour and edges remain
        log.warning("VOC objectness unavailable for clicks", exc_info=True)
        return None


def _object_probability(small: np.ndarray) -> np.ndarray | None:
    """Float32 (working size): the VOC net's probability of any object per pixel (``nets.voc_object_probability``:
    the parse's kept answer on this copy), or None without the net."""
    try:
        from segmenters.nets import VOC, net_available, voc_object_probability

        if not net_available(VOC):
            return None
        return voc_object_probability(small).astype(np.float32)
    except Exception:  # a broken net file must not break clicking
        log.warning("VOC object probability unavailable for clicks", exc_info=True)
        return None


def voc_unsure(region: np.ndarray, objectness: np.ndarray) -> np.ndarray:
    """The pixels of ``region`` (bool: an animal's or an unnamed object's region, which the VOC net's outline drew)
    that the net is less sure are an object (``objectness``: its probability of any object) than ``VOC_UNSURE``
    times its median over the region: the rim its coarse grid spills over the photo's edges (grass over a horse's
    back) and what it bridges between two animals of a herd (the ground between their legs, the next one's tail)."""
    if not region.any():
        return region
    return region & (objectness < VOC_UNSURE * float(np.median(objectness[region])))


def _covers(region: np.ndarray, keep: np.ndarray | None, share: float = 0.9) -> bool:
    """True when ``region`` takes ``share`` (default: nearly all) of ``keep`` (None or empty: never): an
    exclude click must not wipe out the part the selection started from (a picked face inside the person
    clicked)."""
    if keep is None:
        return False
    n = int(keep.sum())
    return n > 0 and int((region & keep).sum()) >= share * n


@SEGMENTERS.register("grabcut")
def build(*_args, **_kwargs) -> GrabCutSegmenter:
    return GrabCutSegmenter()
