"""Tests: tiny TFJS graph models written on the fly (the recogniser's, the detector's and the age net's tests
build theirs from these pieces), and core/packaged.toml's entries pointed at such stand-in files, so the real
loading path (names, sha256 checks, FACET_PACKAGED_DIR, the model manager) runs on them."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np


def b64(s: str) -> str:
    """A string attribute as TFJS json keeps it (proto3 JSON: base64)."""
    return base64.b64encode(s.encode()).decode()


def ints(v: list[int]) -> dict:
    """A list-of-ints attribute as TFJS json keeps it."""
    return {"list": {"i": [str(i) for i in v]}}


def node(name: str, op: str, *inputs: str, **attr: Any) -> dict:
    """One node of a TFJS graph's ``modelTopology``."""
    return {"name": name, "op": op, "input": list(inputs), "attr": attr}


def graph_model(
    nodes: list[dict],
    w: dict[str, np.ndarray],
    shard: str = "tiny.bin",
    outputs: dict | None = None,
    signature: dict | None = None,
) -> dict:
    """The model json of a graph: ``nodes``, the weights manifest of ``w`` (in its order, one ``shard``), the
    outputs in ``userDefinedMetadata``'s signature (``outputs``) or in the top-level one (``signature``)."""
    specs = [
        {"name": k, "shape": list(v.shape), "dtype": "int32" if v.dtype == np.int32 else "float32"}
        for k, v in w.items()
    ]
    model: dict[str, Any] = {
        "format": "graph-model",
        "modelTopology": {"node": nodes},
        "weightsManifest": [{"paths": [shard], "weights": specs}],
    }
    if outputs is not None:
        model["userDefinedMetadata"] = {"signature": {"outputs": outputs}}
    if signature is not None:
        model["signature"] = {"outputs": signature}
    return model


def write_graph(folder: Path, model: dict, w: dict[str, np.ndarray], name: str = "tiny.json") -> Path:
    """``model`` as ``folder / name`` and the weights ``w`` as its manifest's shard beside it; the json's path."""
    (folder / name).write_text(json.dumps(model))
    shard = model["weightsManifest"][0]["paths"][0]
    (folder / shard).write_bytes(b"".join(np.ascontiguousarray(v).tobytes() for v in w.values()))
    return folder / name


def use_packaged_files(monkeypatch: Any, folder: Path, names: tuple[str, ...]) -> None:
    """Entries ``names`` of core/packaged.toml take the sha256 of their files in ``folder`` (written there by
    the test under each entry's own file name); ``FACET_PACKAGED_DIR`` points at ``folder``."""
    import core.assets as assets

    real = assets.load_packaged()
    fake = {
        name: dataclasses.replace(spec, sha256=assets.sha256_file(folder / spec.filename)) if name in names else spec
        for name, spec in real.items()
    }
    monkeypatch.setattr(assets, "load_packaged", lambda *a: dict(fake))
    monkeypatch.setenv("FACET_PACKAGED_DIR", str(folder))
