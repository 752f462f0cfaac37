"""Layers and export: the edits as layers (untick to hide), undo / redo, a full-size download. API names
``undo_edit``, ``redo_edit``, ``set_visible_layers``, ``export``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
from PIL import Image

from app.errors import guarded
from app.view import PageView, session, show_result
from app.words import edit_status, plain_status, saved_words
from core.errors import BadInput
from studio.services import Services
from studio.session import EditorSession


@dataclass
class LayersPanel:
    layers: gr.CheckboxGroup
    undo: gr.Button
    redo: gr.Button
    fmt: gr.Radio
    export: gr.Button
    result: gr.File
    mask: gr.DownloadButton


# one click downloads the result: once the export has written it, the page follows the file's link
SAVE_FILE = """(file) => {
    if (file && file.url) {
        const a = document.createElement('a');
        a.href = file.url;
        a.download = file.orig_name || '';
        document.body.appendChild(a);
        a.click();
        a.remove();
    }
}"""


def render_download() -> tuple[gr.Radio, gr.Button, gr.File, gr.DownloadButton]:
    """The Download tool (a tab): the result's download first (its main action, in view on a 1366x768 screen),
    then the selected part's mask."""
    with gr.Column(elem_id="facet-download-panel"):
        fmt = gr.Radio(["PNG", "JPEG"], value="PNG", label="Format", elem_id="facet-format")
        export = gr.Button("Download the result (full size)", variant="primary", elem_id="facet-export")
        # shown once the result is written: its link is the download the button starts, kept for a browser that
        # holds back a download started by a script
        result = gr.File(
            label="Result (full size)", elem_id="facet-result", interactive=False, height=80, visible=False
        )
        mask = gr.DownloadButton(
            "Download the selected part's mask (PNG)", elem_id="facet-download", interactive=False, size="sm"
        )
    return fmt, export, result, mask


def render_edits() -> tuple[gr.CheckboxGroup, gr.Button, gr.Button]:
    """The edits as layers with undo / redo, under the tools whichever is open (every tool's edits land there)."""
    with gr.Column(elem_id="facet-layers-panel"):
        layers = gr.CheckboxGroup([], label="Edits (untick to hide)", elem_id="facet-layers")
        with gr.Row():
            undo = gr.Button("Undo edit", size="sm", elem_id="facet-undo-edit", min_width=60)
            redo = gr.Button("Redo edit", size="sm", elem_id="facet-redo-edit", min_width=60)
    return layers, undo, redo


def listen(p: LayersPanel, view: PageView, services: Services) -> None:
    @view.event()
    def on_layers(s: EditorSession, visible_ids: Any) -> None:
        s.set_visible_layers({int(i) for i in visible_ids or []})

    @guarded
    def on_export(state: Any, fmt: str) -> str:
        s = session(state)
        if s.photo is None:
            raise BadInput("upload a photo first")
        path = s.export(fmt or "PNG", settings=services.settings)
        with Image.open(path) as image:  # what was written: its name, format, size (read back from the file)
            s.status = saved_words(path.name, image.format or fmt, image.size, path.stat().st_size)
        return str(path)

    # the page names the edit undone / redone as the edits list does ('marble texture on road'; app/words.py)
    @view.event()
    def undo(s: EditorSession) -> None:
        layer = s.undo_edit()
        s.status = edit_status(layer.id, layer.editor, layer.segment, layer.params, "undone")

    @view.event()
    def redo(s: EditorSession) -> None:
        layer = s.redo_edit()
        s.status = edit_status(layer.id, layer.editor, layer.segment, layer.params, "redone")

    state, everything = view.state, view.outputs()
    show_result(p.undo.click(undo, [state], everything, api_name="undo_edit"))
    show_result(p.redo.click(redo, [state], everything, api_name="redo_edit"))
    p.layers.input(on_layers, [state, p.layers], everything, api_name="set_visible_layers")
    # the API's /export answers the file's path; the page then shows its link, starts its download and says what
    # was saved in the status line. First, at once: the button off and the status line saying what is being written
    # (round 23's drive: a 12 MP PNG took 8 s with "Applied ... The Download tab saves it." still on the line)
    private = {"api_visibility": "private", "queue": False}
    exported = p.export.click(saving, [state, p.fmt], [p.export, view.status], show_progress="hidden", **private).then(
        on_export, [state, p.fmt], [p.result], api_name="export"
    )
    exported.then(saved, [state], [p.export, view.status], show_progress="hidden", **private)
    exported.success(lambda: gr.update(visible=True), None, [p.result], **private).success(
        None, [p.result], None, js=SAVE_FILE, **private
    )


def saving(state: Any, fmt: str | None) -> tuple[Any, Any]:
    """The download's first step, at once: the button off, and the status line saying what is being written
    (unchanged without a photo: the export's own message says why)."""
    photo = state.photo if isinstance(state, EditorSession) else None
    if photo is None:
        return gr.update(interactive=False), gr.update()
    return gr.update(interactive=False), f"Saving the full-size result ({fmt or 'PNG'}, {photo.width}x{photo.height}) …"


def saved(state: Any) -> tuple[Any, Any]:
    """After the export, written or refused: the button on again, the status line the session's (what was saved, or
    what it said before when the export failed: the error toast says why)."""
    status = plain_status(state.status) if isinstance(state, EditorSession) else gr.update()
    return gr.update(interactive=True), status
