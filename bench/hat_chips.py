"""Hat chips on hatless heads (issue 11 round 16): parses every photo of the hand-made hat table (tests/hats.py)
with the packaged nets and counts the persons offered a hat chip beyond the heads that wear one.

Usage (from the repository root; about 2-4 s a photo on 2 cores)::

    .venv/bin/python bench/hat_chips.py --out /tmp/hats.json
    .venv/bin/python bench/hat_chips.py --all-hat --out /tmp/hats_before.json  # the old rule: the whole residue is hat
    .venv/bin/python bench/hat_chips.py --held-out  # also the held-out photos, reported apart
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, offline_env, require_nets

offline_env()
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    ap.add_argument("--all-hat", action="store_true", help="segmenters/clothes.py HAT_CROWN off (the old rule)")
    ap.add_argument("--held-out", action="store_true")
    args = ap.parse_args()
    require_nets(False)
    from segmenters import clothes
    from tests import hats

    if args.all_hat:
        clothes.HAT_CROWN = False
    result = {}
    for group, table in (("in_sample", hats.HATS), ("held_out", hats.HATS_HELD_OUT if args.held_out else {})):
        if not table:
            continue
        got = hats.count(list(table))
        rows = {n: {"heads": table[n][0], "hats": table[n][1], "hat_chips": got[n]} for n in table}
        result[group] = {
            "per_photo": rows,
            "hat_chips_on_hatless_heads": sum(max(0, r["hat_chips"] - r["hats"]) for r in rows.values()),
            "hats_missed": sum(max(0, r["hats"] - r["hat_chips"]) for r in rows.values()),
        }
        log(
            f"{group}: {result[group]['hat_chips_on_hatless_heads']} hat chips on hatless heads, "
            f"{result[group]['hats_missed']} hats without a chip"
        )
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
