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


FOREIGN_DE = 10.0  # Lab units: a fill colour this far from every colour of the ring around the hole is foreign


def _pick(entry: dict, label: str, pick: str) -> list:
    polys = entry["labels"][label]
    if pick == "right":
        return max(polys, key=lambda p: float(np.mean([q[0] for q in p])))
    return polys[0]


def _poly(poly: list, shape: tuple[int, ...]) -> np.ndarray:
    m = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(m, [np.array(poly, np.int32)], 1)
    return m.astype(bool)


def _grow(mask: np.ndarray, px: int) -> np.ndarray:
    if px <= 0:
        return mask
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), k).astype(bool)


def _things(name: str, shape: tuple[int, ...], objects: list[str]) -> np.ndarray:
    """Every hand-labelled object (``objects`` labels) of photo ``name`` (empty when it has no label file)."""
    from tests import labelset

    try:
        entry = labelset.load(name)
    except FileNotFoundError:
        return np.zeros(shape[:2], bool)
    out = np.zeros(shape[:2], bool)
    for label, m in labelset.masks(entry).items():
        if label in objects and m.shape == out.shape:
            out |= m
    return out


def surround_case(case: dict, polygons: dict, objects: list[str]) -> tuple:
    """(photo, selection, object pixels, ground truth or None) of a ``surround`` case (bench/fill_cases.json)."""
    from tests import labelset, photos

    if "base" in case:  # paste an object (cut by its label) at each spot; remove the first
        base = photos.load(case["base"])
        if "base_width" in case:
            w = int(case["base_width"])
            base = cv2.resize(base, (w, round(base.shape[0] * w / base.shape[1])), interpolation=cv2.INTER_AREA)
        o = case["object"]
        src = photos.load(o["photo"])
        cut = _poly(_pick(labelset.load(o["photo"]), o["label"], o["pick"]), src.shape)
        ys, xs = np.nonzero(cut)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        s = float(o.get("scale", 1.0))
        size = (max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s)))
        piece = cv2.resize(src[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(cut[y0:y1, x0:x1].astype(np.float32), size, interpolation=cv2.INTER_AREA)
        img, truth = base.copy(), base.copy()
        objs = np.zeros(base.shape[:2], bool)
        sel = objs.copy()
        for i, (ax, ay) in enumerate(case["at"]):
            sl = (slice(ay, ay + size[1]), slice(ax, ax + size[0]))
            a = alpha[..., None]
            img[sl] = np.clip(a * piece + (1 - a) * img[sl] + 0.5, 0, 255).astype(np.uint8)
            if i > 0:
                truth[sl] = np.clip(a * piece + (1 - a) * truth[sl] + 0.5, 0, 255).astype(np.uint8)
            objs[sl] |= alpha > 0
            if i == 0:
                sel[sl] = alpha > 0
        return img, _grow(sel, 3), objs, truth
    img = photos.load(case["photo"])
    if "label" in case:
        sel = _poly(_pick(labelset.load(case["photo"]), case["label"], case["pick"]), img.shape)
    elif "polygon_of" in case:
        sel = _poly(polygons[case["polygon_of"]], img.shape)
    else:
        sel = _poly(case["polygon"], img.shape)
    return img, _grow(sel, int(case.get("dilate", 0))), sel | _things(case["photo"], img.shape, objects), None


def surround_scores(img: np.ndarray, result: np.ndarray, hole: np.ndarray, objects: np.ndarray, truth=None) -> dict:
    """Does the fill come from the hole's surroundings? On the filled pixels more than 3 px inside the hole:

    - ``foreign``: share whose colour (Lab, after a Gaussian blur of sigma 1) is more than FOREIGN_DE from every
      colour of the ring around the hole (pixels 3 .. 3 + max(8, sqrt(area)/4) px outside it, labelled objects
      left out; up to 6000 of them);
    - ``seam_bg``: the seam only where the hole meets background (no labelled object within 8 px outside: the
      edge of an object in front of the hole is a real edge the fill must not continue);
    - ``object_like``: share nearer in colour to the objects (the removed one's original pixels and every
      labelled / pasted object within 3 sqrt(area) px) than to that ring;
    - ``seam`` (core.composite.seam_delta_e), and with a ground truth ``truth_de``: mean Lab distance to it
      over the hole (both blurred, sigma 2: the colour layout, not the grain).
    """
    from scipy.spatial import cKDTree

    from core.composite import rgb_to_lab, seam_delta_e, signed_distance

    sd = signed_distance(hole)
    area = float(hole.sum())
    width = max(8.0, 0.25 * np.sqrt(area))
    ring = (sd < -3) & (sd >= -(3 + width)) & ~objects
    inside = sd > 3 if (sd > 3).any() else hole
    lab_res = rgb_to_lab(cv2.GaussianBlur(result, (0, 0), 1.0))
    lab_img = rgb_to_lab(cv2.GaussianBlur(img, (0, 0), 1.0))

    def sample(mask: np.ndarray, n: int = 6000) -> np.ndarray:
        v = lab_img[mask]
        return v[np.linspace(0, len(v) - 1, min(n, len(v))).astype(int)]

    q = lab_res[inside]
    d_bg, _ = cKDTree(sample(ring)).query(q, workers=1)
    row = {"foreign": round(float((d_bg > FOREIGN_DE).mean()), 3), "ring_de": round(float(d_bg.mean()), 2)}
    near = (sd > -3 * np.sqrt(area)) & objects
    if near.any():
        d_obj, _ = cKDTree(sample(near)).query(q, workers=1)
        row["object_like"] = round(float((d_obj < d_bg).mean()), 3)
    row["seam"] = round(seam_delta_e(img, result, hole).result, 2)
    row["seam_bg"] = round(_seam_bg(result, hole, objects), 2)
    if truth is not None:
        a = rgb_to_lab(cv2.GaussianBlur(result, (0, 0), 2.0))[hole]
        b = rgb_to_lab(cv2.GaussianBlur(truth, (0, 0), 2.0))[hole]
        row["truth_de"] = round(float(np.linalg.norm(a - b, axis=1).mean()), 2)
    return row


def _seam_bg(result: np.ndarray, hole: np.ndarray, objects: np.ndarray, band: int = 4) -> float:
    """``core.composite.seam_delta_e``'s measure (mean CIEDE2000 between the local mean colours of the bands
    ``band`` px inside and outside the hole's border) on the border pixels with no object within 2 ``band`` px
    outside."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    from core.composite import box_slices, crop_box, masked_blur, signed_distance

    sl = box_slices(crop_box(hole, 4 * band + 2))
    sd = signed_distance(hole[sl])
    bg = ~cv2.dilate(
        (objects[sl] & ~hole[sl]).astype(np.uint8), np.ones((4 * band + 1, 4 * band + 1), np.uint8)
    ).astype(bool)
    inner = ((sd > 0) & (sd <= band)).astype(np.float32)
    outer = ((sd < 0) & (sd >= -band) & bg).astype(np.float32)
    at = (sd > 0) & (sd < 1.5) & (cv2.GaussianBlur(outer, (0, 0), 2 * band) > 0.05)
    at &= cv2.erode(bg.astype(np.uint8), np.ones((4 * band + 1, 4 * band + 1), np.uint8)).astype(bool)
    if not at.any():
        return 0.0
    lab = rgb2lab(result[sl]).astype(np.float32)
    a = masked_blur(lab, inner, 2.0 * band)[at].astype(np.float64)
    b = masked_blur(lab, outer, 2.0 * band)[at].astype(np.float64)
    return float(np.mean(deltaE_ciede2000(a, b)))


def run_surround(case: dict, polygons: dict, objects: list[str], editor, out_dir: Path) -> dict:
    """Remove the case's object as the app does (its labelled parts from the offline parse, ``segmenters.parsing.
    parse_report``, passed as ``parts``: editors.remove.part_maps) and without a parse."""
    from core.types import Photo
    from editors.fill import texture_ratio
    from editors.remove import part_maps
    from segmenters.parsing import parse_report

    img, sel, objs, truth = surround_case(case, polygons, objects)
    parts = parse_report(Photo(img), editor.manager).segments
    avoid = part_maps(parts, sel)[0]
    row = {"name": case["name"], "photo": case.get("photo", case.get("base")), "selected_px": int(sel.sum())}
    row["avoid_px"] = 0 if avoid is None else int(avoid.sum())
    images = []
    for key, given in (("parsed", parts), ("no_parse", None)):
        t0 = time.perf_counter()
        (v,) = editor.generate(img, sel, {}, seed=0, parts=given)
        wall = time.perf_counter() - t0
        hole = editor.filled_area(img, sel, {}, parts=given)
        r = surround_scores(img, v.image, hole, objs, truth)
        r["filled_px"] = int(hole.sum())
        r["texture_ratio"] = round(texture_ratio(v.image, hole), 3)
        r["seconds"] = round(v.seconds, 3)
        r["wall_s"] = round(wall, 3)
        if key == "parsed":
            row.update(r)
        else:
            row[key] = r
        images.append(v.image)
    if truth is not None:  # the same measures on the truth: what a perfect fill would score
        row["truth_scores"] = surround_scores(img, truth, editor.filled_area(img, sel, {}), objs, None)
    ys, xs = np.nonzero(editor.filled_area(img, sel, {}))
    pad = 40
    y0, y1 = max(0, ys.min() - pad), min(img.shape[0], ys.max() + pad)
    x0, x1 = max(0, xs.min() - pad), min(img.shape[1], xs.max() + pad)
    gap = np.full((y1 - y0, 6, 3), 255, np.uint8)
    strip = [images[0][y0:y1, x0:x1], gap, images[1][y0:y1, x0:x1], gap, img[y0:y1, x0:x1]]
    if truth is not None:
        strip += [gap, truth[y0:y1, x0:x1]]
    Image.fromarray(np.concatenate(strip, 1)).save(out_dir / f"surround-{case['name']}.png")
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
    # labelled parts as a parse gives them (for the time only): the object, another one beside it, two surfaces
    from core.types import Segment

    beside = np.zeros((h, w), np.uint8)
    cv2.rectangle(beside, (int(0.55 * w) + ax + 20, int(0.45 * h)), (int(0.55 * w) + ax + 20 + w // 10, h - 1), 1, -1)
    top = np.zeros((h, w), bool)
    top[: int(0.5 * h)] = True
    parts = [Segment(1, "person 1", mask), Segment(2, "car", beside.astype(bool)), Segment(3, "sky", top)]
    parts.append(Segment(4, "road", ~top))
    times, cpus, others, with_parts, cpus_parts = [], [], [], [], []
    for _ in range(repeats):
        load = OtherLoad().start()
        c0 = os.times()
        (v,) = editor.generate(img, mask, {"method": "patchmatch"}, seed=0)
        c1 = os.times()
        others.append(load.stop())
        times.append(v.seconds)
        cpus.append((c1.user + c1.system) - (c0.user + c0.system))
        with_parts.append(editor.generate(img, mask, {"method": "patchmatch"}, seed=0, parts=parts)[0].seconds)
        c2 = os.times()
        cpus_parts.append((c2.user + c2.system) - (c1.user + c1.system))
    from editors.fill import BUDGET_PX

    return {
        "photo_mp": round(h * w / 1e6, 2),
        "size": [w, h],
        "object_mp": round(mask.sum() / 1e6, 2),
        "seconds_median": round(float(np.median(times)), 2),
        "seconds_all": [round(t, 2) for t in times],
        "seconds_with_parts_median": round(float(np.median(with_parts)), 2),
        "cpu_seconds_with_parts_median": round(float(np.median(cpus_parts)), 2),
        "cpu_seconds_median": round(float(np.median(cpus)), 2),
        "other_load_cores": others,
        "search_budget_px": BUDGET_PX,
        "backend": v.backend,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="rectangles only and no 12 MP timing")
    ap.add_argument("--surround", action="store_true", help="only the surround cases (-> fill-surround.json)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or RESULTS_DIR / (
        "fill-quick.json" if args.quick else "fill-surround.json" if args.surround else "fill.json"
    )
    import platform

    from core.models import ModelManager
    from core.settings import Settings
    from editors.remove import RemoveEditor

    os.environ.pop("FACET_MODEL_LAMA", None)
    editor = RemoveEditor(ModelManager(Settings(), online=False))
    shots = ROOT / "artifacts" / "fill"
    shots.mkdir(parents=True, exist_ok=True)
    started = load_average()
    spec = json.loads(CASES.read_text())
    cases = spec["cases"]
    if args.quick:
        cases = [c for c in cases if c["kind"] == "rect"]
    polygons = {c["name"]: c["polygon"] for c in cases if "polygon" in c}
    around = []
    for case in [] if args.quick else spec["surround"]:
        row = run_surround(case, polygons, spec["objects"], editor, shots)
        for r in (row, row["no_parse"]):
            log(
                f"surround {case['name']:20s} {'parsed' if r is row else 'no parse':8s} foreign {r['foreign']:.3f} "
                f"object-like {r.get('object_like', -1):.3f} seam {r['seam']:.1f}/{r['seam_bg']:.1f} truth dE {r.get('truth_de', -1):.1f} "
                f"texture {r['texture_ratio']:.2f} ({r['seconds']:.2f}s)"
            )
        around.append(row)
    if args.surround:
        cases = []
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
    sizes = [] if args.surround else [(1280, 960)] + ([] if args.quick else [(4000, 3000)])
    times = []
    for side in sizes:
        t = timing(editor, side, args.repeats)
        log(
            f"timing {t['photo_mp']} MP photo, {t['object_mp']} MP object: {t['seconds_median']} s "
            f"({t['seconds_with_parts_median']} s, CPU {t['cpu_seconds_with_parts_median']} s with 4 labelled parts) "
            f"(CPU {t['cpu_seconds_median']} s; other processes kept {t['other_load_cores']} cores busy)"
        )
        times.append(t)
    rects = [r for r in rows if r["kind"] == "rect"]
    ratios = [r["patchmatch"]["texture_ratio"] for r in rects] or [float("nan")]
    pasted = [r["truth_de"] for r in around if "truth_de" in r]
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
            "seconds_with_parts": "the same with 4 labelled parts passed (the object, a 'car' rectangle beside it, "
            "'sky' top half, 'road' bottom half): what the app's Remove does with a parse",
            "cpu_seconds": "CPU time of this process for that call (user + system, all its threads): close to the "
            "wall time a quiet machine gives, since only the look-up uses a second thread",
            "other_load_cores": "cores kept busy by other processes during the call (bench/common.OtherLoad)",
            "surround": surround_scores.__doc__.split(":", 1)[1].strip(),
        },
        "goals": {"texture_ratio_rect_min": GOAL_RATIO, "seconds_1mp_object_on_12mp_max": GOAL_12MP_S},
        "cases": rows,
        "surround": around,
        "timing": times,
        "summary": {
            "rect_ratio_patchmatch_min": round(min(ratios), 3),
            "rect_ratio_patchmatch_median": round(float(np.median(ratios)), 3),
            "rect_ratio_telea_median": round(float(np.median([r["telea"]["texture_ratio"] for r in rects] or [0])), 3),
            "surround_foreign_mean": round(float(np.mean([r["foreign"] for r in around] or [0])), 3),
            "surround_object_like_mean": round(float(np.mean([r.get("object_like", 0) for r in around] or [0])), 3),
            "surround_seam_mean": round(float(np.mean([r["seam"] for r in around] or [0])), 2),
            "paste_truth_de_mean": round(float(np.mean(pasted or [0])), 2),
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
