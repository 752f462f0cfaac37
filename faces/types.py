"""The one face record, shared by the detectors, the face parsers and the face editors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import BadInput

OFFLINE_SOURCE = "centerface + face-mesh (offline)"
FULL_SOURCE = "insightface buffalo_l"


@dataclass(frozen=True)
class Face:
    """One face. Points and boxes in the pixels of the image it was found on (photo or work size)."""

    box: tuple[float, float, float, float]  # XYXY
    kps: np.ndarray  # (5, 2): eye (image left), eye (image right), nose, mouth corner (left, right)
    score: float
    index: int = 0  # left-to-right number, what the UI shows
    mesh: np.ndarray | None = None  # (468, 2) MediaPipe face mesh
    mesh_depth: np.ndarray | None = None  # (468,) the mesh's relative depth (smaller = nearer the camera)
    landmarks106: np.ndarray | None = None  # (106, 2) insightface 2d106det (full backend)
    gender: str | None = None  # "F" / "M" (full backend)
    age: int | None = None
    embedding: np.ndarray | None = None  # (512,) ArcFace (full backend), not normalised
    source: str = OFFLINE_SOURCE

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2

    @property
    def size(self) -> float:
        """The face's size in px: sqrt(box area) (the unit of the expression measure)."""
        return math.sqrt(max(self.width, 1.0) * max(self.height, 1.0))

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly description (what the UI lists next to the numbers)."""
        return {
            "index": self.index,
            "box": [round(v, 1) for v in self.box],
            "score": round(self.score, 3),
            "gender": self.gender,
            "age": self.age,
            "mesh": self.mesh is not None,
            "source": self.source,
        }


def check_rgb(rgb: Any) -> None:
    """``BadInput`` unless ``rgb`` is RGB uint8 (H, W, 3)."""
    if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3):
        raise BadInput("the image must be RGB uint8 of shape (H, W, 3)")


def normed(v: np.ndarray) -> np.ndarray:
    """``v`` as a flat float32 unit vector."""
    v = np.asarray(v, np.float32).ravel()
    return v / max(float(np.linalg.norm(v)), 1e-8)
