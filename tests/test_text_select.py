"""Select by words with the offline labels, on the project's own photos (tests/photos.py): every label's own
name and an everyday phrase for it select exactly the chip's mask; ordinals and positions pick the right
person; unknown words get the list of what can be selected; the session, the CLI and /select_text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.errors import BadInput
from core.models import ModelManager
from core.settings import Settings
from core.types import Photo, Segment
from segmenters.parsing import SEP, parse_report
from segmenters.text_select import NotUnderstood, match_labels, parse_label, select_text
from tests import photos

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ("t1", "basketball1", "china", "building", "astronaut", "grace_hopper", "messi5", "scenetext01")
ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}
# an everyday word for each label (what a user types instead of the label's name)
EVERYDAY = {
    "upper clothes": "the jacket",
    "lower clothes": "the trousers",
    "dress": "the dress",
    "shoes": "the boots",
    "hat": "the cap",
    "hair": "the hair",
    "face": "the face",
    "skin": "the arms",
    "eyes": "the eyes",
    "eyebrows": "the brows",
    "nose": "the nose",
    "lips": "the lips",
    "all faces": "all the faces",
    "background": "the background",
    "sky": "the clouds",
    "building": "the house",
    "tree": "the trees",
    "grass": "the lawn",
    "road": "the street",
    "water": "the lake",
}


@pytest.fixture(scope="module")
def parsed():
    manager = ModelManager(Settings(), online=False)
    out = {}
    for name in PHOTOS:
        try:
            pixels = photos.load(name)
        except FileNotFoundError as exc:  # Debian's opencv-doc photos: scripts/test.sh installs them
            pytest.fail(str(exc))
        out[name] = parse_report(Photo(pixels=np.ascontiguousarray(pixels), name=name), manager).segments
    return out


def everyday(label: str) -> str:
    cls, number, part = parse_label(label)
    if number is not None:
        owner = f"the {ORDINAL[number]} {cls}"
        return f"{owner}'s {EVERYDAY.get(part, part).removeprefix('the ')}" if part else owner
    return EVERYDAY.get(label, f"the {label}")


def test_label_names_parse():
    assert parse_label(f"person 2{SEP}hair") == ("person", 2, "hair")
    assert parse_label("dog 1") == ("dog", 1, None)
    assert parse_label("all faces") == ("all faces", None, None)
    assert parse_label("upper clothes") == ("upper clothes", None, None)


@pytest.mark.parametrize("name", PHOTOS)
def test_every_label_and_an_everyday_phrase_select_the_chip_mask(parsed, name):
    parts = parsed[name]
    assert parts, f"{name}: no labelled parts"
    for part in parts:
        for phrase in (part.label, everyday(part.label)):
            got = match_labels(phrase, parts)
            assert np.array_equal(got.mask, part.mask), f"{name}: {phrase!r} -> {got.label}, not {part.label}"
            assert got.backend == "offline labels" and got.message.startswith("selected: ")


def test_instances_by_ordinal_and_position_on_a_group_photo(parsed):
    for name, count in (("t1", 6), ("basketball1", 2)):
        parts = parsed[name]
        people = [p for p in parts if parse_label(p.label)[1] is not None and SEP not in p.label]
        assert len(people) == count
        centre_x = {p.label: np.nonzero(p.mask)[1].mean() for p in people}
        leftmost, rightmost = min(centre_x, key=centre_x.get), max(centre_x, key=centre_x.get)
        second_from_left = sorted(centre_x, key=centre_x.get)[1]
        assert match_labels("the person on the left", parts).label == leftmost == "person 1"
        assert match_labels("the left person", parts).label == leftmost
        assert match_labels("the person on the right", parts).label == rightmost == f"person {count}"
        assert match_labels("the second person", parts).label == "person 2" == second_from_left
        assert match_labels("the last person", parts).label == f"person {count}"
        assert match_labels("person 2", parts).label == "person 2"
        got = match_labels("the second person", parts)
        assert got.understood == "person 2" and got.message == "selected: person 2 (offline labels)"


def test_owners_pronouns_plurals_and_and(parsed):
    t1 = parsed["t1"]
    got = match_labels("the second person's hair", t1)
    assert got.label == f"person 2{SEP}hair" and got.understood == "hair of person 2"
    assert match_labels("the hair of the second person", t1).label == f"person 2{SEP}hair"
    assert match_labels("the person on the right's face", t1).label == f"person 6{SEP}face"
    assert (
        match_labels("the upper clothes of person 3", t1).message
        == "selected: upper clothes of person 3 (offline labels)"
    )
    assert match_labels("the second from the right", t1).label == "person 5"
    people = match_labels("the people", t1)
    assert people.label.count("person") == 6 and people.mask.sum() == sum(
        p.mask.sum() for p in t1 if p.label.startswith("person ") and SEP not in p.label
    )
    # one person: "her hair" is the hair
    assert match_labels("her hair", parsed["astronaut"]).label == "hair"
    assert match_labels("her uniform", parsed["grace_hopper"]).label == "upper clothes"
    assert match_labels("his spacesuit", parsed["astronaut"]).label == "upper clothes"
    both = match_labels("the sky and the lake", parsed["china"])
    sky = next(p for p in parsed["china"] if p.label == "sky")
    water = next(p for p in parsed["china"] if p.label == "water")
    assert np.array_equal(both.mask, sky.mask | water.mask) and both.understood == "sky + water"


def test_unknown_words_list_what_can_be_selected(parsed):
    china = parsed["china"]
    with pytest.raises(NotUnderstood) as err:
        match_labels("the unicorn", china)
    message = str(err.value)
    assert "unicorn" in message and err.value.unknown == ["unicorn"]
    for part in china:
        assert part.label in message
    with pytest.raises(NotUnderstood, match="no puppy on this photo \\(no 'dog' label"):
        match_labels("the puppy", china)
    with pytest.raises(NotUnderstood, match="You can select: person 1–6"):
        match_labels("the seventh person", parsed["t1"])
    with pytest.raises(BadInput, match="type what to select"):
        match_labels("   ", china)
    with pytest.raises(BadInput, match="too long"):
        match_labels("sky " * 100, china)


def test_new_parser_labels_are_selectable_by_their_own_names_and_synonyms(parsed):
    """Labels the matcher has never seen (ADE20K/VOC classes, animal instances) work without code changes."""
    from core.types import Segment

    h, w = 60, 90

    def seg(i, label, x0, x1):
        m = np.zeros((h, w), bool)
        m[10:50, x0:x1] = True
        return Segment(id=i, label=label, mask=m, source="test")

    parts = [
        seg(1, "horse 1", 0, 20),
        seg(2, "horse 2", 30, 50),
        seg(3, "dog 1", 60, 70),
        seg(4, "traffic light", 75, 80),
        seg(5, "sea", 82, 90),
    ]
    assert match_labels("the left horse", parts).label == "horse 1"
    assert match_labels("the second horse", parts).label == "horse 2"
    assert match_labels("the horse on the right", parts).label == "horse 2"
    assert match_labels("the puppy", parts).label == "dog 1"
    assert match_labels("the traffic light", parts).label == "traffic light"
    assert match_labels("the ocean", parts).label == "sea"
    assert match_labels("the horses", parts).label == "horse 1 + horse 2"
    assert match_labels("the animals", parts).label == "dog 1 + horse 1 + horse 2"


def test_animal_group_takes_the_detector_names():
    """The detector names giraffes and zebras (darknet_giraffe's chips); "the animals" takes them, a name one."""
    h, w = 60, 100
    parts = []
    for i, (label, x0, x1) in enumerate((("giraffe", 0, 40), ("zebra", 50, 90), ("sky", 90, 100)), start=1):
        m = np.zeros((h, w), bool)
        m[10:50, x0:x1] = True
        parts.append(Segment(id=i, label=label, mask=m, source="test"))
    assert sorted(match_labels("the animals", parts).label.split(" + ")) == ["giraffe", "zebra"]
    assert match_labels("the zebra", parts).label == "zebra"


def test_model_backends_without_weights(parsed):
    """Offline, an unknown phrase says what can be selected; asking for a model says it is unavailable."""
    from core.errors import ModelUnavailable

    manager = ModelManager(Settings(), online=False)
    photo = Photo(pixels=np.ascontiguousarray(photos.load("china")), name="china")
    with pytest.raises(NotUnderstood, match="You can select"):
        select_text("the red lantern", parsed["china"], photo, manager)
    with pytest.raises(ModelUnavailable, match="clipseg"):
        select_text("the red lantern", parsed["china"], photo, manager, backend="clipseg")
    with pytest.raises(BadInput, match="backend must be"):
        select_text("sky", parsed["china"], photo, manager, backend="magic")


def test_session_select_text_is_the_chip_segment_and_clicks_refine_it(offline_services):
    from studio.session import INCLUDE, EditorSession

    s = EditorSession()
    s.load(Photo(pixels=np.ascontiguousarray(photos.load("t1")), name="t1"), offline_services)
    seg = s.select_text("the second person's jacket", offline_services)
    chip = next(p for p in s.parts if p.label == f"person 2{SEP}upper clothes")
    assert np.array_equal(seg.mask, chip.mask) and s.active == seg.id
    assert s.status.startswith("Selected: upper clothes of person 2 (offline labels)")
    assert s.use_part(chip.id).id == seg.id  # the chip gives the same segment
    before = seg.mask.sum()
    s.click(640, 100, INCLUDE, offline_services)  # an include click adds to it
    assert s.segment().mask.sum() > before and s.segment().mask[chip.mask].all()
    with pytest.raises(NotUnderstood):
        s.select_text("the unicorn", offline_services)
    s.close()


@pytest.fixture(scope="module")
def offline_services():
    from studio.services import build_services

    settings = Settings()
    return build_services(settings, ModelManager(settings, online=False))


def _cli(*args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "FACET_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_segment_text(tmp_path, parsed):
    out = tmp_path / "hair.png"
    r = _cli("segment", photos.path("t1"), "--text", "the second person's hair", "--out", out)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["selected"] == "Selected: hair of person 2 (offline labels)"
    chip = next(p for p in parsed["t1"] if p.label == f"person 2{SEP}hair")
    assert np.array_equal(np.asarray(Image.open(out)) > 0, chip.mask)
    r = _cli("segment", photos.path("china"), "--text", "the unicorn", "--out", tmp_path / "x.png")
    assert r.returncode == 3 and "You can select" in r.stderr and "sky" in r.stderr
    r = _cli("segment", photos.path("china"), "--text", "sky", "--box", "0,0,10,10", "--out", tmp_path / "x.png")
    assert r.returncode == 3 and "--box" in r.stderr


def test_select_text_endpoint(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    client.predict(handle_file(str(photos.path("china"))), api_name="/upload")
    view = client.predict("the sky", api_name="/select_text")
    assert view[1].startswith("Selected: sky (offline labels)")
    mask = np.asarray(Image.open(view[4]["value"] if isinstance(view[4], dict) else view[4]))
    assert mask.shape == (427, 640) and mask[20, 300] == 255 and mask[400, 300] == 0
    view = client.predict("the unicorn", api_name="/select_text")
    assert "You can select" in view[1] and "water" in view[1]
