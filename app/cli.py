"""Command line: `python -m app.cli segment | parse | edit | batch | check | models` (see `--help` of each).

Exit codes: 0 ok, 2 bad arguments, 3 bad input file or prompt, 4 a needed model is unavailable;
batch: 1 some photos failed, 3 none could be edited (or DIR is missing).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.face_numbers import editor_params, user_report, user_words
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
    seg.add_argument(
        "--point",
        type=_point,
        action="append",
        default=[],
        metavar="X,Y[:+|:-]",
        help="a click in photo pixels; ':-' excludes (repeatable)",
    )
    seg.add_argument("--box", type=_box, metavar="X0,Y0,X1,Y1", help="a box in photo pixels")
    seg.add_argument(
        "--text",
        metavar="PHRASE",
        help="select by words, e.g. 'sky', 'the jacket', \"the second person's hair\" (--point then "
        "refines it: ':+' adds, ':-' cuts)",
    )
    seg.add_argument(
        "--backend",
        choices=("auto", "labels", "clipseg", "sam3"),
        default="auto",
        help="for --text: labelled parts, then a model for other words (auto); or only one of them",
    )
    seg.add_argument("--out", type=Path, required=True, help="output mask PNG (0/255, the photo's size)")
    sub.add_parser("models", help="print every model role and its state as JSON")

    parse = sub.add_parser("parse", help="find the labelled parts of a photo (clothes, hair, face, sky, ...)")
    parse.add_argument("photo", type=Path)
    parse.add_argument(
        "--out-dir",
        type=Path,
        required=True,
        help="writes segments.json and one 0/255 PNG mask per segment (full size)",
    )

    edit = sub.add_parser("edit", help="restyle one part of a photo and write the full-size result")
    edit.add_argument("photo", type=Path)
    which = edit.add_mutually_exclusive_group(required=True)
    which.add_argument("--mask", type=Path, help="a mask PNG of the photo's size (white = the part)")
    which.add_argument("--segment", help="a labelled part, e.g. 'upper clothes', 'sky', 'hair', 'background'")
    edit.add_argument(
        "--editor", required=True, help="texture, recolour, style, cartoon, sky, inpaint, remove, faceswap or anonymize"
    )
    edit.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an editor parameter (repeatable), e.g. texture=leopard, target=#c0262d; image "
        "parameters (texture, style_image, target, mapping) also take image files here; faces=1,3 and mapping "
        "keys number faces from 1, left to right",
    )
    edit.add_argument("--prompt", help="what the part should become (--editor inpaint)")
    edit.add_argument("--seed", type=int, default=0)
    edit.add_argument("--out", type=Path, required=True, help="output .png or .jpg")

    batch = sub.add_parser("batch", help="restyle the same part of every photo in a folder (like edit)")
    batch.set_defaults(batch_parser=batch)
    batch.add_argument("dir", type=Path, help="folder of photos (hidden files skipped)")
    batch.add_argument("--segment", required=True, help="a labelled part, e.g. 'sky', 'upper clothes', 'hair'")
    batch.add_argument("--editor", required=True, help="as for edit")
    batch.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="as for edit (repeatable)")
    batch.add_argument("--prompt", help="as for edit")
    batch.add_argument("--seed", type=int, default=0)
    batch.add_argument(
        "--out-dir",
        type=Path,
        required=True,
        help="writes <stem>.<format> per photo and summary.json (inputs are never overwritten)",
    )
    batch.add_argument("--format", choices=("jpg", "png"), default="jpg")
    batch.add_argument("--quality", type=int, default=92, help="JPEG quality (default 92)")
    batch.add_argument("--recursive", action="store_true", help="also photos in sub-folders (kept in OUT)")
    batch.add_argument(
        "--continue-on-error",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="go on after a photo fails (default); --no-continue-on-error stops at the first",
    )
    batch.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    chk = sub.add_parser("check", help="did Facet edit this photo? (its metadata and invisible watermark)")
    chk.add_argument("photo", type=Path)
    chk.add_argument(
        "--overlay",
        type=Path,
        help="also write the photo with a face mesh over the faces Facet swapped or anonymized (.png or .jpg)",
    )
    return p


def _session(photo_path: Path, parse: bool, prepare: bool) -> tuple[Any, Any, Any]:
    """Services, a fresh editing session (studio/session.py, what the browser uses too) and the photo loaded
    into it: ``parse`` finds the labelled parts, ``prepare`` computes the click embedding now."""
    from core.photo import load_photo
    from studio.services import build_services
    from studio.session import EditorSession

    services = build_services()
    photo = load_photo(photo_path, services.settings)
    session = EditorSession()
    session.load(photo, services, parse=parse, prepare=prepare)
    return services, session, photo


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def cmd_segment(args: argparse.Namespace) -> dict:
    """The mask that --point clicks and/or a --box select, or a phrase (--text) refined by clicks."""
    from core.photo import mask_to_png
    from core.types import ClickPrompt, Point
    from studio.session import EXCLUDE, INCLUDE

    if args.text is None and not args.point and args.box is None:
        raise BadInput("give at least one --point or a --box")
    if args.text is not None and args.box is not None:
        raise BadInput("--text and --box do not go together; refine a phrase's mask with --point")
    if args.out.suffix.lower() != ".png":
        raise BadInput(f"--out {args.out}: the mask is written as PNG; use a .png name")
    text = args.text is not None
    services, session, photo = _session(args.photo, parse=text and args.backend in ("auto", "labels"), prepare=True)
    try:
        size = {"width": photo.width, "height": photo.height, "degraded": services.degraded}
        if not text:
            prompt = ClickPrompt(points=tuple(Point(x, y, pos) for x, y, pos in args.point), box=args.box)
            result = session.select_prompt(prompt, services)
            _write(args.out, mask_to_png(result.mask))
            return {
                "out": str(args.out),
                "backend": result.backend,
                "seconds": round(result.seconds, 4),
                "prepare_seconds": round(session.prepare_seconds, 4),
                "score": result.score,
                "area": int(result.mask.sum()),
                **size,
            }
        seg = session.select_text(args.text, services, args.backend)
        understood = session.status
        for x, y, positive in args.point:
            session.click(x, y, INCLUDE if positive else EXCLUDE, services)
        if not seg.mask.any():
            raise BadInput("the clicks left an empty mask")
        _write(args.out, mask_to_png(seg.mask))
        return {
            "out": str(args.out),
            "text": args.text,
            "selected": understood.split("; clicks")[0],
            "label": seg.label,
            "source": seg.source,
            "clicks": len(args.point),
            "area": int(seg.mask.sum()),
            **size,
        }
    finally:
        session.close()


def cmd_parse(args: argparse.Namespace) -> dict:
    from core.models import ModelManager
    from core.photo import load_photo, mask_to_png
    from core.settings import Settings
    from segmenters.parsing import parse_report, segment_rows

    settings = Settings.from_env()
    photo = load_photo(args.photo, settings)
    report = parse_report(photo, ModelManager(settings))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for row, mask in segment_rows(report):
        (args.out_dir / row["file"]).write_bytes(mask_to_png(mask))
        rows.append(row)
    (args.out_dir / "segments.json").write_text(json.dumps(rows, indent=2))
    return {
        "out_dir": str(args.out_dir),
        "segments": len(rows),
        "seconds": round(report.seconds, 3),
        "backends": report.sources,
        "errors": report.errors,
    }


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


def _local_image(value: str, names: tuple, what: str) -> Any:
    """A built-in name as is; else a file on this machine (the user's own, named on the command line) read
    into an RGB array here: editors never read paths."""
    from editors.base import load_local_image

    if value in names:
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise BadInput(
            f"{what}: {value!r} is neither a built-in name ({', '.join(names) or 'none'}) nor an image "
            f"file on this machine"
        )
    return load_local_image(path, what)


def _local_images(params: dict, schema: dict) -> dict:
    """Image parameters (``ImageRef``) and faceswap's ``mapping`` given as local files -> RGB arrays."""
    from editors.base import image_params

    out = dict(params)
    for key in image_params(schema):
        if isinstance(out.get(key), str) and out[key].strip():
            out[key] = _local_image(out[key].strip(), tuple(schema[key].choices or ()), key)
    if isinstance(out.get("mapping"), str) and out["mapping"].strip() and "target" in schema:
        names = tuple(schema["target"].choices or ())
        mapping: dict = {}
        for part in out["mapping"].replace("\n", ";").split(";"):
            face, sep, value = part.strip().partition("=")
            if not part.strip():
                continue
            if not sep or not face.strip() or not value.strip():
                raise BadInput(f"mapping entry {part.strip()!r} must look like '<face number>=<target>'")
            mapping[face.strip()] = _local_image(value.strip(), names, f"mapping target for face {face.strip()}")
        out["mapping"] = mapping
    return out


@dataclass
class EditJob:
    """What ``edit`` and ``batch`` check once and reuse for every photo: the services (models stay resident in
    their manager), the editor's name and its parameters."""

    services: Any
    name: str
    params: dict
    seed: int
    shown: dict  # the params as the user gave them (faces counted from 1), for the summary


def _edit_job(editor_name: str, pairs: list[str], prompt: str | None, seed: int) -> EditJob:
    """Check the editor and its parameters before any photo is read (BadInput names what is wrong)."""
    from editors.base import validate_params
    from studio.edits import build_editor
    from studio.services import build_services

    services = build_services()
    editor = build_editor(editor_name, services.manager)
    given = _params(pairs, editor.params_schema)
    params = _local_images(editor_params(editor_name, given), editor.params_schema)  # faces from 1 -> from 0
    if prompt is not None:
        if "prompt" not in editor.params_schema:
            raise BadInput(f"the {editor_name} editor takes no prompt (prompts are for --editor inpaint)")
        params["prompt"] = prompt
    validate_params(editor_name, editor.params_schema, params)
    shown = {**params, **({"faces": given["faces"]} if "faces" in given else {})}
    if isinstance(params.get("mapping"), dict):  # its keys as the user numbered the faces
        shown["mapping"] = {str(int(k) + 1) if str(k).isdigit() else k: v for k, v in params["mapping"].items()}
    return EditJob(services, editor_name, params, seed, shown)


def _edit_photo(
    job: EditJob, path: Path, fmt: str, quality: int = 95, mask_path: Path | None = None, segment: str | None = None
) -> dict:
    """Load ``path``, find the part (a mask file or a labelled segment), apply the job's editor as the browser
    does (studio/session.py) and encode the result with its provenance. Returns the file's bytes and what the
    summary reports."""
    from core.photo import load_mask, load_photo

    from studio.session import EditorSession

    services = job.services
    photo = load_photo(path, services.settings)
    session = EditorSession()
    try:
        session.load(photo, services, parse=mask_path is None, prepare=False)
        if mask_path is not None:
            mask, alpha, label, source = load_mask(mask_path, photo.width, photo.height), None, segment, "mask file"
        else:
            part = session.require_part(segment or "")
            mask, alpha, label, source = part.mask, part.edge_alpha, part.label, part.source
        layer = session.apply_edit(
            job.name, job.params, job.seed, services, mask=mask, label=label or "mask", charge=False, alpha=alpha
        )
        data = session.export_bytes(fmt, quality)
        return {
            "data": data,
            "photo": photo,
            "layer": layer,
            "segment_source": source,
            "report": session.last_report,
            "backend": session.last_backend,
        }
    finally:
        session.close()


def _format(suffix: str) -> str:
    return "JPEG" if suffix.lower() in (".jpg", ".jpeg") else "PNG"


def cmd_edit(args: argparse.Namespace) -> dict:
    from studio.layers import recordable_params

    if args.out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise BadInput(f"--out {args.out}: write a .png or .jpg file")
    job = _edit_job(args.editor, args.param, args.prompt, args.seed)
    done = _edit_photo(job, args.photo, _format(args.out.suffix), 95, args.mask, args.segment)
    _write(args.out, done["data"])
    photo, layer = done["photo"], done["layer"]
    return {
        "out": str(args.out),
        "editor": args.editor,
        "backend": done["backend"],
        "models": list(layer.models),
        "params": recordable_params(job.shown),
        "seed": args.seed,
        "segment": args.segment or str(args.mask),
        "segment_source": done["segment_source"],
        "seconds": round(layer.seconds, 4),
        "width": photo.width,
        "height": photo.height,
        **({"faces": user_report(done["report"])} if done["report"] else {}),
    }


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")


def _batch_inputs(folder: Path, recursive: bool, out_dir: Path) -> list[Path]:
    """Image files in ``folder`` (by extension), sorted; hidden files and folders and ``out_dir`` skipped."""
    out_dir = out_dir.resolve()
    found = []
    for path in sorted(folder.rglob("*") if recursive else folder.iterdir()):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if recursive and out_dir in path.resolve().parents:
            continue  # earlier results written inside DIR
        if path.is_file():
            found.append(path)
    return found


def _batch_outputs(inputs: list[Path], folder: Path, out_dir: Path, ext: str) -> list[Path]:
    """``OUT/<stem>.<ext>`` per input (sub-folders kept with --recursive); never an input's own path, and two
    inputs with the same stem (a.jpg, a.png) get a.<ext> and a-2.<ext>."""
    sources = {p.resolve() for p in inputs}
    taken: set[Path] = set()
    outs = []
    for path in inputs:
        base = out_dir / path.relative_to(folder).parent
        stem, n, cand = path.stem, 1, base / f"{path.stem}.{ext}"
        while cand.resolve() in sources or cand.resolve() in taken:
            n += 1
            cand = base / f"{stem}-{n}.{ext}"
        taken.add(cand.resolve())
        outs.append(cand)
    return outs


def cmd_batch(args: argparse.Namespace) -> dict:
    """Edit every image in DIR the same way; a photo that cannot be edited is reported, not fatal."""
    import time

    from tqdm import tqdm

    t0 = time.perf_counter()
    if not args.dir.is_dir():
        raise BadInput(f"{args.dir}: no such folder")
    if not 1 <= args.quality <= 100:
        args.batch_parser.error("--quality must be between 1 and 100")
    try:  # a bad editor or parameter fails every photo alike: a usage error (exit 2), checked before any work
        job = _edit_job(args.editor, args.param, args.prompt, args.seed)
    except ModelUnavailable:
        raise
    except BadInput as exc:
        args.batch_parser.error(str(exc))
    inputs = _batch_inputs(args.dir, args.recursive, args.out_dir)
    if not inputs:
        raise BadInput(f"{args.dir}: no image files ({', '.join(IMAGE_SUFFIXES)})")
    ext = "png" if args.format == "png" else "jpg"
    outs = _batch_outputs(inputs, args.dir, args.out_dir, ext)
    done: list[dict] = []
    failed: list[dict] = []
    bar = tqdm(list(zip(inputs, outs)), desc="batch", unit="photo", file=sys.stderr, disable=args.no_progress)
    for path, out in bar:
        bar.set_postfix_str(path.name, refresh=False)
        name = str(path.relative_to(args.dir))
        try:
            r = _edit_photo(job, path, _format(out.suffix), args.quality, segment=args.segment)
            _write(out, r["data"])
        except ModelUnavailable:
            raise  # the same for every photo: stop (exit 4)
        except FacetError as exc:
            failed.append({"file": name, "reason": user_words(str(exc))})
        except Exception as exc:  # an editor bug on one photo must not lose the rest of the batch
            logging.getLogger(__name__).exception("batch: %s failed", name)
            failed.append({"file": name, "reason": f"unexpected error ({exc.__class__.__name__}: {exc})"})
        else:
            done.append({"file": name, "out": str(out), "seconds": round(r["layer"].seconds, 4)})
        if failed and not args.continue_on_error:
            break
    bar.close()
    summary = {
        "done": len(done),
        "failed": failed,
        "seconds": round(time.perf_counter() - t0, 3),
        "not_processed": len(inputs) - len(done) - len(failed),
        "out_dir": str(args.out_dir),
        "editor": args.editor,
        "segment": args.segment,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "summary.json").write_text(json.dumps({**summary, "outputs": done}, indent=2))
    args.exit_code = 0 if len(done) == len(inputs) else (1 if done else 3)
    return summary


def cmd_check(args: argparse.Namespace) -> dict:
    """One-line JSON report; exit 0 whether or not the photo carries Facet's marks (3: not a readable photo)."""
    from core.photo import encode_image
    from studio.provenance import check
    from core.settings import Settings

    if args.overlay is not None and args.overlay.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise BadInput(f"--overlay {args.overlay}: write a .png or .jpg file")
    report = check(args.photo, Settings.from_env())
    out = report.summary()
    if args.overlay is not None:
        args.overlay.parent.mkdir(parents=True, exist_ok=True)
        fmt = "PNG" if args.overlay.suffix.lower() == ".png" else "JPEG"
        args.overlay.write_bytes(encode_image(report.overlay, fmt))
        out["overlay"] = str(args.overlay)
    return out


def cmd_models(_args: argparse.Namespace) -> list:
    from studio.services import build_services

    return build_services().models_status()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        out = {
            "segment": cmd_segment,
            "models": cmd_models,
            "parse": cmd_parse,
            "edit": cmd_edit,
            "batch": cmd_batch,
            "check": cmd_check,
        }[args.command](args)
    except ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    except FacetError as exc:
        print(f"error: {user_words(str(exc))}", file=sys.stderr)  # face numbers from 1, as the user typed them
        return 3
    except OSError as exc:  # a file that cannot be read or written (permissions, missing folder, disk full)
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}".replace("\n", " "), file=sys.stderr)
        return 3
    print(json.dumps(out))
    return getattr(args, "exit_code", 0)  # batch: 1 when some photos failed, 3 when all did


if __name__ == "__main__":
    sys.exit(main())
