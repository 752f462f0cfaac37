"""Face parts for every detected face: the face region, eyes, eyebrows, nose, lips.

Full backend (role ``face_parsing``, jonathandinu/face-parsing, a SegFormer trained on CelebAMask-HQ):
each face is cropped from the full-resolution photo (a square around the face box, ``CROP_SCALE`` times
its size), parsed at the model's size, and the labels are pasted back into the photo. Labels are
mapped by *name* from ``config.id2label`` (see ``FACE_PARSING_LABELS``).

Offline backend: the MediaPipe face mesh (``faces.landmarks.face_mesh``, packaged tflite, 468 landmarks;
Apache-2.0). Parts are polygons of the mesh (``faces.masks.mesh_parts``): face oval, eyes, eyebrows, lips,
nose (hull of the nose points, approximate).

Output ``data``: list of ``FaceParts`` (one per face, same order as the ``faces`` parser), parts
``all faces`` / ``eyes`` / ``eyebrows`` / ``nose`` / ``lips`` (+ ``ears``, ``glasses``, ``mouth``,
``face``, ``hair``, ``hat`` from the full backend) tagged with the person that owns the face.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from core.models import ModelManager
from faces.landmarks import face_mesh
from faces.masks import mesh_parts
from faces.types import Face
from segmenters.parsing import PARSERS, ParseContext, ParseOutput, Part

MESH_SOURCE = "face-mesh (offline)"
FULL_SOURCE = "segformer-face-parsing"
ROLE = "face_parsing"
CROP_SCALE = 1.9  # face-parsing crop side / larger side of the face box

# Full backend: CelebAMask-HQ label names -> Facet labels ("" = not a face part we report).
FACE_PARSING_LABELS = {
    "background": "",
    "skin": "face",
    "nose": "nose",
    "eye_g": "glasses",
    "l_eye": "eyes",
    "r_eye": "eyes",
    "l_brow": "eyebrows",
    "r_brow": "eyebrows",
    "l_ear": "ears",
    "r_ear": "ears",
    "mouth": "mouth",
    "u_lip": "lips",
    "l_lip": "lips",
    "hair": "hair",
    "hat": "hat",
    "ear_r": "earrings",
    "neck_l": "necklace",
    "neck": "skin",
    "cloth": "",
}
FACE_REGION = ("face", "nose", "glasses", "eyes", "eyebrows", "mouth", "lips")  # what "all faces" covers


@dataclass
class FaceParts:
    face: int  # index into the faces parser's list
    region: np.ndarray  # bool, work size: the whole face (oval, or the parsed face + features)
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # label -> bool work-size mask
    landmarks: np.ndarray | None = None  # (468, 2) work pixels (offline backend)
    source: str = ""


# -- full: SegFormer face parsing ------------------------------------------------------------------------


def parse_face_full(
    manager: ModelManager, ctx: ParseContext, face: Face
) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
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
    crop = cv2.copyMakeBorder(
        ctx.photo.pixels[max(0, py0) : min(H, py1), max(0, px0) : min(W, px1)],
        max(0, -py0),
        max(0, py1 - H),
        max(0, -px0),
        max(0, px1 - W),
        cv2.BORDER_REPLICATE,
    )
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
            m[oy + sy0 : oy + sy1, ox + sx0 : ox + sx1] = labels[sy0:sy1, sx0:sx1] == idx
        out[label] = out.get(label, np.zeros((h, w), bool)) | m
    region = np.zeros((h, w), bool)
    for lb in FACE_REGION:
        if lb in out:
            region |= out[lb]
    return region, out, conf


def _mesh_if_packaged(ctx: ParseContext, face: Face) -> np.ndarray | None:
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
