"""The photo column: the status line and the tabs (the photo you click on, before / after, labelled parts, faces,
"Check a photo"), with the galleries of variants under them.

The photo is drawn at most as tall as the window allows (CSS in app/ui.py), so the photo and the edit
controls beside it stay in view together on a 1366x768 screen; on a narrow screen the columns stack.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from app import check_panel


@dataclass
class PhotoPanel:
    status: gr.Markdown
    tabs: gr.Tabs
    canvas: gr.Image
    compare: gr.ImageSlider
    legend: gr.AnnotatedImage
    faces: gr.Image
    check: check_panel.CheckTab
    generated: gr.Gallery
    variants: gr.Gallery


def render() -> PhotoPanel:
    status = gr.Markdown("Upload a photo to start.", elem_id="facet-status")
    with gr.Tabs(elem_id="facet-tabs") as tabs:
        with gr.Tab("Photo", id="photo"):
            # the photo as shown, selection drawn over it: a JPEG file, or inline after a click (app/view.py)
            canvas = gr.Image(
                label="Photo: click to select",
                interactive=False,
                type="filepath",
                elem_id="facet-canvas",
                buttons=["fullscreen"],
            )
        with gr.Tab("Before / after", id="compare"):
            compare = gr.ImageSlider(
                label="Before / after", type="numpy", elem_id="facet-compare", interactive=False, format="jpeg"
            )
        with gr.Tab("Parts", id="parts"):
            legend = gr.AnnotatedImage(label="Labelled parts", elem_id="facet-legend", format="jpeg")
        with gr.Tab("Numbered faces", id="faces"):  # "Find and number them" (the Faces tool) shows this tab
            faces = gr.Image(
                label="Faces found (numbered left to right)",
                interactive=False,
                type="numpy",
                format="jpeg",
                elem_id="facet-faces",
                buttons=["download", "fullscreen"],  # no "share": it posts to a HuggingFace Space's discussions
            )
        check = check_panel.render()  # "Check a photo": Facet's provenance marks (studio/provenance.py)
    generated = gr.Gallery(
        label="Generated variants (click one to apply it; seeds shown)",
        columns=4,
        height="auto",
        elem_id="facet-generated",
        visible=False,
        allow_preview=False,
    )
    variants = gr.Gallery(
        label="Variants of the selected part (click one to apply it)",
        columns=5,
        height="auto",
        elem_id="facet-variants",
        visible=False,
        allow_preview=False,
    )
    return PhotoPanel(status, tabs, canvas, compare, legend, faces, check, generated, variants)
