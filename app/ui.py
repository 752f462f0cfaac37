"""The Gradio page: the panels composed, launched. No model code here.

Per-user state is an `EditorSession` in `gr.State`; `services` (models, settings) is shared read-only. Each
panel is one file with its layout (``render``) and its events (``listen``):

- app/models_panel.py   the one-line banner that opens to the Models panel
- app/photo_panel.py    status line, the photo (click to select), before / after, parts, faces, check tabs
- app/select_panel.py   1 · upload, 2 · pick the part (labelled parts, words, clicks, segments)
The third column holds the tools as tabs, one open at a time with its main action near the top, so it is in view
on a 1366x768 screen; the edits (layers, undo / redo) sit under them:
- app/edit_panel.py     3 · Look: pick the look, Apply, variants
- app/faces_panel.py    Faces: anonymize, find, swap faces
- app/generate_panel.py Generate: generate from a prompt, remove
- app/layers_panel.py   Download: the full-size result, the mask; and the layers with undo / redo edits
- app/check_panel.py    "Check a photo" (a tab of the photo column)
- app/api_panel.py      API-only endpoints (gradio_client)
What a session shows is rendered by app/view.py (`PageView`); every handler's errors go through
app/errors.py. The jury path is three clicks: upload -> pick the part -> pick the look (Apply).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import gradio as gr

from app import (
    api_panel,
    check_panel,
    downloads,
    edit_panel,
    faces_panel,
    generate_panel,
    layers_panel,
    models_panel,
    photo_panel,
    select_panel,
)
from app.errors import guarded
from app.uploads import display_name, guard_file_inputs
from app.view import PageView
from core.errors import FacetError
from studio.services import Services
from studio.session import EditorSession

log = logging.getLogger(__name__)

HEADER = (
    "**Facet** &nbsp; **1.** Upload a photo · **2.** pick the part (a labelled part, or click on it) · "
    "**3.** pick the look."
)
# The photo is at most as tall as the window leaves room for (header, banner, tabs, status line), so it and the
# controls beside it (Apply included) stay in view on a 1366x768 screen; never under 260 px. The img element keeps
# the photo's aspect ratio (Gradio's own CSS stretches it over the frame and letterboxes with object-fit), so its
# box is the photo: scripts and tests that click at a fraction of the box hit that fraction of the photo.
# Where the three columns stand side by side, the photo's column stays in view while the page scrolls down to a
# control (a group photo's long parts list, the faces panel's button), so the result of a click is always seen.
# The picked part's chip shows selected (app/view.py picked_part), in the page's orange, without changing its size.
# On a phone (one column; 640 px or narrower) the part's column is no box of its own: the upload box comes first
# (step 1), then the photo with the parts right under it (round 17: the upload box sat between them, and a chip
# picked with the list at the top of the window drew its outline out of sight), the tools right after
# the parts, whose list scrolls within about five rows, and the other ways to pick after the tools (Apply at y 1435
# instead of 2288 at 390x844: the whole Pick panel came first). On a tablet (641-999 px) the photo and the parts sit
# side by side and the tools come right under them, the other ways to pick last (Apply at y 1852 at 800x1000 before:
# the tools wrapped under the whole Pick panel).
# Beside the photo (1000 px and wider) the parts list scrolls within what the window leaves under its title and note:
# a group photo's 43 chips (t1.jpg) ran 950 px down the page, and a chip picked near the list's end left step 3's
# Apply above the window (at y -310 on a 1366x768 laptop); now the chips' box ends inside the window (the box that
# holds the chips: the list's other .wrap is Gradio's busy overlay).
# The Parts tab's picture leaves its legend (which colour is which part) in the window: at 1366x768 the picture took
# the tab's whole height and the legend began at y 761 (round 22's drive); the base image and its part layers shrink
# alike (object-fit), and a group photo's many legend entries scroll within three rows, from the first (centred rows
# overflowed at the top too, out of reach).
# The variants' five thumbnails a row share the photo column's width (fixed 100 px ones ran 4 px past its right edge at
# 1366x768, cutting the fifth column) and start under the gallery's label, which covered their top (round 22).
# The empty upload box's icon and three lines start under the box's label (round 22: Gradio centres them in a 240 px
# minimum, so in the 124 px box the label hid the icon's top half); they fit in the box whole. The same for the Check a
# photo tab's box (round 23: at 100 px its icon was hidden and "Click to Upload" cut in half).
# The style and texture image boxes sit in a group (the look's controls), whose rule takes every child's border away
# ("border: none", so a width of medium and the text's colour); Gradio's own dashed style on an empty File then drew a
# 3 px black dashed frame round them (round 24's drive), solid once a file was in: their border is the other boxes'.
# The status line is in the page's own font (a log's monospace read as one) and keeps two lines' height, so a message
# of one line or two does not move the photo under the pointer between clicks.
CSS = """
#facet-header p {margin: 0}
#facet-banner {border-left: 4px solid #d97706; background: #fff7ed}
#facet-status {min-height: 42px}
#facet-status, #facet-status p {font-size: 15px !important; line-height: 21px !important}
#facet-status p {margin: 0}
#facet-upload [data-testid=upload-text], #facet-check-upload [data-testid=upload-text] {min-height: 0 !important;
  padding-top: 26px !important; line-height: 20px !important}
#facet-style-file, #facet-texture-file {border-width: var(--block-border-width) !important;
  border-color: var(--block-border-color) !important}
#facet-canvas {height: max(260px, min(calc(100vh - 250px), 75vw)) !important}
#facet-parts label, #facet-segments label {padding: 3px 8px !important; font-size: 0.85em}
#facet-anon-method label, #facet-anon-level label {padding: 3px 7px !important; font-size: 0.85em}
#facet-swap-row {align-items: flex-end}
#facet-parts label.selected {background: #fed7aa !important; border-color: #ea580c !important; color: #7c2d12 !important;
  box-shadow: inset 0 0 0 1px #ea580c}
#facet-variants .grid-container {grid-template-columns: repeat(5, minmax(0, 1fr)) !important; padding-top: 28px !important}
#facet-variants .thumbnail-item {width: 100% !important; height: auto !important; aspect-ratio: 1 / 1}
#facet-canvas .image-frame img {width: auto !important; height: auto !important; max-width: 100%; max-height: 100%}
@media (min-width: 1000px) {
  #facet-col-photo {position: sticky; top: 0; align-self: flex-start; z-index: 1}
  #facet-parts .wrap:has(> label) {max-height: max(10.5em, calc(100vh - 450px)); overflow-y: auto}
  #facet-legend .image-container img {max-height: max(200px, calc(100vh - 340px)) !important; object-fit: contain !important}
  #facet-legend .legend {max-height: 94px; overflow-y: auto; align-content: flex-start !important}
}
@media (max-width: 640px) {
  #facet-col-part {display: contents}
  #facet-col-photo, #facet-upload, #facet-pick, #facet-col-look, #facet-pick-more {flex: 1 1 100%; min-width: 0}
  #facet-upload {order: 0}
  #facet-col-photo {order: 1}
  #facet-pick {order: 3}
  #facet-col-look {order: 4}
  #facet-pick-more {order: 5}
  #facet-parts .wrap {max-height: 10.5em; overflow-y: auto}
}
@media (min-width: 641px) and (max-width: 999px) {
  #facet-main {display: grid !important; grid-template-columns: minmax(0, 5fr) minmax(0, 3fr); align-items: start;
    grid-template-rows: auto 1fr auto auto; grid-template-areas: "photo upload" "photo pick" "look look" "more more"}
  #facet-canvas {height: max(260px, min(calc(100vh - 250px), 55vw)) !important}
  #facet-col-part {display: contents}
  #facet-col-photo {grid-area: photo; min-width: 0}
  #facet-upload {grid-area: upload; min-width: 0}
  #facet-pick {grid-area: pick; min-width: 0}
  #facet-col-look {grid-area: look; min-width: 0}
  #facet-pick-more {grid-area: more; min-width: 0}
  #facet-parts .wrap {max-height: 14em; overflow-y: auto}
}
"""
# Outside Gradio's scoping of ``css`` (every rule there is put under ``.gradio-container ... .contain``): the
# container itself clips with overflow: hidden, which makes it the scroll box a sticky column holds to; clip
# clips the same without being one.
HEAD = "<style>@media (min-width: 1000px) {.gradio-container {overflow: clip !important}}</style>"


def _close(state: Any) -> None:
    if isinstance(state, EditorSession):
        state.close()


def _free_closed_sessions(demo: gr.Blocks, ttl_s: float) -> None:
    """Free a closed tab's session after ``ttl_s`` (the shorter of FACET_SESSION_TTL_S and FACET_CLOSED_TTL_S).

    When a tab closes, Gradio 6 keeps its state for an hour (``SessionState.STATE_TTL_WHEN_CLOSED``) whatever
    ``gr.State(time_to_live=...)`` says, so a shorter TTL never freed the photos of users who had left.
    On unload this caps that hour at ``ttl_s``; with Gradio internals other than 6.31's it does nothing
    (tests/test_session_expiry.py checks it)."""

    def on_unload(request: gr.Request) -> None:
        holder = getattr(demo, "state_holder", None)
        session = getattr(holder, "session_data", {}).get(getattr(request, "session_hash", None))
        if session is not None and getattr(session, "STATE_TTL_WHEN_CLOSED", 0) > ttl_s:
            session.STATE_TTL_WHEN_CLOSED = ttl_s

    demo.unload(on_unload)


def build_ui(services: Services) -> gr.Blocks:
    try:  # the Content Credentials signer: configured, or made once now (studio/credentials.py)
        from studio.credentials import ensure_signer

        log.info("Content Credentials signer: %s", ensure_signer(services.settings))
    except FacetError as exc:
        log.error("%s", exc)
    services.manager.default_reporter = downloads.page_progress  # on-demand downloads drive the page's bar
    with gr.Blocks(title="Facet — restyle any part of a photo", delete_cache=(1800, 3600)) as demo:
        state = gr.State(None, time_to_live=services.settings.session_ttl_s, delete_callback=_close)
        gr.Markdown(HEADER, elem_id="facet-header")
        models = models_panel.render(services)
        with gr.Row(equal_height=False, elem_id="facet-main"):
            with gr.Column(scale=5, min_width=340, elem_id="facet-col-photo"):
                photo = photo_panel.render()
            with gr.Column(scale=3, min_width=280, elem_id="facet-col-part"):
                pick = select_panel.render()
            with gr.Column(scale=3, min_width=280, elem_id="facet-col-look"):
                # one tool at a time, each at the top of the column: its main action (Apply, Anonymize, the
                # download) stays in view on a 1366x768 screen whatever the look's controls (issue 16)
                with gr.Tabs(elem_id="facet-tools"):
                    with gr.Tab("3 · Look", id="tool-look", elem_id="facet-tab-look"):
                        look = edit_panel.render()
                    with gr.Tab("Faces", id="tool-faces", elem_id="facet-tab-faces"):
                        faces = faces_panel.render()
                    with gr.Tab("Generate", id="tool-generate", elem_id="facet-tab-generate"):
                        generate = generate_panel.render(services)
                    with gr.Tab("Download", id="tool-download", elem_id="facet-tab-download"):
                        download = layers_panel.render_download()
                layers = layers_panel.LayersPanel(*layers_panel.render_edits(), *download)
        view = PageView(
            state=state,
            canvas=photo.canvas,
            status=photo.status,
            segments=pick.segments,
            name=pick.name,
            download=layers.mask,
            parts=pick.parts,
            layers=layers.layers,
            compare=photo.compare,
            other=pick.other,
        )
        models_panel.listen(models, services)
        select_panel.listen(pick, view, services, photo.legend)
        edit_panel.listen(look, view, photo.variants, services)
        generate_panel.listen(generate, view, photo.generated, look.seed, services)
        faces_panel.listen(faces, view, photo.faces, photo.tabs, services)
        layers_panel.listen(layers, view, services)
        check_panel.listen(photo.check, services, guarded, display_name)
        api_panel.stateless_endpoints(services)
        api_panel.session_endpoints(services, view)
        api_panel.parse_endpoint(services)
        _free_closed_sessions(demo, min(services.settings.session_ttl_s, services.settings.closed_ttl_s))
        guard_file_inputs(demo)  # every file input: an upload of this session's (app/uploads.py)
    return demo


def launch(demo: gr.Blocks, services: Services, **kwargs):
    settings = services.settings
    # uvicorn would take X-Forwarded-For from 127.0.0.1 by itself; Facet decides (FACET_TRUSTED_PROXIES)
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    demo.queue(default_concurrency_limit=2, max_size=64)
    # max_file_size: Gradio refuses larger uploads (413) before they reach a handler. show_error: what
    # Gradio itself refuses before our handlers run (a slider value out of range, a file that was not
    # uploaded) reaches API clients as its message; our handlers turn every error into a user message.
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        css=CSS,
        head=HEAD,
        max_file_size=settings.max_upload_bytes,
        footer_links=["api"],
        **{"show_error": True, "state_session_capacity": settings.max_sessions, **kwargs},
    )
