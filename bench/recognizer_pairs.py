"""Same-person and different-person pairs for the independent recogniser (faces/recognizer.py, MobileFaceNet).

    OMP_NUM_THREADS=1 python bench/recognizer_pairs.py [--out bench/results/recognizer_pairs.json] [--write-centre]
    OMP_NUM_THREADS=1 python bench/recognizer_pairs.py --model mobileface   # -> recognizer_pairs_mobileface.json

People (each face the offline detector finds): astronaut, grace_hopper, tom_hanks, messi5, basketball1's two and
t1's six: 12 people. Same person: each face against its copy in the photo flipped, rescaled to 2/3, re-JPEGed at
quality 30 and shifted by (7, 5) px (the face found again on the copy), and the astronaut and grace_hopper
against their copies of 40 px or more in the composite group photo of tests/test_faces.assemble_group.
Different persons: every pair of the 12 (original and two copies each side).

The model's embeddings are centred (faces/recognizer.py says why): ``--write-centre`` writes the mean raw unit
embedding of all these faces and copies to faces/recognizer_centre.json. Scores are given with that centre
(in-sample) and on two hold-out splits (centre from t1's six, scored on the other six people, and the
reverse). ``--model mobileface`` (faces.recognizer.MOBILEFACE, a second hold-out recogniser) is not centred:
its three rows all use its raw unit embeddings (only the split of the people differs). Writes the distributions
and the equal-error point of each. Few pairs of few people, and the
same-person pairs are copies of one photo (easier than two photos of one person): a rough calibration.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

PEOPLE = ("astronaut", "grace_hopper", "tom_hanks", "messi5", "basketball1", "t1")


def eer(same: np.ndarray, diff: np.ndarray) -> tuple[float, float]:
    """(threshold, rate) where the false-reject and false-accept rates meet (the midpoint of a gap if none)."""
    if same.min() > diff.max():
        return (float(same.min()) + float(diff.max())) / 2, 0.0
    grid = np.unique(np.concatenate([same, diff]))
    frr = np.array([(same < t).mean() for t in grid])
    far = np.array([(diff >= t).mean() for t in grid])
    i = int(np.argmin(np.abs(frr - far)))
    return float(grid[i]), float((frr[i] + far[i]) / 2)


def summary(v: np.ndarray) -> dict:
    return {
        "n": int(len(v)),
        "min": round(float(v.min()), 4),
        "median": round(float(np.median(v)), 4),
        "max": round(float(v.max()), 4),
    }


def nearest(faces, centre):
    """The face whose box centre is nearest ``centre``."""
    return min(faces, key=lambda f: np.hypot(f.centre[0] - centre[0], f.centre[1] - centre[1]))


def variants(img: np.ndarray) -> dict[str, tuple[np.ndarray, callable]]:
    """Copies of ``img`` and how a point of the original maps into each."""
    h, w = img.shape[:2]
    ok, jpg = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 30])
    shifted = np.zeros_like(img)
    shifted[5:, 7:] = img[:-5, :-7]
    return {
        "flipped": (np.ascontiguousarray(img[:, ::-1]), lambda p: (w - 1 - p[0], p[1])),
        "rescaled_2/3": (
            cv2.resize(img, (w * 2 // 3, h * 2 // 3), interpolation=cv2.INTER_AREA),
            lambda p: (p[0] * 2 / 3, p[1] * 2 / 3),
        ),
        "jpeg_q30": (cv2.imdecode(jpg, cv2.IMREAD_COLOR)[..., ::-1].copy(), lambda p: p),
        "shifted_7_5": (shifted, lambda p: (p[0] + 7, p[1] + 5)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None, help="default bench/results/recognizer_pairs[_<model>].json")
    ap.add_argument("--model", default="mobilefacenet", choices=("mobilefacenet", "mobileface"))
    ap.add_argument("--write-centre", action="store_true", help="write faces/recognizer_centre.json from these faces")
    args = ap.parse_args()
    from faces import recognizer
    from faces.detect import find_faces
    from tests import photos
    from tests.test_faces import assemble_group, load_real

    spec = recognizer.SPECS[args.model]
    if args.out is None:
        suffix = "" if args.model == "mobilefacenet" else f"_{args.model}"
        args.out = str(ROOT / "bench" / "results" / f"recognizer_pairs{suffix}.json")
    if args.write_centre and not spec.centred:
        ap.error(f"{args.model} is not centred: --write-centre is for mobilefacenet")
    t0 = time.perf_counter()
    net, _ = recognizer.recognizer(spec)

    def raw(img: np.ndarray, face) -> np.ndarray:
        return net.raw(recognizer.align(img, recognizer.face_kps(face), net.side)[None])[0]

    who_of: list[str] = []  # one row per embedding: whose, and whether the original (kind "original")
    kind_of: list[str] = []
    embs: list[np.ndarray] = []
    sizes: dict[str, int] = {}
    for name in PEOPLE:
        img = photos.load(name)
        for f in find_faces(img):
            who = name if name in ("astronaut", "grace_hopper", "tom_hanks", "messi5") else f"{name}#{f.index}"
            if who in sizes:  # one face per single-person photo (the largest comes first in size order below)
                continue
            sizes[who] = round(f.size)
            who_of.append(who), kind_of.append("original"), embs.append(raw(img, f))
            for kind, (copy, move) in variants(img).items():
                found = find_faces(copy)
                if not found:
                    continue
                g = nearest(found, move(f.centre))
                if np.hypot(*np.subtract(g.centre, move(f.centre))) > 0.3 * g.size:  # the face was not found again
                    continue
                who_of.append(who), kind_of.append(kind), embs.append(raw(copy, g))
    group, boxes = assemble_group(load_real())
    gfaces = find_faces(group)
    for who, box in zip(("astronaut", "grace_hopper") * 3, [boxes[i] for i in (0, 1, 2, 3, 4, 5)]):
        g = nearest(gfaces, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
        if g.size >= 40:
            who_of.append(who), kind_of.append(f"composite {round(g.size)} px"), embs.append(raw(group, g))
    E = np.stack(embs)
    whos = np.array(who_of)
    kinds = np.array(kind_of)
    people = list(sizes)
    t1 = np.array([w.startswith("t1") for w in whos])

    def score(centre: np.ndarray, rows: np.ndarray) -> dict:
        X = E - centre
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        same, pairs, diff = [], [], []
        for i in np.flatnonzero(rows & (kinds == "original")):
            for j in np.flatnonzero(rows & (whos == whos[i]) & (kinds != "original")):
                same.append(float(X[i] @ X[j]))
                pairs.append(
                    {
                        "who": str(whos[i]),
                        "copy": str(kinds[j]),
                        "face_px": sizes[whos[i]],
                        "similarity": round(same[-1], 4),
                    }
                )
        names = [p for p in people if rows[whos == p].any()]
        for a, b in itertools.combinations(names, 2):
            ia = np.flatnonzero(whos == a)[:3]
            ib = np.flatnonzero(whos == b)[:3]
            diff += [float(X[i] @ X[j]) for i in ia for j in ib]
        s, d = np.array(same), np.array(diff)
        t, rate = eer(s, d)
        return {
            "people": len(names),
            "same": summary(s),
            "different": summary(d),
            "equal_error_point": round(t, 3),
            "equal_error_rate": round(rate, 3),
            "same_below_SAME_PERSON": int((s < spec.same_person).sum()),
            "different_at_or_above_SAME_PERSON": int((d >= spec.same_person).sum()),
            "same_pairs": sorted(pairs, key=lambda r: r["similarity"]),
        }

    centred = spec.centred
    centre = E.mean(0) if centred else np.zeros(E.shape[1], E.dtype)
    everyone = np.ones(len(E), bool)
    raw_cos = E @ E.T
    out = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
        },
        "model": spec.model_id,
        "centred": centred,
        "people": {p: sizes[p] for p in people},
        "raw_cosine_between_different_originals": summary(
            np.array([raw_cos[i, j] for i, j in itertools.combinations(np.flatnonzero(kinds == "original"), 2)])
        ),
        "threshold_in_code": spec.same_person,
        "in_sample": score(centre, everyone),
        "holdout_centre_t1_scored_others": score(E[t1].mean(0) if centred else centre, ~t1),
        "holdout_centre_others_scored_t1": score(E[~t1].mean(0) if centred else centre, t1),
        "caveat": "12 people, copies of one photo as same-person pairs: a rough calibration, not LFW",
    }
    if args.write_centre:
        recognizer.CENTRE_FILE.write_text(
            json.dumps(
                {
                    "made_by": "python bench/recognizer_pairs.py --write-centre",
                    "model": recognizer.MODEL_ID,
                    "what": "mean raw unit embedding of these faces and their copies (flipped, rescaled, re-JPEGed, shifted, composite)",
                    "faces": {p: sizes[p] for p in people},
                    "embeddings": len(E),
                    "centre": [round(float(v), 6) for v in centre],
                },
                indent=1,
            )
            + "\n"
        )
        out["centre_written"] = str(recognizer.CENTRE_FILE.relative_to(ROOT))
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    for key in ("in_sample", "holdout_centre_t1_scored_others", "holdout_centre_others_scored_t1"):
        r = out[key]
        print(key, {k: v for k, v in r.items() if k != "same_pairs"})
        print("   lowest same:", r["same_pairs"][:4])
    print("raw cosine between different originals", out["raw_cosine_between_different_originals"], "->", args.out)


if __name__ == "__main__":
    main()
