"""People one by one: each hand-labelled person of tests/labels/people/ matched to the parse's ``person N`` masks
(Hungarian assignment on IoU, tests/peopleset.py), nets backend: people found / missed / merged (two labelled people in
one parsed person) / split / extra, and the IoU per labelled person. bench/parse_quality.py's person IoU scores all
people as one mask and sees none of this.

Usage (from the repository root; under a minute on one core)::

    .venv/bin/python bench/people_bench.py            # -> bench/results/people.json
    .venv/bin/python bench/people_bench.py --out /tmp/people.json
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, machine_info, offline_env, require_nets, write_result

offline_env()
os.environ.setdefault("OMP_NUM_THREADS", "1")


def evaluate(names: list[str]) -> dict:
    from core.models import ModelManager
    from tests import peopleset

    os.environ["FACET_PARSE_NETS"] = "on"
    manager = ModelManager(online=False)
    per_photo = {}
    for name in names:
        per_photo[name] = peopleset.measure(name, manager)
        r = per_photo[name]
        log(f"{name}: {r['found']}/{r['people']} found, merged {r['merged']}, extra {r['extra']}, iou {r['mean_iou']}")
    keys = ("people", "found", "missed", "merged", "split", "extra")
    totals = {k: sum(r[k] for r in per_photo.values()) for k in keys}
    ious = [v for r in per_photo.values() for v in r["iou"].values()]
    totals["mean_iou_per_person"] = round(statistics.mean(ious), 3) if ious else 0.0
    return {"totals": totals, "per_photo": per_photo}


def main(argv: list[str] | None = None) -> int:
    from tests import peopleset

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "people.json")
    ap.add_argument("photos", nargs="*", help="people label files to score (default: all)")
    args = ap.parse_args(argv)
    require_nets()
    result = {
        "what": "labelled people (tests/labels/people) matched to the parse's person N masks, nets backend",
        "found_iou": peopleset.FOUND_IOU,
        "holds": peopleset.HOLDS,
        **evaluate(args.photos or peopleset.names()),
        "machine": machine_info([int(os.environ["OMP_NUM_THREADS"])]),
    }
    write_result(result, args.out)
    log(f"totals: {result['totals']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
