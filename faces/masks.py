"""Face-shaped masks (bool HxW of the image's size unless said otherwise): the face outline, an open
mouth, the head cover of the fallbacks, the parts of the face mesh, hair over the forehead and glasses
frames running past the face's edge, and the soft inner alpha used to paste through them."""

from __future__ import annotations

import math

import cv2
import numpy as np

from faces.geometry import padded_box
from faces.landmarks import FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS, MOUTH_INNER, NOSE, RIGHT_BROW, RIGHT_EYE
from faces.types import Face


def polygon_mask(shape: tuple[int, ...], pts: np.ndarray) -> np.ndarray:
    """Bool mask of ``shape``'s height and width, filled inside the polygon ``pts`` (N, 2; sub-pixel)."""
    m = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return m.astype(bool)


def face_polygon(face: Face) -> np.ndarray:
    """The face outline (N, 2): mesh face oval, else the 106-point jaw + brows, else an ellipse around the kps."""
    if face.mesh is not None:
        return face.mesh[FACE_OVAL]
    if face.landmarks106 is not None:
        return cv2.convexHull(face.landmarks106.astype(np.float32))[:, 0]
    cx, cy = face.centre
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    return np.stack([cx + 0.45 * face.width * np.cos(t), cy + 0.55 * face.height * np.sin(t)], 1).astype(np.float32)


def face_mask(shape: tuple[int, ...], face: Face) -> np.ndarray:
    """Bool HxW face-shaped mask (the face oval), photo size."""
    return polygon_mask(shape, face_polygon(face))


def mouth_open_mask(shape: tuple[int, ...], face: Face) -> np.ndarray | None:
    """The inside of an open mouth (teeth/tongue) from the mesh, or None when closed / no mesh."""
    if face.mesh is None:
        return None
    pts = face.mesh[MOUTH_INNER]
    area = cv2.contourArea(pts.astype(np.float32))
    if area < 0.002 * face.size**2:
        return None
    return polygon_mask(shape, pts)


def cover_mask(shape: tuple[int, ...], face: Face, grow: float) -> np.ndarray:
    """The face-shaped mask grown by ``grow`` x face size (so blur / pixels / fill cover the whole face)."""
    k = max(1, round(grow * face.size))
    poly = face_polygon(face)
    x0, y0, x1, y1 = padded_box(poly, shape, k + 2)  # work in a crop: the kernel may be large
    m = polygon_mask((y1 - y0, x1 - x0), poly - np.array([x0, y0], np.float32)).astype(np.uint8)
    out = np.zeros(shape[:2], bool)
    out[y0:y1, x0:x1] = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))) > 0
    return out


def _poly(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    return m.astype(bool)


def mesh_parts(shape: tuple[int, int], pts: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The face oval and the masks of eyes, eyebrows, nose (hull, approximate) and lips of a face mesh."""
    region = _poly(shape, pts[FACE_OVAL])
    labels = {
        "eyes": _poly(shape, pts[LEFT_EYE]) | _poly(shape, pts[RIGHT_EYE]),
        "eyebrows": _poly(shape, pts[LEFT_BROW]) | _poly(shape, pts[RIGHT_BROW]),
        "nose": _poly(shape, cv2.convexHull(pts[NOSE].astype(np.float32))[:, 0]),
        "lips": _poly(shape, pts[LIPS]) & ~_poly(shape, pts[MOUTH_INNER]),
    }
    return region, labels


def inner_alpha(mask: np.ndarray, width: float) -> np.ndarray:
    """Float32 alpha: 0 outside ``mask``, rising smoothly to 1 at ``width`` px inside (0 exactly outside)."""
    m = np.pad(mask.astype(np.uint8), 1)
    d = cv2.distanceTransform(m, cv2.DIST_L2, 5)[1:-1, 1:-1]
    t = np.clip(d / max(width, 1e-3), 0, 1)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def forehead_hair(crop: np.ndarray, face: Face, origin: tuple[int, int], oval: np.ndarray) -> np.ndarray:
    """Bool mask of ``crop``: hair over the forehead: above the brows, within 0.2 x face size of the face
    oval's edge (``oval``, bool crop), far from the cheeks' skin colour and not a highlight on the skin.

    The face oval reaches up to the hairline and often over a fringe; swapping those pixels would cut
    the hair off with a skin-coloured patch, so they are left as they are.
    """
    mesh = face.mesh - np.array(origin, np.float32)
    lab = cv2.cvtColor(crop.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    h, w = crop.shape[:2]
    r = max(2, round(0.04 * face.size))
    samples = []
    for i in (50, 280, 205, 425):  # cheek points of the face mesh
        x, y = (int(round(v)) for v in mesh[i])
        if 0 <= x < w and 0 <= y < h:
            samples.append(lab[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].reshape(-1, 3))
    if not samples:
        return np.zeros((h, w), bool)
    skin = np.median(np.concatenate(samples), axis=0)
    hue = np.arctan2(lab[..., 2], lab[..., 1])
    hue_gap = np.abs(np.angle(np.exp(1j * (hue - math.atan2(skin[2], skin[1])))))
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    # darker than skin (dark hair), or of another hue (blond, red, grey hair); a brighter patch of the
    # skin's own hue is shine, not hair
    far = (lab[..., 0] < skin[0] - 14) | ((hue_gap > 0.3) & (chroma > 8)) | (chroma < 0.4 * np.hypot(skin[1], skin[2]))
    edge = cv2.distanceTransform(np.pad(oval.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    far &= edge < 0.2 * face.size
    top = float(mesh[LEFT_BROW + RIGHT_BROW][:, 1].min())
    far[int(max(0, top)) :] = False
    k = max(3, round(0.03 * face.size) | 1)
    far = cv2.morphologyEx(far.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.dilate(far, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)


EYE_LOWER = (  # the lower-lid points of the face mesh (as faces.measures.EYE_LIDS), image-left eye first
    (33, 133, (160, 159, 158), (144, 145, 153)),
    (263, 362, (387, 386, 385), (373, 374, 380)),
)
FRAME_KERNEL = 0.05  # x face size: frame_lines' black-hat kernel (dark structures thinner than this are lines)
FRAME_FEATURE_GROW = 0.02  # x face size: the eyes and brows left out of frame_lines' test, grown by this


def frame_lines(
    photo: np.ndarray,
    face: Face,
    mask: np.ndarray,
    box: tuple[int, int, int, int],
    kernel: float = 0.0,
    rims: bool = False,
) -> np.ndarray | None:
    """Bool crop of ``box``: thin dark lines (glasses frames) near eye level that cross the face mask's edge,
    inside and outside it, slightly grown; None when there are none.

    A line counts when one connected thin dark structure (grey-level black-hat) lies both well inside the
    mask (a lens rim) and outside it (the temple), so eyebrows (inside only) and hair (outside only) do
    not. The swap paints these out of the photo before pasting: outside the mask (where the swap does not
    reach) and in the mask's soft edge (where the photo would show through as a ghost of the frame).
    """
    x0, y0, x1, y1 = box
    size = face.size
    grey = cv2.cvtColor(photo[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
    k = max(3, round((kernel or FRAME_KERNEL) * size) | 1)
    bh = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    eye_y = float(face.mesh[LEFT_EYE + RIGHT_EYE][:, 1].mean()) - y0
    band = np.zeros(grey.shape, bool)
    band[max(0, int(eye_y - 0.15 * size)) : int(eye_y + 0.15 * size)] = True
    lines = (bh > 18) & band
    n, labels = cv2.connectedComponents(lines.astype(np.uint8), connectivity=8)
    if n < 2:
        return None
    # the test runs on the lines off the eyes and brows (grown by FRAME_FEATURE_GROW x face size): a squinting eye
    # or a brow at the edge of a turned face is a thin dark structure that crosses the mask's edge too (t1 #3,
    # tom_hanks: their eye painted out as a "frame"); a frame still crosses the edge off them (rims, temples)
    feats = np.zeros(grey.shape, np.uint8)
    for idx in (LEFT_EYE, RIGHT_EYE, LEFT_BROW, RIGHT_BROW):
        cv2.fillConvexPoly(feats, cv2.convexHull(np.round(face.mesh[idx] - (x0, y0)).astype(np.int32)), 1)
    g = max(1, round(FRAME_FEATURE_GROW * size))
    feats = cv2.dilate(feats, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))) > 0
    m = mask[y0:y1, x0:x1]
    deep = cv2.erode(m.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    off = labels * ~feats
    inside = np.bincount(off[deep], minlength=n)
    outside = np.bincount(off[~m], minlength=n)
    keep = (inside >= max(8, 0.15 * size)) & (outside >= 3)
    if rims:  # and it runs on under the eyes (a lens rim); a brow's tail into the hair at a tilted face's edge does
        # not (t1 #5 at the wider kernel 0.08)
        lids = face.mesh[[p for _, _, _, lower in EYE_LOWER for p in lower]][:, 1] - y0
        low = np.zeros(grey.shape, bool)
        low[max(0, int(lids.max() + 0.03 * size)) :] = True
        keep &= np.bincount(off[deep & low], minlength=n) >= max(4, 0.03 * size)
        # and the frames found hold both eyes: lines off the features near each eye (within 0.3 x face size)
        yy, xx = np.mgrid[0 : grey.shape[0], 0 : grey.shape[1]]
        for eye in (LEFT_EYE, RIGHT_EYE):
            cx, cy = face.mesh[eye].mean(0) - (x0, y0)
            near = np.hypot(xx - cx, yy - cy) < 0.3 * size
            if not (keep[off[deep & near]] & (off[deep & near] > 0)).any():
                return None
    keep[0] = False
    if not keep.any():
        return None
    return cv2.dilate(keep[labels].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


LENS_BELOW = 0.35  # x face size: a lens rim reaches this far under the eyes' centre line (frame_lines' band: 0.15)
LENS_NEAR = 0.32  # x face size: ... and lies within this of an eye's centre


def lens_rims(
    photo: np.ndarray, face: Face, lines: np.ndarray, box: tuple[int, int, int, int], kernel: float = 0.0
) -> np.ndarray:
    """Bool crop of ``box``: the glasses frames ``lines`` (frame_lines' bool crop of ``box``, on a face found to wear
    glasses) with the rest of each lens rim: the thin dark lines (the same black-hat and level as frame_lines) around
    the eyes (within ``LENS_NEAR`` x face size of an eye's centre, down to ``LENS_BELOW`` under the eyes' line, inside
    the face oval: an ear's outline against the backdrop is no rim) that connect to them, the eyes left out. frame_lines looks only within 0.15 x face size of the eyes' line
    (wide enough to tell glasses, and no lower: a crease crossing the face's edge is no frame); a lens's lower rim
    lies below that (grace_hopper: 0.2 face sizes under her eyes), and was left in the photo the swap reads its
    anti-face and light from: faint lens outlines on the new face. A hysteresis on connection, so nothing is added to
    a face whose frames were not found."""
    x0, y0, x1, y1 = box
    size = face.size
    grey = cv2.cvtColor(photo[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
    k = max(3, round((kernel or FRAME_KERNEL) * size) | 1)
    bh = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    mesh = face.mesh - np.array([x0, y0], np.float32)
    eye_y = float(mesh[LEFT_EYE + RIGHT_EYE][:, 1].mean())
    band = np.zeros(grey.shape, bool)
    band[max(0, int(eye_y - 0.15 * size)) : max(0, int(eye_y + LENS_BELOW * size))] = True
    yy, xx = np.mgrid[0 : grey.shape[0], 0 : grey.shape[1]]
    near = np.zeros(grey.shape, bool)
    eyes = np.zeros(grey.shape, np.uint8)
    for idx in (LEFT_EYE, RIGHT_EYE):
        cx, cy = mesh[idx].mean(0)
        near |= np.hypot(xx - cx, yy - cy) < LENS_NEAR * size
        cv2.fillConvexPoly(eyes, cv2.convexHull(np.round(mesh[idx]).astype(np.int32)), 1)
    g = max(1, round(FRAME_FEATURE_GROW * size))
    eyes_g = cv2.dilate(eyes, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))) > 0
    inside = polygon_mask(grey.shape, mesh[FACE_OVAL])  # a lens lies on the face (the temples are frame_lines')
    weak = ((bh > 18) & band & near & inside & ~eyes_g) | lines
    n, labels = cv2.connectedComponents(weak.astype(np.uint8), connectivity=8)
    hit = np.zeros(n, bool)
    hit[np.unique(labels[lines])] = True
    hit[0] = False
    rims = cv2.dilate(hit[labels].astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return rims | lines


def lens_areas(rims: np.ndarray, face: Face, box: tuple[int, int, int, int]) -> np.ndarray:
    """Bool crop of ``box``: what glasses lens rims (``rims``, bool crop of ``box``: :func:`frame_lines` /
    :func:`lens_rims`) enclose near the eyes: the holes in them no path from the box's edge reaches, within
    ``LENS_NEAR`` x face size of an eye's centre (the lenses, eyes included; a loop of frame far from the eyes is no
    lens)."""
    x0, y0, _, _ = box
    flood = np.pad(rims.astype(np.uint8), 1)
    cv2.floodFill(flood, np.zeros((flood.shape[0] + 2, flood.shape[1] + 2), np.uint8), (0, 0), 1)
    holes = (flood == 0)[1:-1, 1:-1]
    yy, xx = np.mgrid[0 : rims.shape[0], 0 : rims.shape[1]]
    near = np.zeros(rims.shape, bool)
    for idx in (LEFT_EYE, RIGHT_EYE):
        cx, cy = face.mesh[idx].mean(0) - (x0, y0)
        near |= np.hypot(xx - cx, yy - cy) < LENS_NEAR * face.size
    return holes & near
