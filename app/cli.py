"""Command line: `python -m app.cli segment ...` and `python -m app.cli models`.

Exit codes: 0 ok, 2 bad arguments, 3 bad input file or prompt, 4 a needed model is unavailable.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from core.errors import BadInput, FacetError, ModelUnavailable


def _point(text: str) -> tuple[float, float, bool]:
    """'X,Y', 'X,Y:+' or 'X,Y:-' in photo pixels."""
    coords, _, sign = text.partition(":")
    if sign not in ("", "+", "-"):
        raise argparse.ArgumentTypeError(f"point {text!r}: the suffix must be ':+' or ':-'")
    try:
        x, y = (float(v) for v in coords.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"point {text!r} must look like X,Y or X,Y:+ or X,Y:-") from None
    return x, y, sign != "-"


def _box(text: str) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"box {text!r} must look like X0,Y0,X1,Y1") from None
    return x0, y0, x1, y1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.cli", description="Facet from the command line.")
    sub = p.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segment", help="write the mask that clicks and/or a box select")
    seg.add_argument("photo", type=Path)
    seg.add_argument("--point", type=_point, action="append", default=[], metavar="X,Y[:+|:-]",
                     help="a click in photo pixels; ':-' excludes (repeatable)")
    seg.add_argument("--box", type=_box, metavar="X0,Y0,X1,Y1", help="a box in photo pixels")
    seg.add_argument("--out", type=Path, required=True, help="output mask PNG (0/255, the photo's size)")
    sub.add_parser("models", help="print every model role and its state as JSON")
    return p


def cmd_segment(args: argparse.Namespace) -> dict:
    from core.photo import load_photo, mask_to_png
    from core.services import build_services
    from core.types import ClickPrompt, Point

    if not args.point and args.box is None:
        raise BadInput("give at least one --point or a --box")
    if args.out.suffix.lower() != ".png":
        raise BadInput(f"--out {args.out}: the mask is written as PNG; use a .png name")
    services = build_services()
    photo = load_photo(args.photo, services.settings)
    prompt = ClickPrompt(points=tuple(Point(x, y, pos) for x, y, pos in args.point), box=args.box)
    if not any(p.positive for p in prompt.points) and prompt.box is None:
        raise BadInput("start with an include point (X,Y or X,Y:+) or a --box")
    prompt.validate(photo.width, photo.height)
    click = services.click
    try:
        prepared = click.prepare(photo)
    except ModelUnavailable as exc:
        click = services.fall_back(exc.role, exc)
        prepared = click.prepare(photo)
    result = click.segment(photo, prepared, prompt, None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(mask_to_png(result.mask))
    return {"out": str(args.out), "backend": result.backend, "seconds": round(result.seconds, 4),
            "prepare_seconds": round(getattr(prepared, "seconds", 0.0) or 0.0, 4), "score": result.score,
            "width": photo.width, "height": photo.height, "area": int(result.mask.sum()),
            "degraded": services.degraded}


def cmd_models(_args: argparse.Namespace) -> list:
    from core.services import build_services

    return build_services().models_status()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        out = {"segment": cmd_segment, "models": cmd_models}[args.command](args)
    except ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    except FacetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
