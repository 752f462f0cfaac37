"""Dense face landmarks: the MediaPipe face mesh (packaged tflite, 468 points; Apache-2.0) and its loops.

The mesh runs on a ``MESH_SIZE`` crop rotated upright by the face's eye keypoints, twice (the second time
on the crop the first mesh implies, as MediaPipe's own tracking does).
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np

from core.models import run_tflite
from core.errors import ModelUnavailable
from faces.types import Face

log = logging.getLogger(__name__)

MESH_SIZE = 192
MIN_MESH_SCORE = 0.0  # logit of the mesh model's "a face is here" output

# MediaPipe face-mesh index loops (from mediapipe's face_mesh_connections).
FACE_OVAL = [
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
]
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
MOUTH_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191]
LEFT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
RIGHT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
LEFT_BROW = [276, 283, 282, 295, 285, 336, 296, 334, 293, 300]
RIGHT_BROW = [46, 53, 52, 65, 55, 107, 66, 105, 63, 70]
NOSE = [
    168,
    6,
    197,
    195,
    5,
    4,
    1,
    19,
    94,
    2,
    98,
    97,
    326,
    327,
    294,
    278,
    279,
    49,
    48,
    64,
    129,
    358,
    122,
    351,
    188,
    412,
    114,
    343,
    217,
    437,
    219,
    439,
    115,
    344,
]


def _crop_transform(cx: float, cy: float, size: float, angle: float) -> np.ndarray:
    """2x3 affine map from image pixels to a MESH_SIZE crop centred at (cx, cy), rotated by -angle."""
    k = MESH_SIZE / size
    c, s = math.cos(-angle) * k, math.sin(-angle) * k
    # rotate about the centre then move it to the crop's centre
    return np.array([[c, -s, MESH_SIZE / 2 - c * cx + s * cy], [s, c, MESH_SIZE / 2 - s * cx - c * cy]], np.float32)


def face_mesh(image: np.ndarray, face: Face, image_scale: float) -> tuple[np.ndarray, float] | None:
    """468 landmarks (x, y) in the face's pixels for ``face`` found in ``image`` (``image_scale`` image px
    per face px), and the mesh's face score; None when the mesh model sees no face there."""
    got = face_mesh_3d(image, face, image_scale)
    return None if got is None else (got[0][:, :2], got[1])


def face_mesh_3d(image: np.ndarray, face: Face, image_scale: float) -> tuple[np.ndarray, float] | None:
    """:func:`face_mesh` with depth: (468, 3) points, x and y as there, z MediaPipe's relative depth in the
    same units (smaller = nearer the camera); and the face score."""
    lm5 = face.kps * image_scale
    eye_r, eye_l = lm5[0], lm5[1]
    angle = math.atan2(eye_l[1] - eye_r[1], eye_l[0] - eye_r[0])
    x0, y0, x1, y1 = (v * image_scale for v in face.box)
    cx, cy, size = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * 1.35
    pts, score = None, -1e9
    for _ in range(2):
        m = _crop_transform(cx, cy, size, angle)
        crop = cv2.warpAffine(image, m, (MESH_SIZE, MESH_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        lm, flag = run_tflite("face_landmark", (crop.astype(np.float32) / 255.0)[None])
        xyz = lm.reshape(-1, 3)
        inv = cv2.invertAffineTransform(m)
        pts = xyz[:, :2] @ inv[:, :2].T + inv[:, 2]
        depth = xyz[:, 2] * float(np.sqrt(abs(np.linalg.det(inv[:, :2]))))  # crop px -> image px
        score = float(flag.ravel()[0])
        # the next crop: the mesh's own box, as MediaPipe's tracking does
        rot = np.array([[math.cos(-angle), -math.sin(-angle)], [math.sin(-angle), math.cos(-angle)]])
        local = (pts - pts.mean(0)) @ rot.T
        size = float(max(np.ptp(local[:, 0]), np.ptp(local[:, 1]))) * 1.5
        cx, cy = (float(v) for v in pts.mean(0))
        angle = math.atan2(pts[263, 1] - pts[33, 1], pts[263, 0] - pts[33, 0])
    if pts is None or score < MIN_MESH_SCORE:
        return None
    return np.concatenate([pts, depth[:, None]], 1) / image_scale, score


def mesh_for(rgb: np.ndarray, face: Face, depth: bool = False) -> np.ndarray | None:
    """The (468, 2) float32 mesh of ``face`` on ``rgb`` (photo pixels; (468, 3) with ``depth``), None when the
    mesh model sees no face there or its packaged file is missing (logged)."""
    try:
        got = face_mesh_3d(rgb, face, 1.0)
    except ModelUnavailable as exc:
        log.info("face mesh unavailable: %s", exc.reason)
        return None
    return None if got is None else got[0][:, : 3 if depth else 2].astype(np.float32)


def kps_from_mesh(mesh: np.ndarray) -> np.ndarray:
    """The 5 keypoints (eyes, nose tip, mouth corners) of a face mesh, in ``Face.kps`` order."""
    return np.array([mesh[RIGHT_EYE].mean(0), mesh[LEFT_EYE].mean(0), mesh[1], mesh[61], mesh[291]], np.float32)


def face_from_mesh(mesh: np.ndarray, index: int = 0) -> Face:
    """A ``Face`` made from a mesh alone (the gallery's faces: box = the mesh's bounds)."""
    box = (*mesh.min(0), *mesh.max(0))
    return Face(tuple(float(v) for v in box), kps_from_mesh(mesh), 1.0, index, mesh=mesh.astype(np.float32))  # type: ignore[arg-type]
