"""The Gradio UI: layout, event wiring, UI values -> core calls, errors -> gr.Error. No model code here.

Per-user state is an `EditorSession` in `gr.State`; `services` (models, settings) is shared read-only.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import gradio as gr

from core.errors import FacetError
from core.photo import ACCEPTED, load_photo
from core.services import Services
from core.session import BOX, EXCLUDE, INCLUDE, EditorSession

log = logging.getLogger(__name__)

MODES = {"Include (+)": INCLUDE, "Exclude (−)": EXCLUDE, "Box (click 2 corners)": BOX}

CSS = """
#facet-banner {border-left: 4px solid #d97706; background: #fff7ed; padding: 6px 12px; color: #4a2c05}
#facet-status {font-family: ui-monospace, monospace; font-size: 0.9em}
#facet-licence {font-size: 0.85em; color: #666}
"""


def _session(state: EditorSession | None) -> EditorSession:
    return state if isinstance(state, EditorSession) else EditorSession()


def _close(state: Any) -> None:
    if isinstance(state, EditorSession):
        state.close()


def _guard(fn):
    """API-only handlers: user-facing errors become gr.Error (clients see the message), anything else a
    short gr.Error (logged); the server keeps serving."""

    @functools.wraps(fn)  # keeps the signature: Gradio injects gr.SelectData by annotation
    def wrapped(*args):
        try:
            return fn(*args)
        except FacetError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except gr.Error:
            raise
        except Exception as exc:
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error(f"Something went wrong ({exc.__class__.__name__}).", print_exception=False) from None

    return wrapped


def _ui(state_index: int = 0):
    """UI handlers: a user-facing error becomes a warning toast and the status line, and the page keeps
    showing the session as it was (no error badges over every component)."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapped(*args):
            try:
                return fn(*args)
            except Exception as exc:
                if isinstance(exc, FacetError):
                    message = str(exc)
                else:
                    log.exception("handler %s failed", fn.__name__)
                    message = f"Something went wrong ({exc.__class__.__name__}); your photo and segments are kept."
                gr.Warning(message)
                s = _session(args[state_index] if len(args) > state_index else None)
                s.status = f"⚠ {message}"
                return _view(s)

        return wrapped

    return deco


def _choices(s: EditorSession) -> list[tuple[str, int]]:
    return [(f"#{seg.id} {seg.label}" + ("" if seg.mask.any() else " (empty)"), seg.id) for seg in s.segments]


def _view(s: EditorSession):
    """Everything the page shows for a session: state, canvas, status, segment list, name box, download."""
    seg = s.segment()
    has_mask = seg is not None and bool(seg.mask.any())
    return (
        s,
        s.overlay(),
        s.status,
        gr.update(choices=_choices(s), value=s.active),
        gr.update(value=seg.label if seg else ""),
        gr.update(value=str(s.mask_file()) if has_mask else None, interactive=has_mask),
    )


def build_ui(services: Services) -> gr.Blocks:
    with gr.Blocks(title="Facet — restyle any part of a photo", delete_cache=(1800, 3600)) as demo:
        state = gr.State(None, time_to_live=services.settings.session_ttl_s, delete_callback=_close)
        gr.Markdown("# Facet\nUpload a photo, click the part you want, and keep it as a named segment.")
        banner = services.banner()
        gr.Markdown(banner, visible=bool(banner), elem_id="facet-banner")
        with gr.Row():
            with gr.Column(scale=3):
                canvas = gr.Image(label="Photo: click to select", interactive=False, type="numpy",
                                  elem_id="facet-canvas", buttons=["fullscreen"], format="png")
                status = gr.Markdown("Upload a photo to start.", elem_id="facet-status")
            with gr.Column(scale=1, min_width=280):
                upload = gr.File(label=f"Upload a photo ({ACCEPTED})", file_count="single",
                                 file_types=["image"], elem_id="facet-upload")
                mode = gr.Radio(list(MODES), value="Include (+)", label="Click adds", elem_id="facet-mode")
                with gr.Row():
                    undo_btn = gr.Button("Undo click", size="sm", elem_id="facet-undo")
                    clear_btn = gr.Button("Clear", size="sm", elem_id="facet-clear")
                segments = gr.Radio([], label="Segments (clicks go to the selected one)", type="value",
                                    elem_id="facet-segments")
                name = gr.Textbox(label="Segment name", max_lines=1, elem_id="facet-name")
                with gr.Row():
                    new_btn = gr.Button("New segment", size="sm", elem_id="facet-new")
                    rename_btn = gr.Button("Rename", size="sm", elem_id="facet-rename")
                    delete_btn = gr.Button("Delete", size="sm", variant="stop", elem_id="facet-delete")
                download = gr.DownloadButton("Download mask (PNG)", elem_id="facet-download", interactive=False)
                with gr.Accordion("Models", open=False):
                    models_json = gr.JSON(value=lambda: services.models_status(), label="Model roles")
        gr.Markdown("Models and licences: see the Models panel; every model's licence is recorded in "
                    "`core/manifest.toml`.", elem_id="facet-licence")

        view_outputs = [state, canvas, status, segments, name, download]

        @_ui(state_index=1)
        def on_upload(file, s):
            s = _session(s)
            if file is None:
                return _view(s)
            path = file if isinstance(file, str) else getattr(file, "name", None)
            photo = load_photo(path, services.settings, name=_display_name(path))
            s.load(photo, services)
            return _view(s)

        @_ui()
        def on_click(s, mode_label, evt: gr.SelectData):
            s = _session(s)
            if s.photo is None:
                raise FacetError("upload a photo first")
            px, py = evt.index[0], evt.index[1]
            x = min(s.photo.width - 1, px / s.scale)
            y = min(s.photo.height - 1, py / s.scale)
            s.click(x, y, MODES.get(mode_label, INCLUDE), services)
            return _view(s)

        @_ui()
        def on_undo(s):
            s = _session(s)
            s.undo()
            return _view(s)

        @_ui()
        def on_clear(s):
            s = _session(s)
            s.clear()
            return _view(s)

        @_ui()
        def on_new(s, label):
            s = _session(s)
            seg = s.new_segment(None)
            s.status = f"New segment '{seg.label}': click on the part to select."
            return _view(s)

        @_ui()
        def on_select(s, seg_id):
            s = _session(s)
            if seg_id is not None and s.photo is not None and seg_id != s.active:
                seg = s.select(int(seg_id))
                s.status = f"Selected '{seg.label}'; clicks now refine it."
            return _view(s)

        @_ui()
        def on_rename(s, label):
            s = _session(s)
            if s.active is None:
                raise FacetError("select a segment to rename")
            s.rename(s.active, label or "")
            s.status = f"Renamed to '{label.strip()}'."
            return _view(s)

        @_ui()
        def on_delete(s):
            s = _session(s)
            if s.active is None:
                raise FacetError("select a segment to delete")
            s.delete(s.active)
            s.status = "Segment deleted."
            return _view(s)

        upload.upload(on_upload, [upload, state], view_outputs, api_name="upload",
                      concurrency_id="models")
        canvas.select(on_click, [state, mode], view_outputs, api_name=False, concurrency_id="models")
        undo_btn.click(on_undo, [state], view_outputs, api_name="undo", concurrency_id="models")
        clear_btn.click(on_clear, [state], view_outputs, api_name="clear")
        new_btn.click(on_new, [state, name], view_outputs, api_name="new_segment")
        segments.input(on_select, [state, segments], view_outputs, api_name="select_segment")
        rename_btn.click(on_rename, [state, name], view_outputs, api_name="rename_segment")
        name.submit(on_rename, [state, name], view_outputs, api_name=False)
        delete_btn.click(on_delete, [state], view_outputs, api_name="delete_segment")

        with gr.Row(visible=False):  # API-only endpoints (no session needed)
            api_photo = gr.File(label="photo")
            api_points = gr.Textbox(label="points")
            api_box = gr.Textbox(label="box")
            api_mask = gr.File(label="mask")
            api_summary = gr.JSON(label="summary")
            api_models = gr.JSON(label="models")
            api_segment_btn = gr.Button("segment")
            api_models_btn = gr.Button("models")

        @_guard
        def segment_api(file, points: str, box: str):
            """Stateless: a photo, points '[[x, y, 1|0], ...]' (photo pixels), optional box '[x0, y0, x1, y1]'
            -> (mask PNG, summary)."""
            if file is None:
                raise FacetError("upload a photo first")
            s = EditorSession()
            photo = load_photo(file, services.settings, name=_display_name(file))
            s.load(photo, services)
            try:
                pts = json.loads(points or "[]")
                bx = json.loads(box) if box else None
            except json.JSONDecodeError as exc:
                raise FacetError(f"points and box must be JSON ({exc.msg})") from None
            if not isinstance(pts, list) or not all(isinstance(p, list) and len(p) in (2, 3) for p in pts):
                raise FacetError("points must be a JSON list of [x, y] or [x, y, 1|0]")
            result = None
            if bx is not None:
                if not (isinstance(bx, list) and len(bx) == 4):
                    raise FacetError("box must be a JSON list [x0, y0, x1, y1]")
                s.click(float(bx[0]), float(bx[1]), BOX, services)
                result = s.click(float(bx[2]) - 1, float(bx[3]) - 1, BOX, services)
            for p in pts:
                result = s.click(float(p[0]), float(p[1]), INCLUDE if (len(p) < 3 or p[2]) else EXCLUDE, services)
            if result is None:
                raise FacetError("give at least one point or a box")
            path = _api_file(s.mask_file())
            s.close()
            summary = {"backend": result.backend, "seconds": round(result.seconds, 4),
                       "score": result.score, "area": int(result.mask.sum()),
                       "width": photo.width, "height": photo.height}
            return str(path), summary

        api_segment_btn.click(segment_api, [api_photo, api_points, api_box], [api_mask, api_summary],
                              api_name="segment", concurrency_id="models")
        api_models_btn.click(lambda: services.models_status(), None, [api_models], api_name="models")
    return demo


_API_DIR: list[str] = []


def _api_file(src) -> str:
    """Move an API result into a process-wide temp folder (Gradio copies it to its cache on return);
    files older than ten minutes there are removed on each call."""
    import shutil
    import tempfile
    import time
    from pathlib import Path

    if not _API_DIR:
        _API_DIR.append(tempfile.mkdtemp(prefix="facet-api-"))
    folder = Path(_API_DIR[0])
    for old in folder.iterdir():
        if time.time() - old.stat().st_mtime > 600:
            old.unlink(missing_ok=True)
    dst = Path(tempfile.mkstemp(dir=folder, suffix=".png")[1])
    shutil.copyfile(src, dst)
    return str(dst)


def _display_name(path: str | None) -> str:
    """The user's file name without Gradio's temp folders (never show server paths)."""
    if not path:
        return "photo"
    base = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return base[:120] or "photo"


def launch(demo: gr.Blocks, services: Services, **kwargs):
    settings = services.settings
    demo.queue(default_concurrency_limit=2, max_size=64)
    return demo.launch(server_name=settings.host, server_port=settings.port, css=CSS,
                       max_file_size=settings.max_upload_bytes, footer_links=["api"], **kwargs)
