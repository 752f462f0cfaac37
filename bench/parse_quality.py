"""Quality of the offline labelled parts against the project's hand-labelled photos (tests/labels/*.json).

For each labelled photo (tests/labelset.py: polygons drawn by hand, rasterised at the photo's size) it runs
the real entry point ``segmenters.parsing.parse_report(photo, ModelManager(online=False))`` twice:

- ``rules``: ``FACET_PARSE_NETS=off``, the colour / geometry rules with MediaPipe and CenterFace (the
  offline path before the small nets);
- ``nets``: the packaged nets of segmenters/nets.py (ADE20K and VOC DeepLab, MediaPipe hair, PAN).

and writes the IoU per label (mean over the photos that have it; a label offered on a photo where it is not
counts 0 there), per photo, and the mean over labels, for each backend, to bench/results/parse_quality.json.
``portrait_hair`` is the hair IoU on the portraits (astronaut, grace_hopper, t1, messi5), and
``portrait_hair_heads`` the hair IoU per head on them (t1's six people apart: each pixel goes to the nearest
face the parse found), so the figure is not three photos. ``portrait_hair_sets`` (and ``--hair-only``, to
bench/results/parse_hair.json) scores hair on the portrait sets of tests/portraits.py: the four portraits, five
new ones labelled for hair only, and the non-Grace portraits with their labelled hair repainted grey and white
(issue 11: grey / white hair apart from Grace Hopper). ``hands_share``: how much of the hand-drawn bare hands
and forearms of tests/labels/hands/ (t1) each backend calls upper / lower clothes and skin. With ``--time`` it also
times the parse of each photo resized to 1 MP (median of ``--repeats`` after a warm-up; per parser), the
issue's "all parsers under 1.5 s for a 1 MP photo" on this CPU.

Usage (from the repository root; about 1-3 minutes on 2 cores)::

    .venv/bin/python bench/parse_quality.py            # both backends, IoU + 1 MP timing
    .venv/bin/python bench/parse_quality.py --no-time  # IoU only
    .venv/bin/python bench/parse_quality.py --time-only  # 1 MP timing only -> bench/results/parse_time.json
    .venv/bin/python bench/parse_quality.py --hair-only  # portrait hair sets -> bench/results/parse_hair.json
    # scene labels with and without the ADE net's multi-scale tiles (per photo, hold-outs apart), and both timings:
    .venv/bin/python bench/parse_quality.py --backends nets nets-single-scale --single-scale-time
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, OtherLoad, load_average, log, machine_info, offline_env, require_nets, write_result

offline_env()
os.environ.setdefault("OMP_NUM_THREADS", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from tests.labelset import DEV_ROUND11, HELD_OUT_ROUND11, HELD_OUT_ROUND15  # noqa: E402  (scored apart)

PORTRAITS = ("astronaut", "grace_hopper", "t1", "messi5")  # messi5 added in round 3 (a head in a sports shot)
BACKENDS = ("rules", "nets")
# ``nets-single-scale``: the nets with the ADE net's multi-scale tiles off (FACET_ADE_TILES=off, segmenters/nets.py),
# the scene labels' before / after of issue 11 round 6 (``--backends nets nets-single-scale``)
EXTRA_BACKENDS = ("nets-single-scale",)
GOAL_1MP_S = 1.5  # issue 11: all parsers together for a 1 MP photo on the 2-core CPU
TARGETS = {"mean": 0.55, "sky": 0.85, "water": 0.8, "road": 0.75, "person": 0.6, "portrait_hair": 0.7}
# photos labelled in round 2 (issue 11: more water and roads), scored apart too: the scene method was developed
# on the first 15; the last two were labelled after it was fixed and looked at only to score it
ADDED = (
    "mate_storm",
    "kde_eveningglow",
    "kde_summer_1am",
    "lomiri_picosdeeuropa",
    "lomiri_aitzgorri",
    "scenetext05",
    "vtest",
    "kde_bythewater",
    "kde_darkesthour",
)
HELD_OUT = ("kde_bythewater", "kde_darkesthour")
# round 3 (issue 11: water and road): labelled before the scene method changed, scored apart, never tuned on
HELD_OUT_ROUND3 = ("mate_dune", "lomiri_bridge", "kde_path", "leuvenB")
# round 5 (issue 11: water and road): labelled before they were parsed, scored apart, never tuned on (only water,
# road and the labels they lack are scored there: see each file's "ignore")
HELD_OUT_ROUND5 = ("ultralytics_bus", "kde_coldripple", "mate_aqua", "lomiri_life")
# round 9: labelled before they were parsed for scoring, scored apart, never tuned on: a mountain top at sunset (sky,
# and the labels it lacks: snow patches are not water, a stone table is not road) and two dogs at a wooden house
HELD_OUT_ROUND9 = ("lomiri_sunset", "lomiri_friends")


def hair_per_head(entry: dict, segments) -> dict[str, float]:
    """Hair IoU per head: truth and predicted hair split between the faces the parse found (``person N · face``
    segments; each pixel goes to the nearest face centre), one IoU per face with any hair either side."""
    from tests import labelset

    truth = labelset.masks(entry).get("hair")
    if truth is None:
        return {}
    keep = ~labelset.void(entry)  # as labelset.score: void pixels are not scored
    pred = labelset.predicted(segments).get("hair")
    heads = heads_table(truth & keep, np.zeros_like(truth) if pred is None else pred & keep, segments)
    return {f"{entry['photo']} {who}".strip(): v["iou"] for who, v in heads.items()}


def heads_table(truth: np.ndarray, pred: np.ndarray, segments) -> dict[str, dict[str, float]]:
    """IoU, precision and recall of ``pred`` against ``truth`` (bool, scored pixels only) per head: each pixel goes
    to the nearest centre of the faces the parse found (``person N · face`` segments; with one face or none, the
    whole photo under the key ""); heads with no hair either side are left out."""
    from tests import labelset

    def row(t: np.ndarray, p: np.ndarray) -> dict[str, float]:
        inter = float((t & p).sum())
        return {
            "iou": round(labelset.iou(t, p), 3),
            "precision": round(inter / max(1.0, float(p.sum())), 3),
            "recall": round(inter / max(1.0, float(t.sum())), 3),
        }

    centres = []
    for s in segments:
        if s.label.endswith("· face") and s.mask.any():
            ys, xs = np.nonzero(s.mask)
            centres.append((s.label.split(" ·")[0], xs.mean(), ys.mean()))
    if len(centres) <= 1:
        return {"": row(truth, pred)}
    h, w = truth.shape
    yy, xx = np.mgrid[0:h, 0:w]
    owner = np.argmin(np.stack([(xx - cx) ** 2 + (yy - cy) ** 2 for _, cx, cy in centres]), axis=0)
    out = {}
    for k, (who, _, _) in enumerate(centres):
        t, p = truth & (owner == k), pred & (owner == k)
        if t.any() or p.any():
            out[who] = row(t, p)
    return out


def hands_in_parts(name: str, rgb: np.ndarray, segments) -> dict[str, float]:
    """The share of the hand-drawn bare hands and forearms of tests/labels/hands/<name>.json that the parse puts
    in each of upper clothes, lower clothes and skin (issue 11 round 6: recolouring t1's "upper clothes" painted
    hands)."""
    import json

    from tests import labelset

    entry = json.loads((labelset.LABELS_DIR / "hands" / f"{name}.json").read_text())
    hands = labelset._fill(entry["skin"], rgb.shape[:2])
    pred = labelset.predicted(segments)
    return {
        lb: round(float((pred[lb] & hands).sum() / hands.sum()), 3) if lb in pred else 0.0
        for lb in ("upper clothes", "lower clothes", "skin")
    }


def evaluate(backend: str, names: list[str]) -> dict:
    """IoU per label and photo for ``backend`` ("rules" or "nets")."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import labelset, photos

    os.environ["FACET_PARSE_NETS"] = "off" if backend == "rules" else "on"
    os.environ["FACET_ADE_TILES"] = "off" if backend == "nets-single-scale" else "on"
    manager = ModelManager(online=False)
    per_photo: dict[str, dict[str, float]] = {}
    heads: dict[str, float] = {}
    seconds: dict[str, float] = {}
    hands: dict[str, dict[str, float]] = {}
    for name in names:
        entry = labelset.load(name)
        rgb = photos.load(entry["photo"])
        report = parse_report(Photo(rgb), manager)
        per_photo[name] = {
            k: round(v, 3) for k, v in labelset.score(entry, labelset.predicted(report.segments)).items()
        }
        seconds[name] = round(report.seconds, 3)
        if name in PORTRAITS:
            heads.update(hair_per_head(entry, report.segments))
        if (labelset.LABELS_DIR / "hands" / f"{name}.json").exists():
            hands[name] = hands_in_parts(name, rgb, report.segments)
    labels: dict[str, list[float]] = {}
    # round 15's hold-out is scored apart only: the headline keeps round 14's photos (all, when only it was asked for)
    headline = [n for n in per_photo if n not in HELD_OUT_ROUND15] or list(per_photo)
    for name in headline:
        for label, v in per_photo[name].items():
            labels.setdefault(label, []).append(v)
    per_label = {lb: round(statistics.mean(v), 3) for lb, v in sorted(labels.items())}
    hair = [per_photo[n]["hair"] for n in PORTRAITS if n in per_photo and "hair" in per_photo[n]]

    def subset(group: tuple[str, ...]) -> dict[str, float]:
        got: dict[str, list[float]] = {}
        for name in group:
            for label, v in per_photo.get(name, {}).items():
                got.setdefault(label, []).append(v)
        return {lb: round(statistics.mean(v), 3) for lb, v in sorted(got.items())}

    first = tuple(
        n
        for n in names
        if n
        not in ADDED
        + HELD_OUT_ROUND3
        + HELD_OUT_ROUND5
        + HELD_OUT_ROUND9
        + HELD_OUT_ROUND11
        + DEV_ROUND11
        + HELD_OUT_ROUND15
    )
    rest = subset(
        tuple(n for n in names if n not in HELD_OUT_ROUND9 + HELD_OUT_ROUND11 + DEV_ROUND11 + HELD_OUT_ROUND15)
    )
    round10_set = subset(tuple(n for n in names if n not in HELD_OUT_ROUND11 + DEV_ROUND11 + HELD_OUT_ROUND15))
    round15 = subset(HELD_OUT_ROUND15)
    return {
        "per_label": per_label,
        "per_label_first_15": subset(first),
        "per_label_added_round2": subset(ADDED),
        "per_label_held_out": subset(HELD_OUT),
        "per_label_held_out_round3": subset(HELD_OUT_ROUND3),
        "per_label_without_round3": subset(
            tuple(n for n in names if n not in HELD_OUT_ROUND3 + HELD_OUT_ROUND5 + HELD_OUT_ROUND15)
        ),
        "per_label_held_out_round5": subset(HELD_OUT_ROUND5),
        "per_label_without_round5": subset(tuple(n for n in names if n not in HELD_OUT_ROUND5 + HELD_OUT_ROUND15)),
        "per_label_held_out_round9": subset(HELD_OUT_ROUND9),
        "per_label_without_round9": subset(tuple(n for n in names if n not in HELD_OUT_ROUND9 + HELD_OUT_ROUND15)),
        "mean_over_labels_without_round9": round(statistics.mean(rest.values()), 3) if rest else None,
        "per_label_held_out_round11": subset(HELD_OUT_ROUND11),
        "per_label_without_round11": round10_set,
        "per_label_dev_round11": subset(DEV_ROUND11),
        "mean_over_labels_without_round11": round(statistics.mean(round10_set.values()), 3) if round10_set else None,
        # round 15's hold-out (tests/labelset.py HELD_OUT_ROUND15), labelled before any parse of it: apart from every
        # other figure here (per_label and mean_over_labels leave it out; false_offers below include it)
        "per_label_held_out_round15": round15,
        "mean_over_labels_held_out_round15": round(statistics.mean(round15.values()), 3) if round15 else None,
        "per_photo_held_out_round15": {n: per_photo[n] for n in HELD_OUT_ROUND15 if n in per_photo},
        "false_offers": {
            n: sorted(lb for lb, v in per_photo[n].items() if v == 0.0 and lb not in labelset.load(n)["labels"])
            for n in names
            if n in per_photo
            and any(v == 0.0 and lb not in labelset.load(n)["labels"] for lb, v in per_photo[n].items())
        },
        "photos_per_label": {lb: len(v) for lb, v in sorted(labels.items())},
        "mean_over_labels": round(statistics.mean(per_label.values()), 3),
        "portrait_hair": round(statistics.mean(hair), 3) if hair else None,
        "portrait_hair_heads": heads,
        "portrait_hair_heads_mean": round(statistics.mean(heads.values()), 3) if heads else None,
        "portrait_hair_heads_median": round(statistics.median(heads.values()), 3) if heads else None,
        "per_photo": per_photo,
        "hands_share": hands,
        "parse_seconds_native_size": seconds,
    }


SCENE = ("sky", "building", "tree", "grass", "road", "water", "mountain", "car")


def scene_rows(before: dict, after: dict) -> dict:
    """The scene labels per photo before / after (two ``evaluate`` answers, e.g. single- and multi-scale), with the
    mean per label over all photos and over each hold-out set apart (issue 11 round 6)."""
    rows: dict = {"per_photo": {}, "per_label": {}}
    for name, scores in after["per_photo"].items():
        got = {lb: [before["per_photo"].get(name, {}).get(lb), v] for lb, v in scores.items() if lb in SCENE}
        if got:
            rows["per_photo"][name] = got
    for key in ("per_label", "per_label_held_out_round3", "per_label_held_out_round5"):
        rows["per_label"][key] = {lb: [before[key].get(lb), v] for lb, v in after[key].items() if lb in SCENE}
    rows["mean_over_labels"] = [before["mean_over_labels"], after["mean_over_labels"]]
    return rows


def hair_sets(backend: str = "nets") -> dict:
    """Hair IoU on the portrait sets of tests/portraits.py: ``original`` (the four portraits above), ``new`` (the
    cameraman, basketball1 and three t1 head crops, labelled for hair only) and ``recoloured`` (the labelled hair
    of the non-Grace portraits repainted grey and white), each per photo, as a mean, and per head (``per_head``:
    IoU, precision and recall, :func:`heads_table`); and the seconds spent
    per head in ``segmenters.hair.silhouette_hair`` (the second hair source; timed around each call)."""
    import segmenters.hair as hair_module
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.parsing import parse_report
    from tests import labelset, portraits

    os.environ["FACET_PARSE_NETS"] = "on" if backend == "nets" else "off"
    manager = ModelManager(online=False)
    calls: list[float] = []
    inner = hair_module.silhouette_hair

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            calls.append(time.perf_counter() - t0)

    hair_module.silhouette_hair = timed
    out: dict = {}
    try:
        for group, names in portraits.all_names().items():
            per, heads = {}, {}
            for name in names:
                rgb, truth, keep = portraits.load(name)
                segments = parse_report(Photo(rgb), manager).segments
                per[name] = round(portraits.hair_iou(name, segments), 3)
                pred = labelset.predicted(segments).get("hair")
                pred = np.zeros_like(truth) if pred is None else pred
                for who, row in heads_table(truth & keep, pred & keep, segments).items():
                    heads[f"{name} {who}".strip()] = row
            out[group] = {"per_photo": per, "mean": round(statistics.mean(per.values()), 3), "per_head": heads}
    finally:
        hair_module.silhouette_hair = inner
    if calls:
        out["silhouette_seconds_per_head"] = {
            "heads": len(calls),
            "median": round(statistics.median(calls), 4),
            "max": round(max(calls), 4),
        }
    return out


def time_1mp(names: list[str], repeats: int) -> dict:
    """Seconds of ``parse_report`` for each photo resized to 1 MP (nets on), and each parser's own time."""
    from core.models import ModelManager
    from core.types import Photo
    from segmenters.nets import clear_labels_cache
    from segmenters.parsing import parse_report
    from tests import labelset, photos

    os.environ["FACET_PARSE_NETS"] = "on"
    manager = ModelManager(online=False)
    out: dict[str, dict] = {}
    for name in names:
        rgb = photos.load(labelset.load(name)["photo"])
        h, w = rgb.shape[:2]
        k = (1e6 / (h * w)) ** 0.5
        big = cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA)
        photo = Photo(np.ascontiguousarray(big))
        parse_report(photo, manager)  # warm-up (loads the models)
        totals: list[float] = []
        cpu: list[float] = []
        per: dict[str, list[float]] = {}
        other = OtherLoad().start()
        for _ in range(repeats):
            clear_labels_cache()  # each timed parse is a new upload's: no net answer kept from the last one
            c0 = time.process_time()
            r = parse_report(photo, manager)
            cpu.append(time.process_time() - c0)
            totals.append(r.seconds)
            for p, s in r.per_parser.items():
                per.setdefault(p, []).append(s)
            # the rest: assembling the segments (edge refinement at the photo's size, per-person parts)
            per.setdefault("assemble", []).append(r.seconds - sum(r.per_parser.values()))
        out[name] = {
            "size": [big.shape[1], big.shape[0]],
            "median_s": round(statistics.median(totals), 3),
            "cpu_median_s": round(statistics.median(cpu), 3),
            "per_parser_median_s": {p: round(statistics.median(v), 3) for p, v in per.items()},
            "other_load_cores": other.stop(),
            "load_average": load_average(),
        }
        log(
            f"{name:14s} 1 MP parse {out[name]['median_s']:.2f}s wall, {out[name]['cpu_median_s']:.2f}s CPU "
            f"{out[name]['per_parser_median_s']}"
        )
    # the headline figures keep round 14's photos; round 15's hold-out is timed apart (median_over_held_out_round15_s)
    head = [v for n, v in out.items() if n not in HELD_OUT_ROUND15] or list(out.values())
    meds = [v["median_s"] for v in head]
    cpus = [v["cpu_median_s"] for v in head]
    held = [v["median_s"] for n, v in out.items() if n in HELD_OUT_ROUND15]
    before = [
        v["median_s"] for n, v in out.items() if n not in HELD_OUT_ROUND11 + DEV_ROUND11 + HELD_OUT_ROUND15
    ]  # the 34 photos timed until round 10
    return {
        "photos": out,
        "median_over_photos_s": round(statistics.median(meds), 3),
        "median_over_round10_photos_s": round(statistics.median(before), 3) if before else None,
        "median_over_held_out_round15_s": round(statistics.median(held), 3) if held else None,
        "max_s": round(max(meds), 3),
        "cpu_median_over_photos_s": round(statistics.median(cpus), 3),
        "cpu_max_s": round(max(cpus), 3),
        "over_goal": sorted(n for n, v in out.items() if v["median_s"] > GOAL_1MP_S),
        "note": "wall seconds depend on what else runs (other_load_cores); the process's CPU seconds (all its "
        "threads) bound the wall time on a quiet machine from above",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-time", action="store_true", help="skip the 1 MP timing")
    ap.add_argument(
        "--time-only", action="store_true", help="only the 1 MP timing (no IoU), to bench/results/parse_time.json"
    )
    ap.add_argument(
        "--hair-only",
        action="store_true",
        help="only the portrait hair sets (tests/portraits.py, nets backend) -> bench/results/parse_hair.json",
    )
    ap.add_argument("--photos", nargs="*", help="only these labelled photos")
    ap.add_argument(
        "--backends",
        nargs="+",
        choices=BACKENDS + EXTRA_BACKENDS,
        default=list(BACKENDS),
        help="which backends to score (nets-single-scale: the ADE net without its multi-scale tiles)",
    )
    ap.add_argument(
        "--single-scale-time",
        action="store_true",
        help="also time the 1 MP parse with the ADE net's tiles off (timing_1mp_single_scale)",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="default bench/results/parse_quality.json (parse_time.json)")
    ap.add_argument(
        "--allow-missing-nets",
        action="store_true",
        help="measure even when a packaged net is missing (named in the JSON)",
    )
    args = ap.parse_args(argv)
    missing = require_nets(args.allow_missing_nets)
    from tests import labelset

    names = [n for n in labelset.names() if not args.photos or n in args.photos]
    out = args.out or ROOT / "bench" / "results" / ("parse_time.json" if args.time_only else "parse_quality.json")
    if args.hair_only:
        out = args.out or ROOT / "bench" / "results" / "parse_hair.json"
        result = {
            "machine": machine_info([2]),
            "missing_nets": missing,
            "target": TARGETS["portrait_hair"],
            "nets": hair_sets("nets"),
        }
        result["load_average_at_end"] = load_average()
        write_result(result, out)
        for group in ("original", "new", "recoloured"):
            log(f"hair {group}: mean {result['nets'][group]['mean']}  {result['nets'][group]['per_photo']}")
            for head, row in result["nets"][group]["per_head"].items():
                log(f"  {head:22s} IoU {row['iou']:.3f}  precision {row['precision']:.3f}  recall {row['recall']:.3f}")
        log(f"wrote {out}")
        return 0
    if args.time_only:
        result = {"machine": machine_info([2]), "missing_nets": missing, "labelled_photos": names, "goal_s": GOAL_1MP_S}
        result["timing_1mp"] = time_1mp(names, args.repeats)
        if args.single_scale_time:
            os.environ["FACET_ADE_TILES"] = "off"
            result["timing_1mp_single_scale"] = time_1mp(names, args.repeats)
            os.environ["FACET_ADE_TILES"] = "on"
        result["load_average_at_end"] = load_average()
        write_result(result, out)
        log(f"wrote {out}")
        return 0
    result = {
        "machine": machine_info([2]),
        "missing_nets": missing,
        "labelled_photos": names,
        "targets": TARGETS,
        "scoring": "IoU per label, mean over the photos that have it (a label offered where the "
        "photo has none counts 0 there); mean_over_labels = mean of those",
    }
    for backend in args.backends:
        t0 = time.perf_counter()
        result[backend] = evaluate(backend, names)
        log(
            f"{backend}: mean IoU {result[backend]['mean_over_labels']:.3f} over {len(result[backend]['per_label'])} "
            f"labels ({time.perf_counter() - t0:.0f}s)  {result[backend]['per_label']}"
        )
        log(
            f"{backend}: portrait hair {result[backend]['portrait_hair']}, per head "
            f"{result[backend]['portrait_hair_heads']}"
        )
        log(f"{backend}: hands (share in upper clothes / lower clothes / skin) {result[backend]['hands_share']}")
        if result[backend]["per_label_held_out_round15"]:
            log(
                f"{backend}: round-15 hold-out mean {result[backend]['mean_over_labels_held_out_round15']} "
                f"{result[backend]['per_label_held_out_round15']}"
            )
    os.environ["FACET_ADE_TILES"] = "on"  # what follows times and scores the nets as they ship
    if "nets" in result:
        result["nets"]["portrait_hair_sets"] = hair_sets("nets")
        log(
            f"nets: portrait hair sets { {g: v['mean'] for g, v in result['nets']['portrait_hair_sets'].items() if 'mean' in v} }"
        )
    if "nets" in result and "nets-single-scale" in result:
        result["scene_single_vs_multi_scale"] = scene_rows(result["nets-single-scale"], result["nets"])
    if not args.no_time:
        result["timing_1mp"] = time_1mp(names, args.repeats)
        if args.single_scale_time:
            os.environ["FACET_ADE_TILES"] = "off"
            result["timing_1mp_single_scale"] = time_1mp(names, args.repeats)
            os.environ["FACET_ADE_TILES"] = "on"
    result["load_average_at_end"] = load_average()
    write_result(result, out)
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
