"""Where dlib still finds a face's identity after the offline swap: occlusion sensitivity of dlib's recogniser on the
swap's best try, for the two faces no try takes past the margin (t1 #2, a turned head; group #3, the 88 px copy
under the bar) and, for contrast, two that pass easily (t1 #4, astronaut #0).

    OMP_NUM_THREADS=1 python bench/faces_occlusion.py [--faces t1#2,group#3,t1#4,astronaut#0] [--patch 0.125]
        [--stride 0.0625] [--images /tmp/faces_occlusion] [--no-maps] [--out bench/results/faces_occlusion.json]

Per face: ``S`` is the editor's best try (the default plan with the margin at -1, so every try counts as a pass and
the tries run on through the outlines, the farthest kept; seed 0), ``O`` the photo. Every distance is dlib's (the
editor's own check: the 68 landmarks found again on each image, so what moves them moves the chip too) to O's
descriptor. dlib's chip (150 px, padding 0.25, faces/dlib_net.py) spans about the face box: brows to chin, little
hair, ears or background (``share_of_chip`` below).

Maps (square patches of ``--patch`` x face size, every ``--stride`` x face size, over the chip):
- ``restore``: S with the patch put back from O (the distance falls where the swap took identity out);
- ``occlude_swap``: S with the patch blurred (Gaussian, sigma = patch / 2): the distance RISES where S still carries
  O's identity (what the swap left as it was can show up only here);
- ``occlude_orig``: O with the patch blurred, to O: where dlib reads this person at all.
``hot_blurred``: S with every patch whose blur raised the distance by more than 0.01 / 0.005 blurred at once (and the
share of the face box that is): what taking out every spot of O left in S could give at most.

Regions (whole, from the face mesh and the swap's changed pixels): eyes, brows, nose, mouth, the face oval, the band
along its edge (hairline above the brows, side, jaw below the nose tip), hair (the head beyond the oval, above the
brows), sides / ears, neck, background, what the swap changed and what it left. Each put back from O into S, blurred
in S (sigma 0.08 x face size), flat in S (its mean colour) and blurred in O; ``fixed_*`` the same with the chip cut
where dlib's landmarks sit on S (only the content moves). ``swap_only_*``: S with everything the swap left blurred /
flat.

Levers beyond the regions: ``light_flat``: S with its broad band inside the oval (Gaussian sigma face size / 9, the
band faces.blend takes from the photo) replaced by a quadratic fit of it (no shading layout, the same tone ramp);
``hair_L+30`` / ``hair_brown``: S's hair (dark pixels of the head beyond the oval, down to the eyes) 30 L lighter /
lighter and brown; ``outlines``: the editor's best try with the outline tries (editors.anonymize.HEADS) at 1.5 and 2
times their width and chin change (the expression check as the editor runs it). ``gallery_far``: the farthest
synthetic gallery face's own frontal photo, to O (what a paste that kept nothing of the face could give).
Heatmaps (red: the distance rises, blue: it falls) and dlib's chips of the region tests go under ``--images``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
from common import ROOT, face_photo, patched  # after the thread count; it puts the project on sys.path

DEFAULT_FACES = "t1#2,group#3,t1#4,astronaut#0"
OUTLINE_GAINS = (1.5, 2.0)


def editor_best(img: Any, face: Any, seed: int = 0, **consts: Any) -> tuple[Any, dict]:
    """The editor's farthest try on ``face`` (margin -1: every try is a pass; the early stops off) and its report;
    ``seed``: the editor's (the grain drawn from the photo)."""
    from editors import anonymize

    consts = {"VERIFY_MARGIN": -1.0, "SEEK_MARGIN": 2.0, "HOPELESS_GAP": 1.0, "MOVES_GAP": 1.0, **consts}
    with patched(anonymize, **consts):
        ed = anonymize.AnonymizeEditor()
        out = ed.apply(img, None, {"method": "swap", "faces": str(face.index)}, seed=seed)
        return out, ed.last_report[0]


class Dlib:
    """dlib's measures as the editor takes them, plus a chip cut at given landmarks (the ``fixed`` tests)."""

    def __init__(self) -> None:
        from core.models import default_manager
        from faces import measures

        self.measures = measures
        self.d = measures._dlib()
        self.net = default_manager().resident(measures.DLIB_ONNX, measures._load_resnet)

    def shape(self, img: Any, face: Any) -> Any:
        import numpy as np

        return self.d["shape68"](np.ascontiguousarray(img), self.measures.dlib_rect(face))

    def chip(self, img: Any, shape: Any) -> Any:
        import numpy as np

        return np.asarray(self.d["chip"](np.ascontiguousarray(img), shape, size=150, padding=0.25))

    def descriptor(self, img: Any, face: Any, shape: Any = None) -> Any:
        if shape is None:
            return self.measures.identity_descriptor(img, face)
        return self.net.descriptor(self.chip(img, shape))


def chip_polygon(shape: Any) -> Any:
    """The corners (4, 2) in the photo of dlib's 150 px chip (padding 0.25) at the 68 landmarks ``shape``."""
    import dlib
    import numpy as np

    det = dlib.get_face_chip_details(shape, 150, 0.25)
    r = det.rect
    cx, cy = (r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2
    c, s = np.cos(det.angle), np.sin(det.angle)
    pts = [(sx * r.width() / 2, sy * r.height() / 2) for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    return np.array([[cx + x * c - y * s, cy + x * s + y * c] for x, y in pts], np.float32)


def region_masks(img: Any, swapped: Any, face: Any, chip: Any) -> dict[str, Any]:
    """Bool photo-size masks of the tested regions (each cut to dlib's chip)."""
    import cv2
    import numpy as np

    from faces.landmarks import LEFT_BROW, RIGHT_BROW
    from faces.masks import cover_mask, face_mask, mesh_parts

    h, w = img.shape[:2]
    size, mesh = face.size, face.mesh
    oval = face_mask(img.shape, face).astype(np.uint8)
    _, parts = mesh_parts((h, w), mesh)
    g = max(1, round(0.03 * size))
    feat = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))
    b = max(1, round(0.05 * size))
    band = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * b + 1, 2 * b + 1))
    grown, inner = cv2.dilate(oval, band) > 0, cv2.erode(oval, band) > 0
    edge = grown & ~inner
    yy = np.repeat(np.arange(h)[:, None], w, 1)
    brow_y, nose_y, chin_y = float(mesh[LEFT_BROW + RIGHT_BROW][:, 1].mean()), float(mesh[1, 1]), float(mesh[152, 1])
    head = cover_mask(img.shape, face, 0.3)
    beyond = head & ~grown
    changed = np.abs(swapped.astype(np.int16) - img.astype(np.int16)).max(2) > 2
    changed = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)) > 0
    regions = {
        "eyes": cv2.dilate(parts["eyes"].astype(np.uint8), feat) > 0,
        "brows": cv2.dilate(parts["eyebrows"].astype(np.uint8), feat) > 0,
        "nose": cv2.dilate(parts["nose"].astype(np.uint8), feat) > 0,
        "mouth": cv2.dilate(parts["lips"].astype(np.uint8), feat) > 0,
        "oval": oval > 0,
        "oval_inner": inner,
        "edge_band": edge,
        "hairline_band": edge & (yy < brow_y),
        "side_band": edge & (yy >= brow_y) & (yy < nose_y),
        "jaw_band": edge & (yy >= nose_y),
        "hair": beyond & (yy < brow_y),
        "sides_ears": beyond & (yy >= brow_y) & (yy < chin_y),
        "neck": (~head | beyond) & (yy >= chin_y),
        "background": ~head,
        "swap_changed": changed,
        "swap_unchanged": ~changed,
    }
    return {k: v & chip for k, v in regions.items()}


def region_tests(img: Any, swapped: Any, regions: dict, chip: Any, dist: Any, s_shape: Any, size: float) -> dict:
    """Per region: put back from O into S, blurred / flat in S, blurred in O (and the S tests at a fixed chip)."""
    import cv2

    sig = 0.08 * size
    s_blur, o_blur = cv2.GaussianBlur(swapped, (0, 0), sig), cv2.GaussianBlur(img, (0, 0), sig)
    changed = regions["swap_changed"]
    rows = {}
    for name, m in regions.items():
        if m.sum() < 4:
            continue
        restore, sb, sf, ob = swapped.copy(), swapped.copy(), swapped.copy(), img.copy()
        restore[m], sb[m], ob[m] = img[m], s_blur[m], o_blur[m]
        sf[m] = swapped[m].mean(0).round().astype("uint8")
        rows[name] = {
            "share_of_chip": round(float(m.sum() / chip.sum()), 3),
            "changed_share": round(float((m & changed).sum() / m.sum()), 3),
            "restore": dist(restore),
            "blur_in_swap": dist(sb),
            "flat_in_swap": dist(sf),
            "blur_in_orig": dist(ob),
            "fixed_restore": dist(restore, s_shape),
            "fixed_blur_in_swap": dist(sb, s_shape),
        }
    return rows


def lever_tests(img: Any, swapped: Any, face: Any, dist: Any) -> dict:
    """The light layout flattened and the hair lighter / browner in S (see the module's docstring)."""
    import cv2
    import numpy as np

    from faces.landmarks import LEFT_EYE, RIGHT_EYE
    from faces.masks import cover_mask, face_mask, inner_alpha

    out: dict[str, Any] = {}
    oval = face_mask(img.shape, face)
    alpha = inner_alpha(oval, 0.08 * face.size)[..., None]
    sf = swapped.astype(np.float32)
    sig = face.size / 9.0
    wsum = np.maximum(cv2.GaussianBlur(oval.astype(np.float32), (0, 0), sig), 1e-3)[..., None]
    low = cv2.GaussianBlur(sf * oval[..., None], (0, 0), sig) / wsum
    ys, xs = np.nonzero(oval)
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]].astype(np.float64)
    basis = np.stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy], -1)
    fit = np.stack([basis @ np.linalg.lstsq(basis[ys, xs], low[ys, xs, c], rcond=None)[0] for c in range(3)], -1)
    out["light_flat"] = dist(np.clip(alpha * (sf - low + fit) + (1 - alpha) * sf, 0, 255).astype(np.uint8))
    lab = cv2.cvtColor(sf / 255.0, cv2.COLOR_RGB2Lab)
    eye_y = float(face.mesh[LEFT_EYE + RIGHT_EYE][:, 1].mean())
    rows = np.arange(img.shape[0])[:, None] < eye_y
    dark = lab[..., 0] < float(np.median(lab[..., 0][oval])) - 20
    hair = cover_mask(img.shape, face, 0.3) & ~oval & rows & dark
    hair = cv2.morphologyEx(hair.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(np.float32)
    a = cv2.GaussianBlur(hair, (0, 0), 1.5)[..., None]
    out["hair_px"] = int(hair.sum())
    for label, shift in (("hair_L+30", (30, 0, 0)), ("hair_brown", (15, 12, 20))):
        rgb = cv2.cvtColor(lab + np.array(shift, np.float32), cv2.COLOR_Lab2RGB) * 255.0
        out[label] = dist(np.clip(a * rgb + (1 - a) * sf, 0, 255).astype(np.uint8))
    return out


def occlusion_maps(img: Any, swapped: Any, box: tuple, size: float, patch: float, stride: float, dist: Any) -> dict:
    """The three maps (float, box-sized: each pixel the mean over the patches covering it) and the cells."""
    import cv2
    import numpy as np

    bx0, by0, bx1, by1 = box
    p, st = max(2, round(patch * size)), max(1, round(stride * size))
    sb_all, ob_all = cv2.GaussianBlur(swapped, (0, 0), p / 2), cv2.GaussianBlur(img, (0, 0), p / 2)
    d_swap = dist(swapped, raw=True)
    names = ("restore", "occlude_swap", "occlude_orig")
    acc = {k: np.zeros((by1 - by0, bx1 - bx0)) for k in names}
    cnt = np.zeros((by1 - by0, bx1 - bx0))
    cells = []
    for y in range(by0, by1 - p + 1, st):
        for x in range(bx0, bx1 - p + 1, st):
            sl = (slice(y, y + p), slice(x, x + p))
            a, b, c = swapped.copy(), swapped.copy(), img.copy()
            a[sl], b[sl], c[sl] = img[sl], sb_all[sl], ob_all[sl]
            v = (dist(a, raw=True) - d_swap, dist(b, raw=True) - d_swap, dist(c, raw=True))
            for k, val in zip(names, v, strict=True):
                acc[k][y - by0 : y - by0 + p, x - bx0 : x - bx0 + p] += val
            cnt[y - by0 : y - by0 + p, x - bx0 : x - bx0 + p] += 1
            cells.append([x, y] + [round(float(val), 4) for val in v])
    cnt[cnt == 0] = 1
    return {"maps": {k: a / cnt for k, a in acc.items()}, "cells": cells, "patch_px": p, "stride_px": st}


def heat_strip(img: Any, swapped: Any, maps: dict, box: tuple, oval: Any, chip_poly: Any) -> Any:
    """O, S and the three maps over the grey photo (red: the distance rises, blue: it falls), the oval in green and
    the chip in white, scaled up."""
    import cv2
    import numpy as np

    bx0, by0, bx1, by1 = box
    crop_o, crop_s = img[by0:by1, bx0:bx1], swapped[by0:by1, bx0:bx1]
    tiles = [crop_o, crop_s]
    red, blue = np.array([255, 0, 0], np.float32), np.array([0, 80, 255], np.float32)
    for k, lim, base in (("restore", 0.06, crop_s), ("occlude_swap", 0.05, crop_s), ("occlude_orig", 0.25, crop_o)):
        grey = cv2.cvtColor(cv2.cvtColor(base, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB).astype(np.float32)
        t = np.clip(maps[k] / lim, -1, 1)[..., None]
        tiles.append(np.where(t > 0, grey * (1 - t) + red * t, grey * (1 + t) + blue * (-t)).astype(np.uint8))
    sc = max(2, round(400 / (by1 - by0)))
    ring = cv2.resize(oval[by0:by1, bx0:bx1].astype(np.uint8), None, fx=sc, fy=sc, interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(ring, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    poly = np.round((chip_poly - (bx0, by0)) * sc).astype(np.int32)
    out = []
    for t in tiles:
        t = np.ascontiguousarray(cv2.resize(t, None, fx=sc, fy=sc, interpolation=cv2.INTER_CUBIC))
        cv2.drawContours(t, contours, -1, (0, 255, 0), 1)
        cv2.polylines(t, [poly], True, (255, 255, 255), 1)
        out.append(t)
    return np.hstack(out)


def measure_face(key: str, args: argparse.Namespace, dl: Dlib, images: Path) -> dict:
    import cv2
    import numpy as np

    from core.models import default_manager
    from editors import anonymize
    from faces.detect import selected_faces
    from faces.gallery import gallery_names, load_target
    from faces.masks import face_mask

    name, idx = key.split("#")
    img = face_photo(name)
    faces, _ = selected_faces(img, None, "all", default_manager(), "offline", "anonymize")
    face = next(f for f in faces if f.index == int(idx))
    o_desc = dl.descriptor(img, face)
    swapped, report = editor_best(img, face)
    s_shape = dl.shape(swapped, face)

    def dist(x: Any, shape: Any = None, raw: bool = False) -> float:
        v = float(np.linalg.norm(o_desc - dl.descriptor(x, face, shape)))
        return v if raw else round(v, 3)

    tries = [t for t in report["tries"] if t is not None]
    far = {
        n: float(np.linalg.norm(np.asarray(load_target(n).descriptor) - o_desc)) for n in gallery_names(synthetic=True)
    }
    row: dict[str, Any] = {
        "size_px": round(face.size),
        "best_try": report["tried"][report["tries"].index(max(tries))],
        "tries": report["tries"],
        "swap_distance": dist(swapped),
        "swap_distance_fixed_chip": dist(swapped, s_shape),
        "gallery_far": round(max(far.values()), 3),
    }
    poly = chip_polygon(s_shape)
    h, w = img.shape[:2]
    chip = np.zeros((h, w), np.uint8)
    cv2.fillPoly(chip, [np.round(poly).astype(np.int32)], 1)
    chip = chip > 0
    regions = region_masks(img, swapped, face, chip)
    row["regions"] = region_tests(img, swapped, regions, chip, dist, s_shape, face.size)
    rest = chip & ~regions["swap_changed"]
    only = swapped.copy()
    only[rest] = cv2.GaussianBlur(swapped, (0, 0), 0.08 * face.size)[rest]
    row["swap_only_rest_blurred"] = dist(only)
    only[rest] = swapped[rest].mean(0).round().astype(np.uint8)
    row["swap_only_rest_flat"] = dist(only)
    row["levers"] = lever_tests(img, swapped, face, dist)
    outlines = {}
    for gain in OUTLINE_GAINS:
        heads = tuple({k: v * gain for k, v in hd.items()} for hd in anonymize.HEADS)
        _, rep = editor_best(img, face, HEADS=heads)
        valid = [t for t in rep["tries"] if t is not None]
        outlines[f"x{gain:g}"] = {"best": max(valid), "kept": rep["tried"][rep["tries"].index(max(valid))]}
    row["levers"]["outlines"] = outlines
    tiles = [dl.chip(img, dl.shape(img, face)), dl.chip(swapped, s_shape)]
    s_blur = cv2.GaussianBlur(swapped, (0, 0), 0.08 * face.size)
    for rname in ("hair", "sides_ears", "jaw_band", "neck", "swap_unchanged", "nose"):
        m = regions[rname]
        if m.sum() >= 4:
            sb = swapped.copy()
            sb[m] = s_blur[m]
            tiles.append(dl.chip(sb, dl.shape(sb, face)))
    cv2.imwrite(str(images / f"chips_{name}{idx}.png"), cv2.cvtColor(np.hstack(tiles), cv2.COLOR_RGB2BGR))
    if not args.no_maps:
        cx, cy = poly.mean(0)
        half = float(np.abs(poly - (cx, cy)).max()) + args.patch * face.size
        box = (max(0, int(cx - half)), max(0, int(cy - half)), min(w, int(cx + half)), min(h, int(cy + half)))
        res = occlusion_maps(img, swapped, box, face.size, args.patch, args.stride, dist)
        cells = res["cells"]
        m = res["maps"]["occlude_swap"]
        hot = {}
        s_blur = cv2.GaussianBlur(swapped, (0, 0), res["patch_px"] / 2)
        for thr in (0.01, 0.005):
            sel = np.zeros((h, w), bool)
            sel[box[1] : box[3], box[0] : box[2]] = m > thr
            x = swapped.copy()
            x[sel] = s_blur[sel]
            hot[f"over_{thr:g}"] = {"distance": dist(x), "share_of_face_box": round(float(sel.sum() / face.size**2), 3)}
        row["maps"] = {
            "patch_px": res["patch_px"],
            "stride_px": res["stride_px"],
            "box": list(box),
            "cells": len(cells),
            "restore_min": round(min(c[2] for c in cells), 3),
            "occlude_swap_max": round(max(c[3] for c in cells), 3),
            "occlude_orig_max": round(max(c[4] for c in cells), 3),
            "hot_blurred": hot,
            "top_occlude_swap": sorted(cells, key=lambda c: -c[3])[:6],  # [x, y, restore, occlude_swap, orig]
            "top_restore": sorted(cells, key=lambda c: c[2])[:6],
        }
        np.savez_compressed(images / f"maps_{name}{idx}.npz", **res["maps"], box=np.array(box))
        strip = heat_strip(img, swapped, res["maps"], box, face_mask(img.shape, face), poly)
        cv2.imwrite(str(images / f"heat_{name}{idx}.png"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", default=DEFAULT_FACES)
    ap.add_argument("--patch", type=float, default=0.125, help="patch side, x face size")
    ap.add_argument("--stride", type=float, default=0.0625, help="patch step, x face size")
    ap.add_argument("--images", default="/tmp/faces_occlusion")
    ap.add_argument("--no-maps", action="store_true", help="regions and levers only (quick)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "faces_occlusion.json"))
    args = ap.parse_args()

    images = Path(args.images)
    images.mkdir(parents=True, exist_ok=True)
    dl = Dlib()
    rows: dict[str, dict] = {}
    for key in args.faces.split(","):
        t0 = time.perf_counter()
        rows[key] = measure_face(key, args, dl, images)
        rows[key]["seconds"] = round(time.perf_counter() - t0, 1)
        brief = {k: v for k, v in rows[key].items() if k not in ("regions", "maps")}
        print(key, json.dumps(brief), flush=True)
        for rname, r in rows[key]["regions"].items():
            print(f"  {rname:14s}", json.dumps(r), flush=True)
        if "maps" in rows[key]:
            print("  maps", json.dumps({k: v for k, v in rows[key]["maps"].items() if not k.startswith("top")}))
    Path(args.out).write_text(json.dumps({"patch": args.patch, "stride": args.stride, "faces": rows}, indent=1) + "\n")
    print("->", args.out)


if __name__ == "__main__":
    main()
