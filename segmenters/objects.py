"""Things: people, animals and vehicles from the offline PASCAL VOC net (``deeplab_voc``, segmenters/nets.py).

One pass of DeepLabV3-MobileNetV2 (VOC classes) over the working copy. Its parts are the animals (``dog``,
``horse``, ``cat``, ``cow``, ``sheep``, ``bird``) and vehicles (``car``, ``bus``, ``bicycle``,
``motorbike``, ``boat``, ``airplane``, ``train``), each where it covers at least ``MIN_FRACTION`` of the
photo. Its ``person`` class is not a part here: the person parser fuses it with the selfie model and the
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


@dataclass
class Things:
    labels: np.ndarray  # int32 VOC class per work pixel
    person: np.ndarray  # bool, work size
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # Facet label -> bool work-size mask

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
    person = _drop_specks(labels == VOC_CLASSES.index("person"), MIN_BLOB * area)
    return Things(out_labels, person, masks)


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
        parts = [Part(lb, things.masks[lb], SOURCE) for lb in THING_ORDER if lb in things.masks]
        return ParseOutput(parts=parts, data=things, source=SOURCE)


@PARSERS.register("objects")
def build(manager: ModelManager) -> ObjectsParser:
    return ObjectsParser(manager)
