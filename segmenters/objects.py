"""Things: people, animals and vehicles from the offline PASCAL VOC net (``deeplab_voc``, segmenters/nets.py).

One pass of DeepLabV3-MobileNetV2 (VOC classes) over the working copy. Its parts are the animals (``dog``,
``horse``, ``cat``, ``cow``, ``sheep``, ``bird``) and vehicles (``car``, ``bus``, ``bicycle``,
``motorbike``, ``boat``, ``airplane``, ``train``), each where it covers at least ``MIN_FRACTION`` of the
photo. Animals come as instances (``horse 1``, ``horse 2``, ... left to right) when a class has two or more:
separate blobs, and herds (one blob far longer than any animal is thick, ``HERD_RATIO``) split where the
photo's edges part them (``split_herd``). Its ``person`` class is not a part here: the person parser fuses it with the selfie model and the
faces (``data.person``), and removes animals from people (``data.animals``).

Without the net file the parser gives nothing (``data`` None): the person parser then works as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from core.models import ModelManager
from segmenters.parsing import PARSERS, ParseContext, ParseOutput, Part

SOURCE = "deeplab-voc (offline)"
# VOC class -> Facet label (what the chip says)
THINGS = {
    "dog": "dog",
    "horse": "horse",
    "cat": "cat",
    "cow": "cow",
    "sheep": "sheep",
    "bird": "bird",
    "car": "car",
    "bus": "bus",
    "bicycle": "bicycle",
    "motorbike": "motorbike",
    "boat": "boat",
    "aeroplane": "airplane",
    "train": "train",
}
ANIMALS = ("dog", "horse", "cat", "cow", "sheep", "bird")
THING_ORDER = tuple(dict.fromkeys(THINGS.values()))
MIN_FRACTION = 0.002  # a thing smaller than this share of the photo is not offered
MIN_BLOB = 0.0005  # blobs smaller than this share are dropped from a thing's mask (speckle)
MAX_STUFF = 0.5  # a thing blob the scene net calls a surface (sky, building, ...) for more than this share: dropped
# herds: the VOC net paints touching animals as one blob (a herd of horses is one "cow")
HERD_RATIO = 3.5  # a blob longer than this many times its thickest part is several animals (one animal: <= 2.8
# on the project's photos: dogs, a horse, birds, a cat, a squirrel, a giraffe)
SPLIT_EDGE = 0.35  # superpixels of a herd join across borders whose mean edge strength (0..1) is below this
SPLIT_MIN_PIECE = 0.12  # a piece smaller than this share of the herd joins the neighbour it shares most border with
SPLIT_SUPERPIXEL = 120  # work pixels per superpixel


@dataclass
class Things:
    labels: np.ndarray  # int32 VOC class per work pixel
    person: np.ndarray  # bool, work size
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # Facet label -> bool work-size mask
    # animal label -> its instances (bool work-size masks, disjoint, left to right), each >= MIN_FRACTION
    instances: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @property
    def animals(self) -> np.ndarray:
        out = np.zeros(self.person.shape, bool)
        for lb in ANIMALS:
            if lb in self.masks:
                out |= self.masks[lb]
        return out


def _drop_specks(mask: np.ndarray, min_area: float) -> np.ndarray:
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[labels]


def find_things(rgb: np.ndarray, stuff: np.ndarray | None = None, labels: np.ndarray | None = None) -> Things:
    """Things in ``rgb`` (RGB uint8). ``stuff`` (bool, same size): where the scene net sees a surface (sky,
    building, ground, ...); a thing blob lying mostly on it is dropped (a temple roof is not a boat).
    ``labels``: the VOC net's answer for ``rgb`` when it has already run (int, same size).

    Each connected blob of animals takes the class most of it has (a horse's legs are not a sheep)."""
    from segmenters.nets import VOC, VOC_CLASSES, deeplab_labels

    if labels is None:
        labels = deeplab_labels(VOC, rgb)
    area = labels.size
    ids = {VOC_CLASSES.index(n): lb for n, lb in THINGS.items()}
    is_thing = np.isin(labels, list(ids))
    n, blobs, stats, _ = cv2.connectedComponentsWithStats(is_thing.astype(np.uint8), connectivity=8)
    out_labels = labels.copy()
    animal_ids = [i for i, lb in ids.items() if lb in ANIMALS]
    for b in range(1, n):
        blob = blobs == b
        if stats[b, cv2.CC_STAT_AREA] < MIN_BLOB * area or (stuff is not None and stuff[blob].mean() > MAX_STUFF):
            out_labels[blob] = 0
            continue
        counts = np.bincount(labels[blob], minlength=len(VOC_CLASSES))
        if counts[animal_ids].sum() > 0.5 * blob.sum():  # an animal: one class for the whole blob
            out_labels[blob] = animal_ids[int(np.argmax(counts[animal_ids]))]
    masks: dict[str, np.ndarray] = {}
    for i, target in ids.items():
        m = out_labels == i
        if m.sum() >= MIN_FRACTION * area:
            masks[target] = masks[target] | m if target in masks else m
    instances: dict[str, list[np.ndarray]] = {}
    for target in ANIMALS:
        if target not in masks:
            continue
        n_blobs, animal_blobs = cv2.connectedComponents(masks[target].view(np.uint8), connectivity=8)
        pieces = []
        for b in range(1, n_blobs):
            blob = animal_blobs == b
            pieces += split_herd(blob, rgb) if is_herd(blob) else [blob]
        pieces = [p for p in pieces if p.sum() >= MIN_FRACTION * area]
        pieces.sort(key=lambda p: float(np.flatnonzero(p.any(axis=0)).mean()))
        instances[target] = pieces
    person = _drop_specks(labels == VOC_CLASSES.index("person"), MIN_BLOB * area)
    return Things(out_labels, person, masks, instances)


def is_herd(blob: np.ndarray) -> bool:
    """True when ``blob`` (bool) is far longer (its minimum-area rectangle's long side) than its thickest part
    (twice the largest distance to its outline): several animals side by side, not one."""
    ys, xs = np.nonzero(blob)
    if ys.size < 3:
        return False
    length = max(cv2.minAreaRect(np.stack([xs, ys], axis=1).astype(np.float32))[1])
    thickest = 2.0 * float(cv2.distanceTransform(blob.view(np.uint8), cv2.DIST_L2, 5).max())
    return length > HERD_RATIO * max(thickest, 1.0)


def _edge_strength(rgb: np.ndarray) -> np.ndarray:
    """Colour edge strength per pixel (Lab gradient), 0..1 (1 = the photo's strongest 2 % of edges)."""
    lab = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32), (0, 0), 1.0)
    g = np.zeros(rgb.shape[:2], np.float32)
    for c in range(3):
        g += (
            cv2.Sobel(lab[..., c], cv2.CV_32F, 1, 0, ksize=3) ** 2
            + cv2.Sobel(lab[..., c], cv2.CV_32F, 0, 1, ksize=3) ** 2
        )
    g = np.sqrt(g)
    return np.clip(g / (float(np.percentile(g, 98)) or 1.0), 0.0, 1.0)


def split_herd(blob: np.ndarray, rgb: np.ndarray) -> list[np.ndarray]:
    """``blob`` (bool, the size of ``rgb``) cut into animals: superpixels inside it join across every border the
    photo shows no edge on (mean edge strength under ``SPLIT_EDGE``: one coat, its shading included); what an
    edge parts stays apart (a white horse in front of a dark one); pieces under ``SPLIT_MIN_PIECE`` of the herd
    join the neighbour they share most border with. Disjoint bool masks, together exactly ``blob``."""
    from skimage.segmentation import slic

    rows, cols = np.flatnonzero(blob.any(axis=1)), np.flatnonzero(blob.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sub, crop = blob[y0:y1, x0:x1], np.ascontiguousarray(rgb[y0:y1, x0:x1])
    sp = slic(crop, n_segments=max(4, int(sub.sum()) // SPLIT_SUPERPIXEL), compactness=10, mask=sub, start_label=1)
    n = int(sp.max()) + 1
    edge = _edge_strength(crop)
    a = np.concatenate([sp[:, :-1].ravel(), sp[:-1, :].ravel()])
    b = np.concatenate([sp[:, 1:].ravel(), sp[1:, :].ravel()])
    e = np.concatenate([np.maximum(edge[:, :-1], edge[:, 1:]).ravel(), np.maximum(edge[:-1, :], edge[1:, :]).ravel()])
    k = (a != b) & (a > 0) & (b > 0)
    key = np.minimum(a[k], b[k]).astype(np.int64) * n + np.maximum(a[k], b[k])
    pairs, inv = np.unique(key, return_inverse=True)
    weak = pairs[np.bincount(inv, weights=e[k]) / np.bincount(inv) < SPLIT_EDGE]
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for pair in weak:
        ra, rb = root(int(pair // n)), root(int(pair % n))
        if ra != rb:
            parent[rb] = ra
    region = np.array([root(i) for i in range(n)])[sp] * sub
    total, ring = int(sub.sum()), np.ones((3, 3), np.uint8)
    while True:
        ids, counts = np.unique(region[sub], return_counts=True)
        if ids.size < 2 or counts.min() >= SPLIT_MIN_PIECE * total:
            break
        small = region == ids[np.argmin(counts)]
        border = cv2.dilate(small.view(np.uint8), ring).astype(bool) & sub & ~small
        if not border.any():  # not touching the rest (cannot happen for a connected blob)
            break
        region[small] = np.bincount(region[border]).argmax()
    out = []
    for r in np.unique(region[sub]):
        m = np.zeros(blob.shape, bool)
        m[y0:y1, x0:x1] = region == r
        out.append(m)
    return out


class ObjectsParser:
    name = "objects"

    def __init__(self, manager: ModelManager):
        self.manager = manager

    def run(self, ctx: ParseContext) -> ParseOutput:
        from segmenters.nets import VOC, net_available

        if not net_available(VOC):  # the person parser works without it; the banner says what is missing
            return ParseOutput(parts=[], data=None, source="", notes=[f"{VOC} net not available"])
        from segmenters.nets import ADE, ade_labels, ade_stuff, voc_labels

        labels = voc_labels(ctx)
        stuff = ade_stuff(ade_labels(ctx)) if net_available(ADE) else None
        things = find_things(ctx.work, stuff, labels)
        parts = []
        for lb in THING_ORDER:
            if len(things.instances.get(lb, ())) >= 2:  # "horse 1", "horse 2", ... left to right
                parts += [Part(f"{lb} {i}", m, SOURCE) for i, m in enumerate(things.instances[lb], start=1)]
            elif lb in things.masks:
                parts.append(Part(lb, things.masks[lb], SOURCE))
        return ParseOutput(parts=parts, data=things, source=SOURCE)


@PARSERS.register("objects")
def build(manager: ModelManager) -> ObjectsParser:
    return ObjectsParser(manager)
