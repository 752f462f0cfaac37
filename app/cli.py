"""Command line: `python -m app.cli segment | parse | edit | models` (see `--help` of each).

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

    parse = sub.add_parser("parse", help="find the labelled parts of a photo (clothes, hair, face, sky, ...)")
    parse.add_argument("photo", type=Path)
    parse.add_argument("--out-dir", type=Path, required=True,
                       help="writes segments.json and one 0/255 PNG mask per segment (full size)")

    edit = sub.add_parser("edit", help="restyle one part of a photo and write the full-size result")
    edit.add_argument("photo", type=Path)
    which = edit.add_mutually_exclusive_group(required=True)
    which.add_argument("--mask", type=Path, help="a mask PNG of the photo's size (white = the part)")
    which.add_argument("--segment", help="a labelled part, e.g. 'upper clothes', 'sky', 'hair', 'background'")
    edit.add_argument("--editor", required=True,
                      help="texture, recolour, style, cartoon, sky, inpaint, remove, faceswap or anonymize")
    edit.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                      help="an editor parameter (repeatable), e.g. texture=leopard, target=#c0262d")
    edit.add_argument("--prompt", help="what the part should become (--editor inpaint)")
    edit.add_argument("--seed", type=int, default=0)
    edit.add_argument("--out", type=Path, required=True, help="output .png or .jpg")
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


def cmd_parse(args: argparse.Namespace) -> dict:
    from core.models import ModelManager
    from core.photo import load_photo, mask_to_png
    from core.settings import Settings
    from segmenters.parsing import parse_report

    settings = Settings.from_env()
    photo = load_photo(args.photo, settings)
    report = parse_report(photo, ModelManager(settings))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for seg in report.segments:
        safe = "".join(c if c.isalnum() else "_" for c in seg.label).strip("_") or "segment"
        fname = f"{seg.id:02d}-{safe}.png"
        (args.out_dir / fname).write_bytes(mask_to_png(seg.mask))
        rows.append({"id": seg.id, "label": seg.label, "source": seg.source, "score": seg.score,
                     "bbox": list(seg.bbox) if seg.bbox else None, "area": seg.area, "file": fname})
    (args.out_dir / "segments.json").write_text(json.dumps(rows, indent=2))
    return {"out_dir": str(args.out_dir), "segments": len(rows), "seconds": round(report.seconds, 3),
            "backends": report.sources, "errors": report.errors}


def _params(pairs: list[str], schema: dict) -> dict:
    """KEY=VALUE strings -> params; values are converted by the editor's own validation."""
    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadInput(f"--param {pair!r} must look like KEY=VALUE")
        if key not in schema:
            raise BadInput(f"unknown parameter {key!r}; this editor takes {', '.join(sorted(schema))}")
        out[key.strip()] = value
    return out


def cmd_edit(args: argparse.Namespace) -> dict:
    import time

    from core.layers import encode_image
    from core.models import ModelManager
    from core.photo import load_mask, load_photo
    from core.settings import Settings
    from editors import EDITORS

    suffix = args.out.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise BadInput(f"--out {args.out}: write a .png or .jpg file")
    if args.editor not in EDITORS:
        raise BadInput(f"unknown editor {args.editor!r}; choose one of {', '.join(EDITORS.names())}")
    settings = Settings.from_env()
    manager = ModelManager(settings)
    editor = EDITORS.build(args.editor, manager)
    params = _params(args.param, editor.params_schema)
    if args.prompt is not None:
        if "prompt" not in editor.params_schema:
            raise BadInput(f"the {args.editor} editor takes no prompt (prompts are for --editor inpaint)")
        params["prompt"] = args.prompt
    photo = load_photo(args.photo, settings)
    source = "mask file"
    if args.mask is not None:
        mask = load_mask(args.mask, photo.width, photo.height)
    else:
        from segmenters.parsing import parse_report

        report = parse_report(photo, manager)
        wanted = args.segment.strip().lower()
        wanted = {"faces": "all faces", "people": "person 1"}.get(wanted, wanted)
        match = next((s for s in report.segments if s.label.lower() == wanted), None)
        if match is None:
            found = ", ".join(sorted({s.label for s in report.segments})) or "none"
            raise BadInput(f"no '{args.segment}' found in {photo.name}; found: {found}")
        mask, source = match.mask, match.source
    if not mask.any():
        raise BadInput("the mask is empty: nothing to edit")
    t0 = time.perf_counter()
    result = editor.apply(photo, mask, params, args.seed)
    seconds = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(encode_image(result, "JPEG" if suffix in (".jpg", ".jpeg") else "PNG", photo.icc_profile))
    return {"out": str(args.out), "editor": args.editor, "backend": getattr(editor, "backend", editor.label),
            "params": params, "seed": args.seed,
            "segment": args.segment or str(args.mask), "segment_source": source, "seconds": round(seconds, 4),
            "width": photo.width, "height": photo.height}


def cmd_models(_args: argparse.Namespace) -> list:
    from core.services import build_services

    return build_services().models_status()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        out = {"segment": cmd_segment, "models": cmd_models, "parse": cmd_parse, "edit": cmd_edit}[args.command](args)
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
