"""What dlib's descriptor still keys on in a face the offline swap never takes past the margin (issue 14: t1 #2, a
turned head; group #3, the 88 px copy under the bar): each region of the swap's best try taken out in turn, then the
one lever that region attribution points to (the nose's shape) and what is left after it.

    OMP_NUM_THREADS=1 python bench/faces_regions.py [--faces t1#2,group#3] [--images /tmp/faces_regions]
        [--out bench/results/faces_regions.json]

``S`` is the editor's farthest try (bench/faces_occlusion.editor_best: margin -1, so the tries run on through the
outlines; seed 0), every distance dlib's to the photo's descriptor (landmarks found again on each image).

``regions``: per region, S with it blurred (Gaussian, sigma 0.08 x face size), flat (its mean colour) and put back
from the photo ("restore"). The regions are the issue's list of what identifies a face: the forehead's top and
lower half (inside the face oval, above the brows), the hairline band (the oval's edge above the brows), the hair
(the head beyond the oval above the brows), the hair at the temples and the ears / sides (beyond the oval, above and
below eye level), the jaw and side bands (the oval's edge below and beside), the cheeks, the chin and the nose: whole
(faces.masks.mesh_parts, grown 0.03 x face size) and in parts (bridge, tip, nostrils and alar wings, nasolabial
folds: discs of 0.045-0.05 x face size around their mesh points); then the nose with each other region
(``pairs``). A region that carries what is left of the person raises the distance when it is taken out.

``nose_levers``: the editor's tries again with the nose reshaped (faces.geometry.identity_reshape's nose factor,
RESHAPE["nose"]: -0.55 narrower, the default, to +0.6 wider; and shorter: the nose's points moved along the face's
vertical about the top of the bridge, mesh point 168, by ``length`` x their distance from it, within the nose's own
fall-off), with every try run (no early stop: the stronger outline, the moves and the second gallery face too, what
the editor runs for a face short of the margin past the texture tries): the farthest try, and the look gate's
defects of its image (faces.measures.pasted_defects / looks_pasted, against the photo's own: a jagged nose side
reads in ``nose_line``), and faces_occlusion.lever_tests on that image. ``after_nose``: the regions and the hair levers (faces_occlusion.lever_tests) again on the
farthest nose lever's image. Images (the photo, S, that image) go under ``--images``.
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
from faces_occlusion import Dlib, chip_polygon, editor_best, lever_tests, region_masks

DEFAULT_FACES = "t1#2,group#3"
NOSE_LEVERS = ((-0.55, 0.0), (0.0, 0.0), (0.3, 0.0), (0.6, 0.0), (-0.55, -0.2), (0.3, -0.1), (0.3, -0.2), (0.3, -0.3))
EVERY_TRY = {"VERIFY_MARGIN": 2.0, "SEEK_MARGIN": 2.0, "HOPELESS_GAP": 5.0, "MOVES_GAP": 5.0}  # no early stop
PAIRED = ("hairline_band", "hair", "temples", "forehead_top", "jaw_band", "side_band")


def nose_reshape(width: float, length: float) -> dict[str, Any]:
    """faces.geometry's constants for a nose ``width`` factor (RESHAPE["nose"]) and ``length`` change (a wrapped
    identity_reshape), for :func:`common.patched`."""
    import numpy as np

    from faces import geometry
    from faces.landmarks import LEFT_EYE, NOSE, RIGHT_EYE

    plain = geometry.identity_reshape

    def reshape(mesh: Any, size: float, amount: float = 1.0, nose: Any = None, eyes_up: float = 0.0,
                mouth_down: float = 0.0) -> Any:  # fmt: skip
        m = plain(mesh, size, amount, nose, eyes_up, mouth_down).astype(np.float64)
        if amount > 0 and length:
            frozen = np.zeros(len(m), bool)
            frozen[geometry.FACE_OVAL] = True
            ex = mesh[LEFT_EYE].mean(0) - mesh[RIGHT_EYE].mean(0)
            ex = ex / max(float(np.linalg.norm(ex)), 1e-6)
            down = np.array([-ex[1], ex[0]])
            down = -down if down[1] < 0 else down
            w = geometry._region_weight(mesh, NOSE, 0.07 * size, frozen)[:, None]
            m += w * (length * amount * ((mesh - mesh[168]) @ down)[:, None] * down)
        return m.astype(np.float32)

    return {"RESHAPE": {**geometry.RESHAPE, "nose": width}, "identity_reshape": reshape}


def regions_of(img: Any, swapped: Any, face: Any, dl: Dlib, dist: Any) -> dict[str, Any]:
    """The region tests on ``swapped`` (see the module's docstring)."""
    import cv2
    import numpy as np

    from faces.landmarks import LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE

    h, w = img.shape[:2]
    mesh, size = face.mesh, face.size
    chip = np.zeros((h, w), np.uint8)
    cv2.fillPoly(chip, [np.round(chip_polygon(dl.shape(swapped, face))).astype(np.int32)], 1)
    chip = chip > 0
    base = region_masks(img, swapped, face, chip)

    def disc(ids: list[int], r: float) -> Any:
        m = np.zeros((h, w), np.uint8)
        for i in ids:
            cv2.circle(m, (int(mesh[i][0]), int(mesh[i][1])), max(1, int(r * size)), 1, -1)
        return m > 0

    yy = np.repeat(np.arange(h)[:, None], w, 1)
    brow_y = float(mesh[LEFT_BROW + RIGHT_BROW][:, 1].mean())
    eye_y = float(mesh[LEFT_EYE + RIGHT_EYE][:, 1].mean()) + 0.05 * size
    mid = float(mesh[10, 1]) + 0.5 * (brow_y - float(mesh[10, 1]))
    regions = {
        "nose": base["nose"],
        "nose_bridge": disc([6, 168, 197, 195], 0.05),
        "nose_tip": disc([1, 4, 5, 19], 0.05),
        "nostrils_alar": disc([98, 327, 64, 294, 129, 358, 48, 278, 2], 0.045),
        "nasolabial": disc([206, 426, 92, 322, 203, 423], 0.05),
        "forehead_top": base["oval"] & (yy < mid),
        "forehead_low": base["oval"] & (yy >= mid) & (yy < brow_y),
        "hairline_band": base["hairline_band"],
        "hair": base["hair"],
        "temples": base["sides_ears"] & (yy < eye_y),
        "ears_sides": base["sides_ears"] & (yy >= eye_y),
        "jaw_band": base["jaw_band"],
        "side_band": base["side_band"],
        "cheeks": disc([50, 280, 117, 346, 123, 352], 0.07),
        "chin": disc([152, 175, 199, 200], 0.07),
    }
    blurred = cv2.GaussianBlur(swapped, (0, 0), 0.08 * size)

    def out(m: Any, restore: bool = True) -> dict[str, float]:
        a, b, c = swapped.copy(), swapped.copy(), swapped.copy()
        a[m], b[m], c[m] = blurred[m], swapped[m].mean(0).round().astype(np.uint8), img[m]
        row = {"share_of_chip": round(float(m.sum() / chip.sum()), 3), "blur": dist(a), "flat": dist(b)}
        return {**row, "restore": dist(c)} if restore else row

    rows = {k: out(m & chip) for k, m in regions.items() if (m & chip).sum() >= 4}
    pairs = {f"nose+{k}": out((regions["nose"] | regions[k]) & chip, False) for k in PAIRED}
    return {"regions": rows, "pairs": pairs}


def face_and_distance(key: str, dl: Dlib) -> tuple[Any, Any, Any]:
    """(photo, face, dist) for ``key`` ("photo#index"): ``dist(x)`` is dlib's distance of image ``x``'s face to the
    photo's own (3 decimals)."""
    import numpy as np

    from core.models import default_manager
    from faces.detect import selected_faces

    name, idx = key.split("#")
    img = face_photo(name)
    faces, _ = selected_faces(img, None, "all", default_manager(), "offline", "anonymize")
    face = next(f for f in faces if f.index == int(idx))
    o_desc = dl.descriptor(img, face)

    def dist(x: Any) -> float:
        return round(float(np.linalg.norm(o_desc - dl.descriptor(x, face))), 3)

    return img, face, dist


def measure_face(key: str, dl: Dlib, images: Path) -> dict[str, Any]:
    import cv2
    import numpy as np

    from faces import geometry, measures

    name, idx = key.split("#")
    img, face, dist = face_and_distance(key, dl)
    swapped, report = editor_best(img, face)
    row: dict[str, Any] = {"size_px": round(face.size), "tries": report["tries"], "swap_distance": dist(swapped)}
    row.update(regions_of(img, swapped, face, dl, dist))
    levers, far, images_of = {}, (-1.0, (0.0, 0.0), swapped), []
    for width, length in NOSE_LEVERS:
        with patched(geometry, **nose_reshape(width, length)):
            _, rep = editor_best(img, face, **EVERY_TRY)  # (every try; the face then hidden: margin 2)
            valid = [t for t in rep["tries"] if t is not None]
            best = max(valid)
            # the farthest try's image: the same tries up to it (each its own generator), kept at a margin just under
            s, again = editor_best(img, face, **{**EVERY_TRY, "VERIFY_MARGIN": best - 0.0005})
        defects = measures.pasted_defects(img, s, face)
        levers[f"width {width:+g} length {length:+g}"] = {
            "best": best,
            "kept": rep["tried"][rep["tries"].index(best)],
            "tries": rep["tries"],
            "same_image": again.get("distance") == best,
            "pasted_defects": defects,  # (result, photo): eye_halo, nose_line, lip_rim
            "looks_pasted": measures.looks_pasted(defects),  # the editor's look gate (faces under 50 px)
            "levers": lever_tests(img, s, face, dist),  # its light flattened, its hair lighter / browner
        }
        images_of.append(s)
        if best > far[0]:
            far = (best, (width, length), s)
    row["nose_levers"] = levers
    d, (width, length), s = far
    row["after_nose"] = {"width": width, "length": length, "swap_distance": dist(s)}
    row["after_nose"].update(regions_of(img, s, face, dl, dist))
    row["after_nose"]["levers"] = lever_tests(img, s, face, dist)
    m, size = face.mesh, face.size
    x0, y0 = int(max(0, m[:, 0].min() - 0.4 * size)), int(max(0, m[:, 1].min() - 0.5 * size))
    x1, y1 = int(min(img.shape[1], m[:, 0].max() + 0.4 * size)), int(min(img.shape[0], m[:, 1].max() + 0.3 * size))
    strip = np.hstack([a[y0:y1, x0:x1] for a in (img, swapped, s)])  # the photo, S, the farthest nose lever
    strip = cv2.resize(strip, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(images / f"nose_{name}{idx}.png"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
    levers_strip = np.hstack([a[y0:y1, x0:x1] for a in images_of])  # each lever's farthest try, NOSE_LEVERS' order
    cv2.imwrite(str(images / f"levers_{name}{idx}.png"), cv2.cvtColor(levers_strip, cv2.COLOR_RGB2BGR))
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", default=DEFAULT_FACES)
    ap.add_argument("--images", default="/tmp/faces_regions")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "faces_regions.json"))
    args = ap.parse_args()
    images = Path(args.images)
    images.mkdir(parents=True, exist_ok=True)
    dl = Dlib()
    rows: dict[str, Any] = {}
    for key in args.faces.split(","):
        t0 = time.perf_counter()
        rows[key] = measure_face(key, dl, images)
        rows[key]["seconds"] = round(time.perf_counter() - t0, 1)
        r = rows[key]
        print(key, "S", r["swap_distance"], "tries", r["tries"], flush=True)
        for name, v in {**r["regions"], **r["pairs"]}.items():
            print(f"  {name:22s}", json.dumps(v), flush=True)
        for name, v in r["nose_levers"].items():
            brief = {k: v[k] for k in ("best", "kept", "pasted_defects", "looks_pasted", "same_image")}
            print(f"  {name:28s}", json.dumps(brief), flush=True)
        a = r["after_nose"]
        print("  after nose", a["width"], a["length"], a["swap_distance"], json.dumps(a["levers"]), flush=True)
        for name, v in {**a["regions"], **a["pairs"]}.items():
            print(f"    {name:22s}", json.dumps(v), flush=True)
    Path(args.out).write_text(json.dumps({"faces": rows}, indent=1) + "\n")
    print("->", args.out)


if __name__ == "__main__":
    main()
