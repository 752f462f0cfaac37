"""Offline face detection (faces.detect.detect_bounded) on photos with known faces, each scaled to many sizes: how many
faces it finds against the truth, false faces and missed faces, and how well the boxes match.

    OMP_NUM_THREADS=1 python bench/detect_scales.py [--photos astronaut,t1] [--scales 1,2.5] [--no-24mp]
        [--out bench/results/detect_scales.json]

Why: the tiles (faces.detect.TILE_SIDE, on photos over ~1.5x it) cut a big face, and a tile that sees part of it
can call that part a face: skimage's astronaut at 2.5x (1280 px, her face ~290 px) gave 2 faces. A false face is
swapped or blurred by "Anonymize everyone" and numbered in the faces tab.

Photos (known faces, counted by eye): astronaut 1, grace_hopper 1, tom_hanks 1, t1 6, basketball1 2 (one in profile),
messi5 1, ``group`` (the 1280x720 composite of tests/test_faces.assemble_group, 6 faces of 20-100 px; its truth
boxes are the ones the composite was built with) and two composites of small faces: t1 at 0.4x (faces 37-52 px)
set into China's temple (tests/photos ``china``, no face) scaled to 1800x1200 at two places (``t1_in_china_a``,
``_b``: the tiles cut other faces), and the 6000x4000 one of tests/test_anonymize_big (t1 at 0.5x:
``t1_in_china_24mp``, only at 1x). Held out (never tuned on, reported apart): ultralytics_zidane 2,
ultralytics_bus 2 (two more people there show no face).
Each photo is scaled (INTER_AREA down, INTER_CUBIC up) by every ``--scales`` factor and, unless ``--no-24mp``, to
24 MP. The truth boxes are the whole-photo pass's (faces.detect.detect_faces, no tiles) at 1x, which finds exactly
the known faces on each of these photos, scaled; the composites' are the boxes they were built from. A found face
matches a truth face (one to one, best IoU first) when their IoU is at least ``MATCH_IOU``; ``false``: found faces
matching none, ``missed``: truth faces matched by none, ``iou_mean`` / ``iou_min`` over the matched pairs.
Seconds are wall time on whatever else the host runs (not a figure to compare).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
from common import ROOT, face_photo, offline_env  # after the thread count; it puts the project on sys.path

import cv2
import numpy as np

MATCH_IOU = 0.3
TRUTH = {  # faces counted by eye
    "astronaut": 1,
    "grace_hopper": 1,
    "tom_hanks": 1,
    "t1": 6,
    "basketball1": 2,
    "messi5": 1,
    "group": 6,
    "t1_in_china_a": 6,
    "t1_in_china_b": 6,
    "t1_in_china_24mp": 6,
    "ultralytics_zidane": 2,
    "ultralytics_bus": 2,
}
HELD_OUT = ("ultralytics_zidane", "ultralytics_bus")
ONLY_1X = ("t1_in_china_24mp",)
COMPOSITES = {  # name -> (canvas w, h, t1's scale, its top-left x, y)
    "t1_in_china_a": (1800, 1200, 0.4, 900, 600),
    "t1_in_china_b": (1800, 1200, 0.4, 420, 380),
    "t1_in_china_24mp": (6000, 4000, 0.5, 3000, 2000),
}
SCALES = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0)


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def photo_and_truth(name: str) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """The 1x photo and its truth boxes (XYXY)."""
    from faces.detect import detect_faces

    from tests import photos
    from tests.test_faces import assemble_group, load_real

    if name == "group":
        img, boxes = assemble_group(load_real())
        return img, [tuple(map(float, b)) for b in boxes]
    if name in COMPOSITES:
        w, h, s, x, y = COMPOSITES[name]
        t1 = photos.load("t1")
        canvas = cv2.resize(photos.load("china"), (w, h), interpolation=cv2.INTER_CUBIC)
        small = cv2.resize(t1, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        canvas[y : y + small.shape[0], x : x + small.shape[1]] = small
        k = np.array([small.shape[1] / t1.shape[1], small.shape[0] / t1.shape[0]] * 2)
        off = np.array([x, y, x, y], float)
        return canvas, [tuple(map(float, np.array(f.box) * k + off)) for f in detect_faces(t1)]
    img = face_photo(name)
    return img, [tuple(map(float, f.box)) for f in detect_faces(img)]


def score(found: list[tuple[float, ...]], truth: list[tuple[float, ...]]) -> dict:
    pairs = sorted(((iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)), reverse=True)
    used_f: set[int] = set()
    used_t: set[int] = set()
    ious = []
    for v, i, j in pairs:
        if v < MATCH_IOU or i in used_f or j in used_t:
            continue
        used_f.add(i)
        used_t.add(j)
        ious.append(v)
    return {
        "found": len(found),
        "truth": len(truth),
        "false": len(found) - len(used_f),
        "missed": len(truth) - len(used_t),
        "iou_mean": round(float(np.mean(ious)), 3) if ious else None,
        "iou_min": round(float(min(ious)), 3) if ious else None,
        "false_boxes": [[round(v) for v in f] for i, f in enumerate(found) if i not in used_f],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", default=",".join(TRUTH))
    ap.add_argument("--scales", default=",".join(str(s) for s in SCALES))
    ap.add_argument("--no-24mp", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "detect_scales.json"))
    args = ap.parse_args()
    offline_env()

    from faces.detect import detect_bounded

    rows = []
    for name in args.photos.split(","):
        img, truth = photo_and_truth(name)
        h, w = img.shape[:2]
        assert len(truth) == TRUTH[name], (name, len(truth))  # the truth boxes are the faces counted by eye
        scales = [1.0] if name in ONLY_1X else [float(s) for s in args.scales.split(",")]
        if not args.no_24mp and name not in ONLY_1X:
            scales.append(round((24e6 / (w * h)) ** 0.5, 3))
        for s in scales:
            size = (round(w * s), round(h * s))
            big = img if s == 1 else cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
            k = np.array([big.shape[1] / w, big.shape[0] / h] * 2)
            t = time.perf_counter()
            found = [tuple(map(float, f.box)) for f in detect_bounded(big)]
            secs = time.perf_counter() - t
            row = {"photo": name, "held_out": name in HELD_OUT, "scale": s, "size": list(size)}
            row |= score(found, [tuple(np.array(b) * k) for b in truth])
            row["seconds"] = round(secs, 2)
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "false_boxes"}), flush=True)

    def totals(sel: list[dict]) -> dict:
        return {
            "runs": len(sel),
            "false": sum(r["false"] for r in sel),
            "missed": sum(r["missed"] for r in sel),
            "runs_exact": sum(r["false"] == 0 and r["missed"] == 0 for r in sel),
            "iou_mean": round(float(np.mean([r["iou_mean"] for r in sel if r["iou_mean"] is not None])), 3),
        }

    dev = [r for r in rows if not r["held_out"]]
    held = [r for r in rows if r["held_out"]]
    mid = [r for r in dev if 1000 <= max(r["size"]) <= 2048]
    out = {
        "match_iou": MATCH_IOU,
        "totals": totals(dev) if dev else None,
        "totals_1000_2048px": totals(mid) if mid else None,
        "totals_held_out": totals(held) if held else None,
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: out[k] for k in ("totals", "totals_1000_2048px", "totals_held_out")}))


if __name__ == "__main__":
    main()
