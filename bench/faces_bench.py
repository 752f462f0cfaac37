"""Faces benchmark: detection recall, identity removal, expression kept, time per face (offline backends).

    OMP_NUM_THREADS=1 python bench/faces_bench.py [--out bench/results/faces.json] [--images /tmp/faces_out]

Photos: skimage astronaut, matplotlib grace_hopper (public domain) and a 1280x720 group photo assembled
from them (6 faces, scales 0.22-0.62, one mirrored, one half hidden; tests/test_faces.assemble_group).
``swap`` checks each face with dlib's recogniser and retries / blurs (the default); ``verify False`` is the
unchecked swap, for its time. Identity: dlib 128-D descriptor distance original vs result (same person < 0.6). Expression: mean movement
of the 468 face-mesh points, as a fraction of the face size. Time: whole editor call / number of faces
(detection + mesh + edit), median of ``--repeat`` runs, 1 thread.
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

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "faces.json"))
    ap.add_argument("--images", default="/tmp/faces_out")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from editors.anonymize import AnonymizeEditor
    from editors.faceswap import FaceSwapEditor
    from segmenters import face_identity as fi
    from tests.test_faces import assemble_group, load_real, recall

    Path(args.images).mkdir(parents=True, exist_ok=True)
    photos = load_real()
    group, expected = assemble_group(photos)
    photos["group"] = group
    results: dict = {"machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                                 "omp_threads": os.environ.get("OMP_NUM_THREADS"),
                                 "load_avg_1m": os.getloadavg()[0]},
                     "thresholds": {"same_person": 0.6, "max_shift": 0.03}, "photos": {}}
    t0 = time.perf_counter()
    found = fi.find_faces(group, mesh=False)
    results["detection"] = {"group_expected": len(expected), "group_found": len(found),
                            "group_recall": recall(found, expected), "seconds": time.perf_counter() - t0}
    cv2.imwrite(f"{args.images}/group_numbered.png", fi.draw_face_numbers(group, fi.find_faces(group))[..., ::-1])
    AnonymizeEditor().apply(photos["astronaut"], None, {"method": "swap"})  # warm-up (model loads)
    edits = [("anonymize", {"method": "swap"}), ("anonymize", {"method": "swap", "verify": False}),
             ("anonymize", {"method": "blur"}),
             ("anonymize", {"method": "pixelate"}), ("anonymize", {"method": "solid"}),
             ("faceswap", {"target": "synthetic_average"})]
    for name, img in photos.items():
        faces = fi.find_faces(img)
        rows = []
        for editor, params in edits:
            ed = AnonymizeEditor() if editor == "anonymize" else FaceSwapEditor()
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = ed.apply(img, None, params, seed=0)
                times.append(time.perf_counter() - t)
            per_face = []
            for f in faces:
                d = fi.identity_distance(img, f, out) if f.size >= 40 else None
                s = fi.landmark_shift(img, out, f) if f.mesh is not None else None
                per_face.append({"index": f.index, "size_px": round(f.size), "identity_distance": d,
                                 "landmark_shift": None if s is None or not np.isfinite(s) else s})
            ms = statistics.median(times) * 1000 / max(1, len(faces))
            rows.append({"editor": editor, "params": params, "ms_per_face": ms, "faces": per_face,
                         "report": list(getattr(ed, "last_report", []) or [])})
            tag = "_".join(str(v) for v in params.values())
            cv2.imwrite(f"{args.images}/{name}_{editor}_{tag}.png", np.hstack([img, out])[..., ::-1])
            print(f"{name:13s} {editor:9s} {tag:18s} {ms:6.0f} ms/face  " + "  ".join(
                f"#{r['index']}: id {r['identity_distance'] or 0:.3f} shift {100 * (r['landmark_shift'] or 0):.2f}%"
                for r in per_face))
        results["photos"][name] = {"faces": len(faces), "edits": rows}
    Path(args.out).write_text(json.dumps(results, indent=1, default=float) + "\n")
    print("recall", results["detection"], "->", args.out)


if __name__ == "__main__":
    main()
