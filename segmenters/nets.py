"""The small trained nets of the offline path (packaged files, see core/packaged.toml, kind "url").

- ``deeplab_ade20k``: DeepLabV3-MobileNetV2 on ADE20K (150 scene classes) -> sky, building, tree, ...
- ``deeplab_voc``: DeepLabV3-MobileNetV2 (depth 0.5) on PASCAL VOC -> person, animals, cars, ...
- ``hair_segmentation``: MediaPipe's hair net, on a head-and-shoulders crop per head.
- ``pan_skin_clothes_hair``: PAN (MobileNetV3-small) skin / clothes / hair, on a crop per person.

Each runner takes RGB uint8 and returns maps at the size of what it was given. The files are loaded once per
process through ``segmenters.parsing.packaged_model`` (the same path as the MediaPipe and CenterFace files),
sha256-checked by ``core.assets.packaged_path``. ``net_available(name)`` says whether a net can run; setting
``FACET_PARSE_NETS=off`` turns them all off (the approximate rules run instead; bench/parse_quality.py uses
this for its before / after table).
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.memo import PixelMemo
from core.assets import packaged_available, packaged_path
from segmenters.parsing import packaged_model, run_tflite

ADE = "deeplab_ade20k"
VOC = "deeplab_voc"
HAIR = "hair_segmentation"
PAN = "pan_skin_clothes_hair"
NETS = (ADE, VOC, HAIR, PAN)
DEEPLAB_SIDE = 513

# ADE20K's 150 classes in the network's output order (index 1..150; 0 = "other"), first name of each class
ADE_CLASSES = (
    "wall",
    "building",
    "sky",
    "floor",
    "tree",
    "ceiling",
    "road",
    "bed",
    "windowpane",
    "grass",
    "cabinet",
    "sidewalk",
    "person",
    "earth",
    "door",
    "table",
    "mountain",
    "plant",
    "curtain",
    "chair",
    "car",
    "water",
    "painting",
    "sofa",
    "shelf",
    "house",
    "sea",
    "mirror",
    "rug",
    "field",
    "armchair",
    "seat",
    "fence",
    "desk",
    "rock",
    "wardrobe",
    "lamp",
    "bathtub",
    "railing",
    "cushion",
    "base",
    "box",
    "column",
    "signboard",
    "chest",
    "counter",
    "sand",
    "sink",
    "skyscraper",
    "fireplace",
    "refrigerator",
    "grandstand",
    "path",
    "stairs",
    "runway",
    "case",
    "pool",
    "pillow",
    "screen",
    "stairway",
    "river",
    "bridge",
    "bookcase",
    "blind",
    "coffee",
    "toilet",
    "flower",
    "book",
    "hill",
    "bench",
    "countertop",
    "stove",
    "palm",
    "kitchen",
    "computer",
    "swivel",
    "boat",
    "bar",
    "arcade",
    "hovel",
    "bus",
    "towel",
    "light",
    "truck",
    "tower",
    "chandelier",
    "awning",
    "streetlight",
    "booth",
    "television",
    "airplane",
    "dirt",
    "apparel",
    "pole",
    "land",
    "bannister",
    "escalator",
    "ottoman",
    "bottle",
    "buffet",
    "poster",
    "stage",
    "van",
    "ship",
    "fountain",
    "conveyer",
    "canopy",
    "washer",
    "plaything",
    "swimming",
    "stool",
    "barrel",
    "basket",
    "waterfall",
    "tent",
    "bag",
    "minibike",
    "cradle",
    "oven",
    "ball",
    "food",
    "step",
    "tank",
    "trade",
    "microwave",
    "pot",
    "animal",
    "bicycle",
    "lake",
    "dishwasher",
    "screen",
    "blanket",
    "sculpture",
    "hood",
    "sconce",
    "vase",
    "traffic",
    "tray",
    "ashcan",
    "fan",
    "pier",
    "crt",
    "plate",
    "monitor",
    "bulletin",
    "shower",
    "radiator",
    "glass",
    "clock",
    "flag",
)
ADE_PERSON = ADE_CLASSES.index("person") + 1  # its index in the net's output (0 = "other")
VOC_CLASSES = (
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


# The nets' grids to pixels. A cell of the DeepLab nets' grids is the net's answer at one pixel of its input: cell k
# at pixel ``ADE_STRIDE * k`` (the decoder's 129 x 129 map of a 513 px input, whose own upsample aligns the corners:
# cells 0 and 128 are pixels 0 and 512). ``cv2.resize`` instead puts a grid's n cells at the centres of n equal parts
# of the picture, cell k at (k + 0.5) / n of its extent: on a 513 px side that moved the maps' edges up to 1.5 px
# (toward the middle: down and right near the top-left, up and left near the bottom-right; exactly 1.5 px at the
# top-left for every size, a little less or more elsewhere as the last cell sits 0-3 px before the input's end).
# Here each output pixel's centre is taken to the input pixel it covers and to its cell, and the grid is
# interpolated there (bilinear, or the nearest cell for labels), for the whole photo's pass (mirror included, its
# grid is put back in the photo's order, cell k at pixel 4k) and the tiles' (cell k at pixel 4k of the enlarged photo).


def deeplab_span(size: tuple[int, int]) -> tuple[int, int]:
    """The size (w', h') of a photo of ``size`` = (w, h) in the DeepLab nets' 513 px input (its longer side 513)."""
    w, h = size
    s = DEEPLAB_SIDE / max(h, w)
    return max(1, round(w * s)), max(1, round(h * s))


def tiles_span(span: tuple[int, int]) -> tuple[int, int] | None:
    """The size of the enlarged photo the multi-scale tiles are cut from, for a photo of ``span`` at 513 px (see
    ``ADE_TILE_SHORT``); None when there are no tiles."""
    rw, rh = span
    zoom = min(ADE_TILE_ZOOM, max(1.0, ADE_TILE_SHORT / min(rw, rh)))
    return (round(rw * zoom), round(rh * zoom)) if zoom > 1.0 else None


def grid_span(shape: tuple[int, ...], fed: tuple[int, int]) -> tuple[int, int] | None:
    """The size (w', h') of the image whose every ``ADE_STRIDE``-th pixel a net grid of ``shape`` (h, w, ...) holds,
    for a photo of ``fed`` = (w, h) given to the net: its 513 px input (the whole photo's passes, and the VOC net's) or
    the tiles' enlarged photo, told apart by the grid's size; None for a grid of neither size."""
    span = deeplab_span(fed)
    for s in (span, tiles_span(span)):
        if s is not None and tuple(shape[:2]) == (_cells(s[1]), _cells(s[0])):
            return s
    return None


def _grid_coords(n: int, span: int, step: int, grid_span_: int, cells: int) -> tuple[np.ndarray, ...]:
    """For ``n`` samples every ``step`` pixels (from pixel 0) of a ``span`` px image: the grid cells below and above
    each (and the weight of the upper) on a grid of ``cells`` cells every ``ADE_STRIDE`` pixels of a ``grid_span_``
    px image of the same picture. A pixel's centre is at (i + 0.5) / span of the picture's extent (cv2's convention,
    the photo's own resizes)."""
    u = ((step * np.arange(n) + 0.5) * (grid_span_ / span) - 0.5) / ADE_STRIDE
    u = np.clip(u, 0.0, cells - 1)
    lo = np.minimum(np.floor(u).astype(np.intp), max(cells - 2, 0))
    hi = np.minimum(lo + 1, cells - 1)
    return lo, hi, (u - lo).astype(np.float32)


def resample_grid(
    grid: np.ndarray,
    span: tuple[int, int],
    shape: tuple[int, int],
    out_span: tuple[int, int],
    step: int = 1,
    nearest: bool = False,
) -> np.ndarray:
    """``grid`` ((h, w) or (h, w, n): a net's answer every ``ADE_STRIDE`` pixels of a ``span`` = (w', h') px image)
    sampled at ``shape`` = (rows, cols) points every ``step`` pixels of an ``out_span`` px image of the same picture:
    bilinearly (float32), or the nearest cell (``nearest``, any dtype: labels)."""
    ys = _grid_coords(shape[0], out_span[1], step, span[1], grid.shape[0])
    xs = _grid_coords(shape[1], out_span[0], step, span[0], grid.shape[1])
    if nearest:
        iy = np.where(ys[2] < 0.5, ys[0], ys[1])
        ix = np.where(xs[2] < 0.5, xs[0], xs[1])
        return grid[iy][:, ix]
    g = grid.astype(np.float32, copy=False)
    tail = (1,) * (g.ndim - 2)
    # lo + (hi - lo) * f along the rows, then the columns, in place (the 151 classes onto the tiles' grid: about the
    # CPU of the two single-channel cv2.resize passes this replaced in round 15)
    rows, lo = np.take(g, ys[1], axis=0), np.take(g, ys[0], axis=0)
    rows -= lo
    rows *= ys[2].reshape(-1, 1, *tail)
    rows += lo
    out, left = np.take(rows, xs[1], axis=1), np.take(rows, xs[0], axis=1)
    out -= left
    out *= xs[2].reshape(1, -1, *tail)
    out += left
    return out


def grid_to_size(
    grid: np.ndarray, size: tuple[int, int], fed: tuple[int, int] | None = None, nearest: bool = False
) -> np.ndarray:
    """A DeepLab net's grid (:func:`ade_probabilities`, :func:`voc_answer`; (h, w) or (h, w, n)) at ``size`` = (w, h)
    pixels of the photo, each pixel read where its centre falls on the grid (see :func:`resample_grid`). ``fed``: the
    size of the image the net was given when not ``size``. A grid of another size (a test's stand-in) is resized with
    ``cv2.resize`` (cell centres on equal parts)."""
    w, h = size
    span = grid_span(grid.shape, fed or size)
    if span is not None:
        return resample_grid(grid, span, (h, w), (w, h), nearest=nearest)
    if nearest:
        return cv2.resize(grid, (w, h), interpolation=cv2.INTER_NEAREST)
    if grid.ndim == 2:
        return cv2.resize(grid, (w, h), interpolation=cv2.INTER_LINEAR)
    out = np.empty((h, w, grid.shape[-1]), np.float32)
    for k in range(0, grid.shape[-1], 4):  # cv2.resize takes at most 4 channels for some interpolations
        part = cv2.resize(np.ascontiguousarray(grid[..., k : k + 4]), (w, h), interpolation=cv2.INTER_LINEAR)
        out[..., k : k + 4] = part.reshape(h, w, -1)
    return out


def nets_enabled() -> bool:
    return os.environ.get("FACET_PARSE_NETS", "on").lower() not in ("0", "off", "false", "no")


def net_available(name: str) -> bool:
    """True when net ``name`` may run: nets are on and its file is here with the right sha256."""
    return nets_enabled() and packaged_available(name)


def missing_nets() -> list[str]:
    return [n for n in NETS if not net_available(n)]


_LABELS_CACHE = PixelMemo(4)  # (net, shape, digest of the pixels) -> uint8 labels


def deeplab_labels(name: str, rgb: np.ndarray) -> np.ndarray:
    """Class index per pixel (int32, the size of ``rgb``) from DeepLab net ``name`` (ADE or VOC).

    The longer side is resized to 513 and the rest zero-padded (after normalisation), as the net was
    trained; the argmax is taken at 513 and resized back with nearest neighbours (the working copy the
    parsers see is 512 px, so this is close to 1:1). The last few answers are kept by the pixels' digest:
    the click backend asks for the VOC net's answer on the same 512 px copy the parse has just run it on."""
    key = PixelMemo.key(rgb, name)
    hit = _LABELS_CACHE.get(key)
    if hit is not None:
        return hit.astype(np.int32)
    labels = _deeplab_labels(name, rgb)
    _LABELS_CACHE.put(key, labels)
    return labels.astype(np.int32)


def clear_labels_cache() -> None:
    """Forget the kept answers of :func:`deeplab_labels` and :func:`voc_object_probability` (a benchmark times
    each parse as a new upload's)."""
    _LABELS_CACHE.clear()
    _VOC_PROBS_CACHE.clear()


def _deeplab_input(rgb: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The DeepLab nets' input for ``rgb``: the longer side resized to ``DEEPLAB_SIDE``, scaled to [-1, 1] and
    zero-padded to a square (float32), and the resized width and height inside it."""
    h, w = rgb.shape[:2]
    rw, rh = deeplab_span((w, h))
    interp = cv2.INTER_AREA if DEEPLAB_SIDE < max(h, w) else cv2.INTER_LINEAR
    x = np.zeros((DEEPLAB_SIDE, DEEPLAB_SIDE, 3), np.float32)
    x[:rh, :rw] = cv2.resize(rgb, (rw, rh), interpolation=interp).astype(np.float32) / 127.5 - 1.0
    return x, rw, rh


def _deeplab_labels(name: str, rgb: np.ndarray) -> np.ndarray:
    """:func:`deeplab_labels` without the cache (uint8)."""
    h, w = rgb.shape[:2]
    x, rw, rh = _deeplab_input(rgb)
    labels = run_tflite(name, x[None], lambda out: np.argmax(out[0, :rh, :rw], axis=-1).astype(np.uint8))[0]
    return cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)


def hair_probability(crop: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """Hair probability (float32, ``size`` = (w, h), default the crop's) for a head-and-shoulders crop (RGB uint8)."""
    h, w = crop.shape[:2]
    x = np.zeros((1, 512, 512, 4), np.float32)
    x[0, :, :, :3] = (
        cv2.resize(crop, (512, 512), interpolation=cv2.INTER_AREA if max(h, w) > 512 else cv2.INTER_LINEAR).astype(
            np.float32
        )
        / 255.0
    )
    logits = run_tflite(HAIR, x)[0][0]
    # the two-class softmax on contiguous planes: the same numbers as over the last axis of (512, 512, 2)
    # (bit-identical), ten times faster (numpy's reductions over a 2-long last axis are slow)
    a0, a1 = np.ascontiguousarray(logits[..., 0]), np.ascontiguousarray(logits[..., 1])
    m = np.maximum(a0, a1)
    e0, e1 = np.exp(a0 - m), np.exp(a1 - m)
    prob = (e1 / (e0 + e1)).astype(np.float32)
    return cv2.resize(prob, size or (w, h), interpolation=cv2.INTER_LINEAR)


def _load_onnx(path: Path | bytes) -> Any:
    from core.models import onnx_session

    return onnx_session(path, threads=2)


PAN_SIDE = 512  # the PAN file's input side (its decoder's upsample sizes are fixed for it)
_PAN_AT: weakref.WeakKeyDictionary[Any, dict[int, Any]] = weakref.WeakKeyDictionary()  # the file's session -> the
# same graph at other sides (built on first use; freed with it when the model manager evicts it)


def pan_graph_at(path: Path, side: int) -> bytes:
    """The PAN graph at ``path`` (serialised ONNX) rewritten for a ``side`` x ``side`` input (a multiple of 64): its
    input and output shapes, and the fixed sizes its decoder resizes to (the int64 constants of its ``Resize``
    sizes and of the ``Concat`` that build them, all given for 512 px) scaled by ``side / 512``; the same weights."""
    import onnx
    from onnx import numpy_helper

    if side % 64:
        raise ValueError(f"PAN's side must be a multiple of 64, not {side}")
    model = onnx.load(str(path))
    for value in (model.graph.input[0], *model.graph.output):
        dims = value.type.tensor_type.shape.dim
        dims[2].dim_value = dims[3].dim_value = side
    del model.graph.value_info[:]
    sizes = {n.input[3] for n in model.graph.node if n.op_type == "Resize" and len(n.input) > 3}
    parts = {i for n in model.graph.node if n.op_type == "Concat" for i in n.input}
    for init in model.graph.initializer:
        if init.data_type == onnx.TensorProto.INT64 and (init.name in sizes or init.name in parts):
            a = numpy_helper.to_array(init).copy()
            a[2 if init.name in sizes else 0 :] = a[2 if init.name in sizes else 0 :] * side // PAN_SIDE
            init.CopyFrom(numpy_helper.from_array(a, init.name))
    return bytes(model.SerializeToString())


def pan_probabilities(crop: np.ndarray, size: tuple[int, int] | None = None, side: int = PAN_SIDE) -> np.ndarray:
    """(3, h, w) float32 probabilities skin, clothes, hair for an RGB uint8 crop around one person, resized to
    ``size`` = (w, h) (default the crop's). ``side``: the net's input side (a multiple of 64; the file's own
    ``PAN_SIDE`` by default, another one runs the same weights at that size, :func:`pan_graph_at`)."""
    h, w = crop.shape[:2]
    sess, lock = packaged_model(PAN, _load_onnx)
    x = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA if max(h, w) > side else cv2.INTER_LINEAR)
    x = ((x.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)[None]
    with lock:
        if side != PAN_SIDE:
            at = _PAN_AT.setdefault(sess, {})
            if side not in at:
                at[side] = _load_onnx(pan_graph_at(packaged_path(PAN), side))
            sess = at[side]
        out = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(x, np.float32)})[0][0]
    return np.stack([cv2.resize(c, size or (w, h), interpolation=cv2.INTER_LINEAR) for c in out])


ADE_STRIDE = 4  # the ADE net's logits come every 4th pixel of its 513 px input (its decoder's 129 x 129 map: the
# file's last two ops, a bilinear upsample to 513 x 513 x 151, are cut off when it is loaded, see
# :func:`ade_logits_interpreter`; the upsample's every 4th pixel is exactly that map, so nothing is lost)
ADE_FLIP = True  # also run the net on the mirrored photo and average the two answers (test-time augmentation)
FLIP_MAX_PEOPLE = 0.1  # ... only when people (VOC net) cover less of the photo than this: a photo full of people
# pays for the person, hair and clothes parsers instead (all parsers stay under 1.5 s for 1 MP)
# multi-scale (test-time augmentation, as DeepLab's own evaluation): besides the whole photo at 513 px, the net looks
# at the photo enlarged so that its shorter side is ``ADE_TILE_SHORT`` px (at most ``ADE_TILE_ZOOM`` times the
# whole-photo pass's size), in overlapping 513 px tiles (as many as it takes to cover it); each pixel's
# probabilities are the mean of the views: the whole photo, its mirror (when it runs) and the tiles that hold the
# pixel (their mean counts as one view). The tiles see detail the 513 px view loses (sky between branches, a car's
# outline, the trees' edge); the whole view keeps the context a tile lacks (a pavement seen close up looks like a
# floor). Tiles enlarged further (shorter side 770 px: 2-3 times the passes) did worse on roads (issue 11 round 6).
ADE_TILES = True  # ``FACET_ADE_TILES=off`` turns the tiles off (the single-scale answer: bench/parse_quality.py)
ADE_TILE_SHORT = DEEPLAB_SIDE
ADE_TILE_ZOOM = 2.0
TILES_MAX_PEOPLE = True  # the tiles run only where the mirrored pass does (people under ``FLIP_MAX_PEOPLE``): a photo
# full of people pays for their parts instead, and its scene labels are few (t1 stays the slowest photo at 1 MP)


def tiles_enabled() -> bool:
    """Whether the ADE net's multi-scale tiles run: ``ADE_TILES`` unless ``FACET_ADE_TILES`` says off."""
    return ADE_TILES and os.environ.get("FACET_ADE_TILES", "on").lower() not in ("0", "off", "false", "no")


def ade_logits_interpreter(path: Any, edit: Any = None) -> Any:
    """The ADE net's tflite interpreter with its trailing bilinear upsamples cut off: it answers the decoder's logits
    (1, 129, 129, 151) for a 513 px input, one every ``ADE_STRIDE`` pixels (the file's own output is that map
    upsampled with aligned corners, so its every 4th pixel is exactly these numbers), in half the time. ``edit``: a
    function that changes the cut net (a ``ModelT``) in place before it is loaded (:func:`ade_probs_interpreter`)."""
    from core.models import op_name, tflite_interpreter

    def cut(model: Any) -> None:
        graph = model.subgraphs[0]
        while len(graph.outputs) == 1 and graph.operators:
            last = graph.operators[-1]
            if op_name(model, last) != "RESIZE_BILINEAR" or list(last.outputs) != list(graph.outputs):
                break
            graph.outputs = [int(last.inputs[0])]
            graph.operators = graph.operators[:-1]
        if edit is not None:
            edit(model)

    return tflite_interpreter(path, cut)


def ade_probs_interpreter(path: Any) -> Any:
    """The interpreter the scene parser runs: :func:`ade_logits_interpreter`'s net with the batch norms that follow
    its atrous depthwise convolutions folded into them (``core.models.fold_batch_norms``: ten MUL / ADD passes over
    65 x 65 x 384..960 maps gone) and a softmax over the classes at its end (XNNPACK's, on both threads, instead of
    numpy's on one): it answers the class probabilities (1, 129, 129, 151) on the logits' grid. About a tenth less CPU
    a pass (issue 11, round 12); the classes are the cut file's (tests/test_ade_net_edits.py; the scene labels' IoU
    within 0.002 of before on every label). The int8 weights stay: XNNPACK quantizes each activation on the fly (the
    float32 net, ``core.models.dequantize_weights``, is no faster here and moved mountain 0.450 -> 0.394)."""
    from core.models import append_softmax, fold_batch_norms, fold_dilations

    def edit(model: Any) -> None:
        fold_dilations(model)  # (tflite_interpreter folds them after the edit: the batch norms follow them)
        fold_batch_norms(model)
        append_softmax(model)

    return ade_logits_interpreter(path, edit)


def _ade_logit_probs(x: np.ndarray, rows: slice, cols: slice, mirrored: bool = False) -> np.ndarray:
    """Class probabilities of the ADE net (softmax over its logits) for one (513, 513, 3) input, on its grid rows
    and columns ``rows``, ``cols`` (reversed left-right when ``mirrored``): float32 (n, m, 151)."""
    it, lock = packaged_model(ADE, ade_probs_interpreter)
    with lock:
        it.set_tensor(it.get_input_details()[0]["index"], x[None])
        it.invoke()
        # a view of the interpreter's buffer, sliced and copied once (get_tensor would copy the whole map first)
        z = it.tensor(it.get_output_details()[0]["index"])()[0, rows, cols].copy()
    return z[:, ::-1] if mirrored else z


def _ade_passes(passes: list[tuple[np.ndarray, slice, slice, bool]]) -> list[Any]:
    """Hand :func:`_ade_logit_probs` of each (input, rows, cols, mirrored) in ``passes`` to the net-pass worker
    (``core.models.net_passes``: one after the other, in this order); their futures, in order. The caller sums the
    answers that are back while the next pass runs."""
    from core.models import net_passes

    worker = net_passes()
    return [worker.submit(_ade_logit_probs, *p) for p in passes]


def _cells(n: int) -> int:
    """Grid cells (one every ``ADE_STRIDE`` pixels from pixel 0) over ``n`` pixels."""
    return -(-n // ADE_STRIDE)


def ade_probabilities(
    rgb: np.ndarray,
    flip: bool | None = None,
    detail: np.ndarray | None = None,
    tiles: bool | None = None,
    views_of: int | None = None,
    views: list[np.ndarray] | None = None,
) -> np.ndarray:
    """ADE20K class probabilities (float32, (h', w', 151), index 0 = "other") for ``rgb`` (RGB uint8) on a grid
    every ``ADE_STRIDE`` pixels of the net's input for the whole photo (the longer side resized to 513 and the
    rest zero-padded after normalisation, as the net was trained), the mean of the photo's and its mirror's
    answers; with ``tiles`` (default :func:`tiles_enabled`), the grid is that of the enlarged photo the tiles are cut
    from, and the tiles' answers are averaged in (see ``ADE_TILE_SHORT``). ``detail``: the same photo at a higher
    resolution (the original of a working copy) to cut the tiles from; default ``rgb``. With ``views_of`` (a class
    index) and ``views`` (a list), each view's own probabilities of that class (the whole photo, its mirror, the
    tiles' mean; each on its own grid) are appended to ``views``. The passes (whole, mirror, tiles) run one after the
    other on the net-pass worker (:func:`_ade_passes`) while the answers already back are summed here, in that order."""
    h, w = rgb.shape[:2]
    rw, rh = deeplab_span((w, h))
    interp = cv2.INTER_AREA if DEEPLAB_SIDE < max(h, w) else cv2.INTER_LINEAR
    small = cv2.resize(rgb, (rw, rh), interpolation=interp).astype(np.float32) / 127.5 - 1.0

    passes = (False, True) if (ADE_FLIP if flip is None else flip) else (False,)
    inputs = []
    for mirrored in passes:
        x = np.zeros((DEEPLAB_SIDE, DEEPLAB_SIDE, 3), np.float32)
        # the mirror sits ``shift`` pixels from the left so that the photo's column 0 lands on a grid column
        shift = (-(rw - 1)) % ADE_STRIDE if mirrored else 0
        x[:rh, shift : shift + rw] = small[:, ::-1] if mirrored else small
        first = (shift + rw - 1) // ADE_STRIDE if mirrored else 0  # grid column of the photo's column 0
        cols = (
            slice(first - _cells(rw) + 1, first + 1) if mirrored else slice(0, _cells(rw))
        )  # the photo's columns 0, 4, 8, ... (mirrored: read right to left)
        inputs.append((x, slice(0, _cells(rh)), cols, mirrored))
    jobs = _ade_passes(inputs)
    use_tiles = tiles_enabled() if tiles is None else tiles
    plan = _tile_plan(detail if detail is not None else rgb, rw, rh) if use_tiles else None
    jobs += _ade_passes(plan[2]) if plan is not None else []
    total = None
    for job in jobs[: len(passes)]:
        p = job.result()
        if views_of is not None and views is not None:
            views.append(p[..., views_of].copy())
        total = p if total is None else total + p
    assert total is not None
    whole = total / len(passes)
    if plan is None:
        return whole
    return _with_tiles(whole, plan, jobs[len(passes) :], 1.0 / (len(passes) + 1), views_of, views)


def tile_origins(length: int, side: int = DEEPLAB_SIDE) -> list[int]:
    """Where ``side`` px tiles start along ``length`` px so that they cover it, overlapping evenly, each start a
    multiple of ``ADE_STRIDE`` (the last tile may reach up to 3 px past the end: that is zero-padded)."""
    if length <= side:
        return [0]
    n = -(-(length - side) // (side - 2 * ADE_STRIDE)) + 1  # enough tiles that they overlap a little at least
    return [int(round(k * (length - side) / (n - 1) / ADE_STRIDE)) * ADE_STRIDE for k in range(n)]


def _tile_plan(
    rgb: np.ndarray, rw: int, rh: int
) -> (
    tuple[
        tuple[int, int],
        list[tuple[int, int, int, int]],
        list[tuple[np.ndarray, slice, slice, bool]],
        tuple[tuple[int, int], tuple[int, int]],
    ]
    | None
):
    """The multi-scale tiles of ``rgb`` for a photo of ``rw`` x ``rh`` at 513 px (see ``ADE_TILE_SHORT``): the enlarged
    photo's grid size (gh, gw), each tile's grid cells (gy, gx, ny, nx), its pass (input, rows, cols, mirrored)
    for :func:`_ade_passes`, and the sizes (w, h) of the 513 px photo and of the enlarged one (the grids' spans,
    :func:`resample_grid`); None when the photo is not enlarged (no tiles)."""
    tiled = tiles_span((rw, rh))
    if tiled is None:
        return None
    tw, th = tiled
    h, w = rgb.shape[:2]
    interp = cv2.INTER_AREA if tw < w else cv2.INTER_LINEAR
    big = cv2.resize(rgb, (tw, th), interpolation=interp).astype(np.float32) / 127.5 - 1.0
    gh, gw = _cells(th), _cells(tw)
    cells = _cells(DEEPLAB_SIDE)
    where, passes = [], []
    for y0 in tile_origins(th):
        for x0 in tile_origins(tw):
            x = np.zeros((DEEPLAB_SIDE, DEEPLAB_SIDE, 3), np.float32)
            part = big[y0 : y0 + DEEPLAB_SIDE, x0 : x0 + DEEPLAB_SIDE]
            x[: part.shape[0], : part.shape[1]] = part
            gy, gx = y0 // ADE_STRIDE, x0 // ADE_STRIDE
            ny, nx = min(cells, gh - gy), min(cells, gw - gx)
            where.append((gy, gx, ny, nx))
            passes.append((x, slice(0, ny), slice(0, nx), False))
    return (gh, gw), where, passes, ((rw, rh), (tw, th))


def _with_tiles(
    whole: np.ndarray,
    plan: tuple[tuple[int, int], list[tuple[int, int, int, int]], list[Any], tuple[tuple[int, int], tuple[int, int]]],
    jobs: list[Any],
    weight: float,
    views_of: int | None = None,
    views: list[np.ndarray] | None = None,
) -> np.ndarray:
    """``whole`` (the whole-photo grid) averaged with the tiles' answers (``jobs``: the futures of :func:`_tile_plan`'s
    passes, in order), weighted ``weight``, on the enlarged photo's grid."""
    (gh, gw), where, _, (span, tiled_span) = plan
    # the whole view on the tiles' grid (while they run), cell on cell where each sits in the photo
    up = resample_grid(whole, span, (gh, gw), tiled_span, ADE_STRIDE)
    up *= 1.0 - weight
    acc = np.zeros((gh, gw, whole.shape[-1]), np.float32)
    count = np.zeros((gh, gw, 1), np.float32)
    for (gy, gx, ny, nx), job in zip(where, jobs, strict=True):
        acc[gy : gy + ny, gx : gx + nx] += job.result()
        count[gy : gy + ny, gx : gx + nx] += 1
    tiled = np.divide(acc, np.maximum(count, 1), out=acc)  # (in place: the same numbers, no new 15 MB maps)
    if views_of is not None and views is not None:
        views.append(tiled[..., views_of].copy())
    up += np.multiply(tiled, weight, out=tiled)
    return up


VOC_STRIDE = 4  # the VOC net's probabilities are kept every 4th pixel of its 513 output (as ``ADE_STRIDE``)


def voc_answer(rgb: np.ndarray, cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One pass of the VOC net over ``rgb`` (RGB uint8): the class index per pixel (int32, the size of ``rgb``,
    exactly :func:`deeplab_labels`'s answer, which it also caches unless ``cache`` is False: a zoomed look at a
    crop is not asked for again and would push the photo's own answer out) and the class probabilities (float32,
    (h', w', 21)) on a grid every ``VOC_STRIDE`` pixels of the net's input (see :func:`voc_probabilities`)."""
    h, w = rgb.shape[:2]
    x, rw, rh = _deeplab_input(rgb)

    def reduce(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        labels = np.argmax(out[0, :rh, :rw], axis=-1).astype(np.uint8)
        z = out[0, :rh:VOC_STRIDE, :rw:VOC_STRIDE].astype(np.float32)
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
        return labels, z

    labels, probs = run_tflite(VOC, x[None], reduce)[0]
    labels = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
    if not cache:
        return labels.astype(np.int32), probs
    key = PixelMemo.key(rgb, VOC)
    _LABELS_CACHE.put(key, labels)
    _VOC_PROBS_CACHE.put(key, probs)
    return labels.astype(np.int32), probs


_VOC_PROBS_CACHE = PixelMemo(4)  # (VOC, shape, digest of the pixels) -> :func:`voc_answer`'s probability grid


def voc_object_probability(rgb: np.ndarray) -> np.ndarray:
    """The VOC net's probability that a pixel of ``rgb`` is any object (1 - its "background" probability; float32,
    the size of ``rgb``), from :func:`voc_answer`'s grid: the answer the parse has just computed on the same copy
    when it is kept, else one run (which keeps it, and the labels, for :func:`deeplab_labels`)."""
    probs = _VOC_PROBS_CACHE.get(PixelMemo.key(rgb, VOC))
    if probs is None:
        _, probs = voc_answer(rgb)
    h, w = rgb.shape[:2]
    return 1.0 - voc_probabilities(probs, [0], (w, h))[..., 0]


def voc_probabilities(
    grid: np.ndarray, classes: list[int], size: tuple[int, int], fed: tuple[int, int] | None = None
) -> np.ndarray:
    """The VOC probabilities of ``classes`` (indices into ``VOC_CLASSES``) from a :func:`voc_answer` grid,
    resized to ``size`` = (w, h): float32 (h, w, len(classes)). ``fed``: the size (w, h) of the image the net was
    given, when not ``size`` (:func:`grid_to_size`)."""
    return grid_to_size(np.ascontiguousarray(grid[..., classes]), size, fed)


def voc_labels(ctx: Any) -> np.ndarray:
    """The VOC net's class index per work pixel for this photo (run once, kept in ``ctx.cache``)."""
    return voc_ctx_answer(ctx)[0]


def voc_ctx_answer(ctx: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`voc_answer` for this photo's working copy (run once, kept in ``ctx.cache``)."""
    if "voc" not in ctx.cache:  # (a stand-in context with the answer already cached has no ``once``)
        ctx.once("voc", lambda: voc_answer(ctx.work))
    return ctx.cache["voc"]


def ade_answer(ctx: Any) -> dict[str, Any]:
    """The ADE20K net's answer for this photo (run once, kept in ``ctx.cache``): ``probs`` (grid probabilities,
    see :func:`ade_probabilities`), ``labels`` (class index per work pixel, int32) and ``person_views`` (each
    view's own person probabilities, on its grid: segmenters/person.py judges small people by them). The mirrored pass runs
    when ``ADE_FLIP`` and people cover less than ``FLIP_MAX_PEOPLE`` of the photo (VOC net, when here); the
    multi-scale tiles too, when ``TILES_MAX_PEOPLE`` is set."""
    if "ade" not in ctx.cache:  # (a stand-in context with the answer already cached has no ``once``)
        ctx.once("ade", lambda: _ade_answer(ctx))
    return ctx.cache["ade"]


def _ade_answer(ctx: Any) -> dict[str, Any]:
    """:func:`ade_answer` without the cache."""
    flip, tiles = ADE_FLIP, tiles_enabled()
    if (flip or (tiles and TILES_MAX_PEOPLE)) and net_available(VOC):
        few = float(np.mean(voc_labels(ctx) == VOC_CLASSES.index("person"))) < FLIP_MAX_PEOPLE
        flip = flip and few
        tiles = tiles and (few or not TILES_MAX_PEOPLE)
    person: list[np.ndarray] = []
    probs = ade_probabilities(
        ctx.work, flip=flip, detail=ctx.photo.pixels, tiles=tiles, views_of=ADE_PERSON, views=person
    )
    h, w = ctx.shape
    labels = grid_to_size(np.argmax(probs, axis=-1).astype(np.uint8), (w, h), nearest=True)
    return {"probs": probs, "labels": labels.astype(np.int32), "person_views": person}


def ade_labels(ctx: Any) -> np.ndarray:
    """The ADE20K net's class index per work pixel for this photo (int32; 0 = "other")."""
    return ade_answer(ctx)["labels"]


def group_probabilities(
    probs: np.ndarray, groups: dict[str, str], size: tuple[int, int]
) -> tuple[list[str], np.ndarray]:
    """Sum ADE class probabilities into groups (``groups``: ADE class name -> group name, e.g. "sea" -> "water")
    and resize to ``size`` = (w, h). Returns the group names and a float32 (h, w, len(names) + 1) map whose last
    channel is the best single class outside every group, so ``argmax`` picks a group only where the classes
    it merges together beat every other class (the net splits water between "water", "sea", "river" and
    "lake": one of them alone may lose to "sand" where their sum wins)."""
    names = list(dict.fromkeys(groups.values()))
    member = np.full(probs.shape[-1], -1, np.int64)
    for i, cls in enumerate(ADE_CLASSES, start=1):
        if cls in groups:
            member[i] = names.index(groups[cls])
    chans = [_channel_sum(probs, np.flatnonzero(member == k)) for k in range(len(names))]
    # the best class outside every group: a max is exact in any order, and np.take is several times faster than a
    # boolean index over the 151 classes
    chans.append(np.take(probs, np.flatnonzero(member < 0), axis=-1).max(axis=-1))
    grid = np.stack(chans, axis=-1).astype(np.float32)
    return names, grid_to_size(grid, size)


def _channel_sum(probs: np.ndarray, channels: np.ndarray) -> np.ndarray:
    """``probs[..., channels].sum(axis=-1)`` bit for bit (numpy lays a boolean or fancy index's answer out channel by
    channel, so it adds them one after the other, in order), without copying them out first."""
    if channels.size == 0:
        return np.zeros(probs.shape[:-1], probs.dtype)
    out = probs[..., channels[0]].copy()
    for c in channels[1:]:
        out += probs[..., c]
    return out


# ADE20K classes that are "stuff" (surfaces, not things): a VOC thing that is mostly these is a false find
ADE_STUFF = frozenset(
    {
        "wall",
        "building",
        "sky",
        "floor",
        "tree",
        "ceiling",
        "road",
        "grass",
        "sidewalk",
        "earth",
        "mountain",
        "plant",
        "water",
        "house",
        "sea",
        "field",
        "sand",
        "skyscraper",
        "path",
        "river",
        "hill",
        "palm",
        "tower",
        "land",
        "dirt",
        "lake",
        "hovel",
    }
)


def ade_stuff(labels: np.ndarray) -> np.ndarray:
    """Bool mask of the pixels the ADE20K net puts in a "stuff" class (ADE_STUFF)."""
    lut = np.zeros(len(ADE_CLASSES) + 1, bool)
    for i, name in enumerate(ADE_CLASSES, start=1):
        lut[i] = name in ADE_STUFF
    return lut[labels]
