"""Per-person labels (tests/labels/people/<photo>.json) and the scoring of a parse's ``person N`` masks against them.

Each file: ``{"photo": name, "size": [w, h], "from": ..., "people": [{"name": ..., "polygons": [...], "holes": [...]}]}``,
one entry per person (polygons in photo pixels, drawn by hand, see tests/labels/README.md). The person IoU of
tests/labelset.py scores all people as one mask, so it cannot see two people given as one ``person N`` or one person
cut in two; this matches each labelled person to one parsed person (Hungarian assignment on IoU) and counts them.

Pixels inside two labelled people's polygons (one stands in front of the other; who is in front is not drawn) are
not scored.
"""

from __future__ import annotations

import json

import numpy as np

from tests.labelset import LABELS_DIR, _fill

PEOPLE_DIR = LABELS_DIR / "people"
FOUND_IOU = 0.3  # a labelled person is found when the parsed person matched to them has at least this IoU
HOLDS = 0.3  # a parsed person holds a labelled person when it covers at least this share of them


def names() -> list[str]:
    return sorted(p.stem for p in PEOPLE_DIR.glob("*.json"))


def load(name: str) -> dict:
    return json.loads((PEOPLE_DIR / f"{name}.json").read_text())


def truth(entry: dict) -> tuple[list[np.ndarray], np.ndarray]:
    """One bool mask (h, w) per labelled person, and the pixels not scored (in two people's polygons)."""
    w, h = entry["size"]
    out = []
    for p in entry["people"]:
        m = _fill(p["polygons"], (h, w))
        if p.get("holes"):
            m &= ~_fill(p["holes"], (h, w))
        out.append(m)
    count = np.sum(out, axis=0) if out else np.zeros((h, w), int)
    return out, count > 1


def score(entry: dict, parsed: list[np.ndarray]) -> dict:
    """Labelled people vs the parse's people (bool masks at the photo's size): ``people`` labelled, ``found`` (matched
    with IoU >= FOUND_IOU), ``missed``, ``merged`` (labelled people held by a parsed person that holds another labelled
    person too), ``extra`` (parsed people matched to nobody), ``split`` (labelled people held by two or more parsed
    people), ``iou`` per labelled person (0 when missed) and their mean."""
    from scipy.optimize import linear_sum_assignment

    people, void = truth(entry)
    keep = ~void
    t = [m & keep for m in people]
    p = [m & keep for m in parsed]
    n, k = len(t), len(p)
    iou = np.zeros((n, k))
    held = np.zeros((n, k), bool)
    for i, a in enumerate(t):
        for j, b in enumerate(p):
            inter = float(np.logical_and(a, b).sum())
            union = float(np.logical_or(a, b).sum())
            iou[i, j] = inter / union if union else 0.0
            held[i, j] = a.any() and inter >= HOLDS * a.sum()
    per = [0.0] * n
    matched = set()
    if n and k:
        rows, cols = linear_sum_assignment(-iou)
        for i, j in zip(rows, cols):
            if iou[i, j] >= FOUND_IOU:
                per[i] = float(iou[i, j])
                matched.add(int(j))
    found = sum(v > 0 for v in per)
    merged = sum(bool(held[i][held.sum(axis=0) > 1].any()) if k else False for i in range(n))
    split = int((held.sum(axis=1) > 1).sum()) if k else 0
    return {
        "people": n,
        "parsed": k,
        "found": int(found),
        "missed": int(n - found),
        "merged": int(merged),
        "split": split,
        "extra": int(k - len(matched)),
        "iou": {entry["people"][i]["name"]: round(per[i], 3) for i in range(n)},
        "mean_iou": round(float(np.mean(per)), 3) if n else 0.0,
    }


def parsed_people(segments) -> list[np.ndarray]:
    """The parse's ``person N`` masks (photo size), in order."""
    out = []
    for s in segments:
        word, _, number = s.label.rpartition(" ")
        if word == "person" and number.isdigit():
            out.append((int(number), s.mask))
    return [m for _, m in sorted(out, key=lambda x: x[0])]


def measure(name: str, manager) -> dict:
    """:func:`score` of the labelled photo ``name``'s parse (``segmenters.parsing.parse_report`` with ``manager``): what
    ``bench/people_bench.py`` writes and ``tests/test_people.py`` holds to its floors."""
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import photos

    entry = load(name)
    report = parse_report(Photo(photos.load(entry["photo"])), manager)
    return score(entry, parsed_people(report.segments))
