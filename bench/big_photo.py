"""The jury path on a big phone photo, stage by stage, in CPU time and wall time: upload -> parts -> pick -> Apply.

A real photo (tests/photos.py) is enlarged (cubic) to 12 / 24 / 48 MP with a little noise added (sigma 3 grey
levels, fixed seed: so the big photo is not trivially smooth and compresses like a phone's), written as a JPEG
(quality 92). Then, in this process and with the app's own code (no browser, no HTTP), each stage as the server
runs it for the page:

- ``decode``: ``core.photo.load_photo`` (read, decode, EXIF transpose, to RGB);
- ``load``: ``EditorSession.load`` (the preview, the click backend's preparation, every parser with the full-size
  mask refinement); ``parse_s`` is the parser's own figure;
- ``upload_render``: what the upload event sends the page (app/view.py ``RENDER`` of every field: the canvas JPEG,
  the chips) and the legend (``on_upload_legend``: the preview-size masks through Gradio's AnnotatedImage);
- ``pick``: ``use_part`` on the largest part (not the background) and its render (the mask download PNG, canvas);
- ``apply``: ``apply_edit`` of the look (texture "leopard" by default) on that part, and its render (canvas,
  before / after through Gradio's ImageSlider).

CPU is ``time.process_time`` (every thread of this process: the machine is shared, so CPU time is the figure to
compare; wall is given too). Each size runs in a fresh process (``--one``) after a warm-up on the small photo (the
models load there, not in the figures). ``--profile`` writes a cProfile of each stage to /tmp.

    .venv/bin/python bench/big_photo.py --mp 12,24,48 --out bench/results/big_photo.json
    .venv/bin/python bench/big_photo.py --mp 24 --repeat 2 --label after
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, log, machine_info, offline_env, require_nets

NOISE_SIGMA = 3.0


def big_jpeg(name: str, mp: float, path: Path, seed: int = 0, rgb: Any = None) -> Path:
    """Photo ``name`` (or the RGB array ``rgb``) enlarged (cubic) to about ``mp`` megapixels (sides in multiples of 4, as
    phone photos have: 4032 x 3024, 8064 x 6048) plus Gaussian noise (``NOISE_SIGMA``), JPEG q92."""
    import cv2
    import numpy as np

    from tests import photos

    rgb = photos.load(name) if rgb is None else rgb
    s = (mp * 1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    size = (4 * round(rgb.shape[1] * s / 4), 4 * round(rgb.shape[0] * s / 4))  # sides in multiples of 4, as a phone's
    big = cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(seed).normal(0.0, NOISE_SIGMA, big.shape[:2] + (1,)).astype(np.float32)
    big = np.clip(big.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    cv2.imwrite(str(path), big[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


class Stages:
    """CPU and wall seconds of named stages (optionally each under cProfile)."""

    def __init__(self, profile_dir: Path | None) -> None:
        self.out: dict[str, dict[str, float]] = {}
        self.profile_dir = profile_dir

    def run(self, name: str, fn: Any) -> Any:
        import cProfile

        prof = cProfile.Profile() if self.profile_dir else None
        c0, t0 = time.process_time(), time.perf_counter()
        if prof:
            prof.enable()
        try:
            return fn()
        finally:
            if prof:
                prof.disable()
            self.out[name] = {
                "cpu_s": round(time.process_time() - c0, 3),
                "wall_s": round(time.perf_counter() - t0, 3),
            }
            if prof and self.profile_dir:
                prof.dump_stats(str(self.profile_dir / f"{name}.prof"))


def render_all(view_render: dict, s: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: view_render[n](s) for n in names}


def one(args: argparse.Namespace) -> dict[str, Any]:
    """One size in this process: the stages' CPU and wall seconds."""
    import gc

    import gradio as gr
    import numpy as np

    from app.view import FIELDS, RENDER
    from core.photo import load_photo
    from studio.services import build_services
    from studio.session import EditorSession

    services = build_services()
    tmp = Path(tempfile.mkdtemp(prefix="facet-big-"))
    # warm-up on the small photo: every model and ONNX session loads here
    warm = EditorSession()
    warm.load(load_photo(_small(args.photo, tmp)), services)
    if warm.parts:
        warm.use_part(warm.parts[0].id)
        warm.apply_edit(args.look, dict(args.params), 0, services)
    warm.close()
    del warm
    gc.collect()

    path = big_jpeg(args.photo, args.mp, tmp / f"{args.photo}-{args.mp:g}mp.jpg")
    legend = gr.AnnotatedImage(format="jpeg")
    try:  # the legend as the app builds it (app/photo_panel.py; a tree before round 18 has Gradio's own only)
        from app.photo_panel import quick_layers

        quick_layers(legend)
    except ImportError:
        pass
    compare = gr.ImageSlider(type="numpy", format="jpeg")
    st = Stages(Path(args.profile) if args.profile else None)
    s = EditorSession()
    photo = st.run("decode", lambda: load_photo(str(path)))
    st.run("load", lambda: s.load(photo, services))

    def upload_render() -> None:
        render_all(RENDER, s, FIELDS)
        legend.postprocess((s.preview, [(m, p.label) for (m, _), p in zip(s.parts_legend(), s.parts, strict=True)]))

    st.run("upload_render", upload_render)
    parts = [p for p in s.parts if p.label != "background"] or list(s.parts)
    part = max(parts, key=lambda p: int(p.mask.sum()))

    def pick() -> None:
        s.use_part(part.id)
        render_all(RENDER, s, FIELDS)

    st.run("pick", pick)

    def apply() -> None:
        s.apply_edit(args.look, dict(args.params), 0, services)
        values = render_all(RENDER, s, FIELDS)
        if values["compare"] is not None:
            compare.postprocess(values["compare"])

    st.run("apply", apply)
    rss = _status_kb("VmHWM") / 1024
    out = {
        "mp": args.mp,
        "size": [photo.width, photo.height],
        "jpeg_mb": round(path.stat().st_size / 2**20, 1),
        "parts": len(s.parts),
        "parse_s": round(s.parse_seconds, 3),
        "picked": part.label,
        "picked_share": round(float(part.mask.mean()), 3),
        "stages": st.out,
        "upload_to_chips_cpu_s": round(sum(st.out[k]["cpu_s"] for k in ("decode", "load", "upload_render")), 3),
        "upload_to_chips_wall_s": round(sum(st.out[k]["wall_s"] for k in ("decode", "load", "upload_render")), 3),
        "pick_apply_cpu_s": round(sum(st.out[k]["cpu_s"] for k in ("pick", "apply")), 3),
        "pick_apply_wall_s": round(sum(st.out[k]["wall_s"] for k in ("pick", "apply")), 3),
        "peak_rss_mb": round(rss),
    }
    if args.masks:  # the full-size masks, for an exact before / after comparison (bench/big_photo.py --compare)
        np.savez_compressed(
            args.masks,
            **{f"{i:02d}_{p.label}": p.mask for i, p in enumerate(s.parts)},
            **{f"{i:02d}_{p.label}__alpha": p.edge_alpha for i, p in enumerate(s.parts) if p.edge_alpha is not None},
            result=np.asarray(s.result()),
        )
    s.close()
    return out


def _small(name: str, tmp: Path) -> str:
    import cv2

    from tests import photos

    p = tmp / f"{name}.png"
    cv2.imwrite(str(p), photos.load(name)[..., ::-1])
    return str(p)


def _status_kb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return 0.0


def compare_masks(a: Path, b: Path) -> dict[str, Any]:
    """Max abs difference of the full-size alphas, IoU of the masks, and the result's max abs diff, ``a`` vs ``b``."""
    import numpy as np

    za, zb = np.load(a), np.load(b)
    out: dict[str, Any] = {"same_keys": sorted(za.files) == sorted(zb.files), "parts": {}}
    for k in sorted(set(za.files) & set(zb.files)):
        x, y = za[k], zb[k]
        if x.dtype == bool:
            union = int((x | y).sum())
            out["parts"][k] = {
                "iou": round(float((x & y).sum() / union), 6) if union else 1.0,
                "diff_px": int((x ^ y).sum()),
            }
        else:
            out["parts"][k] = {"max_abs": float(np.abs(x.astype(np.float32) - y.astype(np.float32)).max())}
    rows = out["parts"].values()
    out["summary"] = {
        "masks": sum("iou" in r for r in rows),
        "min_iou": min((r["iou"] for r in rows if "iou" in r), default=None),
        "pixels_differing": sum(r.get("diff_px", 0) for r in rows),
        "max_abs_alpha_or_result": max((r["max_abs"] for r in rows if "max_abs" in r), default=None),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mp", default="12,24,48")
    ap.add_argument("--photo", default="t1")
    ap.add_argument("--look", default="texture")
    ap.add_argument("--params", default='{"texture": "leopard"}')
    ap.add_argument("--repeat", type=int, default=1, help="fresh processes per size (median taken)")
    ap.add_argument("--label", default="", help="a name for this run in the JSON (e.g. before / after)")
    ap.add_argument("--out", type=Path, default=None, help="JSON to write (merged into it under --label)")
    ap.add_argument("--profile", default="", help="folder for cProfile stats of each stage (--one)")
    ap.add_argument("--masks", default="", help="write the full-size masks and result here (.npz, --one)")
    ap.add_argument("--compare", nargs=2, type=Path, help="compare two --masks files and exit")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.compare:
        print(json.dumps(compare_masks(*args.compare), indent=1))
        return
    offline_env()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args.params = json.loads(args.params) if isinstance(args.params, str) else args.params
    if args.one:
        args.mp = float(args.mp)
        print("RESULT " + json.dumps(one(args)), flush=True)
        return
    missing = require_nets()
    runs: dict[str, Any] = {}
    for mp in [float(x) for x in args.mp.split(",")]:
        rows = []
        for r in range(args.repeat):
            cmd = [sys.executable, __file__, "--one", "--mp", str(mp), "--photo", args.photo, "--look", args.look]
            cmd += ["--params", json.dumps(args.params)]
            if args.profile:
                cmd += ["--profile", args.profile]
            if args.masks:
                cmd += ["--masks", f"{args.masks}-{mp:g}mp.npz"]
            log(f"{mp:g} MP run {r + 1}/{args.repeat} (load {load_average()})")
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
            line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                raise RuntimeError(f"the {mp:g} MP run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            row = json.loads(line[len("RESULT ") :])
            log(
                f"  upload->chips CPU {row['upload_to_chips_cpu_s']} s (wall {row['upload_to_chips_wall_s']}), "
                f"pick+apply CPU {row['pick_apply_cpu_s']} s (wall {row['pick_apply_wall_s']}); "
                + ", ".join(f"{k} {v['cpu_s']}" for k, v in row["stages"].items())
            )
            rows.append(row)
        runs[f"{mp:g}"] = rows
    result = {
        "label": args.label,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "photo": args.photo,
        "look": args.look,
        "params": args.params,
        "noise_sigma": NOISE_SIGMA,
        "missing_nets": missing,
        "machine": machine_info([int(os.environ.get("OMP_NUM_THREADS", "1"))]),
        "load_average_at_end": load_average(),
        "runs": runs,
    }
    print(json.dumps(result, indent=1))
    if args.out:
        old = json.loads(args.out.read_text()) if args.out.exists() else {}
        old[args.label or "run"] = result
        args.out.write_text(json.dumps(old, indent=1) + "\n")


if __name__ == "__main__":
    main()
