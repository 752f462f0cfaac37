"""The offline click backend on real photos: which pixels are in and which are out."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import BadInput
from core.photo import load_photo
from core.types import ClickPrompt, Point
from segmenters.grabcut import GrabCutSegmenter


@pytest.fixture(scope="module")
def seg():
    return GrabCutSegmenter()


def _mask(seg, path, *points, box=None):
    photo = load_photo(path)
    prompt = ClickPrompt(points=tuple(Point(x, y, pos) for x, y, pos in points), box=box)
    return seg.segment(photo, seg.prepare(photo), prompt, None).mask


def test_one_click_on_the_suit_selects_the_suit(seg, astronaut_path):
    m = _mask(seg, astronaut_path, (100, 330, True))
    assert m.shape == (512, 512)
    for x, y in [(100, 330), (60, 300), (150, 420), (80, 450)]:  # orange suit, left side
        assert m[y, x], f"suit pixel ({x}, {y}) missing"
    for x, y in [(225, 120), (240, 40), (330, 60), (470, 60), (380, 430), (20, 100), (180, 380)]:
        assert not m[y, x], f"({x}, {y}) (face / hair / wall / helmet / flag / patch) wrongly selected"
    assert 0.08 < m.mean() < 0.35


def test_face_and_wall_clicks(seg, astronaut_path):
    face = _mask(seg, astronaut_path, (225, 130, True))
    assert face[130, 225] and face[150, 200] and not face[330, 100] and not face[60, 330]
    wall = _mask(seg, astronaut_path, (330, 60, True))
    assert wall[60, 330] and wall[100, 480] and not wall[120, 225] and not wall[330, 100]


def test_sky_on_china(seg, china_path):
    m = _mask(seg, china_path, (300, 40, True))
    assert m[40, 300] and m[20, 550] and m[100, 450]
    for x, y in [(250, 200), (320, 330), (600, 350), (40, 400)]:  # roof, lower temple, trees, trees
        assert not m[y, x], f"({x}, {y}) is not sky"


def test_negative_click_removes_a_part(seg, astronaut_path):
    both = _mask(seg, astronaut_path, (225, 130, True), (230, 45, True))
    assert both[45, 230] and both[130, 225]
    no_hair = _mask(seg, astronaut_path, (225, 130, True), (230, 45, False))
    assert no_hair[130, 225] and not no_hair[45, 230]


def test_box_alone_selects_inside_the_box(seg, astronaut_path):
    m = _mask(seg, astronaut_path, box=(270, 330, 512, 512))  # the helmet
    assert m[430, 380] and not m[100, 100] and not m[300, 100]
    assert m[:330].sum() == 0 and m[:, :270].sum() == 0


def test_only_negative_clicks_is_refused(seg, astronaut_path):
    photo = load_photo(astronaut_path)
    prepared = seg.prepare(photo)
    with pytest.raises(BadInput, match="nothing to select"):
        seg.segment(photo, prepared, ClickPrompt(points=(Point(10, 10, False),)), None)
    with pytest.raises(BadInput, match="add a click"):
        seg.segment(photo, prepared, ClickPrompt(), None)


def test_large_photo_mask_is_full_resolution(seg):
    from skimage import data
    import cv2
    from core.types import Photo

    big = cv2.resize(data.astronaut(), (4000, 4000), interpolation=cv2.INTER_CUBIC)
    photo = Photo(pixels=big)
    m = seg.segment(photo, seg.prepare(photo), ClickPrompt(points=(Point(780, 2580),)), None).mask
    assert m.shape == (4000, 4000) and m[2580, 780] and not m[940, 1760]
    assert np.count_nonzero(m) > 0.05 * m.size


def test_an_upload_runs_the_voc_net_once(monkeypatch):
    """The click backend's object outline (``_objectness``) reuses the VOC net's answer the parse has just
    computed on the same 512 px copy (nets.deeplab_labels keeps it by the pixels' digest): one run per upload,
    and the same outline as running it again."""
    from core.models import ModelManager
    from core.settings import Settings
    from core.types import Photo
    from segmenters import nets
    from studio.services import build_services
    from studio.session import EditorSession
    from tests import photos

    if not nets.net_available(nets.VOC):
        pytest.skip("the packaged VOC net is not here")
    runs: list[str] = []
    real = nets.run_tflite

    def counted(name, *args, **kwargs):
        runs.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(nets, "run_tflite", counted)
    services = build_services(Settings(), ModelManager(Settings(), online=False))
    s = EditorSession()
    s.load(Photo(pixels=photos.load("squirrel_cls"), name="squirrel_cls"), services)
    assert runs.count(nets.VOC) == 1
    assert s.prepared.objects is not None and s.prepared.objects.any()
    fresh = nets._deeplab_labels(nets.VOC, s.prepared.small) > 0
    assert np.array_equal(s.prepared.objects, fresh)


def test_a_click_is_worked_out_once_per_photo(seg, astronaut_path, monkeypatch):
    """Each click of a segment re-reads the earlier clicks' regions: they come from the photo's memo (a click
    off a labelled thing costs up to five GrabCuts), and the mask is the one a fresh preparation gives."""
    photo = load_photo(astronaut_path)
    prepared = seg.prepare(photo)
    searched: list[tuple[int, int]] = []
    real = seg._enclosed
    monkeypatch.setattr(seg, "_enclosed", lambda p, x, y: searched.append((x, y)) or real(p, x, y))
    first = ClickPrompt(points=(Point(225, 130, True),))
    both = ClickPrompt(points=(Point(225, 130, True), Point(330, 60, True)))
    seg.segment(photo, prepared, first, None)
    mask = seg.segment(photo, prepared, both, None).mask
    assert searched == [(225, 130), (330, 60)]  # the first click's region was not searched again
    assert np.array_equal(mask, seg.segment(photo, seg.prepare(photo), both, None).mask)


def test_voc_unsure_frees_the_rim_the_net_doubts():
    """``voc_unsure``: the outlined region's pixels under ``VOC_UNSURE`` times the net's median sureness there (its
    coarse grid's spill, the ground it bridges between animals) and no others; an empty region frees nothing."""
    from segmenters.grabcut import VOC_UNSURE, voc_unsure

    region = np.zeros((40, 40), bool)
    region[5:35, 5:35] = True
    sure = np.full((40, 40), 0.05, np.float32)
    sure[5:35, 5:35] = 0.99
    sure[5:35, 5:9] = 0.6  # a spill along one side
    sure[20, 20] = VOC_UNSURE * 0.99 + 0.001  # just sure enough
    free = voc_unsure(region, sure)
    assert free[5:35, 5:9].all() and free.sum() == 30 * 4
    assert not voc_unsure(np.zeros((40, 40), bool), sure).any()


def test_the_click_reads_the_parses_voc_probability(monkeypatch):
    """``nets.voc_object_probability`` reuses the VOC answer ``voc_answer`` kept for the same pixels (no second run)
    and equals one minus its background probability."""
    from segmenters import nets

    if not nets.net_available(nets.VOC):
        pytest.skip("the packaged VOC net is not here")
    from skimage import data

    rgb = np.ascontiguousarray(data.astronaut()[::2, ::2])
    nets.clear_labels_cache()
    _, probs = nets.voc_answer(rgb)
    runs: list[str] = []
    real = nets.run_tflite
    monkeypatch.setattr(nets, "run_tflite", lambda name, *a, **k: runs.append(name) or real(name, *a, **k))
    p = nets.voc_object_probability(rgb)
    assert runs == [] and p.shape == rgb.shape[:2] and p.dtype == np.float32
    assert np.allclose(p, 1.0 - nets.voc_probabilities(probs, [0], (rgb.shape[1], rgb.shape[0]))[..., 0])
    assert p[150, 130] > 0.9 and p[20, 240] < 0.5  # her face; the wall behind her


def test_loose_is_the_band_by_the_line_to_a_touching_person():
    """``_loose``: a person whose parse share touches another person's (a straight line between them, as the person
    parser draws it) leaves the band within ``TOUCH_BAND`` x the square root of its area of that line, on both sides,
    to the cut, but never its face; a lone person, a person beside a non-person thing and any other thing leave
    nothing (the click's seed is then exactly as before)."""
    from segmenters.grabcut import TOUCH_BAND, GrabCutPrepared, LabelledPart, _loose

    left = np.zeros((60, 100), bool)
    left[10:50, 10:50] = True
    right = np.zeros((60, 100), bool)
    right[10:50, 50:90] = True
    face = np.zeros((60, 100), bool)
    face[12:20, 44:50] = True  # a face by the line
    small = np.zeros((60, 100, 3), np.uint8)

    def prepared(*parts):
        return GrabCutPrepared(
            small=small, labels=np.zeros((60, 100), int), means=np.zeros((1, 3), np.float32), scale=1.0, parts=parts
        )

    two = prepared(
        LabelledPart("person 1", "thing", left),
        LabelledPart("person 2", "thing", right),
        LabelledPart("face", "part", face),
    )
    band = _loose(two, "person 1", left)
    reach = TOUCH_BAND * np.sqrt(left.sum())
    assert band[30, 49] and band[30, 50] and band[30, int(50 + reach) - 1]  # both sides of the line
    assert not band[30, 10] and not band[30, 89]  # what lies well inside either share stays as it was
    assert not (band & face).any()
    assert band.sum() < 0.7 * 2 * left.sum()
    alone = prepared(LabelledPart("person 1", "thing", left))
    assert not _loose(alone, "person 1", left).any()
    car = prepared(LabelledPart("person 1", "thing", left), LabelledPart("car", "thing", right))
    assert not _loose(car, "person 1", left).any()
    assert not _loose(two, "dog", left).any()
