"""Face geometry: boxes around points, triangulation, the piecewise-affine mesh warp, moving a face's
identity-bearing proportions, and how far the expression landmarks moved (all in pixels of one image)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from faces.landmarks import FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS, MOUTH_INNER, NOSE, RIGHT_BROW, RIGHT_EYE


def padded_box(pts: np.ndarray, shape: tuple[int, ...], pad: float) -> tuple[int, int, int, int]:
    """The XYXY int box around points (N, 2) grown by ``pad`` px, clipped to an image of ``shape``."""
    h, w = shape[:2]
    x0, y0 = np.floor(pts.min(0) - pad).astype(int)
    x1, y1 = np.ceil(pts.max(0) + pad).astype(int)
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


def mask_box(mask: np.ndarray, pad: float) -> tuple[int, int, int, int]:
    """:func:`padded_box` of the pixels of a bool ``mask`` (not empty), without listing them (a whole photo's mask:
    ``np.argwhere`` took 4 ms)."""
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask, dtype=np.uint8))
    return padded_box(np.array([[x, y], [x + w - 1, y + h - 1]], np.float32), mask.shape, pad)


def triangulate(pts: np.ndarray) -> np.ndarray:
    """Delaunay triangles (T, 3) of points (N, 2), slivers removed."""
    from scipy.spatial import Delaunay

    tri = Delaunay(pts.astype(np.float64)).simplices
    a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
    area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
    return tri[area > 1e-3 * np.median(area)].astype(np.int32)


def warp_mesh(
    src: np.ndarray,
    src_pts: np.ndarray,
    dst_pts: np.ndarray,
    tris: np.ndarray,
    box: tuple[int, int, int, int],
    dst_depth: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-affine warp of ``src`` so that ``src_pts`` land on ``dst_pts``; rendered in ``box`` (XYXY ints).

    Returns (RGB crop of the box's size, bool crop "covered by a triangle"). One remap for all triangles
    (a triangle-id raster picks each pixel's affine map), so no seams between triangles. With ``dst_depth``
    (per point, smaller = nearer), triangles are drawn far to near, so where a turned face folds over
    itself (the nose over the far cheek) the near surface wins.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    ids = np.zeros((h, w), np.int32)
    d = (dst_pts - np.array([x0, y0], np.float32)).astype(np.float32)
    fixed = np.round(d * 16).astype(np.int32)
    order = np.arange(len(tris)) if dst_depth is None else np.argsort(-dst_depth[tris].mean(1), kind="stable")
    polys = fixed[tris[order]]  # (T, 3, 2), gathered once: a per-triangle gather was 2/3 of the loop's time
    for t, poly in zip(order.tolist(), polys, strict=True):
        cv2.fillConvexPoly(ids, poly, t + 1, lineType=cv2.LINE_8, shift=4)
    # per-triangle affine maps dst -> src: [x y 1] @ A = [sx sy]
    D = np.concatenate([d[tris], np.ones((len(tris), 3, 1), np.float32)], axis=2).astype(np.float64)
    S = src_pts[tris].astype(np.float64)
    try:
        A = np.linalg.solve(D, S)  # (T, 3, 2)
    except np.linalg.LinAlgError:  # a degenerate (zero-area) triangle: least squares
        A = np.linalg.pinv(D) @ S
    covered = ids > 0
    yy, xx = np.nonzero(covered)
    At = A[ids[covered] - 1]
    mapx = np.zeros((h, w), np.float32)
    mapy = np.zeros((h, w), np.float32)
    mapx[covered] = xx * At[:, 0, 0] + yy * At[:, 1, 0] + At[:, 2, 0]
    mapy[covered] = xx * At[:, 0, 1] + yy * At[:, 1, 1] + At[:, 2, 1]
    warped = cv2.remap(src, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return warped, covered


def _region_weight(mesh: np.ndarray, idx: list[int], radius: float, frozen: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(mesh[:, None] - mesh[idx][None], axis=2).min(1)
    w = np.clip(1 - d / radius, 0, 1)
    w = w * w * (3 - 2 * w)
    w[frozen] = 0
    return w


RESHAPE = {"eye": -0.25, "spread": -0.02, "mouth": 0.15, "nose": -0.55}  # per unit of ``amount``


def identity_reshape(
    mesh: np.ndarray,
    size: float,
    amount: float = 1.0,
    nose: float | None = None,
    eyes_up: float = 0.0,
    mouth_down: float = 0.0,
) -> np.ndarray:
    """Move the identity-bearing proportions of a face mesh, keep its expression and outline.

    Each eye (with its brow) is scaled about its own centre (smaller, so an open/closed eye stays so) and
    moved towards the other, and the mouth widened about its centre (its opening is kept): these move the
    expression landmarks, so ``amount`` is what the anonymizer sizes against the 3 % budget. The nose
    is narrowed by ``nose`` (default ``amount``; the nose is not an expression landmark, so it may move
    more). ``eyes_up`` / ``mouth_down`` (fractions of the face size, times ``amount``) move the eyes with
    their brows up, the mouth down, along the face's own vertical (the face's proportions between eyes, nose
    and mouth). The face oval does not move. 0 returns the mesh unchanged.
    """
    nose = amount if nose is None else nose
    if amount <= 0 and nose <= 0:
        return mesh
    eye, spread = RESHAPE["eye"] * amount, RESHAPE["spread"] * amount
    m = mesh.astype(np.float64).copy()
    frozen = np.zeros(len(m), bool)
    frozen[FACE_OVAL] = True
    ex = mesh[LEFT_EYE].mean(0) - mesh[RIGHT_EYE].mean(0)
    ex = ex / max(float(np.linalg.norm(ex)), 1e-6)
    mid = mesh[LEFT_EYE + RIGHT_EYE].mean(0)
    for idx in (LEFT_EYE, RIGHT_EYE):  # the brows follow only partly (within the region's fall-off)
        c = mesh[idx].mean(0)
        w = _region_weight(mesh, idx, 0.09 * size, frozen)[:, None]
        side = np.sign((c - mid) @ ex)
        m += w * (eye * (mesh - c) + spread * size * side * ex)
    for idx, k, r in ((NOSE, RESHAPE["nose"] * nose, 0.07), (LIPS, RESHAPE["mouth"] * amount, 0.08)):
        c = mesh[idx].mean(0)
        w = _region_weight(mesh, idx, r * size, frozen)[:, None]
        m += w * (k * ((mesh - c) @ ex)[:, None] * ex)
    down = np.array([-ex[1], ex[0]])  # the face's "down", perpendicular to the eye line
    if down[1] < 0:
        down = -down
    for idx, k, r in (
        (LEFT_EYE + RIGHT_EYE + LEFT_BROW + RIGHT_BROW, -eyes_up, 0.06),
        (LIPS + MOUTH_INNER, mouth_down, 0.05),
    ):
        if k:
            m += _region_weight(mesh, idx, r * size, frozen)[:, None] * (k * amount * size) * down
    return m.astype(np.float32)


def similarity_fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity transform taking ``src`` points onto ``dst`` (Umeyama)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    cov = b.T @ a / len(src)
    u, sv, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    r = u @ np.diag([1.0, d]) @ vt
    s = (sv * np.array([1.0, d])).sum() / max(float((a * a).sum() / len(src)), 1e-9)
    t = md - s * r @ ms
    return np.concatenate([s * r, t[:, None]], 1)


def expression_shift(
    before: np.ndarray, after: np.ndarray, size: float, hidden: np.ndarray | None = None
) -> dict[str, float]:
    """How far the expression landmarks moved between two face meshes, relative to the face.

    ``after`` is first aligned onto ``before`` by the similarity transform of their face ovals (so a
    moved or scaled head is not counted), then the mean movement of the mouth, eye and brow points is
    taken, as a fraction of the face size. Returns {"mouth", "eyes", "brows", "max"}.

    ``hidden``: bool (N,), the points hidden in ``before``'s photo (behind a hand, a microphone): left out of the fit
    and the means (a group all hidden moved 0); the mesh drew them as a guess, and a face pasted over the object
    lets it find them elsewhere.
    """
    seen = np.ones(len(before), bool) if hidden is None else ~np.asarray(hidden, bool)
    oval = [i for i in FACE_OVAL if seen[i]]
    oval = oval if len(oval) >= 6 else FACE_OVAL
    A = similarity_fit(after[oval].astype(np.float64), before[oval].astype(np.float64))
    aligned = after.astype(np.float64) @ A[:, :2].T + A[:, 2]
    groups = {"mouth": LIPS + MOUTH_INNER, "eyes": LEFT_EYE + RIGHT_EYE, "brows": LEFT_BROW + RIGHT_BROW}
    out = {}
    for k, v in groups.items():
        pts = [i for i in v if seen[i]]
        out[k] = float(np.linalg.norm(aligned[pts] - before[pts], axis=1).mean() / max(size, 1.0)) if pts else 0.0
    out["max"] = max(out.values())
    return out


def head_reshape(mesh: np.ndarray, size: float, width: float = 0.0, chin: float = 0.0) -> np.ndarray:
    """Move the face's outline, keep the layout of its features (an identity-bearing change of face shape).

    ``width``: the whole face (outline and features) scaled across by ``1 + width`` about its centre, along
    the eye line; ``chin``: the points below the mouth moved along the face's own "down" by up to
    ``chin`` x ``size`` (0 at the mouth, all of it at the chin): a longer (> 0) or shorter chin. Expression
    is measured against the face oval (:func:`expression_shift`), so these cost a little of its budget
    (about 1 % for an 8 % width change). 0, 0 returns the mesh unchanged.
    """
    if not width and not chin:
        return mesh
    ex = mesh[LEFT_EYE].mean(0) - mesh[RIGHT_EYE].mean(0)
    ex = ex / max(float(np.linalg.norm(ex)), 1e-6)
    down = np.array([-ex[1], ex[0]])
    if down[1] < 0:
        down = -down
    c = mesh[FACE_OVAL].mean(0)
    p = mesh.astype(np.float64) - c
    u, v = p @ ex, p @ down
    mouth = float((p[LIPS] @ down).max())
    v = v + chin * size * np.clip((v - mouth) / max(float(v.max()) - mouth, 1.0), 0, 1)
    return (c + np.outer(u * (1 + width), ex) + np.outer(v, down)).astype(np.float32)


def _tps_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """r^2 log r between every point of ``a`` (N, 2) and ``b`` (M, 2): (N, M), 0 where r = 0."""
    r2 = np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * (a @ b.T), 0)
    return r2 * np.log(np.maximum(r2, np.finfo(r2.dtype).tiny)) / 2


def thin_plate_spline(
    centers: np.ndarray, values: np.ndarray, smoothing: float = 0.0
) -> Callable[[np.ndarray], np.ndarray]:
    """The smoothing thin-plate spline (kernel r^2 log r plus a linear polynomial) through ``values`` (N, K)
    at ``centers`` (N, 2): the interpolant of ``scipy.interpolate.RBFInterpolator(kernel="thin_plate_spline",
    smoothing=...)`` (the same linear system, polynomial on centred and scaled coordinates), without its
    import (half a second on first use). Returns a function of query points (M, 2) -> (M, K)."""
    c = centers.astype(np.float64)
    lo, hi = c.min(0), c.max(0)
    shift, scale = (hi + lo) / 2, np.where(hi > lo, (hi - lo) / 2, 1.0)

    def poly(x: np.ndarray) -> np.ndarray:
        return np.concatenate([np.ones((len(x), 1)), (x - shift) / scale], 1)

    n = len(c)
    p = poly(c)
    lhs = np.zeros((n + 3, n + 3))
    lhs[:n, :n] = _tps_kernel(c, c) + smoothing * np.eye(n)
    lhs[:n, n:] = p
    lhs[n:, :n] = p.T
    rhs = np.zeros((n + 3, values.shape[1]))
    rhs[:n] = values
    coeffs = np.linalg.solve(lhs, rhs)

    c32, w32 = (c - shift).astype(np.float32), coeffs[:n].astype(np.float32)

    def evaluate(x: np.ndarray) -> np.ndarray:
        """The kernel part in float32 on centred coordinates (within ~1e-3 px of float64, a third of its time)."""
        q = x.astype(np.float64)
        return (_tps_kernel((q - shift).astype(np.float32), c32) @ w32).astype(np.float64) + poly(q) @ coeffs[n:]

    return evaluate


def warp_around(
    images: list[np.ndarray],
    src_pts: np.ndarray,
    dst_pts: np.ndarray,
    region: np.ndarray,
    reach: float,
    keep: np.ndarray | None = None,
) -> tuple[list[np.ndarray], tuple[int, int, int, int]]:
    """Smoothly warp each image (RGB uint8, all of one size) so that ``src_pts`` land on ``dst_pts`` (a
    thin-plate spline through the points), fading to no movement at ``reach`` px outside the bool ``region``
    (e.g. the face mask): the head's outline moves with the face, the photo beyond stays bit-identical.
    ``keep`` (bool, photo size; e.g. the other faces): pixels that must not move; the movement fades out
    towards them over ``reach`` / 2 px, so nothing tears at their edge.

    Returns (warped copies of the images, the XYXY box outside which nothing changed).
    """
    outs = [img.copy() for img in images]
    if not region.any():
        return outs, (0, 0, 0, 0)
    x0, y0, x1, y1 = mask_box(region, reach + 2)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return outs, (x0, y0, x1, y1)
    step = 4
    gy, gx = np.mgrid[y0:y1:step, x0:x1:step]
    # the map is dst -> src: each output pixel fetches the photo at its displaced place
    spline = thin_plate_spline(dst_pts[::2], src_pts[::2] - dst_pts[::2], smoothing=1.0)
    grid = spline(np.stack([gx.ravel(), gy.ravel()], 1)).reshape(gx.shape + (2,)).astype(np.float32)
    disp = cv2.resize(grid, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    outside = cv2.distanceTransform((~region[y0:y1, x0:x1]).astype(np.uint8), cv2.DIST_L2, 5)
    fade = np.clip(1 - outside / max(reach, 1.0), 0, 1)
    if keep is not None and keep[y0:y1, x0:x1].any():
        near = cv2.distanceTransform((~keep[y0:y1, x0:x1]).astype(np.uint8), cv2.DIST_L2, 5)
        fade = np.minimum(fade, np.clip(near / max(reach / 2, 1.0), 0, 1))
    fade = (fade * fade * (3 - 2 * fade))[..., None]
    disp *= fade
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    still = fade[..., 0] <= 0
    for img, out in zip(images, outs):
        warped = cv2.remap(img, xx + disp[..., 0], yy + disp[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        warped[still] = img[y0:y1, x0:x1][still]
        out[y0:y1, x0:x1] = warped
    return outs, (x0, y0, x1, y1)


JAW = (172, 397)  # face-mesh points at the jaw's angles (gonion, image left / right)
CHEEK = (234, 454)  # the widest points of the face oval (zygion)
CHIN, BROW_TOP = 152, 10  # the chin's lowest point (menton), the oval's top (upper forehead, under the hair)
PINNED = LEFT_EYE + RIGHT_EYE + LEFT_BROW + RIGHT_BROW + LIPS + MOUTH_INNER  # the expression landmarks


def face_frame(mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The face's own frame: (centre of the oval, unit eye line ``ex`` (image left -> right eye), unit ``down``)."""
    ex = mesh[LEFT_EYE].mean(0) - mesh[RIGHT_EYE].mean(0)
    ex = ex / max(float(np.linalg.norm(ex)), 1e-6)
    down = np.array([-ex[1], ex[0]])
    if down[1] < 0:
        down = -down
    return mesh[FACE_OVAL].mean(0).astype(np.float64), ex.astype(np.float64), down


def shape_of(mesh: np.ndarray) -> dict[str, float]:
    """The identity-bearing proportions of a face mesh, as ratios in the face's own frame (so the face's size,
    place and roll do not count): ``jaw`` (jaw width / cheek width, across), ``chin`` (mouth-to-chin / eyes-to-mouth,
    down) and ``forehead`` (oval top-to-eyes / eyes-to-mouth, down). The mouth, eyes and brows (the expression)
    do not enter except as the eye and mouth levels."""
    _, ex, down = face_frame(mesh)
    m = mesh.astype(np.float64)
    eyes = (m[LEFT_EYE].mean(0) + m[RIGHT_EYE].mean(0)) / 2
    mouth = m[LIPS].mean(0)
    mid = max(float((mouth - eyes) @ down), 1e-6)
    return {
        "jaw": abs(float((m[JAW[1]] - m[JAW[0]]) @ ex)) / max(abs(float((m[CHEEK[1]] - m[CHEEK[0]]) @ ex)), 1e-6),
        "chin": float((m[CHIN] - mouth) @ down) / mid,
        "forehead": float((eyes - m[BROW_TOP]) @ down) / mid,
    }


SHAPE_LIMITS = {"jaw": (0.08, 0.2), "chin": (0.1, 0.2), "forehead": (0.08, 0.15)}  # (least, most) change


def shape_target(mesh: np.ndarray, target_mesh: np.ndarray, gain: float = 2.0) -> dict[str, float]:
    """Per proportion of :func:`shape_of`, the change (relative to this face's own value) that takes the face
    ``gain`` times the way to the target's proportion: 2 = as far past the target as the face is on its near
    side (a reflection through it). Each change is at least / at most ``SHAPE_LIMITS`` (a face already like the
    target still changes, towards it; no face is changed more than the limit)."""
    own, tgt = shape_of(mesh), shape_of(target_mesh)
    out = {}
    for k, (least, most) in SHAPE_LIMITS.items():
        rel = gain * (tgt[k] - own[k]) / max(abs(own[k]), 1e-6)
        sign = 1.0 if rel >= 0 else -1.0
        out[k] = sign * float(np.clip(abs(rel), least, most))
    return out


def shape_reshape(mesh: np.ndarray, change: dict[str, float], amount: float = 1.0) -> np.ndarray:
    """Move a face's outline to other proportions and keep its expression: the jaw widened or narrowed across
    by ``change["jaw"]`` (a fraction of its width; the points of the oval below the nose, most at the jaw's
    angles), the chin lengthened by ``change["chin"]`` and the forehead heightened by ``change["forehead"]``
    (fractions of their own length, ``shape_of``), all times ``amount``. The oval's change is first stripped of
    any similarity part (moving, scaling or turning the whole face identifies no one, and the expression measure
    aligns it away); the expression landmarks (``PINNED``: eyes, brows, lips) stay where they are and every
    other point follows by a thin-plate spline between them and the oval. Returns the new mesh."""
    if amount <= 0 or not any(change.values()):
        return mesh
    c, ex, down = face_frame(mesh)
    m = mesh.astype(np.float64)
    oval = m[FACE_OVAL]
    u, v = (oval - c) @ ex, (oval - c) @ down
    eyes = (m[LEFT_EYE].mean(0) + m[RIGHT_EYE].mean(0)) / 2
    mouth = m[LIPS].mean(0)
    eye_v, mouth_v, nose_v = float((eyes - c) @ down), float((mouth - c) @ down), float((m[1] - c) @ down)
    jaw_v = float((m[list(JAW)].mean(0) - c) @ down)
    chin_v, top_v = float((m[CHIN] - c) @ down), float((m[BROW_TOP] - c) @ down)

    def ramp(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0, 1)
        return x * x * (3 - 2 * x)

    jaw = change.get("jaw", 0.0) * amount
    du = jaw * u * ramp((v - nose_v) / max(jaw_v - nose_v, 1.0))  # across, from nothing at the nose to all at the jaw
    chin = change.get("chin", 0.0) * amount * (chin_v - mouth_v)
    dv = chin * ramp((v - mouth_v) / max(chin_v - mouth_v, 1.0))
    fore = change.get("forehead", 0.0) * amount * (eye_v - top_v)
    dv -= fore * ramp((eye_v - v) / max(eye_v - top_v, 1.0))
    moved = oval + np.outer(du, ex) + np.outer(dv, down)
    A = similarity_fit(moved, oval)  # the similarity part of the change, undone
    moved = moved @ A[:, :2].T + A[:, 2]
    anchors = np.concatenate([np.asarray(FACE_OVAL), np.asarray(PINNED)])
    disp = np.concatenate([moved - oval, np.zeros((len(PINNED), 2))])
    spline = thin_plate_spline(m[anchors], disp, smoothing=0.0)
    out = m + spline(m)
    out[FACE_OVAL] = moved
    out[PINNED] = m[PINNED]
    return out.astype(np.float32)


NOSE_ANCHORS = [33, 133, 362, 263, 61, 291, 168]  # eye corners, mouth corners, the top of the bridge (nose_toward)
NOSE_FALL = 0.07  # x face size: nose_toward moves the nose's points within this fall-off (identity_reshape's)


def nose_toward(mesh: np.ndarray, donor_mesh: np.ndarray, size: float, share: float = 1.0) -> np.ndarray:
    """``mesh`` with its nose moved ``share`` of the way to ``donor_mesh``'s (another face's mesh, taken to this one
    by the affine map of ``NOSE_ANCHORS``), within the nose's fall-off (``NOSE_FALL`` x ``size``; the face oval
    frozen). Float32 (468, 2)."""
    a, _ = cv2.estimateAffine2D(donor_mesh[NOSE_ANCHORS].astype(np.float32), mesh[NOSE_ANCHORS].astype(np.float32))
    if a is None:
        return mesh.astype(np.float32)
    moved = donor_mesh.astype(np.float64) @ a[:, :2].T + a[:, 2]
    frozen = np.zeros(len(mesh), bool)
    frozen[FACE_OVAL] = True
    w = _region_weight(mesh, NOSE, NOSE_FALL * size, frozen)[:, None]
    return (mesh + share * w * (moved - mesh)).astype(np.float32)
