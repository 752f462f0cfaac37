"""Benchmark of the editors on CPU: time per edit as the photo grows, and how visible the seam is.

What it measures (torch and OpenCV at ``--threads`` threads, default 2):

1. Every editor through its real entry point, ``EDITORS.build(name).apply(pixels, mask, params, seed)``,
   on real photos with realistic masks:
   - skimage's astronaut photo resized with OpenCV (INTER_AREA down, INTER_CUBIC up) to 640x480 (0.3 MP),
     1000x1000 (1 MP), 2310x1732 (4 MP) and 4000x3000 (12 MP), with the orange suit as the mask (an HSV
     threshold on the 512x512 original, cleaned with morphology, the component under pixel (100, 330) kept,
     then resized with the photo), about 21 % of the photo;
   - sklearn's china.jpg (a temple against a hazy sky) resized to about 1 and 12 MP, with the sky as the
     mask (bright, low-saturation, smooth pixels connected to the top edge above the horizon, grown into
     the sky-coloured pixels around the roofs), about 37 % of the photo.
   Cases: recolour (target colour, and hue-shift mode), texture (denim), style (built-in style 0, default
   parameters), cartoon (default parameters) on the suit; the five sky presets on the sky.
   Time: median of N calls after one warm-up call (the warm-up, e.g. the ONNX session of style transfer,
   is recorded as ``first_call_s``).
2. The seam measure ``core.composite.seam_delta_e(original, result, mask)`` for every case: the colour jump
   (mean CIEDE2000) across the mask's boundary in the original photo and in the result, and the increase.
3. Cost as the photo grows: recolour and texture at 0.3, 1, 4 and 12 MP (ms per megapixel).

Goals (recorded in the JSON with pass/fail in ``goal_checks``): recolour and texture <= 100 ms at 1 MP and
<= 1 s at 12 MP; style <= 0.5 s for a region of a 1 MP photo.

Usage (from the repository root)::

    .venv/bin/python bench/editors_bench.py            # full run -> bench/results/editors.json
    .venv/bin/python bench/editors_bench.py --quick    # smoke test (0.3 MP, 1 repeat) -> editors-quick.json
    .venv/bin/python bench/editors_bench.py --sky-big 12,27 --label after   # -> sky-big.json (merged by label)

``--sky-big``: the sky preset on phone-size photos (china.jpg enlarged to 12 / 27 MP, its sky as above), one edit
per size in a fresh process at one thread: CPU and wall seconds, peak resident memory (the process's and over the
photo's), and the result's SHA-1 (the same digest before and after a change means the same pixels). Runs of
different code (``--label before`` on the old tree, ``after``) are merged into one JSON.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    RESULTS_DIR,
    OtherLoad,
    load_average,
    log,
    machine_info,
    offline_env,
    peak_rss_mib,
    set_threads,
    stats,
    table,
    timed,
    write_result,
)

offline_env()

import cv2  # noqa: E402
import numpy as np  # noqa: E402

GOALS = {
    "recolour_1mp_ms_max": 100.0,
    "texture_1mp_ms_max": 100.0,
    "recolour_12mp_s_max": 1.0,
    "texture_12mp_s_max": 1.0,
    "style_region_1mp_s_max": 0.5,
}

# Photo sizes (width, height) of the astronaut per nominal megapixel count.
ASTRONAUT_SIZES: dict[float, tuple[int, int]] = {
    0.3: (640, 480),
    1.0: (1000, 1000),
    4.0: (2310, 1732),
    12.0: (4000, 3000),
}
SUIT_SEED = (100, 330)  # (x, y) in the 512x512 original: the orange suit

SKY_PRESETS = ("winter", "stormy", "toxic", "sunset", "cartoon")

# (case name, editor, params, photo, sizes in MP)
CASES: list[tuple[str, str, dict[str, Any], str, tuple[float, ...]]] = [
    ("recolour", "recolour", {"target": "#2f6fd0"}, "astronaut", (0.3, 1.0, 4.0, 12.0)),
    ("recolour (hue shift)", "recolour", {"hue_shift": 150.0}, "astronaut", (1.0, 12.0)),
    ("texture", "texture", {"texture": "denim"}, "astronaut", (0.3, 1.0, 4.0, 12.0)),
    ("style", "style", {"style": 0}, "astronaut", (1.0, 12.0)),
    ("cartoon", "cartoon", {}, "astronaut", (1.0, 12.0)),
] + [(f"sky {p}", "sky", {"preset": p}, "china", (1.0, 12.0)) for p in SKY_PRESETS]


# -- photos and masks -------------------------------------------------------------------------------------
def _largest_at(mask: np.ndarray, xy: tuple[int, int]) -> np.ndarray:
    _, lab = cv2.connectedComponents(mask.astype(np.uint8))
    k = lab[xy[1], xy[0]]
    if k == 0:
        raise RuntimeError(f"the mask does not contain the seed pixel {xy}")
    return lab == k


def suit_mask(rgb: np.ndarray) -> np.ndarray:
    """The astronaut's orange suit on the 512x512 original: HSV threshold (hue 3..20 of OpenCV's 0..180,
    so the flag's crimson stripes stay out), opening and closing, the component under ``SUIT_SEED``."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = (hsv[..., i].astype(np.int32) for i in range(3))
    m = ((h >= 3) & (h <= 20) & (s >= 100) & (v >= 60)).astype(np.uint8)
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15)))
    return _largest_at(m, SUIT_SEED)


def sky_mask(rgb: np.ndarray, horizon: float = 0.47) -> np.ndarray:
    """The sky of china.jpg: bright, pale-blue or grey, smooth pixels connected to the top edge, above the
    horizon (``horizon`` x height; below it the haze and the lake look the same as the sky), holes filled,
    then grown (6 px) into sky-coloured pixels next to the roofs and trees (the smoothness test misses them)."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = (hsv[..., i].astype(np.int32) for i in range(3))
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mu = cv2.blur(g, (7, 7))
    sd = np.sqrt(np.maximum(cv2.blur(g * g, (7, 7)) - mu * mu, 0))
    cut = int(horizon * rgb.shape[0])
    cand = (v >= 190) & (s <= 90) & (((h >= 90) & (h <= 130)) | (s <= 30)) & (sd < 6)
    cand[cut:] = False
    k3 = np.ones((3, 3), np.uint8)
    m = cv2.morphologyEx(cand.astype(np.uint8), cv2.MORPH_OPEN, k3)
    _, lab = cv2.connectedComponents(m)
    top = np.unique(lab[0][lab[0] > 0])
    keep = np.isin(lab, top)
    n2, lab2 = cv2.connectedComponents((~keep).astype(np.uint8))
    border = set(np.unique(np.concatenate([lab2[0], lab2[-1], lab2[:, 0], lab2[:, -1]])).tolist())
    keep |= np.isin(lab2, [i for i in range(1, n2) if i not in border])  # holes
    keep = cv2.morphologyEx(
        keep.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    ).astype(bool)
    colour = (v >= 170) & (s <= 100) & (((h >= 90) & (h <= 130)) | (s <= 35))
    colour[cut:] = False
    for _ in range(6):
        keep |= cv2.dilate(keep.astype(np.uint8), k3).astype(bool) & colour
    return cv2.morphologyEx(keep.astype(np.uint8), cv2.MORPH_OPEN, k3).astype(bool)


def resize_pair(rgb: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Photo resized with OpenCV (INTER_AREA down, INTER_CUBIC up); mask resized smoothly, thresholded."""
    w, h = size
    up = w * h > rgb.shape[0] * rgb.shape[1]
    px = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_CUBIC if up else cv2.INTER_AREA)
    m = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
    return np.ascontiguousarray(px), m


def size_for(shape: tuple[int, ...], mp: float) -> tuple[int, int]:
    h, w = shape[:2]
    f = (mp * 1e6 / (h * w)) ** 0.5
    return max(16, round(w * f)), max(16, round(h * f))


class Photos:
    """Photos and masks per (photo name, MP), made on first use and kept."""

    def __init__(self) -> None:
        from skimage import data
        from sklearn.datasets import load_sample_image

        astro = data.astronaut()
        china = load_sample_image("china.jpg")
        self.sources = {"astronaut": (astro, suit_mask(astro)), "china": (china, sky_mask(china))}
        self.cache: dict[tuple[str, float], tuple[np.ndarray, np.ndarray]] = {}

    def get(self, name: str, mp: float) -> tuple[np.ndarray, np.ndarray]:
        key = (name, mp)
        if key not in self.cache:
            rgb, mask = self.sources[name]
            size = ASTRONAUT_SIZES[mp] if name == "astronaut" and mp in ASTRONAUT_SIZES else size_for(rgb.shape, mp)
            px, m = resize_pair(rgb, mask, size)
            px.setflags(write=False)
            self.cache[key] = (px, m)
        return self.cache[key]

    def describe(self) -> dict[str, Any]:
        out = {}
        for name, (rgb, mask) in self.sources.items():
            ys, xs = np.nonzero(mask)
            out[name] = {
                "original_size": [rgb.shape[1], rgb.shape[0]],
                "mask": "orange suit" if name == "astronaut" else "sky",
                "mask_fraction": round(float(mask.mean()), 4),
                "mask_box_xyxy": [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1],
            }
        return out


# -- one case ---------------------------------------------------------------------------------------------
def bench_case(
    editor: Any, pixels: np.ndarray, mask: np.ndarray, params: dict[str, Any], repeats: int
) -> dict[str, Any]:
    from core.composite import seam_delta_e

    first_s, result = timed(lambda: editor.apply(pixels, mask, params, 0))  # warm-up
    times = []
    for _ in range(repeats):
        gc.collect()
        s, result = timed(lambda: editor.apply(pixels, mask, params, 0))
        times.append(s)
    seam_s, seam = timed(lambda: seam_delta_e(pixels, result, mask))
    changed = np.any(result != pixels, axis=2)
    return {
        "first_call_s": round(first_s, 3),
        "time_ms": stats(times, 1000, 1),
        "seam_delta_e": {
            "original": round(seam.original, 2),
            "result": round(seam.result, 2),
            "increase": round(seam.increase, 2),
            "band_px": seam.band_px,
            "samples": seam.samples,
        },
        "seam_measure_s": round(seam_s, 3),
        "changed_fraction": round(float(changed.mean()), 4),
        "changed_outside_mask_fraction": round(float((changed & ~mask).mean()), 5),
    }


# -- the sky preset on big photos --------------------------------------------------------------------------
SKY_BIG_MP = "12,27"


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def sky_big_one(mp: float, preset: str) -> dict[str, Any]:
    """One sky edit (``preset``, default parameters, seed 0) of china.jpg enlarged to ``mp`` MP, in this process at
    one thread: CPU / wall seconds, peak memory, the result's digest."""
    from sklearn.datasets import load_sample_image

    from common import peak_rss_mib
    from editors import EDITORS

    cv2.setNumThreads(1)
    china = load_sample_image("china.jpg")
    pixels, mask = resize_pair(china, sky_mask(china), size_for(china.shape, mp))
    editor = EDITORS.build("sky")
    del china
    gc.collect()
    before_mib, peak_before = _rss_mib(), peak_rss_mib()
    c0, t0 = time.process_time(), time.perf_counter()
    out = editor.apply(pixels, mask, {"preset": preset}, 0)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    peak = peak_rss_mib()
    return {
        "mp": round(pixels.shape[0] * pixels.shape[1] / 1e6, 2),
        "width": pixels.shape[1],
        "height": pixels.shape[0],
        "preset": preset,
        "mask_fraction": round(float(mask.mean()), 4),
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "peak_rss_mib": peak,
        "peak_over_photo_mib": round(peak - before_mib) if peak > peak_before else None,
        "rss_before_mib": round(before_mib),
        "result_sha1": hashlib.sha1(out.tobytes()).hexdigest(),
    }


def sky_big(args: argparse.Namespace) -> int:
    """Each size of ``--sky-big`` in a fresh process; the runs are merged into ``args.out`` under ``args.label``."""
    import subprocess

    rows = []
    for mp in (float(x) for x in args.sky_big.split(",")):
        cmd = [sys.executable, __file__, "--sky-one", str(mp), "--sky-preset", args.sky_preset]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        log(
            f"sky {args.sky_preset} {row['mp']:.1f} MP: cpu {row['cpu_s']:.1f} s, wall {row['wall_s']:.1f} s, "
            f"peak {row['peak_rss_mib']} MiB (+{row['peak_over_photo_mib']} over the photo)"
        )
    out = args.out
    result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    result.update(
        {
            "benchmark": "bench/editors_bench.py --sky-big",
            "what": "SkyEditor.apply (default parameters, seed 0) on china.jpg enlarged (cubic), its sky as the mask; "
            "one edit per size in a fresh process, OpenCV and OpenMP at 1 thread; cpu_s = process_time",
        }
    )
    runs = result.setdefault("runs", {})
    runs[args.label] = {
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "machine": machine_info([1], ("numpy", "cv2")),
        "rows": rows,
        "load_average_at_end": load_average(),
    }
    if "before" in runs and "after" in runs:
        pairs = []
        for b in runs["before"]["rows"]:
            a = next((r for r in runs["after"]["rows"] if r["mp"] == b["mp"] and r["preset"] == b["preset"]), None)
            if a:
                pairs.append(
                    {
                        "mp": b["mp"],
                        "cpu_s": [b["cpu_s"], a["cpu_s"]],
                        "wall_s": [b["wall_s"], a["wall_s"]],
                        "peak_rss_mib": [b["peak_rss_mib"], a["peak_rss_mib"]],
                        "peak_over_photo_mib": [b["peak_over_photo_mib"], a["peak_over_photo_mib"]],
                        "same_pixels": a["result_sha1"] == b["result_sha1"],
                    }
                )
        result["before_after"] = pairs
    write_result(result, out)
    print(json.dumps(result.get("before_after", rows), indent=1))
    return 0


# -- goals and the table ----------------------------------------------------------------------------------
def find(result: dict[str, Any], case: str, mp: float) -> dict[str, Any] | None:
    return next((c for c in result["cases"] if c["case"] == case and abs(c["mp_nominal"] - mp) < 1e-6), None)


def goal_checks(result: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []

    def add(case: str, mp: float, goal_key: str, scale: float, unit: str) -> None:
        c = find(result, case, mp)
        if c is None:
            return
        value = round(c["time_ms"]["median"] * scale, 3)
        goal = GOALS[goal_key]
        checks.append(
            {"case": case, "mp": mp, "what": goal_key, "value": value, "goal": goal, "unit": unit, "ok": value <= goal}
        )

    add("recolour", 1.0, "recolour_1mp_ms_max", 1.0, "ms")
    add("recolour", 12.0, "recolour_12mp_s_max", 1e-3, "s")
    add("texture", 1.0, "texture_1mp_ms_max", 1.0, "ms")
    add("texture", 12.0, "texture_12mp_s_max", 1e-3, "s")
    add("style", 1.0, "style_region_1mp_s_max", 1e-3, "s")
    return checks


def scaling(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for case in ("recolour", "texture"):
        rows = [c for c in result["cases"] if c["case"] == case]
        out[case] = [
            {
                "mp": c["mp"],
                "median_ms": c["time_ms"]["median"],
                "ms_per_mp": round(c["time_ms"]["median"] / c["mp"], 1),
            }
            for c in rows
        ]
    return out


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    th = result["threads"]
    lines = [
        f"Machine: {m['cpu_model']} ({m['cpu_capability']}), {m['cores_available']} cores available, "
        f"torch threads {th['torch_threads']}, OpenCV threads {th['cv2_threads']}, "
        f"load average at start {m['load_average_at_start']}, at end {m['load_average_at_end']}",
        "Medians after a warm-up; seam = mean CIEDE2000 across the mask's boundary (original -> result); "
        "others = cores kept busy by other processes meanwhile (should be ~0).",
        "",
    ]
    rows = []
    for c in result["cases"]:
        s = c["seam_delta_e"]
        rows.append(
            [
                c["case"],
                f"{c['mp']:.2f}",
                f"{c['width']}x{c['height']}",
                f"{c['mask_fraction']:.2f}",
                c["time_ms"]["median"],
                c["time_ms"]["min"],
                c["time_ms"]["n"],
                f"{c['first_call_s']:.2f}",
                f"{s['original']:.1f}",
                f"{s['result']:.1f}",
                f"{s['increase']:+.1f}",
                c.get("other_processes_cores_busy"),
            ]
        )
    lines.append(
        table(
            rows,
            [
                "case",
                "MP",
                "size",
                "mask",
                "median ms",
                "min ms",
                "n",
                "first s",
                "seam orig",
                "seam result",
                "increase",
                "others",
            ],
        )
    )
    lines += ["", "Goals"]
    rows = [
        [
            g["case"],
            f"{g['mp']:g} MP",
            f"{g['value']:g} {g['unit']}",
            f"<= {g['goal']:g} {g['unit']}",
            "met" if g["ok"] else "MISSED",
        ]
        for g in result["goal_checks"]
    ]
    lines.append(table(rows, ["case", "size", "median", "goal", ""]))
    lines.append(
        f"\nTotal time {result['elapsed_s']:.0f} s, peak memory {result['peak_rss_mib']} MiB; "
        f"results in {result['output']}"
    )
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="torch and OpenCV threads (default 2)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 0.3 MP (astronaut) / 0.27 MP (china) only, 1 repeat; writes results/editors-quick.json",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed calls per case up to 1 MP (default 7); 4 and 12 MP get half, at least 3",
    )
    ap.add_argument("--cases", default=None, help="comma-separated case names (default: all)")
    ap.add_argument("--out", type=Path, default=None, help="JSON output path")
    ap.add_argument("--sky-big", default=None, help=f"the sky preset on big photos at these MP (e.g. {SKY_BIG_MP})")
    ap.add_argument("--sky-one", type=float, default=None, help=argparse.SUPPRESS)  # one size, in a fresh process
    ap.add_argument("--sky-preset", default="sunset", help="the preset --sky-big runs (default sunset)")
    ap.add_argument("--label", default="after", help="--sky-big: the name of this run in the JSON (before / after)")
    args = ap.parse_args(argv)
    if args.sky_big or args.sky_one:
        args.out = args.out or RESULTS_DIR / "sky-big.json"
        return args
    if args.threads < 1:
        ap.error("--threads must be >= 1")
    args.repeats = args.repeats or (1 if args.quick else 7)
    args.out = args.out or RESULTS_DIR / ("editors-quick.json" if args.quick else "editors.json")
    names = [c[0] for c in CASES]
    args.cases = [c.strip() for c in args.cases.split(",")] if args.cases else names
    unknown = [c for c in args.cases if c not in names]
    if unknown:
        ap.error(f"unknown case(s) {unknown}; choose from {names}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.sky_one:
        print(json.dumps(sky_big_one(args.sky_one, args.sky_preset)))
        return 0
    if args.sky_big:
        return sky_big(args)
    t_start = time.perf_counter()
    th = set_threads(args.threads)
    from editors import EDITORS

    result: dict[str, Any] = {
        "benchmark": "bench/editors_bench.py",
        "mode": "quick" if args.quick else "full",
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "machine": machine_info([args.threads], ("torch", "numpy", "cv2", "skimage", "onnxruntime")),
        "threads": th,
        "goals": GOALS,
        "settings": {
            "repeats_up_to_1mp": args.repeats,
            "repeats_4_12mp": args.repeats if args.quick else max(3, args.repeats // 2),
            "warm_up": "1 call before each timed series (first_call_s)",
            "seed": 0,
            "astronaut_sizes": {str(k): v for k, v in ASTRONAUT_SIZES.items()},
            "china_sizes": "aspect kept, about the nominal MP",
            "style_engine_threads": "onnxruntime default (intra-op = physical cores)",
        },
        "cases": [],
    }
    photos = Photos()
    result["photos"] = photos.describe()
    log(f"threads: torch {th['torch_threads']}, OpenCV {th['cv2_threads']}; pools {th.get('threadpools')}")
    log(
        f"masks: suit {result['photos']['astronaut']['mask_fraction']:.1%} of the astronaut, "
        f"sky {result['photos']['china']['mask_fraction']:.1%} of china.jpg"
    )

    for case, editor_name, params, photo_name, sizes in CASES:
        if case not in args.cases:
            continue
        editor = EDITORS.build(editor_name)
        for mp in (0.3,) if args.quick else sizes:
            pixels, mask = photos.get(photo_name, mp)
            repeats = args.repeats if (args.quick or mp <= 1.0) else max(3, args.repeats // 2)
            before = load_average()
            other = OtherLoad().start()
            r = bench_case(editor, pixels, mask, params, repeats)
            r["other_processes_cores_busy"] = other.stop()
            entry = {
                "case": case,
                "editor": editor_name,
                "params": params,
                "photo": photo_name,
                "mp_nominal": mp,
                "mp": round(pixels.shape[0] * pixels.shape[1] / 1e6, 2),
                "width": pixels.shape[1],
                "height": pixels.shape[0],
                "mask_fraction": round(float(mask.mean()), 4),
                **r,
                "load_average_before": before,
                "load_average_after": load_average(),
            }
            result["cases"].append(entry)
            s = r["seam_delta_e"]
            log(
                f"{case:22s} {entry['mp']:5.2f} MP: {r['time_ms']['median']:8.1f} ms (first {r['first_call_s']:.2f} s)"
                f"  seam {s['original']:.1f} -> {s['result']:.1f} ({s['increase']:+.1f}); others busy "
                f"{r['other_processes_cores_busy']} cores"
            )
        if editor_name == "style":
            try:
                from editors.style import engine

                result["settings"]["style_engine_threads"] = (
                    f"onnxruntime intra-op {engine().threads!r} (None = default)"
                )
                result["settings"]["style_engine_device"] = engine().device
            except Exception:  # noqa: BLE001
                pass

    result["scaling"] = scaling(result)
    result["goal_checks"] = goal_checks(result)
    result["machine"]["load_average_at_end"] = load_average()
    result["elapsed_s"] = round(time.perf_counter() - t_start, 1)
    result["peak_rss_mib"] = peak_rss_mib()
    write_result(result, args.out)
    print()
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
