"""What lies in front of a face (a microphone, a cup, a bar, a dark sleeve) inside its oval: the pixels a swap must
leave as they are, keep out of its colour and light statistics, and whose landmarks the expression check cannot read.

The cue is the skin / hair parser's answer (PAN, ``segmenters.nets.pan_probabilities``, computed by the caller: this
room imports core/ only) joined with the face's own skin colour and the object's shape: a pixel is in front of the face
when PAN calls it neither skin nor hair, its colour is far from the skin's (the median Lab colour of the oval's PAN
skin), and it belongs to a solid piece (it survives an opening ``OCC_OPEN`` x face size wide: glasses frames, brows,
nostrils and the lips' line do not) that covers a share of the oval and runs out past the oval's edge (an object comes
from somewhere; the eyes, the open mouth, a shadow in the cheek lie inside). PAN alone is noisy on a face crop (a
forehead's shine, t1 #5, comes out neither skin nor hair); the colour alone takes beards, lips and shadows; the mesh
alone sees nothing (it draws a whole face under the object).

Not found: a hand (PAN calls a hand skin, a brown one on a pale face too), a white or grey object on a colour photo
(told from shine by nothing here), anything brighter than the skin on a grey photo. A find covering most of the face
is not trusted (``OCC_MAX``).
"""

from __future__ import annotations

import cv2
import numpy as np

from faces.landmarks import FACE_OVAL
from faces.masks import polygon_mask
from faces.types import Face

OCC_SKIN = 0.5  # PAN's skin probability under this ...
OCC_HAIR = 0.5  # ... and its hair probability under this: neither skin nor hair
OCC_COLOUR = 18.0  # Lab distance (Delta E 76) from the skin's median colour: another colour than the skin's
OCC_HUE = 0.3  # radians: a brighter piece of another hue than the skin's (a brighter one of its hue is shine)
OCC_CHROMA = 8.0  # Lab chroma: a hue is read only on a pixel this colourful
OCC_OPEN = 0.07  # x face size: the opening that leaves only solid pieces (glasses frames are ~0.02-0.04 wide)
OCC_DEEP = 0.1  # x face size: the oval's edge band (a turned face's oval takes in the backdrop there) ...
OCC_SHARE = 0.03  # ... left out, a piece covers at least this share of the face oval inside it ...
OCC_OUTSIDE = 0.01  # ... and at least this share of the oval's area of it lies outside the oval
OCC_MAX = 0.6  # a find covering more of the face oval than this is not trusted (nothing is returned)
OCC_EDGE = 0.05  # x face size: the band around a piece where its edge is told from the skin by colour
OCC_CLOSE = 0.05  # x face size: the closing that fills the specks and seams that band leaves in the object
OCC_SIDE = 320  # px: PAN's input side for a face crop no larger than this (a larger one: the file's own, 512 px).
# 512 px enlarged a ~100 px face's 200-260 px crop 2-2.5 times for nothing: at 320 PAN runs in about half the CPU
# (t1's faces, interleaved on a loaded host: the check 50-86 -> 30-41 ms) and finds the same (tests/test_anonymize_occluders: the red cup over t1 #0,
# the microphone, the bar, IoU >= 0.9 with the 512 px find; nothing on the open faces of the faces_bench photos);
# 256 px lost a fifth of the cup and 384 px read a speck on basketball1's 36 px face (bench: none either way)


def occluder_side(crop_shape: tuple[int, ...], full: int) -> int:
    """PAN's input side for a crop of ``crop_shape`` (HxW...): ``OCC_SIDE`` when the crop fits in it (it is only
    enlarged), else ``full`` (the net's own side)."""
    return OCC_SIDE if max(crop_shape[:2]) <= OCC_SIDE else full


def occluders(
    crop: np.ndarray, face: Face, origin: tuple[int, int], skin_p: np.ndarray, hair_p: np.ndarray
) -> np.ndarray:
    """Bool mask of ``crop`` (RGB uint8, its top-left at ``origin`` in the photo): the pieces in front of ``face``
    (see the module's docstring), all False when there are none or the face has no mesh. ``skin_p``, ``hair_p``:
    PAN's skin and hair probabilities (float HxW of the crop)."""
    h, w = crop.shape[:2]
    none = np.zeros((h, w), bool)
    if face.mesh is None:
        return none
    oval = polygon_mask((h, w), face.mesh[FACE_OVAL] - np.array(origin, np.float32))
    area = int(oval.sum())
    if area < 64:
        return none
    lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    skin = oval & (skin_p >= OCC_SKIN)
    if skin.sum() < 0.2 * area:  # too little skin seen to know its colour
        return none
    tone = np.median(lab[skin], axis=0)
    far = np.linalg.norm(lab - tone, axis=2) > OCC_COLOUR
    hue_gap = np.abs(np.angle(np.exp(1j * (np.arctan2(lab[..., 2], lab[..., 1]) - np.arctan2(tone[2], tone[1])))))
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    # darker than the skin, or of another hue (with a colour to tell it by); a brighter patch of the skin's own hue or
    # a greyer one is shine (t1 #5's forehead: PAN calls it neither skin nor hair), so a white cup is not found, and on
    # a grey photo only what is darker than the skin
    far &= (lab[..., 0] < tone[0]) | ((hue_gap > OCC_HUE) & (chroma > OCC_CHROMA))
    cand = ((skin_p < OCC_SKIN) & (hair_p < OCC_HAIR) & far).astype(np.uint8)
    k = max(3, round(OCC_OPEN * face.size) | 1)
    cand = cv2.morphologyEx(cand, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels = cv2.connectedComponents(cand, connectivity=8)
    if n < 2:
        return none
    d = max(1, round(OCC_DEEP * face.size))
    deep = cv2.erode(oval.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * d + 1,) * 2)) > 0
    inside = np.bincount(labels[deep], minlength=n)
    outside = np.bincount(labels[~oval], minlength=n)
    keep = (inside >= OCC_SHARE * area) & (outside >= OCC_OUTSIDE * area)
    keep[0] = False
    if not keep.any():
        return none
    strong = keep[labels]
    # PAN's answer is coarse (a 512 px map of a whole crop): at the object's edge the pixels nearer its own colour (the
    # median of what was found) than the skin's, within ``OCC_EDGE`` x face size of it, are the object too
    obj = np.median(lab[strong], axis=0)
    closer = np.linalg.norm(lab - obj, axis=2) < np.linalg.norm(lab - tone, axis=2)
    b = max(2, round(OCC_EDGE * face.size))
    band = cv2.dilate(strong.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * b + 1,) * 2)) > 0
    found = strong | (band & closer)
    c = max(3, round(OCC_CLOSE * face.size) | 1)  # and the specks and seams left between (no skin dots on the object)
    found = cv2.morphologyEx(
        found.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (c, c))
    )
    found = found > 0
    if (found & oval).sum() > OCC_MAX * area:  # most of the face "hidden": a misread (the skin's colour taken from the
        return none  # object), not a face to swap around; the swap goes on as without
    return found


def hidden_points(mesh: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Bool (N,): which points of ``mesh`` (N, 2; photo pixels) fall on ``mask`` (bool, photo size)."""
    h, w = mask.shape
    x = np.clip(np.round(mesh[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(mesh[:, 1]).astype(int), 0, h - 1)
    return mask[y, x]
