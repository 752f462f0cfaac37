"""False and missed label offers on the label-presence photos (tests/labels/presence/presence.json, issue 11 round 12).

For each photo it runs the real entry point ``segmenters.parsing.parse_report(photo, ModelManager(online=False))``
with the packaged nets and reads the chips it offers (``offered``: each label's share of the photo; ``person N`` is
``person``, any animal chip is ``animal`` too, see ``offers``). Against the photo's presence labels:

- a false offer: a label of the file's ``labels`` offered on more than ``threshold`` (1 %) of a photo where it is
  absent (neither ``present`` nor ``ignore``);
- a missed label: a ``present`` label with no chip at all.

Counts per set (the file's ``split``: ``dev``, looked at while designing, and ``test``, counted only at the end)
go to bench/results/offers.json, with every photo's offers.

Usage (from the repository root; about 2 s a photo on 2 cores)::

    .venv/bin/python bench/offers.py                 # every photo of the file
    .venv/bin/python bench/offers.py --set dev       # only the dev photos (what a design may look at)
    .venv/bin/python bench/offers.py --out /tmp/o.json --photos jigzo_bike
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, machine_info, offline_env, require_nets, write_result

offline_env()
os.environ.setdefault("OMP_NUM_THREADS", "2")

PRESENCE = ROOT / "tests" / "labels" / "presence" / "presence.json"


def load_presence() -> dict:
    with open(PRESENCE) as fh:
        return json.load(fh)


def offers(segments, shape: tuple[int, int], labels: list[str]) -> dict[str, float]:
    """Label -> share of the photo (``shape`` = (h, w)) that the parse's chips offer it, for the labels of ``labels``:
    ``person N`` counts as ``person``, per-person parts and other chips are left out, and every animal chip (a VOC,
    COCO or the generic ``animal`` name, segmenters/objects.py ``ANIMALS``) counts as ``animal`` besides its own name."""
    import numpy as np

    from segmenters.objects import ANIMALS
    from tests import labelset

    pred = labelset.predicted(segments)
    area = float(shape[0] * shape[1])
    out: dict[str, float] = {}
    animal = np.zeros(shape, bool)
    for label, m in pred.items():
        if label in ANIMALS:
            animal |= m
        if label in labels and m.any():
            out[label] = round(float(m.sum()) / area, 4)
    if "animal" in labels and animal.any():
        out["animal"] = round(float(animal.sum()) / area, 4)
    return out


def judge(entry: dict, offered: dict[str, float], labels: list[str], threshold: float) -> tuple[list[str], list[str]]:
    """(false offers, missed labels) of one photo's ``offered`` shares against its presence ``entry``."""
    present, ignore = set(entry["present"]), set(entry.get("ignore", ()))
    false = sorted(lb for lb in labels if lb not in present | ignore and offered.get(lb, 0.0) > threshold)
    missed = sorted(lb for lb in present if offered.get(lb, 0.0) == 0.0)
    return false, missed


def evaluate(names: list[str], data: dict) -> dict:
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import photos

    os.environ["FACET_PARSE_NETS"] = "on"
    manager = ModelManager(online=False)
    labels, threshold = data["labels"], data["threshold"]
    per_photo = {}
    for name in names:
        rgb = photos.load(name)
        report = parse_report(Photo(rgb), manager)
        offered = offers(report.segments, rgb.shape[:2], labels)
        false, missed = judge(data["photos"][name], offered, labels, threshold)
        per_photo[name] = {"offered": offered, "false": false, "missed": missed, "seconds": round(report.seconds, 2)}
        log(f"{name:22s} false {false}  missed {missed}  offered {offered}")
    return per_photo


def totals(per_photo: dict, names: list[str]) -> dict:
    got = [per_photo[n] for n in names if n in per_photo]
    return {
        "photos": len(got),
        "false": sum(len(p["false"]) for p in got),
        "missed": sum(len(p["missed"]) for p in got),
        "photos_with_false": sum(bool(p["false"]) for p in got),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=("dev", "test", "all"), default="all", help="which photos of the split")
    ap.add_argument("--photos", nargs="*", help="only these photos")
    ap.add_argument("--out", type=Path, default=None, help="default bench/results/offers.json")
    args = ap.parse_args(argv)
    missing = require_nets()
    data = load_presence()
    split = data["split"]
    names = sorted(data["photos"]) if args.set == "all" else list(split[args.set])
    if args.photos:
        names = [n for n in names if n in args.photos]
    t0 = time.perf_counter()
    per_photo = evaluate(names, data)
    result = {
        "machine": machine_info([2]),
        "missing_nets": missing,
        "presence_file": str(PRESENCE.relative_to(ROOT)),
        "rule": f"false: a label offered on over {data['threshold']:.0%} of a photo where it is absent; "
        "missed: a present label with no chip",
        "dev": totals(per_photo, split["dev"]),
        "test": totals(per_photo, split["test"]),
        "all": totals(per_photo, list(per_photo)),
        "per_photo": per_photo,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_result(result, args.out or ROOT / "bench" / "results" / "offers.json")
    log(f"dev {result['dev']}  test {result['test']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
