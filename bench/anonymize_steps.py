"""Where one face's checked offline swap spends its time: "Anonymize everyone" run on a photo with the editor's steps
wrapped, each step's CPU seconds (the thread it ran on: the main thread's tries, the check thread's descriptors,
occluders and anti-face) and wall seconds summed per face, inclusive (a step's time holds the steps it calls).

    OMP_NUM_THREADS=1 python bench/anonymize_steps.py [--photos t1] [--repeat 2] [--out steps.json]

Steps: the try's render (faces.blend.mesh_swap and inside it the warp of the target, the photo match, the grain,
the mouth, the normals, the fringe), the head warp of an outline try, the eyes and brows, the expression check (face
mesh on the result), dlib's descriptor (its 68 landmarks, chip and ResNet apart), and the per-face work before the
tries (occluders, anti-face, apparent age, target ranking, the person's brows, the frame fill). A step on the check
thread is counted to the face whose tries are running when it ends. The host is shared: compare CPU, not wall.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
from common import face_photo  # after the thread count; it puts the project on sys.path

STEPS = {  # module (under the project) -> the names wrapped there
    "editors.anonymize": [
        "mesh_swap",
        "_warp_head",
        "_bound_brows",
        "_restyle_brows",
        "_expression",
        "anti_target",
        "without_frames",
        "_in_front",
        "_rank_targets",
        "_own_brow_pixels",
    ],
    "faces.eyes": ["keep_eye_state"],
    "faces.attributes": ["apparent_age"],
    "faces.blend": [
        "_warped_target",
        "match_photo",
        "photo_grain",
        "mouth_texture",
        "mesh_normals",
        "forehead_hair",
        "frame_lines",
    ],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", default="t1")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per photo (after one warm run); figures: mean")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    import importlib

    from editors import anonymize
    from faces import measures

    stats: dict[tuple[str, str], list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0])
    face_now = ["?"]

    def add(label: str, cpu: float, wall: float) -> None:
        s = stats[(face_now[0], label)]
        s[0] += 1
        s[1] += cpu
        s[2] += wall

    def wrap(module: Any, name: str) -> None:
        fn = getattr(module, name)

        @functools.wraps(fn)
        def timed(*a: Any, **k: Any) -> Any:
            c, t = time.thread_time(), time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                add(name, time.thread_time() - c, time.perf_counter() - t)

        setattr(module, name, timed)

    for mod, names in STEPS.items():
        for name in names:
            wrap(importlib.import_module(mod), name)

    def descriptor(rgb: Any, face: Any, engine: str = "onnx") -> Any:  # measures.identity_descriptor, its parts timed
        d = measures._dlib()
        marks = [(time.thread_time(), time.perf_counter())]
        shape = d["shape68"](rgb, measures.dlib_rect(face))
        marks.append((time.thread_time(), time.perf_counter()))
        chip = d["chip"](rgb, shape, size=150, padding=0.25)
        marks.append((time.thread_time(), time.perf_counter()))
        value = measures.default_manager().resident(measures.DLIB_ONNX, measures._load_resnet).descriptor(chip)
        marks.append((time.thread_time(), time.perf_counter()))
        for label, (c0, t0), (c1, t1) in zip(("dlib landmarks", "dlib chip", "dlib resnet"), marks, marks[1:]):
            add(label, c1 - c0, t1 - t0)
        add("identity_descriptor", marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1])
        return value

    measures.identity_descriptor = descriptor
    swap = anonymize.AnonymizeEditor._swap_verified
    photo_now = [""]

    def swap_verified(self: Any, out: Any, pixels: Any, face: Any, *a: Any, **k: Any) -> Any:
        face_now[0] = f"{photo_now[0]}#{face.index}"
        return swap(self, out, pixels, face, *a, **k)

    anonymize.AnonymizeEditor._swap_verified = swap_verified  # type: ignore[method-assign]
    result: dict[str, Any] = {}
    for name in args.photos.split(","):
        photo_now[0] = name
        img = face_photo(name)
        ed = anonymize.AnonymizeEditor()
        ed.apply(img, None, {"method": "swap"}, seed=0)  # warm: models loaded
        stats.clear()
        rows: dict[str, list[dict]] = collections.defaultdict(list)
        for _ in range(args.repeat):
            ed.apply(img, None, {"method": "swap"}, seed=0)
            for r in ed.last_report:
                rows[f"{name}#{r['face']}"].append(r)
        for key, runs in rows.items():
            steps = {
                label: {"calls": n // args.repeat, "cpu": round(c / args.repeat, 4), "wall": round(w / args.repeat, 4)}
                for (f, label), (n, c, w) in sorted(stats.items(), key=lambda kv: -kv[1][1])
                if f == key
            }
            result[key] = {
                "size_px": runs[0]["size_px"],
                "tries": runs[0].get("tries"),
                "tried": runs[0].get("tried"),
                "cpu_seconds": round(sum(r["cpu_seconds"] for r in runs) / len(runs), 3),
                "seconds": round(sum(r["seconds"] for r in runs) / len(runs), 3),
                "steps": steps,
            }
            print(
                f"{key} {runs[0]['size_px']} px, {len(runs[0].get('tries') or [])} tries, cpu {result[key]['cpu_seconds']} s"
            )
            for label, s in steps.items():
                if s["cpu"] >= 0.002:
                    print(f"   {label:22s} x{s['calls']:<3d} cpu {s['cpu']:.3f}  wall {s['wall']:.3f}")
    if args.out:
        Path(args.out).write_text(json.dumps({"repeat": args.repeat, "faces": result}, indent=1) + "\n")
        print("->", args.out)


if __name__ == "__main__":
    main()
