"""API-only endpoints for scripts (gradio_client): the UI actions that have no plain-value inputs in the page
(a click on the photo, picking a variant from a gallery) and the stateless `/segment`, `/parse`, `/models`.

Session endpoints act on the caller's own `EditorSession` (the same `gr.State` the page uses, so one
`Client` is one session): `/click`, `/edit`, `/variants`, `/apply_variant`, `/apply_generated`; they return the
whole `PageView` (app/view.py). Errors reach the client as exceptions with the user-facing message
(`app.errors.guarded`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import gradio as gr

from app.edit_panel import say_what_was_applied
from app.errors import guarded
from app.face_numbers import editor_params
from app.uploads import claim, display_name
from app.view import PageView, peer, session
from core.errors import BadInput
from core.photo import load_photo, mask_to_png
from studio.services import Services
from studio.presets import VARIANTS
from studio.session import BOX, EXCLUDE, INCLUDE, PICK, EditorSession

CLICK_MODES = (INCLUDE, EXCLUDE, BOX, PICK)
MAX_API_POINTS = 50  # /segment re-segments after each point
MODELS = {"concurrency_id": "models"}  # the events that run models share one concurrency group


def session_endpoints(services: Services, page: PageView) -> None:
    """Hidden components + events acting on the caller's session; each returns the whole page view."""
    state, view_outputs, models = page.state, page.outputs(), MODELS

    def view(s: EditorSession) -> dict[Any, Any]:
        return page.render(s)

    guard = guarded
    with gr.Row(visible=False):
        x, y = gr.Number(label="x"), gr.Number(label="y")
        mode = gr.Textbox(label="mode", value=INCLUDE)
        editor = gr.Textbox(label="editor")
        params = gr.Textbox(label="params (JSON object)", value="{}")
        seed = gr.Number(label="seed", value=0, precision=0)
        name = gr.Textbox(label="variant")
        index = gr.Number(label="index (from 0; kept for old scripts)", value=None, precision=0)
        number = gr.Number(label="number (from 1, as the gallery shows it: #1, #2)", value=None, precision=0)
        listing = gr.JSON(label="variants")
        click_btn, edit_btn, variants_btn, variant_btn, generated_btn = (
            gr.Button(n) for n in ("click", "edit", "variants", "apply variant", "apply generated")
        )

    @guard
    def click_api(s, x_value, y_value, mode_value):
        """A click at (x, y) in photo pixels: mode include | exclude | box (two calls: two corners) | pick."""
        s = session(s)
        if s.photo is None:
            raise BadInput("upload a photo first")
        if mode_value not in CLICK_MODES:
            raise BadInput(f"mode must be one of {', '.join(CLICK_MODES)}, not {mode_value!r}")
        if x_value is None or y_value is None:
            raise BadInput("give x and y in photo pixels")
        s.click(float(x_value), float(y_value), mode_value, services)
        return view(s)

    @guard
    def edit_api(s, editor_name, params_json, seed_value):
        """Apply an editor (texture, recolour, style, cartoon, sky, inpaint, remove, faceswap, anonymize) with
        params given as a JSON object to the selected part; faceswap's and anonymize's ``faces`` (e.g. "1,3") and
        ``mapping`` keys count faces from 1, as the Numbered faces tab shows them."""
        s = session(s)
        try:
            p = json.loads(params_json or "{}")
        except json.JSONDecodeError as exc:
            raise BadInput(f"params must be a JSON object ({exc.msg})") from None
        if not isinstance(p, dict):
            raise BadInput('params must be a JSON object, e.g. {"texture": "leopard"}')
        name = (editor_name or "").strip()
        s.apply_edit(name, editor_params(name, p), int(seed_value or 0), services)
        s.status = say_what_was_applied(s.status, name, p)  # the look in words, as the page's Apply says it
        return view(s)

    @guard
    def variants_api(s):
        """The looks *Show variants* offers for the selected part (names for /apply_variant)."""
        s = session(s)
        if s.photo is None:
            raise BadInput("upload a photo first")
        seg = s.segment()
        if seg is None or not seg.mask.any():
            raise BadInput("select a part of the photo first")
        return [{"name": caption, "editor": ed or None, "params": p} for caption, ed, p in VARIANTS]

    @guard
    def variant_api(s, variant_name):
        """Apply one of the variants by name (e.g. 'leopard') at full size."""
        s = session(s)
        found = {caption: (ed, p) for caption, ed, p in VARIANTS}
        if variant_name not in found:
            raise BadInput(f"variant must be one of {', '.join(found)}, not {variant_name!r}")
        ed, p = found[variant_name]
        if ed:
            s.apply_edit(ed, dict(p), 0, services)
            s.status = say_what_was_applied(s.status, ed, dict(p))
        else:
            s.status = "Kept as-is."
        return view(s)

    @guard
    def generated_api(s, index_value=None, number=None):
        """Apply a generated variant of the last /generate: ``number`` counts from 1 as the gallery shows them (#1,
        #2) and the status after says ("Applied variant 2"); ``index`` (from 0) is kept for older scripts. Neither:
        the first."""
        s = session(s)
        s.apply_variant(variant_index(index_value, number))
        return view(s)

    click_btn.click(click_api, [state, x, y, mode], view_outputs, api_name="click", **models)
    edit_btn.click(edit_api, [state, editor, params, seed], view_outputs, api_name="edit", **models)
    variants_btn.click(variants_api, [state], [listing], api_name="variants")
    variant_btn.click(variant_api, [state, name], view_outputs, api_name="apply_variant", **models)
    generated_btn.click(generated_api, [state, index, number], view_outputs, api_name="apply_generated")


def variant_index(index: Any = None, number: Any = None) -> int:
    """/apply_generated's variant (0-based, as ``EditorSession.apply_variant`` takes it) from the user's ``number``
    (from 1, as the Generate gallery shows #1, #2: round 20's drive found the API took 0-based indices while the
    gallery and the status counted from 1) or an older script's ``index`` (from 0). Both given: they must agree."""
    given_number = number is not None and str(number).strip() != ""
    given_index = index is not None and str(index).strip() != ""
    if given_number:
        n = int(float(number))
        if n < 1:
            raise BadInput(
                f"there is no variant #{n}; the variants are numbered from 1, as the gallery shows them (#1, #2)"
            )
        if given_index and int(float(index)) != n - 1:
            raise BadInput(
                f"give the variant's number (from 1, as the gallery shows it) or its index (from 0), not both: "
                f"number {n} is index {n - 1}, not {int(float(index))}"
            )
        return n - 1
    if given_index:
        i = int(float(index))
        if i < 0:
            raise BadInput(f"index counts from 0 (the gallery's #1 is index 0), not {i}; or give number (from 1)")
        return i
    return 0


def parse_endpoint(services: Services) -> None:
    """Stateless `/parse`: a photo -> (segments JSON, a zip of one 0/255 PNG mask per segment), like the CLI."""
    guard, keep_file, models = guarded, api_file, MODELS
    with gr.Row(visible=False):
        photo_in = gr.File(label="photo")
        rows_out = gr.JSON(label="segments")
        zip_out = gr.File(label="masks (zip)")
        btn = gr.Button("parse")

    @guard
    def parse_api(file):
        """The labelled parts of a photo: [{id, label, source, score, bbox, area, file}] and their masks."""
        from segmenters.parsing import parse_report, segment_rows

        if file is None:
            raise BadInput("upload a photo first")
        file = str(claim(file, None, "photo"))  # an upload no live session owns; never a server path
        photo = load_photo(file, services.settings, name=display_name(file))
        report = parse_report(photo, services.manager)
        folder = Path(tempfile.mkdtemp(prefix="facet-parse-"))
        try:
            rows = []
            archive = folder / "masks.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                for row, mask in segment_rows(report):
                    z.writestr(row["file"], mask_to_png(mask))
                    rows.append(row)
            kept = keep_file(archive)  # into the app's API temp area (Gradio copies it to its cache on return)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return {
            "segments": rows,
            "width": photo.width,
            "height": photo.height,
            "seconds": round(report.seconds, 3),
            "backends": report.sources,
        }, kept

    btn.click(parse_api, [photo_in], [rows_out, zip_out], api_name="parse", **models)


def stateless_endpoints(services: Services) -> None:
    """Stateless endpoints for scripts: segment by clicks (``/segment``), list models (``/models``)."""
    with gr.Row(visible=False):
        api_photo = gr.File(label="photo")
        api_points = gr.Textbox(label="points")
        api_box = gr.Textbox(label="box")
        api_mask = gr.File(label="mask")
        api_summary = gr.JSON(label="summary")
        api_models = gr.JSON(label="models")
        api_segment_btn = gr.Button("segment")
        api_models_btn = gr.Button("models")

    @guarded
    def segment_api(file, points: str, box: str):
        """A photo, points '[[x, y, 1|0], ...]' (photo pixels), optional box '[x0, y0, x1, y1]'
        -> (mask PNG, summary)."""
        if file is None:
            raise BadInput("upload a photo first")
        pts, bx = _points_and_box(points, box)
        s = EditorSession()
        s.peer = peer()
        try:
            file = str(claim(file, None, "photo"))  # an upload no live session owns
            photo = load_photo(file, services.settings, name=display_name(file))
            s.load(photo, services, parse=False)
            result = None
            if bx is not None:
                s.click(float(bx[0]), float(bx[1]), BOX, services)
                result = s.click(float(bx[2]) - 1, float(bx[3]) - 1, BOX, services)
            for p in pts:
                result = s.click(float(p[0]), float(p[1]), INCLUDE if (len(p) < 3 or p[2]) else EXCLUDE, services)
            if result is None:
                raise BadInput("give at least one point or a box")
            path = api_file(s.mask_file())
        finally:
            s.close()
        summary = {
            "backend": result.backend,
            "seconds": round(result.seconds, 4),
            "score": result.score,
            "area": int(result.mask.sum()),
            "width": photo.width,
            "height": photo.height,
        }
        return path, summary

    api_segment_btn.click(
        segment_api, [api_photo, api_points, api_box], [api_mask, api_summary], api_name="segment", **MODELS
    )
    api_models_btn.click(lambda: services.models_status(), None, [api_models], api_name="models")


def _points_and_box(points: str, box: str) -> tuple[list, list | None]:
    """The /segment arguments parsed and checked: points [[x, y(, 1|0)], ...] and an optional box [x0, y0, x1, y1]."""
    try:
        pts = json.loads(points or "[]")
        bx = json.loads(box) if box else None
    except json.JSONDecodeError as exc:
        raise BadInput(f"points and box must be JSON ({exc.msg})") from None

    def numbers(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in v)

    if not isinstance(pts, list) or not all(numbers(p) and len(p) in (2, 3) for p in pts):
        raise BadInput("points must be a JSON list of [x, y] or [x, y, 1|0] (numbers)")
    if bx is not None and not (numbers(bx) and len(bx) == 4):
        raise BadInput("box must be a JSON list [x0, y0, x1, y1] (numbers)")
    if len(pts) > MAX_API_POINTS:
        raise BadInput(f"give at most {MAX_API_POINTS} points")
    return pts, bx


_API_DIR: list[str] = []


def api_file(src: Path, suffix: str = "") -> str:
    """Copy an API result into a process-wide temp folder (Gradio copies it to its cache on return);
    files older than ten minutes there are removed on each call."""
    if not _API_DIR:
        _API_DIR.append(tempfile.mkdtemp(prefix="facet-api-"))
    folder = Path(_API_DIR[0])
    for old in folder.iterdir():
        if time.time() - old.stat().st_mtime > 600:
            old.unlink(missing_ok=True)
    fd, dst = tempfile.mkstemp(dir=folder, suffix=suffix or Path(src).suffix or ".png")
    with open(fd, "wb") as out, open(src, "rb") as inp:
        shutil.copyfileobj(inp, out)
    return dst
