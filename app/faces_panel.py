"""Faces: find and number them, swap them to a gallery or uploaded face, anonymize everyone. API names
``find_faces``, ``swap_faces``, ``anonymize``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

from app.errors import guarded
from app.uploads import read_upload
from app.view import PageView, session
from core.errors import BadInput
from editors.faceswap import gallery_names
from studio.presets import ANON_LEVELS
from studio.services import Services
from studio.session import EditorSession


@dataclass
class FacesPanel:
    find: gr.Button
    which: gr.Textbox
    gallery: gr.Dropdown
    target_file: gr.File
    by_gender: gr.Checkbox
    swap: gr.Button
    method: gr.Radio
    level: gr.Radio
    anonymize: gr.Button


def render() -> FacesPanel:
    with gr.Accordion("Faces: swap or anonymize", open=False):
        find = gr.Button("Find and number the faces", size="sm", elem_id="facet-find-faces")
        which = gr.Textbox(
            "all", label="Which faces ('all' or numbers like 0,2)", max_lines=1, elem_id="facet-faces-which"
        )
        with gr.Row():
            gallery = gr.Dropdown(
                gallery_names(), value="synthetic_average", label="Swap to (gallery)", elem_id="facet-target-gallery"
            )
            target_file = gr.File(
                label="…or upload a target face", file_types=["image"], height=80, elem_id="facet-target-file"
            )
        by_gender = gr.Checkbox(False, label="Only faces of the target's gender (full models)")
        swap = gr.Button("Swap faces", size="sm", elem_id="facet-swap")
        method = gr.Radio(
            ["swap", "blur", "pixelate", "solid"],
            value="swap",
            label="Anonymize by (swap = a synthetic identity with the same expression)",
            elem_id="facet-anon-method",
        )
        level = gr.Radio(list(ANON_LEVELS), value="Faces only", label="Anonymize", elem_id="facet-anon-level")
        anonymize = gr.Button("Anonymize everyone", variant="primary", size="sm", elem_id="facet-anonymize")
        gr.Markdown(
            "The full face-swap model (`inswapper_128`, used when downloaded) is licensed for "
            "**non-commercial research only**; the offline swap warps a face mesh.",
            elem_id="facet-inswapper-licence",
        )
    return FacesPanel(find, which, gallery, target_file, by_gender, swap, method, level, anonymize)


def anonymize_note(report: list[dict]) -> str:
    """' Faces #0, #2 swapped to synthetic identities (checked by a face recogniser); #3 blurred (...).'"""
    if not report:
        return ""
    swapped = [f"#{r['face']}" for r in report if r["done"].startswith("swap")]
    blurred = [f"#{r['face']} {r['done']}" for r in report if not r["done"].startswith("swap")]
    note = ""
    if swapped:
        checked = all(r["verified"] for r in report if r["done"].startswith("swap"))
        note += f" Faces {', '.join(swapped)} swapped to synthetic identities" + (
            " (each checked by a face recogniser)." if checked else " (unchecked: dlib is not installed)."
        )
    if blurred:
        note += f" Hidden instead: {', '.join(blurred)}."
    return note


def listen(p: FacesPanel, view: PageView, faces_image: gr.Image, services: Services) -> None:
    def warn(message: str, state: Any) -> tuple[None, str]:
        s = session(state)
        s.status = f"⚠ {message}"
        return None, s.status

    @guarded(warn=warn)
    def on_find(state: Any) -> tuple[Any, str]:
        s = session(state)
        if s.photo is None:
            raise BadInput("upload a photo first")
        t0 = time.perf_counter()
        faces = s.faces(services)
        preview = s.faces_preview(services)
        s.status = f"{len(faces)} face{'s' if len(faces) != 1 else ''} found in {time.perf_counter() - t0:.2f}s" + (
            ": " + ", ".join(f"#{f.index}" for f in faces) if faces else "."
        )
        return preview, s.status

    @view.event()
    def on_swap(s: EditorSession, which: str, gallery_name: str, target_upload: Any, gender: bool) -> None:
        if s.photo is None:
            raise BadInput("upload a photo first")
        if target_upload is not None:  # this session's upload, read into an array: editors never see paths
            target: Any = read_upload(target_upload, s, "target face", services.settings)
        elif gallery_name in gallery_names():
            target = gallery_name
        else:
            raise BadInput("choose a target face from the gallery or upload one")
        params = {"target": target, "faces": (which or "all").strip(), "by_gender": bool(gender)}
        everything = np.ones((s.photo.height, s.photo.width), bool)
        s.apply_edit("faceswap", params, 0, services, mask=everything, label=f"faces {params['faces']}")

    @view.event()
    def on_anonymize(s: EditorSession, method: str, level: str, which: str) -> None:
        if s.photo is None:
            raise BadInput("upload a photo first")
        everything = np.ones((s.photo.height, s.photo.width), bool)
        s.apply_edit(
            "anonymize",
            {"method": method or "swap", "faces": (which or "all").strip()},
            0,
            services,
            mask=everything,
            label="all faces",
        )
        checked = anonymize_note(s.last_report)
        done = ["faces"]
        for part, editor, params in ANON_LEVELS.get(level, ()):
            if s.apply_to_part(part, editor, params, 0, services, charge=False) is not None:  # one action
                done.append(part)
        s.status = f"Anonymized: {', '.join(done)} ({len(s.layers.layers)} layers; undo edit to step back)." + checked

    models = {"concurrency_id": "models"}
    state, everything = view.state, view.outputs()
    p.find.click(on_find, [state], [faces_image, view.status], api_name="find_faces", **models)
    p.swap.click(
        on_swap, [state, p.which, p.gallery, p.target_file, p.by_gender], everything, api_name="swap_faces", **models
    )
    p.anonymize.click(on_anonymize, [state, p.method, p.level, p.which], everything, api_name="anonymize", **models)
