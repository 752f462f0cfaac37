"""Face parts for every detected face: the face region, eyes, eyebrows, nose, lips.

Full backend (role ``face_parsing``, jonathandinu/face-parsing, a SegFormer trained on CelebAMask-HQ):
each face is cropped from the full-resolution photo (a square around the face box, ``CROP_SCALE`` times
its size), parsed at the model's size, and the labels are pasted back into the photo. Labels are
mapped by *name* from ``config.id2label`` (see ``FACE_PARSING_LABELS``).

Offline backend: the MediaPipe face mesh (packaged tflite, 468 landmarks; Apache-2.0) on a crop
rotated upright by the CenterFace eyes, run twice (the second time on the crop the first mesh
implies, as MediaPipe's own tracking does). Parts are polygons of the mesh: face oval, eyes, eyebrows,
lips, nose (hull of the nose points, approximate).

Output ``data``: list of ``FaceParts`` (one per face, same order as the ``faces`` parser), parts
``all faces`` / ``eyes`` / ``eyebrows`` / ``nose`` / ``lips`` (+ ``ears``, ``glasses``, ``mouth``,
``face``, ``hair``, ``hat`` from the full backend) tagged with the person that owns the face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from core.models import ModelManager
from segmenters.parsing import PARSERS, ParseContext, ParseOutput, Part, run_tflite

MESH_SOURCE = "face-mesh (offline)"
FULL_SOURCE = "segformer-face-parsing"
ROLE = "face_parsing"
CROP_SCALE = 1.9  # face-parsing crop side / larger side of the face box
MESH_SIZE = 192
MIN_MESH_SCORE = 0.0  # logit of the mesh model's "a face is here" output

# MediaPipe face-mesh index loops (from mediapipe's face_mesh_connections).
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
             148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
MOUTH_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191]
LEFT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
RIGHT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
LEFT_BROW = [276, 283, 282, 295, 285, 336, 296, 334, 293, 300]
RIGHT_BROW = [46, 53, 52, 65, 55, 107, 66, 105, 63, 70]
NOSE = [168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 97, 326, 327, 294, 278, 279, 49, 48, 64, 129, 358,
        122, 351, 188, 412, 114, 343, 217, 437, 219, 439, 115, 344]

# Full backend: CelebAMask-HQ label names -> Facet labels ("" = not a face part we report).
FACE_PARSING_LABELS = {
    "background": "", "skin": "face", "nose": "nose", "eye_g": "glasses", "l_eye": "eyes", "r_eye": "eyes",
    "l_brow": "eyebrows", "r_brow": "eyebrows", "l_ear": "ears", "r_ear": "ears", "mouth": "mouth",
    "u_lip": "lips", "l_lip": "lips", "hair": "hair", "hat": "hat", "ear_r": "earrings", "neck_l": "necklace",
    "neck": "skin", "cloth": "",
}
FACE_REGION = ("face", "nose", "glasses", "eyes", "eyebrows", "mouth", "lips")  # what "all faces" covers


@dataclass
class FaceParts:
    face: int  # index into the faces parser's list
    region: np.ndarray  # bool, work size: the whole face (oval, or the parsed face + features)
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # label -> bool work-size mask
    landmarks: np.ndarray | None = None  # (468, 2) work pixels (offline backend)
    source: str = ""


# -- offline: face mesh ----------------------------------------------------------------------------------


def _crop_transform(cx: float, cy: float, size: float, angle: float) -> np.ndarray:
    """2x3 affine map from image pixels to a MESH_SIZE crop centred at (cx, cy), rotated by -angle."""
    k = MESH_SIZE / size
    c, s = math.cos(-angle) * k, math.sin(-angle) * k
    # rotate about the centre then move it to the crop's centre
    return np.array([[c, -s, MESH_SIZE / 2 - c * cx + s * cy],
                     [s, c, MESH_SIZE / 2 - s * cx - c * cy]], np.float32)


def face_mesh(image: np.ndarray, face, image_scale: float) -> tuple[np.ndarray, float] | None:
    """468 landmarks (x, y) in *work* pixels for one face found in ``image`` (``image_scale`` px per work px)."""
    lm5 = face.landmarks * image_scale
    eye_r, eye_l = lm5[0], lm5[1]
    angle = math.atan2(eye_l[1] - eye_r[1], eye_l[0] - eye_r[0])
    x0, y0, x1, y1 = (v * image_scale for v in face.box)
    cx, cy, size = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * 1.35
    pts, score = None, -1e9
    for _ in range(2):
        m = _crop_transform(cx, cy, size, angle)
        crop = cv2.warpAffine(image, m, (MESH_SIZE, MESH_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        lm, flag = run_tflite("face_landmark", (crop.astype(np.float32) / 255.0)[None])
        xy = lm.reshape(-1, 3)[:, :2]
        inv = cv2.invertAffineTransform(m)
        pts = xy @ inv[:, :2].T + inv[:, 2]
        score = float(flag.ravel()[0])
        # the next crop: the mesh's own box, as MediaPipe's tracking does
        rot = np.array([[math.cos(-angle), -math.sin(-angle)], [math.sin(-angle), math.cos(-angle)]])
        local = (pts - pts.mean(0)) @ rot.T
        size = float(max(np.ptp(local[:, 0]), np.ptp(local[:, 1]))) * 1.5
        cx, cy = (float(v) for v in pts.mean(0))
        angle = math.atan2(pts[263, 1] - pts[33, 1], pts[263, 0] - pts[33, 0])
    if pts is None or score < MIN_MESH_SCORE:
        return None
    return pts / image_scale, score


def _poly(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    return m.astype(bool)


def mesh_parts(shape: tuple[int, int], pts: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    region = _poly(shape, pts[FACE_OVAL])
    labels = {
        "eyes": _poly(shape, pts[LEFT_EYE]) | _poly(shape, pts[RIGHT_EYE]),
        "eyebrows": _poly(shape, pts[LEFT_BROW]) | _poly(shape, pts[RIGHT_BROW]),
        "nose": _poly(shape, cv2.convexHull(pts[NOSE].astype(np.float32))[:, 0]),
        "lips": _poly(shape, pts[LIPS]) & ~_poly(shape, pts[MOUTH_INNER]),
    }
    return region, labels


# -- full: SegFormer face parsing ------------------------------------------------------------------------


def parse_face_full(manager: ModelManager, ctx: ParseContext, face) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    """Face-parsing SegFormer on a square crop around ``face`` (full-resolution pixels), pasted into work size."""
    from segmenters.segformer import segment_labels

    s = 1.0 / ctx.scale  # photo px per work px
    x0, y0, x1, y1 = (v * s for v in face.box)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    side = max(x1 - x0, y1 - y0) * CROP_SCALE
    H, W = ctx.photo.height, ctx.photo.width
    px0, py0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    px1, py1 = int(round(cx + side / 2)), int(round(cy + side / 2))
    # pad outside the photo so the crop stays square and the face stays centred
    crop = cv2.copyMakeBorder(ctx.photo.pixels[max(0, py0):min(H, py1), max(0, px0):min(W, px1)],
                              max(0, -py0), max(0, py1 - H), max(0, -px0), max(0, px1 - W), cv2.BORDER_REPLICATE)
    # work-size target rectangle of this crop
    wx0, wy0 = px0 * ctx.scale, py0 * ctx.scale
    side_w = max(1, int(round((px1 - px0) * ctx.scale)))
    labels, conf, id2label = segment_labels(manager, ROLE, crop, (side_w, side_w))
    h, w = ctx.shape
    ox, oy = int(round(wx0)), int(round(wy0))
    sx0, sy0, sx1, sy1 = max(0, -ox), max(0, -oy), min(side_w, w - ox), min(side_w, h - oy)
    out: dict[str, np.ndarray] = {}
    for idx, name in id2label.items():
        label = FACE_PARSING_LABELS.get(name.lower(), "")
        if not label:
            continue
        m = np.zeros((h, w), bool)
        if sx1 > sx0 and sy1 > sy0:
            m[oy + sy0:oy + sy1, ox + sx0:ox + sx1] = labels[sy0:sy1, sx0:sx1] == idx
        out[label] = out.get(label, np.zeros((h, w), bool)) | m
    region = np.zeros((h, w), bool)
    for lb in FACE_REGION:
        if lb in out:
            region |= out[lb]
    return region, out, conf


def _mesh_if_packaged(ctx: ParseContext, face) -> np.ndarray | None:
    """The face mesh too when its packaged file is here (the offline clothes rules need its geometry)."""
    from core.errors import ModelUnavailable

    try:
        got = face_mesh(ctx.photo.pixels, face, 1.0 / ctx.scale)
    except ModelUnavailable:
        return None
    return got[0] if got is not None else None


class FacePartsParser:
    name = "face_parts"

    def __init__(self, manager: ModelManager):
        self.manager = manager

    def run(self, ctx: ParseContext) -> ParseOutput:
        fo = ctx.need("faces")
        faces = fo.data if fo is not None else []
        po = ctx.need("person")
        owner = po.data.face_owner if po is not None and po.data is not None else {}
        full = self.manager.ready(ROLE)
        source = FULL_SOURCE if full else MESH_SOURCE
        results: list[FaceParts] = []
        parts: list[Part] = []
        for i, face in enumerate(faces):
            person = owner.get(i)
            if full:
                region, labels, conf = parse_face_full(self.manager, ctx, face)
                fp = FaceParts(i, region, labels, _mesh_if_packaged(ctx, face), FULL_SOURCE)
                score: float | None = conf
            else:
                image, scale = ctx.photo.pixels, 1.0 / ctx.scale
                got = face_mesh(image, face, scale)
                if got is None:
                    continue
                pts, _ = got
                region, labels = mesh_parts(ctx.shape, pts)
                fp = FaceParts(i, region, labels, pts, MESH_SOURCE)
                score = face.score
            results.append(fp)
            parts.append(Part("all faces", region, fp.source, score, person))
            for label, m in fp.labels.items():
                if label in ("face", "hair", "hat", "skin"):
                    continue  # person-level labels: the clothes parser reports those
                parts.append(Part(label, m, fp.source, None, person))
        return ParseOutput(parts=parts, data=results, source=source)


@PARSERS.register("face_parts")
def build(manager: ModelManager) -> FacePartsParser:
    return FacePartsParser(manager)
