"""Clicks that stay on the object, measured against hand-drawn object masks (tests/labels/clicks/*.json),
through the session exactly as the UI clicks (the photo's labelled parts are the click priors).

Floors are set under what the offline backend measured (bench/click_bench.py, bench/results/click_quality.json)
so a change that lets clicks leak across the scene, or exclude clicks stop removing what they hit, fails.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from click_bench import inner_points, iou, leak, load_truth

from core.models import ModelManager
from studio.services import build_services
from studio.session import EXCLUDE, INCLUDE, EditorSession
from core.settings import Settings
from core.types import Photo
from tests import photos

LABELS = Path(__file__).resolve().parent / "labels" / "clicks"


@pytest.fixture(scope="module")
def services():
    return build_services(Settings(), ModelManager(Settings(), online=False))


_sessions: dict[str, tuple[EditorSession, list]] = {}


def loaded(name: str, services) -> tuple[EditorSession, list]:
    if name not in _sessions:
        img = photos.load(name)
        s = EditorSession()
        s.load(Photo(pixels=img, name=name), services)
        _sessions[name] = (s, load_truth(name, img.shape[:2]))
    return _sessions[name]


def test_the_labels_are_real_polygons():
    files = sorted(LABELS.glob("*.json"))
    assert len(files) >= 6
    objects = 0
    for f in files:
        img = photos.load(f.stem)
        for obj in load_truth(f.stem, img.shape[:2]):
            objects += 1
            m = obj["mask"]
            x, y = obj["click"]
            assert m[y, x], (f.stem, obj["name"])  # the click is on the object
            assert 0.005 < m.mean() < 0.5
    assert objects >= 8


# photo, object index, floor for one include click's IoU, ceiling for its leak
ONE_CLICK = [
    ("messi5", 0, 0.55, 0.15),  # the player (a labelled person)
    ("messi5", 1, 0.6, 0.25),  # the ball (no label: the enclosing-box cut)
    # a person on a grey photo (VOC+selfie person: leak 0.14 measured; round 19, grabcut.TRUSTED_ERODE: 0.757 / 0.143
    # -> 0.772 / 0.151, the ball in his hands that his outline holds kept surely too)
    ("basketball1", 0, 0.5, 0.16),
    ("scenetext06", 0, 0.5, 0.25),  # a small red car by a post
    ("hfs_000", 0, 0.5, 0.2),  # the robin
    # no labelled part on it: the VOC net's object outline (it calls it a bird); round 16: the branch under its paws,
    # where the VOC net is unsure, is no longer fixed object in the cut (grabcut.voc_unsure: 0.80 / 0.14 -> 0.83 / 0.11)
    ("squirrel_cls", 0, 0.8, 0.125),
    ("scenetext01", 0, 0.8, 0.15),  # a silver car
    ("scenetext01", 1, 0.7, 0.1),  # the woman in red
    ("darknet_person", 1, 0.65, 0.15),  # the dog on dry grass
    ("darknet_person", 2, 0.65, 0.1),  # the white horse (once: the hillside behind it)
    # the dog by the bicycle (0.84 / 0.07; 0.86 before grabcut.voc_unsure: its white chest)
    ("darknet_dog", 0, 0.8, 0.1),
    # the herd's worst leaks (round 10, issue 11): the brown horse's VOC blob, and the detector's box whose top sits on
    # the ridge, took the dark rocky mound behind its back (0.56 / 0.33; the VOC net is 0.98 sure of it). Round 11: the
    # ADE net calls the mound "rock" and the horse "animal", so the objects parser sheds it (objects.shed_surfaces):
    # 0.68 / 0.13 measured. The grey horse half hidden behind it takes the ground and the next horse's tail in its
    # weak box's share (0.59 / 0.30); round 16: the share's pixels the VOC net is unsure of are not fixed object in the
    # cut (grabcut.voc_unsure): 0.62 / 0.175. Held here so they grow no worse
    ("darknet_horses", 2, 0.63, 0.18),
    ("darknet_horses", 3, 0.59, 0.2),
    ("darknet_eagle", 0, 0.7, 0.1),  # the eagle over water
    # round 16 (issue 11): the in-sample objects no row above held, at what the click path measures with the detector
    # (bench/click_bench.py, 2026-12-02: IoU / leak); without the detector's boxes the herd is one piece again (horse 1
    # 0.15 / 0.85) and these fail
    ("basketball1", 1, 0.7, 0.15),  # the man in the flowered shirt (0.75 / 0.12: his hair's top, the chair by him)
    ("darknet_dog", 1, 0.74, 0.07),  # the car behind the dog (0.79 / 0.03)
    ("darknet_giraffe", 0, 0.6, 0.03),  # the giraffe (0.65 / 0.003: its legs and neck are missed, never the bush)
    ("darknet_giraffe", 1, 0.42, 0.03),  # the zebra behind its legs (0.47 / 0.003: the rump no net sees is missed)
    ("darknet_horses", 0, 0.68, 0.05),  # the white horse in front of the herd (0.73 / 0.02)
    ("darknet_horses", 1, 0.7, 0.07),  # the dark horse behind it (0.755 / 0.04)
    # the grey horse on the right: the VOC blob's rim over its back, the field behind it (0.691 / 0.164); round 22, the
    # objects parser sheds the ground the scene net is sure of above the animal's middle (objects.GROUND_BEHIND): 0.729 /
    # 0.090
    ("darknet_horses", 4, 0.7, 0.11),
    ("darknet_person", 0, 0.69, 0.05),  # the kneeling man (0.74 / 0.02)
    # held out (round 8: labelled before the click code was changed; bench/results/click_quality.json "held_out")
    ("ultralytics_bus", 0, 0.7, 0.12),  # a man in a fleece coat in front of the bus (0.82 / 0.06 measured)
    ("ultralytics_bus", 1, 0.65, 0.12),  # the man in black beside him (0.75 / 0.07)
    ("ultralytics_bus", 2, 0.7, 0.1),  # the bus behind them (0.83 / 0.04)
    ("kde_eveningglow", 0, 0.6, 0.2),  # one of a row of touching boats (0.73 / 0.13; the whole row, 0.07, before)
    # the white boat of that row (0.70 / 0.24; 0.39 / 0.61 before objects._group_box, which was made after looking
    # at it, so no longer held out)
    ("kde_eveningglow", 1, 0.6, 0.3),
    ("vtest", 0, 0.7, 0.1),  # a small white van by a wall (0.85 / 0.00)
    # held out (round 9: the two dogs of the parse hold-out lomiri_friends; 0.57 / 0.43 and 0.68 / 0.27 measured: the
    # upper dog's selection takes the towel under its head, which the VOC blob and the detector's box both count in)
    ("lomiri_friends", 0, 0.53, 0.47),
    ("lomiri_friends", 1, 0.66, 0.25),  # round 16, grabcut.voc_unsure (made before looking at it): 0.71 / 0.22
    # round 17 (issue 11): t1's six touching people (in-sample: grabcut._loose was made on them). The person parser
    # parts them by straight lines between their faces; the band by such a line is now left to the cut, the touching
    # person's side of it open too (IoU / leak before -> after): the woman in black behind 0.58 / 0.39 -> 0.74 / 0.14
    # (the seated man's grey sleeve was hers), the seated man in grey 0.69 -> 0.75, the man in red 0.71 / 0.12 -> 0.80 /
    # 0.18, the standing man 0.60 / 0.16 -> 0.61 / 0.09; the two women at the ends 0.82 / 0.04 -> 0.82 / 0.05 and
    # 0.74 / 0.10 -> 0.72 / 0.08
    ("t1", 0, 0.78, 0.08),
    ("t1", 1, 0.68, 0.2),
    ("t1", 2, 0.72, 0.09),
    ("t1", 3, 0.76, 0.22),
    ("t1", 4, 0.57, 0.12),
    ("t1", 5, 0.68, 0.11),
    # round 20 (issue 11, in-sample): ultralytics_zidane's two men in dark suits, touching (tests/labels/clicks): the
    # pointing man (0.849 / 0.011) and the grey-haired man behind him, whose selection takes the pointing man's arm held
    # across his suit (0.768 / 0.204: the person parser's straight line between their faces gives him the arm)
    ("ultralytics_zidane", 0, 0.8, 0.05),
    ("ultralytics_zidane", 1, 0.72, 0.25),
]


@pytest.mark.parametrize("name,index,floor,ceiling", ONE_CLICK, ids=[f"{n}-{i}" for n, i, _, _ in ONE_CLICK])
def test_one_include_click_selects_the_object(services, name, index, floor, ceiling):
    s, truth = loaded(name, services)
    obj = truth[index]
    s.new_segment(obj["name"])
    s.click(*obj["click"], INCLUDE, services)
    m = s.segment().mask
    assert iou(m, obj["mask"]) >= floor, (iou(m, obj["mask"]), leak(m, obj["mask"]))
    assert leak(m, obj["mask"]) <= ceiling


def test_more_clicks_on_the_object_do_not_grab_the_scene(services):
    s, truth = loaded("scenetext06", services)
    obj = truth[0]
    s.new_segment("car, three clicks")
    s.click(*obj["click"], INCLUDE, services)
    for x, y in inner_points(obj["mask"]):
        s.click(x, y, INCLUDE, services)
    m = s.segment().mask
    assert leak(m, obj["mask"]) <= 0.25 and m.mean() < 3 * obj["mask"].mean()


# in-sample photos with two or more labelled objects, and the most of one include click's selection that may lie on
# the photo's other objects (bench/click_bench.py's include_1 "neighbour"; round 22, measured: at most 0.044, darknet_horses'
# brown horse on the grey one behind it, t1's seated men 0.038 / 0.041, the rest 0.011 or less)
NEIGHBOURS = ("basketball1", "darknet_dog", "darknet_giraffe", "darknet_horses", "darknet_person", "messi5", "t1")


@pytest.mark.parametrize("name", [*NEIGHBOURS, "ultralytics_zidane"])
def test_one_include_click_keeps_off_the_objects_it_touches(services, name):
    """A click on one of several objects (touching people, a herd, a dog by a car) selects that object, not a share
    of its neighbours. ultralytics_zidane's man behind is the open case: the person parser's straight line between the
    two faces gives him the pointing man's arm held across his suit, and neither the colours (two dark suits), the
    photo's edges (the sleeve's lower edge is as flat as the suit), the detector's boxes (both hold the arm) nor the
    pose net (it gives the one wrist to both men) tell whose it is (0.183 of his selection; the pointing man 0.000)."""
    s, truth = loaded(name, services)
    for k, obj in enumerate(truth):
        others = np.logical_or.reduce([o["mask"] for o in truth if o is not obj]) & ~obj["mask"]
        s.new_segment(obj["name"])
        s.click(*obj["click"], INCLUDE, services)
        m = s.segment().mask
        ceiling = 0.22 if (name, k) == ("ultralytics_zidane", 1) else 0.07
        assert (m & others).sum() <= ceiling * m.sum(), (obj["name"], (m & others).sum() / m.sum())


# photo, index of the object clicked, floor for the share of the other object kept
EXCLUDE_CASES = [
    *((n, i, 0.95) for n in ("messi5", "basketball1", "scenetext01", "darknet_person", "darknet_dog") for i in (0, 1)),
    # animals the nets give each other's pixels: the zebra's rump behind the giraffe's legs is on no part, the dark
    # horse's body lies in the white horse's VOC blob (removed 0.59 / 0.79 / 0.73 / 0.88 before round 8)
    ("darknet_giraffe", 1, 0.88),  # the zebra goes (0.96), the giraffe stays (0.91 measured)
    ("darknet_giraffe", 0, 0.8),  # the giraffe goes (0.96) and takes some of the zebra's rump with it (0.83 kept)
    ("darknet_horses", 0, 0.95),  # the dark horse behind the white one goes (0.97), the white stays (0.99)
    ("darknet_horses", 1, 0.9),  # the white horse goes (0.99), the dark one keeps 0.93
    # round 17: two of t1's touching people (the woman in black goes (1.00), the woman beside her keeps 0.88, the
    # same before grabcut._loose; the other way 0.99 / 0.97)
    ("t1", 1, 0.85),
    ("t1", 0, 0.95),
    # held out (round 8)
    *((n, i, 0.95) for n in ("ultralytics_bus", "kde_eveningglow") for i in (0, 1)),
]


@pytest.mark.parametrize("name,index,kept", EXCLUDE_CASES, ids=[f"{n}-{i}" for n, i, _ in EXCLUDE_CASES])
def test_an_exclude_click_removes_what_it_hits(services, name, index, kept):
    """A selection of two objects, an exclude click on one (on a labelled sub-part of it, e.g. the woman's
    coat, as often as not): that whole object goes, the other stays."""
    s, truth = loaded(name, services)
    a, b = truth[1 - index], truth[index]
    s.new_segment("both", base=a["mask"] | b["mask"])
    s.click(*b["click"], EXCLUDE, services)
    m = s.segment().mask
    removed = (b["mask"] & ~m).sum() / b["mask"].sum()
    assert removed >= 0.95, removed  # (nearly) all of what it hit is gone (0.96 measured at least)
    assert (a["mask"] & m).sum() / a["mask"].sum() >= kept  # the other object stays
    y, x = b["click"][1], b["click"][0]
    assert not m[y, x]  # always at least the spot clicked


def test_a_click_on_one_boat_of_a_row_does_not_take_the_row(services):
    """The VOC net paints a row of touching boats as one "boat"; the detector's boat boxes part it (held out: before
    round 8 a click on a boat took all of them, 11 times the boat's area, or raised)."""
    s, truth = loaded("kde_eveningglow", services)
    for obj in truth:
        s.new_segment(obj["name"])
        s.click(*obj["click"], INCLUDE, services)
        m = s.segment().mask
        assert m[obj["click"][1], obj["click"][0]]
        assert m.sum() <= 2 * obj["mask"].sum(), m.sum() / obj["mask"].sum()  # 1.1 and 1.3 measured (2.5 before
        # objects._group_box)


def test_exclude_after_include_removes_its_spot(services):
    s, truth = loaded("messi5", services)
    player = truth[0]
    s.new_segment("player minus a bit")
    s.click(*player["click"], INCLUDE, services)
    x, y = inner_points(player["mask"])[1]  # the lower body
    s.click(x, y, EXCLUDE, services)
    m = s.segment().mask
    assert not m[y, x] and m[player["click"][1], player["click"][0]]
    np.testing.assert_array_equal(m.shape, player["mask"].shape)


def test_exclude_on_a_sub_part_of_the_selected_object_removes_only_that_part(services):
    """A person picked whole, an exclude click on their hair: the hair goes, the person stays (the object
    under the click is the whole selection, so only its sub-part is removed). (Until round 4 this man's
    dark hair against the dark doorway was read as a hair; the hair silhouette now calls it hair.)"""
    s, _ = loaded("basketball1", services)
    person = next(p for p in s.parts if p.label == "person 1")
    hair = next(p for p in s.parts if p.label == "person 1 · hair")
    ys, xs = np.nonzero(hair.mask)
    k = len(ys) // 2
    s.new_segment("person minus hair", base=person.mask)
    s.click(float(xs[k]), float(ys[k]), EXCLUDE, services)
    m = s.segment().mask
    assert not m[ys[k], xs[k]]
    assert (hair.mask & m).sum() <= 0.5 * hair.mask.sum()
    body = person.mask & ~hair.mask
    assert (body & m).sum() >= 0.9 * body.sum()


def test_a_box_around_two_boxed_objects_is_not_an_object():
    """objects._boxes_of: a surer box drawn around two objects the detector also boxed apart is dropped, so the two
    stay apart; a part found again inside an object's box (a head) still goes with the object."""
    from segmenters.detector import COCO_CLASSES, Detection
    from segmenters.objects import _boxes_of

    def det(box, score, label="boat"):
        scores = np.zeros(len(COCO_CLASSES), np.float32)
        scores[COCO_CLASSES.index(label)] = score
        return Detection(label, score, box, scores)

    group = det((100, 100, 300, 180), 0.57)
    left, right = det((98, 102, 210, 178), 0.56), det((180, 110, 300, 175), 0.47)
    kept = _boxes_of([group, left, right], ("boat",))
    assert [d.box for d in kept] == [left.box, right.box]
    horse, head = (
        det(
            (
                0,
                0,
                200,
                150,
            ),
            0.6,
            "horse",
        ),
        det((150, 0, 200, 40), 0.4, "horse"),
    )
    assert [d.box for d in _boxes_of([horse, head], ("horse",))] == [horse.box]
    # one box inside the bigger one is a part of it, not a reason to drop it
    assert [d.box for d in _boxes_of([group, left], ("boat",))] == [group.box]


def _left_end(mask: np.ndarray) -> tuple[int, int]:
    """The innermost point of the mask's leftmost eighth (a spot on the object, off its middle)."""
    import cv2

    ys, xs = np.nonzero(mask)
    side = np.zeros_like(mask)
    keep = xs <= np.percentile(xs, 12)
    side[ys[keep], xs[keep]] = True
    d = cv2.distanceTransform(side.view(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(d)), d.shape)
    return int(x), int(y)


# photo, how the object is picked (a click in Pick part mode, or its part's label), the exclude click, the least share
# of the selection it removes (issue 11: a picked horse, an exclude click on its head, removed an 11x11 disc: 0.004 of
# the selection; the dog's flank 0.003. GrabCut inside the selection (grabcut._sub_part): 0.156 / 0.064 measured)
SUB_PART_CASES = [
    ("darknet_horses", (515, 262), (578, 252), 0.08),  # the grey horse half hidden in the herd ("horse 4"): its head
    ("darknet_dog", "dog", None, 0.03),  # the dog by the bicycle, a click on its flank
    ("darknet_eagle", "bird", None, 0.1),  # the eagle's tail (0.001 before, 0.214 measured)
    ("darknet_person", "horse", None, 0.07),  # the white horse's lowered head (0.002 before, 0.140 measured)
]


@pytest.mark.parametrize("name,pick,at,least", SUB_PART_CASES, ids=[c[0] for c in SUB_PART_CASES])
def test_an_exclude_click_on_the_picked_object_removes_a_part_of_it(services, name, pick, at, least):
    """A picked object, an exclude click on it where no labelled sub-part lies: a coherent piece of the object around
    the click goes (more than a tiny disc, less than half the object), the rest stays."""
    import cv2

    from studio.session import PICK

    s, _ = loaded(name, services)
    if isinstance(pick, tuple):
        s.click(*pick, PICK, services)
    else:
        s.use_part(next(p for p in s.parts if p.label == pick).id)
    s.clear()
    before = s.segment().mask.copy()
    x, y = at if at is not None else _left_end(before)
    assert before[y, x]
    s.click(x, y, EXCLUDE, services)
    m = s.segment().mask
    removed = before & ~m
    share = removed.sum() / before.sum()
    assert least <= share <= 0.45, share
    assert not m[y, x] and not (m & ~before).any()
    n, comp, stats, _ = cv2.connectedComponentsWithStats(removed.view(np.uint8), connectivity=8)
    assert stats[comp[y, x], cv2.CC_STAT_AREA] >= 0.9 * removed.sum()  # one piece, joined to the click


@pytest.mark.parametrize(
    "name,include,exclude,least",
    [("darknet_horses", (515, 262), (578, 252), 0.06), ("darknet_eagle", (400, 250), (234, 274), 0.1)],
    ids=["horse-head", "eagle-tail"],
)
def test_an_exclude_click_after_an_include_on_the_same_object_removes_a_part_of_it(
    services, name, include, exclude, least
):
    """The same without a picked part: an include click on the object, then an exclude click on it (the head, the
    tail) removes a piece around the exclude click (0.035 / 0.001 of the selection before; 0.145 / 0.234 measured),
    never the include click's spot."""
    s, _ = loaded(name, services)
    s.new_segment("object minus a part")
    s.click(*include, INCLUDE, services)
    before = s.segment().mask.copy()
    s.click(*exclude, EXCLUDE, services)
    m = s.segment().mask
    share = (before & ~m).sum() / before.sum()
    assert least <= share <= 0.45, share
    assert m[include[1], include[0]] and not m[exclude[1], exclude[0]]


def test_more_clicks_on_a_man_do_not_take_the_man_he_touches(services):
    """Round 20 (issue 11): three include clicks on ultralytics_zidane's pointing man (his innermost point, then the
    innermost points of his upper and lower half, as bench/click_bench.py's include_3): the band by the person parser's
    line to the grey-haired man is left to the cut on both sides (grabcut._loose), and with the third click the cut
    filled the other man's side of it (his suit is as dark as the pointing man's): IoU / leak 0.664 / 0.301. A cut that
    fills that side found no border in it, so it goes back to him (grabcut._unbounded): 0.792 / 0.113. Round 22: the
    third click (his lower half's innermost point, on the photo's bottom row, one row below the person parse) hit his
    piece again and was taken for a click on a touching person also wanted, which shut his side of the band
    (grabcut._elsewhere: only what another click hit beyond his piece does): 0.855 / 0.011 measured, as one click."""
    s, truth = loaded("ultralytics_zidane", services)
    obj = truth[0]
    s.new_segment("the pointing man, three clicks")
    s.click(*obj["click"], INCLUDE, services)
    for x, y in inner_points(obj["mask"]):
        s.click(x, y, INCLUDE, services)
    m = s.segment().mask
    assert iou(m, obj["mask"]) >= 0.83, (iou(m, obj["mask"]), leak(m, obj["mask"]))
    assert leak(m, obj["mask"]) <= 0.04
    other = (m & truth[1]["mask"]).sum() / truth[1]["mask"].sum()
    assert other <= 0.01, other  # 0.04 of the other man in round 20 (0.50 before it)


def test_two_touching_people_clicked_together_keep_the_line_between_them(services):
    """Two include clicks on two of t1's touching people: the band by the line the person parser drew between them
    is not left to the cut (grabcut._loose is dropped where another include click hit), so no seam opens between
    them; the bands towards their other neighbours still are. The woman far left and the woman in black: 0.806 before
    round 17, 0.711 with the band between them left to the cut, 0.855 measured."""
    s, truth = loaded("t1", services)
    a, b = truth[0], truth[1]
    s.new_segment("two people")
    s.click(*a["click"], INCLUDE, services)
    s.click(*b["click"], INCLUDE, services)
    m = s.segment().mask
    assert iou(m, a["mask"] | b["mask"]) >= 0.83


def test_a_click_on_a_small_thing_inside_a_person_selects_that_thing(services):
    """Round 18: an include click on the astronaut's mission patch selected the whole person (41.8 % of the photo):
    the click hit the person part and took it whole. A small thing of its own inside a labelled thing (an island of
    colour unlike its surroundings, enclosed by a box cut, in no labelled part of the person) is now what the first
    click takes (grabcut ``_inner_object``); a second click on the suit adds the person; clicks on the suit, the face
    and the hair still take the person. Grace Hopper's white name plate on her dark jacket is one too. The click
    bench's 58 rows are unchanged (no bench click lands on such a thing)."""
    s = EditorSession()
    s.load(Photo(pixels=photos.load("astronaut"), name="astronaut"), services)
    s.new_segment("patch")
    s.click(170, 382, INCLUDE, services)
    patch = np.zeros((512, 512), np.uint8)
    cv2.circle(patch, (170, 384), 37, 1, -1)  # the round patch (drawn by looking at the photo)
    m = s.segment().mask
    assert iou(m, patch.astype(bool)) >= 0.9, (iou(m, patch.astype(bool)), m.mean())  # 0.974 measured
    s.click(100, 330, INCLUDE, services)  # the suit: the person joins
    assert s.segment().mask.mean() >= 0.4
    for at in ((100, 330), (230, 110), (220, 60)):  # the suit, the face, the hair: the person, as before
        s.new_segment()
        s.click(*at, INCLUDE, services)
        assert s.segment().mask.mean() >= 0.4, (at, s.segment().mask.mean())
    s.close()
    s = EditorSession()
    s.load(Photo(pixels=photos.load("grace_hopper"), name="grace_hopper"), services)
    s.new_segment("name plate")
    s.click(123, 501, INCLUDE, services)
    m = s.segment().mask
    ys, xs = np.nonzero(m)
    assert 0.003 <= m.mean() <= 0.015 and 70 <= xs.min() and xs.max() <= 175 and 475 <= ys.min() and ys.max() <= 525
    s.close()


def test_an_exclude_click_on_a_small_thing_inside_the_selection_removes_only_that_thing(services):
    """Round 18, a stranger's drive: an Exclude (−) click on the astronaut's mission patch with the person picked took
    the whole upper clothes (the smallest labelled part under the click): 84 % of the person went. An exclude click
    looks for the small thing of its own under it first (grabcut ``_inner_at``, the include side's ``_inner_object``):
    the patch goes (0.99 of it measured), the rest of the selection stays (0.997 of it), whether the person or the
    upper clothes is picked; a click on the suit beside the patch still removes the upper clothes from the person."""
    s = EditorSession()
    s.load(Photo(pixels=photos.load("astronaut"), name="astronaut"), services)
    patch = np.zeros((512, 512), np.uint8)
    cv2.circle(patch, (170, 384), 37, 1, -1)  # the round patch (drawn by looking at the photo)
    patch = patch.astype(bool)
    parts = {p.label: p for p in s.parts}
    for label in ("person 1", "upper clothes"):
        for at in ((165, 380), (175, 395), (155, 370)):  # the patch's middle, its lower right, its upper left
            s.new_segment(label, base=parts[label].mask)
            before = s.segment().mask.copy()
            s.click(*at, EXCLUDE, services)
            removed = before & ~s.segment().mask
            gone, kept = (removed & patch).sum() / patch.sum(), 1 - (removed & ~patch).sum() / (before & ~patch).sum()
            assert gone >= 0.9 and kept >= 0.98, (label, at, gone, kept)
    s.new_segment("person 1", base=parts["person 1"].mask)
    s.click(100, 330, EXCLUDE, services)  # the suit itself: the upper clothes go, as before
    assert (s.segment().mask & parts["upper clothes"].mask).sum() <= 0.05 * parts["upper clothes"].mask.sum()
    s.close()


@pytest.mark.parametrize(
    "name,index,floor,ceiling",
    [
        ("darknet_person", 0, 0.78, 0.05),  # the kneeling man: his dark trousers (0.738 -> 0.798)
        ("darknet_dog", 1, 0.81, 0.05),  # the car behind the dog: its windows (0.791 -> 0.826)
        ("scenetext06", 0, 0.765, 0.09),  # the red car: its windscreen and tyres (0.755 -> 0.775)
        ("scenetext01", 0, 0.91, 0.07),  # the silver car (0.914 -> 0.920; erode 2 took the kerb: 0.897 / 0.095)
    ],
)
def test_a_click_on_a_whole_person_or_vehicle_keeps_its_edge_parts(services, name, index, floor, ceiling):
    """Round 19: a person's or a vehicle's labelled outline follows the photo's edges, so where the click's region is
    that thing's whole piece (no share parted by boxes, no line to a touching person) it stays sure object up to
    ``grabcut.TRUSTED_ERODE`` working pixels from its edge instead of half the cut's band: the cut no longer drops the
    windows, tyres and dark clothes whose colours differ from the rest (one click IoU before -> after above)."""
    s, truth = loaded(name, services)
    obj = truth[index]
    s.new_segment(obj["name"])
    s.click(*obj["click"], INCLUDE, services)
    m = s.segment().mask
    assert iou(m, obj["mask"]) >= floor, (iou(m, obj["mask"]), leak(m, obj["mask"]))
    assert leak(m, obj["mask"]) <= ceiling


def test_a_click_on_the_floor_beside_a_boxed_thing_takes_the_floor(services):
    """Round 24's drive: skimage's motorcycle (not in the labelled set) in a garage; a click on the concrete floor by
    the back wheel lies in the detector's motorbike box but beside the motorbike, so it took the motorbike, which the
    cut then dropped as not the click's: "only 2719 px selected (0.01% of the photo)" on a 24 MP copy, the same at its
    own size. Now it takes the floor (a part of it, as any click on a surface); a click between the wheels under the
    engine, or on the motorbike, still takes the motorbike or the floor, never a speck."""
    import skimage

    img = np.asarray(Image.open(Path(skimage.__file__).parent / "data" / "motorcycle_left.png").convert("RGB"))
    s = EditorSession()
    s.load(Photo(pixels=img, name="motorcycle_left"), services)
    bike = next(p.mask for p in s.parts if p.label == "motorbike")
    h, w = bike.shape
    for fx, fy in ((0.15, 0.9), (0.5, 0.88), (0.9, 0.9)):  # the floor: left of the back wheel, under it, right
        x, y = int(fx * w), int(fy * h)
        assert not bike[y, x]
        s.new_segment()
        mask = s.click(x, y, INCLUDE, services).mask
        assert mask[y, x] and mask.mean() > 0.03, (fx, fy, float(mask.mean()))  # the floor, not a speck
        assert (mask & bike).sum() < 0.2 * bike.sum(), (fx, fy)  # not the motorbike
    s.new_segment()
    on_bike = s.click(int(0.6 * w), int(0.5 * h), INCLUDE, services).mask
    assert (on_bike & bike).sum() > 0.8 * bike.sum()


def test_a_click_on_a_flowers_heart_selects_the_flower(services):
    """Round 23's drive: a click on the heart of sklearn's dahlia (flower.jpg, a class the VOC net does not know) hit
    a 561 px blob the net calls an object (weak: median objectness 0.57), and the cut shrank it to a speck (27-418 px
    at these points; the app said "only 27 px selected"). A cut that keeps under ``HOLLOW`` of the net's object found
    no object there, and a blob the net is unsure of (``WEAK_OBJECT``) inside a bigger enclosing cut is a piece of it:
    the click takes the enclosing cut instead, as a click beside the blob did: the dahlia (IoU with a disc drawn around
    it 0.75-0.97 measured at these five points, nothing of the bud below it). At twice the photo's size the cut kept
    0.70 of the blob at (285, 215), 1.1 % of the photo, without the weak-blob rule."""
    for scale in (1, 2):
        img = photos.load("flower")
        if scale != 1:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        s = EditorSession()
        s.load(Photo(pixels=img, name="flower"), services)
        dahlia = np.zeros(img.shape[:2], np.uint8)
        cv2.circle(dahlia, (307 * scale, 222 * scale), 138 * scale, 1, -1)  # its outline (drawn by looking at it)
        for x, y in ((290, 200), (300, 200), (295, 210), (285, 215), (308, 215)):
            s.new_segment()
            s.click(x * scale, y * scale, INCLUDE, services)
            m = s.segment().mask
            assert iou(m, dahlia.astype(bool)) >= 0.7 and leak(m, dahlia.astype(bool)) <= 0.1, (scale, x, y, m.mean())
        s.close()
