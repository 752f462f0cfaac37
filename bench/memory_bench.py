"""Peak memory per editor on big photos: one edit at 12, 24 (and optionally 48) MP, each in a fresh process.

For every (editor, size) a child process (``--one``) does, with the app's own code:
1. loads a real photo (tests/photos.py) and upscales it to the size (cubic), and makes a large selection on it
   (a big ellipse for texture / recolour / cartoon / style, the sky of china.jpg for sky, a smaller object for
   remove, every face of insightface's group photo t1 for faceswap / anonymize);
2. warms the editor up on the original small photo (models and ONNX sessions load here, not in the edit);
3. collects garbage, trims the heap and records the idle baseline RSS, then resets the kernel's peak-RSS
   counter (``/proc/self/clear_refs``) so the peak is the edit's own;
4. runs the edit as the server does: ``EditorSession.apply_edit`` (the budget guard, the editor, the layer
   that keeps only the changed pixels), with the memory budget off so the estimate can be compared;
5. records the peak RSS (VmHWM), the RSS after the edit (after a garbage collection; the guard trims the heap),
   what the session legitimately holds after it (the layer's box and the rendered result) and the editor's
   own estimate (``core.budget.estimate``).

Goal (issue 13): at most 3 GB over the idle baseline for any single edit at 24 MP, and memory returned after
(RSS after - baseline about what the session holds). Results: bench/results/memory.json.

    .venv/bin/python bench/memory_bench.py                 # 12 and 24 MP, every editor (~3-4 min on 2 cores)
    .venv/bin/python bench/memory_bench.py --mp 12,24,48   # also 48 MP (longer)
    .venv/bin/python bench/memory_bench.py --editors texture,sky --mp 24
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, ROOT, load_average, log, machine_info, offline_env

EDITORS = ("texture", "recolour", "cartoon", "style", "sky", "remove", "anonymize", "faceswap")
GOAL_MB_OVER_IDLE_24MP = 3072

# editor -> (photo, params, selection kind)
CASES = {
    "texture": ("messi5", {"texture": "leopard"}, "ellipse"),
    "recolour": ("messi5", {"target": "#c0262d"}, "ellipse"),
    "cartoon": ("messi5", {}, "ellipse"),
    "style": ("messi5", {"style": 3}, "ellipse"),
    "sky": ("china", {"preset": "sunset"}, "sky"),
    "remove": ("messi5", {"method": "telea"}, "object"),
    "anonymize": ("t1", {"method": "swap"}, "everything"),
    "faceswap": ("t1", {"target": "synthetic_average"}, "everything"),
}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _selection(kind: str, small: np.ndarray) -> np.ndarray:  # noqa: F821
    """A bool mask at the small photo's size (upscaled with the photo)."""
    import cv2
    import numpy as np

    h, w = small.shape[:2]
    m = np.zeros((h, w), np.uint8)
    if kind == "ellipse":  # a large part: about 45 % of the photo
        cv2.ellipse(m, (w // 2, h // 2), (int(w * 0.42), int(h * 0.42)), 0, 0, 360, 1, -1)
    elif kind == "object":  # remove: an object-sized part, about 6 % of the photo
        cv2.ellipse(m, (int(w * 0.6), int(h * 0.55)), (int(w * 0.12), int(h * 0.16)), 0, 0, 360, 1, -1)
    elif kind == "sky":  # china.jpg: the bright, low-saturation top of the photo above the roof
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        sky = (hsv[..., 2] > 150) & (hsv[..., 1] < 90)
        sky[int(h * 0.55) :] = False
        n, labels = cv2.connectedComponents(sky.astype(np.uint8))
        if n > 1:
            sizes = np.bincount(labels.ravel())[1:]
            sky = labels == 1 + int(np.argmax(sizes))
        m = sky.astype(np.uint8)
    else:
        m[:] = 1
    return m.astype(bool)


def child(editor_name: str, mp: float) -> dict:
    import gc

    import cv2
    import numpy as np

    from core.budget import estimate, trim_heap
    from core.models import ModelManager
    from studio.services import build_services
    from studio.session import EditorSession
    from core.settings import Settings
    from core.types import Photo
    from editors import EDITORS
    from tests import photos

    name, params, kind = CASES[editor_name]
    small = photos.load(name)
    h0, w0 = small.shape[:2]
    s = (mp * 1e6 / (h0 * w0)) ** 0.5
    w, h = round(w0 * s), round(h0 * s)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    small_mask = _selection(kind, small)
    mask = cv2.resize(small_mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)

    settings = Settings(memory_budget_mb=0)  # measure everything; the estimate is recorded beside the peak
    services = build_services(settings, ModelManager(settings, online=False))
    editor = EDITORS.build(editor_name, services.manager)
    editor.apply(small, small_mask, dict(params), 0)  # warm-up: models load now, not during the edit

    photo = Photo(big, name=f"{name}-{mp:g}mp")
    session = EditorSession(photo=photo)
    session.layers.max_layers = settings.max_layers
    del small
    gc.collect()
    trim_heap()
    baseline_kb = _status_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM: the peak from here on is the edit's
        fh.write("5")
    t0 = time.perf_counter()
    layer = session.apply_edit(editor_name, dict(params), 0, services, mask=mask, label="part")
    seconds = time.perf_counter() - t0
    peak_kb = _status_kb("VmHWM")
    gc.collect()
    after_kb = _status_kb("VmRSS")
    cache = session.layers._cache
    held = layer.changed.nbytes + layer.pixels.nbytes + (cache.nbytes if cache is not None else 0)
    est = estimate(editor, big.shape, mask)
    return {
        "editor": editor_name,
        "mp": mp,
        "width": w,
        "height": h,
        "photo": name,
        "params": params,
        "selection": kind,
        "selection_share": round(float(mask.mean()), 3),
        "crop_mp": round((layer.box[2] - layer.box[0]) * (layer.box[3] - layer.box[1]) / 1e6, 2),
        "seconds": round(seconds, 2),
        "baseline_mb": round(baseline_kb / 1024),
        "peak_mb": round(peak_kb / 1024),
        "peak_over_baseline_mb": round((peak_kb - baseline_kb) / 1024),
        "after_mb": round(after_kb / 1024),
        "after_over_baseline_mb": round((after_kb - baseline_kb) / 1024),
        "session_holds_mb": round(held / 2**20),
        "not_returned_mb": round((after_kb - baseline_kb) / 1024 - held / 2**20),
        "estimate_mb": round(est / 2**20),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mp", default="12,24", help="sizes in megapixels (comma-separated; 48 is optional)")
    ap.add_argument("--editors", default=",".join(EDITORS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=300, help="seconds per edit before it is given up")
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "memory.json")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    offline_env()
    if args.one:
        print("RESULT " + json.dumps(child(args.one, float(args.mp))), flush=True)
        return
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONPATH": str(ROOT)}
    sizes = [float(v) for v in args.mp.split(",") if v]
    rows, t_start = [], time.perf_counter()
    for mp in sizes:
        for ed in [e for e in args.editors.split(",") if e]:
            log(f"{ed} at {mp:g} MP ...")
            t0 = time.perf_counter()
            try:
                r = subprocess.run(
                    [sys.executable, __file__, "--one", ed, "--mp", str(mp)],
                    env=env,
                    cwd=ROOT,
                    check=False,
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
                row = json.loads(line[7:]) if line else {"editor": ed, "mp": mp, "error": (r.stderr or r.stdout)[-800:]}
            except subprocess.TimeoutExpired:
                row = {"editor": ed, "mp": mp, "error": f"timed out after {args.timeout:g} s"}
            row["wall_s"] = round(time.perf_counter() - t0, 1)
            log("  " + json.dumps(row))
            rows.append(row)
    at24 = [r for r in rows if r.get("mp") == 24 and "peak_over_baseline_mb" in r]
    checks = [
        {
            "editor": r["editor"],
            "peak_over_baseline_mb": r["peak_over_baseline_mb"],
            "ok": r["peak_over_baseline_mb"] <= GOAL_MB_OVER_IDLE_24MP,
        }
        for r in at24
    ]
    out = {
        "machine": machine_info([args.threads]),
        "threads": args.threads,
        "load_average_at_end": load_average(),
        "seconds": round(time.perf_counter() - t_start, 1),
        "goal": f"peak over idle <= {GOAL_MB_OVER_IDLE_24MP} MB for one edit at 24 MP; memory returned after",
        "goal_checks": checks,
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(
        f"\n{'editor':10} {'MP':>4} {'crop MP':>7} {'s':>6} {'base':>6} {'peak+':>6} {'after+':>6} {'held':>5} "
        f"{'est':>6}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['editor']:10} {r['mp']:4g} ERROR {r['error'][-200:]}")
            continue
        print(
            f"{r['editor']:10} {r['mp']:4g} {r['crop_mp']:7.1f} {r['seconds']:6.1f} {r['baseline_mb']:6} "
            f"{r['peak_over_baseline_mb']:6} {r['after_over_baseline_mb']:6} {r['session_holds_mb']:5} "
            f"{r['estimate_mb']:6}"
        )
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
