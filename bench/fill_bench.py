"""Offline Remove fill quality and time: PatchMatch (``editors/fill.py``) against OpenCV Telea.

For every case of ``bench/fill_cases.json`` (real photos of ``tests/photos.py``: rectangles on textured
areas and outlines of real objects, drawn by hand) it runs the Remove editor offline (no LaMa) with
``method=patchmatch`` and with ``method=telea`` and records, on the area that was filled:

- ``texture_ratio`` (``editors.fill.texture_ratio``): high-frequency energy inside the fill / that in a
  ring around it. HF = grey level minus its Gaussian blur (sigma 1.5 px); energy = mean HF^2; inside =
  filled pixels more than 3 px from the fill's border; ring = pixels 3 .. 3 + max(8, sqrt(area) / 4) px
  outside it. 1 = as textured as the surroundings, 0 = a smooth smudge. Goal: >= 0.6 on rectangles on
  textured areas.
- ``seam``: the colour difference across the fill's border (``core.composite.seam_delta_e``: mean
  CIEDE2000 between the local mean colour just inside and just outside the border), for the result and
  for the untouched photo (``seam_original``: the edge that was there before).
- ``seconds``: the editor's own time for the whole Remove (grow, shadow, fill, composite).

Rectangles run with ``grow=0, shadow=False`` (the rectangle itself is filled); objects run as a user would
(automatic grow over the outline, shadow search). Then timing at 1 MP and 12 MP: scenetext05 resized to
1280x960 (1.2 MP) and 4000x3000 (12 MP) with an elliptic "object" of 1/12 of the photo (0.1 / 1 MP),
``--repeats`` times each (median). Crops of every fill (PatchMatch | Telea | original) are written to
``artifacts/fill/`` for looking at.

    OMP_NUM_THREADS=1 .venv/bin/python bench/fill_bench.py            # -> bench/results/fill.json (~3 min quiet)
    OMP_NUM_THREADS=1 .venv/bin/python bench/fill_bench.py --quick    # rectangles only, no 12 MP (fill-quick.json)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, RESULTS_DIR, OtherLoad, load_average, log, offline_env, peak_rss_mib

offline_env()

import cv2  # noqa: E402
from PIL import Image  # noqa: E402

CASES = Path(__file__).resolve().parent / "fill_cases.json"
GOAL_RATIO, GOAL_12MP_S = 0.6, 3.0


def case_mask(case: dict, shape: tuple[int, ...]) -> np.ndarray:
    m = np.zeros(shape[:2], np.uint8)
    if "box" in case:
        x0, y0, x1, y1 = case["box"]
        m[y0:y1, x0:x1] = 1
    else:
        cv2.fillPoly(m, [np.array(case["polygon"], np.int32)], 1)
    return m.astype(bool)


def run_case(case: dict, editor, out_dir: Path) -> dict:
    from core.composite import seam_delta_e
    from editors.fill import texture_ratio
    from tests import photos

    img = photos.load(case["photo"])
    mask = case_mask(case, img.shape)
    rect = case["kind"] == "rect"
    base = {"grow": 0, "shadow": False} if rect else {}
    row = {
        "name": case["name"],
        "photo": case["photo"],
        "kind": case["kind"],
        "texture": case["texture"],
        "photo_size": [img.shape[1], img.shape[0]],
        "selected_px": int(mask.sum()),
    }
    if rect:  # the same measure on the untouched photo: how textured the rectangle really was
        row["texture_ratio_original"] = round(texture_ratio(img, mask), 3)
    crops = []
    for method in ("patchmatch", "telea"):
        t0 = time.perf_counter()
        (v,) = editor.generate(img, mask, {**base, "method": method}, seed=0)
        wall = time.perf_counter() - t0
        hole = editor.filled_area(img, mask, {**base, "method": method})
        seam = seam_delta_e(img, v.image, hole)
        row[method] = {
            "backend": v.backend,
            "texture_ratio": round(texture_ratio(v.image, hole), 3),
            "seam": round(seam.result, 2),
            "seam_original": round(seam.original, 2),
            "filled_px": int(hole.sum()),
            "seconds": round(v.seconds, 3),
            "wall_s": round(wall, 3),
        }
        if rect:  # texture kept relative to what the rectangle really had
            row[method]["texture_vs_original"] = round(row[method]["texture_ratio"] / row["texture_ratio_original"], 3)
        crops.append((v.image, hole))
    # crop for looking at: PatchMatch | Telea | original, around the filled area
    hole = crops[0][1] | crops[1][1]
    ys, xs = np.nonzero(hole)
    pad = 40
    y0, y1 = max(0, ys.min() - pad), min(img.shape[0], ys.max() + pad)
    x0, x1 = max(0, xs.min() - pad), min(img.shape[1], xs.max() + pad)
    gap = np.full((y1 - y0, 6, 3), 255, np.uint8)
    strip = np.concatenate([crops[0][0][y0:y1, x0:x1], gap, crops[1][0][y0:y1, x0:x1], gap, img[y0:y1, x0:x1]], 1)
    Image.fromarray(strip).save(out_dir / f"{case['name']}.png")
    return row


def timing(editor, side: tuple[int, int], repeats: int) -> dict:
    from tests import photos

    src = photos.load("scenetext05")
    img = cv2.resize(src, side, interpolation=cv2.INTER_CUBIC if side[0] > src.shape[1] else cv2.INTER_AREA)
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    area = h * w / 12.0  # a 1/12-of-the-photo object: 1 MP on a 12 MP photo
    ax = int(np.sqrt(area / np.pi * 1.25))
    ay = int(area / np.pi / ax)
    cv2.ellipse(mask, (int(0.55 * w), int(0.6 * h)), (ax, ay), 0, 0, 360, 1, -1)
    mask = mask.astype(bool)
    times, cpus, others = [], [], []
    for _ in range(repeats):
        load = OtherLoad().start()
        c0 = os.times()
        (v,) = editor.generate(img, mask, {"method": "patchmatch"}, seed=0)
        c1 = os.times()
        others.append(load.stop())
        times.append(v.seconds)
        cpus.append((c1.user + c1.system) - (c0.user + c0.system))
    from editors.fill import BUDGET_PX

    return {
        "photo_mp": round(h * w / 1e6, 2),
        "size": [w, h],
        "object_mp": round(mask.sum() / 1e6, 2),
        "seconds_median": round(float(np.median(times)), 2),
        "seconds_all": [round(t, 2) for t in times],
        "cpu_seconds_median": round(float(np.median(cpus)), 2),
        "other_load_cores": others,
        "search_budget_px": BUDGET_PX,
        "backend": v.backend,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="rectangles only and no 12 MP timing")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or RESULTS_DIR / ("fill-quick.json" if args.quick else "fill.json")
    import platform

    from core.models import ModelManager
    from core.settings import Settings
    from editors.remove import RemoveEditor

    os.environ.pop("FACET_MODEL_LAMA", None)
    editor = RemoveEditor(ModelManager(Settings(), online=False))
    shots = ROOT / "artifacts" / "fill"
    shots.mkdir(parents=True, exist_ok=True)
    started = load_average()
    cases = json.loads(CASES.read_text())["cases"]
    if args.quick:
        cases = [c for c in cases if c["kind"] == "rect"]
    rows = []
    for case in cases:
        row = run_case(case, editor, shots)
        pm, tl = row["patchmatch"], row["telea"]
        log(
            f"{case['name']:28s} patchmatch ratio {pm['texture_ratio']:.2f} seam {pm['seam']:.1f} "
            f"({pm['seconds']:.2f}s) | telea ratio {tl['texture_ratio']:.2f} seam {tl['seam']:.1f} "
            f"| original seam {pm['seam_original']:.1f}"
        )
        rows.append(row)
    sizes = [(1280, 960)] + ([] if args.quick else [(4000, 3000)])
    times = []
    for side in sizes:
        t = timing(editor, side, args.repeats)
        log(
            f"timing {t['photo_mp']} MP photo, {t['object_mp']} MP object: {t['seconds_median']} s "
            f"(CPU {t['cpu_seconds_median']} s; other processes kept {t['other_load_cores']} cores busy)"
        )
        times.append(t)
    rects = [r for r in rows if r["kind"] == "rect"]
    ratios = [r["patchmatch"]["texture_ratio"] for r in rects]
    result = {
        "bench": "fill_bench",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "load_average_start": started,
            "load_average_end": load_average(),
            "peak_rss_mib": peak_rss_mib(),
        },
        "definitions": {
            "texture_ratio": "mean(HF^2) inside the fill (> 3 px from its border) / mean(HF^2) in the ring 3 .. "
            "3 + max(8, sqrt(area)/4) px outside it; HF = grey - GaussianBlur(grey, 1.5)",
            "seam": "core.composite.seam_delta_e on the filled area: mean CIEDE2000 between the local mean colour "
            "just inside and just outside its border (seam_original: same on the untouched photo)",
            "seconds": "the Remove editor's own time (grow + shadow + fill + composite), one call",
            "cpu_seconds": "CPU time of this process for that call (user + system, all its threads): close to the "
            "wall time a quiet machine gives, since only the look-up uses a second thread",
            "other_load_cores": "cores kept busy by other processes during the call (bench/common.OtherLoad)",
        },
        "goals": {"texture_ratio_rect_min": GOAL_RATIO, "seconds_1mp_object_on_12mp_max": GOAL_12MP_S},
        "cases": rows,
        "timing": times,
        "summary": {
            "rect_ratio_patchmatch_min": round(min(ratios), 3),
            "rect_ratio_patchmatch_median": round(float(np.median(ratios)), 3),
            "rect_ratio_telea_median": round(float(np.median([r["telea"]["texture_ratio"] for r in rects])), 3),
            "rect_ratio_goal_met": min(ratios) >= GOAL_RATIO,
            "seconds_12mp": next((t["seconds_median"] for t in times if t["photo_mp"] >= 10), None),
            "cpu_seconds_12mp": next((t["cpu_seconds_median"] for t in times if t["photo_mp"] >= 10), None),
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    log(f"wrote {out}; crops in {shots}")


if __name__ == "__main__":
    main()
