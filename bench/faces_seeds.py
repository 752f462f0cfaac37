"""How much of each face's dlib margin is luck: "Anonymize everyone" (offline swap, checked) run again with other
random draws, and which faces still reach the margin.

    OMP_NUM_THREADS=1 python bench/faces_seeds.py [--photos group,grace_hopper] [--seeds 0,1,2] [--fill-seeds 0,100]
        [--out bench/results/faces_seeds.json]

Two things in a swap are drawn at random: the grain copied from the photo (the editor's ``seed``) and PatchMatch's
search where glasses frames are painted out (editors.anonymize.without_frames, seeded with the face's number; here
that number plus each ``--fill-seeds`` offset). Per photo, face and pair of seeds: what the editor did, the distance
it measured, its best try (which one and its distance), every try's distance and the face's CPU seconds (this
thread's: the tries' cost, less inflated by other work on the host than the wall clock). A face whose outcome
changes with the seeds sits on the margin by chance: a change to the editor (a faster fill, another order of tries)
moves such a face across the line either way, so judge a change on the share of runs a face passes and the mean of
its best tries, not on one run. ``centre_colour``: whether a swap whose head outline moved kept the person's own
skin colour put back (editors.anonymize._in_own_colour: only when it still clears the margin). Only CPU seconds are recorded here (bench/faces_bench.py times faces).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
from common import ROOT, face_photo  # after the thread count; it puts the project on sys.path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", default="group,grace_hopper,t1,astronaut,tom_hanks")
    ap.add_argument("--seeds", default="0,1,2", help="the editor's seeds (the grain drawn from the photo)")
    ap.add_argument("--fill-seeds", default="0", help="offsets added to the glasses-frame fill's seed")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "faces_seeds.json"))
    args = ap.parse_args()

    from editors import anonymize

    plain = anonymize.without_frames
    offset = {"fill": 0}

    def without_frames(pixels, face, seed=0):  # the editor's frame fill, its PatchMatch seed moved by the offset
        return plain(pixels, face, seed + offset["fill"])

    anonymize.without_frames = without_frames
    runs: dict[str, dict] = {}
    for name in args.photos.split(","):
        img = face_photo(name)
        for fill in (int(s) for s in args.fill_seeds.split(",")):
            offset["fill"] = fill
            for seed in (int(s) for s in args.seeds.split(",")):
                ed = anonymize.AnonymizeEditor()
                ed.apply(img, None, {"method": "swap"}, seed=seed)
                for r in ed.last_report:
                    if r["size_px"] < 50:
                        continue
                    face = runs.setdefault(f"{name}#{r['face']}", {"size_px": r["size_px"], "runs": []})
                    tries = [t for t in r.get("tries") or [] if t is not None]
                    face["runs"].append(
                        {
                            "seed": seed,
                            "fill_seed": fill,
                            "swapped": (r.get("done") or "").startswith("swap"),
                            "distance": r.get("distance"),
                            "best_try": max(tries) if tries else None,
                            "tries": r.get("tries"),  # every try's distance, in order (None: expression moved)
                            "tried": r.get("tried"),  # ... and which try each was
                            "kept": r["tried"][r["tries"].index(max(tries))] if tries else None,  # the best try
                            "n_tries": len(r.get("tries") or []),
                            "cpu_seconds": r.get("cpu_seconds"),  # this thread's CPU: less inflated on a busy host
                            "centre_colour": r.get("centre_colour"),  # a moved head's colour put back: kept?
                        }
                    )
    for key, face in runs.items():
        done = face["runs"]
        face["swapped"] = f"{sum(r['swapped'] for r in done)} of {len(done)}"
        best = [r["best_try"] for r in done if r["best_try"] is not None]
        face["best_try_range"] = [min(best), max(best)] if best else None
        face["best_try_mean"] = round(sum(best) / len(best), 3) if best else None  # judge the margin by this too
        cpu = [r["cpu_seconds"] for r in done if r["cpu_seconds"] is not None]
        face["cpu_seconds_range"] = [min(cpu), max(cpu)] if cpu else None
        face["tries_range"] = [min(r["n_tries"] for r in done), max(r["n_tries"] for r in done)]
        coloured = [r["centre_colour"] for r in done if r.get("centre_colour")]
        face["centre_colour_kept"] = (
            f"{sum(c['kept'] for c in coloured)} of {len(coloured)}"  # of the runs that tried it
        )
        print(
            f"{key:16s} {face['size_px']:4d}px swapped past the margin in {face['swapped']:8s} "
            f"best try {face['best_try_range']} mean {face['best_try_mean']} tries {face['tries_range']} "
            f"cpu s {face['cpu_seconds_range']}",
            flush=True,
        )
    Path(args.out).write_text(
        json.dumps({"seeds": args.seeds, "fill_seeds": args.fill_seeds, "faces": runs}, indent=1) + "\n"
    )
    print("->", args.out)


if __name__ == "__main__":
    main()
