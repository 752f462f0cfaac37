"""Things: people, animals and vehicles from the offline PASCAL VOC net (``deeplab_voc``, segmenters/nets.py).

One pass of DeepLabV3-MobileNetV2 (VOC classes) over the working copy. Its parts are the animals (``dog``,
``horse``, ``cat``, ``cow``, ``sheep``, ``bird``) and vehicles (``car``, ``bus``, ``bicycle``,
``motorbike``, ``boat``, ``airplane``, ``train``), each where it covers at least ``MIN_FRACTION`` of the
photo. Animals come as instances (``horse 1``, ``horse 2``, ... left to right) when a class has two or more:
separate blobs, and herds (one blob far longer than any animal is thick, ``HERD_RATIO``) split where the
photo's edges part them (``split_herd``). An animal the nets cannot name is offered as the generic ``animal``:
one the scene net calls a surface, and a "bird" the VOC net is not near-certain of (its catch-all class for
animals it does not know: a giraffe, a zebra, a squirrel; ``BIRD_SURE``). An animal blob is offered only where a
witness vouches for it: the VOC net near-certain over part of it, or an animal box of the detector on it
(``VOUCH_SURE``; a petal the net leans to "bird" over is not). Its ``person`` class is not a part here: the person parser fuses it with the selfie model and the
faces (``data.person``), and removes animals from people (``data.animals``).

Vehicles are bounded by the other nets (``trim_vehicles``): a car or bus loses the ground the ADE20K net sees
under it (the VOC blob runs onto the road), every vehicle what lies outside the detector's boxes of its kind, and
a vehicle box takes what the ADE20K net sees as a vehicle where the VOC net saw nothing.

Animals lose what lies behind them (``shed_surfaces``): where the ADE20K net calls most of an animal's piece "animal",
the parts of it at its outline that it is sure are another class (not a person, not the ground) go: darknet_horses'
rocky mound behind the brown horse's back, which the VOC net and the detector's box take for horse; so does the ground
it is surer of (``GROUND_BEHIND``) in the piece's upper half: the field behind a grazing horse's back.

Without the net file the parser gives nothing (``data`` None): the person parser then works as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from core.models import ModelManager
from segmenters.detector import ANIMALS as COCO_ANIMALS
from segmenters.detector import Detection
from segmenters.parsing import PARSERS, START_HOOKS, ParseContext, ParseOutput, Part

SOURCE = "deeplab-voc (offline)"
SOURCE_BOXES = "deeplab-voc + nanodet boxes (offline)"  # with the detector (segmenters/detector.py)
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
VOC_ANIMALS = ("dog", "horse", "cat", "cow", "sheep", "bird")
ANIMAL = "animal"  # an animal the VOC net is sure of where the scene net sees a surface: the two nets disagree on
# what it is, so it is not given a VOC name (a squirrel or a mandrill is not a "bird"; the VOC net knows 6 animals)
ANIMALS = tuple(dict.fromkeys((*VOC_ANIMALS, *COCO_ANIMALS, ANIMAL)))  # COCO's: names the detector gives
THING_ORDER = (*dict.fromkeys(THINGS.values()), *(a for a in COCO_ANIMALS if a not in THINGS), ANIMAL)
MIN_FRACTION = 0.002  # a thing smaller than this share of the photo is not offered
MIN_BLOB = 0.0005  # blobs smaller than this share are dropped from a thing's mask (speckle)
MAX_STUFF = 0.5  # a thing blob the scene net calls a surface (sky, building, ...) for more than this share: dropped
# herds: the VOC net paints touching animals as one blob (a herd of horses is one "cow")
HERD_RATIO = 3.5  # a blob longer than this many times its thickest part is several animals (one animal: <= 2.8
# on the project's photos: dogs, a horse, birds, a cat, a squirrel, a giraffe)
SPLIT_EDGE = 0.35  # superpixels of a herd join across borders whose mean edge strength (0..1) is below this
SPLIT_MIN_PIECE = 0.12  # a piece smaller than this share of the herd joins the neighbour it shares most border with
SPLIT_SUPERPIXEL = 120  # work pixels per superpixel
# an animal's class: summed VOC probabilities, small animals of a herd looked at again on a crop (``animal_class``)
ZOOM_MAX = 0.25  # a piece whose box is under this share of the photo is looked at again on a crop around it
ZOOM_RUNS = 3  # at most this many zoomed looks per photo (the largest pieces; each is one VOC run, ~0.1 s)
ZOOM_MARGIN = 0.25  # the crop reaches this share of the piece's box beyond it on each side (context)
ANIMAL_SURE = 0.82  # a blob whose mean VOC animal probability is at least this is kept on "stuff" (a close-up
# cat the scene net calls "wall"; named ``ANIMAL``); on the project's photos real animals 0.85-0.99, false finds
# (skimage's apple and orange, the starry night painting) 0.71-0.79
# "bird" is the VOC net's catch-all: it names nearly every animal it has no class for "bird" (on the project's photos
# the giraffe and the zebra of darknet_giraffe, the squirrel, the butterfly, the mandrill, and skimage's apple and
# orange), so a blob keeps the name "bird" only where the net is near-certain of it over most of the blob; else it is
# the generic ``ANIMAL``. Its other five animal names were never given to an animal of another kind there.
SURE_P = 0.9  # a pixel the net is near-certain of: its probability for the blob's class is at least this
BIRD_SURE = 0.75  # share of the blob's pixels that must be near-certain "bird" (real birds: the eagle 0.89, the
# robin of hfs_000 0.87; non-birds 0.17-0.65: zebra, butterfly, giraffe, squirrel; the mandrill 0.99 lies on stuff)
UNSURE_MIN = 0.01  # such an unsure "bird" blob smaller than this share of the photo is a speck, not an animal: dropped
# (specks beside the robin and the butterfly, 0.001-0.005; the zebra 0.032)
# instance boxes (segmenters/detector.py, NanoDet on COCO): where two or more animal boxes lie on one VOC blob, the
# boxes part it (``part_by_boxes``), not the photo's edges alone; one box on a blob: one animal, not a herd
ON_BLOB = 0.15  # a box is on a blob when the blob fills at least this share of the box (the blob holding most of it)
GROUP_SHARE, GROUP_IOU, GROUP_COVER = 0.3, 0.5, 0.7  # a box around two boxed objects (``_group_box``)
CONTAINED = 0.8  # a box lying this much inside a surer box that is at least half as sure of its class is a part of
# that object (a horse's head found again), not another animal; a box the surer one does not explain (the zebra
# standing inside the giraffe's box: the giraffe's box scores zebra 0.11 against the zebra box's 0.68) stays
FLAT_COST = 0.02  # geodesic cost of a pixel of flat coat; a pixel costs this plus its edge strength (0..1): one
# pixel of the photo's strongest edges costs as much as 50 of coat, so a box takes what its coat reaches
OUTSIDE_COST = 4.0  # cost factor for a box's geodesic growth beyond its own box (the VOC blob reaches past boxes)
# animals' coats (issue 11 round 20, h21herd): where boxes overlap, a pixel's colour says whose coat it is. Each box's growth
# pays, on the pixels two boxes hold (or none), this times how much farther the pixel's colour lies from the box's core
# coat (the median Lab colour of its seeds) than from the nearest core among the boxes that hold it, over
# ``COAT_SPAN`` (``_coat_unlike``): darknet_horses' white horse keeps the white forelock and face that the brown
# horse's box reached by geometry and across the mane's edges (white-coat pixels of the white horse's polygon in the
# brown horse's first-hit region 73 -> 16; 0.3 and more took 13 but cost the grey horse behind them one-click IoU,
# 0.617 -> 0.594). Animals only (``part_by_boxes(coats=True)``): people's clothes are no one colour (applied to people
# too, a first try took t1's standing man from 0.615 to 0.097 one-click IoU).
COAT_COST = 0.2
COAT_SPAN = 40.0  # Lab distance (L 0-100) at which the extra cost is full
# herds (issue 11 round 7): the detector boxes a herd's hidden animal less surely (darknet_horses' grey horse behind
# the brown one: cow 0.20 inside the brown one's cow 0.55 box, which the VOC blob and the sure boxes give to the brown)
WEAK_SCORE = 0.15  # a box under the detector's MIN_SCORE but at least this may be a hidden animal (``herd_boxes``)
HERD_SHARE = 0.5  # ... when it is at most this share of the sure box it lies in (not that box found again)
COAT_DIFF = 10.0  # ... and the coat of its share differs from the sure box's share by this mean Lab distance (L 0-100)
HERD_EDGE = 0.5  # ... and the photo shows an edge between the two shares (their border's mean edge strength, 0..1)
# On the project's photos: the grey horse 12.6 / 0.59; boxes that are not a second animal (a horse's head, its legs,
# its rump found again) 2.2-9.1 / 0.26-0.47, each failing both tests. One herd: thin evidence, hence both tests.
NAME_SURE = 0.4  # the detector names an animal the VOC net cannot ("animal") when its box scores the class at least
# vehicles (issue 11 round 5b): the VOC net's car blob runs past the car onto the road under it and beside it (on
# scenetext06 it covers 81 % of the labelled road, on scenetext01 24 %). Two bounds, each from another net than VOC:
# - the ground under a vehicle: pixels of a vehicle blob the ADE20K net puts in a ground class (``GROUND``) are the
#   ground the vehicle stands on, its shadow or the pavement beside it, not the vehicle (``trim_vehicles``); the
#   ADE net has a class for the car itself, so where it says road it has seen road, not the car's underside;
# - the detector's boxes (when the detector is here): a vehicle's pixels farther than ``BOX_MARGIN`` of its box's
#   size (at least ``BOX_MARGIN_PX``) outside every vehicle box of the detector are not that vehicle; the VOC
#   mask's own edges are kept inside the boxes.
# The pixels freed go back to the scene labels (segmenters/parsing.py: things claim only their own pixels).
VEHICLES_VOC = ("car", "bus")  # the VOC vehicles that lose the ground and that a vehicle box fills
# the detector's classes whose boxes bound each VOC vehicle (the other vehicles are bounded by their own boxes: a
# water drop the VOC net calls "aeroplane" with no airplane box is not one)
BOXES_OF = {
    "car": ("car", "truck", "bus"),
    "bus": ("car", "truck", "bus"),
    "bicycle": ("bicycle",),
    "motorbike": ("motorcycle",),
    "boat": ("boat",),
    "aeroplane": ("airplane",),
    "train": ("train",),
}
GROUND = ("road", "sidewalk", "path", "runway", "earth", "dirt", "land", "sand", "grass", "field", "floor")
# - where the VOC net sees nothing inside a vehicle box of the detector but the ADE20K net sees a vehicle there
#   (``VEHICLES_ADE``), it is that vehicle (``trim_vehicles``).
VEHICLES_COCO = ("car", "truck", "bus")  # the detector's vehicle classes
VOC_OF_BOX = {"car": "car", "truck": "car", "bus": "bus"}  # the VOC class a vehicle box's new pixels take
VEHICLES_ADE = ("car", "van", "truck", "bus")
BOX_MARGIN = 0.1
BOX_MARGIN_PX = 4
# animals (issue 11 round 11): the VOC blob runs from an animal onto what lies behind it in its colour (darknet_horses'
# brown rocky mound behind the brown horse's back: the VOC net is 0.99 sure of "horse" there, the detector's box takes
# it in too), the ADE20K net is not fooled: it calls the mound "rock" (0.95) and the horse "animal". Where the ADE net
# knows the animal (``ADE_KNOWS``: most of the piece is its "animal"), the parts of the piece it is sure of another
# class (``ADE_SURE``; not "person", which it often says for an animal) and that reach the piece's outline are what
# lies behind or under the animal (``shed_surfaces``). Where it does not know it (it calls a dog "person" or
# "sculpture", a robin "wall", a squirrel "water" and "plant"), its other classes say nothing and the piece stays.
ADE_ANIMALS = ("animal",)
ADE_NOT_OTHER = ("animal", "person", *GROUND)  # ground stays: the ADE net's ground reaches into legs and hooves (on
# darknet_horses 9-11 % of each horse's own pixels), and what lies between legs is for the click's cut
ADE_KNOWS = 0.5  # share of the piece the ADE net calls "animal"
ADE_SURE = 0.5  # ... and it is sure of another class where that class has at least this probability (the mound: rock
# 0.64-0.96 against animal 0.04-0.33; 0.8 left half the mound on the horse)
GROUND_BEHIND = 0.7  # ... and in the upper half of the piece (above the middle of its rows: not legs or hooves, which
# the ADE net's ground reaches into) where its ground class (``GROUND``) has at least this probability, the field behind
# the animal (``ade_surfaces``' third mask; darknet_horses' grey grazing horse, one click: IoU / leak 0.691 / 0.164 -> 0.729 / 0.090,
# the brown horse 0.674 -> 0.692; at 0.5 the grey horse hidden between them lost the top of its neck, 0.613 -> 0.569;
# at 0.85 the brown horse keeps 0.674)
SHED_MAX = 0.5  # a shedding that would take more than this share of a piece is not trusted (the piece stays)
ANIMAL_MARGIN = 0.1  # a clicked animal's share reaches at most this share of its box's size beyond it (``within_box``)
NAME_MARGIN = 1.5  # this and this many times the box's next animal class (the squirrel's box: bear 0.42 against
# sheep 0.33, no name; the giraffe 0.83 against zebra 0.11; the zebra 0.68 against giraffe 0.14)
# a lone animal (a blob with one box on it) whose VOC name the detector's sure name contradicts (the box names another
# animal, ``NAME_SURE`` / ``NAME_MARGIN``) is not offered under either name: it is the generic ``ANIMAL``, as where the
# scene net disagrees (issue 11 round 12: the gorilla of jigzo_gorilla, VOC "dog", the detector "bear" 0.70 against dog
# 0.39; a chip "dog" on a gorilla is a false offer, "animal" is not). Not in a herd: there the VOC class is summed over
# every animal and the detector's boxes of small, crowded animals are less sure of theirs (darknet_horses' boxes say
# "cow" for horses). Where the nets agree, or the detector is unsure, VOC's name stays.
NAME_CLASH = True
# an animal needs a witness (issue 11 round 13): a blob the VOC net calls an animal is offered only where the net is
# near-certain (``SURE_P``) over at least ``VOUCH_SURE`` of it, or the detector boxes an animal on it (``boxes_on``) at
# least as surely as it takes to name one (``NAME_SURE``). The VOC net is merely inclined over petals, paint brushes and
# a blurred grass blade (mate_freshflower, freespace_brushes, mate_ladybird: sure share 0.00-0.01, no box or the
# brushes' cat box 0.30), where the detector sees nothing. Real animals away from the scene net's surfaces have one
# witness or both: VOC sure share 0.16-0.91 with a box of 0.42-0.83 (the gorilla 0.16 / 0.67, darknet_person's horse
# and dog 0.00-0.01 with boxes of 0.55 and 0.44), or no box and a sure share of 0.46 or more (on the scene net's
# surfaces, where ``ANIMAL_SURE`` judges them: the butterfly 0.55, lomiri_kleiber's nuthatch 0.46). Only with the
# detector here (without it, as before).
VOUCH_SURE = 0.2
# ... and on the scene net's surfaces (``MAX_STUFF``) the witness is the VOC net's own certainty, never a box alone: there
# the scene net contradicts the animal, so the VOC net must be near-certain (``SURE_P``) over ``VOUCH_SURE`` of the blob
# besides its mean ``ANIMAL_SURE``; the detector's box is no second witness, and its name no longer turns a blob nobody
# is sure of into a "bird" chip (issue 11 round 20, h20offers: lomiri_seeding's dandelion, plant 0.93 to the scene net,
# VOC mean 0.88 but sure share 0.00, boxed "bird" 0.45 by the detector, offered "bird" over 9.6 % of the photo). The
# animals that lie on surfaces read 0.46-0.99 (lomiri_kleiber's nuthatch 0.46, the butterfly 0.55, the squirrel 0.65,
# chelsea 0.91, the mandrill 0.99: bench/results/animal_chips.json), so the threshold is ``VOUCH_SURE``, not re-chosen.
STUFF_VOUCH = True


@dataclass
class Things:
    labels: np.ndarray  # int32 VOC class per work pixel
    person: np.ndarray  # bool, work size
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # Facet label -> bool work-size mask
    # animal label -> its instances (bool work-size masks, disjoint, left to right), each >= MIN_FRACTION
    instances: dict[str, list[np.ndarray]] = field(default_factory=dict)
    # bool, work size: blobs the VOC net calls an animal that no witness vouches for (``VOUCH_SURE``): not offered,
    # but not a person either by that net, so the person parser keeps them out of people as before (``animals``)
    unvouched: np.ndarray | None = None

    @property
    def animals(self) -> np.ndarray:
        """Where the person parser sees no person: the animals offered and the ``unvouched`` blobs."""
        out = np.zeros(self.person.shape, bool) if self.unvouched is None else self.unvouched.copy()
        for lb in ANIMALS:
            if lb in self.masks:
                out |= self.masks[lb]
        return out


def _drop_specks(mask: np.ndarray, min_area: float) -> np.ndarray:
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[labels]


def find_things(
    rgb: np.ndarray,
    stuff: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    photo: np.ndarray | None = None,
    detections: list[Detection] | None = None,
    ground: np.ndarray | None = None,
    seen: np.ndarray | None = None,
    surfaces: tuple[np.ndarray, ...] | None = None,
) -> Things:
    """Things in ``rgb`` (RGB uint8). ``stuff`` (bool, same size): where the scene net sees a surface (sky,
    building, ground, ...); a thing blob lying mostly on it is dropped (a temple roof is not a boat), unless
    the VOC net is sure it is an animal (``ANIMAL_SURE``: a cat the scene net calls "wall"). ``labels`` and
    ``probs``: the VOC net's answer for ``rgb`` when it has already run (:func:`segmenters.nets.voc_answer`).
    ``photo``: the full-size photo ``rgb`` was made from (default ``rgb``), for the zoomed looks.
    ``detections``: the detector's objects on ``rgb`` (segmenters/detector.py; boxes in its pixels), optional: two or
    more animal boxes on one blob part it (``part_by_boxes``), one box keeps it whole, none leaves the blob to the
    herd rule (``is_herd``, ``split_herd``); a box's class names an animal the VOC net cannot (``NAME_SURE``);
    None: the detector is not here. ``ground`` (bool, same size): where the scene net sees the ground (``GROUND``);
    vehicles lose it, and what lies outside the detector's vehicle boxes; ``seen`` (bool): where the scene net sees a
    vehicle: inside a vehicle box it joins the vehicles (``trim_vehicles``). ``surfaces``: :func:`ade_surfaces`'s
    masks (where the scene net says "animal", where it is sure of another class, optionally where it is sure of the
    ground): an animal loses what lies behind it (``shed_surfaces``).

    Each connected blob of animals is one class (a horse's legs are not a sheep), the animal class with the
    largest summed probability over the blob (``animal_class``), not the class most pixels have; a "bird" the net is
    not near-certain of (``BIRD_SURE``) is the generic ``ANIMAL`` (the net's catch-all, see ``BIRD_SURE``), or dropped
    when it is a speck (``UNSURE_MIN``)."""
    from segmenters.nets import VOC_CLASSES, voc_answer, voc_probabilities

    if labels is None or probs is None:
        labels, probs = voc_answer(rgb)
    animal_dets = animal_detections(detections or [])
    h, w = labels.shape
    area = labels.size
    ids = {VOC_CLASSES.index(n): lb for n, lb in THINGS.items()}
    ids[len(VOC_CLASSES)] = ANIMAL  # not a VOC class (see ``ANIMAL``)
    animal_ids = [VOC_CLASSES.index(a) for a in VOC_ANIMALS]
    animal_probs = voc_probabilities(probs, animal_ids, (w, h))
    is_thing = np.isin(labels, [i for i in ids if i < len(VOC_CLASSES)])
    n, blobs, stats, _ = cv2.connectedComponentsWithStats(is_thing.astype(np.uint8), connectivity=8)
    out_labels = labels.copy()
    herds: list[tuple[int, list[np.ndarray], list[str | None]]] = []  # (VOC class, pieces, detector names) per blob
    zooms = [ZOOM_RUNS]  # zoomed looks left for this photo
    unvouched = np.zeros(labels.shape, bool)
    for b in range(1, n):
        blob = blobs == b
        if stats[b, cv2.CC_STAT_AREA] < MIN_BLOB * area:
            out_labels[blob] = 0
            continue
        counts = np.bincount(labels[blob], minlength=len(VOC_CLASSES))
        animal = counts[animal_ids].sum() > 0.5 * blob.sum()
        on_stuff = stuff is not None and stuff[blob].mean() > MAX_STUFF
        if on_stuff and not (animal and float(animal_probs[blob].sum(axis=-1).mean()) >= ANIMAL_SURE):
            out_labels[blob] = 0
            continue
        if animal:  # one class for the whole blob, from the evidence over all of it
            on = boxes_on(blob, blobs, animal_dets)
            if len(on) >= 2:  # the detector's boxes part the herd
                pieces = part_by_boxes(blob, rgb, [d.box for d in on], coats=True)
                kept = [i for i, p in enumerate(pieces) if p.any()]
                pieces, on = [pieces[i] for i in kept], [on[i] for i in kept]
            elif on:  # one box: one animal
                pieces = [blob]
            else:
                pieces = split_herd(blob, rgb) if is_herd(blob) else [blob]
            names = [animal_name(d) for d in on] if len(on) == len(pieces) else [None] * len(pieces)
            if on_stuff:  # the scene net disagrees: an animal, but which one the VOC net cannot be trusted to say
                if not _sure_on_stuff(animal_probs[blob]):
                    out_labels[blob] = 0  # only the VOC net's own certainty vouches here (``STUFF_VOUCH``)
                    unvouched |= blob
                    continue
                cls = len(VOC_CLASSES)
            else:
                k, sure = animal_class(pieces, animal_probs, photo if photo is not None else rgb, zooms)
                named = not (VOC_ANIMALS[k] == "bird" and sure < BIRD_SURE)
                if not named and stats[b, cv2.CC_STAT_AREA] < UNSURE_MIN * area:
                    out_labels[blob] = 0
                    continue
                vouched = sure >= VOUCH_SURE or any(_animal_best(d)[1] >= NAME_SURE for d in on)
                if detections is not None and not vouched:
                    out_labels[blob] = 0  # neither net vouches for an animal here (``VOUCH_SURE``)
                    unvouched |= blob
                    continue
                cls = animal_ids[k] if named else len(VOC_CLASSES)
            out_labels[blob] = 0
            if surfaces is not None:
                pieces = [shed_surfaces(p, *surfaces) for p in pieces]
            herds.append((cls, pieces, names))
            for p in pieces:
                out_labels[p] = cls
    out_labels = trim_vehicles(out_labels, ground, detections, MIN_BLOB * area, seen)
    masks: dict[str, np.ndarray] = {}
    for i, target in ids.items():
        m = out_labels == i
        if m.sum() >= MIN_FRACTION * area:
            masks[target] = masks[target] | m if target in masks else m
    instances: dict[str, list[np.ndarray]] = {}
    for cls, pieces, names in herds:
        target = ids[cls]
        if target not in masks:
            continue
        for piece, name in zip(pieces, names, strict=True):
            label = name if target == ANIMAL and name is not None else target  # the detector names what VOC cannot
            if NAME_CLASH and len(pieces) == 1 and target in VOC_ANIMALS and name is not None and name != target:
                label = ANIMAL  # the two nets, each sure, name two animals: neither name is trusted (``NAME_CLASH``)
            if label != target:
                masks[target] = masks[target] & ~piece
                masks[label] = masks[label] | piece if label in masks else piece.copy()
            if piece.sum() >= MIN_FRACTION * area:
                instances.setdefault(label, []).append(piece)
    masks = {k: m for k, m in masks.items() if m.sum() >= MIN_FRACTION * area}
    instances = {k: v for k, v in instances.items() if k in masks}
    for pieces in instances.values():
        pieces.sort(key=lambda p: float(np.flatnonzero(p.any(axis=0)).mean()))
    person = _drop_specks(labels == VOC_CLASSES.index("person"), MIN_BLOB * area)
    return Things(out_labels, person, masks, instances, unvouched)


def trim_vehicles(
    labels: np.ndarray,
    ground: np.ndarray | None,
    detections: list[Detection] | None,
    min_blob: float,
    seen: np.ndarray | None = None,
) -> np.ndarray:
    """``labels`` (int32 VOC class per pixel) with the vehicles bounded: the pixels of ``VEHICLES_VOC`` on
    ``ground`` (bool, same size; None: no bound) and, when ``detections`` is not None (the detector is here), those of
    every VOC vehicle outside each box of its kind (``BOXES_OF``) widened by ``BOX_MARGIN`` (``vehicle_zone``) become
    0 (nothing), and specks left under ``min_blob`` pixels go too. Then, with the detector, the pixels inside a vehicle box where the scene net sees a
    vehicle (``seen``, bool; ADE20K's car, van, truck, bus) and the VOC net sees nothing become a vehicle
    (``VOC_OF_BOX``; a box that holds a VOC vehicle gives its pixels that vehicle's class): two nets other than VOC
    agree there (the wheels, a van's side the VOC net left out, a car cut by the frame it missed). A copy; the other
    classes are untouched."""
    from segmenters.nets import VOC_CLASSES

    ids = [VOC_CLASSES.index(n) for n in VEHICLES_VOC]
    out = labels.copy()
    vehicle = np.isin(labels, ids)
    drop = np.zeros(labels.shape, bool)
    if ground is not None:
        drop |= vehicle & ground
    if detections is not None:
        for name, classes in BOXES_OF.items():
            k = VOC_CLASSES.index(name)
            if (labels == k).any():
                drop |= (labels == k) & ~vehicle_zone(labels.shape, detections, classes)
    if drop.any():
        out[drop] = 0
        bounded = [VOC_CLASSES.index(n) for n in BOXES_OF]
        for k in bounded:
            kept = out == k
            out[kept & ~_drop_specks(kept, min_blob)] = 0
    if detections is None or seen is None:
        return out
    h, w = labels.shape
    free = (out == 0) & seen & (~ground if ground is not None else True)
    boxes = _boxes_of(detections, VEHICLES_COCO)
    for d in sorted(boxes, key=lambda d: -(d.box[2] - d.box[0]) * (d.box[3] - d.box[1])):  # the smallest box last
        x0, y0 = max(0, int(d.box[0])), max(0, int(d.box[1]))
        x1, y1 = min(w, int(np.ceil(d.box[2]))), min(h, int(np.ceil(d.box[3])))
        if x1 <= x0 or y1 <= y0:
            continue
        inside = out[y0:y1, x0:x1]
        counts = np.bincount(inside[np.isin(inside, ids)], minlength=len(VOC_CLASSES))
        kind = VEHICLES_COCO[int(np.argmax(d.score_of(VEHICLES_COCO)))]  # the box's likeliest vehicle class
        cls = int(np.argmax(counts)) if counts.any() else VOC_CLASSES.index(VOC_OF_BOX[kind])
        inside[free[y0:y1, x0:x1]] = cls
    grown = np.isin(out, ids) & ~np.isin(labels, ids)
    if grown.any():
        kept = np.isin(out, ids)
        out[grown & ~_drop_specks(kept, min_blob)] = 0
    return out


def vehicle_zone(
    shape: tuple[int, int], detections: list[Detection], classes: tuple[str, ...] = VEHICLES_COCO
) -> np.ndarray:
    """Bool mask (``shape``) of the detector's boxes of ``classes`` (default car, truck, bus: ``_boxes_of``), each
    widened by ``BOX_MARGIN`` of its width / height (at least ``BOX_MARGIN_PX``) on every side."""
    h, w = shape
    zone = np.zeros(shape, bool)
    for d in _boxes_of(detections, classes):
        x0, y0, x1, y1 = d.box
        mx = max(BOX_MARGIN_PX, BOX_MARGIN * (x1 - x0))
        my = max(BOX_MARGIN_PX, BOX_MARGIN * (y1 - y0))
        zone[
            max(0, int(y0 - my)) : min(h, int(np.ceil(y1 + my))), max(0, int(x0 - mx)) : min(w, int(np.ceil(x1 + mx)))
        ] = True
    return zone


def ade_seen(probs: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Bool masks (``size`` = (w, h)) of where the ADE20K net's ``GROUND`` classes together, and its vehicle classes
    (``VEHICLES_ADE``) together, beat every other single class and each other (``probs``: its grid probabilities,
    :func:`segmenters.nets.ade_answer`; interpolated, so the masks' edges are smooth, not the grid's staircase)."""
    from segmenters.nets import group_probabilities

    groups = {**dict.fromkeys(GROUND, "ground"), **dict.fromkeys(VEHICLES_ADE, "vehicle")}
    names, grouped = group_probabilities(probs, groups, size)
    best = np.argmax(grouped, axis=-1)
    return best == names.index("ground"), best == names.index("vehicle")


def ade_surfaces(probs: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bool masks (``size`` = (w, h)): where the ADE20K net's best class is "animal" (``ADE_ANIMALS``), where it is
    sure (``ADE_SURE``) of a class that is neither an animal nor a person (``ADE_NOT_OTHER``), and where its best class
    is a ground class (``GROUND``) with at least ``GROUND_BEHIND`` probability (the ground behind an animal,
    :func:`shed_surfaces`). ``probs``: its grid probabilities (:func:`segmenters.nets.ade_answer`); the masks are taken
    on the grid and interpolated (smooth edges)."""
    from segmenters.nets import ADE_CLASSES, grid_to_size

    names = ("other", *ADE_CLASSES)
    best = np.argmax(probs, axis=-1)
    top = np.take_along_axis(probs, best[..., None], axis=-1)[..., 0]
    animal = np.isin(best, [names.index(c) for c in ADE_ANIMALS])
    other = ~np.isin(best, [names.index(c) for c in ADE_NOT_OTHER]) & (top >= ADE_SURE)
    ground = np.isin(best, [names.index(c) for c in GROUND]) & (top >= GROUND_BEHIND)
    up = grid_to_size(np.stack([animal, other, ground], axis=-1).astype(np.float32), size)
    return up[..., 0] >= 0.5, up[..., 1] >= 0.5, up[..., 2] >= 0.5


def shed_surfaces(
    piece: np.ndarray, animal: np.ndarray, other: np.ndarray, ground: np.ndarray | None = None
) -> np.ndarray:
    """``piece`` (bool: one animal's share of a VOC blob) without what lies behind or under it: where the ADE20K net
    calls most of the piece "animal" (``ADE_KNOWS``; ``animal``, ``other``: :func:`ade_surfaces`), the connected parts
    of the piece it is sure of another class (``other``), or of the ground (``ground``: :func:`ade_surfaces`) above the
    middle of the piece's rows, that touch the piece's outline (they come from outside: the rocky mound behind a
    horse's back, the far field above another's). ``piece`` itself when the ADE net does not know the animal or when
    that would take more than ``SHED_MAX`` of it."""
    n = int(piece.sum())
    if n == 0 or animal[piece].mean() < ADE_KNOWS:
        return piece
    cand = piece & other
    if ground is not None:  # the ground above the animal's middle is the field behind it (below: its legs, hooves)
        rows = np.flatnonzero(piece.any(axis=1))
        mid = (int(rows[0]) + int(rows[-1])) // 2
        cand[:mid] |= piece[:mid] & ground[:mid]
    if not cand.any():
        return piece
    _, comp = cv2.connectedComponents(cand.view(np.uint8), connectivity=8)
    rim = piece & ~cv2.erode(
        piece.view(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0
    ).view(bool)
    outer = np.unique(comp[rim & cand])
    shed = np.isin(comp, outer[outer > 0])
    if shed.sum() > SHED_MAX * n:
        return piece
    return piece & ~shed


def _animal_best(d: Detection) -> tuple[str, float]:
    """A detection's best animal class and its score."""
    a = d.score_of(COCO_ANIMALS)
    k = int(np.argmax(a))
    return COCO_ANIMALS[k], float(a[k])


def animal_detections(detections: list[Detection]) -> list[Detection]:
    """The detections that are animals (their best animal class scores at least the detector's ``MIN_SCORE``), the
    surest first, without those that are a part of a surer one (``CONTAINED``)."""
    return _boxes_of(detections, COCO_ANIMALS)


def boxes_on(blob: np.ndarray, blobs: np.ndarray, detections: list[Detection]) -> list[Detection]:
    """The detections whose box ``blob`` (bool) fills at least ``ON_BLOB`` of, and holds more of than any other blob
    of ``blobs`` (connected-component labels of the things) does."""
    h, w = blob.shape
    b = int(blobs.flat[int(np.argmax(blob))]) if blob.any() else 0
    out = []
    for d in detections:
        x0, y0 = max(0, int(d.box[0])), max(0, int(d.box[1]))
        x1, y1 = min(w, int(np.ceil(d.box[2]))), min(h, int(np.ceil(d.box[3])))
        if x1 <= x0 or y1 <= y0:
            continue
        inside = blobs[y0:y1, x0:x1]
        counts = np.bincount(inside.ravel())
        counts[0] = 0
        if counts.size > b and counts[b] >= ON_BLOB * inside.size and counts[b] == counts.max():
            out.append(d)
    return out


def part_by_boxes(
    blob: np.ndarray, rgb: np.ndarray, boxes: list[tuple[float, float, float, float]], coats: bool = False
) -> list[np.ndarray]:
    """``blob`` (bool, the size of ``rgb``) parted among the objects of ``boxes`` (XYXY pixels), one disjoint piece
    per box (possibly empty), together exactly ``blob``. Each box grows from its seeds, the blob's pixels in its inner
    half that no other box holds (the rim of a box may hold a neighbour: the white horse's box reaches over the
    brown horse behind it); else where it is the smallest box, in its inner half (a box inside another one); else
    anywhere in the box that no other box holds), along the
    cheapest paths inside the blob (a pixel costs ``FLAT_COST`` plus the photo's edge strength there, times
    ``OUTSIDE_COST`` outside the box); each pixel goes to the box that reaches it cheapest. So a box takes what is
    joined to its own part of the herd by coat, not by a coat edge, and an animal's legs that stick out of its box
    stay with it. ``coats`` (animals): on the pixels two boxes hold, a box also pays for a colour unlike its seeds'
    coat and like another holder's (``COAT_COST``, ``_coat_unlike``), so an overlap goes by coat, not by distance."""
    rows, cols = np.flatnonzero(blob.any(axis=1)), np.flatnonzero(blob.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sub = blob[y0:y1, x0:x1]
    base = FLAT_COST + _edge_strength(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    inside = []
    for bx0, by0, bx1, by1 in boxes:
        m = np.zeros(sub.shape, bool)
        m[
            max(0, int(by0) - y0) : max(0, int(np.ceil(by1)) - y0),
            max(0, int(bx0) - x0) : max(0, int(np.ceil(bx1)) - x0),
        ] = True
        inside.append(m)
    count = np.sum(inside, axis=0)
    area = [max(1.0, (b[2] - b[0]) * (b[3] - b[1])) for b in boxes]
    smallest = np.full(sub.shape, -1)
    for k in np.argsort(area)[::-1]:  # the smallest box last: it wins
        smallest[inside[k]] = k
    seeds_of: list[np.ndarray | None] = []
    for k, m in enumerate(inside):
        bx0, by0, bx1, by1 = boxes[k]
        inner = np.zeros(sub.shape, bool)  # the box's inner half: its object's own (its rim may hold neighbours)
        qx, qy = (bx1 - bx0) / 4, (by1 - by0) / 4
        inner[
            max(0, int(by0 + qy) - y0) : max(0, int(by1 - qy) - y0),
            max(0, int(bx0 + qx) - x0) : max(0, int(bx1 - qx) - x0),
        ] = True
        seeds = sub & inner & (count == 1)
        if (
            not seeds.any()
        ):  # a box inside another (a herd's hidden animal): where it is the smallest, in its inner half
            seeds = sub & inner & (smallest == k)
        if not seeds.any():
            seeds = sub & m & (count == 1)
        seeds_of.append(seeds if seeds.any() else None)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    unlike = _coat_unlike(crop, sub & (count != 1), seeds_of, inside) if coats else None
    dist = np.full((len(boxes), *sub.shape), np.inf)
    for k, m in enumerate(inside):
        seeds = seeds_of[k]
        if seeds is None:
            continue
        step = base if unlike is None else base + unlike[k]
        cost = np.where(sub, step * np.where(m, 1.0, OUTSIDE_COST), np.inf)
        dist[k] = _geodesic(cost, seeds)
    owner = np.argmin(dist, axis=0)
    reached = np.isfinite(dist.min(axis=0))
    out = []
    for k in range(len(boxes)):
        m = np.zeros(blob.shape, bool)
        m[y0:y1, x0:x1] = sub & (owner == k) & reached
        out.append(m)
    if out and not reached[sub].all():  # cut off from every seed (cannot happen for a connected blob): the surest
        m = out[0]
        m[y0:y1, x0:x1] |= sub & ~reached
    return out


def _coat_unlike(
    crop: np.ndarray, where: np.ndarray, seeds_of: list[np.ndarray | None], inside: list[np.ndarray]
) -> np.ndarray | None:
    """Per box, per pixel of ``crop`` (RGB uint8): the extra geodesic cost of that pixel for that box's growth
    (``COAT_COST``): how much farther the pixel's Lab colour lies from the box's core coat (the median of its seeds,
    ``seeds_of``; None: no seeds) than from the nearest core coat among the boxes that hold the pixel (``inside``:
    bool per box; all boxes' cores for a pixel in none), over ``COAT_SPAN`` and at most 1. Only on ``where`` (bool:
    the pixels two boxes hold, or none: the contested ones), 0 elsewhere. None when fewer than two boxes have seeds."""
    cores = [k for k, sd in enumerate(seeds_of) if sd is not None]
    if len(cores) < 2 or not where.any():
        return None
    lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    at = lab[where]
    far = {k: np.linalg.norm(at - np.median(lab[seeds_of[k]], axis=0), axis=1) for k in cores}
    nearest = np.min([far[k] for k in cores], axis=0)
    held = np.min([np.where(inside[k][where], far[k], np.inf) for k in cores], axis=0)
    nearest = np.where(np.isfinite(held), held, nearest)
    out = np.zeros((len(seeds_of), *crop.shape[:2]), np.float32)
    for k in cores:
        out[k][where] = COAT_COST * np.minimum(1.0, (far[k] - nearest) / COAT_SPAN)
    return out


def _geodesic(cost: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """``skimage.graph.MCP_Geometric(cost).find_costs(np.argwhere(seeds))[0]`` (float64: each pixel's cheapest
    8-connected path cost from the ``seeds``, bool; ``cost`` > 0, inf where no path may go), with only the seeds on the
    rim of the seed region handed to it (find_costs spends a Python loop on each start; a blob's seeds are thousands).
    The same numbers: with every step's cost positive, a cheapest path from the seeds to a pixel outside them leaves
    them from a rim seed (one with a neighbour that is not a seed), adding the same steps in the same order; the seeds
    themselves are 0 (tests/test_parse_speed.py compares the two, also on a real herd)."""
    from skimage.graph import MCP_Geometric

    inner = cv2.erode(seeds.view(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=1)
    rim = seeds & ~inner.view(bool)
    if not rim.any():  # every pixel is a seed
        return np.where(seeds, 0.0, np.inf)
    d, _ = MCP_Geometric(cost).find_costs(np.argwhere(rim))
    d[seeds] = 0.0
    return d


def box_classes(label: str) -> tuple[str, ...]:
    """The detector's classes whose boxes part a labelled thing (``person 2`` -> person; an animal -> every
    animal; a car -> car, truck, bus; the other VOC vehicles -> their COCO class: boats side by side that the VOC
    net paints as one "boat"); none for other things."""
    from segmenters.detector import COCO_CLASSES, VEHICLES

    word = label.strip().lower().rstrip("0123456789 ").strip()
    if word == "person":
        return ("person",)
    if word in ANIMALS:
        return COCO_ANIMALS
    if word in ("car", "bus", "truck", "van"):
        return VEHICLES
    if word in BOXES_OF or word in COCO_CLASSES:  # a boat, a bicycle, an airplane ...
        return tuple(c for c in BOXES_OF.get(word, (word,)) if c in COCO_CLASSES)
    return ()


def _boxes_of(detections: list[Detection], classes: tuple[str, ...]) -> list[Detection]:
    """The detections of ``classes`` (their best class among them scores at least the detector's ``MIN_SCORE``),
    the surest first, without those that are a part of a surer one (``CONTAINED``: a horse's head found again, a
    car found again as a truck)."""
    from segmenters.detector import COCO_CLASSES, MIN_SCORE

    def best(d: Detection) -> tuple[int, float]:
        a = d.score_of(classes)
        k = int(np.argmax(a))
        return COCO_CLASSES.index(classes[k]), float(a[k])

    cand = sorted((d for d in detections if best(d)[1] >= MIN_SCORE), key=lambda d: -best(d)[1])
    cand = [d for d in cand if not _group_box(d, cand)]
    kept: list[Detection] = []
    for d in cand:
        cls, score = best(d)
        own = box_area(d.box)
        if not any(box_overlap(d.box, k.box) >= CONTAINED * own and float(k.scores[cls]) >= 0.5 * score for k in kept):
            kept.append(d)
    return kept


def _group_box(d: Detection, cand: list[Detection]) -> bool:
    """True when ``d``'s box is one drawn around two objects the detector also boxed apart (a white boat and the
    brown one beside it, boxed together a little more surely than each alone): two other candidates lie inside it
    (``CONTAINED``), each fills at least ``GROUP_SHARE`` of it, they are two objects by the usual box-overlap test
    (IoU under ``GROUP_IOU``) and together they cover ``GROUP_COVER`` of it. A part found again (a head, a wheel)
    fills too little of the whole to make it a group."""
    inner = [
        c.box
        for c in cand
        if c is not d
        and box_overlap(c.box, d.box) >= CONTAINED * box_area(c.box)
        and box_area(c.box) >= GROUP_SHARE * box_area(d.box)
    ]
    for i, a in enumerate(inner):
        for b in inner[i + 1 :]:
            both = box_overlap(a, b)
            union = box_area(a) + box_area(b) - both
            if both < GROUP_IOU * union and box_overlap(a, d.box) + box_overlap(
                b, d.box
            ) - both >= GROUP_COVER * box_area(d.box):
                return True
    return False


def piece_boxes(
    piece: np.ndarray, rgb: np.ndarray, classes: tuple[str, ...], detections: list[Detection]
) -> list[tuple[float, float, float, float]]:
    """The boxes (XYXY) of the objects of ``classes`` on ``piece`` (bool, the size of ``rgb``): the detector's sure
    ones (``_boxes_of``) that ``piece`` fills at least ``ON_BLOB`` of, and, in a herd (animals), the animals it saw
    less surely inside another's box (``herd_boxes``)."""
    sure = [d for d in _boxes_of(detections, classes) if box_fill(piece, d.box) >= ON_BLOB]
    boxes = [d.box for d in sure]
    if classes == COCO_ANIMALS and sure:
        boxes += herd_boxes(piece, rgb, sure, detections)
    return boxes


def herd_boxes(
    piece: np.ndarray, rgb: np.ndarray, sure: list[Detection], detections: list[Detection]
) -> list[tuple[float, float, float, float]]:
    """Boxes of animals hidden in a herd: a box the detector scores under its ``MIN_SCORE`` (at least
    ``WEAK_SCORE``) for the same animal as a sure box of ``sure`` it lies in (``CONTAINED``), at most ``HERD_SHARE``
    of that box's area, where the share of ``piece`` it takes (``part_by_boxes``) has another coat than the share the
    sure box keeps (mean Lab colours ``COAT_DIFF`` apart: a grey horse behind a brown one, which the VOC net paints
    as one blob and the detector boxes once, surely) and an edge parts the two (``HERD_EDGE``). Its own head found
    again (same coat, no edge) is no second animal.
    The surest first; one inside an accepted one is its part (a head)."""
    from segmenters.detector import MIN_SCORE

    def best(d: Detection) -> tuple[str, float]:
        return _animal_best(d)

    def inside(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
        return box_overlap(a, b) / box_area(a)

    def area(b: tuple[float, ...]) -> float:
        return (b[2] - b[0]) * (b[3] - b[1])

    weak = sorted(
        (d for d in detections if WEAK_SCORE <= best(d)[1] < MIN_SCORE and box_fill(piece, d.box) >= ON_BLOB),
        key=lambda d: -best(d)[1],
    )
    if not weak:
        return []
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    boxes = [d.box for d in sure]
    out: list[tuple[float, float, float, float]] = []
    edge: np.ndarray | None = None
    for d in weak:
        kind = best(d)[0]
        holders = [
            k
            for k in sure
            if best(k)[0] == kind and inside(d.box, k.box) >= CONTAINED and area(d.box) <= HERD_SHARE * area(k.box)
        ]
        if not holders or any(inside(d.box, o) >= CONTAINED for o in out):
            continue
        shares = part_by_boxes(piece, rgb, [*boxes, *out, d.box], coats=True)
        mine, theirs = shares[-1], shares[boxes.index(holders[0].box)]
        if not mine.any() or not theirs.any():
            continue
        if float(np.linalg.norm(lab[mine].mean(axis=0) - lab[theirs].mean(axis=0))) < COAT_DIFF:
            continue
        ring = np.ones((3, 3), np.uint8)
        border = (cv2.dilate(mine.view(np.uint8), ring).astype(bool) & theirs) | (
            cv2.dilate(theirs.view(np.uint8), ring).astype(bool) & mine
        )
        if edge is None:
            edge = _edge_strength(rgb)
        if border.any() and float(edge[border].mean()) >= HERD_EDGE:
            out.append(d.box)
    return out


def click_piece(
    piece: np.ndarray, rgb: np.ndarray, label: str, detections: list[Detection], x: int, y: int
) -> np.ndarray:
    """What a click at (x, y) on ``piece`` (bool, the size of ``rgb``: a connected piece of labelled thing
    ``label``) means: the piece, or where two or more boxes of its kind lie on it (``ON_BLOB``: touching cars the
    VOC net paints as one "car", a crowd, a herd; ``piece_boxes``), the share of it the box under the click takes
    (``part_by_boxes``)."""
    classes = box_classes(label)
    boxes = piece_boxes(piece, rgb, classes, detections) if classes else []
    if not boxes:
        return piece
    shares = part_by_boxes(piece, rgb, boxes, classes == COCO_ANIMALS) if len(boxes) >= 2 else [piece]
    for share, box in zip(shares, boxes, strict=False):
        if share[y, x]:
            return within_box(share, box, x, y) if classes == COCO_ANIMALS else share
    return piece


def within_box(share: np.ndarray, box: tuple[float, float, float, float], x: int, y: int) -> np.ndarray:
    """``share`` (bool: one animal's share of a VOC blob) bounded by its box widened by ``BOX_MARGIN`` on each side
    (``ANIMAL_MARGIN``), the connected piece holding (x, y): the VOC blob runs past an animal onto what is behind it
    in its colour (darknet_horses' brown hill behind the brown horse's back), the detector's box does not (on the
    project's photos every labelled animal lies within its box so widened but the zebra half hidden behind the
    giraffe, 13 % outside). ``share`` itself when (x, y) lies outside that zone."""
    h, w = share.shape
    x0, y0, x1, y1 = box
    mx, my = max(BOX_MARGIN_PX, ANIMAL_MARGIN * (x1 - x0)), max(BOX_MARGIN_PX, ANIMAL_MARGIN * (y1 - y0))
    zone = np.zeros(share.shape, bool)
    zone[max(0, int(y0 - my)) : min(h, int(np.ceil(y1 + my))), max(0, int(x0 - mx)) : min(w, int(np.ceil(x1 + mx)))] = (
        True
    )
    kept = share & zone
    if not kept[y, x]:
        return share
    _, comp = cv2.connectedComponents(kept.view(np.uint8), connectivity=8)
    return comp == comp[y, x]


def boxed_piece(
    pieces: list[tuple[str, np.ndarray]], rgb: np.ndarray, detections: list[Detection], x: int, y: int
) -> tuple[np.ndarray, str, tuple[float, float, float, float]] | None:
    """The object a click at (x, y) that is on no labelled thing means when it is inside a box: when the smallest
    box of the detector around it is one whose object one of ``pieces`` ((label, bool connected piece) of the labelled things)
    fills at least ``ON_BLOB`` of, that piece's share of the box (as :func:`click_piece` parts it), its label and
    the box.
    A click between a horse's legs, on its mane against the sky, on a car's window, takes that object. None when
    no box around the click holds a labelled thing of its kind."""
    from segmenters.detector import MIN_SCORE

    around = [d for d in detections if d.box[0] <= x < d.box[2] and d.box[1] <= y < d.box[3] and d.score >= MIN_SCORE]
    for d in sorted(around, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))[:1]:  # the smallest only:
        # a click in a ball's box inside a player's box is on the ball, not the player
        fits = [
            (lb, p)
            for lb, p in pieces
            if box_classes(lb)
            and box_fill(p, d.box) >= ON_BLOB
            and any(b is d for b in _boxes_of(detections, box_classes(lb)))
        ]
        if not fits:
            continue
        label, piece = max(fits, key=lambda t: box_fill(t[1], d.box))
        boxes = piece_boxes(piece, rgb, box_classes(label), detections)
        box = d.box
        if len(boxes) >= 2 and box in boxes:
            # a herd's hidden animal (``herd_boxes``) boxed inside this box and around the click: that one
            inner = [b for b in boxes if b[0] <= x < b[2] and b[1] <= y < b[3]]
            box = min(inner, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), default=box)
            coats = box_classes(label) == COCO_ANIMALS
            return part_by_boxes(piece, rgb, boxes, coats)[boxes.index(box)], label, box
        return piece, label, box
    return None


def box_fill(mask: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """The share of ``box`` (XYXY pixels) that ``mask`` (bool) covers."""
    h, w = mask.shape
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(mask[y0:y1, x0:x1].mean())


def box_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """The area (pixels) two boxes (XYXY) share."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def box_area(b: tuple[float, float, float, float]) -> float:
    """A box's (XYXY) area, at least 1e-6 (a share of it is never a division by zero)."""
    return max(1e-6, (b[2] - b[0]) * (b[3] - b[1]))


def box_mask(
    shape: tuple[int, int], box: tuple[float, float, float, float], margin: float = 0.0, out: np.ndarray | None = None
) -> np.ndarray:
    """Bool ``shape`` (h, w): the pixels of ``box`` (XYXY pixels, the start rounded down and the end up, clipped to
    the photo), widened by ``margin`` of its width and height on each side; set in ``out`` when given."""
    h, w = shape
    x0, y0, x1, y1 = box
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    m = np.zeros((h, w), bool) if out is None else out
    m[max(0, int(y0 - my)) : min(h, int(np.ceil(y1 + my))), max(0, int(x0 - mx)) : min(w, int(np.ceil(x1 + mx)))] = True
    return m


def animal_name(d: Detection) -> str | None:
    """The animal a detection names (``NAME_SURE``, ``NAME_MARGIN``), None when it is not sure."""
    a = np.sort(d.score_of(COCO_ANIMALS))[::-1]
    name, score = _animal_best(d)
    return name if score >= NAME_SURE and score >= NAME_MARGIN * float(a[1]) else None


def _sure_on_stuff(probs: np.ndarray) -> bool:
    """Whether a blob lying on the scene net's surfaces is vouched for (``STUFF_VOUCH``): ``probs`` ((n, 6), the blob's
    pixels' ``VOC_ANIMALS`` probabilities) is near-certain (``SURE_P``) of its most probable animal over at least
    ``VOUCH_SURE`` of the pixels."""
    if not STUFF_VOUCH or probs.size == 0:
        return True
    k = int(np.argmax(probs.sum(axis=0)))
    return float((probs[:, k] >= SURE_P).mean()) >= VOUCH_SURE


def animal_class(
    pieces: list[np.ndarray], animal_probs: np.ndarray, photo: np.ndarray, zooms: list[int] | None = None
) -> tuple[int, float]:
    """Index into ``VOC_ANIMALS`` of one blob's class, and the share of the blob's pixels whose probability for that
    class is at least ``SURE_P`` (how sure the net is of it over the whole animal). The class: its animal probabilities (``animal_probs``, (h, w, 6) at the
    pieces' size) summed over all its pieces (the animals of a herd, or the one animal). In a herd (two or more
    pieces: small, crowded animals) a piece whose box is small in the photo (under ``ZOOM_MAX`` of it; the
    largest first, while ``zooms[0]``, the looks left for the photo, default ``ZOOM_RUNS``, lasts) is looked at
    again: the VOC net runs on a crop of the full-size ``photo`` around it, where the animal is seen at a scale
    closer to the net's training (at the photo's scale it calls darknet_horses' herd "cow"; one animal alone
    was named right at the photo's scale on every photo of the project), and that look's probabilities stand
    for the piece's."""
    from segmenters.nets import VOC_CLASSES, voc_answer, voc_probabilities

    h, w = pieces[0].shape
    sy, sx = photo.shape[0] / h, photo.shape[1] / w
    animal_ids = [VOC_CLASSES.index(a) for a in VOC_ANIMALS]
    boxes = []
    for p in pieces:
        rows, cols = np.flatnonzero(p.any(axis=1)), np.flatnonzero(p.any(axis=0))
        boxes.append((rows[0], rows[-1] + 1, cols[0], cols[-1] + 1))
    areas = [(y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in boxes]  # (these boxes are rows, cols: not box_area's XYXY)
    zooms = [ZOOM_RUNS] if zooms is None else zooms
    zoomed = [int(i) for i in np.argsort(areas)[::-1] if areas[i] < ZOOM_MAX * h * w]
    zoomed = zoomed[: max(0, zooms[0])] if len(pieces) > 1 else []
    zooms[0] -= len(zoomed)
    total = np.zeros(len(VOC_ANIMALS), np.float64)
    sure = np.zeros(len(VOC_ANIMALS), np.float64)  # near-certain pixels per class
    for i, p in enumerate(pieces):
        if i not in zoomed:
            total += animal_probs[p].sum(axis=0)
            sure += (animal_probs[p] >= SURE_P).sum(axis=0)
            continue
        y0, y1, x0, x1 = boxes[i]
        my, mx = int((y1 - y0) * ZOOM_MARGIN), int((x1 - x0) * ZOOM_MARGIN)
        y0, y1, x0, x1 = max(0, y0 - my), min(h, y1 + my), max(0, x0 - mx), min(w, x1 + mx)
        Y0, Y1, X0, X1 = round(y0 * sy), round(y1 * sy), round(x0 * sx), round(x1 * sx)
        crop = np.ascontiguousarray(photo[Y0:Y1, X0:X1])
        _, grid = voc_answer(crop, cache=False)
        looked = voc_probabilities(grid, animal_ids, (x1 - x0, y1 - y0), (crop.shape[1], crop.shape[0]))
        total += looked[p[y0:y1, x0:x1]].sum(axis=0)
        sure += (looked[p[y0:y1, x0:x1]] >= SURE_P).sum(axis=0)
    k = int(np.argmax(total))
    return k, float(sure[k] / max(1, sum(int(p.sum()) for p in pieces)))


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
        from segmenters.nets import ADE, ade_answer, ade_stuff, voc_ctx_answer

        from segmenters.detector import available as detector_available
        from segmenters.detector import ctx_detections

        labels, probs = voc_ctx_answer(ctx)
        detections = ctx_detections(ctx) if detector_available() else None  # while the ADE net runs (start_nets)
        ade = ade_answer(ctx) if net_available(ADE) else None
        stuff = ade_stuff(ade["labels"]) if ade is not None else None
        size = (ctx.shape[1], ctx.shape[0])
        ground, seen = ade_seen(ade["probs"], size) if ade is not None else (None, None)
        surfaces = ade_surfaces(ade["probs"], size) if ade is not None else None
        things = find_things(ctx.work, stuff, labels, probs, ctx.photo.pixels, detections, ground, seen, surfaces)
        source = SOURCE_BOXES if detector_available() else SOURCE
        parts = []
        for lb in THING_ORDER:
            if len(things.instances.get(lb, ())) >= 2:  # "horse 1", "horse 2", ... left to right
                parts += [Part(f"{lb} {i}", m, source) for i, m in enumerate(things.instances[lb], start=1)]
            elif lb in things.masks:
                parts.append(Part(lb, things.masks[lb], source))
        return ParseOutput(parts=parts, data=things, source=source)


def start_nets(ctx: ParseContext) -> None:
    """``START_HOOKS`` (segmenters/parsing.py): when the objects parser will run with its nets, begin the VOC net's
    answer and then the ADE20K net's (:func:`segmenters.nets.ade_answer`: 1 to 5 passes, most of a scene photo's
    parse) on a background thread, while the faces are found and the detector looks (``ObjectsParser.run`` asks for
    the detections before it waits for the ADE answer). Both answers are the ones the parsers would compute."""
    from segmenters.nets import ADE, VOC, ade_answer, net_available, voc_ctx_answer

    if "objects" not in ctx.parsers or not net_available(VOC):
        return
    ctx.start(lambda: ade_answer(ctx) if net_available(ADE) else voc_ctx_answer(ctx))


START_HOOKS.append(start_nets)


@PARSERS.register("objects")
def build(manager: ModelManager) -> ObjectsParser:
    return ObjectsParser(manager)
