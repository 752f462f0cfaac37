"""The "Check a photo" tab: did Facet edit this photo, and how? (reads studio/provenance.py's marks).

``render()`` lays the tab out inside the page's ``gr.Tabs``; ``listen()`` wires it (API name ``check_photo``:
a photo file -> verdict Markdown, overlay image, report JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from core.errors import BadInput
from core.masks import downscale
from core.photo import ACCEPTED
from studio.services import Services


@dataclass
class CheckTab:
    upload: Any
    verdict: Any
    overlay: Any
    report: Any


def render() -> CheckTab:
    with gr.Tab("Check a photo", id="check"):
        gr.Markdown(
            "Upload a photo to see whether Facet edited it. Read in this order: its C2PA Content "
            "Credentials (the signed standard record), Facet's own metadata, then the invisible watermark "
            "Facet puts into the pixels of exports with generated content (it survives re-saving, JPEG and "
            "resizing, not cropping). Faces that were swapped or anonymized are shown with a face mesh."
        )
        upload = gr.File(
            label=f"A photo to check ({ACCEPTED})",
            file_count="single",
            file_types=["image"],
            elem_id="facet-check-upload",
            height=124,  # the empty box's icon and three lines whole (app/ui.py CSS; 100 px cut "Click to Upload")
        )
        verdict = gr.Markdown("", elem_id="facet-check-verdict")
        overlay = gr.Image(
            label="Swapped or anonymized faces (face mesh)",
            interactive=False,
            type="numpy",
            format="jpeg",
            elem_id="facet-check-overlay",
        )
        report = gr.JSON(label="Report (metadata and watermark)", elem_id="facet-check-report")
    return CheckTab(upload, verdict, overlay, report)


def verdict_markdown(summary: dict[str, Any]) -> str:
    bits = f"{round(summary['bit_agreement'] * 48)}/48 watermark bits agree"
    c2pa = summary.get("content_credentials")
    creds = "none" if not c2pa else f"{c2pa['state'].lower()}" + ("" if c2pa["trusted"] else " (untrusted signer)")
    # the file's name first: the upload box is empty again once the photo is read (round 23), so the verdict says which
    checked = f"{summary['file']}: " if summary.get("file") else ""
    return (
        f"**{checked}{summary['verdict']}**\n\nContent Credentials: {creds} · "
        f"metadata: {'found' if summary['has_metadata'] else 'none'} · "
        f"watermark: {'found' if summary['watermark_found'] else 'not found'} ({bits}) · "
        f"faces outlined: {summary['faces_marked']}"
    )


def listen(tab: CheckTab, services: Services, guard: Callable, display_name: Callable[[Any], str]) -> None:
    from studio.provenance import check

    @guard
    def check_photo(file):
        """A photo -> (verdict, the photo with a face mesh over swapped / anonymized faces, report JSON)."""
        if file is None:
            raise BadInput("upload a photo to check")
        path = file if isinstance(file, str) else getattr(file, "name", None)
        found = check(path, services.settings, name=display_name(path), manager=services.manager)
        summary = found.summary()
        return verdict_markdown(summary), downscale(found.overlay, services.settings.preview_max_side)[0], summary

    # then the box is empty again (its drop zone back), so the next photo is dropped or clicked in straight away: with
    # the file still shown a second photo needed the × first (round 23's drive; the main upload box: round 22)
    tab.upload.upload(
        check_photo,
        [tab.upload],
        [tab.verdict, tab.overlay, tab.report],
        api_name="check_photo",
        concurrency_id="models",
    ).then(lambda: None, None, [tab.upload], queue=False, api_visibility="private", show_progress="hidden")
