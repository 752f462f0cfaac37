"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``, face-recognition-models
0.3.0, CC0) run by onnxruntime: the same network and the same weights, read from dlib's own file.

dlib's CPU build runs the 29-convolution ResNet in about 0.1 s per face on this project's CPU, about half of
each checked anonymize try; onnxruntime runs the same graph in a few milliseconds. The face chip (150 px,
padding 0.25, dlib's ``get_face_chip`` from its 68 landmarks) is still dlib's, so only the forward pass moves;
``tests/test_faces.py`` checks the descriptors against dlib's own on real and swapped faces.

The file is dlib's serialised ``anet_type`` (dlib's ``dnn_face_recognition_ex.cpp``): an input layer that
subtracts the mean colour (122.782, 117.001, 104.298) and divides by 256, a 7x7/2 convolution, batch norm
folded into ``affine``, ReLU, 3x3/2 max pool, 15 residual blocks (32, 64, 128, 256 filters; a down block
convolves with stride 2 and no padding and adds the 2x2-average-pooled input, zero-padded in channels and in
the bottom/right rows where the sizes differ, as dlib's ``add_prev`` does), a global average and a 256->128
``fc_no_bias``. Layers are written input first, each as its name followed by its parameter tensor (version
2: four dlib-encoded dimensions, then little-endian float32s).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CHIP = 150  # dlib's face chip side
CHIP_PADDING = 0.25
MEAN_RGB = (122.782, 117.001, 104.298)  # input_rgb_image_sized's averages (read back from the file in load)
_LAYER = re.compile(rb"(con_4|affine_|relu_|max_pool_2|avg_pool_2|add_prev_|fc_2)")


class Reader:
    """dlib's serialisation: integers as a length byte (0x80 = negative) then little-endian bytes."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def int(self) -> int:
        c = self.data[self.pos]
        n = c & 0x0F
        v = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + n], "little")
        self.pos += 1 + n
        return -v if c & 0x80 else v

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise ValueError("unknown dlib tensor version")
        dims = [self.int() for _ in range(4)]
        n = int(np.prod(dims))
        arr = np.frombuffer(self.data, "<f4", n, self.pos).reshape(dims)
        self.pos += 4 * n
        return arr


def read_layers(path: Path) -> list[tuple[str, Any]]:
    """The network's layers, input first: ("con", weights (O, I, k, k), bias, stride, pad), ("affine",
    gamma, beta), ("relu",), ("max_pool" | "avg_pool", size, stride) (size 0: global), ("add",), ("fc", W)."""
    data = path.read_bytes()
    layers: list[tuple[str, Any]] = []
    cin = 3
    for m in _LAYER.finditer(data):
        name = m.group().decode()
        if data[m.start() - 2 : m.start()] != bytes([1, len(name)]):  # a dlib string: its length, then it
            continue
        r = Reader(data, m.end())
        if name == "con_4":
            params = r.tensor().ravel()
            n, kh, kw, sy, sx, py, px = (r.int() for _ in range(7))
            if kh != kw or sy != sx or py != px:
                raise ValueError("unexpected convolution shape")
            w = params[: n * cin * kh * kw].reshape(n, cin, kh, kw)
            layers.append(("con", w, params[n * cin * kh * kw :], sy, py))
            cin = n
        elif name == "affine_":
            params = r.tensor().ravel()
            c = params.size // 2
            layers.append(("affine", params[:c], params[c:]))
        elif name == "relu_":
            layers.append(("relu",))
        elif name in ("max_pool_2", "avg_pool_2"):
            nr, nc, sy, sx, py, px = (r.int() for _ in range(6))
            if nr != nc or sy != sx or py or px:
                raise ValueError("unexpected pooling shape")
            layers.append((name[:-2], nr, sy))
        elif name == "add_prev_":
            layers.append(("add",))
        else:  # fc_2: outputs, inputs, then W (inputs, outputs)
            outputs, inputs = r.int(), r.int()
            layers.append(("fc", r.tensor().reshape(inputs, outputs)))
    kinds = [layer[0] for layer in layers]
    if kinds.count("con") != 29 or kinds.count("affine") != 29 or kinds[-1] != "fc":
        raise ValueError(f"not dlib's face-recognition ResNet v1 ({kinds.count('con')} convolutions)")
    return layers


def build_graph(layers: list[tuple[str, Any]]) -> bytes:
    """The ONNX graph (bytes) of dlib's ResNet on a (1, 3, 150, 150) float input already normalised.

    The residual wiring is dlib's ``tag1`` / ``skip1`` / ``add_prev``: a block's input is remembered at its
    first convolution (after a ReLU or the max pool), and ``add`` sums the block's output with it, or with
    its 2x2 average pool in a down block."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    count = [0]

    def name(kind: str) -> str:
        count[0] += 1
        return f"{kind}{count[0]}"

    def const(arr: np.ndarray) -> str:
        n = name("w")
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, np.float32), n))
        return n

    def ints(values: list[int]) -> str:
        n = name("i")
        inits.append(numpy_helper.from_array(np.array(values, np.int64), n))
        return n

    x, size, chans = "chip", CHIP, 3
    block_in: tuple[str, int, int] | None = None  # the tagged input of the current residual block
    shortcut: tuple[str, int, int] | None = None
    for layer in layers:
        kind = layer[0]
        out = name(kind)
        if kind == "con":
            w, b, stride, pad = layer[1:]
            if block_in is None:  # a block's first convolution: its input is dlib's tag1
                block_in = (x, size, chans)
            nodes.append(
                helper.make_node(
                    "Conv",
                    [x, const(w), const(b)],
                    [out],
                    strides=[stride] * 2,
                    pads=[pad] * 4,
                    kernel_shape=[w.shape[2]] * 2,
                )
            )
            size, chans = (size + 2 * pad - w.shape[2]) // stride + 1, w.shape[0]
        elif kind == "affine":
            gamma, beta = layer[1:]
            mul = name("mul")
            nodes.append(helper.make_node("Mul", [x, const(gamma.reshape(1, -1, 1, 1))], [mul]))
            nodes.append(helper.make_node("Add", [mul, const(beta.reshape(1, -1, 1, 1))], [out]))
        elif kind == "relu":
            nodes.append(helper.make_node("Relu", [x], [out]))
        elif kind in ("max_pool", "avg_pool"):
            k, stride = layer[1:]
            if k == 0:  # avg_pool_everything
                nodes.append(helper.make_node("GlobalAveragePool", [x], [out]))
                size = 1
            elif kind == "max_pool":
                nodes.append(helper.make_node("MaxPool", [x], [out], kernel_shape=[k, k], strides=[stride] * 2))
                size = (size - k) // stride + 1
                block_in = None  # the stem ends here: the first residual block starts at the next convolution
            else:  # the down block's shortcut: the block input, pooled; the block output waits in ``x``
                assert block_in is not None
                src, s, c = block_in
                nodes.append(helper.make_node("AveragePool", [src], [out], kernel_shape=[k, k], strides=[stride] * 2))
                shortcut = (out, (s - k) // stride + 1, c)
                continue  # x stays the block's output
        elif kind == "add":
            assert block_in is not None
            a, sa, ca = shortcut if shortcut is not None else block_in
            b, sb, cb = x, size, chans
            s, c = max(sa, sb), max(ca, cb)
            padded = []
            for t, st, ct in ((a, sa, ca), (b, sb, cb)):
                if (st, ct) != (s, c):  # dlib's add_prev: zeros where one input is smaller (channels, bottom/right)
                    p = name("pad")
                    nodes.append(helper.make_node("Pad", [t, ints([0, 0, 0, 0, 0, c - ct, s - st, s - st])], [p]))
                    t = p
                padded.append(t)
            nodes.append(helper.make_node("Add", padded, [out]))
            size, chans = s, c
            block_in, shortcut = None, None
        else:  # fc
            flat = name("flat")
            nodes.append(helper.make_node("Flatten", [x], [flat]))
            nodes.append(helper.make_node("MatMul", [flat, const(layer[1])], [out]))
        x = out
    graph = helper.make_graph(
        nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("chip", TensorProto.FLOAT, [1, 3, CHIP, CHIP])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 128])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


class DlibResNet:
    """dlib's descriptor network in onnxruntime: ``descriptor(chip)`` for a 150 px RGB uint8 dlib face chip."""

    def __init__(self, path: Path):
        from core.models import onnx_session

        self.session = onnx_session(build_graph(read_layers(path)), threads=1)

    def descriptor(self, chip: np.ndarray) -> np.ndarray:
        x = (chip.astype(np.float32) - np.array(MEAN_RGB, np.float32)) / 256.0
        return self.session.run(None, {"chip": x.transpose(2, 0, 1)[None]})[0][0].astype(np.float32)
