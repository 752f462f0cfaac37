"""Recolour's target mode on parts of real photos: does the part reach the target colour, does its shading stay?

Round 24's stranger drive recoloured the red-and-black motorbike "blue" and got purple paint. This measures, for
every (part, target) pair, through the real entry point ``EDITORS.build("recolour").apply(photo, mask, {"target":
hex}, 0)``:
- ``hue_err``: mean absolute hue difference (degrees, CIE LCh of the result) between the recoloured pixels and the
  target, over the part's pixels whose result chroma is at least 8 (hue is meaningless on near-greys; the share
  of pixels counted is ``hue_share``);
- ``hue_err_vivid``: the same over the part's pixels that were vivid before (original chroma >= 35: the red
  paint of the motorbike, the orange suit), the pixels whose own hue leaked into the result before round 24;
- ``chroma_ratio``: median result chroma over the target's chroma;
- ``l_corr``: correlation of the result's lightness with the original's over the part (shading kept: 1 is best).

Parts: hand-labelled regions of tests/labels (``upper clothes``, ``car``, ``dog``, ``cat``: whole labels, so
heterogeneous, as a click segment is), plus three skimage photos with coarse polygons drawn here (the whole
motorbike of ``stereo_motorcycle``: red paint, black seat, tyres, engine; its red paint only; the cup and saucer of
``coffee``; ``chelsea``'s fur, the eyes left out). ``jigsaw_cat`` is round 15's held-out photo: reported apart.
Targets: the chromatic colour words of app/words.py (red ... brown, light ones included).

Usage::  .venv/bin/python bench/recolour_bench.py [--out bench/results/recolour.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {
    "red": "#d62828", "orange": "#f77f00", "yellow": "#f5d000", "green": "#2a9d3a", "teal": "#1a8f8f",
    "light blue": "#9fd0f0", "blue": "#1e6fd9", "navy": "#14206e", "purple": "#7b3fb5", "pink": "#f06aa8",
    "brown": "#8b5a2b",
}  # fmt: skip
LABELLED = [
    ("astronaut", "upper clothes"), ("messi5", "upper clothes"), ("ultralytics_zidane", "upper clothes"),
    ("darknet_person", "upper clothes"), ("scenetext01", "upper clothes"), ("grace_hopper", "upper clothes"),
    ("scenetext06", "car"), ("scenetext05", "car"), ("darknet_dog", "car"), ("darknet_dog", "dog"),
]  # fmt: skip
HELD_OUT = [("jigsaw_cat", "cat")]
BIKE = [(95, 200), (150, 150), (350, 165), (480, 140), (560, 100), (590, 150), (600, 270), (680, 330), (690, 440),
        (600, 450), (510, 390), (300, 380), (180, 390), (120, 330), (100, 240)]  # fmt: skip


def lch(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return lab[..., 0], np.hypot(lab[..., 1], lab[..., 2]), np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) % 360


def skimage_parts() -> list[tuple[str, np.ndarray, np.ndarray]]:
    from skimage import data

    out = []
    moto = np.ascontiguousarray(data.stereo_motorcycle()[0])
    bike = np.zeros(moto.shape[:2], np.uint8)
    cv2.fillPoly(bike, [np.array(BIKE, np.int32)], 1)
    out.append(("motorcycle bike", moto, bike.astype(bool)))
    _, c, h = lch(moto)
    paint = bike.astype(bool) & (c > 35) & ((h < 50) | (h > 340))
    out.append(("motorcycle red paint", moto, paint))
    coffee = data.coffee()
    cup = np.zeros(coffee.shape[:2], np.uint8)
    cv2.ellipse(cup, (278, 228), (200, 155), 0, 0, 360, 1, -1)
    out.append(("coffee cup+saucer", coffee, cup.astype(bool)))
    cat = data.chelsea()
    fur = np.ones(cat.shape[:2], np.uint8)
    for centre, axes in (((170, 118), (38, 30)), ((318, 135), (30, 28)), ((262, 238), (30, 22))):  # eyes, nose
        cv2.ellipse(fur, centre, axes, 0, 0, 360, 0, -1)
    out.append(("chelsea fur", cat, fur.astype(bool)))
    return out


def labelled_parts(pairs) -> list[tuple[str, np.ndarray, np.ndarray]]:
    from tests import labelset, photos

    out = []
    for name, label in pairs:
        if name == "astronaut":
            from skimage import data

            img = data.astronaut()
        else:
            img = photos.load(name)
        m = labelset.masks(labelset.load(name))[label]
        out.append((f"{name} {label}", img, m))
    return out


def measure(img: np.ndarray, m: np.ndarray, hex_colour: str) -> dict:
    from editors.recolour import parse_hex
    from editors.registry import EDITORS

    res = EDITORS.build("recolour").apply(img, m, {"target": hex_colour}, 0)
    L0, C0, _ = lch(img)
    L1, C1, H1 = lch(res)
    _, tc, th = (v[0, 0] for v in lch(parse_hex(hex_colour)[None, None]))
    d = np.abs((H1 - th + 180) % 360 - 180)
    counted = m & (C1 >= 8)
    vivid = counted & (C0 >= 35)
    return {
        "hue_err": round(float(d[counted].mean()), 2) if counted.any() else None,
        "hue_share": round(float(counted.sum() / m.sum()), 3),
        "hue_err_vivid": round(float(d[vivid].mean()), 2) if vivid.sum() > 50 else None,
        "chroma_ratio": round(float(np.median(C1[m]) / tc), 3),
        "l_corr": round(float(np.corrcoef(L0[m], L1[m])[0, 1]), 4),
    }


def summary(rows: list[dict]) -> dict:
    def mean(key):
        v = [r[key] for r in rows if r[key] is not None]
        return round(float(np.mean(v)), 3) if v else None

    return {k: mean(k) for k in ("hue_err", "hue_err_vivid", "chroma_ratio", "l_corr")} | {
        "hue_err_max": max(r["hue_err"] for r in rows if r["hue_err"] is not None),
        "l_corr_min": min(r["l_corr"] for r in rows),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "recolour.json"))
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    t0 = time.time()
    result: dict = {"targets": TARGETS}
    for group, parts in (("set", skimage_parts() + labelled_parts(LABELLED)), ("held_out", labelled_parts(HELD_OUT))):
        rows = []
        for part, img, m in parts:
            for word, hx in TARGETS.items():
                rows.append({"part": part, "target": word} | measure(img, m, hx))
            per = summary(rows[-len(TARGETS) :])
            print(f"{group:8s} {part:32s} " + " ".join(f"{k}={v}" for k, v in per.items()), flush=True)
        result[group] = {"summary": summary(rows), "rows": rows}
        print(group, "ALL", result[group]["summary"], flush=True)
    result["seconds"] = round(time.time() - t0, 1)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
