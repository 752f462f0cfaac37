"""The Gradio UI: layout, event wiring, UI values -> core calls, errors -> messages. No model code here.

Per-user state is an `EditorSession` in `gr.State`; `services` (models, settings) is shared read-only.
The jury path is three clicks: upload -> pick the part (a labelled chip, or a click on the photo) ->
pick the look (Apply, or a variant).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from app import api_panel, edit_panel
from app import downloads
from app.uploads import claim, guard_file_inputs, read_upload
from core.errors import BadInput, FacetError
from core.photo import ACCEPTED, load_photo
from studio.services import Services
from studio.presets import ANON_LEVELS, PROMPT_PRESETS
from studio.session import BOX, EXCLUDE, INCLUDE, PICK, EditorSession
from core.masks import downscale
from editors.faceswap import gallery_names as face_gallery_names
from editors.inpaint import available as inpaint_available
from editors.remove import RemoveEditor

log = logging.getLogger(__name__)

MODES = {"Pick part": PICK, "Include (+)": INCLUDE, "Exclude (−)": EXCLUDE, "Box (click 2 corners)": BOX}
COMBINE = {"add": "add", "subtract": "subtract", "intersect": "intersect"}

CSS = """
#facet-banner {border-left: 4px solid #d97706; background: #fff7ed; padding: 6px 12px; color: #4a2c05}
#facet-status {font-family: ui-monospace, monospace; font-size: 0.9em}
#facet-licence {font-size: 0.85em; color: #666}
"""


def _session(state: Any) -> EditorSession:
    s = state if isinstance(state, EditorSession) else EditorSession()
    s.peer = _peer()  # per-address flood limits (core/limits.py) count this request against its address
    return s


def _peer() -> tuple[str | None, str | None]:
    """(TCP peer address, X-Forwarded-For header) of the request being handled (Gradio sets it per event);
    which of them is the client is decided by core.limits.client_address with FACET_TRUSTED_PROXIES."""
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    if request is None:
        return None, None
    client = getattr(request, "client", None)
    try:
        forwarded = request.headers.get("x-forwarded-for")
    except Exception:
        forwarded = None
    return getattr(client, "host", None), forwarded


def _close(state: Any) -> None:
    if isinstance(state, EditorSession):
        state.close()


def _free_closed_sessions(demo: gr.Blocks, ttl_s: float) -> None:
    """Free a closed tab's session after ``ttl_s`` (FACET_SESSION_TTL_S) like an idle one.

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


def _user_message(exc: Exception, where: str) -> str:
    """What a user is told about an error: our own messages as they are; anything else is logged and
    summarised (never a traceback, path or library message in the page)."""
    if isinstance(exc, FacetError):
        return str(exc)
    log.exception("handler %s failed", where)
    return f"Something went wrong ({exc.__class__.__name__}); your photo and segments are kept."


def _anonymize_note(report: list[dict]) -> str:
    """' Faces #0, #2 swapped to synthetic identities (checked by a face recogniser); #3 blurred (...).'"""
    if not report:
        return ""
    swapped = [f"#{r['face']}" for r in report if r["done"].startswith("swap")]
    blurred = [f"#{r['face']} {r['done']}" for r in report if not r["done"].startswith("swap")]
    note = ""
    if swapped:
        checked = all(r["verified"] for r in report if r["done"].startswith("swap"))
        note += (f" Faces {', '.join(swapped)} swapped to synthetic identities"
                 + (" (each checked by a face recogniser)." if checked else " (unchecked: dlib is not installed)."))
    if blurred:
        note += f" Hidden instead: {', '.join(blurred)}."
    return note


def _choices(s: EditorSession) -> list[tuple[str, int]]:
    return [(f"#{seg.id} {seg.label}" + ("" if seg.mask.any() else " (empty)"), seg.id) for seg in s.segments]


def _short_source(source: str) -> str:
    """'selfie-segmentation (offline)' -> 'selfie-segmentation'; approximations get a ≈."""
    names: list[str] = []
    for part in re.sub(r"\([^)]*\)", "", source).split(","):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return " + ".join(names) + (" ≈" if "approximate" in source else "")


def _part_choices(s: EditorSession) -> list[tuple[str, int]]:
    return [(f"{p.label} · {_short_source(p.source)}", p.id) for p in s.parts]


def _layer_choices(s: EditorSession) -> tuple[list[tuple[str, int]], list[int]]:
    layers = s.layers.layers
    return [(layer.title, layer.id) for layer in layers], [layer.id for layer in layers if layer.visible]


def _view(s: EditorSession, full: bool = True):
    """Everything the page shows for a session (see `view_outputs` in build_ui for the order)."""
    seg = s.segment()
    has_mask = seg is not None and bool(seg.mask.any())
    layer_choices, visible = _layer_choices(s)
    parts_note = ""
    if s.photo is not None:
        approx = any("approximate" in p.source for p in s.parts)
        parts_note = (f"{len(s.parts)} parts found in {s.parse_seconds:.2f}s"
                      + ("; ≈ marks approximations made by offline rules" if approx else "")
                      + (f". {s.parse_note}" if s.parse_note else ""))
    before_after = (s.preview, s.result_preview()) if s.preview is not None and s.layers.layers else None
    return (
        s,
        s.overlay(),
        s.status,
        gr.update(choices=_choices(s), value=s.active),
        gr.update(value=seg.label if seg else ""),
        gr.update(value=str(s.mask_file()) if has_mask else None, interactive=has_mask),
        gr.update(choices=_part_choices(s), value=None, info=parts_note),
        gr.update(choices=layer_choices, value=visible),
        gr.update(value=before_after),
        gr.update(choices=[(label, i) for label, i in _choices(s) if i != s.active], value=None),
    )


def build_ui(services: Services) -> gr.Blocks:
    try:  # the Content Credentials signer: configured, or made once now (studio/credentials.py)
        from studio.credentials import ensure_signer

        log.info("Content Credentials signer: %s", ensure_signer(services.settings))
    except FacetError as exc:
        log.error("%s", exc)
    with gr.Blocks(title="Facet — restyle any part of a photo", delete_cache=(1800, 3600)) as demo:
        state = gr.State(None, time_to_live=services.settings.session_ttl_s, delete_callback=_close)
        gr.Markdown("# Facet\n**1.** Upload a photo · **2.** pick the part (a labelled part, or click on it) · "
                    "**3.** pick the look.")
        banner = services.banner()
        banner_md = gr.Markdown(banner, visible=bool(banner), elem_id="facet-banner")
        # models fetched on first use can fail later (a missing repo, a bad file): the banner follows
        gr.Timer(5).tick(lambda: (lambda b: gr.update(value=b, visible=bool(b)))(services.banner()), None, banner_md,
                         api_name=False, queue=False, show_progress="hidden")
        services.manager.default_reporter = downloads.page_progress  # on-demand downloads drive the page's bar
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tabs():
                    with gr.Tab("Photo", id="photo"):
                        canvas = gr.Image(label="Photo: click to select", interactive=False, type="numpy",
                                          elem_id="facet-canvas", buttons=["fullscreen"], format="png")
                    with gr.Tab("Before / after", id="compare"):
                        compare = gr.ImageSlider(label="Before / after", type="numpy", elem_id="facet-compare",
                                                 interactive=False, format="jpeg")
                    with gr.Tab("Parts", id="parts"):
                        legend = gr.AnnotatedImage(label="Labelled parts", elem_id="facet-legend", format="jpeg")
                    with gr.Tab("Faces", id="faces"):
                        faces_img = gr.Image(label="Faces found (numbered left to right)", interactive=False,
                                             type="numpy", format="jpeg", elem_id="facet-faces")
                    from app import check_panel  # "Check a photo": Facet's provenance marks (studio/provenance.py)

                    check_tab = check_panel.render()
                status = gr.Markdown("Upload a photo to start.", elem_id="facet-status")
                generated = gr.Gallery(label="Generated variants (click one to apply it; seeds shown)", columns=4,
                                       height="auto", elem_id="facet-generated", visible=False, allow_preview=False)
                variants = gr.Gallery(label="Variants of the selected part (click one to apply it)",
                                      columns=5, height="auto", elem_id="facet-variants", visible=False,
                                      allow_preview=False)
            with gr.Column(scale=2, min_width=320):
                # no file_types: Gradio's own check would refuse a .txt or .pdf with a bare error pill; load_photo
                # refuses it with the reason, shown in the status line
                upload = gr.File(label=f"1 · Upload a photo ({ACCEPTED})", file_count="single",
                                 elem_id="facet-upload", height=100)
                with gr.Accordion("2 · Pick the part", open=True):
                    parts = gr.Radio([], label="Labelled parts (found automatically)", elem_id="facet-parts")
                    with gr.Row():
                        words = gr.Textbox(label="Select by words", max_lines=1, scale=4, elem_id="facet-words",
                                           placeholder="sky · the jacket · the second person's hair")
                        words_btn = gr.Button("Select", size="sm", scale=1, elem_id="facet-words-btn")
                    mode = gr.Radio(list(MODES), value="Pick part", label="Clicking the photo",
                                    elem_id="facet-mode")
                    with gr.Row():
                        undo_btn = gr.Button("Undo click", size="sm", elem_id="facet-undo")
                        clear_btn = gr.Button("Clear clicks", size="sm", elem_id="facet-clear")
                        new_btn = gr.Button("New segment", size="sm", elem_id="facet-new")
                    segments = gr.Radio([], label="Your segments (clicks and edits go to the selected one)",
                                        elem_id="facet-segments")
                    with gr.Row():
                        name = gr.Textbox(label="Name", max_lines=1, elem_id="facet-name", scale=3)
                        rename_btn = gr.Button("Rename", size="sm", elem_id="facet-rename", scale=1)
                        delete_btn = gr.Button("Delete", size="sm", variant="stop", elem_id="facet-delete",
                                               scale=1)
                    with gr.Accordion("Refine: grow / shrink, combine", open=False):
                        with gr.Row():
                            grow_px = gr.Number(8, precision=0, label="Pixels (negative shrinks)",
                                                minimum=-500, maximum=500)
                            grow_btn = gr.Button("Grow / shrink", size="sm", elem_id="facet-grow")
                        with gr.Row():
                            other = gr.Dropdown([], label="With segment", elem_id="facet-other")
                            op = gr.Radio(list(COMBINE), value="add", label="Operation")
                        combine_btn = gr.Button("Combine into a new segment", size="sm", elem_id="facet-combine")
                    download = gr.DownloadButton("Download mask (PNG)", elem_id="facet-download",
                                                 interactive=False, size="sm")
                with gr.Accordion("3 · Pick the look", open=True):
                    controls = edit_panel.render()
                    with gr.Row():
                        apply_btn = gr.Button("Apply", variant="primary", elem_id="facet-apply")
                        variants_btn = gr.Button("Show variants", elem_id="facet-variants-btn")
                    cartoon_bg_btn = gr.Button("Quick look: cartoon background behind the people", size="sm",
                                               elem_id="facet-cartoon-bg")
                with gr.Accordion("Generate from a prompt, or remove", open=False):
                    gen_ready = inpaint_available(services.manager)
                    gr.Markdown(
                        "Stable Diffusion inpainting is ready." if gen_ready else
                        "**Generation is unavailable here**: the Stable Diffusion inpainting weights are not "
                        "downloaded (run `python app.py --prefetch` on a machine with network access). "
                        f"*Remove* still works, with an offline fill ({RemoveEditor(services.manager).backend}).",
                        elem_id="facet-gen-note")
                    preset = gr.Dropdown(list(PROMPT_PRESETS), value=None, label="Preset prompts",
                                         elem_id="facet-preset")
                    prompt = gr.Textbox(label="What should the selected part become?", max_lines=3,
                                        placeholder="a denim jacket", elem_id="facet-prompt")
                    negative = gr.Textbox(label="Avoid (negative prompt)", max_lines=2,
                                          value="blurry, deformed, low quality", elem_id="facet-negative")
                    with gr.Row():
                        gen_variants = gr.Slider(1, 4, value=2, step=1, label="Variants")
                        gen_fast = gr.Checkbox(True, label="Fast preview (LCM: 2 steps on a CPU, 4 on a GPU)")
                    with gr.Row():
                        gen_steps = gr.Slider(0, 50, value=0, step=1, label="Steps (0 = auto)")
                        gen_guidance = gr.Slider(-1, 15, value=-1, step=0.5, label="Guidance (-1 = auto)")
                        gen_strength = gr.Slider(0.1, 1, value=1, step=0.05, label="Strength")
                    with gr.Row():
                        gen_btn = gr.Button("Generate", variant="primary", elem_id="facet-generate",
                                            interactive=gen_ready)
                        cancel_btn = gr.Button("Cancel", variant="stop", elem_id="facet-cancel")
                        remove_btn = gr.Button("Remove (fill with background)", elem_id="facet-remove")
                with gr.Accordion("Faces: swap or anonymize", open=False):
                    find_faces_btn = gr.Button("Find and number the faces", size="sm", elem_id="facet-find-faces")
                    faces_which = gr.Textbox("all", label="Which faces ('all' or numbers like 0,2)", max_lines=1,
                                             elem_id="facet-faces-which")
                    with gr.Row():
                        target_gallery = gr.Dropdown(face_gallery_names(), value="synthetic_average",
                                                     label="Swap to (gallery)", elem_id="facet-target-gallery")
                        target_file = gr.File(label="…or upload a target face", file_types=["image"], height=80,
                                              elem_id="facet-target-file")
                    by_gender = gr.Checkbox(False, label="Only faces of the target's gender (full models)")
                    swap_btn = gr.Button("Swap faces", size="sm", elem_id="facet-swap")
                    anon_method = gr.Radio(["swap", "blur", "pixelate", "solid"], value="swap",
                                           label="Anonymize by (swap = a synthetic identity with the same expression)",
                                           elem_id="facet-anon-method")
                    anon_level = gr.Radio(list(ANON_LEVELS), value="Faces only", label="Anonymize",
                                          elem_id="facet-anon-level")
                    anon_btn = gr.Button("Anonymize everyone", variant="primary", size="sm", elem_id="facet-anonymize")
                    gr.Markdown("The full face-swap model (`inswapper_128`, used when downloaded) is licensed for "
                                "**non-commercial research only**; the offline swap warps a face mesh.",
                                elem_id="facet-inswapper-licence")
                with gr.Accordion("Layers and export", open=True):
                    layers = gr.CheckboxGroup([], label="Edits (untick to hide)", elem_id="facet-layers")
                    with gr.Row():
                        undo_edit_btn = gr.Button("Undo edit", size="sm", elem_id="facet-undo-edit")
                        redo_edit_btn = gr.Button("Redo edit", size="sm", elem_id="facet-redo-edit")
                    with gr.Row():
                        fmt = gr.Radio(["PNG", "JPEG"], value="PNG", label="Format", elem_id="facet-format")
                        export_btn = gr.Button("Prepare full-size download", size="sm", elem_id="facet-export")
                    result_file = gr.File(label="Result (full size)", elem_id="facet-result", interactive=False)
                with gr.Accordion("Models", open=False):
                    gr.JSON(value=lambda: services.models_status(), label="Model roles")
        noncommercial = [f"`{r}` ({spec.repo})" for r, spec in services.manager.roles.items() if not spec.commercial]
        gr.Markdown("Models and licences: see the Models panel; every model's licence is recorded in "
                    "`core/manifest.toml` and `core/packaged.toml`, textures' in `assets/styles/manifest.json`."
                    + (" **Non-commercial licence** (results made with these full models may not be used "
                       "commercially): " + ", ".join(noncommercial) + "." if noncommercial else ""),
                    elem_id="facet-licence")

        view_outputs = [state, canvas, status, segments, name, download, parts, layers, compare, other]
        variant_state = gr.State([])

        def ui(state_index: int = 0):
            """UI handlers: a user-facing error becomes a warning toast and the status line, and the page
            keeps showing the session as it was (no error badges over every component)."""

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
                            message = (f"Something went wrong ({exc.__class__.__name__}); "
                                       "your photo and segments are kept.")
                        gr.Warning(message)
                        s = _session(args[state_index] if len(args) > state_index else None)
                        s.status = f"⚠ {message}"
                        return _view(s)

                return wrapped

            return deco

        @ui(state_index=1)
        def on_upload(file, s):
            s = _session(s)
            if file is None:
                return _view(s)
            s.count("upload", services)  # flood limit, before anything is decoded
            path = str(claim(file, s, "photo"))  # an upload of this session's, never a server path
            photo = load_photo(path, services.settings, name=_display_name(path))
            s.load(photo, services)
            return _view(s)

        def on_upload_legend(s):
            s = _session(s)
            if s.preview is None:
                return None
            return (s.preview, s.parts_legend())

        @ui()
        def on_click(s, mode_label, evt: gr.SelectData):
            s = _session(s)
            if s.photo is None:
                raise BadInput("upload a photo first")
            x = min(s.photo.width - 1, evt.index[0] / s.scale)
            y = min(s.photo.height - 1, evt.index[1] / s.scale)
            mode_value = MODES.get(mode_label, INCLUDE)
            if mode_value == PICK:
                try:
                    s.click(x, y, PICK, services)
                except BadInput:  # nothing labelled here: select by clicking instead
                    s.new_segment()
                    s.click(x, y, INCLUDE, services)
            else:
                s.click(x, y, mode_value, services)
            return _view(s)

        @ui()
        def on_part(s, part_id):
            s = _session(s)
            if part_id is not None and s.photo is not None:
                s.use_part(int(part_id))
            return _view(s)

        @ui()
        def on_words(s, phrase):
            s = _session(s)
            if s.photo is None:
                raise BadInput("upload a photo first")
            s.select_text(phrase or "", services)
            return _view(s)

        @ui()
        def on_undo(s):
            s = _session(s)
            s.undo()
            return _view(s)

        @ui()
        def on_clear(s):
            s = _session(s)
            s.clear()
            return _view(s)

        @ui()
        def on_new(s):
            s = _session(s)
            seg = s.new_segment(None)
            s.status = f"New segment '{seg.label}': click on the part to select."
            return _view(s)

        @ui()
        def on_select(s, seg_id):
            s = _session(s)
            if seg_id is not None and s.photo is not None and seg_id != s.active:
                seg = s.select(int(seg_id))
                s.status = f"Selected '{seg.label}'; clicks now refine it."
            return _view(s)

        @ui()
        def on_rename(s, label):
            s = _session(s)
            if s.active is None:
                raise BadInput("select a segment to rename")
            s.rename(s.active, label or "")
            s.status = f"Renamed to '{(label or '').strip()}'."
            return _view(s)

        @ui()
        def on_delete(s):
            s = _session(s)
            if s.active is None:
                raise BadInput("select a segment to delete")
            s.delete(s.active)
            s.status = "Segment deleted."
            return _view(s)

        @ui()
        def on_grow(s, px):
            s = _session(s)
            s.grow(int(px or 0))
            return _view(s)

        @ui()
        def on_combine(s, other_id, operation):
            s = _session(s)
            if other_id is None:
                raise BadInput("choose the segment to combine with")
            s.combine_with(int(other_id), COMBINE.get(operation, "add"))
            return _view(s)

        @ui()
        def on_apply(s, *values):
            s = _session(s)
            editor, params, seed = edit_panel.to_request(*values, owner=s, settings=services.settings)
            s.apply_edit(editor, params, seed, services)
            return _view(s)

        def on_variants(s):
            s = _session(s)
            try:
                t0 = time.perf_counter()
                found = s.variants(services)
            except Exception as exc:
                gr.Warning(_user_message(exc, "on_variants"))
                return gr.update(visible=False), []
            s.status = (f"{len(found)} variants of '{s.segment().label}' rendered at preview size in "
                        f"{time.perf_counter() - t0:.2f}s; click one to apply it at full size.")
            gallery = [(img, caption) for img, caption, _, _ in found]
            return gr.update(value=gallery, visible=True), [(name, params) for _, _, name, params in found]

        @ui()
        def on_variant_pick(s, choices, evt: gr.SelectData):
            s = _session(s)
            index = int(evt.index if not isinstance(evt.index, (list, tuple)) else evt.index[0])
            if not 0 <= index < len(choices):
                raise BadInput("that variant is gone; render the variants again")
            editor, params = choices[index]
            if not editor:
                s.status = "Kept as-is."
                return _view(s)
            s.apply_edit(editor, dict(params), 0, services)
            return _view(s)

        @ui()
        def on_cartoon_background(s):
            s = _session(s)
            background = next((p for p in s.parts if p.label == "background"), None)
            if background is None or not any(p.label.startswith("person") for p in s.parts):
                raise BadInput("no people were found in this photo, so there is no 'background' to cartoon")
            s.use_part(background.id)
            s.apply_edit("cartoon", {}, 0, services)
            return _view(s)

        def on_generate(s, prompt_text, negative_text, n, fast, steps, guidance, strength, seed_value,
                        progress=gr.Progress()):
            s = _session(s)
            cancel = threading.Event()
            s.cancel_event = cancel

            def step(i, total):
                progress((i, total), desc=f"denoising step {i} of {total}")

            params = {"prompt": prompt_text or "", "negative_prompt": negative_text or "", "variants": int(n),
                      "fast": bool(fast), "steps": int(steps), "guidance": float(guidance),
                      "strength": float(strength)}
            try:
                found = s.generate("inpaint", params, int(seed_value or 0), services, progress=step, cancel=cancel)
            except Exception as exc:
                message = _user_message(exc, "on_generate")
                gr.Warning(message)
                s.status = f"⚠ {message}"
                return gr.update(), s.status
            finally:
                s.cancel_event = None
            h, w = s.preview.shape[:2]
            shown = [(downscale(v.image, max(h, w))[0], f"#{i + 1} · seed {v.seed} · {v.seconds:.1f}s")
                     for i, v in enumerate(found)]
            s.status = (f"{len(found)} variant{'s' if len(found) > 1 else ''} by {found[0].backend}; "
                        "click one to apply it.")
            return gr.update(value=shown, visible=True), s.status

        def on_cancel(s):
            s = _session(s)
            event = getattr(s, "cancel_event", None)
            if event is None:
                return "Nothing is running."
            event.set()
            return "Cancelling after the current step…"

        @ui()
        def on_generated_pick(s, evt: gr.SelectData):
            s = _session(s)
            index = int(evt.index if not isinstance(evt.index, (list, tuple)) else evt.index[0])
            s.apply_variant(index)
            return _view(s)

        @ui()
        def on_remove(s, seed_value):
            s = _session(s)
            s.generate("remove", {}, int(seed_value or 0), services)
            s.apply_variant(0)
            return _view(s)

        def on_preset(name):
            return PROMPT_PRESETS.get(name, "")

        def on_find_faces(s):
            s = _session(s)
            if s.photo is None:
                gr.Warning("upload a photo first")
                return None, s.status
            t0 = time.perf_counter()
            try:
                faces = s.faces(services)
                preview = s.faces_preview(services)
            except Exception as exc:
                message = _user_message(exc, "on_find_faces")
                gr.Warning(message)
                s.status = f"⚠ {message}"
                return None, s.status
            s.status = (f"{len(faces)} face{'s' if len(faces) != 1 else ''} found in {time.perf_counter() - t0:.2f}s"
                        + (": " + ", ".join(f"#{f.index}" for f in faces) if faces else "."))
            return preview, s.status

        @ui()
        def on_swap(s, which, gallery_name, target_upload, gender):
            s = _session(s)
            if s.photo is None:
                raise BadInput("upload a photo first")
            photo = s.photo
            if target_upload is not None:  # this session's upload, read into an array: editors never see paths
                target = read_upload(target_upload, s, "target face", services.settings)
            elif gallery_name in face_gallery_names():
                target = gallery_name
            else:
                raise BadInput("choose a target face from the gallery or upload one")
            params = {"target": target, "faces": (which or "all").strip(), "by_gender": bool(gender)}
            everything = np.ones((photo.height, photo.width), bool)
            s.apply_edit("faceswap", params, 0, services, mask=everything, label=f"faces {params['faces']}")
            return _view(s)

        @ui()
        def on_anonymize(s, method, level, which):
            s = _session(s)
            if s.photo is None:
                raise BadInput("upload a photo first")
            everything = np.ones((s.photo.height, s.photo.width), bool)
            s.apply_edit("anonymize", {"method": method or "swap", "faces": (which or "all").strip()}, 0, services,
                         mask=everything, label="all faces")
            checked = _anonymize_note(s.last_report)
            done = ["faces"]
            for part, editor, params in ANON_LEVELS.get(level, ()):
                if s.apply_to_part(part, editor, params, 0, services, charge=False) is not None:  # one action
                    done.append(part)
            s.status = (f"Anonymized: {', '.join(done)} ({len(s.layers.layers)} layers; undo edit to step back)."
                        + checked)
            return _view(s)

        @ui()
        def on_undo_edit(s):
            s = _session(s)
            s.undo_edit()
            return _view(s)

        @ui()
        def on_redo_edit(s):
            s = _session(s)
            s.redo_edit()
            return _view(s)

        @ui()
        def on_layers(s, visible_ids):
            s = _session(s)
            s.set_visible_layers({int(i) for i in visible_ids or []})
            return _view(s)

        @_guard
        def on_export(s, fmt_value):
            s = _session(s)
            if s.photo is None:
                raise BadInput("upload a photo first")
            return str(s.export(fmt_value or "PNG", settings=services.settings))

        models = {"concurrency_id": "models"}
        upload.upload(on_upload, [upload, state], view_outputs, api_name="upload", **models).then(
            on_upload_legend, [state], [legend], api_name=False)
        canvas.select(on_click, [state, mode], view_outputs, api_name=False, **models)
        parts.input(on_part, [state, parts], view_outputs, api_name="use_part")
        words_btn.click(on_words, [state, words], view_outputs, api_name="select_text", **models)
        words.submit(on_words, [state, words], view_outputs, api_name=False, **models)
        undo_btn.click(on_undo, [state], view_outputs, api_name="undo", **models)
        clear_btn.click(on_clear, [state], view_outputs, api_name="clear")
        new_btn.click(on_new, [state], view_outputs, api_name="new_segment")
        segments.input(on_select, [state, segments], view_outputs, api_name="select_segment")
        rename_btn.click(on_rename, [state, name], view_outputs, api_name="rename_segment")
        name.submit(on_rename, [state, name], view_outputs, api_name=False)
        delete_btn.click(on_delete, [state], view_outputs, api_name="delete_segment")
        grow_btn.click(on_grow, [state, grow_px], view_outputs, api_name="grow_segment")
        combine_btn.click(on_combine, [state, other, op], view_outputs, api_name="combine_segments")
        edit_panel.listen(controls)
        # Apply is disabled while it runs (a double click cannot stack two layers); the session also refuses a
        # second concurrent edit (studio/session.py EditBusy), for clients that bypass the button
        apply_btn.click(lambda: gr.update(interactive=False), None, [apply_btn], queue=False, api_name=False).then(
            on_apply, [state, *controls.inputs()], view_outputs, api_name="apply_edit", **models).then(
            lambda: gr.update(interactive=True), None, [apply_btn], queue=False, api_name=False)
        variants_btn.click(on_variants, [state], [variants, variant_state], api_name=False, **models)
        variants.select(on_variant_pick, [state, variant_state], view_outputs, api_name=False, **models)
        preset.input(on_preset, [preset], [prompt], api_name=False, queue=False)
        gen_btn.click(on_generate, [state, prompt, negative, gen_variants, gen_fast, gen_steps, gen_guidance,
                                    gen_strength, controls.seed], [generated, status], api_name="generate", **models)
        cancel_btn.click(on_cancel, [state], [status], api_name="cancel", queue=False)
        generated.select(on_generated_pick, [state], view_outputs, api_name=False)
        remove_btn.click(on_remove, [state, controls.seed], view_outputs, api_name="remove", **models)
        find_faces_btn.click(on_find_faces, [state], [faces_img, status], api_name="find_faces", **models)
        swap_btn.click(on_swap, [state, faces_which, target_gallery, target_file, by_gender], view_outputs,
                       api_name="swap_faces", **models)
        anon_btn.click(on_anonymize, [state, anon_method, anon_level, faces_which], view_outputs,
                       api_name="anonymize", **models)
        cartoon_bg_btn.click(on_cartoon_background, [state], view_outputs, api_name="cartoon_background", **models)
        undo_edit_btn.click(on_undo_edit, [state], view_outputs, api_name="undo_edit")
        redo_edit_btn.click(on_redo_edit, [state], view_outputs, api_name="redo_edit")
        layers.input(on_layers, [state, layers], view_outputs, api_name="set_visible_layers")
        export_btn.click(on_export, [state, fmt], [result_file], api_name="export")
        check_panel.listen(check_tab, services, _guard, _display_name)

        _api_endpoints(services)
        api_panel.session_endpoints(services, state, view_outputs, _view, _guard, _session, models)
        api_panel.parse_endpoint(services, _guard, _display_name, _api_file, models)
        _free_closed_sessions(demo, services.settings.session_ttl_s)
        guard_file_inputs(demo)  # every file input: an upload of this session's (app/uploads.py)
    return demo


def _api_endpoints(services: Services) -> None:
    """Stateless endpoints for scripts (gradio_client): segment by clicks, list models."""
    with gr.Row(visible=False):
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
        """A photo, points '[[x, y, 1|0], ...]' (photo pixels), optional box '[x0, y0, x1, y1]'
        -> (mask PNG, summary)."""
        if file is None:
            raise BadInput("upload a photo first")
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
        s = EditorSession()
        s.peer = _peer()
        try:
            file = str(claim(file, None, "photo"))  # an upload no live session owns
            photo = load_photo(file, services.settings, name=_display_name(file))
            s.load(photo, services, parse=False)
            result = None
            if bx is not None:
                s.click(float(bx[0]), float(bx[1]), BOX, services)
                result = s.click(float(bx[2]) - 1, float(bx[3]) - 1, BOX, services)
            for p in pts:
                result = s.click(float(p[0]), float(p[1]), INCLUDE if (len(p) < 3 or p[2]) else EXCLUDE, services)
            if result is None:
                raise BadInput("give at least one point or a box")
            path = _api_file(s.mask_file())
        finally:
            s.close()
        summary = {"backend": result.backend, "seconds": round(result.seconds, 4), "score": result.score,
                   "area": int(result.mask.sum()), "width": photo.width, "height": photo.height}
        return path, summary

    api_segment_btn.click(segment_api, [api_photo, api_points, api_box], [api_mask, api_summary],
                          api_name="segment", concurrency_id="models")
    api_models_btn.click(lambda: services.models_status(), None, [api_models], api_name="models")


MAX_API_POINTS = 50  # /segment re-segments after each point
_API_DIR: list[str] = []


def _api_file(src: Path, suffix: str = "") -> str:
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


def _display_name(path: Any) -> str:
    """The user's file name without Gradio's temp folders (never show server paths)."""
    if not path:
        return "photo"
    base = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return base[:120] or "photo"


def launch(demo: gr.Blocks, services: Services, **kwargs):
    settings = services.settings
    # uvicorn would take X-Forwarded-For from 127.0.0.1 by itself; Facet decides (FACET_TRUSTED_PROXIES)
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    demo.queue(default_concurrency_limit=2, max_size=64)
    # max_file_size: Gradio refuses larger uploads (413) before they reach a handler. show_error: what
    # Gradio itself refuses before our handlers run (a slider value out of range, a file that was not
    # uploaded) reaches API clients as its message; our handlers turn every error into a user message.
    return demo.launch(server_name=settings.host, server_port=settings.port, css=CSS,
                       max_file_size=settings.max_upload_bytes, footer_links=["api"],
                       **{"show_error": True, "state_session_capacity": settings.max_sessions, **kwargs})
