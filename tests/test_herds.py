"""Touching animals come apart: the VOC net paints a herd as one blob (darknet_horses: five horses, one "cow"
piece), so one include click took the whole herd (mean one-click IoU 0.17 over the five horses). The objects
parser now splits a blob far longer than it is thick (``objects.is_herd``) where the photo's edges part it
(``objects.split_herd``), and offers each animal as an instance ("cow 1", "cow 2", ...).

Floors sit under what was measured (tests/labels/clicks/darknet_horses.json, hand-drawn: one click IoU per horse
0.15 / 0.70 / 0.46 / 0.10 / 0.64, mean 0.41); single animals must stay whole.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from click_bench import iou, leak, load_truth

from core.models import ModelManager
from core.settings import Settings
from core.types import Photo
from segmenters import objects
from tests import photos


def _nets_here() -> bool:
    from segmenters.nets import VOC, net_available

    return net_available(VOC)


needs_nets = pytest.mark.skipif(not _nets_here(), reason="the packaged VOC net is not here (core/packaged.toml)")


def _two_animals() -> tuple[np.ndarray, np.ndarray]:
    """A long blob: a pale body and a dark body side by side, overlapping (a herd of two), on grass."""
    rgb = np.zeros((120, 320, 3), np.uint8)
    rgb[:] = (90, 120, 60)
    blob = np.zeros((120, 320), np.uint8)
    cv2.ellipse(blob, (90, 60), (85, 30), 0, 0, 360, 1, -1)
    cv2.ellipse(blob, (230, 60), (85, 30), 0, 0, 360, 1, -1)
    pale = np.zeros_like(blob)
    cv2.ellipse(pale, (90, 60), (85, 30), 0, 0, 360, 1, -1)
    rgb[blob.astype(bool)] = (70, 45, 30)
    rgb[pale.astype(bool)] = (235, 230, 220)
    shade = np.linspace(0.8, 1.0, 320)[None, :, None]  # a gentle light gradient: no edge inside a coat
    return (rgb * shade).astype(np.uint8), blob.astype(bool)


def test_a_long_blob_of_two_coats_is_split_where_the_edge_is():
    rgb, blob = _two_animals()
    assert objects.is_herd(blob)
    pieces = objects.split_herd(blob, rgb)
    assert len(pieces) == 2
    union = np.logical_or.reduce(pieces)
    assert (union == blob).all() and sum(int(p.sum()) for p in pieces) == int(blob.sum())  # disjoint, all of it
    left = next(p for p in pieces if p[60, 60])
    assert not left[60, 260] and left[60, 120]  # the pale animal on its own


def test_one_animal_is_not_a_herd():
    blob = np.zeros((200, 300), np.uint8)
    cv2.ellipse(blob, (150, 100), (120, 50), 0, 0, 360, 1, -1)  # a body 2.4 times as long as it is thick
    cv2.rectangle(blob, (60, 130), (75, 195), 1, -1)  # legs
    cv2.rectangle(blob, (220, 130), (235, 195), 1, -1)
    assert not objects.is_herd(blob.astype(bool))


@pytest.fixture(scope="module")
def services():
    from studio.services import build_services

    return build_services(Settings(), ModelManager(Settings(), online=False))


def _clicked(name: str, services) -> list[tuple[str, float, float]]:
    from studio.session import INCLUDE, EditorSession

    img = photos.load(name)
    s = EditorSession()
    s.load(Photo(pixels=img, name=name), services)
    out = []
    for obj in load_truth(name, img.shape[:2]):
        s.new_segment(obj["name"])
        s.click(*obj["click"], INCLUDE, services)
        m = s.segment().mask
        out.append((obj["name"], iou(m, obj["mask"]), leak(m, obj["mask"])))
    return out


@needs_nets
def test_one_click_on_a_horse_of_the_herd_takes_that_horse_not_the_herd(services):
    got = _clicked("darknet_horses", services)
    by_name = {n: (i, lk) for n, i, lk in got}
    assert np.mean([i for _, i, _ in got]) >= 0.35, got  # 0.17 when the herd was one piece
    assert by_name["horse 2"][0] >= 0.6 and by_name["horse 2"][1] <= 0.3, got  # the white horse in front
    assert by_name["horse 5"][0] >= 0.5 and by_name["horse 5"][1] <= 0.35, got  # the dark horse on the right


@needs_nets
def test_herd_instances_are_numbered_disjoint_and_single_animals_stay_whole():
    from segmenters.parsing import parse_report

    manager = ModelManager(online=False)
    herd = parse_report(Photo(photos.load("darknet_horses")), manager).segments
    animals = [s for s in herd if s.label.rpartition(" ")[0] in objects.ANIMALS]
    assert len(animals) >= 2, [s.label for s in herd]
    assert not any(s.label in objects.ANIMALS for s in herd)  # no union chip repeating the instances
    for i, a in enumerate(animals):
        for b in animals[i + 1 :]:
            assert not (a.mask & b.mask).any(), (a.label, b.label)
    xs = [float(np.flatnonzero(a.mask.any(axis=0)).mean()) for a in animals]
    assert xs == sorted(xs)  # left to right
    one = parse_report(Photo(photos.load("darknet_person")), manager).segments
    labels = [s.label for s in one]
    assert "dog" in labels and "horse" in labels, labels  # one dog, one horse: no numbers


def _horse_before_a_mound() -> tuple[np.ndarray, np.ndarray]:
    """A VOC-like piece: an animal's body (rows 40-99) and, joined to its back, a mound behind it (rows 10-39),
    as bool masks (piece, the mound's share)."""
    piece = np.zeros((120, 200), bool)
    piece[40:100, 30:170] = True
    mound = np.zeros_like(piece)
    mound[10:40, 60:140] = True
    return piece | mound, mound


def test_an_animal_piece_sheds_what_the_scene_net_is_sure_lies_behind_it():
    piece, mound = _horse_before_a_mound()
    animal = piece & ~mound  # the ADE net: "animal" on the body, a surface (rock) on the mound
    shed = objects.shed_surfaces(piece, animal, mound)
    assert (shed == (piece & ~mound)).all()
    # an island of another class inside the body (not reaching the outline) is the animal's own
    spot = np.zeros_like(piece)
    spot[60:70, 80:90] = True
    assert (objects.shed_surfaces(piece, animal & ~spot, mound | spot) == (piece & ~mound) | spot).all()


def test_an_animal_piece_sheds_the_ground_behind_its_back_but_not_under_its_legs():
    """Round 22 (issue 11): the ground the scene net is sure of (``objects.ade_surfaces``' third mask) goes from an animal's piece
    above the middle of its rows (the field behind a grazing horse's back, which the VOC net paints as horse), never
    below it (the legs and hooves, which its ground reaches into)."""
    piece, field = _horse_before_a_mound()  # rows 10-39 on its back: the field behind it
    legs = np.zeros_like(piece)
    legs[90:100, 30:170] = True  # its ground reaches into the legs at the bottom
    animal = piece & ~field & ~legs
    none = np.zeros_like(piece)
    assert (objects.shed_surfaces(piece, animal, none, field | legs) == (piece & ~field)).all()
    assert (objects.shed_surfaces(piece, animal, none) == piece).all()  # without the ground mask: as before


def test_ade_ground_is_the_ground_the_scene_net_is_sure_of():
    from segmenters.nets import ADE_CLASSES

    names = ("other", *ADE_CLASSES)
    probs = np.zeros((2, 4, len(names)), np.float32)
    sure = objects.GROUND_BEHIND
    for x, (cls, p) in enumerate((("earth", sure + 0.05), ("grass", sure - 0.05), ("rock", 0.95), ("animal", 0.9))):
        probs[:, x, names.index(cls)] = p
        probs[:, x, 0] = 1 - p
    ground = objects.ade_surfaces(probs, (4, 2))[2]
    assert ground[:, 0].all() and not ground[:, 1:].any()  # sure earth / unsure grass, rock, an animal


def test_an_animal_the_scene_net_does_not_know_keeps_its_piece():
    piece, mound = _horse_before_a_mound()
    # the ADE net calls most of it something else (a robin "wall", a dog "person"): its other classes say nothing
    assert (objects.shed_surfaces(piece, mound, piece & ~mound) == piece).all()
    # nor does a shedding that would take more than SHED_MAX of the piece
    body = piece & ~mound
    lower = np.zeros_like(piece)
    lower[55:100] = True
    big = (piece & lower) | mound
    assert big.sum() > objects.SHED_MAX * piece.sum()
    assert (objects.shed_surfaces(piece, body, big) == piece).all()


def test_ade_surfaces_leave_animals_people_and_the_ground_out_of_the_other_classes():
    from segmenters.nets import ADE_CLASSES

    names = ("other", *ADE_CLASSES)
    probs = np.zeros((2, 4, len(names)), np.float32)
    for x, (cls, p) in enumerate((("animal", 0.9), ("rock", 0.95), ("earth", 0.9), ("person", 0.9))):
        probs[:, x, names.index(cls)] = p
        probs[:, x, 0] = 1 - p
    probs[1, 1] = 0
    probs[1, 1, names.index("rock")], probs[1, 1, names.index("animal")] = 0.45, 0.4  # not sure of the rock
    animal, other, _ = objects.ade_surfaces(probs, (4, 2))
    assert animal[:, 0].all() and not animal[:, 1:].any()
    assert other[0, 1] and not other[1, 1]  # sure of the rock / not sure
    assert not other[:, 2].any() and not other[:, 3].any()  # the ground and a person never


@needs_nets
def test_the_brown_horse_instance_leaves_the_rocky_mound_behind_its_back():
    """darknet_horses: the VOC net paints the dark rocky mound behind the brown horse's back as horse (0.99 sure); the
    ADE net calls it "rock". Of the brown horse's instance 0.30 lay outside every labelled horse before
    ``objects.shed_surfaces``, 0.215 after (the rest: the grey horse behind it, whose weak box parts it at click time),
    and it still covers 0.84 of the brown horse."""
    from segmenters.parsing import parse_report

    img = photos.load("darknet_horses")
    truth = load_truth("darknet_horses", img.shape[:2])
    horses = np.logical_or.reduce([o["mask"] for o in truth])
    brown = truth[2]
    x, y = (int(v) for v in brown["click"])
    segs = parse_report(Photo(img), ModelManager(online=False)).segments
    piece = next(s.mask for s in segs if s.label.startswith("horse") and s.mask[y, x])
    assert float((piece & ~horses).sum() / piece.sum()) <= 0.25
    assert float(piece[brown["mask"]].mean()) >= 0.8


@needs_nets
def test_a_click_on_an_animal_takes_its_legs_below_the_voc_outline(services):
    """Round 19 (issue 11): the VOC net's coarse outline stops above an animal's legs and the scene net calls them
    grass, so the cut could not reach them; below the region's middle the clicked animal's own detector box is now
    open to the cut, and what it takes there beyond the usual band stays only where thin (``grabcut._own_box``,
    ``LEG_WIDTH``). One click IoU (measured before -> after): the white horse 0.749 -> 0.794, the giraffe 0.648 ->
    0.670, the dog by the bicycle 0.842 -> 0.869; the robin, whose perch below it has its colours, 0.907 -> 0.899
    (0.859 without the thin rule)."""
    horses = {n: (i, lk) for n, i, lk in _clicked("darknet_horses", services)}
    assert horses["horse 2"][0] >= 0.78 and horses["horse 2"][1] <= 0.06, horses  # the white horse in front
    giraffe = {n: (i, lk) for n, i, lk in _clicked("darknet_giraffe", services)}
    assert giraffe["giraffe"][0] >= 0.66 and giraffe["giraffe"][1] <= 0.02, giraffe
    assert giraffe["zebra"][0] >= 0.48, giraffe
    dog = {n: (i, lk) for n, i, lk in _clicked("darknet_dog", services)}
    assert dog["dog"][0] >= 0.86 and dog["dog"][1] <= 0.1, dog
    robin = {n: (i, lk) for n, i, lk in _clicked("hfs_000", services)}
    assert robin["robin"][0] >= 0.89 and robin["robin"][1] <= 0.04, robin  # no wedge of the perch


@needs_nets
def test_a_click_on_a_hidden_animal_of_a_herd_leaves_its_neighbours_head(services):
    """Round 19 (issue 11): the grey horse half hidden behind the brown one is a share of one VOC blob, parted by a
    weak box that reaches over the brown horse's head; GrabCut's colour models are the whole object's and the whole
    surroundings', so that dark head stayed in the cut. On a herd's share (``grabcut._herd_share``) the rim's pixels
    whose colour is nearer the background's around them than the sure object's around them go
    (``grabcut._local_rim``): one click on the grey horse, IoU / leak 0.616 / 0.175 -> 0.617 / 0.106; the brown horse
    0.680 / 0.137 -> 0.674 / 0.135; the squirrel (its box trims its blob: no herd) unchanged."""
    horses = {n: (i, lk) for n, i, lk in _clicked("darknet_horses", services)}
    assert horses["horse 4"][0] >= 0.6 and horses["horse 4"][1] <= 0.13, horses
    assert horses["horse 3"][0] >= 0.66 and horses["horse 3"][1] <= 0.15, horses


def _white_coat_in_brown_hit(services) -> tuple[int, int]:
    """darknet_horses: the white-coat pixels (Lab L > 55, chroma < 15) of the white horse's polygon that the brown
    horse's polygon does not hold (the two hand-drawn polygons overlap over the white face): how many of them the brown
    horse's first-hit region takes (what the click hits before the cut, ``hit_region``), and how many there are."""
    from click_bench import hit_mask
    from studio.session import EditorSession

    img = photos.load("darknet_horses")
    s = EditorSession()
    s.load(Photo(pixels=img, name="darknet_horses"), services)
    truth = {o["name"]: o for o in load_truth("darknet_horses", img.shape[:2])}
    white, brown = truth["horse 2"], truth["horse 3"]
    lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    coat = (lab[..., 0] > 55) & (np.hypot(lab[..., 1], lab[..., 2]) < 15) & white["mask"] & ~brown["mask"]
    hit = hit_mask(services.click, s.prepared, *brown["click"], img.shape[:2])
    s.close()
    return int((hit & coat).sum()), int(coat.sum())


@needs_nets
def test_the_brown_horse_leaves_the_white_horses_coat_where_their_boxes_overlap(services):
    """Round 20, h21herd (issue 11): where two animal boxes overlap, ``objects.part_by_boxes`` went by box geometry and edges
    alone, and the brown horse's box took the white horse's forelock and the top of its face (the mane's strands are
    edges on the white horse's own path). Now each box also pays for a coat unlike its core's and like another
    holder's (``objects.COAT_COST``): white-coat pixels of the white horse in the brown horse's first hit 73 -> 16."""
    taken, coat = _white_coat_in_brown_hit(services)
    assert coat > 5000, coat  # the white horse is there
    assert taken <= 35, (taken, coat)  # 73 before
