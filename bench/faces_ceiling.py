"""How far a swap CAN take each face from itself (dlib distance), and which part of the face holds it back: the
faces "Anonymize everyone" hides because no try reaches the margin (bench/faces_seeds.py) measured against what
each lever could give at most.

    OMP_NUM_THREADS=1 python bench/faces_ceiling.py [--photos group,t1] [--out bench/results/faces_ceiling.json]

Per face of 50 px or more (the original's dlib descriptor; distances as the editor measures them):
- ``yaw``: the nose tip off the eyes' midpoint, in eye distances (0 frontal; the sign says which way);
- ``gallery_far`` / ``gallery_mean``: the farthest synthetic gallery face's own distance (its frontal photo, the
  manifest's descriptor) and the mean over the gallery: what a texture could bring if the paste kept none of the face;
- ``swap_far``: the plain swap to that farthest face (its first try, seed 0) and ``texture_loss`` = gallery_far -
  swap_far: how much of the face the paste keeps (its pose, outline, feature layout, light);
- ``oval_flat``: the face oval filled with its mean colour (no face at all inside the paste's reach);
- ``geometry_only``: the face's own texture warped to the proportions and outline of the strongest geometric try
  (identity_reshape x1, head_reshape width +0.08 chin -0.05, as editors.anonymize tries them; no texture change);
- ``all_tries``: every offline try run (the early stops HOPELESS_GAP / MOVES_GAP and SEEK_MARGIN off): the best
  distance, which try, and the editor's own result (``seed 0``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
from common import ROOT, face_photo, patched  # after the thread count; it puts the project on sys.path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", default="group,grace_hopper,t1,astronaut,tom_hanks")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "faces_ceiling.json"))
    args = ap.parse_args()

    import numpy as np

    from core.models import default_manager
    from editors import anonymize
    from faces import geometry, measures
    from faces.detect import selected_faces
    from faces.gallery import gallery_names, load_target
    from faces.landmarks import LEFT_EYE, RIGHT_EYE
    from faces.masks import face_mask

    targets = {n: load_target(n) for n in gallery_names(synthetic=True)}
    rows: dict[str, dict] = {}

    def run(img: np.ndarray, face: int, params: dict, **consts: float) -> dict:
        with patched(anonymize, **consts):
            ed = anonymize.AnonymizeEditor()
            ed.apply(img, None, {"method": "swap", "faces": str(face), **params}, seed=0)
            return ed.last_report[0]

    for name in args.photos.split(","):
        img = face_photo(name)
        faces, _ = selected_faces(img, None, "all", default_manager(), "offline", "anonymize")
        for f in faces:
            if f.size < 50 or f.mesh is None:
                continue
            o = measures.identity_descriptor(img, f)

            def dist(x: np.ndarray, face=f, o=o) -> float:
                return round(float(np.linalg.norm(o - measures.identity_descriptor(x, face))), 3)

            far = {n: float(np.linalg.norm(np.asarray(t.descriptor) - o)) for n, t in targets.items()}
            far_name = max(far, key=far.__getitem__)
            m = f.mesh
            le, re = m[LEFT_EYE].mean(0), m[RIGHT_EYE].mean(0)
            yaw = float((m[1, 0] - (le[0] + re[0]) / 2) / max(float(np.linalg.norm(le - re)), 1e-6))
            oval = face_mask(img.shape, f)
            flat = img.copy()
            flat[oval] = img[oval].mean(0).round().astype(np.uint8)
            moved = geometry.identity_reshape(m, f.size, 1.0)
            moved = geometry.head_reshape(moved, f.size, anonymize.HEADS[0]["width"], anonymize.HEADS[0]["chin"])
            (warped,), _ = geometry.warp_around([img], m, moved, oval, anonymize.HEAD_REACH * f.size)
            first = run(img, f.index, {"identity": far_name}, HOPELESS_GAP=-1.0)["tries"][0]
            full = run(img, f.index, {}, HOPELESS_GAP=1.0, MOVES_GAP=1.0, SEEK_MARGIN=2.0)
            tries = [t for t in full["tries"] if t is not None]
            editor = run(img, f.index, {})
            row = {
                "size_px": round(f.size),
                "yaw": round(yaw, 2),
                "gallery_far": round(far[far_name], 3),
                "gallery_far_name": far_name,
                "gallery_mean": round(float(np.mean(list(far.values()))), 3),
                "swap_far": first,
                "texture_loss": None if first is None else round(far[far_name] - first, 3),
                "oval_flat": dist(flat),
                "geometry_only": dist(warped),
                "all_tries_best": max(tries) if tries else None,
                "all_tries_best_try": full["tried"][full["tries"].index(max(tries))] if tries else None,
                "editor_done": (editor.get("done") or "")[:40],
                "editor_distance": editor.get("distance"),
            }
            rows[f"{name}#{f.index}"] = row
            print(f"{name}#{f.index:<3d}", json.dumps(row), flush=True)
    Path(args.out).write_text(json.dumps({"margin": anonymize.VERIFY_MARGIN, "faces": rows}, indent=1) + "\n")
    print("->", args.out)


if __name__ == "__main__":
    main()
