"""The photo column: the status line and the tabs (the photo you click on, before / after, labelled parts, faces,
"Check a photo"), with the galleries of variants under them.

The photo is drawn at most as tall as the window allows (CSS in app/ui.py), so the photo and the edit
controls beside it stay in view together on a 1366x768 screen; on a narrow screen the columns stack.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

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
            quick_layers(legend)
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


LAYER_PNG_LEVEL = 1  # zlib level of the legend's part layers (Gradio writes them at PIL's default, 6)


def quick_layers(legend: gr.AnnotatedImage) -> None:
    """The legend's part layers written in a fraction of Gradio's time, as the same pixels.

    Gradio's ``AnnotatedImage.postprocess`` builds each part's layer (RGBA at the preview's size: the part's colour
    with alpha 255 inside the mask, 0 outside) in float64 and writes it as an RGBA PNG at zlib level 6: about 50 ms
    a part, 2 s for the 43 parts of a group photo, on every upload (round 18, a 24 MP photo). Here each layer is a
    two-colour palette PNG (index 0: black, alpha 0; index 1: the colour, alpha 255, as the PNG's tRNS chunk) at
    zlib level ``LAYER_PNG_LEVEL``: 6 ms a part, less than half the bytes, and the browser decodes it to the same
    RGBA pixels. The base image and anything else (boxes, soft masks) still go through Gradio's own code."""
    from gradio import processing_utils
    from gradio.components.annotated_image import AnnotatedImageData, Annotation
    from gradio.data_classes import FileData
    from PIL import Image

    gradio_postprocess = legend.postprocess

    def postprocess(value: Any) -> Any:
        if value is None or not all(isinstance(m, np.ndarray) and m.dtype == bool and m.ndim == 2 for m, _ in value[1]):
            return gradio_postprocess(value)
        base = gradio_postprocess((value[0], []))
        colours = legend.color_map or {}
        sections = []
        for mask, label in value[1]:
            rgb = _hex_rgb(colours[label]) if label in colours else (255, 0, 0)
            index = np.ascontiguousarray(mask).view(np.uint8)  # 0 outside, 1 inside
            layer = Image.frombuffer("P", (index.shape[1], index.shape[0]), index.tobytes(), "raw", "P", 0, 1)
            layer.putpalette([0, 0, 0, *rgb])
            png = io.BytesIO()
            layer.save(png, format="PNG", transparency=bytes([0, 255]), compress_level=LAYER_PNG_LEVEL)
            path = processing_utils.save_bytes_to_cache(png.getvalue(), "image.png", legend.GRADIO_CACHE)
            sections.append(Annotation(image=FileData(path=path), label=label))
        return AnnotatedImageData(image=base.image, annotations=sections)

    legend.postprocess = postprocess  # type: ignore[method-assign]


def _hex_rgb(value: str) -> tuple[int, int, int]:
    """'#rrggbb' (or '#rgb' as Gradio reads it: one hex digit a channel) -> (r, g, b)."""
    v = value.lstrip("#")
    n = len(v) // 3
    r, g, b = (int(v[i : i + n], 16) for i in range(0, 3 * n, n))
    return r, g, b
