"""Apparent age (faces/attributes.py: HSE FaceRes's age head, a TFJS graph turned into ONNX) and the anonymizer's
choice of a target of the face's age: a tiny random graph with faceres's op set (Relu6 as Minimum / Maximum, a
global Mean, _FusedMatMul with BiasAdd + Relu, Softmax) against a numpy reading of it, loaded through the
packaged-file path; the ranking rule; then, when setup fetched the real file, ages on real photos."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from faces import attributes
from faces.attributes import AGE_OUTPUT, AgeNet
from faces.recognizer import read_tfjs, tfjs_to_onnx
from tests.tfjs_stub import b64, graph_model, ints, node, write_graph


def tiny_age_graph(rng: np.random.Generator, side: int = 16, classes: int = 100) -> tuple[dict, dict[str, np.ndarray]]:
    """(model json, weights): a 3x3/2 SAME Conv2D, + bias, Relu6 written as Minimum(Maximum(x, 0), 6), a
    global Mean over H and W, a dense layer with a fused BiasAdd + Relu, then two heads from it: gender
    (dense + Sigmoid) and age (dense + Softmax over ``classes``), as faceres has them."""
    c, hidden = 4, 6
    w = {
        "conv/w": rng.normal(0, 0.5, (3, 3, 3, c)),
        "conv/b": rng.normal(0, 0.1, c),
        "zero": np.array(0.0),
        "six": np.array(6.0),
        "axes": np.array([1, 2], np.int32),
        "feats/kernel": rng.normal(0, 0.5, (c, hidden)),
        "feats/bias": rng.normal(0, 0.1, hidden),
        "gender/kernel": rng.normal(0, 0.5, (hidden, 1)),
        "gender/bias": rng.normal(0, 0.1, 1),
        "age/kernel": rng.normal(0, 1.0, (hidden, classes)),
        "age/bias": rng.normal(0, 0.1, classes),
    }
    w = {k: (v.astype(np.int32) if v.dtype == np.int32 else v.astype(np.float32)) for k, v in w.items()}

    def dense(name, x, fused):
        return node(
            name,
            "_FusedMatMul",
            x,
            f"{name.split('/')[0]}/kernel",
            f"{name.split('/')[0]}/bias",
            fused_ops={"list": {"s": [b64(f) for f in fused]}},
            transpose_a={"b": False},
            transpose_b={"b": False},
        )

    nodes = [{"name": k, "op": "Const", "attr": {}} for k in w]
    nodes += [
        node(
            "input_1",
            "Placeholder",
            shape={"shape": {"dim": [{"size": "-1"}, {"size": str(side)}, {"size": str(side)}, {"size": "3"}]}},
        ),
        node(
            "conv",
            "Conv2D",
            "input_1",
            "conv/w",
            strides=ints([1, 2, 2, 1]),
            padding={"s": b64("SAME")},
            data_format={"s": b64("NHWC")},
        ),
        node("conv/add", "Add", "conv", "conv/b"),
        node("conv/max", "Maximum", "conv/add", "zero"),
        node("conv/relu6", "Minimum", "conv/max", "six"),
        node("pool", "Mean", "conv/relu6", "axes", keep_dims={"b": False}),
        dense("feats/Relu", "pool", ["BiasAdd", "Relu"]),
        dense("gender/BiasAdd", "feats/Relu", ["BiasAdd"]),
        node("gender/Sigmoid", "Sigmoid", "gender/BiasAdd"),
        dense("age/BiasAdd", "feats/Relu", ["BiasAdd"]),
        node(AGE_OUTPUT, "Softmax", "age/BiasAdd"),
    ]
    return graph_model(nodes, w, outputs={"gender": {"name": "gender/Sigmoid:0"}}), w


def write_tiny(folder, rng, **kw):
    model, w = tiny_age_graph(rng, **kw)
    return write_graph(folder, model, w), w


def numpy_age(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The tiny graph's age head computed the way TensorFlow defines its ops (no ONNX involved)."""
    n, h, wd, _ = x.shape
    oh, ow = -(-h // 2), -(-wd // 2)
    ph, pw = max((oh - 1) * 2 + 3 - h, 0), max((ow - 1) * 2 + 3 - wd, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    conv = sum(xp[:, i : i + 2 * oh : 2, j : j + 2 * ow : 2, :] @ w["conv/w"][i, j] for i in range(3) for j in range(3))
    act = np.minimum(np.maximum(conv + w["conv/b"], 0), 6)
    feats = np.maximum(act.mean((1, 2)) @ w["feats/kernel"] + w["feats/bias"], 0)
    logits = feats @ w["age/kernel"] + w["age/bias"]
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_tiny_age_graph_matches_a_numpy_reading_of_it(tmp_path):
    rng = np.random.default_rng(0)
    path, w = write_tiny(tmp_path, rng)
    net = AgeNet(path)
    chips = rng.integers(0, 256, (3, 16, 16, 3)).astype(np.uint8)
    want = numpy_age(w, chips.astype(np.float32))
    got = net.probabilities(chips)
    assert got.shape == (3, 100)
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(net.ages(chips), want @ np.arange(100), atol=1e-3)
    assert np.ptp(net.ages(chips)) > 0.01  # three inputs, three ages: not a constant


def test_the_graph_output_given_is_used_and_an_unknown_op_fails_loudly(tmp_path):
    rng = np.random.default_rng(1)
    path, w = write_tiny(tmp_path, rng)
    graph = read_tfjs(path)
    assert graph.output == "gender/Sigmoid"  # the signature's first output; AgeNet asks for the age head
    bad = json.loads(path.read_text())
    next(n for n in bad["modelTopology"]["node"] if n["name"] == AGE_OUTPUT)["op"] = "LogSoftmax"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="LogSoftmax"):
        tfjs_to_onnx(dataclasses.replace(read_tfjs(tmp_path / "bad.json", [tmp_path / "tiny.bin"]), output=AGE_OUTPUT))
    with pytest.raises(ValueError, match="not the faceres graph"):
        other = json.loads(path.read_text())
        next(n for n in other["modelTopology"]["node"] if n["name"] == AGE_OUTPUT)["name"] = "renamed"
        (tmp_path / "other.json").write_text(json.dumps(other))
        AgeNet(tmp_path / "other.json", [tmp_path / "tiny.bin"])


def test_packaged_path_loads_a_tiny_graph_through_the_model_manager(tmp_path, monkeypatch):
    """core/packaged.toml names, sha256 checks and the model manager, pointed at a tiny 224 px graph."""
    import core.assets as assets
    from tests.tfjs_stub import use_packaged_files
    from core.models import default_manager
    from faces.detect import find_faces
    from tests import photos

    rng = np.random.default_rng(3)
    path, w = write_tiny(tmp_path, rng, side=224)
    (tmp_path / "faceres.json").write_text(path.read_text().replace("tiny.bin", "faceres.bin"))
    (tmp_path / "faceres.bin").write_bytes((tmp_path / "tiny.bin").read_bytes())
    real = assets.load_packaged
    use_packaged_files(monkeypatch, tmp_path, (attributes.GRAPH, attributes.WEIGHTS))
    manager = default_manager()
    key = "packaged:" + attributes.GRAPH
    manager.evict(key)
    try:
        assert attributes.available()
        img = photos.load("astronaut")
        face = find_faces(img)[0]
        chip = attributes.face_chip(img, face)
        assert chip.shape == (224, 224, 3) and chip.dtype == np.uint8
        age = attributes.apparent_age(img, face)
        assert age == pytest.approx(float(numpy_age(w, chip[None].astype(np.float32))[0] @ np.arange(100)), abs=0.06)
        assert manager.loaded(key)
        assert attributes.apparent_ages(img, []) == []
    finally:
        manager.evict(key)
    monkeypatch.setenv("FACET_PACKAGED_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(assets, "load_packaged", real)
    assert not attributes.available()
    assert attributes.apparent_age(img, face) is None  # absent: no age, nothing fails


def test_targets_of_the_face_age_rank_first_but_never_one_dlib_calls_the_same_person():
    from editors.anonymize import _rank_targets
    from faces.gallery import Target, skin_age, wanted_skin_age

    assert (skin_age("synthetic_old_wide_dark"), skin_age("synthetic_young_narrow_light")) == (1.0, 0.0)
    assert skin_age("synthetic_average") == 0.5 and skin_age("astronaut") is None
    assert wanted_skin_age(20) == 0.0 and wanted_skin_age(75) == 1.0 and wanted_skin_age(45) == pytest.approx(0.5)
    original = np.zeros(128, np.float32)

    def target(name: str, distance: float) -> Target:
        d = np.zeros(128, np.float32)
        d[0] = distance
        return Target(name, np.zeros((4, 4, 3), np.uint8), None, np.zeros((0, 3), np.int32), d)  # type: ignore[arg-type]

    ts = [
        target("synthetic_young_a", 0.70),
        target("synthetic_old_a", 0.65),
        target("synthetic_old_b", 0.80),
        target("synthetic_old_c", 0.50),  # dlib: the same person (under 0.6), e.g. built from this face
        target("synthetic_mid_a", 0.90),
    ]
    names = lambda r: [t.name for t in r]  # noqa: E731
    assert names(_rank_targets(None, None, ts, original, None)) == [  # type: ignore[arg-type]
        "synthetic_mid_a",
        "synthetic_old_b",
        "synthetic_young_a",
        "synthetic_old_a",
        "synthetic_old_c",
    ]
    assert names(_rank_targets(None, None, ts, original, 75.0))[:3] == [  # type: ignore[arg-type]
        "synthetic_old_b",
        "synthetic_old_a",
        "synthetic_mid_a",
    ]
    old = _rank_targets(None, None, ts, original, 22.0)  # type: ignore[arg-type]
    assert names(old)[0] == "synthetic_young_a" and names(old)[-1] == "synthetic_old_c"


@pytest.mark.skipif(not attributes.available(), reason="faceres not fetched (scripts/fetch_packaged_models.py)")
def test_real_faceres_reads_grace_hopper_older_than_the_young_faces():
    """The packaged faceres on the project's photos: Grace Hopper (about 77 on that photo) reads far older
    than the astronaut (mid-30s) and t1's six young faces; every age is a plausible adult's."""
    from faces.detect import find_faces
    from tests import photos

    ages = {}
    for name in ("grace_hopper", "astronaut", "t1"):
        img = photos.load(name)
        ages[name] = attributes.apparent_ages(img, find_faces(img))
    grace, young = ages["grace_hopper"][0], ages["astronaut"] + ages["t1"]
    assert all(18 <= a <= 50 for a in young), ages
    assert grace >= 55 and grace - max(young) >= 20, ages
