"""Animal chips per photo: what the objects parser (segmenters/objects.py) offers on every photo of tests/photos.py.

Issue 11: "a label is offered only where it is really there" (bears and horses got "person" chips; the giraffe was
"bird"). For each photo: the chips the objects parser gives (animals and vehicles, as ``app.cli parse`` lists them)
and, per animal blob of the VOC net, the evidence its name rests on: the blob's class, its mean probability, the
share of its pixels at least ``objects.SURE_P`` sure (``objects.BIRD_SURE`` decides "bird" vs "animal") and the
share the scene net calls a surface; and the COCO detector's animal boxes (segmenters/detector.py; none when its files are
absent), with the name each gives where the VOC net cannot (``objects.NAME_SURE``, ``NAME_MARGIN``). No timing. Writes ``bench/results/animal_chips.json``. Usage (repository
root; about 1-2 minutes on 2 cores)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/animal_chips.py [--photos darknet_giraffe chelsea ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, log, offline_env, write_result

offline_env()

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", nargs="*", help="only these photos (default: every photo of tests/photos.py)")
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "animal_chips.json")
    args = ap.parse_args()

    from core.models import ModelManager
    from core.types import Photo
    from segmenters import objects
    from segmenters.nets import ADE, VOC, VOC_CLASSES, ade_labels, ade_stuff, net_available, voc_ctx_answer
    from segmenters.nets import voc_probabilities
    from segmenters.detector import available as detector_available
    from segmenters.detector import ctx_detections
    from segmenters.parsing import ParseContext, build_parsers
    from tests import photos
    from tests.labelset import HELD_OUT_ROUND15

    if not (net_available(VOC) and net_available(ADE)):
        sys.exit("the packaged VOC / ADE nets are not here (scripts/setup.sh, or FACET_PACKAGED_DIR)")
    manager = ModelManager(online=False)
    built = build_parsers(manager, ["objects"])
    animal_ids = [VOC_CLASSES.index(a) for a in objects.VOC_ANIMALS]
    rows = {}
    # round 15's hold-out (tests/labelset.py HELD_OUT_ROUND15) only when named: it is measured once, by parse_quality
    for name in args.photos or [n for n in photos.names() if n not in HELD_OUT_ROUND15]:
        ctx = ParseContext(Photo(pixels=photos.load(name)), manager, built)
        out = ctx.need("objects")
        labels, grid = voc_ctx_answer(ctx)
        h, w = labels.shape
        probs = voc_probabilities(grid, animal_ids, (w, h))
        stuff = ade_stuff(ade_labels(ctx))
        n, blobs, stats, _ = cv2.connectedComponentsWithStats(np.isin(labels, animal_ids).astype(np.uint8), 8)
        evidence = []
        for b in range(1, n):
            if stats[b, cv2.CC_STAT_AREA] < objects.MIN_BLOB * labels.size:
                continue
            blob = blobs == b
            mean = probs[blob].mean(axis=0)
            k = int(np.argmax(mean))
            evidence.append(
                {
                    "voc_class": objects.VOC_ANIMALS[k],
                    "share_of_photo": round(float(blob.mean()), 4),
                    "mean_probability": round(float(mean[k]), 3),
                    "sure_share": round(float((probs[blob][:, k] >= objects.SURE_P).mean()), 3),
                    "on_surface": round(float(stuff[blob].mean()), 3),
                }
            )
        chips = [p.label for p in out.parts] if out is not None else []
        boxes = [
            {
                "class": objects._animal_best(d)[0],
                "score": round(objects._animal_best(d)[1], 3),
                "names_it": objects.animal_name(d),
                "box": [round(v) for v in d.box],
            }
            for d in objects.animal_detections(ctx_detections(ctx))
        ]
        rows[name] = {"chips": chips, "animal_blobs": evidence, "animal_boxes": boxes}
        log(f"{name}: {chips}")
    write_result(
        {
            "what": __doc__.split("\n\n")[0],
            "bird_sure": objects.BIRD_SURE,
            "detector": detector_available(),
            "name_sure": objects.NAME_SURE,
            "name_margin": objects.NAME_MARGIN,
            "photos": rows,
        },
        args.out,
    )
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
