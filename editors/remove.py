"""Remove: fill the selection with plausible background.

Backends, best first:
- ``lama``: LaMa (Carve/LaMa-ONNX, ``lama_fp32.onnx``) through onnxruntime. Fixed 512x512 input: image float
  [0, 1] NCHW, mask float 1 = fill; output [0, 255]. A roughly square crop with generous context around the
  (grown) mask is resized to 512x512, filled, resized back and composited.
- offline: OpenCV's classical inpainting (Telea, or Navier-Stokes with ``method="ns"``) on a crop with
  context. It propagates the surrounding colours inwards: good for small blemishes, smeary on big areas.
  It is named for what it is ("OpenCV Telea (classical fill)"), never presented as a generation.

Pixels outside the grown mask + feather stay bit-identical (``core.composite``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.composite import box_slices, check_mask, composite_crop, crop_box
from core.errors import BadInput, Cancelled, ModelUnavailable
from core.types import Photo
from editors import EDITORS
from editors.base import FEATHER, LazyManager, Param, as_pixels, auto_feather, validate_params
from editors.diffusion import Progress, Variant, model_id
from editors.inpaint import auto_grow, check_coverage, context_box, grow_mask

log = logging.getLogger(__name__)

ROLE = "lama"
LAMA_SIZE = 512
CLASSICAL_MAX_SIDE = 1024  # classical fills run at most at this size (they are smooth anyway)
BACKENDS = {
    "lama": "LaMa (big-LaMa, ONNX)",
    "telea": "OpenCV Telea (classical fill)",
    "ns": "OpenCV Navier-Stokes (classical fill)",
}

__all__ = ["RemoveEditor", "available", "build_remove", "load_lama"]


def available(manager: Any) -> bool:
    """True when the LaMa weights are loaded or on disk. Remove itself always works (classical fill)."""
    return manager is not None and ROLE in manager.roles and manager.available(ROLE)


def _providers() -> list[str]:
    import onnxruntime as ort

    have = ort.get_available_providers()
    order = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in order if p in have] or list(have)


def load_lama(path: Path, device: str, dtype: Any) -> Any:
    """An onnxruntime session for the LaMa graph in ``path`` (a folder with ``lama_fp32.onnx``, or the file)."""
    import onnxruntime as ort

    path = Path(path)
    if path.is_dir():
        preferred = path / "lama_fp32.onnx"
        found = [preferred] if preferred.exists() else sorted(path.glob("*.onnx"))
        if not found:
            raise ModelUnavailable(ROLE, f"no .onnx file in {path}")
        path = found[0]
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=opts, providers=_providers())
    log.info("LaMa session on %s", session.get_providers()[0])
    return session


def _lama_feeds(session: Any, image: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Map the two graph inputs (by name when they say image/mask, else by channel count)."""
    img = np.ascontiguousarray(image.astype(np.float32).transpose(2, 0, 1)[None] / 255.0)
    msk = np.ascontiguousarray(mask.astype(np.float32)[None, None])
    feeds = {}
    for inp in session.get_inputs():
        name = inp.name.lower()
        channels = inp.shape[1] if len(inp.shape) == 4 else None
        if "mask" in name or channels == 1:
            feeds[inp.name] = msk
        else:
            feeds[inp.name] = img
    if len(feeds) != 2:
        raise ModelUnavailable(ROLE, "the LaMa graph must have two inputs (image, mask)")
    return feeds


class RemoveEditor(LazyManager):
    """Fill the selection with background: LaMa when its weights are here, else OpenCV's classical fill."""

    name = "remove"
    generative = True  # until a run says otherwise: True with LaMa, False with a classical fill (see generate)
    label = "Remove (fill with background)"
    params_schema: dict[str, Param] = {
        "method": Param(str, "auto", choices=("auto", "lama", "telea", "ns"),
                        help="auto = LaMa when downloaded, else OpenCV Telea; telea/ns = classical fill"),
        "grow": Param(float, -1.0, -1.0, 256.0,
                      help="px the selection is grown first, so no outline of the object stays; "
                           "-1 = automatic (8 % of the selection's size, at least 4 px: outlines and shadows "
                           "sit just outside a mask)"),
        "radius": Param(float, -1.0, -1.0, 64.0, help="classical fill: neighbourhood radius in px; -1 = automatic"),
        "feather": FEATHER,
    }

    def available(self) -> bool:
        return available(self.manager)

    def method_for(self, method: str = "auto") -> str:
        if method == "auto":
            return "lama" if available(self.manager) else "telea"
        return method

    @property
    def backend(self) -> str:
        """What ``method="auto"`` uses right now, named honestly."""
        return BACKENDS[self.method_for("auto")]

    # -- running -----------------------------------------------------------------------------------
    def generate(self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None,
                 seed: int | None = None, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> list[Variant]:
        """One result (a list, like ``inpaint``'s). ``seed`` is recorded (the fill is deterministic)."""
        pixels = as_pixels(photo)
        mask = check_mask(mask, pixels.shape)
        check_coverage(mask)
        p = validate_params(self.name, self.params_schema, params)
        method = self.method_for(p["method"])
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        t0 = time.perf_counter()
        feather = auto_feather(pixels.shape, p["feather"])
        tight = crop_box(mask, 0)
        size = max(tight[2] - tight[0], tight[3] - tight[1])
        # an object's outline and shadow sit just outside its mask; a fill that starts on them comes out dark
        grow = float(p["grow"]) if p["grow"] >= 0 else max(auto_grow(tight, -1.0), 4.0, 0.08 * size)
        if method == "lama":
            session = self._session()
            margin = int(math.ceil(grow + feather)) + max(16, round(0.5 * size))
            box = context_box(mask, margin, min_aspect=1.0)
        else:
            radius = p["radius"] if p["radius"] > 0 else max(3.0, min(12.0, 0.01 * size))
            margin = int(math.ceil(grow + feather + 2 * radius)) + 4
            box = context_box(mask, margin, min_aspect=0.0)
        sl = box_slices(box)
        crop = np.ascontiguousarray(pixels[sl])
        m_crop = grow_mask(mask[sl], grow)
        self.generative = method == "lama"  # LaMa is a trained model; the OpenCV fills are classical
        if method == "lama":
            filled = self._lama(session, crop, m_crop)
            mid = model_id(self.manager, ROLE)
        else:
            filled = classical_fill(crop, m_crop, radius, method)
            mid = f"opencv-{method}"
        if progress is not None:
            progress(1, 1)
        full_mask = np.zeros(mask.shape, bool)
        full_mask[sl] = m_crop
        result = composite_crop(pixels, filled, box, full_mask, feather, 0.0)
        return [Variant(image=result, seed=0 if seed is None else int(seed), seconds=time.perf_counter() - t0,
                        model=mid, backend=BACKENDS[method], generative=self.generative)]

    def apply(self, photo: Photo | np.ndarray, mask: np.ndarray, params: dict[str, Any] | None = None,
              seed: int | None = None) -> np.ndarray:
        return self.generate(photo, mask, params, seed)[0].image

    def _session(self) -> Any:
        try:
            return self.manager.get(ROLE, load_lama)
        except ModelUnavailable as exc:
            raise ModelUnavailable(ROLE, f"{exc.reason}. Use method 'telea' (classical fill) offline") from exc

    def _lama(self, session: Any, crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
        h, w = mask.shape
        interp = cv2.INTER_AREA if max(h, w) > LAMA_SIZE else cv2.INTER_CUBIC
        img = cv2.resize(crop, (LAMA_SIZE, LAMA_SIZE), interpolation=interp)
        m = cv2.resize(mask.astype(np.float32), (LAMA_SIZE, LAMA_SIZE), interpolation=cv2.INTER_AREA) > 0.01
        img = img.copy()
        img[m] = 0  # LaMa was trained on images with the hole blanked
        with self.manager.lock(ROLE):
            out = session.run(None, _lama_feeds(session, img, m))[0]
        out = np.asarray(out, dtype=np.float32)[0].transpose(1, 2, 0)
        out = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        back = cv2.INTER_AREA if max(h, w) < LAMA_SIZE else cv2.INTER_CUBIC
        result = crop.copy()  # only the hole takes the model's pixels; the context keeps its exact bytes
        result[mask] = cv2.resize(out, (w, h), interpolation=back)[mask]
        return result


def classical_fill(crop: np.ndarray, mask: np.ndarray, radius: float, method: str = "telea") -> np.ndarray:
    """OpenCV inpainting of ``crop`` (RGB uint8) where ``mask`` (bool) is True; large crops run downscaled."""
    if method not in ("telea", "ns"):
        raise BadInput(f"remove: unknown classical method {method!r}; use telea or ns")
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    h, w = mask.shape
    s = min(1.0, CLASSICAL_MAX_SIDE / max(h, w))
    if s < 1.0:
        size = (max(1, round(w * s)), max(1, round(h * s)))
        small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        m = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.01
        filled = cv2.inpaint(small, m.astype(np.uint8) * 255, max(1.0, radius * s), flag)
        out = crop.copy()
        out[mask] = cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC)[mask]
        return out
    return cv2.inpaint(crop, mask.astype(np.uint8) * 255, float(radius), flag)


@EDITORS.register("remove")
def build_remove(manager: Any = None) -> RemoveEditor:
    return RemoveEditor(manager)
