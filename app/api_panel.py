"""API-only endpoints for scripts (gradio_client): the UI actions that have no plain-value inputs in the page
(a click on the photo, picking a variant from a gallery) and a stateless `/parse`.

Session endpoints act on the caller's own `EditorSession` (the same `gr.State` the page uses, so one
`Client` is one session): `/click`, `/edit`, `/variants`, `/apply_variant`, `/apply_generated`. Errors reach
the client as exceptions with the user-facing message (`_guard`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import gradio as gr

from app.uploads import claim
from core.errors import BadInput
from core.photo import load_photo, mask_to_png
from studio.services import Services
from studio.session import BOX, EXCLUDE, INCLUDE, PICK, VARIANTS

CLICK_MODES = (INCLUDE, EXCLUDE, BOX, PICK)


def session_endpoints(services: Services, state: gr.State, view_outputs: list, view, guard, session, models: dict
                      ) -> None:
    """Hidden components + events. ``view(s)`` renders the page outputs, ``guard`` turns errors into
    gr.Error, ``session(state)`` gets or makes the caller's session, ``models`` is the shared concurrency group."""
    with gr.Row(visible=False):
        x, y = gr.Number(label="x"), gr.Number(label="y")
        mode = gr.Textbox(label="mode", value=INCLUDE)
        editor = gr.Textbox(label="editor")
        params = gr.Textbox(label="params (JSON object)", value="{}")
        seed = gr.Number(label="seed", value=0, precision=0)
        name = gr.Textbox(label="variant")
        index = gr.Number(label="index", value=0, precision=0)
        listing = gr.JSON(label="variants")
        click_btn, edit_btn, variants_btn, variant_btn, generated_btn = (gr.Button(n) for n in (
            "click", "edit", "variants", "apply variant", "apply generated"))

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
        params given as a JSON object to the selected part."""
        s = session(s)
        try:
            p = json.loads(params_json or "{}")
        except json.JSONDecodeError as exc:
            raise BadInput(f"params must be a JSON object ({exc.msg})") from None
        if not isinstance(p, dict):
            raise BadInput("params must be a JSON object, e.g. {\"texture\": \"leopard\"}")
        s.apply_edit((editor_name or "").strip(), p, int(seed_value or 0), services)
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
        else:
            s.status = "Kept as-is."
        return view(s)

    @guard
    def generated_api(s, index_value):
        """Apply generated variant number ``index`` (0-based) of the last /generate."""
        s = session(s)
        s.apply_variant(int(index_value or 0))
        return view(s)

    click_btn.click(click_api, [state, x, y, mode], view_outputs, api_name="click", **models)
    edit_btn.click(edit_api, [state, editor, params, seed], view_outputs, api_name="edit", **models)
    variants_btn.click(variants_api, [state], [listing], api_name="variants")
    variant_btn.click(variant_api, [state, name], view_outputs, api_name="apply_variant", **models)
    generated_btn.click(generated_api, [state, index], view_outputs, api_name="apply_generated")


def parse_endpoint(services: Services, guard, display_name, keep_file, models: dict) -> None:
    """Stateless `/parse`: a photo -> (segments JSON, a zip of one 0/255 PNG mask per segment), like the CLI."""
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
        return {"segments": rows, "width": photo.width, "height": photo.height,
                "seconds": round(report.seconds, 3), "backends": report.sources}, kept

    btn.click(parse_api, [photo_in], [rows_out, zip_out], api_name="parse", **models)
