"""Steps 1 and 2: upload a photo, pick the part (a labelled part, words, or clicks on the photo), manage segments.

``render()`` lays the panel out in the current column; ``listen()`` wires it (API names ``upload``,
``use_part``, ``select_text``, ``undo``, ``clear``, ``new_segment``, ``select_segment``, ``rename_segment``,
``delete_segment``, ``grow_segment``, ``combine_segments``; every one returns the whole `PageView`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

from app.uploads import claim, display_name
from app.view import CLICK, SELECTION, PageView, show_pick
from app.words import exclude_missed, legend_label, speck_selected
from core.errors import BadInput
from core.photo import ACCEPTED, load_photo
from studio.services import Services
from studio.session import BOX, EXCLUDE, INCLUDE, PICK, EditorSession

MODES = {"Pick part": PICK, "Include (+)": INCLUDE, "Exclude (−)": EXCLUDE, "Box (click 2 corners)": BOX}
# an Exclude (−) click outside the selection that removed less than this share of it is said to have missed
MISSED = 0.02
# an include click whose selection is less than this share of the photo says how little it took, and how to take more
SPECK = 0.001
COMBINE = {"add": "add", "subtract": "subtract", "intersect": "intersect"}
READING = (
    "Reading the photo and finding its parts (sky, people, clothes, animals…): a few seconds, more for a big photo."
)


@dataclass
class SelectPanel:
    upload: gr.File
    parts: gr.Radio
    words: gr.Textbox
    words_btn: gr.Button
    mode: gr.Radio
    undo: gr.Button
    clear: gr.Button
    new: gr.Button
    segments: gr.Radio
    name: gr.Textbox
    rename: gr.Button
    delete: gr.Button
    grow_px: gr.Number
    grow: gr.Button
    other: gr.Dropdown
    op: gr.Radio
    combine: gr.Button


def render() -> SelectPanel:
    # no file_types: Gradio's own check would refuse a .txt or .pdf with a bare error pill; load_photo refuses it
    # with the reason, shown in the status line
    # 124 px: the empty box shows "Drop File Here - or - Click to Upload" whole (at 100 px the last line was cut),
    # its icon under the box's label (app/ui.py CSS). After a photo is read the box is empty again (``listen``).
    upload = gr.File(label=f"1 · Photo: {ACCEPTED}", file_count="single", elem_id="facet-upload", height=124)
    with gr.Accordion("2 · Pick the part", open=True, elem_id="facet-pick"):
        parts = gr.Radio([], label="Labelled parts (found automatically)", elem_id="facet-parts")
    # the other ways to pick, in a panel of their own: on a phone, where the columns stack, the look tools come
    # between the parts and this panel (app/ui.py CSS), so Apply follows the picked part instead of the whole panel
    with gr.Accordion("More ways to pick: words, clicks, your segments", open=True, elem_id="facet-pick-more"):
        with gr.Row():
            words = gr.Textbox(
                label="Select by words",
                max_lines=1,
                scale=4,
                elem_id="facet-words",
                placeholder="sky · the jacket · the second person's hair",
            )
            words_btn = gr.Button("Select", size="sm", scale=1, min_width=60, elem_id="facet-words-btn")
        mode = gr.Radio(list(MODES), value="Pick part", label="Clicking the photo", elem_id="facet-mode")
        with gr.Row():
            undo = gr.Button("Undo click", size="sm", min_width=60, elem_id="facet-undo")
            clear = gr.Button("Clear clicks", size="sm", min_width=60, elem_id="facet-clear")
            new = gr.Button("New segment", size="sm", min_width=60, elem_id="facet-new")
        segments = gr.Radio(
            [], label="Your segments (clicks and edits go to the selected one)", elem_id="facet-segments"
        )
        with gr.Row():
            name = gr.Textbox(label="Name", max_lines=1, elem_id="facet-name", scale=3)
            rename = gr.Button("Rename", size="sm", elem_id="facet-rename", scale=1, min_width=60)
            delete = gr.Button("Delete", size="sm", variant="stop", elem_id="facet-delete", scale=1, min_width=60)
        with gr.Accordion("Refine: grow / shrink, combine", open=False):
            with gr.Row():
                grow_px = gr.Number(8, precision=0, label="Pixels (negative shrinks)", minimum=-500, maximum=500)
                grow = gr.Button("Grow / shrink", size="sm", elem_id="facet-grow")
            with gr.Row():
                other = gr.Dropdown([], label="With segment", elem_id="facet-other")
                op = gr.Radio(list(COMBINE), value="add", label="Operation")
            combine = gr.Button("Combine into a new segment", size="sm", elem_id="facet-combine")
    return SelectPanel(
        upload,
        parts,
        words,
        words_btn,
        mode,
        undo,
        clear,
        new,
        segments,
        name,
        rename,
        delete,
        grow_px,
        grow,
        other,
        op,
        combine,
    )


def click_and_say_a_miss(s: EditorSession, x: float, y: float, mode: str, services: Services) -> None:
    """An include, exclude or box click. An Exclude (−) click outside the selection that removed almost nothing says
    so: the outline is redrawn, and changes little (round 22's drive: the same "24.2% of the photo selected" came back
    as if the click had been ignored); so does an include click that selected next to nothing (``SPECK``)."""
    seg = s.segment()
    # a click replaces the selection's mask, never changes it in place (its history, which Undo click restores, holds
    # the old array): the old one read as it is, not copied (a 24 MP photo's mask is 24 MB)
    before = seg.mask if seg is not None and mode == EXCLUDE and seg.mask.any() else None
    s.click(x, y, mode, services)
    after = s.segment()
    if before is not None and after is not None and not before[int(y), int(x)]:
        removed = np.count_nonzero(before & ~after.mask) / np.count_nonzero(before)
        if removed < MISSED:
            s.status = exclude_missed(after.label, float(after.mask.mean()))
    # round 23's drive: a click on a dahlia's heart selected 27 px and said "0.0% of the photo selected ... Next: pick
    # the look and Apply", a dot no one sees under the click's marker
    if mode == INCLUDE and after is not None and (n := np.count_nonzero(after.mask)) < SPECK * after.mask.size:
        s.status = speck_selected(after.label, n, n / after.mask.size)


def on_upload_legend(s: Any) -> Any:
    if not isinstance(s, EditorSession) or s.preview is None:
        return None
    # each part with the models that found it (the chips say only what the part is: app/words.py)
    return s.preview, [(m, legend_label(p.label, p.source)) for (m, _), p in zip(s.parts_legend(), s.parts)]


def empty_upload_box() -> None:
    """The upload box's value once the photo is read (its name is in the status line): none, so the box shows its
    drop zone again. Gradio's File shows a loaded file without one, and another photo needed the × first (round 22);
    now it is dropped or clicked in straight away, its upload event starting over."""
    return None


def listen(p: SelectPanel, view: PageView, services: Services, legend: gr.AnnotatedImage) -> None:
    state, everything = view.state, view.outputs()
    models = {"concurrency_id": "models"}

    @view.event()
    def on_upload(s: EditorSession, file: Any) -> None:
        if file is None:
            return
        s.count("upload", services)  # flood limit, before anything is decoded
        path = str(claim(file, s, "photo"))  # an upload of this session's, never a server path
        s.load(load_photo(path, services.settings, name=display_name(path)), services)

    @view.event(CLICK, inline=True, exclusive=True)
    def on_click(s: EditorSession, mode_label: str, evt: gr.SelectData) -> None:
        if s.photo is None:
            raise BadInput("upload a photo first")
        x = min(s.photo.width - 1, evt.index[0] / s.scale)
        y = min(s.photo.height - 1, evt.index[1] / s.scale)
        mode = MODES.get(mode_label, INCLUDE)
        if mode == PICK:
            try:
                s.click(x, y, PICK, services)
            except BadInput:
                # nothing labelled here: select by clicking instead (nothing at all where it is transparent)
                if not s.in_picture(x, y):
                    raise
                s.new_segment()
                click_and_say_a_miss(s, x, y, INCLUDE, services)
        else:
            click_and_say_a_miss(s, x, y, mode, services)

    @view.event(SELECTION)
    def on_selection(s: EditorSession) -> None:
        """After a click: the segment list, name, mask download and combine choices (the mask is painted first)."""

    @view.event()
    def on_part(s: EditorSession, part_id: Any) -> None:
        if part_id is not None and s.photo is not None:
            s.use_part(int(part_id))

    @view.event()
    def on_words(s: EditorSession, phrase: str) -> None:
        if s.photo is None:
            raise BadInput("upload a photo first")
        s.select_text(phrase or "", services)

    @view.event()
    def on_new(s: EditorSession) -> None:
        seg = s.new_segment(None)
        s.status = f"New segment '{seg.label}': click on the part to select."

    @view.event()
    def on_select(s: EditorSession, seg_id: Any) -> None:
        if seg_id is not None and s.photo is not None and seg_id != s.active:
            seg = s.select(int(seg_id))
            s.status = f"Selected '{seg.label}'; clicks now refine it."

    @view.event()
    def on_rename(s: EditorSession, label: str) -> None:
        if s.active is None:
            raise BadInput("select a segment to rename")
        s.rename(s.active, label or "")
        s.status = f"Renamed to '{(label or '').strip()}'."

    @view.event()
    def on_delete(s: EditorSession) -> None:
        if s.active is None:
            raise BadInput("select a segment to delete")
        s.delete(s.active)
        s.status = "Segment deleted."

    @view.event()
    def on_combine(s: EditorSession, other_id: Any, operation: str) -> None:
        if other_id is None:
            raise BadInput("choose the segment to combine with")
        s.combine_with(int(other_id), COMBINE.get(operation, "add"))

    @view.event()
    def undo(s: EditorSession) -> None:
        s.undo()

    @view.event()
    def clear(s: EditorSession) -> None:
        s.clear()

    @view.event()
    def grow(s: EditorSession, px: Any) -> None:
        s.grow(int(px or 0))

    # first, at once (by the page: no request): what happens while the photo is parsed (~10 s for 24 MP here), not
    # "Upload a photo to start." (round 17); the upload's status replaces it. Chained: two listeners of one upload
    # answered in either order. The spinner sits on the photo and parts only (round 18: on the status line it dimmed
    # the note and covered its end with "processing | 0.7s")
    reading = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    p.upload.upload(None, None, [view.status], js=f"() => {json.dumps(READING)}", **reading).then(
        on_upload, [state, p.upload], everything, api_name="upload", show_progress_on=[view.canvas, p.parts], **models
    ).then(on_upload_legend, [state], [legend], api_visibility="private").then(
        empty_upload_box, None, [p.upload], **reading
    )
    # a click paints its mask first (canvas + status only, no spinner, the JPEG inline in the reply: postprocess=False
    # with the values as sent, app/view.py INLINE); the rest follows. queue=False: one direct POST instead of joining
    # the queue and reading its event stream (the session's own ui_lock keeps its clicks one at a time; the
    # per-minute click limits still count every click)
    direct = {"api_visibility": "private", "show_progress": "hidden", "queue": False, "postprocess": False}
    view.canvas.select(on_click, [state, p.mode], view.outputs(CLICK), **direct).then(
        on_selection, [state], view.outputs(SELECTION), api_visibility="private", queue=False, show_progress="hidden"
    )
    show_pick(p.parts.input(on_part, [state, p.parts], everything, api_name="use_part"))
    show_pick(p.words_btn.click(on_words, [state, p.words], everything, api_name="select_text", **models))
    show_pick(p.words.submit(on_words, [state, p.words], everything, api_visibility="private", **models))
    show_pick(p.undo.click(undo, [state], everything, api_name="undo", **models))
    show_pick(p.clear.click(clear, [state], everything, api_name="clear"))
    p.new.click(on_new, [state], everything, api_name="new_segment")  # show_pick: a pick on a phone shows the photo
    show_pick(p.segments.input(on_select, [state, p.segments], everything, api_name="select_segment"))
    p.rename.click(on_rename, [state, p.name], everything, api_name="rename_segment")
    p.name.submit(on_rename, [state, p.name], everything, api_visibility="private")
    p.delete.click(on_delete, [state], everything, api_name="delete_segment")
    show_pick(p.grow.click(grow, [state, p.grow_px], everything, api_name="grow_segment"))
    show_pick(p.combine.click(on_combine, [state, p.other, p.op], everything, api_name="combine_segments"))
