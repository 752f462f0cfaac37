"""The eyes of a swapped face: a closed or nearly closed eye stays as the photo has it.

A gallery face's eyes are wide open. Warped onto a closed, squinting or downcast eye's outline they are squeezed,
yet still show their whites and irises: the eyes come out open and the expression changes (t1 #5's closed eyes,
round 5). Lowering the gallery face's lids (:func:`faces.blend.lower_lids`) only goes part of the way: the face
mesh cannot tell a closed eye from a downcast one, and a fully lowered lid drawn from the gallery face still
differs from the photo's. A shut eye shows lid skin and a lash line, little of who the person is; so for an eye
the mesh finds closed (openness under ``KEEP_SHUT``) the photo's own eye is put back onto the new face, carried
to where the swap moved that eye (an affine fit of its lid outline), faded in over a soft edge; between
``KEEP_SHUT`` and ``KEEP_OPEN`` only in part; an open eye keeps the new face's.
"""

from __future__ import annotations

import cv2
import numpy as np

from faces.geometry import padded_box
from faces.landmarks import LEFT_EYE, RIGHT_EYE
from faces.masks import polygon_mask
from faces.measures import EYE_LIDS, eye_openness

KEEP_SHUT = 0.19  # eye openness (faces.measures.eye_openness) under which the photo's own eye is kept whole:
# t1 #5's closed eyes read 0.15-0.18, t1 #4's far eye in profile 0.17 (the mesh never reads a shut eye as 0)
KEEP_OPEN = 0.23  # ... and over which the new face's eye is kept (the astronaut's open eyes: 0.33; Grace Hopper's
# behind glasses 0.25; t1's downcast and squinting eyes 0.20-0.25 are kept in part)
EYE_GROW = 0.02  # x face size: the kept eye reaches this far around its lid outline (the lashes; wider takes the lid
# crease and eye bags too, which carry identity: t1 #3 0.764 at 0.02, 0.743 at 0.045, hidden; t1 #5 at 0.01 half opens)
EYE_SOFT = 0.02  # x face size: the kept eye's soft edge


def eye_weights(mesh: np.ndarray) -> tuple[float, float]:
    """How much of each eye (image-left first, as :data:`faces.measures.EYE_LIDS`) is the photo's own: 1 for an
    eye the mesh finds shut (openness <= ``KEEP_SHUT``), 0 for an open one (>= ``KEEP_OPEN``), a smooth step
    between."""
    out = []
    for o in eye_openness(mesh):
        t = float(np.clip((KEEP_OPEN - o) / (KEEP_OPEN - KEEP_SHUT), 0.0, 1.0))
        out.append(t * t * (3 - 2 * t))
    return out[0], out[1]


def keep_eye_state(
    out: np.ndarray, photo: np.ndarray, mesh: np.ndarray, moved: np.ndarray, size: float, pasted: np.ndarray
) -> list[float]:
    """Put the photo's own closed eyes back onto a swapped face (in place on ``out``; only inside the bool
    ``pasted`` mask): per eye with a weight from :func:`eye_weights` of ``mesh`` (the face's own mesh on
    ``photo``), the eye region of ``photo`` (its lid outline grown by ``EYE_GROW`` x ``size``) carried by the
    affine map of its outline from ``mesh`` to ``moved`` (where the swap drew that eye) and faded in over
    ``EYE_SOFT`` x ``size``. Returns the two weights (0, 0: nothing changed)."""
    weights = list(eye_weights(mesh))
    # EYE_LIDS lists the image-left eye (33..133: RIGHT_EYE's loop) first
    for w, loop in zip(weights, (RIGHT_EYE, LEFT_EYE)):
        if w < 0.02:
            continue
        src, dst = mesh[loop].astype(np.float32), moved[loop].astype(np.float32)
        m, _ = cv2.estimateAffine2D(src, dst, method=cv2.LMEDS)
        if m is None:
            continue
        grow = max(1.0, EYE_GROW * size)
        soft = max(0.7, EYE_SOFT * size)
        x0, y0, x1, y1 = padded_box(dst, out.shape, grow + 3 * soft + 2)
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        shift = np.array([[1, 0, -x0], [0, 1, -y0]], np.float64)
        m = shift @ np.vstack([m, [0, 0, 1]])
        eye = cv2.warpAffine(photo, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        region = polygon_mask((y1 - y0, x1 - x0), dst - np.array([x0, y0], np.float32)).astype(np.uint8)
        k = 2 * round(grow) + 1
        region = cv2.dilate(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(np.float32)
        alpha = cv2.GaussianBlur(region, (0, 0), soft) * pasted[y0:y1, x0:x1] * w
        crop = out[y0:y1, x0:x1].astype(np.float32)
        crop += alpha[..., None] * (eye.astype(np.float32) - crop)
        out[y0:y1, x0:x1] = np.clip(crop + 0.5, 0, 255).astype(np.uint8)
    return weights


__all__ = ["EYE_LIDS", "KEEP_OPEN", "KEEP_SHUT", "eye_weights", "keep_eye_state"]
